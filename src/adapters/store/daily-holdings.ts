/**
 * The per-vault daily aggregate of migration 0015 (`vault_daily`), kept by the vault store in the
 * same transaction as the change it sums: a block adds its confirmed transactions' net amounts to
 * their days; a rollback subtracts the transactions it is about to delete. Holdings over time
 * (src/adapters/store/public-view-sql.ts) then read one row per vault and day.
 */
import { sql, type Kysely } from 'kysely';
import type { VaultTransaction } from '../../core/vault/types.ts';
import { toBig, toNum } from './database.ts';
import type { Tables } from './schema.ts';

/** UTC day number of a block time in seconds (what `block_time / 86400` gives in SQL for positive times). */
export function dayOf(blockTime: number): number {
  return Math.floor(blockTime / 86_400);
}

async function bump(db: Kysely<Tables>, vaultId: string, day: number, net: bigint, txs: number): Promise<void> {
  await db.insertInto('vault_daily').values({ vault_id: vaultId, day, net, txs })
    .onConflict((oc) => oc.columns(['vault_id', 'day']).doUpdateSet({
      net: sql`vault_daily.net + excluded.net`,
      txs: sql`vault_daily.txs + excluded.txs`,
    }))
    .execute();
}

/** Add confirmed transactions (those with a height and a block time) to their vault's days. */
export async function addToDaily(db: Kysely<Tables>, vaultId: string, txs: readonly VaultTransaction[]): Promise<void> {
  const days = new Map<number, { net: bigint; n: number }>();
  for (const t of txs) {
    if (t.height === null || t.blockTime === null) continue;
    const d = dayOf(t.blockTime);
    const cur = days.get(d) ?? { net: 0n, n: 0 };
    days.set(d, { net: cur.net + t.received - t.spent, n: cur.n + 1 });
  }
  for (const [day, v] of days) await bump(db, vaultId, day, v.net, v.n);
}

/** Subtract the confirmed transactions above `height` (a rollback is about to delete them); call before deleting. */
export async function removeFromDaily(db: Kysely<Tables>, vaultId: string, height: number): Promise<void> {
  const r = await sql<{ day: bigint | number | string; net: bigint | number | string; n: bigint | number | string }>`
    select block_time / 86400 as day, sum(received) - sum(spent) as net, count(*) as n
    from vault_transactions where vault_id = ${vaultId} and height > ${height} and block_time is not null
    group by block_time / 86400`.execute(db);
  for (const x of r.rows) await bump(db, vaultId, toNum(x.day), -toBig(x.net), -toNum(x.n));
  if (r.rows.length > 0) await db.deleteFrom('vault_daily').where('vault_id', '=', vaultId).where('txs', '<=', 0).execute();
}

/**
 * Rebuild the whole aggregate from `vault_transactions` (as migration 0015 backfills it): for
 * databases whose transactions were written around the store (fixtures, benchmarks, repairs).
 */
export async function rebuildDaily(db: Kysely<Tables>): Promise<void> {
  await db.deleteFrom('vault_daily').execute();
  await sql`insert into vault_daily (vault_id, day, net, txs)
    select vault_id, block_time / 86400, sum(received) - sum(spent), count(*)
    from vault_transactions where height is not null and block_time is not null
    group by vault_id, block_time / 86400`.execute(db);
}
