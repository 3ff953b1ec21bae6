// The SQL public view (over migration 0002's tables) gives the same public dataset as the
// in-memory reference on the same reserve — on SQLite and PostgreSQL — and pages transactions
// with its cursor without gaps or repeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqlPublicView } from '../src/adapters/store/public-view-sql.ts';
import { isDomainError } from '../src/core/errors.ts';
import type { PublicReserveView, PublicTransaction } from '../src/core/transparency/public-view.ts';
import { forEachEngine } from './helpers/engines.ts';
import { loadReserveTables } from './helpers/load-reserve-tables.ts';
import { MemoryPublicView, sampleReserve } from './helpers/memory-public-view.ts';

async function allTransactions(v: PublicReserveView, limit: number): Promise<PublicTransaction[]> {
  const out: PublicTransaction[] = [];
  let before: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await v.transactions({ limit, ...(before ? { before } : {}) });
    out.push(...page.items);
    if (!page.nextBefore) return out;
    before = page.nextBefore;
  }
  throw new Error('paging did not end');
}

forEachEngine('public view over the vault tables', (t) => {
  test('matches the reference on summary, holdings, addresses, transactions and verification', async () => {
    const reserve = sampleReserve({ extra: 120, seed: 11 });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const sqlView = new SqlPublicView(db, 'regtest');
    const ref = new MemoryPublicView(reserve);

    const [a, b] = [await sqlView.summary(), await ref.summary()];
    assert.equal(a.tip?.height, b.tip?.height);
    assert.equal(a.tip?.hash, b.tip?.hash);
    assert.deepEqual({ ...a, tip: null }, { ...b, tip: null });
    assert.ok(a.confirmedSats > 0n && a.unconfirmedSats === 100_000_000n);

    assert.deepEqual(await sqlView.holdings(), await ref.holdings());
    assert.deepEqual(await sqlView.addresses(), await ref.addresses());
    assert.ok(!(await sqlView.addresses()).some((x) => x.address.includes('unused')), 'unused look-ahead addresses are not listed');
    assert.deepEqual(await sqlView.verification(), { ...(await ref.verification()), tip: (await sqlView.verification()).tip });

    for (const limit of [1, 7, 50, 500]) {
      const [x, y] = [await allTransactions(sqlView, limit), await allTransactions(ref, limit)];
      assert.equal(x.length, reserve.txs.length);
      assert.deepEqual(x, y, `limit ${limit}`);
    }
    const payment = (await allTransactions(sqlView, 500)).find((x) => x.category === 'payment');
    assert.equal(payment?.netSats, -12_345_678n);
  });

  test('a mempool spend of a confirmed coin shows as a negative unconfirmed amount', async () => {
    const reserve = sampleReserve({ seed: 3 });
    const target = reserve.addresses[0]?.address ?? '';
    reserve.txs.push({ txid: 'ab'.repeat(32), vault: 'el-salvador', address: target, height: null, time: null, category: 'payment', netSats: -1_000n });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const s = await new SqlPublicView(db, 'regtest').summary();
    const ref = await new MemoryPublicView(reserve).summary();
    assert.equal(s.confirmedSats, ref.confirmedSats);
    assert.equal(s.unconfirmedSats, ref.unconfirmedSats);
  });

  test('an empty database is an empty reserve, and a forged cursor is refused', async () => {
    const v = new SqlPublicView(await t.open(), 'main');
    assert.deepEqual(await v.summary(), { network: 'main', tip: null, confirmedSats: 0n, unconfirmedSats: 0n, vaults: [] });
    assert.deepEqual(await v.holdings(), []);
    assert.deepEqual(await v.transactions({ limit: 10 }), { items: [], nextBefore: null });
    await assert.rejects(v.transactions({ limit: 10, before: 'bm90LWEtY3Vyc29y' }), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  });
});
