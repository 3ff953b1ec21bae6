// Only the member's own enrolment binds a token to a member (issue #19 item 1), through the real
// server on SQLite and PostgreSQL: an admin issues a one-time enrolment code for a member and a role
// they hold (POST /tokens/enrolments), the member redeems it without a token (POST /enrol) for a
// token bound to them. The code works once, expires, can be revoked; a wrong code makes no token;
// of concurrent redemptions exactly one wins; the code is never stored in clear; every step is in
// the audit log naming the member and the token; failed redemptions are rate limited per address.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { forEachEngine, type EngineContext } from '../helpers/engines.ts';
import { buildServer } from '../../src/server/app.ts';
import type { RateLimits } from '../../src/server/deps.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { addMember } from '../../src/app/add-member.ts';
import { issueEnrolment, redeemEnrolment } from '../../src/app/enrol-member.ts';

const T0 = Date.parse('2026-08-21T12:00:00Z');

type Res = { statusCode: number; headers: Record<string, unknown>; body: string; json(): unknown };
type Json = Record<string, unknown>;
const errorCode = (r: Res): string | undefined => (r.json() as { error?: { code: string } }).error?.code;

interface Env {
  db: Database;
  /** The database's URL (SQLite: its file). */
  url: string;
  engine: EngineContext['engine'];
  app: FastifyInstance;
  tokens: SqlApiTokenStore;
  spends: SqlSpendStore;
  clock: { now: () => number; advance: (ms: number) => void };
  admin: { id: string; token: string };
  call(method: 'GET' | 'POST' | 'DELETE', url: string, opts?: { token?: string; payload?: object; remoteAddress?: string }): Promise<Res>;
  /** A server over the same stores with these rate limits. */
  limited(rateLimit: RateLimits): Promise<FastifyInstance>;
  /** Every code this file issued, to look for in the database. */
  codes: string[];
}

