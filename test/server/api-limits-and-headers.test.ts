// Rate limits on public endpoints (429 with the error shape, per client), security headers with a
// Content-Security-Policy that forbids inline scripts, and the HTTP status of every error code.
// Every route, tokens, failed logins and proxies: api-rate-limit-every-route, api-auth-failure-limit,
// api-trust-proxy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/core/errors.ts';
import { HTTP_STATUS_BY_ERROR } from '../../src/server/error-map.ts';
import { startTestApi } from '../helpers/api-server.ts';

test('public endpoints are rate limited per client with a RATE_LIMITED error', async () => {
  const api = await startTestApi({ rateLimit: { max: 5, timeWindowMs: 60_000 } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api.app.inject({ url: '/api/v1/public/summary', remoteAddress: '203.0.113.7' })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await api.app.inject({ url: '/api/v1/public/summary', remoteAddress: '203.0.113.7' });
    assert.equal((limited.json() as { error: { code: string } }).error.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // another client is not affected
    assert.equal((await api.app.inject({ url: '/api/v1/public/summary', remoteAddress: '198.51.100.1' })).statusCode, 200);
  } finally {
    await api.close();
  }
});

test('security headers: a CSP without inline scripts, no sniffing, no framing', async () => {
  const api = await startTestApi();
  try {
    const res = await api.app.inject({ url: '/api/v1/public/summary' });
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['x-frame-options']);
    assert.equal(res.headers['x-powered-by'], undefined);
  } finally {
    await api.close();
  }
});

test('every error code has an HTTP status; only a tampered audit log or an unavailable dependency is a server-side error', () => {
  // a dependency the server cannot reach or trust (chain, store, price source): 5xx, not the caller's fault
  const notTheCaller = new Set<string>(['AUDIT_TAMPERED', 'STORE_UNAVAILABLE', 'PRICE_UNAVAILABLE']);
  for (const code of ERROR_CODES) {
    const s = HTTP_STATUS_BY_ERROR[code];
    assert.ok(Number.isInteger(s) && s >= 400 && s < 600, code);
    if (!notTheCaller.has(code) && !code.startsWith('CHAIN_')) assert.ok(s < 500, `${code} is caused by the request: 4xx`);
  }
  assert.equal(HTTP_STATUS_BY_ERROR.UNAUTHENTICATED, 401);
  assert.equal(HTTP_STATUS_BY_ERROR.FORBIDDEN, 403);
  assert.equal(HTTP_STATUS_BY_ERROR.RATE_LIMITED, 429);
});
