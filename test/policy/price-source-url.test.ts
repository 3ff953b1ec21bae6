// Reference rates over http(s): fetched with the injected fetch, reused for the cache time, the
// last good answer kept through an outage (the engine's age limit still applies), failures in one
// line, secrets in the URL never shown. Runs against a server on 127.0.0.1 started here.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactUrl, referenceRateUrlSource } from '../../src/adapters/prices/reference-rate-url.ts';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';

const NOW = Date.UTC(2026, 11, 2, 9, 30);
const MINUTE = 60_000;

interface Rates {
  base: string;
  requests: string[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A local rates server; stopped when the test ends (and never keeps the process alive). */
async function ratesServer(t: TestContext, answer: Rates['answer']): Promise<Rates> {
  const r: Rates = { base: '', requests: [], answer };
  const server = createServer((req, res) => {
    r.requests.push(req.url ?? '');
    r.answer(req, res);
  });
  server.unref();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return r;
}

const send = (status: number, body: string, type = 'text/csv') => (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};

const refused = (code: ErrorCode, pattern: RegExp) => (e: unknown): boolean =>
  isDomainError(e) && e.code === code && pattern.test(e.message) && !e.message.includes('\n');

test('an answer is reused for the cache time, then fetched again', async (t) => {
  const rates = await ratesServer(t, send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n'));
  const source = referenceRateUrlSource({ url: `${rates.base}/btc-usd.csv`, fetch, cacheMs: 10 * MINUTE });
  const first = await source.latest(NOW);
  assert.deepEqual(first, { usdPerBtcCents: 9_123_456n, date: '2026-12-01', source: `price URL ${rates.base}/btc-usd.csv` });
  assert.equal((await source.latest(NOW + 10 * MINUTE - 1))?.usdPerBtcCents, 9_123_456n);
  assert.equal(rates.requests.length, 1, 'cached');

  rates.answer = send(200, '{ "date": "2026-12-02", "BTC_USD": "92000.00" }', 'application/json');
  assert.equal((await source.latest(NOW + 10 * MINUTE))?.usdPerBtcCents, 9_200_000n);
  assert.equal(rates.requests.length, 2, 'expired: fetched again');
});

test('simultaneous lookups share one request', async (t) => {
  const rates = await ratesServer(t, send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n'));
  const source = referenceRateUrlSource({ url: `${rates.base}/r`, fetch });
  const all = await Promise.all([source.latest(NOW), source.latest(NOW), source.latest(NOW)]);
  assert.ok(all.every((q) => q?.usdPerBtcCents === 9_123_456n));
  assert.equal(rates.requests.length, 1);
});

test('without a good answer yet, failures are the error: HTTP status, malformed body, unreachable, timeout', async (t) => {
  const rates = await ratesServer(t, send(502, 'bad gateway', 'text/plain'));
  const url = `${rates.base}/r`;
  await assert.rejects(referenceRateUrlSource({ url, fetch }).latest(NOW), refused('PRICE_UNAVAILABLE', /^price URL http:\/\/127\.0\.0\.1:\d+\/r answered HTTP 502$/));

  rates.answer = send(200, 'Date,BTC_USD\n2026-12-01,lots\n');
  await assert.rejects(referenceRateUrlSource({ url, fetch }).latest(NOW), refused('MALFORMED_DATA', /^price URL http:\/\/127\.0\.0\.1:\d+\/r line 2: not a price: "lots"$/));

  rates.answer = () => undefined; // never answers
  await assert.rejects(referenceRateUrlSource({ url, fetch, timeoutMs: 200 }).latest(NOW), refused('PRICE_UNAVAILABLE', /\/r cannot be reached \(timed out\)$/));

  // a port nobody listens on: take one from a server that is already closed
  const gone = createServer();
  await new Promise<void>((ok) => gone.listen(0, '127.0.0.1', ok));
  const port = (gone.address() as AddressInfo).port;
  await new Promise<void>((ok) => gone.close(() => ok()));
  await assert.rejects(referenceRateUrlSource({ url: `http://127.0.0.1:${port}/r`, fetch }).latest(NOW), refused('PRICE_UNAVAILABLE', /cannot be reached \(ECONNREFUSED\)$/));
});

test('through an outage the last good answer is used, and the failing URL is retried only after a pause', async (t) => {
  const rates = await ratesServer(t, send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n'));
  const source = referenceRateUrlSource({ url: `${rates.base}/r`, fetch, cacheMs: MINUTE, retryAfterFailureMs: 30_000 });
  assert.equal((await source.latest(NOW))?.date, '2026-12-01');
  rates.answer = send(500, 'oops', 'text/plain');
  // expired and failing: the last good answer (its date still faces the engine's age limit)
  assert.equal((await source.latest(NOW + 2 * MINUTE))?.date, '2026-12-01');
  assert.equal(rates.requests.length, 2);
  assert.equal((await source.latest(NOW + 2 * MINUTE + 29_999))?.date, '2026-12-01');
  assert.equal(rates.requests.length, 2, 'no new request within the pause');
  rates.answer = send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n2026-12-02,92000\n');
  assert.equal((await source.latest(NOW + 2 * MINUTE + 30_000))?.date, '2026-12-02');
  assert.equal(rates.requests.length, 3);
});

test('credentials and the query string never appear in messages or recorded quotes', async (t) => {
  const rates = await ratesServer(t, send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n'));
  const secretUrl = rates.base.replace('http://', 'http://treasury:pa55@') + '/r?apikey=s3cret';
  assert.equal(redactUrl(secretUrl), `${rates.base}/r?…`);
  let authorization: string | undefined;
  rates.answer = (req, res) => {
    authorization = req.headers.authorization;
    send(200, 'Date,BTC_USD\n2026-12-01,91234.56\n')(req, res);
  };
  const q = await referenceRateUrlSource({ url: secretUrl, fetch }).latest(NOW);
  assert.equal(q?.source, `price URL ${rates.base}/r?…`);
  assert.equal(rates.requests[0], '/r?apikey=s3cret', 'the real URL is what is fetched');
  assert.equal(authorization, `Basic ${Buffer.from('treasury:pa55').toString('base64')}`, 'user and password go as Basic authorization');
  rates.answer = send(404, 'no', 'text/plain');
  await assert.rejects(
    referenceRateUrlSource({ url: secretUrl, fetch }).latest(NOW),
    (e) => isDomainError(e) && !/s3cret|pa55|treasury:/.test(e.message) && /answered HTTP 404/.test(e.message),
  );
});
