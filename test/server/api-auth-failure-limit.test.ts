// Failed bearer authentications are limited per client address: after authFailureMax failures in
// the window, every bearer request from that address gets 429 RATE_LIMITED with Retry-After before
// its token is even looked up; other addresses (and their valid tokens) are unaffected, and the
// presented token never reaches the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiTokenStore } from '../../src/core/auth/roles.ts';
import { buildServer, type RateLimits } from '../../src/server/app.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

type Res = { statusCode: number; headers: Record<string, unknown>; json(): unknown };
const code = (r: Res): string | undefined => (r.json() as { error?: { code: string } }).error?.code;
const WRONG = 'sob_' + 'A'.repeat(43); // well-formed, unknown

/** The test API's server again, with these limits and a token store that counts lookups. */
async function limited(api: TestApi, rateLimit: RateLimits) {
  let lookups = 0;
  const tokens: ApiTokenStore = {
    create: (i) => api.tokens.create(i),
    list: () => api.tokens.list(),
    revoke: (id) => api.tokens.revoke(id),
    authenticate: (s) => {
      lookups++;
      return api.tokens.authenticate(s);
    },
  };
  const app = await buildServer({ ...api.deps, tokens, rateLimit });
  const session = (token: string, remoteAddress: string) => app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${token}` }, remoteAddress });
  return { app, session, lookups: () => lookups };
}

test('N failed bearer attempts from one address, then 429 with Retry-After before any token lookup', async () => {
  const api = await startTestApi();
  const s = await limited(api, { max: 1000, timeWindowMs: 60_000, authFailureMax: 3, authFailureWindowMs: 60_000 });
  try {
    const a = '203.0.113.40';
    for (let i = 0; i < 3; i++) {
      const r = await s.session(WRONG, a);
      assert.equal(r.statusCode, 401);
      assert.equal(code(r), 'UNAUTHENTICATED');
    }
    assert.equal(s.lookups(), 3);
    const refused = await s.session(WRONG, a);
    assert.equal(refused.statusCode, 429);
    assert.equal(code(refused), 'RATE_LIMITED');
    const retry = Number(refused.headers['retry-after']);
    assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
    // refused before the lookup: even a valid token from this address waits for the window
    const valid = await s.session(api.token.operator, a);
    assert.equal(valid.statusCode, 429);
    assert.equal(s.lookups(), 3, 'no token was looked up once the address was refused');
    assert.ok(!JSON.stringify(refused.json()).includes(WRONG));
    // another address: its valid token works, its failures are its own
    const b = '198.51.100.41';
    assert.equal((await s.session(api.token.operator, b)).statusCode, 200);
    assert.equal((await s.session(WRONG, b)).statusCode, 401);
    // requests without a token from the refused address are still served (public allowance)
    assert.equal((await s.app.inject({ url: '/api/v1/public/summary', remoteAddress: a })).statusCode, 200);
  } finally {
    await s.app.close();
    await api.close();
  }
});

test('malformed Authorization headers count as failures too; successes never do', async () => {
  const api = await startTestApi();
  const s = await limited(api, { max: 1000, timeWindowMs: 60_000, authFailureMax: 2, authFailureWindowMs: 60_000 });
  try {
    const a = '203.0.113.50';
    for (let i = 0; i < 10; i++) assert.equal((await s.session(api.token.auditor, a)).statusCode, 200);
    const basic = (remoteAddress: string) => s.app.inject({ url: '/api/v1/session', headers: { authorization: 'Basic dXNlcjpwYXNz' }, remoteAddress });
    assert.equal((await basic(a)).statusCode, 401);
    assert.equal((await basic(a)).statusCode, 401);
    assert.equal((await basic(a)).statusCode, 429);
    assert.equal(s.lookups(), 10, 'malformed headers are never looked up');
  } finally {
    await s.app.close();
    await api.close();
  }
});

test('the address is served again when the window ends', async () => {
  const api = await startTestApi();
  const s = await limited(api, { max: 1000, timeWindowMs: 60_000, authFailureMax: 1, authFailureWindowMs: 400 });
  try {
    const a = '203.0.113.60';
    assert.equal((await s.session(WRONG, a)).statusCode, 401);
    assert.equal((await s.session(api.token.admin, a)).statusCode, 429);
    await sleep(500);
    assert.equal((await s.session(api.token.admin, a)).statusCode, 200);
  } finally {
    await s.app.close();
    await api.close();
  }
});

test('the presented token is never logged, even when the limit trips', () => {
  // a child process, so the server's own log (pino on stdout, level debug) can be read whole
  const script = `
    import { startTestApi } from './test/helpers/api-server.ts';
    import { buildServer } from './src/server/app.ts';
    const api = await startTestApi();
    const app = await buildServer({ ...api.deps, logLevel: 'debug', rateLimit: { max: 100, timeWindowMs: 60000, authFailureMax: 2 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const r = await app.inject({ url: '/api/v1/session', headers: { authorization: 'Bearer ${WRONG}' }, remoteAddress: '203.0.113.70' });
      statuses.push(r.statusCode);
    }
    const ok = await app.inject({ url: '/api/v1/session', headers: { authorization: 'Bearer ' + api.token.admin }, remoteAddress: '203.0.113.71' });
    statuses.push(ok.statusCode);
    await app.close();
    process.stderr.write('VALID=' + api.token.admin + ' STATUSES=' + statuses.join(',') + '\\n');
    await api.close();
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /VALID=(\S+) STATUSES=(\S+)/.exec(r.stderr);
  assert.ok(m?.[1] && m[2], r.stderr);
  assert.equal(m[2], '401,401,429,429,200');
  assert.match(r.stdout, /failed API authentications reached the limit/);
  assert.match(r.stdout, /incoming request/, 'the log was on');
  assert.ok(!r.stdout.includes(WRONG) && !r.stdout.includes(WRONG.slice(4, 20)), 'the wrong token is not in the log');
  assert.ok(!r.stdout.includes(m[1]), 'the valid token is not in the log');
});
