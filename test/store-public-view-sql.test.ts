// The SQL public view (over migration 0002's tables) gives the same public dataset as the
// in-memory reference on the same reserve — on SQLite and PostgreSQL — and pages transactions
// with its cursor without gaps or repeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../src/adapters/store/database.ts';
import { SqlPublicView, setVaultIllustrative } from '../src/adapters/store/public-view-sql.ts';
import { rebuildDaily } from '../src/adapters/store/daily-holdings.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import type { VaultTransaction } from '../src/core/vault/types.ts';
import { isDomainError } from '../src/core/errors.ts';
import type { HoldingPoint, PublicReserveView, PublicTransaction } from '../src/core/transparency/public-view.ts';
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

/** The points without their per-vault balances (the in-memory reference has totals only). */
function totals(points: readonly HoldingPoint[]): Array<{ date: string; sats: bigint }> {
  return points.map((p) => ({ date: p.date, sats: p.sats }));
}

/** The oracle: holdings over time as the view computed them before the daily series (one scan). */
async function oldHoldings(db: Database): Promise<Array<{ date: string; sats: bigint }>> {
  const r = await sql<{ day: bigint | number | string; delta: bigint | number | string }>`
    select block_time / 86400 as day, sum(received) - sum(spent) as delta
    from vault_transactions where height is not null and block_time is not null
    group by block_time / 86400 order by day`.execute(db.db);
  let running = 0n;
  return r.rows.map((row) => {
    running += BigInt(row.delta);
    return { date: new Date(Number(row.day) * 86_400_000).toISOString().slice(0, 10), sats: running };
  });
}

/** The oracle for pages: the single ordered query the view used before reading the height index. */
async function oldTransactionOrder(db: Database): Promise<Array<[string, string]>> {
  const r = await sql<{ vault_id: string; txid: string }>`
    select t.vault_id, t.txid from vault_transactions t
    order by coalesce(t.height, 2147483647) desc, coalesce(t.tx_index, -1) desc, t.vault_id asc, t.txid asc`.execute(db.db);
  return r.rows.map((x) => [x.vault_id, x.txid]);
}

/** A deterministic pseudo-random generator (tests must repeat). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return x / 2 ** 32;
  };
}

/** A block of `n` transactions spread over the vaults, applied as sync applies one (the store keeps the daily aggregate). */
async function addBlock(db: Database, vaults: readonly string[], height: number, hash: string, time: number, n: number, rand: () => number): Promise<void> {
  const byVault = new Map<string, VaultTransaction[]>(vaults.map((v) => [v, []]));
  for (let i = 0; i < n; i++) {
    const vault = vaults[Math.floor(rand() * vaults.length)] ?? '';
    const received = BigInt(Math.floor(rand() * 5e8));
    const spent = rand() < 0.3 ? BigInt(Math.floor(rand() * Number(received))) : 0n;
    byVault.get(vault)?.push({ txid: `${hash}-${i}`.padEnd(64, '0'), height, blockHash: hash, blockTime: time, txIndex: i % 3, received, spent, fee: null, category: 'purchase', rawHex: '00' });
  }
  const store = new SqlVaultStore(db);
  for (const [v, transactions] of byVault) await store.applyBlock(v, { height, hash, time, newTxos: [], spends: [], transactions, usedAddresses: [], newAddresses: [] });
}

