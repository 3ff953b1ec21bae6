// The OpenAPI document at /api/v1/openapi.json describes exactly the routes the server answers,
// and the real responses conform to the documented schemas (checked by a small JSON Schema
// validator below that covers the keywords our schemas use). The server has the alliance
// settlement with data (startSettlementTestApi): every settlement operation is called once below
// and must have a line in SETTLEMENT_CALLS, so a new settlement route without one fails.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSettlementTestApi, SEEDED_REFERENCES, type SettlementTestApi } from '../helpers/api-server-settlement.ts';

type Schema = Record<string, unknown>;
interface Op { summary: string; operationId: string; 'x-permission': string; security: unknown[]; parameters: Array<{ name: string; in: string; required: boolean }>; responses: Record<string, { content: { 'application/json': { schema: Schema } } }>; requestBody?: unknown }
interface Doc { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> } }

/** Validate `v` against the subset of JSON Schema our routes use; returns the first problem or null. */
function check(v: unknown, s: Schema, doc: Doc, at = '$'): string | null {
  if (typeof s.$ref === 'string') return check(v, doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] ?? {}, doc, at);
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).some((x) => check(v, x, doc, at) === null) ? null : `${at}: matches none of anyOf`;
  const types = s.type === undefined ? null : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return `${at}: ${actual} is not ${types.join('|')}`;
  if (Array.isArray(s.enum) && !s.enum.includes(v)) return `${at}: ${String(v)} not in enum`;
  if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v)) return `${at}: "${v}" does not match ${s.pattern}`;
  if (typeof v === 'number' && typeof s.minimum === 'number' && v < s.minimum) return `${at}: below minimum`;
  if (actual === 'array' && s.items) {
    for (const [i, x] of (v as unknown[]).entries()) {
      const p = check(x, s.items as Schema, doc, `${at}[${i}]`);
      if (p) return p;
    }
  }
  if (actual === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) return `${at}: missing "${r}"`;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const [k, x] of Object.entries(o)) {
      if (props[k]) {
        const p = check(x, props[k], doc, `${at}.${k}`);
        if (p) return p;
      } else if (s.additionalProperties !== true) return `${at}: undocumented property "${k}"`;
    }
  }
  return null;
}

let api: SettlementTestApi;
let doc: Doc;
before(async () => {
  api = await startSettlementTestApi();
  const res = await api.app.inject({ url: '/api/v1/openapi.json' });
  assert.equal(res.statusCode, 200);
  doc = res.json();
});
after(async () => {
  await api.close();
});

test('is an OpenAPI 3.1 document with a bearer scheme and an error schema', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.title, 'Soberana API');
  assert.deepEqual(Object.keys(doc.components.securitySchemes), ['bearerAuth']);
  assert.ok(doc.components.schemas.Error);
});

test('lists exactly the routes the server answers, each with summary, permission and responses', async () => {
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  const served = api.routes.map((r) => `${r.method} /api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
  assert.deepEqual(documented, served);
  const ids = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      assert.ok(op.summary.length > 10, `${m} ${p} summary`);
      assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${m} ${p} has a success response`);
      assert.ok(op.responses['400'], `${m} ${p} documents 400`);
      if (op['x-permission'] !== 'public.read') {
        assert.ok(op.responses['401'] && op.responses['403'], `${m} ${p} documents 401 and 403`);
        assert.deepEqual(op.security, op['x-permission'] === 'tokens.enrol' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }]);
      }
      for (const param of op.parameters.filter((x) => x.in === 'path')) assert.ok(p.includes(`{${param.name}}`));
      // the route really exists (a made-up id reaches the handler's validation, not the 404 of an unknown endpoint)
      const url = p.replace(/\{\w+\}/g, 'tok_000000000000');
      const res = await api.app.inject({ method: m.toUpperCase() as 'GET', url, headers: { authorization: `Bearer ${api.token.admin}` }, ...(m === 'post' ? { payload: {} } : {}) });
      assert.ok(!/no such endpoint/.test(res.body), `${m} ${p} is not served`);
    }
  }
});

