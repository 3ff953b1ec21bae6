// The demo's compliance step (src/cli/demo/compliance.ts with the government wallets of
// src/cli/demo/government-wallets.ts), on a real regtest chain: the IMF staff's account of 2025.
// The reserve and, watch-only, the Bitcoin Office's hot wallet and Chivo are registered with their
// owner, legal basis, purpose and joining day; the 2025 IMF "no increase" commitment is recorded.
// Coins the government wallets held before 2025-02-26 are moved into the reserve after it (one
// move from two wallets at once): internal consolidations, no alert. One purchase from outside
// after 2025-02-26 is the one external acquisition and raises the one alert; one labelled seizure
// is excluded. The log line says so; a second start records nothing again and raises nothing new.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments } from 'bitcoinjs-lib';
import { useRegtestNode } from '../helpers/regtest.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { registerHistory } from '../../src/app/compliance/flows.ts';
import { DEMO_COMMITMENT, ensureDemoCompliance } from '../../src/cli/demo/compliance.ts';
import { DEMO_SEIZURE, GOVERNMENT_WALLETS, GovernmentWallets, routeReceipt } from '../../src/cli/demo/government-wallets.ts';
import { parseBtc, sats } from '../../src/core/money.ts';

const at = (d: string) => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);
const regtest = useRegtestNode();
let dir = '';
let db: Database;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'soberana-demo-compliance-'));
});
after(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the demo routes the reserve\'s receipts after 2025-02-26 as the IMF staff described them: the 21 BTC of Bitcoin Day from outside, the rest from other government wallets', () => {
  assert.deepEqual(routeReceipt('2025-02-25', parseBtc('7'), 'weekly'), { kind: 'outside' });
  assert.deepEqual(routeReceipt('2025-02-26', parseBtc('7'), 'weekly'), { kind: 'consolidation', from: ['office'] });
  assert.deepEqual(routeReceipt('2025-09-07', parseBtc('21'), 'lump'), { kind: 'outside' });
  assert.deepEqual(routeReceipt('2025-11-18', parseBtc('1090'), 'lump'), { kind: 'consolidation', from: ['chivo', 'office'] });
  assert.deepEqual(routeReceipt('2026-06-28', parseBtc('8'), 'lump'), { kind: 'consolidation', from: ['chivo'] });
});

