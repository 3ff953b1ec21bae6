// The demo's compliance step (src/cli/demo/compliance.ts), on a real regtest chain: the reserve is
// registered with its owner, legal basis, purpose and joining day, the 2025 IMF "no increase"
// commitment is recorded, and monitoring finds what the data says — a purchase before 2025-02-26
// is no breach, one after it is an external acquisition and raises an alert, named in the one log
// line. A second start records nothing again and raises nothing new.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { DEMO_COMMITMENT, ensureDemoCompliance } from '../../src/cli/demo/compliance.ts';

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

test('the demo registers the reserve, records the 2025 IMF commitment, and logs the alert a purchase after 2025-02-26 raises; a second start adds nothing', async () => {
  const node = await regtest.ready();
  let time = at('2024-01-01');
  while (node.height() < 110) await node.mineBlockAt((time += 600));
  db = await openDatabase({ url: join(dir, 'demo.db') });
  const store = new SqlVaultStore(db);
  const key = BIP32Factory(ecc).fromSeed(new Uint8Array(32).fill(71), networks.testnet).derivePath("m/44'/1'/0'/0/0");
  const address = payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string;
  const vault = await addVault({ store }, { name: 'El Salvador Reserve', network: 'regtest', addresses: [address], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
  await node.fund(address, 100_000_000n);
  await node.mineBlockAt(at('2024-03-14'));
  const purchase = await node.fund(address, 700_000_000n);
  await node.mineBlockAt(at('2025-03-07'));
  await syncVaults({ chain: node.chainSource(), store }, await store.listVaults());

  const lines: string[] = [];
  const first = await ensureDemoCompliance({ db, store, elSalvador: vault.id, log: (l) => lines.push(l) });
  assert.deepEqual(first, { open: 1, raised: 1 });
  const compliance = new SqlComplianceStore(db);
  const [entry, ...more] = await compliance.registerVersions();
  assert.equal(more.length, 0);
  assert.equal(entry?.vaultId, vault.id);
  assert.equal(entry?.joinedOn, '2021-09-06');
  assert.match(entry?.legalBasis ?? '', /Bitcoin Law, Legislative Decree 57/);
  assert.match(entry?.owner ?? '', /Government of El Salvador/);
  assert.deepEqual((await compliance.commitments()).map((c) => c.commitment), [DEMO_COMMITMENT]);
  assert.deepEqual((await compliance.alerts()).map((a) => a.txid), [purchase]);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /monitoring found 1 open alert \(1 new\).*external acquisition that breaches it/);

  const again = await ensureDemoCompliance({ db, store, elSalvador: vault.id, log: (l) => lines.push(l) });
  assert.deepEqual(again, { open: 1, raised: 0 });
  assert.equal((await compliance.registerVersions()).length, 1);
  assert.equal((await compliance.commitments()).length, 1);
  const actions = (await readAuditLog(db.db)).map((e) => e.action).filter((a) => a.startsWith('compliance.'));
  assert.deepEqual(actions, ['compliance.register.add', 'compliance.commitment.add', 'compliance.alert.raised']);
});
