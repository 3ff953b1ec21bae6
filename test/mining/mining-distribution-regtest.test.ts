// A mining venture on the embedded regtest node: its 2-of-3 vault mines two blocks (coinbase
// rewards) and receives a pool-style payout in November 2026; the share table changes on Nov 15,
// so the period splits pro rata by the payouts' dates. Distribution is ONE proposal under the
// vault's policy, paying three partners (two settlement vaults, one descriptor) at fresh addresses,
// the fee taken from the total before the split; approved by two institutions, signed by two
// cosigners, broadcast, accepted by the node and mined. A period is distributed once: a second run
// returns the same proposal, concurrent runs make one. The chain is built once; the proposal-only
// checks run on PostgreSQL and SQLite, the broadcast on SQLite (it spends the coins).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, multisigDescriptor, wpkhDescriptor, type TestCosigner } from '../helpers/vault-keys.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlMiningStore } from '../../src/adapters/store/mining-store.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { cancelProposal } from '../../src/app/cancel-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { importPartialPsbt } from '../../src/app/import-partial-psbt.ts';
import { finalizeProposal } from '../../src/app/finalize-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { addPartner, addSite, addVenture, setShares } from '../../src/app/mining/ventures.ts';
import { listPayouts } from '../../src/app/mining/payouts.ts';
import { distributePeriod, type DistributeDeps } from '../../src/app/mining/distribute.ts';
import { createDeriver, parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';
import { splitByShares } from '../../src/core/mining/split.ts';
import { apportion } from '../../src/core/mining/venture.ts';
import type { Sats } from '../../src/core/money.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import { policyDoc, testClock } from '../spend/fixtures.ts';

const regtest = useRegtestNode();
const sec = (iso: string): number => Date.parse(iso) / 1000;

const VENTURE_SIGNERS: TestCosigner[] = [cosigner(171), cosigner(172), cosigner(173)];
const VENTURE_DESC = multisigDescriptor(2, VENTURE_SIGNERS);
const ES_DESC = multisigDescriptor(2, [cosigner(181), cosigner(182), cosigner(183)]);
const CEL_DESC = multisigDescriptor(2, [cosigner(184), cosigner(185), cosigner(186)]);
const PAK_DESC = wpkhDescriptor(cosigner(191, "m/84'/1'/0'"));
const V1 = { shares: 'ES:5000,CEL:3000,PAK:2000', from: '2026-10-01T00:00:00Z' };
const V2 = { shares: 'ES:4000,CEL:3000,PAK:3000', from: '2026-11-15T00:00:00Z' };

/** Regtest halves every 150 blocks: blocks 300–449 pay 12.5 BTC (and these carry no fees). */
const COINBASE_SATS = 1_250_000_000n;
const chain = { pool: { txid: '', sats: 0n }, poolAddress: '', payoutHeights: [] as number[] };

before(async () => {
  const node = await regtest.ready();
  // A chain of its own times: October 2026 up to segwit, the venture's November, then maturity in December.
  let t = sec('2026-10-01T00:00:00Z');
  while (node.height() < 432) await node.mineBlockAt((t += 60));
  const venture = createDeriver(parseDescriptor(VENTURE_DESC), 'regtest');
  for (const [i, when] of ['2026-11-03T12:00:00Z', '2026-11-10T12:00:00Z'].entries()) {
    await node.mineBlockAt(sec(when), { address: venture.derive(false, i).address });
    chain.payoutHeights.push(node.height());
  }
  // A pool-style payout: from the pool's address (here the harness wallet's) on Nov 20, after the share change.
  chain.poolAddress = node.walletAddress;
  chain.pool = { txid: await node.fund(venture.derive(false, 2).address, 123_456_789n, { confirm: false }), sats: 123_456_789n };
  await node.mineBlockAt(sec('2026-11-20T12:00:00Z'));
  t = sec('2026-12-01T00:00:00Z');
  for (let i = 0; i < 99; i++) await node.mineBlockAt((t += 60));
});

interface Setup {
  readonly deps: DistributeDeps;
  readonly vaults: SqlVaultStore;
  readonly vault: Vault;
  readonly partnerVaults: Vault[];
  sync(): Promise<void>;
}

async function setup(db: Database): Promise<Setup> {
  const node = regtest.node();
  const vaults = new SqlVaultStore(db);
  const spends = new SqlSpendStore(db);
  const clock = testClock(Date.parse('2026-12-05T10:00:00Z'));
  const deps: DistributeDeps = { spends, vaults, mining: new SqlMiningStore(db), now: clock.now, chain: node.chainSource(), network: 'regtest' };
  const at = '2026-10-01T00:00:00Z';
  const vault = await addVault({ store: vaults }, { name: 'Geothermal venture', network: 'regtest', descriptor: VENTURE_DESC, birthday: { height: 400 }, gapLimit: 10, now: at });
  const es = await addVault({ store: vaults }, { name: 'ES settlement', network: 'regtest', descriptor: ES_DESC, birthday: { height: 400 }, gapLimit: 10, now: at });
  const cel = await addVault({ store: vaults }, { name: 'CEL settlement', network: 'regtest', descriptor: CEL_DESC, birthday: { height: 400 }, gapLimit: 10, now: at });
  await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator', 'treasury-operator'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'maria', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'pedro', roles: ['approver'], groups: ['central-bank'] });
  await proposePolicy(deps, { actor: 'ana', document: policyDoc() });
  await addVenture(deps, 'ana', { name: 'Geo Venture', vault: vault.id, publicSector: true });
  await addPartner(deps, 'ana', { venture: 'geo-venture', code: 'ES', name: 'LaGeo (El Salvador)', settlementVault: es.id });
  await addPartner(deps, 'ana', { venture: 'geo-venture', code: 'CEL', name: 'CEL (El Salvador)', settlementVault: cel.id });
  await addPartner(deps, 'ana', { venture: 'geo-venture', code: 'PAK', name: 'Pakistan', settlementDescriptor: PAK_DESC });
  await addSite(deps, 'ana', {
    venture: 'geo-venture', name: 'Berlin', capacityMw: '10', energySource: 'geothermal', tariffPerMwh: '45.00', currency: 'USD', marketTariffPerMwh: '90.00', fleetThs: '50000',
    efficiencyJPerTh: '17.5', uptimePercent: '95', pool: 'Luxor', poolFeePercent: '2', poolAddresses: [chain.poolAddress],
  });
  await setShares(deps, 'ana', { venture: 'geo-venture', shares: V1.shares, effectiveFrom: sec(V1.from) });
  await setShares(deps, 'ana', { venture: 'geo-venture', shares: V2.shares, effectiveFrom: sec(V2.from), note: 'Pakistan takes 10% more from Nov 15' });
  const all = [vault, es, cel];
  const sync = async (): Promise<void> => {
    for (const v of all) await syncVault({ chain: node.chainSource(), store: vaults }, v);
  };
  await sync();
  return { deps, vaults, vault, partnerVaults: [es, cel], sync };
}

/** The expected parts by hand: each table's payouts split by splitByShares, the fee by gross part. */
function expected(fee: bigint): Map<string, bigint> {
  const v1 = splitByShares((2n * COINBASE_SATS) as Sats, [{ partner: 'ES', bps: 5000 }, { partner: 'CEL', bps: 3000 }, { partner: 'PAK', bps: 2000 }]);
  const v2 = splitByShares(chain.pool.sats as Sats, [{ partner: 'ES', bps: 4000 }, { partner: 'CEL', bps: 3000 }, { partner: 'PAK', bps: 3000 }]);
  const codes = ['CEL', 'ES', 'PAK'];
  const gross = codes.map((c) => (v1.find((p) => p.partner === c)?.sats ?? 0n) + (v2.find((p) => p.partner === c)?.sats ?? 0n));
  const fees = apportion(fee, gross);
  return new Map(codes.map((c, i) => [c, gross[i]! - fees[i]!]));
}

forEachEngine('mining venture distribution (proposal)', (t) => {
  if (t.engine !== 'postgres') return;
  test('payouts recognised per site and period; distributed once; concurrent runs make one proposal', async () => {
    const s = await setup(await t.open());
    const view = await listPayouts(s.deps, 'geo-venture', '2026-11');
    assert.deepEqual(view.payouts.map((p) => [p.height, p.kind, p.siteId, p.sats, p.period]), [
      [chain.payoutHeights[0], 'coinbase', 'berlin', COINBASE_SATS, '2026-11'],
      [chain.payoutHeights[1], 'coinbase', 'berlin', COINBASE_SATS, '2026-11'],
      [chain.payoutHeights[1]! + 1, 'pool', 'berlin', chain.pool.sats, '2026-11'],
    ]);
    assert.equal(view.payouts[2]!.txid, chain.pool.txid);
    assert.match(view.payouts[2]!.reason, /Luxor's address/);
    assert.deepEqual((await listPayouts(s.deps, 'geo-venture', '2026-10')).payouts, []);
    const runs = await Promise.allSettled([0, 1, 2].map(() => distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 2_000n })));
    const made = runs.flatMap((r) => (r.status === 'fulfilled' && !r.value.already ? [r.value] : []));
    assert.equal(made.length, 1, 'exactly one run proposes');
    for (const r of runs) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'INVALID_STATE');
    assert.equal((await s.deps.spends.proposals()).length, 1);
    const again = await distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 2_000n });
    assert.equal(again.already, true);
    assert.equal(again.proposal.id, made[0]!.proposal.id);
    // A cancelled distribution frees the period: the next run proposes again, with the same coins.
    await cancelProposal(s.deps, { actor: 'luis', proposalId: again.proposal.id, reason: 'wrong fee rate' });
    const redo = await distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 3_000n });
    assert.equal(redo.already, false);
    assert.notEqual(redo.proposal.id, again.proposal.id);
    assert.deepEqual(redo.proposal.inputs.map((i) => i.txid).sort(), again.proposal.inputs.map((i) => i.txid).sort());
    assert.equal((await distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 3_000n })).proposal.id, redo.proposal.id);
  });
});

