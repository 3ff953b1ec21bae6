// Issue #18 item 8: the public routes are open data — readable cross-origin without credentials,
// with a strong ETag and Cache-Control so a poller gets an empty 304 until the data change;
// authenticated routes get no CORS header, so a browser on another site cannot read them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etagOf, ifNoneMatchHits } from '../../src/server/open-data.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ extra: 5 });
});
after(async () => api.close());

const PUBLIC_GETS = (): string[] => api.routes.filter((r) => r.permission === 'public.read' && r.method === 'GET' && !r.path.includes(':')).map((r) => r.path);

test('every public GET route answers cross-origin with a strong ETag over its exact bytes and a Cache-Control', async () => {
  const paths = PUBLIC_GETS();
  assert.ok(paths.length >= 6, `public routes: ${paths.join(' ')}`);
  for (const p of paths) {
    const res = await api.app.inject({ method: 'GET', url: `/api/v1${p}`, headers: { origin: 'https://news.example' } });
    assert.equal(res.statusCode, 200, `${p}: ${res.body.slice(0, 200)}`);
    assert.equal(res.headers['access-control-allow-origin'], '*', p);
    assert.equal(res.headers['access-control-allow-credentials'], undefined, p);
    assert.equal(res.headers.etag, etagOf(res.rawPayload), p);
    assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/, p);
  }
});

test('If-None-Match with the current ETag gives an empty 304; a stale one gives the full answer', async () => {
  const first = await api.app.inject({ method: 'GET', url: '/api/v1/public/summary' });
  const etag = String(first.headers.etag);
  const again = await api.app.inject({ method: 'GET', url: '/api/v1/public/summary', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  assert.equal(again.headers.etag, etag);
  assert.equal(again.headers['access-control-allow-origin'], '*');
  const listed = await api.app.inject({ method: 'GET', url: '/api/v1/public/summary', headers: { 'if-none-match': `"stale", W/${etag}` } });
  assert.equal(listed.statusCode, 304);
  const stale = await api.app.inject({ method: 'GET', url: '/api/v1/public/summary', headers: { 'if-none-match': '"not-this-one"' } });
  assert.equal(stale.statusCode, 200);
  assert.deepEqual(stale.json(), first.json());
  // a different query is a different answer with its own validator
  const a = await api.app.inject({ method: 'GET', url: '/api/v1/public/transactions?limit=1' });
  const b = await api.app.inject({ method: 'GET', url: '/api/v1/public/transactions?limit=2' });
  assert.notEqual(a.headers.etag, b.headers.etag);
});

test('a preflight is answered for public paths only; authenticated routes carry no CORS header', async () => {
  const pre = await api.app.inject({ method: 'OPTIONS', url: '/api/v1/public/summary', headers: { origin: 'https://news.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' } });
  assert.equal(pre.statusCode, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD');
  assert.doesNotMatch(String(pre.headers['access-control-allow-headers']), /authorization/i);
  const unknown = await api.app.inject({ method: 'OPTIONS', url: '/api/v1/public/nothing-here' });
  assert.equal(unknown.statusCode, 404);
  const vaults = await api.app.inject({ method: 'GET', url: '/api/v1/vaults', headers: { authorization: `Bearer ${api.token.auditor}`, origin: 'https://evil.example' } });
  assert.equal(vaults.statusCode, 200);
  assert.equal(vaults.headers['access-control-allow-origin'], undefined);
  assert.equal(vaults.headers.etag, undefined);
  const noToken = await api.app.inject({ method: 'GET', url: '/api/v1/vaults' });
  assert.equal(noToken.statusCode, 401);
  assert.equal(noToken.headers['access-control-allow-origin'], undefined);
});

test('If-None-Match parsing: exact, weak, list and *', () => {
  assert.equal(ifNoneMatchHits(undefined, '"a"'), false);
  assert.equal(ifNoneMatchHits('"a"', '"a"'), true);
  assert.equal(ifNoneMatchHits('W/"a"', '"a"'), true);
  assert.equal(ifNoneMatchHits('"b" , "a"', '"a"'), true);
  assert.equal(ifNoneMatchHits('*', '"a"'), true);
  assert.equal(ifNoneMatchHits('"ab"', '"a"'), false);
});
