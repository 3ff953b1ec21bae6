// Issue #19's display-text rule on the public routes too: a vault name carrying a bidi override or a
// control character reaches no public answer raw — also the pre-serialized, ETag-cached ones, which
// skip Fastify's preSerialization hook.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ extra: 3 });
  await sql`update vaults set name = ${'Reserve\u202Eevil\u0007 '} || id`.execute(api.db.db);
});
after(async () => api.close());

test('no public answer carries a raw bidi override or control character from a stored name', async () => {
  const paths = api.routes.filter((r) => r.permission === 'public.read' && r.method === 'GET' && !r.path.includes(':')).map((r) => r.path);
  let withName = 0;
  for (const p of paths) {
    const res = await api.app.inject({ method: 'GET', url: `/api/v1${p}` });
    assert.ok(res.statusCode === 200 || res.statusCode === 404, `${p}: ${res.statusCode}`);
    assert.ok(!res.body.includes("\u202E") && !res.body.includes("\u0007"), p);
    if (res.body.includes('Reserve')) withName++;
  }
  assert.ok(withName >= 2, `the name must appear (escaped) in some answers: ${withName}`);
});