test('real responses conform to the documented schemas', async () => {
  const calls: Array<[string, string, number]> = [
    ['get', '/api/v1/public/summary', 200],
    ['get', '/api/v1/public/holdings', 200],
    ['get', '/api/v1/public/addresses', 200],
    ['get', '/api/v1/public/transactions', 200],
    ['get', '/api/v1/public/verify', 200],
    ['get', '/api/v1/public/audit-head', 200],
    ['get', '/api/v1/public/downloads/holdings.json', 200],
    ['get', '/api/v1/public/downloads/transactions.json', 200],
    ['get', '/api/v1/public/downloads/addresses.json', 200],
    ['get', '/api/v1/session', 200],
    ['get', '/api/v1/tokens', 200],
    ['get', '/api/v1/vaults', 200],
    ['get', '/api/v1/balance', 200],
    ['get', '/api/v1/vaults/{vault}', 200],
    ['get', '/api/v1/vaults/{vault}/utxos', 200],
    ['get', '/api/v1/vaults/{vault}/history', 200],
    ['get', '/api/v1/vaults/{vault}/addresses', 200],
    ['get', '/api/v1/public/books', 200],
    ['get', '/api/v1/books/holdings', 200],
    ['get', '/api/v1/books/lots', 200],
    ['get', '/api/v1/books/pnl', 200],
    ['get', '/api/v1/books/risk', 200],
    ['get', '/api/v1/public/proof', 200],
    ['get', '/api/v1/public/compliance', 200],
    ['get', '/api/v1/public/compliance/stock', 200],
    ['get', '/api/v1/public/settlement', 200],
    ['get', '/api/v1/compliance/register', 200],
    ['get', '/api/v1/compliance/flows', 200],
    ['get', '/api/v1/compliance/alerts', 200],
    ['get', '/api/v1/compliance/commitments', 200],
    ['get', '/api/v1/mining/ventures', 200],
  ];
  for (const [m, p, status] of calls) {
    const res = await api.app.inject({ method: 'GET', url: p.replace('{vault}', 'el-salvador'), headers: { authorization: `Bearer ${api.token.admin}` } });
    assert.equal(res.statusCode, status, p);
    const schema = doc.paths[p]?.[m]?.responses[String(status)]?.content['application/json'].schema;
    assert.ok(schema, `${p} documents ${status}`);
    assert.equal(check(res.json(), schema, doc), null, p);
  }
  // the compliance statement needs its quarter
  const quarterly = await api.app.inject({ url: '/api/v1/compliance/statement?quarter=2025Q3', headers: { authorization: `Bearer ${api.token.auditor}` } });
  assert.equal(quarterly.statusCode, 200, quarterly.body);
  assert.equal(check(quarterly.json(), doc.paths['/api/v1/compliance/statement']?.get?.responses['200']?.content['application/json'].schema ?? {}, doc), null);
  // the transaction page with a cursor, and the token created by POST
  const page1 = (await api.app.inject({ url: '/api/v1/public/transactions?limit=3' })).json() as { nextBefore: string };
  const page2 = await api.app.inject({ url: `/api/v1/public/transactions?limit=3&before=${page1.nextBefore}` });
  assert.equal(check(page2.json(), doc.paths['/api/v1/public/transactions']?.get?.responses['200']?.content['application/json'].schema ?? {}, doc), null);
  const created = await api.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${api.token.admin}` }, payload: { name: 'schema check', role: 'operator' } });
  assert.equal(created.statusCode, 201);
  assert.equal(check(created.json(), doc.paths['/api/v1/tokens']?.post?.responses['201']?.content['application/json'].schema ?? {}, doc), null);
  // and errors have the documented shape
  const bad = await api.app.inject({ url: '/api/v1/public/transactions?limit=0' });
  assert.equal(bad.statusCode, 400);
  assert.equal(check(bad.json(), doc.components.schemas.Error ?? {}, doc), null);
});

/** Every settlement operation (tag "settlement"), called once, in this order, by whom, with what, answering what. */
const SETTLEMENT_CALLS: ReadonlyArray<{ op: string; who: string; url?: (a: SettlementTestApi) => string; body?: Record<string, unknown>; status: number }> = [
  { op: 'GET /public/settlement', who: 'public', status: 200 },
  { op: 'GET /settlement/members', who: 'admin', status: 200 },
  { op: 'GET /settlement/invoices', who: 'auditor', status: 200 },
  { op: 'GET /settlement/invoices/{exporter}/{reference}', who: 'slv', url: () => `/settlement/invoices/PAK/${SEEDED_REFERENCES[1]}`, status: 200 },
  { op: 'POST /settlement/invoices', who: 'slv', body: { reference: 'SV-OPENAPI', exporter: 'SLV', importer: 'PAK', amount: '12.34', currency: 'USD', due: '2025-07-05' }, status: 200 },
  { op: 'POST /settlement/invoices/{exporter}/{reference}/confirm', who: 'pak', url: () => `/settlement/invoices/RUS/${SEEDED_REFERENCES[2]}/confirm`, status: 200 },
  { op: 'POST /settlement/invoices/{exporter}/{reference}/dispute', who: 'pak', url: () => '/settlement/invoices/SLV/SV-OPENAPI/dispute', body: { reason: 'not delivered' }, status: 200 },
  { op: 'GET /settlement/positions', who: 'slv', status: 200 },
  { op: 'GET /settlement/cycles', who: 'admin', status: 200 },
  { op: 'POST /settlement/cycles', who: 'admin', body: { cutoff: '2025-06-30' }, status: 201 },
  { op: 'GET /settlement/cycles/{id}', who: 'pak', url: (a) => `/settlement/cycles/${a.cycleId}`, status: 200 },
  { op: 'GET /settlement/cycles/{id}/statement', who: 'admin', url: (a) => `/settlement/cycles/${a.cycleId}/statement?member=SLV`, status: 200 },
  { op: 'GET /settlement/screening', who: 'auditor', status: 200 },
  { op: 'POST /settlement/screening/{id}/decision', who: 'approver', url: (a) => `/settlement/screening/${a.holdId}/decision`, body: { decision: 'reject', reason: 'the buyer is listed' }, status: 200 },
  { op: 'GET /settlement/alliance', who: 'auditor', status: 200 },
];

test('every settlement operation answers what the document says (and each has a line here)', async () => {
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).filter(([, o]) => (o as unknown as { tags: string[] }).tags.includes('settlement')).map(([m]) => `${m.toUpperCase()} ${p.slice('/api/v1'.length)}`)).sort();
  assert.deepEqual(documented, SETTLEMENT_CALLS.map((c) => c.op).sort(), 'SETTLEMENT_CALLS lists exactly the documented settlement operations');
  // the member states' offices: tokens bound to their API identities
  const member: Record<string, string> = {};
  for (const m of ['slv', 'pak']) member[m] = (await api.tokens.create({ name: `${m} office`, role: 'operator', memberId: `id-${m}` })).token;
  for (const c of SETTLEMENT_CALLS) {
    const [method, path] = c.op.split(' ') as ['GET' | 'POST', string];
    const secret = member[c.who] ?? (c.who === 'public' ? undefined : api.token[c.who as 'admin']);
    const res = await api.app.inject({ method, url: `/api/v1${c.url?.(api) ?? path}`, headers: secret ? { authorization: `Bearer ${secret}` } : {}, ...(method === 'POST' ? { payload: c.body ?? {} } : {}) });
    assert.equal(res.statusCode, c.status, `${c.op}: ${res.body.slice(0, 300)}`);
    const schema = doc.paths[`/api/v1${path}`]?.[method.toLowerCase()]?.responses[String(c.status)]?.content['application/json'].schema;
    assert.ok(schema, `${c.op} documents ${c.status}`);
    const body = res.json() as Record<string, unknown>;
    assert.equal(check(body, schema, doc), null, c.op);
    assert.ok(JSON.stringify(body).length > 20, `${c.op} answers with data`);
  }
  // and the documented error statuses of the new operations are real: a decided hold again is 409
  const again = await api.app.inject({ method: 'POST', url: `/api/v1/settlement/screening/${api.holdId}/decision`, headers: { authorization: `Bearer ${api.token.approver}` }, payload: { decision: 'release', reason: 'again' } });
  assert.equal(again.statusCode, 409);
  assert.ok(doc.paths['/api/v1/settlement/screening/{id}/decision']?.post?.responses['409']);
  assert.equal(check(again.json(), doc.components.schemas.Error ?? {}, doc), null);
});

test('the validator used here does reject what it should (so the checks above can fail)', () => {
  const s = doc.paths['/api/v1/public/summary']?.get?.responses['200']?.content['application/json'].schema ?? {};
  assert.notEqual(check({}, s, doc), null);
  assert.match(check({ error: { code: 1, message: 'x' } }, { $ref: '#/components/schemas/Error' }, doc) ?? '', /not string/);
  assert.match(check({ extra: 1 }, { anyOf: [{ type: 'string' }, { type: 'object', properties: {} }] }, doc) ?? '', /none of anyOf/);
  assert.match(check({ items: [], nextBefore: null, extra: 1 }, doc.paths['/api/v1/public/transactions']?.get?.responses['200']?.content['application/json'].schema ?? {}, doc) ?? '', /undocumented/);
});
