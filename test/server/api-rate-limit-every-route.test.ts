// Every request has an allowance: callers without a token per client address, callers with a token
// per token (counted by its id, whichever address it comes from), on every route the server offers
// (public, operator, governance, OpenAPI, unknown URLs). The limit runs before the route's
// permission check. rateLimit: null turns it off; left out, the server runs with the defaults.
// The walks run on the test server with the alliance settlement too (startSettlementTestApi), so
// every settlement route is walked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, DEFAULT_RATE_LIMITS } from '../../src/server/app.ts';
import { startTestApi } from '../helpers/api-server.ts';
import { startSettlementTestApi } from '../helpers/api-server-settlement.ts';

/** Routes the walks below must meet (the settlement's come from startSettlementTestApi). */
const MUST_WALK = ['GET /settlement/invoices', 'POST /settlement/invoices', 'POST /settlement/cycles', 'GET /settlement/screening', 'POST /settlement/screening/:id/decision', 'GET /settlement/alliance', 'GET /public/settlement'];

type Res = { statusCode: number; headers: Record<string, unknown>; json(): unknown };
const code = (r: Res): string | undefined => (r.json() as { error?: { code: string } }).error?.code;
/** A URL for a route: its parameters filled with a plausible value. */
const urlOf = (path: string): string => '/api/v1' + path.replace(/:\w+/g, 'tok_000000000001');

test('every route without a token: the client address gets max requests, then 429 RATE_LIMITED with Retry-After', async () => {
  const api = await startSettlementTestApi({ rateLimit: { max: 2, timeWindowMs: 60_000, tokenMax: 50 } });
  try {
    assert.ok(api.routes.length > 25, 'governance and operator routes are in the list');
    for (const k of MUST_WALK) assert.ok(api.routes.some((r) => `${r.method} ${r.path}` === k), `${k} is walked`);
    const urls = [...api.routes.map((r) => ({ method: r.method, url: urlOf(r.path) })), { method: 'GET' as const, url: '/api/v1/no-such-thing' }, { method: 'GET' as const, url: '/' }];
    for (const [i, r] of urls.entries()) {
      const remoteAddress = `10.1.0.${i + 1}`; // a fresh client for each route
      const first = [await api.app.inject({ method: r.method, url: r.url, remoteAddress }), await api.app.inject({ method: r.method, url: r.url, remoteAddress })];
      for (const f of first) assert.notEqual(f.statusCode, 429, `${r.method} ${r.url}`);
      const third = await api.app.inject({ method: r.method, url: r.url, remoteAddress });
      assert.equal(third.statusCode, 429, `${r.method} ${r.url} is limited`);
      assert.equal(code(third), 'RATE_LIMITED');
      assert.ok(Number(third.headers['retry-after']) > 0);
      assert.equal(third.headers['x-ratelimit-limit'], '2');
    }
  } finally {
    await api.close();
  }
});

