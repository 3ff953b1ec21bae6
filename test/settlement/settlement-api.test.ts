/**
 * The settlement API on both engines: each member's token sees only its own invoices and positions
 * (member A's token cannot read B's invoice: 404; B's statement: 403), only the importer's token
 * confirms, the admin token sees everything; a token bound to no alliance member (an operator) is
 * refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { forEachEngine } from '../helpers/engines.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { buildServer } from '../../src/server/app.ts';
import { closeCycle } from '../../src/app/settlement/close-cycle.ts';
import { ADMIN, RATES, addMembers, depsOf } from './settlement-fixture.ts';

forEachEngine('settlement API', (t) => {
  let db: Database;
  let app: FastifyInstance;
  const token: Record<string, string> = {};
  const call = async (method: 'GET' | 'POST', url: string, who: string, body?: unknown) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token[who]}` }, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
    return { status: res.statusCode, json: String(res.headers['content-type'] ?? '').includes('json') ? (res.json() as Record<string, unknown>) : {}, body: res.body };
  };

  before(async () => {
    db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const tokens = new SqlApiTokenStore(db, { clock: { now: () => Date.UTC(2026, 11, 2) } });
    // alliance members' tokens are bound to their API identity (fixtures use id-slv, id-pak, id-rus)
    for (const m of ['slv', 'pak', 'rus']) token[m] = (await tokens.create({ name: `${m} office`, role: 'operator', memberId: `id-${m}` })).token;
    token.admin = (await tokens.create({ name: 'alliance admin', role: 'admin', memberId: 'clearing-admin' })).token;
    token.stranger = (await tokens.create({ name: 'unbound operator', role: 'operator', memberId: 'someone' })).token;
    app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens,
      settlement: { store: new SqlSettlementStore(db), network: 'regtest' }, clock: { now: () => Date.UTC(2026, 11, 2) }, webRoot: null, rateLimit: null,
    });
  });
  after(async () => {
    await app?.close();
  });

  test('member A\'s token cannot read member B\'s invoice, positions or statement; the importer alone confirms; the admin sees all', async () => {
    const inv = { reference: 'SV-1', exporter: 'SLV', importer: 'RUS', amount: '1250.50', currency: 'USD', due: '2026-12-04' };
    const submitted = await call('POST', '/settlement/invoices', 'slv', inv);
    assert.equal(submitted.status, 200, submitted.body);
    assert.equal((submitted.json.invoice as { amountMinor: string }).amountMinor, '125050');
    assert.equal((await call('POST', '/settlement/invoices', 'slv', inv)).json.created, false);
    assert.equal((await call('POST', '/settlement/invoices', 'slv', { ...inv, amount: '1250.51' })).status, 409);
    assert.equal((await call('POST', '/settlement/invoices', 'pak', { ...inv, reference: 'FAKE' })).status, 403, 'PAK cannot submit as SLV');
    assert.equal((await call('POST', '/settlement/invoices', 'pak', { reference: 'PK-1', exporter: 'PAK', importer: 'RUS', amount: '99', currency: 'USD', due: '2026-12-04' })).status, 200);

    // PAK is not a party to SV-1: 404, and it does not show in its list
    assert.equal((await call('GET', '/settlement/invoices/SLV/SV-1', 'pak')).status, 404);
    assert.deepEqual(((await call('GET', '/settlement/invoices', 'pak')).json.invoices as { reference: string }[]).map((i) => i.reference), ['PK-1']);
    assert.equal((await call('GET', '/settlement/invoices/SLV/SV-1', 'rus')).status, 200);
    assert.equal(((await call('GET', '/settlement/invoices', 'admin')).json.invoices as unknown[]).length, 2);

    // only the importer confirms: the exporter's token and a third member's are refused
    assert.equal((await call('POST', '/settlement/invoices/SLV/SV-1/confirm', 'slv')).status, 403);
    assert.equal((await call('POST', '/settlement/invoices/SLV/SV-1/confirm', 'pak')).status, 403);
    const ok = await call('POST', '/settlement/invoices/SLV/SV-1/confirm', 'rus');
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json.status, 'confirmed');
    assert.equal((await call('POST', '/settlement/invoices/PAK/PK-1/dispute', 'rus', { reason: 'short delivery' })).json.status, 'disputed');

    // positions: each member token sees only its own rows
    const pak = (await call('GET', '/settlement/positions', 'pak')).json.positions as { member: string }[];
    assert.deepEqual(pak, []);
    const slv = (await call('GET', '/settlement/positions', 'slv')).json.positions as { member: string; netMinor: string }[];
    assert.deepEqual(slv.map((p) => [p.member, p.netMinor]), [['SLV', '125050']]);
    assert.deepEqual(((await call('GET', '/settlement/positions', 'admin')).json.positions as { member: string }[]).map((p) => p.member), ['RUS', 'SLV']);

    // a closed cycle: members see their own position and statement only
    const { cycle } = await closeCycle(depsOf(db), ADMIN, { cutoff: '2026-12-31', rates: RATES });
    const seenByPak = (await call('GET', `/settlement/cycles/${cycle.id}`, 'pak')).json as { positions: unknown[]; transfers: unknown[] };
    assert.deepEqual([seenByPak.positions, seenByPak.transfers], [[], []]);
    const seenBySlv = (await call('GET', `/settlement/cycles/${cycle.id}`, 'slv')).json as { positions: { member: string }[]; transfers: unknown[] };
    assert.deepEqual(seenBySlv.positions.map((p) => p.member), ['SLV']);
    assert.equal((await call('GET', `/settlement/cycles/${cycle.id}/statement?member=SLV`, 'pak')).status, 403);
    const st = await call('GET', `/settlement/cycles/${cycle.id}/statement`, 'slv');
    assert.equal(st.status, 200, st.body);
    assert.equal((st.json.invoices as unknown[]).length, 1);
    const csv = await call('GET', `/settlement/cycles/${cycle.id}/statement?format=csv`, 'rus');
    assert.match(csv.body, /^kind,cycle,member/);
    assert.equal((await call('GET', '/settlement/alliance', 'slv')).status, 403);
    const view = await call('GET', '/settlement/alliance', 'admin');
    assert.equal(view.status, 200, view.body);
    assert.equal((view.json.totals as { invoices: number }).invoices, 1);

    // a token bound to no alliance member (and not admin/auditor) reads nothing
    assert.equal((await call('GET', '/settlement/invoices', 'stranger')).status, 403);
  });
});
