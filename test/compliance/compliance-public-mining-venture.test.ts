// A public-sector mining venture under the compliance rules, on a real regtest chain, through the
// demo's own venture step (src/cli/demo/mining.ts): the venture vault is put in the register of
// public wallets, so its coinbase and its (labelled) pool payout are classified as mining rewards
// and its distribution to the partners — whose settlement wallets are outside the register — as a
// payment out of it. Under the demo's IMF commitment (no increase, seizures and mining excluded)
// the rewards raise no alert; under a commitment that counts mining (mining by a public entity is
// accumulation), each reward is a breach. The quarterly statement shows the rewards as
// mining and reconciles. A second run registers nothing again.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { useRegtestNode } from '../helpers/regtest.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { SqlMiningStore } from '../../src/adapters/store/mining-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import type { ComplianceDeps } from '../../src/app/compliance/flows.ts';
import { registerHistory } from '../../src/app/compliance/flows.ts';
import { addCommitment, monitorCommitments } from '../../src/app/compliance/commitments.ts';
import { makeStatement } from '../../src/app/compliance/statement.ts';
import { parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';
import { currentRegister } from '../../src/core/compliance/types.ts';
import { DEMO_MEMBERS, DEMO_POLICY } from '../../src/cli/demo/build-alliance.ts';
import { DEMO_COMMITMENT } from '../../src/cli/demo/compliance.ts';
import { DEMO_VENTURE, ensureDemoMining } from '../../src/cli/demo/mining.ts';

const regtest = useRegtestNode();
const PAK_DESCRIPTOR = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'examples', 'mining', 'pakistan.descriptor'), 'utf8').trim();
/** The same rule as the demo's, counting mining: a public entity's mining is accumulation. */
const COUNTS_MINING = { id: 'no-increase-mining-counted', version: 1, title: 'The public-sector stock does not increase, mining included', source: 'test', effectiveFrom: '2025-02-26', effectiveTo: null, rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure'] } };

let dir = '';
let db: Database;
let store: SqlVaultStore;
let compliance: ComplianceDeps;
let pakistan = '';
const lines: string[] = [];
let result: Awaited<ReturnType<typeof ensureDemoMining>> = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'soberana-public-mining-'));
  db = await openDatabase({ url: join(dir, 'soberana.db') });
  store = new SqlVaultStore(db);
  const spends = new SqlSpendStore(db);
  const gov: GovernanceDeps = { spends, vaults: store, now: () => Date.now(), network: 'regtest' };
  await addMember(gov, { actor: undefined, ...DEMO_MEMBERS.admin });
  for (const m of [DEMO_MEMBERS.operator, DEMO_MEMBERS.finance, DEMO_MEMBERS.centralBank]) await addMember(gov, { actor: DEMO_MEMBERS.admin.name, ...m });
  await proposePolicy(gov, { actor: DEMO_MEMBERS.admin.name, document: JSON.stringify(DEMO_POLICY) });
  const node = await regtest.ready();
  pakistan = (await addVault({ store }, { name: 'Pakistan reserve', network: 'regtest', descriptor: parseDescriptor(PAK_DESCRIPTOR).descriptor, birthday: { height: 0 }, gapLimit: 10, holders: {}, now: new Date().toISOString() })).id;
  compliance = { compliance: new SqlComplianceStore(db), vaults: store, now: () => Date.now(), spends };
  const by = { actor: 'test', role: 'admin' };
  await addCommitment(compliance, by, JSON.stringify(DEMO_COMMITMENT));
  await addCommitment(compliance, by, JSON.stringify(COUNTS_MINING));
  result = await ensureDemoMining({ db, store, node, dataDir: dir, pakistan, log: (l) => lines.push(l) });
});
after(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a public-sector venture\'s vault is in the register from the day its first share table is in force', async () => {
  assert.ok(result, `the demo distributed a period: ${lines.join('\n')}`);
  const venture = await new SqlMiningStore(db).venture(DEMO_VENTURE);
  assert.ok(venture?.publicSector);
  const entry = currentRegister(await compliance.compliance.registerVersions()).get(venture.vaultId);
  assert.ok(entry, 'the venture vault is registered');
  assert.equal(entry.joinedOn, `${result.period}-01`);
  assert.match(entry.owner, /ILLUSTRATIVE/);
  assert.equal(currentRegister(await compliance.compliance.registerVersions()).has(pakistan), false, 'Pakistan\'s vault is not El Salvador\'s public sector');
});