test('one allowance per client address across routes; other addresses unaffected', async () => {
  const api = await startTestApi({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
  try {
    const at = (url: string, remoteAddress: string) => api.app.inject({ url, remoteAddress });
    assert.equal((await at('/api/v1/public/summary', '203.0.113.5')).statusCode, 200);
    assert.equal((await at('/api/v1/openapi.json', '203.0.113.5')).statusCode, 200);
    assert.equal((await at('/api/v1/vaults', '203.0.113.5')).statusCode, 401);
    assert.equal((await at('/api/v1/public/holdings', '203.0.113.5')).statusCode, 429);
    assert.equal((await at('/api/v1/public/holdings', '203.0.113.6')).statusCode, 200);
    // an IPv6 client is one /64: changing the interface part does not give a fresh allowance
    for (let i = 1; i <= 3; i++) assert.equal((await at('/api/v1/public/summary', `2001:db8:1:2::${i}`)).statusCode, 200);
    assert.equal((await at('/api/v1/public/summary', '2001:db8:1:2:ffff::9')).statusCode, 429);
    assert.equal((await at('/api/v1/public/summary', '2001:db8:1:3::1')).statusCode, 200);
  } finally {
    await api.close();
  }
});

test('every route with a token: the token gets tokenMax requests wherever they come from, then 429', async () => {
  const api = await startSettlementTestApi({ rateLimit: { max: 1, timeWindowMs: 60_000, tokenMax: 3 } });
  try {
    for (const k of MUST_WALK) assert.ok(api.routes.some((r) => `${r.method} ${r.path}` === k), `${k} is walked`);
    let n = 0;
    for (const r of api.routes) {
      const t = (await api.tokens.create({ name: `limit ${r.method} ${r.path}`, role: 'admin' })).token;
      const call = () => api.app.inject({ method: r.method, url: urlOf(r.path), headers: { authorization: `Bearer ${t}` }, remoteAddress: `10.2.${n >> 8}.${n++ & 255}` });
      for (let i = 0; i < 3; i++) assert.notEqual((await call()).statusCode, 429, `${r.method} ${r.path} request ${i + 1}`);
      const over = await call();
      assert.equal(over.statusCode, 429, `${r.method} ${r.path} is limited per token`);
      assert.equal(code(over), 'RATE_LIMITED');
      assert.ok(Number(over.headers['retry-after']) > 0);
      assert.equal(over.headers['x-ratelimit-limit'], '3');
    }
  } finally {
    await api.close();
  }
});

test('the token allowance and the address allowance are separate', async () => {
  const api = await startTestApi({ rateLimit: { max: 2, timeWindowMs: 60_000, tokenMax: 4 } });
  try {
    const addr = '198.51.100.20';
    const pub = () => api.app.inject({ url: '/api/v1/public/summary', remoteAddress: addr });
    const op = () => api.app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${api.token.operator}` }, remoteAddress: addr });
    const aud = () => api.app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${api.token.auditor}` }, remoteAddress: addr });
    assert.deepEqual([(await pub()).statusCode, (await pub()).statusCode, (await pub()).statusCode], [200, 200, 429]);
    // the address is out of public requests; its operator token still has its own four
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await op()).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    // and another token from the same address is not affected
    assert.equal((await aud()).statusCode, 200);
  } finally {
    await api.close();
  }
});

test('rateLimit: null turns every limit off (tests, benchmarks)', async () => {
  const api = await startTestApi({ rateLimit: null });
  try {
    for (let i = 0; i < 30; i++) {
      const res = await api.app.inject({ url: '/api/v1/public/summary', remoteAddress: '203.0.113.9' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-limit'], undefined);
    }
    for (let i = 0; i < 30; i++) {
      assert.equal((await api.app.inject({ url: '/api/v1/session', headers: { authorization: 'Bearer sob_wrong' }, remoteAddress: '203.0.113.9' })).statusCode, 401);
    }
  } finally {
    await api.close();
  }
});

test('without a rateLimit setting the server runs with the defaults on every route', async () => {
  const api = await startTestApi();
  const { rateLimit: _off, ...deps } = api.deps;
  const app = await buildServer(deps);
  try {
    const pub = await app.inject({ url: '/api/v1/public/summary' });
    assert.equal(pub.headers['x-ratelimit-limit'], String(DEFAULT_RATE_LIMITS.max));
    const gov = await app.inject({ url: '/api/v1/proposals' });
    assert.equal(gov.statusCode, 401);
    assert.equal(gov.headers['x-ratelimit-limit'], String(DEFAULT_RATE_LIMITS.max));
    const withToken = await app.inject({ url: '/api/v1/audit', headers: { authorization: `Bearer ${api.token.auditor}` } });
    assert.equal(withToken.headers['x-ratelimit-limit'], String(DEFAULT_RATE_LIMITS.tokenMax));
    assert.equal((await app.inject({ url: '/api/v1/openapi.json' })).headers['x-ratelimit-limit'], String(DEFAULT_RATE_LIMITS.max));
  } finally {
    await app.close();
    await api.close();
  }
});

test('soberana serve runs with rate limits, tuned by the config file\'s server.rateLimit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-serve-limits-'));
  const config = join(dir, 'soberana.config.json');
  writeFileSync(config, JSON.stringify({ server: { rateLimit: { max: 3, tokenMax: 7 } } }));
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'soberana.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--no-dashboard', '--json', '--config', config, '--db', join(dir, 's.db'), '--network', 'regtest'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOBERANA_TRUST_PROXY: '' } });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  try {
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const api = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 120_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /"api": "([^"]+)"/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      void exited.then((c) => reject(new Error(`serve exited ${c}: ${out} ${err}`)));
    });
    assert.ok(api.startsWith('http://127.0.0.1:'));
    const statuses: number[] = [];
    for (const path of ['public/summary', 'members', 'openapi.json', 'public/summary']) {
      const res = await fetch(api + path);
      statuses.push(res.status);
      assert.equal(res.headers.get('x-ratelimit-limit'), '3');
    }
    assert.deepEqual(statuses, [200, 401, 200, 429]);
    assert.equal(err, '', 'no warning on loopback');
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
