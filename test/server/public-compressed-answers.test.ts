// Issue #18 performance: the public answers (holdings over time is ≈85 KB of JSON over 100,000
// transactions) are sent compressed to clients that accept it, each answer compressed once and
// reused; every encoding is its own representation with its own strong ETag and Vary says so.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { encodedBody, MIN_COMPRESSED_BYTES, negotiateEncoding } from '../../src/server/encoded-body.ts';
import { etagOf } from '../../src/server/open-data.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

let api: TestApi;
before(async () => {
  // a few hundred transactions: holdings over time well above the compression threshold
  api = await startTestApi({ extra: 300 });
});
after(async () => api.close());

const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url: `/api/v1/public/${url}`, headers });

test('Accept-Encoding is negotiated by q-value, br before gzip on a tie, q=0 refusing and * standing for the rest', () => {
  assert.equal(negotiateEncoding(undefined), null);
  assert.equal(negotiateEncoding(''), null);
  assert.equal(negotiateEncoding('identity'), null);
  assert.equal(negotiateEncoding('gzip, deflate, br, zstd'), 'br', 'what Chromium sends');
  assert.equal(negotiateEncoding('gzip, deflate'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0, gzip;q=0'), null);
  assert.equal(negotiateEncoding('*'), 'br');
  assert.equal(negotiateEncoding('*;q=0.1, br;q=0'), 'gzip');
  assert.equal(negotiateEncoding('x-gzip'), 'gzip');
  assert.equal(negotiateEncoding('GZIP ; Q=1'), 'gzip', 'codings and parameters are case-insensitive');
  assert.equal(negotiateEncoding('deflate, compress'), null, 'nothing we produce');
});

test('holdings over time: br and gzip answers decompress to the identity bytes, each with its own strong ETag, all with Vary: Accept-Encoding', async () => {
  const plain = await get('holdings');
  assert.equal(plain.statusCode, 200);
  assert.ok(plain.rawPayload.length >= MIN_COMPRESSED_BYTES, `body of ${plain.rawPayload.length} bytes`);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.equal(plain.headers.etag, etagOf(plain.rawPayload));
  const br = await get('holdings', { 'accept-encoding': 'gzip, deflate, br' });
  const gz = await get('holdings', { 'accept-encoding': 'gzip' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(brotliDecompressSync(br.rawPayload), plain.rawPayload);
  assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload);
  assert.ok(br.rawPayload.length * 2 < plain.rawPayload.length, `br ${br.rawPayload.length} of ${plain.rawPayload.length} bytes`);
  assert.equal(Number(br.headers['content-length']), br.rawPayload.length);
  assert.equal(br.headers.vary, 'Accept-Encoding');
  const etags = new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]);
  assert.equal(etags.size, 3, 'one ETag per representation');
  assert.equal(br.headers.etag, `${String(plain.headers.etag).slice(0, -1)}.br"`);
  // still the open-data headers
  assert.equal(br.headers['access-control-allow-origin'], '*');
  assert.match(String(br.headers['cache-control']), /^public, max-age=\d+$/);
});

test('If-None-Match with a compressed answer\'s ETag gives an empty 304 to a client asking the same way; the identity ETag does not match a br answer', async () => {
  const br = await get('holdings', { 'accept-encoding': 'br' });
  const again = await get('holdings', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
  assert.equal(again.statusCode, 304);
  assert.equal(again.rawPayload.length, 0);
  assert.equal(again.headers.etag, br.headers.etag);
  const plain = await get('holdings');
  const other = await get('holdings', { 'accept-encoding': 'br', 'if-none-match': String(plain.headers.etag) });
  assert.equal(other.statusCode, 200, 'a different representation is sent in full');
  assert.equal(other.headers['content-encoding'], 'br');
});

test('one vault\'s holdings, the transactions page and the downloads are compressed too; an answer under the threshold is sent as it is', async () => {
  for (const url of ['holdings?vault=el-salvador', 'transactions?limit=50', 'downloads/holdings.csv', 'downloads/transactions.json']) {
    const plain = await get(url);
    const gz = await get(url, { 'accept-encoding': 'gzip' });
    assert.equal(gz.statusCode, 200, url);
    assert.equal(gz.headers['content-encoding'], 'gzip', url);
    assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload, url);
    assert.equal(gz.headers['content-type'], plain.headers['content-type'], url);
  }
  const summary = await get('summary', { 'accept-encoding': 'gzip, br' });
  assert.ok(summary.rawPayload.length < MIN_COMPRESSED_BYTES, `summary of ${summary.rawPayload.length} bytes`);
  assert.equal(summary.headers['content-encoding'], undefined);
  assert.equal(summary.headers.vary, 'Accept-Encoding');
  assert.equal(summary.headers.etag, etagOf(summary.rawPayload));
});

test('an answer is compressed once per encoding: every request gets the same bytes from the same promise', async () => {
  const body = encodedBody(Buffer.from(JSON.stringify({ points: Array.from({ length: 200 }, (_, i) => ({ i })) })));
  const a = body.encoded('br');
  assert.equal(body.encoded('br'), a);
  assert.notEqual(body.encoded('gzip'), a);
  assert.deepEqual(brotliDecompressSync((await a).bytes), body.bytes);
  // over HTTP: two requests, byte-identical compressed answers
  const x = await get('holdings', { 'accept-encoding': 'br' });
  const y = await get('holdings', { 'accept-encoding': 'br' });
  assert.deepEqual(x.rawPayload, y.rawPayload);
});
