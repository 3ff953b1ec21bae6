/**
 * Screening on both engines: a match on the list holds a member at onboarding, an invoice at
 * submission and a payout address; a compliance officer's release or rejection moves what was
 * held, and every step is in the audit log (which still verifies).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { readAuditLog, readAuditHead } from '../../src/adapters/store/audit-store.ts';
import { verifyChain } from '../../src/core/audit/hash-chain.ts';
import { DomainError } from '../../src/core/errors.ts';
import { parseScreeningList, screen } from '../../src/core/settlement/screening.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import { decideHold, listHolds, loadScreeningList, screenPayoutAddress } from '../../src/app/settlement/screening.ts';
import { decideInvoices, showInvoice, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { ADMIN, addMembers, as, depsOf, receiveDescriptor } from './settlement-fixture.ts';

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;

const LIST = JSON.stringify({
  source: 'Test consolidated list 2026-12-01',
  entries: [
    { id: 'E1', names: ['Acme Trading LLC'] },
    { id: 'E2', countries: ['PRK'], names: ['Korea Kwangson Banking'] },
    { id: 'E3', addresses: ['bcrt1qsanctionedaddress0000000000000000000'] },
  ],
});

test('list parsing: JSON and CSV say the same; names match as whole words ignoring case, accents and punctuation', () => {
  const csv = parseScreeningList('id,type,value\nE1,name,Acme Trading LLC\nE2,country,PRK\nE2,name,Korea Kwangson Banking\nE3,address,bcrt1qsanctionedaddress0000000000000000000\n', 'l.csv');
  const json = parseScreeningList(LIST, 'l.json');
  assert.deepEqual(csv.entries.map((e) => [e.id, e.names, e.countries, e.addresses]), json.entries.map((e) => [e.id, e.names, e.countries, e.addresses]));
  assert.equal(screen(json, { names: ['ACME trading, L.L.C. — Karachi'] }).length, 0);
  assert.equal(screen(json, { names: ['Acmé Trading LLC (Karachi branch)'] }).length, 1);
  assert.equal(screen(json, { names: ['Acme Tradingllc'] }).length, 0);
  assert.equal(screen(json, { countries: ['prk'] })[0]?.entry, 'E2');
  assert.throws(() => parseScreeningList('{"source":"x","entries":[{"id":"A"}]}'), code('MALFORMED_DATA'));
  assert.throws(() => parseScreeningList('id,kind,value\n'), code('MALFORMED_DATA'));
});

forEachEngine('settlement screening', (t) => {
  test('a listed member, invoice party and payout address are held; the officer\'s release and rejection are audited', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    await assert.rejects(loadScreeningList(deps, as('SLV'), LIST, 'list.json'), code('FORBIDDEN'));
    const loaded = await loadScreeningList(deps, ADMIN, LIST, 'list.json');
    assert.equal(loaded.version, 1);
    // onboarding: a member from a listed country is held
    const { member, hold } = await addAllianceMember(deps, ADMIN, { code: 'PRK', state: 'North Korea', institution: 'Central Bank of the DPRK', currency: 'USD', receiveDescriptor: receiveDescriptor(9) });
    assert.equal(member.status, 'held');
    assert.equal(hold?.matches[0]?.entry, 'E2');
    await assert.rejects(submitInvoice(deps, as('SLV'), { reference: 'K1', exporter: 'SLV', importer: 'PRK', amount: '1', currency: 'USD', due: '2026-12-04' }), code('INVALID_STATE'));
    // submission: an invoice whose buyer is listed is stored held, and cannot be confirmed
    const held = await submitInvoice(deps, as('SLV'), { reference: 'H1', exporter: 'SLV', importer: 'PAK', amount: '500', currency: 'USD', due: '2026-12-04', seller: 'Cafe de El Salvador SA', buyer: 'Acme Trading LLC Karachi' });
    assert.equal(held.invoice.status, 'held');
    await assert.rejects(decideInvoices(deps, as('PAK'), [{ exporter: 'SLV', reference: 'H1' }], 'confirm'), code('INVALID_STATE'));
    const clean = await submitInvoice(deps, as('SLV'), { reference: 'H2', exporter: 'SLV', importer: 'PAK', amount: '500', currency: 'USD', due: '2026-12-04', buyer: 'Karachi Foods' });
    assert.equal(clean.invoice.status, 'submitted');
    // payout: a listed address is held (the on-chain phase must not pay it)
    assert.equal(await screenPayoutAddress(deps, 'bcrt1qcleanaddress', { cycle: 'cycle-1', member: 'PAK' }), null);
    const addrHold = await screenPayoutAddress(deps, 'BCRT1QSANCTIONEDADDRESS0000000000000000000', { cycle: 'cycle-1', member: 'PAK' });
    assert.equal(addrHold?.kind, 'address');
    const pending = await listHolds(deps, 'pending');
    assert.deepEqual(pending.map((h) => h.kind).sort(), ['address', 'invoice', 'member']);
    // decisions: need a reason, only the officer, once
    const invHold = pending.find((h) => h.kind === 'invoice');
    const memHold = pending.find((h) => h.kind === 'member');
    assert.ok(invHold && memHold);
    await assert.rejects(decideHold(deps, ADMIN, invHold.id, 'release', ' '), code('INVALID_ARGUMENT'));
    await assert.rejects(decideHold(deps, as('PAK'), invHold.id, 'release', 'mine'), code('FORBIDDEN'));
    await decideHold(deps, ADMIN, invHold.id, 'release', 'different company: registry checked');
    await assert.rejects(decideHold(deps, ADMIN, invHold.id, 'reject', 'again'), code('INVALID_STATE'));
    assert.equal((await showInvoice(deps, ADMIN, 'SLV', 'H1')).status, 'submitted');
    await decideInvoices(deps, as('PAK'), [{ exporter: 'SLV', reference: 'H1' }], 'confirm');
    await decideHold(deps, ADMIN, memHold.id, 'reject', 'sanctioned jurisdiction');
    assert.equal((await deps.settlement.member('PRK'))?.status, 'rejected');
    const log = await readAuditLog(db.db);
    const actions = log.map((e) => e.action);
    for (const a of ['settlement.screening.load', 'settlement.member.add', 'settlement.invoice.submit', 'settlement.screening.hold', 'settlement.screening.release', 'settlement.screening.reject']) assert.ok(actions.includes(a), a);
    const release = log.find((e) => e.action === 'settlement.screening.release');
    assert.equal(release?.actor, 'clearing-house');
    assert.deepEqual((release?.details as { reason: string }).reason, 'different company: registry checked');
    const head = await readAuditHead(db.db);
    assert.equal(verifyChain(log, head ? { expectedHead: head } : {}).ok, true);
  });
});