test('its coinbase and its pool payout are mining rewards; the distribution to partners outside the register is a payment out', async () => {
  assert.ok(result);
  const venture = await new SqlMiningStore(db).venture(DEMO_VENTURE);
  assert.ok(venture);
  const { flows } = await registerHistory(compliance, { vault: venture.vaultId });
  const proposal = await new SqlSpendStore(db).proposal(result.proposalId);
  assert.ok(proposal?.txid);
  const rewards = flows.filter((f) => f.class === 'mining-reward');
  assert.equal(rewards.length, 2, flows.map((f) => `${f.class}: ${f.reason}`).join('\n'));
  assert.ok(rewards.some((f) => /^coinbase transaction: block reward paid to /.test(f.reason)), 'the coinbase, by the transaction graph');
  assert.ok(rewards.some((f) => /labelled as mining \/ a pool payout \(".*pool payout \(Demo Pool\)/.test(f.reason)), 'the pool payout, by its label');
  const total = rewards.reduce((a, f) => a + f.stockDelta, 0n);
  assert.equal(total, 78_125_000n + 15_000_000n, 'a 0.78125 BTC coinbase and a 0.15 BTC pool payout');
  const out = flows.find((f) => f.txid === proposal.txid);
  assert.ok(out);
  assert.equal(out.class, 'payment');
  assert.equal(out.stockDelta, -total, 'everything the period received left the register');
  assert.equal(out.feeSats, proposal.feeSats);
  assert.equal(out.toOutsideSats + (out.feeSats ?? 0n), total);
  assert.equal(flows.length, 3);
  assert.ok(lines.some((l) => /compliance — its vault is a public wallet in the register: 2 mining rewards \(\+0\.93125000 BTC.*1 payment out of the register \(−0\.93125000 BTC/.test(l)), lines.join('\n'));
});

test('mining is excluded by the demo\'s IMF commitment (no alert) and counted by a rule that counts it (each reward is a breach)', async () => {
  assert.ok(result);
  const m = await monitorCommitments(compliance);
  assert.equal(m.open.filter((a) => a.commitmentId === DEMO_COMMITMENT.id).length, 0, 'seizures and mining excluded: no alert');
  // each reward takes the running change above zero: one alert each; the distribution brings it back
  const venture = await new SqlMiningStore(db).venture(DEMO_VENTURE);
  assert.ok(venture);
  const rewards = (await registerHistory(compliance, { vault: venture.vaultId })).flows.filter((f) => f.class === 'mining-reward').map((f) => f.txid).sort();
  const counted = m.open.filter((a) => a.commitmentId === COUNTS_MINING.id);
  assert.deepEqual(counted.map((a) => a.txid).sort(), rewards, m.open.map((a) => a.message).join('\n'));
  for (const a of counted) assert.match(a.message, /mining-reward raised the public stock by \d+ sats/);
});

test('the quarterly statement shows the rewards as mining and the distribution as a payment, and reconciles', async () => {
  assert.ok(result);
  const [y, mo] = result.period.split('-').map(Number) as [number, number];
  const { statement } = await makeStatement(compliance, { actor: 'irene', role: 'auditor' }, `${y}Q${Math.floor((mo - 1) / 3) + 1}`, 'json');
  const cls = new Map(statement.byClass.map((c) => [c.class, c]));
  assert.equal(cls.get('mining-reward')?.count, 2);
  assert.equal(cls.get('mining-reward')?.netSats, 93_125_000n);
  assert.equal(cls.get('payment')?.count, 1);
  assert.equal(cls.get('payment')?.netSats, -93_125_000n);
  assert.equal(statement.reconciliation.reconciles, true);
});

test('a second run of the demo step registers nothing again', async () => {
  const before = (await compliance.compliance.registerVersions()).length;
  const again = await ensureDemoMining({ db, store, node: regtest.node(), dataDir: dir, pakistan, log: (l) => lines.push(l) });
  assert.equal(again?.proposalId, result?.proposalId);
  assert.equal((await compliance.compliance.registerVersions()).length, before);
});
