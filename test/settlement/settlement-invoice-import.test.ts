/**
 * A batch import is all or nothing, on both engines (the SQLite store inserts row by row through a
 * cached prepared statement, PostgreSQL in multi-row INSERTs of 1,000): a conflicting row anywhere —
 * the middle, past the first 1,000, a repeat inside the file — stores nothing of the batch (no
 * invoice, no screening hold, no audit entry) and names the first conflicting row of the file; a
 * failure after the rows are written rolls them back; importing the same file again is idempotent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { DomainError } from '../../src/core/errors.ts';
import { parseInvoiceBatch } from '../../src/core/settlement/invoice-file.ts';
import type { SettlementDeps } from '../../src/app/settlement/deps.ts';
import { listHolds, loadScreeningList } from '../../src/app/settlement/screening.ts';
import { importInvoices, listInvoices, showInvoice, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { ADMIN, addMembers, depsOf } from './settlement-fixture.ts';

const HEAD = 'reference,exporter,importer,amount,currency,due,seller,buyer';
const LIST = JSON.stringify({ source: 'Test list', entries: [{ id: 'E1', names: ['Acme Trading LLC'] }] });
const conflictAt = (row: number) => (e: unknown) => e instanceof DomainError && e.code === 'REFERENCE_CONFLICT' && (e.details as { row?: number }).row === row && new RegExp(`^row ${row}: `).test(e.message);

/** Rows R<from>…R<to-1> from SLV to PAK (or RUS for odd numbers), one every 1.00 USD more. */
function rows(from: number, to: number, prefix = 'R'): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i},SLV,${i % 2 === 0 ? 'PAK' : 'RUS'},${i + 1}.00,USD,2026-12-04,,`);
  return out;
}

async function state(db: Database, deps: SettlementDeps): Promise<{ invoices: string[]; holds: number; audit: number }> {
  const invoices = (await listInvoices(deps, ADMIN)).map((i) => `${i.exporter}/${i.reference}/${i.amountMinor}/${i.status}`).sort();
  return { invoices, holds: (await listHolds(deps)).length, audit: (await readAuditLog(db.db)).length };
}

forEachEngine('settlement invoice import', (t) => {
  test('a conflicting row in the middle of a batch stores nothing of it (no invoice, no hold, no audit entry) and the first conflicting row of the file is named', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await loadScreeningList(deps, ADMIN, LIST, 'list.json');
    await importInvoices(deps, ADMIN, [HEAD, 'A,SLV,PAK,1.00,USD,2026-12-04,,', 'D,SLV,PAK,4.00,USD,2026-12-04,,'].join('\n'), 'first.csv');
    await submitInvoice(deps, ADMIN, { reference: 'B', exporter: 'PAK', importer: 'RUS', amount: '2.00', currency: 'USD', due: '2026-12-04' });
    const before = await state(db, deps);
    // row 1 repeats A exactly, row 2 changes PAK's B, row 3 is new and would be held, row 4 changes SLV's D
    const batch = [HEAD, 'A,SLV,PAK,1.00,USD,2026-12-04,,', 'B,PAK,RUS,2.50,USD,2026-12-04,,', 'C,SLV,RUS,3.00,USD,2026-12-04,,Acme Trading LLC', 'D,SLV,PAK,4.00,USD,2026-12-05,,'].join('\n');
    await assert.rejects(importInvoices(deps, ADMIN, batch, 'b.csv'), conflictAt(2));
    assert.deepEqual(await state(db, deps), before, 'nothing of the refused batch is stored: no invoice C, no hold for it, no audit entry');
    await assert.rejects(showInvoice(deps, ADMIN, 'SLV', 'C'), (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND');
    // the store works on after the rollback: the same batch without the conflicts goes in whole
    const fixed = [HEAD, 'A,SLV,PAK,1.00,USD,2026-12-04,,', 'C,SLV,RUS,3.00,USD,2026-12-04,,Acme Trading LLC'].join('\n');
    assert.deepEqual(await importInvoices(deps, ADMIN, fixed, 'c.csv').then((r) => [r.created, r.existing, r.held]), [1, 1, 1]);
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'C')).status, 'held');
  });

  test('a conflict past the first 1,000 rows of a 2,500-row batch stores none of its rows, and the rows before it do not stay either', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await importInvoices(deps, ADMIN, [HEAD, ...rows(2100, 2101)].join('\n'), 'one.csv');
    const before = await state(db, deps);
    const big = rows(0, 2500);
    big[2100] = big[2100]?.replace('2101.00', '2101.01') as string;
    await assert.rejects(importInvoices(deps, ADMIN, [HEAD, ...big].join('\n'), 'big.csv'), conflictAt(2101));
    assert.deepEqual(await state(db, deps), before);
    // the whole file without the conflict: 2,499 created, the one stored counts as existing
    const r = await importInvoices(deps, ADMIN, [HEAD, ...rows(0, 2500)].join('\n'), 'big2.csv');
    assert.deepEqual([r.rows, r.created, r.existing], [2500, 2499, 1]);
    assert.equal((await listInvoices(deps, ADMIN)).length, 2500);
  });

  test('a reference repeated inside one file: an identical repeat counts as existing, a repeat with other terms is REFERENCE_CONFLICT at the repeat\'s row', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    // the repeat sits across the multi-row INSERT boundary (rows 5 and 1,205)
    const same = rows(0, 1300);
    same[1204] = same[4] as string;
    const r = await importInvoices(deps, ADMIN, [HEAD, ...same].join('\n'), 'same.csv');
    assert.deepEqual([r.rows, r.created, r.existing], [1300, 1299, 1]);
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'R4')).amountMinor, 500n, 'the first row of the key is the stored one');
    const before = await state(db, deps);
    const other = rows(0, 10, 'N');
    other[7] = (other[2] as string).replace('3.00', '3.50');
    await assert.rejects(importInvoices(deps, ADMIN, [HEAD, ...other].join('\n'), 'other.csv'), conflictAt(8));
    assert.deepEqual(await state(db, deps), before);
  });

  test('a failure after the rows are written (here: building the audit entry) rolls the whole batch back', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const before = await state(db, deps);
    const batch = parseInvoiceBatch([HEAD, ...rows(0, 1500)].join('\n')).map((invoice) => ({ invoice, hold: null }));
    await assert.rejects(deps.settlement.submitInvoices(batch, { actor: 'x', atMs: 1 }, () => {
      throw new Error('simulated crash before COMMIT');
    }), /simulated crash/);
    assert.deepEqual(await state(db, deps), before);
    const r = await deps.settlement.submitInvoices(batch, { actor: 'x', atMs: 1 }, (res) => ({ actor: 'x', role: 'admin', action: 'settlement.invoice.import', object: 'invoices:test', atMs: 1, details: { ...res } }));
    assert.deepEqual(r, { created: 1500, existing: 0, held: 0 });
  });

  test('importing the same file again is idempotent: nothing created, no hold raised again, statuses unchanged, one audit entry with the same digest', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await loadScreeningList(deps, ADMIN, LIST, 'list.json');
    const file = [HEAD, ...rows(0, 50), 'H1,SLV,PAK,9.00,USD,2026-12-04,,Acme Trading LLC Karachi'].join('\n');
    const first = await importInvoices(deps, ADMIN, file, 'f.csv');
    assert.deepEqual([first.created, first.existing, first.held], [51, 0, 1]);
    const before = await state(db, deps);
    const again = await importInvoices(deps, ADMIN, file, 'f.csv');
    assert.deepEqual([again.created, again.existing, again.held, again.sha256], [0, 51, 0, first.sha256]);
    const after = await state(db, deps);
    assert.deepEqual(after.invoices, before.invoices);
    assert.equal(after.holds, before.holds);
    assert.equal(after.audit, before.audit + 1);
    const entries = (await readAuditLog(db.db)).filter((e) => e.action === 'settlement.invoice.import');
    assert.deepEqual(entries.map((e) => (e.details as { created: number; sha256: string }).created), [51, 0]);
    assert.equal((entries[1]?.details as { sha256: string }).sha256, first.sha256);
  });
});
