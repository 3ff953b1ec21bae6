// Every role against every endpoint: allowed (2xx) or refused — 401 for the public (no token),
// 403 for a role that lacks the permission. The expected table is written out here by hand, not
// derived from the code's matrix, and every route the server offers must be in it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PRINCIPALS, type Principal } from '../../src/core/auth/roles.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

type Ep = `${'GET' | 'POST' | 'DELETE'} ${string}`;
const ALL: Principal[] = ['public', 'admin', 'operator', 'approver', 'auditor'];
const TOKEN_HOLDERS: Principal[] = ['admin', 'operator', 'approver', 'auditor'];

/** Who may call what. */
const EXPECTED: Record<Ep, Principal[]> = {
  'GET /public/summary': ALL,
  'GET /public/holdings': ALL,
  'GET /public/addresses': ALL,
  'GET /public/transactions': ALL,
  'GET /public/verify': ALL,
  'GET /openapi.json': ALL,
  'GET /session': TOKEN_HOLDERS,
  'GET /vaults': TOKEN_HOLDERS,
  'GET /balance': TOKEN_HOLDERS,
  'GET /vaults/:vault': TOKEN_HOLDERS,
  'GET /vaults/:vault/utxos': TOKEN_HOLDERS,
  'GET /vaults/:vault/history': TOKEN_HOLDERS,
  'GET /vaults/:vault/addresses': TOKEN_HOLDERS,
  'GET /tokens': ['admin'],
  'POST /tokens': ['admin'],
  'DELETE /tokens/:id': ['admin'],
};

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(async () => {
  await api.close();
});

test('the table covers exactly the routes the server offers', () => {
  const offered = api.routes.map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual(offered, Object.keys(EXPECTED).sort());
});

for (const [ep, allowed] of Object.entries(EXPECTED)) {
  for (const who of PRINCIPALS) {
    const ok = allowed.includes(who);
    test(`${who} ${ok ? 'may' : 'may not'} ${ep}`, async () => {
      const [method, path] = ep.split(' ') as ['GET' | 'POST' | 'DELETE', string];
      let url = `/api/v1${path}`;
      if (path.includes(':id')) {
        // a real token to revoke, so that an allowed call succeeds
        const victim = await api.tokens.create({ name: `victim for ${who}`, role: 'auditor' });
        url = url.replace(':id', victim.id);
      }
      url = url.replace(':vault', 'el-salvador');
      const res = await api.app.inject({
        method,
        url,
        headers: who === 'public' ? {} : { authorization: `Bearer ${api.token[who]}` },
        ...(method === 'POST' ? { payload: { name: `made by ${who}`, role: 'auditor' } } : {}),
      });
      const body = res.json() as { error?: { code: string; message: string } };
      if (ok) {
        assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${res.statusCode} ${res.body}`);
        assert.equal(body.error, undefined);
      } else {
        assert.equal(res.statusCode, who === 'public' ? 401 : 403, res.body);
        assert.equal(body.error?.code, who === 'public' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
        assert.ok((body.error?.message.length ?? 0) > 0);
      }
    });
  }
}

test('a refused call changes nothing: an operator cannot create or revoke tokens', async () => {
  const before = await api.tokens.list();
  await api.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${api.token.operator}` }, payload: { name: 'sneaky', role: 'admin' } });
  await api.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${before[0]?.id ?? ''}`, headers: { authorization: `Bearer ${api.token.approver}` } });
  assert.deepEqual(await api.tokens.list(), before);
});

test('a bad or revoked token is 401 everywhere, even on public endpoints', async () => {
  const t = await api.tokens.create({ name: 'short-lived', role: 'admin' });
  await api.tokens.revoke(t.id);
  for (const authorization of [`Bearer ${t.token}`, 'Bearer sob_nope', 'Basic YWRtaW46YWRtaW4=', 'Bearer', `Token ${api.token.admin}`]) {
    const res = await api.app.inject({ url: '/api/v1/public/summary', headers: { authorization } });
    assert.equal(res.statusCode, 401, authorization);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  }
  const lower = await api.app.inject({ url: '/api/v1/session', headers: { authorization: `bearer ${api.token.auditor}` } });
  assert.equal(lower.statusCode, 200, 'the scheme name is case-insensitive');
});