forEachEngine('mining venture distribution (on chain)', (t) => {
  if (t.engine !== 'sqlite') return;
  test('three partners paid in ONE transaction the node accepts; share change mid-period split by payout dates; fee from the total', async () => {
    const s = await setup(await t.open());
    const node = regtest.node();
    // Not before the period ends, and not before the coinbases mature.
    await assert.rejects(distributePeriod({ ...s.deps, now: () => Date.parse('2026-11-30T23:00:00Z') }, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 2_000n }), { code: 'INVALID_STATE' });
    const r = await distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 2_000n });
    const p = r.proposal;
    assert.equal(p.inputs.length, 3, 'the two coinbases and the pool payout');
    assert.equal(p.changeSats, 0n, 'no change: the venture keeps nothing');
    assert.equal(p.outputs.length, 3);
    const total = 2n * COINBASE_SATS + chain.pool.sats;
    assert.equal(r.distribution.totalSats, total);
    assert.equal(p.outputs.reduce((a, o) => a + o.sats, 0n) + p.feeSats, total, 'payments + fee = payouts, to the sat');
    assert.equal(r.plan.split.feeSats, p.feeSats, 'the fee the split bore is the transaction\'s');
    const want = expected(p.feeSats);
    for (const o of r.plan.outputs) assert.equal(o.sats, want.get(o.partner), `part of ${o.partner}`);
    assert.deepEqual(r.plan.split.byVersion.map((v) => [v.version, v.txids.length]), [[1, 2], [2, 1]], 'coinbases under v1, the pool payout under v2');
    const pak = createDeriver(parseDescriptor(PAK_DESC), 'regtest').derive(false, 0).address;
    assert.equal(r.plan.outputs.find((o) => o.partner === 'PAK')?.address, pak, 'PAK paid at its descriptor\'s first receive address');

    await approveProposal(s.deps, { actor: 'maria', proposalId: p.id });
    const a = await approveProposal(s.deps, { actor: 'pedro', proposalId: p.id });
    assert.equal(a.state, 'approved');
    const { psbt } = await exportProposal(s.deps, { actor: 'luis', proposalId: p.id, destination: 'test' });
    for (const i of [0, 2]) {
      const key = parseExtendedPrivateKey(VENTURE_SIGNERS[i]!.root.toBase58(), 'test key');
      await importPartialPsbt(s.deps, { actor: 'luis', proposalId: p.id, psbt: signPsbtWithKey(psbt, key).psbt });
    }
    const fin = await finalizeProposal(s.deps, { actor: 'luis', proposalId: p.id });
    const b = await broadcastProposal(s.deps, { actor: 'luis', proposalId: p.id });
    assert.equal(b.txid, fin.txid);
    await node.mine(1);
    await s.sync();
    for (const [i, v] of s.partnerVaults.entries()) {
      const code = i === 0 ? 'ES' : 'CEL';
      assert.equal((await s.vaults.balance(v.id)).confirmed, want.get(code), `${code}'s settlement vault received its part`);
    }
    const tx = (await s.vaults.transactions(s.vault.id)).find((x) => x.txid === fin.txid);
    assert.ok(tx && tx.height === node.height(), 'the distribution is mined');
    assert.equal((await s.vaults.balance(s.vault.id)).confirmed, 0n, 'the venture vault is empty');
    const again = await distributePeriod(s.deps, { actor: 'luis', venture: 'geo-venture', period: '2026-11', feeRateSatPerKvb: 2_000n });
    assert.equal(again.already, true, 'distributed once only');
    assert.equal(again.proposal.id, p.id);
  });
});
