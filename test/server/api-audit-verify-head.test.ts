// GET /api/v1/audit/verify?head=SEQ:HASH (auditor token): the log is checked against heads kept
// elsewhere too; a tail cut with the stored head moved back is ok:false naming the entry, a
// malformed head is 400, and the public gets 401.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { startTestApi, TEST_NOW, type TestApi } from '../helpers/api-server.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { formatHead } from '../../src/core/audit/kept-heads.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ extra: 2 });
});
after(async () => {
  await api.close();
});

test('audit/verify?head= holds the kept heads; a cut tail covered in the stored head is named; bad heads are 400; the public is refused', async () => {
  const spends = new SqlSpendStore(api.db);
  for (let i = 1; i <= 5; i++) await spends.appendAudit({ actor: 'ana', role: 'operator', action: 'spend.propose', object: `proposal:${i}`, details: {}, atMs: TEST_NOW + i });
  const log = await spends.auditLog();
  const early = formatHead({ seq: 2, hash: log[1]?.hash ?? '' });
  const kept = formatHead({ seq: 5, hash: log[4]?.hash ?? '' });
  const auth = { authorization: `Bearer ${api.token.auditor}` };
  const get = (q: string) => api.app.inject({ url: `/api/v1/audit/verify${q}`, headers: auth });

  let res = await get(`?head=${early}&head=${kept}`);
  assert.equal(res.statusCode, 200, res.body);
  let body = res.json() as { ok: boolean; kept: Array<{ seq: number; ok: boolean; after: number | null; message: string | null }> };
  assert.equal(body.ok, true);
  assert.deepEqual(body.kept.map((k) => [k.seq, k.ok, k.after]), [[2, true, 3], [5, true, 0]]);

  await sql`delete from audit_log where seq > 3`.execute(api.db.db);
  await sql`update settings set value = ${JSON.stringify({ seq: 3, hash: log[2]?.hash })} where key = 'audit_head'`.execute(api.db.db);
  assert.equal((await get('').then((r) => r.json() as { ok: boolean })).ok, true, 'the plain check passes the covered cut');
  res = await get(`?head=${kept}`);
  body = res.json() as typeof body;
  assert.equal(body.ok, false);
  assert.equal(body.kept[0]?.message, 'the log ends at entry 3 but you kept a head at entry 5: entries were cut');
  assert.match((res.json() as { summary: string }).summary, /entries were cut/);

  for (const bad of ['5', `5:${'zz'.repeat(32)}`]) {
    const r = await get(`?head=${encodeURIComponent(bad)}`);
    assert.equal(r.statusCode, 400, bad);
    assert.equal((r.json() as { error: { code: string } }).error.code, 'INVALID_ARGUMENT');
  }
  assert.equal((await api.app.inject({ url: `/api/v1/audit/verify?head=${kept}` })).statusCode, 401);
});
