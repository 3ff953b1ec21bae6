// Migration 0015's per-vault daily aggregate is kept by the vault store in the same transaction as
// sync's changes: it always equals the sums over the confirmed transactions — as blocks arrive, when
// a reorg rolls blocks back and others replace them, with mempool transactions that never count —
// and the migration backfills it for a database that had transactions before it. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { rebuildDaily } from '../src/adapters/store/daily-holdings.ts';
import { m0015PublicDailyAggregates } from '../src/adapters/store/migrations/0015-public-daily-aggregates.ts';
import type { BlockChanges } from '../src/core/vault/apply-scan.ts';
import type { Vault, VaultTransaction } from '../src/core/vault/types.ts';
import { forEachEngine } from './helpers/engines.ts';

const DAY = 86_400;
const T0 = 1_750_000_000 - (1_750_000_000 % DAY); // a UTC midnight

function vault(id: string): Vault {
  return { id, name: id, kind: 'addresses', descriptor: null, network: 'regtest', threshold: null, birthdayHeight: 0, birthdayTime: null, gapLimit: 20, createdAt: '2026-01-01T00:00:00Z', keys: [] };
}

function tx(txid: string, height: number | null, time: number | null, received: bigint, spent: bigint): VaultTransaction {
  return { txid: `${txid}-`.padEnd(64, '0'), height, blockHash: height === null ? null : `h${height}`, blockTime: time, txIndex: height === null ? null : 0, received, spent, fee: null, category: 'purchase', rawHex: '00' };
}

function block(height: number, hash: string, time: number, txs: VaultTransaction[]): BlockChanges {
  return { height, hash, time, newTxos: [], spends: [], transactions: txs, usedAddresses: [], newAddresses: [] };
}

type Row = { vault_id: string; day: number; net: bigint; txs: number };

async function kept(db: Database): Promise<Row[]> {
  const r = await db.db.selectFrom('vault_daily').selectAll().orderBy('vault_id').orderBy('day').execute();
  return r.map((x) => ({ vault_id: x.vault_id, day: Number(x.day), net: BigInt(x.net), txs: Number(x.txs) }));
}

/** The oracle: the same sums straight from the transactions. */
async function summed(db: Database): Promise<Row[]> {
  const r = await sql<{ vault_id: string; day: unknown; net: unknown; txs: unknown }>`
    select vault_id, block_time / 86400 as day, sum(received) - sum(spent) as net, count(*) as txs
    from vault_transactions where height is not null and block_time is not null
    group by vault_id, block_time / 86400 order by vault_id, day`.execute(db.db);
  return r.rows.map((x) => ({ vault_id: x.vault_id, day: Number(x.day), net: BigInt(String(x.net)), txs: Number(x.txs) }));
}

forEachEngine('daily holdings aggregate (migration 0015)', (t) => {
  test('the aggregate equals the sums over confirmed transactions through blocks, mempool changes and a reorg', async () => {
    const db = await t.open();
    const store = new SqlVaultStore(db);
    await store.createVault(vault('a'), []);
    await store.createVault(vault('b'), []);
    const check = async (label: string): Promise<void> => assert.deepEqual(await kept(db), await summed(db), label);
    await store.applyBlock('a', block(10, 'h10', T0 + 100, [tx('a1', 10, T0 + 100, 5_000n, 0n), tx('a2', 10, T0 + 100, 0n, 1_200n)]));
    await store.applyBlock('b', block(10, 'h10', T0 + 100, [tx('b1', 10, T0 + 100, 700n, 0n)]));
    await store.applyBlock('a', block(11, 'h11', T0 + DAY + 5, [tx('a3', 11, T0 + DAY + 5, 300n, 0n)]));
    await check('after three blocks');
    assert.deepEqual((await kept(db)).find((r) => r.vault_id === 'a' && r.day === T0 / DAY), { vault_id: 'a', day: T0 / DAY, net: 3_800n, txs: 2 }, 'two transactions on one day: one row');
    // the mempool never counts, and a block that confirms a mempool transaction counts it once
    await store.replaceMempool('a', { newTxos: [], spends: [], transactions: [tx('m1', null, null, 9_999n, 0n)], usedAddresses: [], newAddresses: [] });
    await check('with a mempool transaction');
    await store.applyBlock('a', block(12, 'h12', T0 + 2 * DAY, [tx('m1', 12, T0 + 2 * DAY, 9_999n, 0n)]));
    await check('the mempool transaction confirmed');
    // a reorg: blocks 11 and 12 go; the day whose only transaction went has no row left
    await store.rollbackTo('a', 10);
    await check('after rolling back to 10');
    assert.equal((await kept(db)).filter((r) => r.vault_id === 'a').length, 1, 'days emptied by the rollback are removed');
    await store.applyBlock('a', block(11, 'x11', T0 + 100 + 60, [tx('r1', 11, T0 + 160, 1n, 0n)]));
    await check('after the replacement block');
    assert.deepEqual((await kept(db)).find((r) => r.vault_id === 'a'), { vault_id: 'a', day: T0 / DAY, net: 3_801n, txs: 3 });
    // a rollback inside one store transaction that fails leaves the aggregate as it was
    await assert.rejects(db.db.transaction().execute(async (trx) => {
      await new SqlVaultStore(db, trx).rollbackTo('a', 0);
      throw new Error('abort');
    }));
    await check('after an aborted rollback');
    assert.equal((await kept(db)).length, 2);
  });

  test('the migration backfills a database that had transactions before it (and rebuildDaily gives the same)', async () => {
    const db = await t.open();
    const store = new SqlVaultStore(db);
    await store.createVault(vault('v'), []);
    for (let h = 1; h <= 30; h++) await store.applyBlock('v', block(h, `h${h}`, T0 + h * 7 * 3600, [tx(`t${h}`, h, T0 + h * 7 * 3600, BigInt(h * 1000), h % 4 === 0 ? 500n : 0n)]));
    const want = await kept(db);
    assert.deepEqual(want, await summed(db));
    // as if the database predated 0015: no table; running the migration builds and fills it
    await db.db.schema.dropTable('vault_daily').execute();
    await m0015PublicDailyAggregates.up(db.db, db.engine);
    assert.deepEqual(await kept(db), want);
    await db.db.deleteFrom('vault_daily').execute();
    await rebuildDaily(db.db);
    assert.deepEqual(await kept(db), want);
  });
});
