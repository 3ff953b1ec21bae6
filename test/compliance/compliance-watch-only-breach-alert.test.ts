// Monitoring after sync on a real regtest chain (issue #15), SQLite and PostgreSQL: El Salvador's
// published addresses as watch-only vaults in the register. Coins moved from two of them into the
// reserve's cold wallet are an internal consolidation (the stock moves only by the fee; the 2025
// "no increase" commitment is kept); a purchase from outside is an external acquisition and raises
// ONE alert (stored, audited, not raised twice); a reorg that removes the transaction resolves it.
// An override (by txid) survives a reorg: the transaction leaves the chain, comes back in another
// block, and is classified as the person said. The quarterly statements of 2025Q3 and 2025Q4
// reconcile with the balances at both quarter ends.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments, Psbt } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { registerHistory, type ComplianceDeps } from '../../src/app/compliance/flows.ts';
import { addRegisterEntry } from '../../src/app/compliance/register.ts';
import { addCommitment, checkCommitments, monitorCommitments } from '../../src/app/compliance/commitments.ts';
import { overrideFlow } from '../../src/app/compliance/override.ts';
import { makeStatement } from '../../src/app/compliance/statement.ts';
import type { Vault } from '../../src/core/vault/types.ts';

const bip32 = BIP32Factory(ecc);
const at = (d: string) => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);
const BY = { actor: 'rosa', role: 'admin' };
const COMMITMENT = {
  id: 'imf-2025-no-accumulation', version: 1, title: 'No voluntary accumulation of bitcoin by the public sector',
  source: 'IMF Extended Fund Facility for El Salvador, approved 2025-02-26', effectiveFrom: '2025-02-26',
  rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] },
};

interface Wallet {
  readonly key: BIP32Interface;
  readonly address: string;
  vault?: Vault;
}

function wallet(seed: number): Wallet {
  const key = bip32.fromSeed(new Uint8Array(32).fill(seed), networks.testnet).derivePath("m/44'/1'/0'/0/0");
  const address = payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string;
  return { key, address };
}

