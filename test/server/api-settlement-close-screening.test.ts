// Closing a settlement cycle and deciding screening holds through the API (issue #16), on both
// engines: the same use cases as `soberana settlement cycle close` and `screening decide`.
// - POST /settlement/cycles: the admin closes at a cutoff with the rates locked from the shipped
//   reference; two concurrent closes at one cutoff give ONE cycle (one 201, one 200, one audit
//   entry); a member state's token, an approver and an auditor may not close.
// - POST /settlement/screening/:id/decision: an approver bound to no alliance member (the
//   compliance officer) releases or rejects with a reason; the audit entry and the hold name the
//   token's member, and a body that names someone else is refused; a member state's token never
//   decides — not as an operator, not even as an approver bound to its identity.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { forEachEngine } from '../helpers/engines.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { buildServer } from '../../src/server/app.ts';
import { loadScreeningList } from '../../src/app/settlement/screening.ts';
import { ADMIN, addMembers, depsOf } from '../settlement/settlement-fixture.ts';

const NOW = Date.UTC(2026, 11, 2);
type Json = Record<string, unknown>;

forEachEngine('settlement API: cycle close and screening decisions', (t) => {
  let db: Database;
  let app: FastifyInstance;
  const token: Record<string, string> = {};
  const call = async (method: 'GET' | 'POST', url: string, who: string, body?: unknown) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token[who]}` }, ...(method === 'POST' ? { payload: (body ?? {}) as Json } : {}) });
    return { status: res.statusCode, json: res.json<Json>(), body: res.body };
  };
  const code = (r: { json: Json }): string | undefined => (r.json.error as { code?: string } | undefined)?.code;
  const auditOf = async (action: string) => (await new SqlSpendStore(db).auditLog()).filter((e) => e.action === action);

  before(async () => {
    db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps); // SLV, PAK, RUS with API identities id-slv, id-pak, id-rus
    await loadScreeningList(deps, ADMIN, readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'examples', 'settlement-screening-list.json'), 'utf8'), 'settlement-screening-list.json');
    const tokens = new SqlApiTokenStore(db, { clock: { now: () => NOW } });
    for (const m of ['slv', 'pak', 'rus']) token[m] = (await tokens.create({ name: `${m} office`, role: 'operator', memberId: `id-${m}` })).token;
    token.admin = (await tokens.create({ name: 'alliance admin', role: 'admin', memberId: 'clearing-admin' })).token;
    token.officer = (await tokens.create({ name: 'compliance officer', role: 'approver', memberId: 'carla' })).token;
    token.slvApprover = (await tokens.create({ name: 'SLV approver', role: 'approver', memberId: 'id-slv' })).token;
    token.auditor = (await tokens.create({ name: 'auditor', role: 'auditor', memberId: 'audrey' })).token;
    app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens,
      settlement: { store: new SqlSettlementStore(db), network: 'regtest', rates: shippedReferenceRates() }, clock: { now: () => NOW }, webRoot: null, rateLimit: null,
    });
    // two confirmed invoices due before the cutoff, one due after it
    const submit = async (who: string, inv: Json) => assert.equal((await call('POST', '/settlement/invoices', who, inv)).status, 200);
    await submit('slv', { reference: 'SV-1', exporter: 'SLV', importer: 'RUS', amount: '1250.50', currency: 'USD', due: '2025-06-20' });
    await submit('pak', { reference: 'PK-1', exporter: 'PAK', importer: 'SLV', amount: '700.00', currency: 'USD', due: '2025-06-25' });
    await submit('rus', { reference: 'RU-1', exporter: 'RUS', importer: 'PAK', amount: '99.00', currency: 'USD', due: '2025-07-10' });
    for (const [who, exp, ref] of [['rus', 'SLV', 'SV-1'], ['slv', 'PAK', 'PK-1'], ['pak', 'RUS', 'RU-1']] as const) assert.equal((await call('POST', `/settlement/invoices/${exp}/${ref}/confirm`, who)).status, 200);
  });

  after(async () => {
    await app?.close();
  });

  test('two concurrent closes at one cutoff give one cycle: one 201, one 200, one audit entry', async () => {
    const [a, b] = await Promise.all([call('POST', '/settlement/cycles', 'admin', { cutoff: '2025-06-30' }), call('POST', '/settlement/cycles', 'admin', { cutoff: '2025-06-30' })]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201], `${a.body} ${b.body}`);
    const [ca, cb] = [a.json.cycle as Json, b.json.cycle as Json];
    assert.equal(ca.id, cb.id, 'both answers name the same cycle');
    assert.deepEqual([a.json.created, b.json.created].sort(), [false, true]);
    const cycles = (await call('GET', '/settlement/cycles', 'admin')).json.cycles as Json[];
    assert.deepEqual(cycles.map((c) => [c.id, c.cutoff]), [[ca.id, '2025-06-30']]);
    assert.equal((await auditOf('settlement.cycle.close')).length, 1, 'one close audited');
    const [entry] = await auditOf('settlement.cycle.close');
    assert.equal(entry?.actor, 'clearing-admin', 'the actor is the token\'s member');
    // the rates were locked from the shipped reference, with their source; positions net to zero
    const rates = ca.rates as { currency: string; source: string }[];
    assert.deepEqual(rates.map((r) => r.currency), ['USD']);
    assert.match(rates[0]?.source ?? '', /2025-06-30/);
    assert.equal((ca.positions as { sats: string }[]).reduce((s, p) => s + BigInt(p.sats), 0n), 0n);
    // the invoice due after the cutoff waits; the two before it are in the cycle
    const inCycle = ((await call('GET', `/settlement/invoices?cycle=${String(ca.id)}`, 'admin')).json.invoices as { reference: string }[]).map((i) => i.reference).sort();
    assert.deepEqual(inCycle, ['PK-1', 'SV-1']);
    // closing again later answers the same cycle
    const again = await call('POST', '/settlement/cycles', 'admin', { cutoff: '2025-06-30' });
    assert.equal(again.status, 200);
    assert.equal((again.json.cycle as Json).id, ca.id);
    // a member token reads only its own position of the cycle it did not close
    const seen = (await call('GET', '/settlement/cycles', 'pak')).json.cycles as { positions: { member: string }[] }[];
    assert.deepEqual(seen[0]?.positions.map((p) => p.member), ['PAK']);
  });

  test('only the admin closes: a member state\'s token, the compliance officer and the auditor are 403 and nothing is closed', async () => {
    for (const who of ['slv', 'officer', 'auditor']) {
      const r = await call('POST', '/settlement/cycles', who, { cutoff: '2025-07-31' });
      assert.equal(r.status, 403, `${who}: ${r.body}`);
      assert.equal(code(r), 'FORBIDDEN');
    }
    assert.equal(((await call('GET', '/settlement/cycles', 'admin')).json.cycles as unknown[]).length, 1);
    const bad = await call('POST', '/settlement/cycles', 'admin', { cutoff: '30/07/2025' });
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'INVALID_ARGUMENT');
    const extra = await call('POST', '/settlement/cycles', 'admin', { cutoff: '2025-07-31', rates: [{ currency: 'USD', btcPrice: '1' }] });
    assert.equal(extra.status, 400, 'the caller cannot supply its own rates: they are locked from the reference');
  });

  test('a held invoice is decided by the compliance officer; the audit and the hold name the token\'s member, never a name from the body', async () => {
    const held = await call('POST', '/settlement/invoices', 'slv', { reference: 'SV-HOLD', exporter: 'SLV', importer: 'PAK', amount: '5000', currency: 'USD', due: '2025-07-20', buyer: 'Acme Shadow Trading Karachi' });
    assert.equal(held.status, 200, held.body);
    assert.equal((held.json.invoice as Json).status, 'held');
    const pending = (await call('GET', '/settlement/screening?status=pending', 'officer')).json.holds as Json[];
    assert.equal(pending.length, 1);
    const h = pending[0] as { id: string; kind: string; subject: string; matches: { entry: string }[] };
    assert.deepEqual([h.kind, h.subject, h.matches.map((m) => m.entry)], ['invoice', 'SLV/SV-HOLD', ['DOC-1']]);
    assert.equal((await call('GET', '/settlement/screening', 'auditor')).status, 200, 'the auditor reads the holds');
    const memberRead = await call('GET', '/settlement/screening', 'pak');
    assert.equal(memberRead.status, 403, 'a member state does not read the alliance\'s holds');

    // the member that submitted cannot decide: not with its operator token (no permission) …
    const own = await call('POST', `/settlement/screening/${h.id}/decision`, 'slv', { decision: 'release', reason: 'it is fine' });
    assert.equal(own.status, 403);
    assert.match(String((own.json.error as Json).message), /settlement\.screen/);
    // … and not with an approver token bound to its identity (the use case refuses a member)
    const ownApprover = await call('POST', `/settlement/screening/${h.id}/decision`, 'slvApprover', { decision: 'release', reason: 'it is fine' });
    assert.equal(ownApprover.status, 403, ownApprover.body);
    assert.equal(code(ownApprover), 'FORBIDDEN');
    // the admin and the auditor do not decide either
    for (const who of ['admin', 'auditor']) assert.equal((await call('POST', `/settlement/screening/${h.id}/decision`, who, { decision: 'reject', reason: 'x' })).status, 403, who);
    // a body that names another actor is refused outright, and decides nothing
    const lie = await call('POST', `/settlement/screening/${h.id}/decision`, 'officer', { decision: 'release', reason: 'cleared', actor: 'someone-else' });
    assert.equal(lie.status, 400, lie.body);
    const noReason = await call('POST', `/settlement/screening/${h.id}/decision`, 'officer', { decision: 'release', reason: '   ' });
    assert.equal(noReason.status, 400, 'a decision needs a reason');
    assert.equal(((await call('GET', '/settlement/screening?status=pending', 'officer')).json.holds as unknown[]).length, 1, 'still pending');
    assert.equal((await auditOf('settlement.screening.release')).length, 0);

    const ok = await call('POST', `/settlement/screening/${h.id}/decision`, 'officer', { decision: 'release', reason: 'buyer is a namesake (registry check)' });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual([ok.json.status, ok.json.decidedBy, ok.json.reason], ['released', 'carla', 'buyer is a namesake (registry check)']);
    const audited = await auditOf('settlement.screening.release');
    assert.equal(audited.length, 1);
    assert.deepEqual([audited[0]?.actor, audited[0]?.role, audited[0]?.object], ['carla', 'approver', `hold:${h.id}`]);
    assert.equal(((await call('GET', '/settlement/invoices/SLV/SV-HOLD', 'slv')).json as Json).status, 'submitted', 'released: back to submitted');

    const twice = await call('POST', `/settlement/screening/${h.id}/decision`, 'officer', { decision: 'reject', reason: 'changed my mind' });
    assert.equal(twice.status, 409);
    assert.equal(code(twice), 'INVALID_STATE');
    const missing = await call('POST', '/settlement/screening/hold-999/decision', 'officer', { decision: 'reject', reason: 'x' });
    assert.equal(missing.status, 404);
    assert.equal(code(missing), 'NOT_FOUND');
  });

  test('a rejected hold excludes the invoice', async () => {
    const held = await call('POST', '/settlement/invoices', 'rus', { reference: 'RU-HOLD', exporter: 'RUS', importer: 'SLV', amount: '10', currency: 'USD', due: '2025-07-20', seller: 'ACME shadow trading' });
    assert.equal((held.json.invoice as Json).status, 'held', held.body);
    const h = ((await call('GET', '/settlement/screening?status=pending', 'officer')).json.holds as { id: string; subject: string }[]).find((x) => x.subject === 'RUS/RU-HOLD');
    assert.ok(h);
    const r = await call('POST', `/settlement/screening/${h.id}/decision`, 'officer', { decision: 'reject', reason: 'the seller is the listed entity' });
    assert.equal(r.status, 200, r.body);
    assert.equal(((await call('GET', '/settlement/invoices/RUS/RU-HOLD', 'admin')).json as Json).status, 'excluded');
    assert.equal((await auditOf('settlement.screening.reject'))[0]?.actor, 'carla');
  });
});
