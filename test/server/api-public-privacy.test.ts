// The public (no token) sees the public dataset and nothing else: no tokens, no session, no
// operator data — and even if a view implementation leaked private fields, the response schemas
// would drop them before they reach the wire. The server has the alliance settlement too, with
// invoices, a closed cycle and a screening hold (startSettlementTestApi): the public settlement
// answer shows the alliance's nets, never an invoice, a descriptor or a hold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';
import { MemoryPublicView, sampleReserve } from '../helpers/memory-public-view.ts';
import { SEEDED_REFERENCES, startSettlementTestApi, type SettlementTestApi } from '../helpers/api-server-settlement.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { policyDoc } from '../spend/fixtures.ts';

const PRIVATE = {
  memo: 'pay the Bukele consultancy invoice 17',
  holder: 'Ministry of Finance vault officer',
  xprv: 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi',
  auditEntry: 'approver 2 signed at 03:00',
  label: 'cold storage behind the Central Reserve Bank',
  tokenHash: 'deadbeef',
};

/** A view that (wrongly) attaches private fields to everything it returns. */
function leaky(inner: PublicReserveView): PublicReserveView {
  const taint = <T>(v: T): T => {
    if (Array.isArray(v)) return v.map(taint) as T;
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = { ...PRIVATE };
      for (const [k, x] of Object.entries(v)) o[k] = taint(x);
      return o as T;
    }
    return v;
  };
  return {
    summary: async () => taint(await inner.summary()),
    holdings: async () => taint(await inner.holdings()),
    addresses: async () => taint(await inner.addresses()),
    transactions: async (q) => taint(await inner.transactions(q)),
    verification: async () => taint(await inner.verification()),
  };
}

let api: SettlementTestApi;
before(async () => {
  api = await startSettlementTestApi({ view: leaky(new MemoryPublicView(sampleReserve({ extra: 10 }))) });
});
after(async () => {
  await api.close();
});

const PUBLIC_GETS = ['/public/summary', '/public/holdings', '/public/addresses', '/public/transactions?limit=500', '/public/verify', '/public/audit-head', '/openapi.json'];
PUBLIC_GETS.push('/public/books'); // the books (issue #13): cost basis, value, announced purchases, risk
PUBLIC_GETS.push('/public/downloads/holdings.csv', '/public/downloads/holdings.json', '/public/downloads/transactions.csv', '/public/downloads/transactions.json', '/public/downloads/addresses.csv', '/public/downloads/addresses.json'); // open data (issue #18)
PUBLIC_GETS.push('/public/proof'); // proof of reserves (issue #14): the newest published proof (none here: { proof: null })
PUBLIC_GETS.push('/public/compliance'); // programme commitments (issue #15): status and alert counts only (with data: test/server/api-compliance.test.ts)
PUBLIC_GETS.push('/public/compliance/stock'); // the public-sector stock by class and alert items, published wallets only (with data: test/server/api-public-compliance-stock.test.ts)
PUBLIC_GETS.push('/public/settlement'); // alliance settlement cycles (issue #16): nets, transfers, txids, no invoice (with data: test/server/api-public-settlement.test.ts)

test('every public GET route is in the list checked here', () => {
  const offered = api.routes.filter((r) => r.permission === 'public.read' && r.method === 'GET').map((r) => r.path);
  for (const path of offered) assert.ok(PUBLIC_GETS.some((u) => u.split('?')[0] === path), `${path} is public but not checked for leaks`);
});

test('public responses never carry private fields, tokens or their names, even from a leaky view', async () => {
  const tokens = await api.tokens.list();
  assert.ok(tokens.length >= 4);
  for (const url of PUBLIC_GETS) {
    const res = await api.app.inject({ url: `/api/v1${url}` });
    assert.equal(res.statusCode, 200, url);
    for (const [k, v] of Object.entries(PRIVATE)) {
      // (the OpenAPI document names operator fields in its schemas; it carries no data)
      if (url !== '/openapi.json') assert.ok(!res.body.includes(`"${k}"`), `${url} leaks the field "${k}"`);
      assert.ok(!res.body.includes(v), `${url} leaks the value of "${k}"`);
    }
    for (const t of tokens) {
      assert.ok(!res.body.includes(t.id), `${url} shows token id ${t.id}`);
      assert.ok(!res.body.includes(t.name), `${url} shows token name ${t.name}`);
    }
    assert.ok(!/sob_[A-Za-z0-9_-]{10}/.test(res.body), `${url} shows a token secret`);
  }
});