forEachEngine('public view over the vault tables', (t) => {
  test('holdings over time equal the one-scan computation as blocks arrive, roll back, and rows change outside sync', async () => {
    const reserve = sampleReserve({ extra: 400, seed: 29 });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    await rebuildDaily(db.db); // the fixture writes the tables directly; sync's store keeps the aggregate from here on
    const view = new SqlPublicView(db, 'regtest');
    const vaults = reserve.vaults.map((v) => v.id);
    const rand = rng(7);
    const check = async (label: string): Promise<HoldingPoint[]> => {
      const got = await view.holdings();
      assert.deepEqual(totals(got), await oldHoldings(db), label);
      for (const p of got) assert.equal((p.vaults ?? []).reduce((s, v) => s + v.sats, 0n), p.sats, `${label}: the vaults add up to the total on ${p.date}`);
      // the summary and addresses the view keeps equal a fresh view's (which computes them anew)
      const fresh = new SqlPublicView(db, 'regtest');
      assert.deepEqual(await view.summary(), await fresh.summary(), `${label}: summary`);
      assert.deepEqual(await view.addresses(), await fresh.addresses(), `${label}: addresses`);
      return got;
    };
    const first = await check('first computation');
    assert.deepEqual(await view.holdings(), first, 'nothing changed: the same answer');
    assert.equal(await view.holdings(), first, 'the same array while nothing changed (the route reuses its serialized bytes)');
    assert.ok(Object.isFrozen(first), 'and nobody can change it');
    // a mempool transaction: the summary's unconfirmed amount moves, holdings do not
    const before = (await view.summary()).unconfirmedSats;
    const addr = reserve.addresses[0];
    assert.ok(addr);
    await db.db.insertInto('vault_transactions').values({ vault_id: addr.vault, txid: 'aa'.repeat(32), height: null, block_hash: null, block_time: null, tx_index: null, received: 4_000n, spent: 0n, fee: null, category: 'receipt', raw: '00' }).execute();
    await db.db.insertInto('vault_txos').values({ vault_id: addr.vault, txid: 'aa'.repeat(32), vout: 0, value: 4_000n, script: '00', branch: 0, idx: addr.index, height: null, spent_txid: null, spent_height: null, frozen: 0 }).execute();
    await check('after a mempool transaction');
    assert.equal((await view.summary()).unconfirmedSats, before + 4_000n);
    let height = (reserve.tip?.height ?? 1000) + 1;
    let time = Math.max(...reserve.txs.map((x) => x.time ?? 0)) + 3600;
    for (let b = 0; b < 6; b++) {
      await addBlock(db, vaults, height, `blk${height}`, time, 1 + Math.floor(rand() * 4), rand);
      await check(`after block ${height}`);
      height++;
      time += Math.floor(rand() * 3) * 86_400 + 600;
    }
    // a block whose time is days before its parent's (block times need not increase): it changes earlier days' points
    await addBlock(db, vaults, height, `blk${height}`, time - 2 * 86_400, 3, rand);
    await check(`after block ${height}, dated two days before its parent`);
    height++;
    // a reorg: the last two blocks go (as sync rolls back), a different block takes their place
    height -= 2;
    for (const v of vaults) await new SqlVaultStore(db).rollbackTo(v, height - 1);
    await addBlock(db, vaults, height, `other${height}`, time - 86_400 * 3, 2, rand);
    await check('after a reorg');
    // a confirmed row written outside sync, deep in the past, with no new checkpoint
    await db.db.insertInto('vault_transactions').values({
      vault_id: vaults[0] ?? '', txid: 'ee'.repeat(32), height: 5, block_hash: 'old', block_time: 1_600_000_000n, tx_index: 0,
      received: 7n, spent: 0n, fee: null, category: 'purchase', raw: '00',
    }).execute();
    await check('after a row added outside sync');
    await check('again, unchanged');
  });

  test('holdings read the daily aggregate when it accounts for every confirmed transaction, and the transactions when it does not', async () => {
    const reserve = sampleReserve({ extra: 60, seed: 5 });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const want = await oldHoldings(db);
    assert.deepEqual(totals(await new SqlPublicView(db, 'regtest').holdings()), want, 'no aggregate (rows written around the store): computed from the transactions');
    await rebuildDaily(db.db);
    assert.deepEqual(totals(await new SqlPublicView(db, 'regtest').holdings()), want, 'from the aggregate');
    // proof that the aggregate is what is read: a changed amount in it shows (counts still add up)
    const row = await db.db.selectFrom('vault_daily').selectAll().orderBy('day').limit(1).executeTakeFirstOrThrow();
    await db.db.updateTable('vault_daily').set({ net: BigInt(row.net) + 1n }).where('vault_id', '=', row.vault_id).where('day', '=', row.day).execute();
    const read = totals(await new SqlPublicView(db, 'regtest').holdings());
    assert.equal(read.at(-1)?.sats, (want.at(-1)?.sats ?? 0n) + 1n);
    // a count that does not add up (a row the aggregate does not know) falls back to the transactions
    await db.db.insertInto('vault_daily').values({ vault_id: row.vault_id, day: 1, net: 5n, txs: 1 }).execute();
    assert.deepEqual(totals(await new SqlPublicView(db, 'regtest').holdings()), want);
  });

  test('transactions of one vault page like the whole list filtered to it, and a vault marked illustrative says so', async () => {
    const reserve = sampleReserve({ extra: 90, seed: 13 });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const view = new SqlPublicView(db, 'regtest');
    const all = await allTransactions(view, 500);
    for (const vault of reserve.vaults.map((v) => v.id)) {
      const want = all.filter((x) => x.vault === vault);
      for (const limit of [1, 7, 500]) {
        const got: PublicTransaction[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await view.transactions({ limit, vault, ...(before ? { before } : {}) });
          got.push(...page.items);
          if (!page.nextBefore) break;
          before = page.nextBefore;
        }
        assert.deepEqual(got, want, `${vault}, limit ${limit}`);
      }
    }
    assert.deepEqual((await view.transactions({ limit: 5, vault: 'no-such-vault' })).items, []);
    const flags = async (v: SqlPublicView) => Object.fromEntries((await v.summary()).vaults.map((x) => [x.id, (x as { illustrative?: boolean }).illustrative]));
    assert.deepEqual(await flags(view), { 'el-salvador': false, pakistan: false });
    await setVaultIllustrative(db, 'pakistan', true);
    assert.deepEqual(await flags(view), { 'el-salvador': false, pakistan: true }, 'the kept summary sees the new setting');
    await setVaultIllustrative(db, 'pakistan', false);
    assert.deepEqual(await flags(view), { 'el-salvador': false, pakistan: false });
  });

  test('pages read through the height index come in the same order as the single ordered query', async () => {
    const reserve = sampleReserve({ extra: 150, seed: 41 });
    reserve.txs.push({ txid: 'cd'.repeat(32), vault: reserve.vaults[0]?.id ?? '', address: reserve.addresses[0]?.address ?? '', height: null, time: null, category: 'receipt', netSats: 5_000n });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const view = new SqlPublicView(db, 'regtest');
    const want = await oldTransactionOrder(db);
    for (const limit of [1, 2, 3, 13, 500]) {
      const got = (await allTransactions(view, limit)).map((x) => [x.vault, x.txid]);
      assert.deepEqual(got, want, `limit ${limit}`);
    }
  });

  test('matches the reference on summary, holdings, addresses, transactions and verification', async () => {
    const reserve = sampleReserve({ extra: 120, seed: 11 });
    const db = await t.open();
    await loadReserveTables(db, reserve);
    const sqlView = new SqlPublicView(db, 'regtest');
    const ref = new MemoryPublicView(reserve);

    const [a, b] = [await sqlView.summary(), await ref.summary()];
    assert.equal(a.tip?.height, b.tip?.height);
    assert.equal(a.tip?.hash, b.tip?.hash);
    // the SQL view adds each vault's illustrative flag (from the settings), which the reference has not
    assert.ok(a.vaults.every((v) => (v as { illustrative?: boolean }).illustrative === false));
    assert.deepEqual({ ...a, tip: null, vaults: a.vaults.map(({ illustrative: _, ...v }: typeof a.vaults[number] & { illustrative?: boolean }) => v) }, { ...b, tip: null });
    assert.ok(a.confirmedSats > 0n && a.unconfirmedSats === 100_000_000n);

    assert.deepEqual(totals(await sqlView.holdings()), await ref.holdings());
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
