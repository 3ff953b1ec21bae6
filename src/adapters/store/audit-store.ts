/**
 * The audit log table (`audit_log`, migration 0003): append-only and hash-chained
 * (src/core/audit/hash-chain.ts). Code here only INSERTs; there is no update or delete. The head
 * (last seq and hash) is also written to `settings` (`audit_head`) in the same transaction, so a
 * log cut short, or a tail rewritten without also rewriting the setting, is detected.
 *
 * `appendAudit` runs INSIDE the caller's transaction: the state change and its entry commit together.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { appendAuditEntry, canonicalJson, type AuditEntry } from '../../core/audit/hash-chain.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import type { Engine } from './database.ts';
import { toNum } from './database.ts';
import type { AuditLogTable, Tables } from './schema.ts';

export const AUDIT_HEAD_KEY = 'audit_head';
// A fixed key for pg_advisory_xact_lock, distinct from the migrator's.
const PG_AUDIT_LOCK = 0x61756474;

/** The pool, or a Kysely bound to a transaction. */
type Db = Kysely<Tables>;

function fromRow(r: Selectable<AuditLogTable>): AuditEntry {
  let details: unknown;
  try {
    details = JSON.parse(r.details);
  } catch {
    details = r.details; // a damaged row: verifyChain reports it as edited
  }
  return { seq: toNum(r.seq), actor: r.actor, role: r.role, action: r.action, object: r.object, details, atMs: toNum(r.at_ms), prevHash: r.prev_hash, hash: r.hash };
}

/**
 * Append one entry after the current last row, inside `trx`. On PostgreSQL an advisory lock
 * serializes appenders; on SQLite the write lock does (a racing second writer fails on the
 * primary key rather than forking the chain).
 */
export async function appendAudit(trx: Db, engine: Engine, fields: AuditFields): Promise<AuditEntry> {
  if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(PG_AUDIT_LOCK)})`.execute(trx);
  const last = await trx.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const entry = appendAuditEntry(last ? fromRow(last) : null, fields);
  await trx
    .insertInto('audit_log')
    .values({
      seq: entry.seq, actor: entry.actor, role: entry.role, action: entry.action, object: entry.object,
      details: canonicalJson(entry.details ?? null), at_ms: BigInt(entry.atMs), prev_hash: entry.prevHash, hash: entry.hash,
    })
    .execute();
  const head = JSON.stringify({ seq: entry.seq, hash: entry.hash });
  await trx.insertInto('settings').values({ key: AUDIT_HEAD_KEY, value: head })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: head })).execute();
  return entry;
}

/** Every row, in seq order, as stored. */
export async function readAuditLog(db: Db): Promise<AuditEntry[]> {
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  return rows.map(fromRow);
}

/** The head kept in `settings`; null before the first entry. */
export async function readAuditHead(db: Db): Promise<{ seq: number; hash: string } | null> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', AUDIT_HEAD_KEY).executeTakeFirst();
  if (!row) return null;
  try {
    const v = JSON.parse(row.value) as { seq?: unknown; hash?: unknown };
    if (typeof v.seq === 'number' && typeof v.hash === 'string') return { seq: v.seq, hash: v.hash };
  } catch {
    /* fall through */
  }
  return { seq: -1, hash: 'unreadable' };
}
