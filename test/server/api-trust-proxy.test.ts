// X-Forwarded-For decides the client address only when trust-proxy names who may set it. Off (the
// default), the header is ignored: a client cannot spoof its way to a fresh allowance. On, two
// clients behind one proxy get separate allowances. Also: how the setting is parsed (flag, env,
// config file) and that `serve` refuses a nonsense value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, startServer, type TrustProxy } from '../../src/server/app.ts';
import { loadConfig, parseTrustProxy } from '../../src/adapters/config/load-config.ts';
import { isDomainError } from '../../src/core/errors.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

const LIMIT = { max: 2, timeWindowMs: 60_000, authFailureMax: 2, authFailureWindowMs: 60_000 };
const PROXY = '127.0.0.1';

async function serverWith(api: TestApi, trustProxy: TrustProxy | undefined) {
  const app = await buildServer({ ...api.deps, rateLimit: LIMIT, ...(trustProxy === undefined ? {} : { trustProxy }) });
  const get = async (xff: string | undefined, remoteAddress = PROXY, headers: Record<string, string> = {}) =>
    (await app.inject({ url: '/api/v1/public/summary', remoteAddress, headers: { ...headers, ...(xff ? { 'x-forwarded-for': xff } : {}) } })).statusCode;
  return { app, get };
}

test('without trust-proxy a spoofed X-Forwarded-For does not reset the allowance', async () => {
  const api = await startTestApi();
  try {
    for (const setting of [undefined, false, 0] as const) {
      const s = await serverWith(api, setting);
      const statuses = [await s.get('203.0.113.1'), await s.get('203.0.113.2'), await s.get('203.0.113.3'), await s.get(undefined)];
      assert.deepEqual(statuses, [200, 200, 429, 429], `trustProxy ${String(setting)}`);
      await s.app.close();
    }
  } finally {
    await api.close();
  }
});

test('with trust-proxy two clients behind one proxy get separate allowances', async () => {
  const api = await startTestApi();
  try {
    for (const setting of [[PROXY], ['loopback'], ['127.0.0.0/8', '10.0.0.0/8'], 1, true] as const) {
      const s = await serverWith(api, setting);
      const label = `trustProxy ${JSON.stringify(setting)}`;
      assert.deepEqual([await s.get('203.0.113.1'), await s.get('203.0.113.1'), await s.get('203.0.113.1')], [200, 200, 429], label);
      assert.deepEqual([await s.get('203.0.113.2'), await s.get('203.0.113.2')], [200, 200], `${label}: the second client has its own allowance`);
      // what the client itself wrote before the proxy appended the real address is not believed …
      if (setting !== true) assert.equal(await s.get('198.51.100.99, 203.0.113.1'), 429, label);
      // … except with `true`, which trusts every hop: the leftmost address wins, whoever wrote it
      else assert.equal(await s.get('198.51.100.99, 203.0.113.1'), 200, label);
      await s.app.close();
    }
  } finally {
    await api.close();
  }
});

test('with a list of proxies, X-Forwarded-For from any other peer is ignored', async () => {
  const api = await startTestApi();
  try {
    const s = await serverWith(api, [PROXY]);
    const direct = '198.51.100.7'; // reached the port directly, not through the proxy
    assert.deepEqual([await s.get('203.0.113.11', direct), await s.get('203.0.113.12', direct), await s.get('203.0.113.13', direct)], [200, 200, 429]);
    await s.app.close();
  } finally {
    await api.close();
  }
});

test('behind a trusted proxy the failed-authentication limit is per client too', async () => {
  const api = await startTestApi();
  try {
    const s = await serverWith(api, [PROXY]);
    const bad = { authorization: 'Bearer sob_' + 'B'.repeat(43) };
    const session = async (client: string, headers: Record<string, string>) =>
      (await s.app.inject({ url: '/api/v1/session', remoteAddress: PROXY, headers: { ...headers, 'x-forwarded-for': client } })).statusCode;
    assert.deepEqual([await session('203.0.113.21', bad), await session('203.0.113.21', bad), await session('203.0.113.21', bad)], [401, 401, 429]);
    assert.equal(await session('203.0.113.22', { authorization: `Bearer ${api.token.operator}` }), 200);
    await s.app.close();
  } finally {
    await api.close();
  }
});

