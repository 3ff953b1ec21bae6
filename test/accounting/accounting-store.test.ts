// Purchase records and cost-basis methods on SQLite and PostgreSQL: an import stores each record
// once however often it is run, refuses a malformed file naming the row and then stores nothing,
// and is audited; a vault's method is recorded with who set it and when, in the audit log too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { importPurchases, setCostMethod, type AccountingDeps } from '../../src/app/accounting/purchases.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { Database } from '../../src/adapters/store/database.ts';

const CSV = [
  'date,btc,paid,currency,counterparty,source_url,vault',
  '2021-09-06,200,9400000.00,USD,Broker A,https://example.org/a,',
  '2021-09-06,200,9400000.00,USD,Broker A,https://example.org/a,', // the same purchase twice on one day: two records
  '"2021-09-19",150,,,"Broker, Inc.",https://example.org/b,Reserve',
].join('\n');

async function setup(db: Database): Promise<AccountingDeps> {
  const vaults = new SqlVaultStore(db);
  await addVault({ store: vaults }, { name: 'Reserve', network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(71), cosigner(72), cosigner(73)]), birthday: { height: 0 }, gapLimit: 3, now: '2026-01-01T00:00:00Z' });
  let t = 1_700_000_000_000;
  return { accounting: new SqlAccountingStore(db), vaults, now: () => (t += 1000) };
}

const digits = (): number => 2;

forEachEngine('accounting store', (t) => {
  test('importing the same file twice stores each record once; identical rows of one file stay two records', async () => {
    const db = await t.open();
    const deps = await setup(db);
    const first = await importPurchases(deps, { actor: 'rosa', role: 'admin' }, CSV, { origin: 'p.csv', minorDigits: digits });
    assert.deepEqual([first.added, first.already], [3, 0]);
    const again = await importPurchases(deps, { actor: 'rosa', role: 'admin' }, CSV, { origin: 'p.csv', minorDigits: digits });
    assert.deepEqual([again.added, again.already], [0, 3]);
    const list = await deps.accounting.purchases();
    assert.equal(list.length, 3);
    assert.deepEqual(list.map((p) => p.sats), [20_000_000_000n, 20_000_000_000n, 15_000_000_000n]);
    assert.deepEqual(list[0]?.paid, { currency: 'USD', minor: 940_000_000n });
    const b = list.find((p) => p.date === '2021-09-19');
    assert.equal(b?.paid, null);
    assert.equal(b?.counterparty, 'Broker, Inc.');
    assert.equal(b?.vaultId, 'reserve', 'the vault column is resolved to its id');
    assert.equal(list[0]?.importedBy, 'rosa');
    const audit = (await new SqlSpendStore(db).auditLog()).filter((e) => e.action === 'purchases.import');
    assert.equal(audit.length, 1, 'one entry for the import that added records, none for the one that added nothing');
    assert.equal((audit[0]?.details as { added: number }).added, 3);
  });

  test('a malformed row refuses the whole file with one line naming the row, and nothing is stored', async () => {
    const db = await t.open();
    const deps = await setup(db);
    const bad = `${CSV}\n2021-10-01,abc,1.00,USD,,,\n`;
    await assert.rejects(importPurchases(deps, { actor: 'rosa', role: 'admin' }, bad, { origin: 'p.csv', minorDigits: digits }), (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.code, 'MALFORMED_DATA');
      assert.equal(e.message, 'p.csv row 5: "btc" is not a BTC amount: "abc" (write e.g. 200 or 0.5)');
      return true;
    });
    await assert.rejects(importPurchases(deps, { actor: 'rosa', role: 'admin' }, `${CSV}\n2021-10-01,1,1.00,USD,,,Nowhere\n`, { origin: 'p.csv', minorDigits: digits }), /p\.csv row 5: no vault "Nowhere"/);
    assert.equal((await deps.accounting.purchases()).length, 0);
    assert.equal((await new SqlSpendStore(db).auditLog()).filter((e) => e.action === 'purchases.import').length, 0);
  });

  test('an import is one transaction: a failure while storing leaves no record behind', async () => {
    const db = await t.open();
    const deps = await setup(db);
    const ok = { id: 'pur_a', date: '2024-01-01', sats: 1n, paid: null, counterparty: null, sourceUrl: null, vaultId: null };
    // 200 good records go in the first insert statement; the bad one fails the second.
    const good = Array.from({ length: 200 }, (_, i) => ({ ...ok, id: `pur_${i}` }));
    await assert.rejects(deps.accounting.importPurchases([...good, { ...ok, id: 'pur_bad', date: null as unknown as string }], { actor: 'x', role: 'admin', atMs: 1, source: 't' }));
    assert.deepEqual(await deps.accounting.purchases(), []);
  });

  test("a vault's method is recorded with who set it and when, and audited with the method it replaces", async () => {
    const db = await t.open();
    const deps = await setup(db);
    assert.deepEqual(await deps.accounting.costMethods(), []);
    const a = await setCostMethod(deps, { actor: 'rosa', role: 'admin' }, 'Reserve', 'average');
    assert.equal(a.previous, null);
    const b = await setCostMethod(deps, { actor: 'luis', role: 'admin' }, 'reserve', 'specific');
    assert.equal(b.previous, 'average');
    const methods = await deps.accounting.costMethods();
    assert.deepEqual(methods, [{ vaultId: 'reserve', method: 'specific', setBy: 'luis', setAtMs: b.setAtMs }]);
    const audit = (await new SqlSpendStore(db).auditLog()).filter((e) => e.action === 'accounting.method');
    assert.deepEqual(audit.map((e) => [e.actor, e.object, e.details]), [['rosa', 'vault:reserve', { method: 'average', previous: null, effectiveFrom: 'start' }], ['luis', 'vault:reserve', { method: 'specific', previous: 'average', effectiveFrom: 'start' }]]);
    await assert.rejects(setCostMethod(deps, { actor: 'rosa', role: 'admin' }, 'nope', 'fifo'), /no vault "nope"/);
  });
});