forEachEngine('compliance on chain: watch-only public wallets', (t) => {
  const regtest = useRegtestNode();
  let db: Database;
  let store: SqlVaultStore;
  let deps: ComplianceDeps;
  const office = wallet(41);
  const chivo = wallet(42);
  const reserve = wallet(43);
  const sync = async () => {
    await syncVaults({ chain: regtest.node().chainSource(), store }, await store.listVaults());
  };
  const history = async () => (await registerHistory(deps)).flows;

  before(async () => {
    const node = await regtest.ready();
    // A chain dated from 2024 (blocks must follow the median time past, so mine the past first).
    let time = at('2024-01-01');
    while (node.height() < 110) await node.mineBlockAt((time += 600));
    db = await t.open();
    store = new SqlVaultStore(db);
    deps = { compliance: new SqlComplianceStore(db), vaults: store, now: () => Date.UTC(2025, 11, 1) };
    for (const [w, name, owner] of [[office, 'Bitcoin Office (published)', 'Bitcoin Office'], [chivo, 'Chivo (published)', 'Chivo S.A. de C.V.'], [reserve, 'Reserve cold wallet (published)', 'Central Reserve Bank']] as const) {
      w.vault = await addVault({ store }, { name, network: 'regtest', addresses: [w.address], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
      await addRegisterEntry(deps, BY, { vault: name, owner, legalBasis: 'Bitcoin Law, Legislative Decree 57 (2021)', purpose: 'public-sector bitcoin holdings', joinedOn: '2021-09-07' });
    }
    await addCommitment(deps, BY, JSON.stringify(COMMITMENT));
  });

  test('coins moved from two registered wallets into the reserve: internal consolidation, stock flat, commitment kept', async () => {
    const node = regtest.node();
    const fundA = await node.fund(office.address, 500_000_000n);
    const fundB = await node.fund(chivo.address, 300_000_000n);
    await node.mineBlockAt(at('2024-03-14'));
    await sync();
    const raw = async (txid: string) => (await store.transactions((office.vault as Vault).id)).concat(await store.transactions((chivo.vault as Vault).id)).find((x) => x.txid === txid)?.rawHex ?? '';
    const psbt = new Psbt({ network: networks.regtest });
    for (const [txid, w] of [[fundA, office], [fundB, chivo]] as const) {
      const prev = Buffer.from(await raw(txid), 'hex');
      const { Transaction } = await import('bitcoinjs-lib');
      const vout = Transaction.fromBuffer(prev).outs.findIndex((o) => Buffer.from(o.script).equals(payments.p2pkh({ address: w.address, network: networks.regtest }).output as Buffer));
      psbt.addInput({ hash: txid, index: vout, nonWitnessUtxo: prev });
    }
    psbt.addOutput({ address: reserve.address, value: 799_990_000n as never });
    psbt.signInput(0, { publicKey: Buffer.from(office.key.publicKey), sign: (h: Buffer) => Buffer.from(office.key.sign(h)) });
    psbt.signInput(1, { publicKey: Buffer.from(chivo.key.publicKey), sign: (h: Buffer) => Buffer.from(chivo.key.sign(h)) });
    psbt.finalizeAllInputs();
    const consolidation = psbt.extractTransaction();
    await node.mineBlockAt(at('2025-08-29'), { txs: [hex.decode(consolidation.toHex())] });
    await sync();

    const flows = await history();
    assert.deepEqual(flows.map((f) => f.class), ['external-acquisition', 'external-acquisition', 'internal-consolidation']);
    const c = flows[2];
    assert.equal(c?.txid, consolidation.getId());
    assert.equal(c?.stockDelta, -10_000n, 'the stock moves only by the fee');
    assert.equal(c?.feeSats, 10_000n);
    assert.match(c?.reason ?? '', /all 2 inputs from registered wallets \(bitcoin-office-published, chivo-published\) and every output to registered wallets \(reserve-cold-wallet-published\)/);
    let total = 0n;
    for (const w of [office, chivo, reserve]) total += (await store.balance((w.vault as Vault).id)).confirmed;
    assert.equal(total, 799_990_000n);
    const check = await checkCommitments(deps);
    assert.deepEqual(check.statuses.map((s) => s.status), ['kept']);
    const m = await monitorCommitments(deps);
    assert.deepEqual(m.alerts, []);
  });

  test('a purchase from outside is an external acquisition: one alert after sync; a reorg that removes it resolves the alert', async () => {
    const node = regtest.node();
    const purchase = await node.fund(reserve.address, 21_000_000n);
    const block = await node.mineBlockAt(at('2025-09-07'));
    await sync();
    const f = (await history()).find((x) => x.txid === purchase);
    assert.equal(f?.class, 'external-acquisition');

    const m = await monitorCommitments(deps);
    assert.equal(m.raised.length, 1);
    assert.equal(m.alerts.length, 1);
    assert.match(m.alerts[0] ?? '', new RegExp(`commitment breach: commitment 'imf-2025-no-accumulation' version 1 .*transaction ${purchase} \\(2025-09-07\\): external-acquisition raised the public stock by 21000000 sats`));
    assert.deepEqual((await monitorCommitments(deps)).alerts, [], 'an open alert is not raised twice');
    assert.equal((await deps.compliance.alerts()).filter((a) => a.resolvedAtMs === null).length, 1);

    await node.invalidateBlock(block, { resubmit: false });
    await node.mineBlockAt(at('2025-09-08'));
    await sync();
    assert.equal((await history()).some((x) => x.txid === purchase), false, 'the purchase left the chain');
    const after = await monitorCommitments(deps);
    assert.equal(after.resolved.length, 1);
    assert.match(after.alerts[0] ?? '', /resolved: .*no longer on the chain \(reorg\)/);
    assert.deepEqual(after.open, []);
    const actions = (await readAuditLog(db.db)).map((e) => e.action);
    for (const a of ['compliance.register.add', 'compliance.commitment.add', 'compliance.alert.raised', 'compliance.alert.resolved']) assert.ok(actions.includes(a), `audit has ${a}`);
  });

  test('an override survives a reorg: the transaction leaves the chain, comes back, and keeps the class a person gave it', async () => {
    const node = regtest.node();
    const seized = await node.fund(reserve.address, 50_000_000n);
    const block = await node.mineBlockAt(at('2025-10-01'));
    await sync();
    assert.equal((await history()).find((x) => x.txid === seized)?.class, 'external-acquisition');
    assert.equal((await monitorCommitments(deps)).raised.length, 1);
    const rawHex = (await store.transactions((reserve.vault as Vault).id)).find((x) => x.txid === seized)?.rawHex ?? '';

    await overrideFlow(deps, { actor: 'irene', role: 'auditor' }, seized, 'seizure', 'Court order 123/2025, Juzgado Especializado de Instrucción');
    const o = (await history()).find((x) => x.txid === seized);
    assert.equal(o?.class, 'seizure');
    assert.equal(o?.classified?.class, 'external-acquisition');
    const resolved = await monitorCommitments(deps);
    assert.equal(resolved.resolved.length, 1, 'a seizure is excluded from "no increase": the alert is resolved');
    assert.match(resolved.alerts[0] ?? '', /no longer breaches/);

    await node.invalidateBlock(block, { resubmit: false });
    await node.mineBlockAt(at('2025-10-02'));
    await sync();
    assert.equal((await history()).some((x) => x.txid === seized), false, 'gone after the reorg');
    assert.equal((await deps.compliance.overrides()).some((x) => x.txid === seized), true, 'the override is kept');

    await node.mineBlockAt(at('2025-10-03'), { txs: [hex.decode(rawHex)] });
    await sync();
    const back = (await history()).find((x) => x.txid === seized);
    assert.equal(back?.class, 'seizure', 'applied again when the transaction reappears');
    assert.equal(back?.date, '2025-10-03');
    assert.match(back?.reason ?? '', /overridden by irene: Court order 123\/2025/);
    assert.deepEqual((await monitorCommitments(deps)).alerts, []);
    assert.ok((await readAuditLog(db.db)).some((e) => e.action === 'compliance.override' && e.actor === 'irene'));
  });

  test('quarterly statements reconcile with the balances at both quarter ends; their hash is in the audit log', async () => {
    const ids = [office, chivo, reserve].map((w) => (w.vault as Vault).id);
    const q3 = await makeStatement(deps, { actor: 'irene', role: 'auditor' }, '2025Q3', 'json');
    const s3 = q3.statement;
    assert.deepEqual(s3.wallets.map((w) => [w.vaultId, w.openingSats, w.closingSats]), [[ids[0], 500_000_000n, 0n], [ids[1], 300_000_000n, 0n], [ids[2], 0n, 799_990_000n]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    assert.deepEqual(s3.totals, { openingSats: 800_000_000n, closingSats: 799_990_000n });
    assert.deepEqual(s3.byClass, [{ class: 'internal-consolidation', count: 1, netSats: -10_000n }]);
    assert.equal(s3.feesSats, 10_000n);
    assert.equal(s3.reconciliation.reconciles, true);
    assert.deepEqual(s3.commitments.map((c) => [c.id, c.status]), [['imf-2025-no-accumulation', 'kept']], 'the reorged-out purchase is not a breach');
    const q4 = (await makeStatement(deps, { actor: 'irene', role: 'auditor' }, '2025Q4', 'json')).statement;
    const balances = await Promise.all(ids.map(async (id) => (await store.balance(id)).confirmed));
    assert.deepEqual(q4.wallets.map((w) => w.closingSats), [...ids].sort().map((id) => balances[ids.indexOf(id)]), 'the closing stock is each wallet\'s balance (nothing happened after the quarter)');
    assert.equal(q4.totals.openingSats, s3.totals.closingSats);
    assert.deepEqual(q4.byClass, [{ class: 'seizure', count: 1, netSats: 50_000_000n }]);
    assert.equal(q4.flows[0]?.overridden, true);
    assert.equal(q4.reconciliation.reconciles, true);
    const entry = (await readAuditLog(db.db)).find((e) => e.action === 'compliance.statement' && (e.details as { quarter: string }).quarter === '2025Q3');
    assert.equal((entry?.details as { sha256: string }).sha256, q3.sha256);
  });
});
