/**
 * Invoices on both engines: idempotent by (exporter, reference), a conflicting amount refused with
 * REFERENCE_CONFLICT and nothing stored, only the importer confirms or disputes, a batch is one
 * transaction, disputed invoices never reach the positions; every change audited.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import { DomainError } from '../../src/core/errors.ts';
import { decideInvoices, importInvoices, listInvoices, showInvoice, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import { ADMIN, addMembers, as, depsOf, receiveDescriptor } from './settlement-fixture.ts';

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;

forEachEngine('settlement invoices', (t) => {
  test('the same reference twice is one invoice; another amount under it is REFERENCE_CONFLICT and changes nothing', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const fields = { reference: 'SV-001', exporter: 'SLV', importer: 'RUS', amount: '1250.50', currency: 'USD', due: '2026-12-04' };
    const a = await submitInvoice(deps, as('SLV'), fields);
    const b = await submitInvoice(deps, as('SLV'), fields);
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.invoice.amountMinor, 125050n);
    await assert.rejects(submitInvoice(deps, as('SLV'), { ...fields, amount: '1250.51' }), (e: unknown) => code('REFERENCE_CONFLICT')(e) && /already stored with other terms/.test((e as Error).message));
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'SV-001')).amountMinor, 125050n);
    assert.equal((await listInvoices(deps, ADMIN)).length, 1);
    // a batch repeating it is fine; a batch with one conflicting row stores nothing at all
    const csv = 'reference,exporter,importer,amount,currency,due\nSV-001,SLV,RUS,1250.50,USD,2026-12-04\nSV-002,SLV,PAK,10.00,USD,2026-12-04\n';
    assert.deepEqual((await importInvoices(deps, ADMIN, csv, 'a.csv')).created, 1);
    const bad = 'reference,exporter,importer,amount,currency,due\nSV-003,SLV,PAK,5.00,USD,2026-12-04\nSV-002,SLV,PAK,11.00,USD,2026-12-04\n';
    await assert.rejects(importInvoices(deps, ADMIN, bad, 'b.csv'), (e: unknown) => code('REFERENCE_CONFLICT')(e) && /row 2/.test((e as Error).message));
    assert.equal((await listInvoices(deps, ADMIN)).length, 2, 'SV-003 of the refused batch is not stored');
    const actions = (await readAuditLog(db.db)).map((e) => e.action);
    assert.deepEqual(actions.filter((a2) => a2.startsWith('settlement.invoice')), ['settlement.invoice.submit', 'settlement.invoice.submit', 'settlement.invoice.import']);
  });

  test('only the importer confirms or disputes: the exporter cannot confirm its own invoice, the administrator cannot confirm for anyone', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await submitInvoice(deps, as('SLV'), { reference: 'SV-9', exporter: 'SLV', importer: 'RUS', amount: '100', currency: 'USD', due: '2026-12-04' });
    const key = [{ exporter: 'SLV', reference: 'SV-9' }];
    await assert.rejects(decideInvoices(deps, as('SLV'), key, 'confirm'), code('FORBIDDEN'));
    await assert.rejects(decideInvoices(deps, as('PAK'), key, 'confirm'), code('FORBIDDEN'));
    await assert.rejects(decideInvoices(deps, ADMIN, key, 'confirm'), code('FORBIDDEN'));
    // a member submitting as if it were another exporter is refused too
    await assert.rejects(submitInvoice(deps, as('PAK'), { reference: 'X', exporter: 'SLV', importer: 'PAK', amount: '1', currency: 'USD', due: '2026-12-04' }), code('FORBIDDEN'));
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'SV-9')).status, 'submitted');
    assert.equal((await deps.settlement.openPositions()).length, 0);
    await decideInvoices(deps, as('RUS'), key, 'confirm');
    const inv = await showInvoice(deps, ADMIN, 'SLV', 'SV-9');
    assert.equal(inv.status, 'confirmed');
    assert.equal(inv.decidedBy, 'member-rus');
    await assert.rejects(decideInvoices(deps, as('RUS'), key, 'confirm'), code('INVALID_STATE'));
  });

  test('disputed invoices never reach the positions; disputing a confirmed one takes it out in the same transaction', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const csv = ['reference,exporter,importer,amount,currency,due', 'R1,SLV,RUS,100.00,USD,2026-12-04', 'R2,SLV,RUS,40.00,USD,2026-12-04', 'R3,RUS,PAK,7.00,USD,2026-12-05'].join('\n');
    await importInvoices(deps, as('SLV'), csv.split('\n').filter((l) => !l.startsWith('R3')).join('\n'), 'slv.csv');
    await importInvoices(deps, as('RUS'), [csv.split('\n')[0], csv.split('\n')[3]].join('\n'), 'rus.csv');
    await assert.rejects(decideInvoices(deps, as('RUS'), [{ exporter: 'SLV', reference: 'R2' }], 'dispute'), code('INVALID_ARGUMENT'), 'a dispute needs a reason');
    await decideInvoices(deps, as('RUS'), [{ exporter: 'SLV', reference: 'R2' }], 'dispute', 'goods not received');
    await decideInvoices(deps, as('RUS'), [{ exporter: 'SLV', reference: 'R1' }], 'confirm');
    await decideInvoices(deps, as('PAK'), [{ exporter: 'RUS', reference: 'R3' }], 'confirm');
    const pos = await deps.settlement.openPositions();
    const net = (m: string) => pos.filter((p) => p.member === m).reduce((s, p) => s + p.netMinor, 0n);
    assert.equal(net('SLV'), 10000n);
    assert.equal(net('RUS'), -10000n + 700n);
    assert.equal(net('PAK'), -700n);
    await decideInvoices(deps, as('RUS'), [{ exporter: 'SLV', reference: 'R1' }], 'dispute', 'quality');
    const after = await deps.settlement.openPositions();
    assert.deepEqual(after.map((p) => [p.member, p.netMinor]), [['PAK', -700n], ['RUS', 700n]]);
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'R1')).note, 'quality');
  });

  test('a member reads only invoices it is party to (another member\'s invoice is NOT_FOUND)', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await addAllianceMember(deps, ADMIN, { code: 'IRN', state: 'Iran', institution: 'Central Bank of Iran', currency: 'USD', receiveDescriptor: receiveDescriptor(7) });
    await submitInvoice(deps, as('SLV'), { reference: 'A', exporter: 'SLV', importer: 'RUS', amount: '1', currency: 'USD', due: '2026-12-04' });
    await submitInvoice(deps, as('PAK'), { reference: 'B', exporter: 'PAK', importer: 'IRN', amount: '1', currency: 'USD', due: '2026-12-04' });
    assert.deepEqual((await listInvoices(deps, as('SLV'))).map((i) => i.reference), ['A']);
    assert.deepEqual((await listInvoices(deps, as('IRN'))).map((i) => i.reference), ['B']);
    await assert.rejects(showInvoice(deps, as('SLV'), 'PAK', 'B'), code('NOT_FOUND'));
    await assert.rejects(listInvoices(deps, as('SLV'), { member: 'PAK' }), code('FORBIDDEN'));
    assert.equal((await listInvoices(deps, ADMIN)).length, 2);
  });

  test('bad rows are refused with the row and a stable code', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const head = 'reference,exporter,importer,amount,currency,due\n';
    await assert.rejects(importInvoices(deps, ADMIN, `${head}R1,SLV,RUS,1.001,USD,2026-12-04\n`, 'x'), (e: unknown) => code('INVALID_AMOUNT')(e) && /row 1/.test((e as Error).message));
    await assert.rejects(importInvoices(deps, ADMIN, `${head}R1,SLV,SLV,1,USD,2026-12-04\n`, 'x'), code('INVALID_ARGUMENT'));
    await assert.rejects(importInvoices(deps, ADMIN, `${head}R1,SLV,RUS,1,XXX,2026-12-04\n`, 'x'), code('UNKNOWN_CURRENCY'));
    await assert.rejects(importInvoices(deps, ADMIN, `${head}R1,SLV,RUS,1,USD,2026-02-30\n`, 'x'), code('INVALID_ARGUMENT'));
    await assert.rejects(importInvoices(deps, ADMIN, `${head}R1,SLV,ZZZ,1,USD,2026-12-04\n`, 'x'), code('NOT_FOUND'));
    await assert.rejects(importInvoices(deps, ADMIN, '{"invoices":[{"reference":"R","exporter":"SLV","importer":"RUS","amount":1,"currency":"USD","due":"2026-12-04"}]}', 'x'), code('INVALID_ARGUMENT'));
    assert.equal((await listInvoices(deps, ADMIN)).length, 0);
  });
});