test('consolidations from registered government wallets keep the 2025 IMF commitment; the one purchase from outside raises the one alert; the seizure is excluded; a second start adds nothing', async () => {
  const node = await regtest.ready();
  let time = at('2024-01-01');
  while (node.height() < 110) await node.mineBlockAt((time += 600));
  await node.activateSegwit(); // the government wallets' published addresses are P2WPKH
  db = await openDatabase({ url: join(dir, 'demo.db') });
  const store = new SqlVaultStore(db);
  const key = BIP32Factory(ecc).fromSeed(new Uint8Array(32).fill(71), networks.testnet).derivePath("m/44'/1'/0'/0/0");
  const reserve = payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string;
  const vault = await addVault({ store }, { name: 'El Salvador Reserve', network: 'regtest', addresses: [reserve], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
  const gov = await GovernmentWallets.create(store, join(dir, 'keys'), '2026-01-01T00:00:00Z');
  for (const f of readdirSync(join(dir, 'keys'))) assert.match(readFileSync(join(dir, 'keys', f), 'utf8'), /DEMO KEY/);
  const label = async (txid: string, category: 'purchase' | 'seizure' | 'internal consolidation', text: string) => {
    await store.setCategory(txid, category);
    await store.upsertLabels([{ type: 'tx', ref: txid, label: text, origin: null, spendable: null }]);
  };

  // before the commitment: a purchase into the reserve, and the coins the other wallets hold
  await node.fund(reserve, 100_000_000n);
  await node.mineBlockAt(at('2024-03-14'));
  const chivoFunding = await node.fund(gov.address('chivo'), 2_000_000_000n);
  gov.funded('chivo', chivoFunding, sats(2_000_000_000n));
  await node.mineBlockAt(at(GOVERNMENT_WALLETS.chivo.fundedOn));
  const officeFunding = await node.fund(gov.address('office'), 3_000_000_000n);
  gov.funded('office', officeFunding, sats(3_000_000_000n));
  await node.mineBlockAt(at(GOVERNMENT_WALLETS.office.fundedOn));
  // after it: a weekly block moved from the Bitcoin Office, a seizure, the Bitcoin Day purchase from
  // outside, and one move from Chivo AND the Bitcoin Office together
  const weekly = await gov.consolidate(node, ['office'], reserve, sats(700_000_000n));
  await label(weekly, 'internal consolidation', 'ILLUSTRATIVE routing: weekly block moved from the Bitcoin Office hot wallet');
  await node.mineBlockAt(at('2025-03-05'));
  const seizure = await node.fund(gov.address('office'), 200_000_000n);
  await label(seizure, 'seizure', DEMO_SEIZURE.label);
  await node.mineBlockAt(at(DEMO_SEIZURE.date));
  const purchase = await node.fund(reserve, 2_100_000_000n);
  await label(purchase, 'purchase', 'Announced purchase 2025-09-07: 21 BTC');
  await node.mineBlockAt(at('2025-09-07'));
  const both = await gov.consolidate(node, ['chivo', 'office'], reserve, sats(1_500_000_000n));
  await node.mineBlockAt(at('2025-11-18'));
  await syncVaults({ chain: node.chainSource(), store }, await store.listVaults());

  const lines: string[] = [];
  const first = await ensureDemoCompliance({ db, store, elSalvador: vault.id, log: (l) => lines.push(l) });
  assert.deepEqual(first, { open: 1, raised: 1, consolidations: 2, acquisitions: 1, seizures: 1 });
  const compliance = new SqlComplianceStore(db);
  const entries = await compliance.registerVersions();
  assert.deepEqual(entries.map((e) => [e.vaultId, e.version, e.joinedOn]).sort(), [
    [gov.vaults.chivo.id, 1, GOVERNMENT_WALLETS.chivo.fundedOn], [gov.vaults.office.id, 1, GOVERNMENT_WALLETS.office.fundedOn], [vault.id, 1, '2021-09-06'],
  ].sort());
  const es = entries.find((e) => e.vaultId === vault.id);
  assert.match(es?.legalBasis ?? '', /Bitcoin Law, Legislative Decree 57/);
  assert.match(es?.owner ?? '', /Government of El Salvador/);
  for (const e of entries.filter((x) => x.vaultId !== vault.id)) assert.match(e.legalBasis, /ILLUSTRATIVE/);
  assert.deepEqual((await compliance.commitments()).map((c) => c.commitment), [DEMO_COMMITMENT]);
  assert.deepEqual((await compliance.alerts()).map((a) => a.txid), [purchase], 'the one alert is the purchase from outside');

  const deps = { compliance, vaults: store, now: () => Date.now() };
  const flows = new Map((await registerHistory(deps)).flows.map((f) => [f.txid, f]));
  assert.equal(flows.get(weekly)?.class, 'internal-consolidation');
  assert.equal(flows.get(both)?.class, 'internal-consolidation');
  assert.deepEqual(Object.keys(flows.get(both)?.walletDeltas ?? {}).sort(), [gov.vaults.chivo.id, gov.vaults.office.id, vault.id].sort(), 'three wallets in one move');
  assert.ok((flows.get(both)?.stockDelta ?? 1n) < 0n && (flows.get(both)?.stockDelta ?? 0n) === -(flows.get(both)?.feeSats ?? 0n), 'the public stock moves only by the fee');
  assert.equal(flows.get(seizure)?.class, 'seizure');
  assert.match(flows.get(seizure)?.reason ?? '', /legal reference: .*ILLUSTRATIVE-EDD-0142\/2025/);
  assert.equal(flows.get(purchase)?.class, 'external-acquisition');
  assert.equal(flows.get(chivoFunding)?.class, 'external-acquisition', 'coins bought before the programme: an acquisition then, no breach');

  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /Since 2025-02-26: 2 consolidations, 1 acquisition → 1 alert \(1 new\), 1 seizure excluded/);
  assert.match(lines[0] ?? '', /watch-only, Bitcoin Office hot wallet \(published addresses\) and Chivo wallet \(published addresses\) \(ILLUSTRATIVE\)/);

  const again = await ensureDemoCompliance({ db, store, elSalvador: vault.id, log: (l) => lines.push(l) });
  assert.deepEqual(again, { open: 1, raised: 0, consolidations: 2, acquisitions: 1, seizures: 1 });
  assert.equal((await compliance.registerVersions()).length, 3);
  assert.equal((await compliance.commitments()).length, 1);
  const actions = (await readAuditLog(db.db)).map((e) => e.action).filter((a) => a.startsWith('compliance.'));
  assert.deepEqual(actions, ['compliance.register.add', 'compliance.register.add', 'compliance.register.add', 'compliance.commitment.add', 'compliance.alert.raised']);
});
