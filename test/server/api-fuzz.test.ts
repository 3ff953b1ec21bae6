// Thousands of generated bad requests across every endpoint — bad path parameters, queries,
// bodies, content types and headers, with and without a token — from a seeded generator.
// The server must never answer 5xx, never crash, and always explain a 4xx as
// {"error":{"code","message"}} with a code from the domain's list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ERROR_CODES } from '../../src/core/errors.ts';
import { seeded } from '../helpers/memory-public-view.ts';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { policyDoc } from '../spend/fixtures.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20260821);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 4000);

let api: TestApi;
before(async () => {
  api = await startTestApi();
  // members named like the test tokens (a token acts as the member of its name) and a policy, so
  // governance requests reach the use cases instead of stopping at "no such member"
  const deps = { spends: new SqlSpendStore(api.db), vaults: new SqlVaultStore(api.db), now: () => Date.UTC(2026, 7, 21), network: 'regtest' as const };
  await addMember(deps, { actor: undefined, name: 'test admin', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'test admin', name: 'test operator', roles: ['operator', 'treasury-operator'], groups: [] });
  await addMember(deps, { actor: 'test admin', name: 'test approver', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'test admin', name: 'test auditor', roles: ['auditor'], groups: [] });
  await proposePolicy(deps, { actor: 'test admin', document: policyDoc() });
});

test('the fuzzer walks every route, governance included', () => {
  const paths = new Set(api.routes.map((r) => `${r.method} ${r.path}`));
  for (const p of ['GET /proposals', 'POST /proposals', 'GET /proposals/:id/psbt', 'POST /proposals/:id/psbt', 'POST /proposals/:id/approve', 'POST /policy', 'GET /audit', 'GET /members']) {
    assert.ok(paths.has(p), `${p} is not among the routes the fuzzer walks`);
  }
});
after(async () => {
  await api.close();
});

const rand = seeded(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (n: number): number => Math.floor(rand() * n);

const NASTY_STRINGS = [
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '%00', '%ff%fe', '../../etc/passwd', '..%2f..%2f', '<script>alert(1)</script>',
  "' OR 1=1 --", '"; drop table api_tokens; --', '\u0000', '\u202e', 'ñandú', '😀', 'a'.repeat(300), 'tok_', 'tok_zzzzzzzzzzzz', 'tok_0123456789ab',
  'sob_' + 'A'.repeat(43), '__proto__', 'constructor', '0x10', '9007199254740993', '-0', ' 5', '5 ', '1,2', '%', '%%', '#', '?', '&',
];

function randomString(): string {
  if (rand() < 0.6) return pick(NASTY_STRINGS);
  const len = int(80);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCodePoint(rand() < 0.8 ? 32 + int(95) : int(0x2fff));
  return s;
}

function randomJson(depth = 0): unknown {
  const k = int(depth > 3 ? 5 : 8);
  switch (k) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 501, 500, 1]);
    case 3: return randomString();
    case 4: return pick(['admin', 'operator', 'approver', 'auditor', 'king', 'ADMIN', '', 'el-salvador', 'cHNidP8BAAoCAAAAAAAAAAAAAAAA', '70736274ff00']);
    case 5: return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < int(5); i++) o[pick(['name', 'role', 'id', '__proto__', 'constructor', 'limit', 'vault', 'payments', 'feeRateSatPerVb', 'psbt', 'document', 'reason', randomString()])] = randomJson(depth + 1);
      return o;
    }
  }
}

function randomBody(): { payload?: string; contentType?: string } {
  switch (int(9)) {
    case 0: return {};
    case 1: return { payload: '{"name": "x", "role": ', contentType: 'application/json' }; // truncated JSON
    case 2: return { payload: JSON.stringify(randomJson()), contentType: 'application/json' };
    case 3: return { payload: JSON.stringify(randomJson()), contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'garbage']) };
    case 4: return { payload: 'x'.repeat(1024 * 1024 + 10), contentType: 'application/json' }; // over the body limit
    case 5: return { payload: '{"__proto__": {"role": "admin"}, "name": "p", "role": "auditor", "constructor": {"prototype": {"x": 1}}}', contentType: 'application/json' };
    case 6: return { payload: '[' .repeat(5000) + ']'.repeat(5000), contentType: 'application/json' }; // deep nesting
    case 7: return { payload: JSON.stringify({ name: randomString(), role: randomJson() }), contentType: 'application/json' };
    default: return { payload: randomString(), contentType: 'application/json' };
  }
}

