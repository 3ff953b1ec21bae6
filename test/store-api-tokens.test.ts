// API tokens: shown once, only a SHA-256 stored, revocation takes effect at once — on both engines.
// Enrolment codes likewise: only a hash stored, one redemption, expiry, a member who lost the role,
// and every change committed with its audit entry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { canonicalEnrolmentCode, SqlApiTokenStore } from '../src/adapters/store/token-store.ts';
import { SqlSpendStore } from '../src/adapters/store/spend-store.ts';
import { isDomainError } from '../src/core/errors.ts';
import { forEachEngine } from './helpers/engines.ts';

forEachEngine('api token store', (t) => {
  test('creates a token, stores only its hash, authenticates it and revokes it', async () => {
    const db = await t.open();
    const store = new SqlApiTokenStore(db, { clock: { now: () => Date.parse('2026-08-01T00:00:00Z') } });
    const a = await store.create({ name: 'treasury desk', role: 'operator' });
    const b = await store.create({ name: 'imf mission', role: 'auditor' });
    assert.match(a.token, /^sob_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.token, b.token);
    assert.equal(a.createdAt, '2026-08-01T00:00:00.000Z');

    const rows = (await db.db.selectFrom('api_tokens').selectAll().execute()) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 2);
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(a.token) && !dump.includes(a.token.slice(4)), 'the secret is not stored');
    const rowA = rows.find((r) => r.id === a.id);
    assert.equal(rowA?.token_hash, createHash('sha256').update(a.token).digest('hex'));

    assert.equal((await store.authenticate(a.token))?.role, 'operator');
    assert.equal((await store.authenticate(b.token))?.name, 'imf mission');
    assert.equal(await store.authenticate(a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A')), null);
    assert.equal(await store.authenticate('not a token'), null);

    const revoked = await store.revoke(a.id);
    assert.equal(revoked.revokedAt, '2026-08-01T00:00:00.000Z');
    assert.equal(await store.authenticate(a.token), null, 'a revoked token stops working');
    assert.equal((await store.authenticate(b.token))?.id, b.id);
    await assert.rejects(store.revoke(a.id), (e) => isDomainError(e) && e.code === 'INVALID_STATE');
    await assert.rejects(store.revoke('tok_000000000000'), (e) => isDomainError(e) && e.code === 'NOT_FOUND');
    assert.deepEqual((await store.list()).map((x) => [x.id, x.revokedAt !== null]), [[a.id, true], [b.id, false]].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
  });

  test('refuses empty or control-character names', async () => {
    const store = new SqlApiTokenStore(await t.open());
    await assert.rejects(store.create({ name: '  ', role: 'admin' }), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(store.create({ name: 'a\u0000b', role: 'admin' }), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  });
});

forEachEngine('enrolment code store', (t) => {
  const audit = (action: string) => (x: unknown) => ({ actor: 'test', role: 'admin', action, object: 'test', details: { x: JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) as unknown }, atMs: T });
  const T = Date.parse('2026-08-01T00:00:00Z');

  async function withMember(roles: string[]) {
    const db = await t.open();
    const spends = new SqlSpendStore(db);
    await spends.addMember({ id: 'maria', name: 'maria', roles, groups: [], createdAtMs: T, publicKey: null }, { actor: 'test', role: 'admin', action: 'member.add', object: 'member:maria', details: null, atMs: T });
    return { db, spends, store: new SqlApiTokenStore(db, { clock: { now: () => T } }) };
  }

  test('a code is stored only as its SHA-256, and redeems once, typed in any case or with dashes, to a token bound to its member', async () => {
    const { db, store } = await withMember(['approver']);
    const e = await store.enrolments.issue({ memberId: 'maria', role: 'approver', issuedBy: 'rosa', nowMs: T, expiresAtMs: T + 60_000 }, audit('issue'));
    assert.match(e.code, /^soe_[a-z2-7]{32}$/);
    const rows = (await db.db.selectFrom('token_enrolments').selectAll().execute()) as Array<Record<string, unknown>>;
    assert.equal(rows[0]?.code_hash, createHash('sha256').update(e.code).digest('hex'));
    assert.ok(!JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(e.code.slice(4)));
    const typed = e.code.toUpperCase().replace(/(.{8})/g, '$1-');
    assert.equal(canonicalEnrolmentCode(typed), e.code);
    const r = await store.enrolments.redeem(` ${typed} `, { name: 'maria laptop', nowMs: T + 59_999 }, audit('redeem'));
    assert.equal(r.outcome.kind, 'redeemed');
    assert.equal(r.token?.memberId, 'maria');
    assert.equal((await store.authenticate(r.token?.token ?? ''))?.memberId, 'maria');
    const again = await store.enrolments.redeem(e.code, { name: 'again', nowMs: T + 1 }, audit('redeem'));
    assert.deepEqual([again.outcome.kind, again.outcome.kind === 'refused' ? again.outcome.reason : null, again.token], ['refused', 'used', null]);
  });

  test('a code expires at its time exactly; a member who lost the role gets no token; each refusal commits its audit entry and no token', async () => {
    const { db, spends, store } = await withMember(['approver']);
    const expiring = await store.enrolments.issue({ memberId: 'maria', role: 'approver', issuedBy: 'rosa', nowMs: T, expiresAtMs: T + 60_000 }, audit('issue'));
    const late = await store.enrolments.redeem(expiring.code, { name: 'late', nowMs: T + 60_000 }, audit('refused'));
    assert.deepEqual([late.outcome.kind, late.outcome.kind === 'refused' ? late.outcome.reason : null], ['refused', 'expired']);
    const lost = await store.enrolments.issue({ memberId: 'maria', role: 'approver', issuedBy: 'rosa', nowMs: T, expiresAtMs: T + 60_000 }, audit('issue'));
    await db.db.updateTable('members').set({ roles: JSON.stringify(['auditor']) }).where('id', '=', 'maria').execute();
    const refused = await store.enrolments.redeem(lost.code, { name: 'x', nowMs: T + 1 }, audit('refused'));
    assert.deepEqual([refused.outcome.kind, refused.outcome.kind === 'refused' ? refused.outcome.reason : null], ['refused', 'role']);
    assert.deepEqual(await store.list(), [], 'no token was made');
    assert.deepEqual((await spends.auditLog()).map((x) => x.action), ['member.add', 'issue', 'refused', 'issue', 'refused']);
    const unknown = await store.enrolments.redeem('soe_' + 'a'.repeat(32), { name: 'x', nowMs: T }, audit('refused'));
    assert.equal(unknown.outcome.kind, 'unknown');
    assert.equal((await spends.auditLog()).length, 5, 'an unknown code names no member and is not audited');
  });

  test('an issue whose audit entry cannot be written leaves no code behind', async () => {
    const { db, store } = await withMember(['approver']);
    await assert.rejects(store.enrolments.issue({ memberId: 'maria', role: 'approver', issuedBy: 'rosa', nowMs: T, expiresAtMs: T + 60_000 }, () => {
      throw new RangeError('audit refused');
    }), /audit refused/);
    assert.deepEqual(await db.db.selectFrom('token_enrolments').selectAll().execute(), []);
    await assert.rejects(store.enrolments.revoke('enr_000000000000', T, audit('revoke')), (e) => isDomainError(e) && e.code === 'NOT_FOUND');
  });
});
