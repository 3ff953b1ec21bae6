// API tokens: shown once, only a SHA-256 stored, revocation takes effect at once — on both engines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { SqlApiTokenStore } from '../src/adapters/store/token-store.ts';
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