test('the public settlement answer shows the alliance but no invoice, descriptor, trading party or screening hold', async () => {
  const res = await api.app.inject({ url: '/api/v1/public/settlement' });
  assert.equal(res.statusCode, 200);
  const answer = res.json() as { members: { code: string }[]; cycles: { id: string }[] };
  assert.deepEqual(answer.members.map((m) => m.code).sort(), ['PAK', 'RUS', 'SLV'], 'the data is really there');
  assert.deepEqual(answer.cycles.map((c) => c.id), [api.cycleId]);
  // (the reserve's own descriptors are published by /public/verify on purpose; the members' receive descriptors never are)
  const descriptors = (await api.settlement.settlement.members()).map((m) => m.receiveDescriptor.replace(/#.*$/, ''));
  assert.equal(descriptors.length, 3);
  for (const url of PUBLIC_GETS.filter((u) => u !== '/openapi.json')) {
    const body = (await api.app.inject({ url: `/api/v1${url}` })).body;
    for (const ref of SEEDED_REFERENCES) assert.ok(!body.includes(ref), `${url} leaks the invoice reference ${ref}`);
    for (const d of descriptors) assert.ok(!body.includes(d), `${url} leaks a member's receive descriptor`);
    assert.ok(!body.includes('Acme Shadow Trading') && !body.includes(api.holdId), `${url} leaks a screening hold or a trading party`);
  }
  // while the alliance's own tokens do see them
  const held = await api.app.inject({ url: '/api/v1/settlement/screening', headers: { authorization: `Bearer ${api.token.auditor}` } });
  assert.ok(held.body.includes(api.holdId) && held.body.includes('Acme Shadow Trading'), held.body.slice(0, 300));
  const settlementReads = api.routes.filter((r) => r.path.startsWith('/settlement/') && r.method === 'GET');
  assert.ok(settlementReads.length >= 8);
  for (const r of settlementReads) {
    const res = await api.app.inject({ url: `/api/v1${r.path.replace(/:\w+/g, 'x')}` });
    assert.equal(res.statusCode, 401, `${r.path} needs a token`);
    for (const ref of SEEDED_REFERENCES) assert.ok(!res.body.includes(ref));
  }
});

test('the public cannot list tokens, see a session, vaults with key holders, or create/revoke tokens', async () => {
  const attempts = [
    { method: 'GET' as const, url: '/api/v1/vaults' },
    { method: 'GET' as const, url: '/api/v1/balance' },
    { method: 'GET' as const, url: '/api/v1/vaults/el-salvador/history' },
    { method: 'GET' as const, url: '/api/v1/tokens' },
    { method: 'GET' as const, url: '/api/v1/session' },
    { method: 'POST' as const, url: '/api/v1/tokens', payload: { name: 'me', role: 'admin' } },
    { method: 'DELETE' as const, url: `/api/v1/tokens/${(await api.tokens.list())[0]?.id ?? ''}` },
  ];
  const before = await api.tokens.list();
  for (const a of attempts) {
    const res = await api.app.inject(a);
    assert.equal(res.statusCode, 401, `${a.method} ${a.url}`);
    assert.deepEqual(Object.keys(res.json() as object), ['error']);
    for (const t of before) assert.ok(!res.body.includes(t.id) && !res.body.includes(t.name));
  }
  assert.deepEqual(await api.tokens.list(), before);
});

test('even the admin never sees a token secret again after creation', async () => {
  const res = await api.app.inject({ url: '/api/v1/tokens', headers: { authorization: `Bearer ${api.token.admin}` } });
  assert.equal(res.statusCode, 200);
  for (const secret of Object.values(api.token)) assert.ok(!res.body.includes(secret));
  assert.ok(!res.body.includes('token_hash') && !res.body.includes('tokenHash'));
});

test('the public never sees governance: no proposal memos, approvals, policy, audit entries or members', async () => {
  // real governance data in the same database: members, a policy, audit entries naming them
  const spends = new SqlSpendStore(api.db);
  const deps = { spends, vaults: new SqlVaultStore(api.db), now: () => Date.UTC(2026, 7, 21), network: 'regtest' as const };
  await addMember(deps, { actor: undefined, name: 'Rosa Secret Administrator', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'Rosa Secret Administrator', name: 'Carlos Hidden Approver', roles: ['approver'], groups: ['central-bank'] });
  await proposePolicy(deps, { actor: 'Rosa Secret Administrator', document: policyDoc() });
  await spends.appendAudit({ actor: 'carlos-hidden-approver', role: 'approver', action: 'spend.approve', object: 'proposal:7', details: { memo: PRIVATE.memo }, atMs: Date.UTC(2026, 7, 21) });
  const secrets = ['Rosa Secret Administrator', 'rosa-secret-administrator', 'carlos-hidden-approver', PRIVATE.memo, 'spend.approve', 'test reserve policy', 'central-bank'];

  for (const url of PUBLIC_GETS.filter((u) => u !== '/openapi.json')) {
    const res = await api.app.inject({ url: `/api/v1${url}` });
    assert.equal(res.statusCode, 200, url);
    for (const s of secrets) assert.ok(!res.body.includes(s), `${url} leaks "${s}"`);
  }
  const governance = ['/proposals', '/proposals/1', '/proposals/1/psbt', '/proposals/1/policy-test', '/policy', '/audit', '/audit/verify', '/members'];
  assert.ok(governance.every((g) => api.routes.some((r) => r.method === 'GET' && r.path === g.replace(/\/1(\/|$)/, '/:id$1'))), 'every governance read is offered (and checked here)');
  for (const url of governance) {
    const res = await api.app.inject({ url: `/api/v1${url}` });
    assert.equal(res.statusCode, 401, url);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    for (const s of secrets) assert.ok(!res.body.includes(s), `${url} leaks "${s}" to the public`);
  }
  // while a token holder does see them (the data is really there)
  const seen = await api.app.inject({ url: '/api/v1/audit', headers: { authorization: `Bearer ${api.token.auditor}` } });
  assert.ok(seen.body.includes('carlos-hidden-approver') && seen.body.includes(PRIVATE.memo.replace(/"/g, '\\"')), seen.body.slice(0, 300));
  const members = await api.app.inject({ url: '/api/v1/members', headers: { authorization: `Bearer ${api.token.operator}` } });
  assert.ok(members.body.includes('Rosa Secret Administrator'));
});
