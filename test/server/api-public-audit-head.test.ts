// GET /api/v1/public/audit-head: the audit log's head is published, with no token, so anyone can
// keep it and later catch a log cut, rewritten or wiped. It shows the last entry's number, hash
// and time and how many entries there are — nothing else of the log (no actor, action, object,
// details, memo) — is cached like the other public answers, and is the empty log's head where
// the server has no governance.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApi, TEST_NOW, type TestApi } from '../helpers/api-server.ts';
import { buildServer } from '../../src/server/app.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { GENESIS_PREV_HASH } from '../../src/core/audit/hash-chain.ts';
import { parseHeadsFile } from '../../src/core/audit/kept-heads.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ extra: 2 });
});
after(async () => {
  await api.close();
});

const MEMO = 'pay the consultancy invoice 17';

test('with no token: an empty log is 0 and the genesis hash; then the last entry\'s seq, hash and time and the count, nothing else', async () => {
  const empty = await api.app.inject({ url: '/api/v1/public/audit-head' });
  assert.equal(empty.statusCode, 200);
  assert.deepEqual(empty.json(), { seq: 0, hash: GENESIS_PREV_HASH, at: null, entries: 0 });

  const spends = new SqlSpendStore(api.db);
  for (let i = 1; i <= 3; i++) {
    await spends.appendAudit({ actor: 'carlos-approver', role: 'approver', action: 'spend.approve', object: `proposal:${i}`, details: { memo: MEMO }, atMs: TEST_NOW + i * 1000 });
  }
  const res = await api.app.inject({ url: '/api/v1/public/audit-head' });
  assert.equal(res.statusCode, 200);
  const last = (await spends.auditLog()).at(-1);
  assert.deepEqual(res.json(), { seq: 3, hash: last?.hash, at: '2026-08-21T12:00:03.000Z', entries: 3 });
  assert.deepEqual(Object.keys(res.json() as object).sort(), ['at', 'entries', 'hash', 'seq']);
  for (const s of ['carlos', 'approver', 'spend.approve', 'proposal', MEMO, last?.prevHash ?? '-']) assert.ok(!res.body.includes(s), `leaks "${s}"`);

  // saved as an auditor would (curl -s -w '\n' … >> heads.txt), it is a kept head the log holds
  const kept = parseHeadsFile(`${res.body}\n`);
  const v = await verifyAuditLog({ spends }, { keptHeads: kept });
  assert.deepEqual([v.ok, v.kept[0]?.after], [true, 0]);
});

test('answers are reused for the public cache time, then fresh', async () => {
  let now = TEST_NOW;
  const app = await buildServer({ ...api.deps, publicCacheMs: 5000, clock: { now: () => now } });
  try {
    const spends = new SqlSpendStore(api.db);
    const before = (await app.inject({ url: '/api/v1/public/audit-head' })).json() as { seq: number };
    await spends.appendAudit({ actor: 'x', role: 'operator', action: 'spend.propose', object: 'proposal:9', details: {}, atMs: TEST_NOW + 9000 });
    now += 4999;
    assert.deepEqual((await app.inject({ url: '/api/v1/public/audit-head' })).json(), before, 'within the cache time: the same answer');
    now += 1;
    assert.equal(((await app.inject({ url: '/api/v1/public/audit-head' })).json() as { seq: number }).seq, before.seq + 1);
  } finally {
    await app.close();
  }
});

test('a server without governance publishes the empty log\'s head (the dashboard never meets a 404)', async () => {
  const { governance: _g, ...rest } = api.deps;
  const app = await buildServer(rest);
  try {
    const res = await app.inject({ url: '/api/v1/public/audit-head' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { seq: 0, hash: GENESIS_PREV_HASH, at: null, entries: 0 });
  } finally {
    await app.close();
  }
});