async function makeEnv(t: EngineContext): Promise<Env> {
  const url = await t.url();
  const db = await openDatabase({ url });
  let nowMs = T0;
  const clock = { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
  const spends = new SqlSpendStore(db);
  const gov = { spends, vaults: new SqlVaultStore(db), now: clock.now, network: 'regtest' as const };
  await addMember(gov, { actor: undefined, name: 'rosa', roles: ['admin'], groups: [] });
  await addMember(gov, { actor: 'rosa', name: 'maria', roles: ['approver'], groups: ['finance'] });
  await addMember(gov, { actor: 'rosa', name: 'luis', roles: ['operator'], groups: [] });
  const tokens = new SqlApiTokenStore(db, { clock });
  // bootstrap, as the CLI does it: the first admin enrols too ("token enrol-code", then "token enrol")
  const codes: string[] = [];
  const boot = await issueEnrolment({ tokens, spends, now: clock.now }, { actor: 'cli', role: 'admin' }, { memberId: 'rosa', role: 'admin' });
  codes.push(boot.code);
  const adminToken = await redeemEnrolment({ tokens, now: clock.now }, boot.code, { name: 'rosa desk' });
  const depsFor = (rateLimit: RateLimits | null) => ({
    publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: gov.vaults,
    governance: { spends, network: 'regtest' as const }, clock, webRoot: null, rateLimit,
  });
  const app = await buildServer(depsFor(null));
  const call: Env['call'] = (method, url, opts = {}) =>
    app.inject({
      method, url: `/api/v1${url}`, ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
      headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {}, ...(opts.payload ? { payload: opts.payload } : {}),
    });
  return { db, url, engine: t.engine, app, tokens, spends, clock, admin: { id: adminToken.id, token: adminToken.token }, call, limited: (r) => buildServer(depsFor(r)), codes };
}

async function issueCode(env: Env, body: Json): Promise<Json & { code: string; id: string }> {
  const r = await env.call('POST', '/tokens/enrolments', { token: env.admin.token, payload: body });
  assert.equal(r.statusCode, 201, r.body);
  const e = r.json() as Json & { code: string; id: string };
  env.codes.push(e.code);
  return e;
}

const enrol = (env: Env, code: string, name: string, remoteAddress?: string) => env.call('POST', '/enrol', { payload: { code, name }, ...(remoteAddress ? { remoteAddress } : {}) });

forEachEngine('token enrolment', (t) => {
  let made: Promise<Env> | undefined;
  const env = () => (made ??= makeEnv(t));
  after(async () => {
    if (!made) return;
    const e = await made;
    await e.app.close();
    await e.db.close();
  });

  test('an admin cannot bind a token to an approver directly: only the member\'s enrolment does', async () => {
    const e = await env();
    const before = await e.tokens.list();
    const direct = await e.call('POST', '/tokens', { token: e.admin.token, payload: { name: 'maria', role: 'approver', member: 'maria' } });
    assert.equal(direct.statusCode, 403, direct.body);
    assert.equal(errorCode(direct), 'FORBIDDEN');
    assert.match(direct.body, /enrolment/);
    assert.deepEqual(await e.tokens.list(), before, 'no token was made');

    const issued = await issueCode(e, { member: 'maria', role: 'approver' });
    assert.match(issued.code, /^soe_[a-z2-7]{32}$/);
    assert.equal(issued.state, 'pending');
    assert.equal(issued.expiresAt, new Date(e.clock.now() + 86_400_000).toISOString(), 'lives 24 hours by default');
    const listed = await e.call('GET', '/tokens/enrolments', { token: e.admin.token });
    assert.equal(listed.statusCode, 200);
    assert.ok(!listed.body.includes(issued.code), 'the list never shows a code');

    const redeemed = await enrol(e, issued.code, 'maria laptop');
    assert.equal(redeemed.statusCode, 201, redeemed.body);
    const token = redeemed.json() as { id: string; token: string; memberId: string; role: string; name: string };
    assert.deepEqual([token.memberId, token.role, token.name], ['maria', 'approver', 'maria laptop']);
    const members = await e.call('GET', '/members', { token: token.token });
    assert.equal((members.json() as { you: { id: string } }).you.id, 'maria', 'the token acts as maria');
    const after = (await e.call('GET', '/tokens/enrolments', { token: e.admin.token })).json() as { enrolments: Json[] };
    const row = after.enrolments.find((x) => x.id === issued.id);
    assert.deepEqual([row?.state, row?.tokenId], ['redeemed', token.id]);
  });

  test('an enrolment code works once: a second redemption is refused, makes no token, and is audited', async () => {
    const e = await env();
    const issued = await issueCode(e, { member: 'luis', role: 'operator' });
    const first = await enrol(e, issued.code, 'luis desk');
    assert.equal(first.statusCode, 201, first.body);
    const count = (await e.tokens.list()).length;
    const second = await enrol(e, issued.code, 'someone else');
    assert.equal(second.statusCode, 409, second.body);
    assert.equal(errorCode(second), 'INVALID_STATE');
    assert.match(second.body, /already used/);
    assert.ok(!second.body.includes(issued.code), 'the error does not repeat the code');
    assert.equal((await e.tokens.list()).length, count, 'no second token');
    const refused = (await e.spends.auditLog()).filter((x) => x.action === 'token.enrolment.refused' && (x.details as Json).enrolment === issued.id);
    assert.equal(refused.length, 1);
    assert.deepEqual([(refused[0]?.details as Json).reason, (refused[0]?.details as Json).member, (refused[0]?.details as Json).token], ['used', 'luis', (first.json() as Json).id]);
  });

  test('an expired code makes no token; the attempt is audited', async () => {
    const e = await env();
    const issued = await issueCode(e, { member: 'maria', role: 'approver', expiresInSeconds: 60 });
    e.clock.advance(60_000);
    const count = (await e.tokens.list()).length;
    const late = await enrol(e, issued.code, 'maria phone');
    assert.equal(late.statusCode, 409, late.body);
    assert.equal(errorCode(late), 'INVALID_STATE');
    assert.match(late.body, /expired/);
    assert.equal((await e.tokens.list()).length, count);
    const entry = (await e.spends.auditLog()).find((x) => x.action === 'token.enrolment.refused' && (x.details as Json).enrolment === issued.id);
    assert.equal((entry?.details as Json | undefined)?.reason, 'expired');
    assert.equal(entry?.object, 'member:maria');
    const bad = await e.call('POST', '/tokens/enrolments', { token: e.admin.token, payload: { member: 'maria', role: 'approver', expiresInSeconds: 31 * 86_400 } });
    assert.equal(bad.statusCode, 400, bad.body);
  });

  test('a revoked code makes no token; revoking is audited and only once', async () => {
    const e = await env();
    const issued = await issueCode(e, { member: 'maria', role: 'approver' });
    const revoked = await e.call('DELETE', `/tokens/enrolments/${issued.id}`, { token: e.admin.token });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((revoked.json() as Json).state, 'revoked');
    const again = await e.call('DELETE', `/tokens/enrolments/${issued.id}`, { token: e.admin.token });
    assert.equal(again.statusCode, 409, again.body);
    const count = (await e.tokens.list()).length;
    const r = await enrol(e, issued.code, 'maria phone');
    assert.equal(r.statusCode, 409, r.body);
    assert.match(r.body, /revoked/);
    assert.equal((await e.tokens.list()).length, count);
    const log = await e.spends.auditLog();
    const rev = log.find((x) => x.action === 'token.enrolment.revoke' && (x.details as Json).enrolment === issued.id);
    assert.equal(rev?.actor, 'rosa');
    assert.equal(((rev?.details as Json).via as Json).token, e.admin.id, 'names the admin token');
    assert.ok(log.some((x) => x.action === 'token.enrolment.refused' && (x.details as Json).enrolment === issued.id && (x.details as Json).reason === 'revoked'));
    const missing = await e.call('DELETE', '/tokens/enrolments/enr_000000000000', { token: e.admin.token });
    assert.equal(missing.statusCode, 404, missing.body);
  });

  test('a wrong code is 401 and makes no token', async () => {
    const e = await env();
    const count = (await e.tokens.list()).length;
    for (const code of ['soe_' + 'a'.repeat(32), 'hello', 'sob_' + 'A'.repeat(43)]) {
      const r = await enrol(e, code, 'mallory');
      assert.equal(r.statusCode, 401, r.body);
      assert.equal(errorCode(r), 'UNAUTHENTICATED');
    }
    assert.equal((await e.tokens.list()).length, count);
  });

  test('a code is issued only for an existing member and a role they hold', async () => {
    const e = await env();
    const wrongRole = await e.call('POST', '/tokens/enrolments', { token: e.admin.token, payload: { member: 'maria', role: 'admin' } });
    assert.equal(wrongRole.statusCode, 403, wrongRole.body);
    const nobody = await e.call('POST', '/tokens/enrolments', { token: e.admin.token, payload: { member: 'pedro', role: 'approver' } });
    assert.equal(nobody.statusCode, 404, nobody.body);
    const byOperator = await e.call('POST', '/tokens/enrolments', { token: (await e.tokens.create({ name: 'op', role: 'operator' })).token, payload: { member: 'maria', role: 'approver' } });
    assert.equal(byOperator.statusCode, 403, byOperator.body);
  });

  test('two redemptions of one code at once: exactly one makes a token', async () => {
    const e = await env();
    for (let round = 0; round < 3; round++) {
      const issued = await issueCode(e, { member: 'maria', role: 'approver' });
      const before = (await e.tokens.list()).length;
      const results = await Promise.all([0, 1, 2, 3].map((i) => enrol(e, issued.code, `maria device ${round}.${i}`)));
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409], results.map((r) => r.body).join('\n'));
      assert.equal((await e.tokens.list()).length, before + 1);
      // and straight against the store, without the server in between
      const direct = await issueEnrolment({ tokens: e.tokens, spends: e.spends, now: e.clock.now }, { actor: 'rosa', role: 'admin' }, { memberId: 'maria', role: 'approver' });
      e.codes.push(direct.code);
      const settled = await Promise.allSettled([0, 1, 2].map((i) => redeemEnrolment({ tokens: e.tokens, now: e.clock.now }, direct.code, { name: `maria store ${round}.${i}` })));
      assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
      for (const s of settled) if (s.status === 'rejected') assert.equal((s.reason as { code?: string }).code, 'INVALID_STATE');
    }
  });

  test('issuing, redeeming and revoking are audit entries naming the member and the token, never the code', async () => {
    const e = await env();
    const issued = await issueCode(e, { member: 'maria', role: 'approver' });
    const redeemed = (await enrol(e, issued.code, 'maria tablet')).json() as { id: string };
    const log = await e.spends.auditLog();
    const issue = log.find((x) => x.action === 'token.enrolment.issue' && (x.details as Json).enrolment === issued.id);
    assert.equal(issue?.actor, 'rosa');
    assert.equal(issue?.object, 'member:maria');
    assert.equal(((issue?.details as Json).via as Json).token, e.admin.id);
    const redeem = log.find((x) => x.action === 'token.enrolment.redeem' && (x.details as Json).enrolment === issued.id);
    assert.equal(redeem?.actor, 'maria');
    assert.equal(redeem?.object, `token:${redeemed.id}`);
    assert.equal((redeem?.details as Json).token, redeemed.id);
    const text = JSON.stringify(log);
    for (const code of e.codes) assert.ok(!text.includes(code) && !text.includes(code.slice(4)), 'no code in the audit log');
  });

  test('no code is stored in clear: the database holds only hashes', async () => {
    const e = await env();
    assert.ok(e.codes.length >= 5, 'earlier tests issued codes');
    let dump: string;
    if (e.engine === 'sqlite') {
      // the database file and its WAL, byte for byte
      const dir = dirname(e.url);
      const base = basename(e.url);
      dump = readdirSync(dir).filter((f) => f.startsWith(base)).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');
    } else {
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(e.db.db);
      const parts: string[] = [];
      for (const { table_name } of tables.rows) parts.push(table_name, JSON.stringify((await sql`select * from ${sql.table(table_name)}`.execute(e.db.db)).rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      dump = parts.join('\n');
    }
    assert.ok(dump.includes('maria laptop') && dump.includes('token_enrolments'), 'the dump holds what is stored in clear (a token name, the table)');
    for (const code of e.codes) assert.ok(!dump.includes(code.slice(4)), `code ${code.slice(0, 6)}… is not stored in clear`);
  });

  test('failed redemptions are rate limited per address like failed authentications', async () => {
    const e = await env();
    const app = await e.limited({ max: 1000, timeWindowMs: 60_000, authFailureMax: 3, authFailureWindowMs: 60_000 });
    try {
      const post = (code: string, remoteAddress: string) => app.inject({ method: 'POST', url: '/api/v1/enrol', payload: { code, name: 'x' }, remoteAddress });
      const a = '203.0.113.7';
      for (let i = 0; i < 3; i++) assert.equal((await post('soe_' + 'b'.repeat(32), a)).statusCode, 401);
      const issued = await issueCode(e, { member: 'maria', role: 'approver' });
      const refused = await post(issued.code, a);
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(errorCode(refused), 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await e.tokens.enrolments.list()).find((x) => x.id === issued.id)?.redeemedAtMs, null, 'refused before the code was even tried');
      const other = await post(issued.code, '198.51.100.9');
      assert.equal(other.statusCode, 201, other.body);
    } finally {
      await app.close();
    }
  });
});