function randomQuery(): string {
  const parts: string[] = [];
  for (let i = 0; i < int(4); i++) {
    const key = pick(['limit', 'before', 'limit', 'before', 'branch', 'used', randomString(), '__proto__', 'limit[]', 'before[0]']);
    const value = pick([randomString(), String(int(1000) - 100), 'abc', '1.5', '0', '501', '', 'true', 'change', 'receive']);
    parts.push(`${encodeURIComponent(key)}=${rand() < 0.8 ? encodeURIComponent(value) : value.replace(/[#\s]/g, '')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function randomAuth(): string | undefined {
  switch (int(8)) {
    case 0: case 1: return undefined;
    case 2: return `Bearer ${api.token.admin}`;
    case 3: return `Bearer ${pick([api.token.operator, api.token.auditor, api.token.approver])}`;
    case 4: return pick(['Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Bearer sob_', `Bearer ${api.token.admin}x`, `Bearer  ${api.token.admin}`, 'x'.repeat(5000)]);
    default: return `Bearer ${randomString().replace(/[^\x20-\x7e]/g, '')}`;
  }
}

test(`${ROUNDS} generated bad requests (seed ${SEED}): no 5xx, no crash, every 4xx explained`, async () => {
  const paths = api.routes.map((r) => r.path);
  const codes = new Set<string>(ERROR_CODES);
  const seen = new Map<number, number>();
  for (let i = 0; i < ROUNDS; i++) {
    let path = pick(paths);
    path = path.replace(/:\w+/g, (p) => (p === ':id' && rand() < 0.3 ? String(int(4)) : rand() < 0.2 ? 'el-salvador' : encodeURIComponent(randomString()) || 'x'));
    if (rand() < 0.1) path += pick(['/', '//', '/extra', '%2f..', '?']);
    const method = rand() < 0.8 ? pick(['GET', 'POST', 'DELETE']) : pick(['PUT', 'PATCH', 'OPTIONS', 'HEAD']);
    const body = method === 'GET' || method === 'HEAD' ? (rand() < 0.2 ? randomBody() : {}) : randomBody();
    const headers: Record<string, string> = {};
    const auth = randomAuth();
    if (auth !== undefined) headers.authorization = auth;
    if (body.contentType) headers['content-type'] = body.contentType;
    if (rand() < 0.1) headers.accept = pick(['text/html', '*/*', 'application/xml', randomString().replace(/[^\x20-\x7e]/g, '')]);
    if (rand() < 0.05) headers['x-forwarded-for'] = randomString().replace(/[^\x20-\x7e]/g, '');
    const req = { method: method as 'GET', url: `/api/v1${path}${randomQuery()}`, headers, ...(body.payload !== undefined ? { payload: body.payload } : {}) };
    const res = await api.app.inject(req);
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
    const what = `#${i} ${req.method} ${req.url.slice(0, 200)} auth=${String(auth).slice(0, 30)} ct=${body.contentType} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
    assert.ok(res.statusCode < 500, what);
    if (res.statusCode >= 400 && method !== 'HEAD') {
      let parsed: { error?: { code?: unknown; message?: unknown } };
      try {
        parsed = res.json();
      } catch {
        assert.fail(`not JSON: ${what}`);
      }
      assert.equal(typeof parsed.error?.message, 'string', what);
      assert.ok((parsed.error?.message as string).length > 0, what);
      assert.ok(typeof parsed.error?.code === 'string' && codes.has(parsed.error.code), `unknown code: ${what}`);
      assert.deepEqual(Object.keys(parsed), ['error'], what);
    }
  }
  // the generator must actually reach both outcomes, or it proves nothing
  const ok = [...seen].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
  const bad = [...seen].filter(([s]) => s >= 400).reduce((a, [, n]) => a + n, 0);
  assert.ok(bad > ROUNDS / 2, `too few rejected requests: ${JSON.stringify([...seen])}`);
  assert.ok(ok > 0, `no request succeeded: ${JSON.stringify([...seen])}`);
  for (const s of [400, 401, 403, 404]) assert.ok((seen.get(s) ?? 0) > 0, `never saw ${s}: ${JSON.stringify([...seen])}`);

  // and the server is still healthy afterwards
  const health = await api.app.inject({ url: '/api/v1/public/summary' });
  assert.equal(health.statusCode, 200);
  // nobody became admin through a polluted prototype
  assert.equal(({} as Record<string, unknown>).role, undefined);
});