test('a real listener on 127.0.0.1 behind a trusted proxy address', async () => {
  const api = await startTestApi();
  const { app, url } = await startServer({ ...api.deps, rateLimit: LIMIT, trustProxy: ['127.0.0.1', '::1'] }, { port: 0, host: '127.0.0.1' });
  try {
    const get = (xff: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${url}api/v1/public/summary`, { headers: { 'x-forwarded-for': xff } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual([await get('203.0.113.31'), await get('203.0.113.31'), await get('203.0.113.31'), await get('203.0.113.32')], [200, 200, 429, 200]);
  } finally {
    await app.close();
    await api.close();
  }
});

test('parseTrustProxy: true, false, hop counts, addresses, CIDRs and names; nonsense refused', () => {
  assert.equal(parseTrustProxy('true', 'x'), true);
  assert.equal(parseTrustProxy('FALSE', 'x'), false);
  assert.equal(parseTrustProxy('0', 'x'), false);
  assert.equal(parseTrustProxy('2', 'x'), 2);
  assert.deepEqual(parseTrustProxy('127.0.0.1', 'x'), ['127.0.0.1']);
  assert.deepEqual(parseTrustProxy(' 10.0.0.0/8, ::1 ,fd00::/8,loopback', 'x'), ['10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
  for (const bad of ['yes', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', 'proxy.example', '127.0.0.1,', '1.5', '-1', '1000', '']) {
    assert.throws(() => parseTrustProxy(bad, '--trust-proxy'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_CONFIG' && e.message.startsWith('--trust-proxy'), bad);
  }
});

test('loadConfig: server.trustProxy, server.rateLimit and server.webauthn from the file, SOBERANA_TRUST_PROXY over the file, off by default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-trust-'));
  try {
    const file = (server: unknown): string => {
      const p = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(p, JSON.stringify({ server }));
      return p;
    };
    assert.deepEqual(loadConfig({ config: file(undefined) }, {}).server, { trustProxy: false, rateLimit: undefined, webauthn: undefined });
    assert.deepEqual(loadConfig({ config: file({ trustProxy: ['127.0.0.1'], rateLimit: { max: 100, authFailureMax: 5 } }) }, {}).server, { trustProxy: ['127.0.0.1'], rateLimit: { max: 100, authFailureMax: 5 }, webauthn: undefined });
    assert.equal(loadConfig({ config: file({ trustProxy: 1 }) }, {}).server.trustProxy, 1);
    assert.equal(loadConfig({ config: file({ trustProxy: true }) }, {}).server.trustProxy, true);
    assert.deepEqual(loadConfig({ config: file({ trustProxy: '127.0.0.1,::1' }) }, {}).server.trustProxy, ['127.0.0.1', '::1']);
    assert.deepEqual(loadConfig({ config: file({ trustProxy: true }) }, { SOBERANA_TRUST_PROXY: '10.1.2.3' }).server.trustProxy, ['10.1.2.3']);
    // passkey settings: the relying party and its exact origins
    assert.deepEqual(loadConfig({ config: file({ webauthn: { rpId: 'Reserve.Example.org', origins: ['https://reserve.example.org', 'https://dash.reserve.example.org'], userVerification: 'required' } }) }, {}).server.webauthn, {
      rpId: 'reserve.example.org', origins: ['https://reserve.example.org', 'https://dash.reserve.example.org'], requireUserVerification: true,
    });
    assert.deepEqual(loadConfig({ config: file({ webauthn: { rpId: 'localhost', origins: ['http://localhost:8080'] } }) }, {}).server.webauthn, { rpId: 'localhost', origins: ['http://localhost:8080'], requireUserVerification: false });
    const badWebauthn = [
      { webauthn: { rpId: '10.0.0.1', origins: ['https://10.0.0.1'] } }, // an IP is no relying party
      { webauthn: { rpId: 'reserve.example.org', origins: ['http://reserve.example.org'] } }, // http off localhost
      { webauthn: { rpId: 'reserve.example.org', origins: ['https://evil.example.com'] } }, // not on the rp
      { webauthn: { rpId: 'reserve.example.org', origins: ['https://reserve.example.org/'] } }, // trailing slash
      { webauthn: { rpId: 'reserve.example.org', origins: [] } },
      { webauthn: { rpId: 'reserve.example.org', origins: ['https://reserve.example.org'], userVerification: 'maybe' } },
      { webauthn: { origins: ['https://reserve.example.org'] } },
      { webauthn: { rpId: 'reserve.example.org', origins: ['https://reserve.example.org'], extra: 1 } },
    ];
    for (const bad of [...badWebauthn, { trustProxy: 'nope' }, { trustProxy: -1 }, { trustProxy: [1] }, { trustProxy: {} }, { rateLimit: { max: 0 } }, { rateLimit: { max: '10' } }, { rateLimit: { perMinute: 10 } }, { trustproxy: true }, []]) {
      assert.throws(() => loadConfig({ config: file(bad) }, {}), (e: unknown) => isDomainError(e) && e.code === 'INVALID_CONFIG', JSON.stringify(bad));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('soberana serve --trust-proxy refuses a value that is no setting (usage error, exit 2)', () => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'soberana.js'), 'serve', '--trust-proxy', 'everyone', '--port', '0'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--trust-proxy: "everyone" is not/);
});
