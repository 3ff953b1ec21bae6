import { sql } from 'kysely';
import type { Migration } from '../migrator.ts';

/**
 * Public daily aggregates (issue #18, performance): `vault_daily` holds, per vault and per UTC day
 * (`day` = block time in seconds / 86,400, rounded down), the net confirmed change of that day
 * (`net`, received minus spent, in sats; may be negative) and how many confirmed transactions
 * made it (`txs`). The store keeps it in the same transaction as sync applies a block or rolls one
 * back (src/adapters/store/daily-holdings.ts), so holdings over time read one row per vault and
 * day instead of every transaction. Existing databases are backfilled here from
 * `vault_transactions` (confirmed rows with a block time; the mempool is not part of it).
 */
export const m0015PublicDailyAggregates: Migration = {
  version: 15,
  name: 'public-daily-aggregates',
  async up(db) {
    await db.schema
      .createTable('vault_daily')
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('net', 'bigint', (c) => c.notNull())
      .addColumn('txs', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_daily_pk', ['vault_id', 'day'])
      .execute();
    await sql`insert into vault_daily (vault_id, day, net, txs)
      select vault_id, block_time / 86400, sum(received) - sum(spent), count(*)
      from vault_transactions where height is not null and block_time is not null
      group by vault_id, block_time / 86400`.execute(db);
  },
};
