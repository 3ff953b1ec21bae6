import { sql } from 'kysely';
import type { Migration } from '../migrator.ts';

/**
 * The stored books (issue #13, item 1 "reorgs reverse entries, never edit them") and the history of
 * each vault's cost-basis method (item 2, method changes over time).
 * - `ledger_entries`: the double-entry ledger, append-only. `seq` orders the entries as they were
 *   appended; `id` is the entry's id (`${txid}`, `${txid}#n`, `${id}~reversal@${height}`); `lines`
 *   is JSON `[{"account": "asset:reserve", "sats": "150000000"}, …]` (sats as strings); `reverses`
 *   names the entry a reversal negates. Nothing ever updates or deletes a row: a reorg appends
 *   reversals (src/core/accounting/ledger.ts, reconcileLedger).
 * - `vault_cost_method_changes`: every method recorded for a vault with the UTC day it applies from
 *   (`effective_from`), who recorded it and when; the method of a day is the latest change
 *   recorded last among those effective on or before it. Migration 0009's `vault_cost_methods`
 *   keeps the current method; a method recorded before this migration becomes a change from the
 *   start ('0001-01-01'), as it applied until now.
 * Times are ms since epoch.
 */
export const m0012AccountingLedger: Migration = {
  version: 12,
  name: 'accounting-ledger',
  async up(db) {
    await db.schema
      .createTable('ledger_entries')
      .addColumn('seq', 'integer', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('txid', 'text', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('lines', 'text', (c) => c.notNull())
      .addColumn('reverses', 'text')
      .addColumn('memo', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ledger_entries_by_date').on('ledger_entries').columns(['date', 'seq']).execute();
    await db.schema
      .createTable('vault_cost_method_changes')
      .addColumn('seq', 'integer', (c) => c.primaryKey())
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('effective_from', 'text', (c) => c.notNull())
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('set_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into vault_cost_method_changes (seq, vault_id, method, effective_from, set_by, set_at_ms)
      select row_number() over (order by vault_id), vault_id, method, '0001-01-01', set_by, set_at_ms from vault_cost_methods`.execute(db);
    await db.schema.createIndex('vault_cost_method_changes_by_vault').on('vault_cost_method_changes').columns(['vault_id', 'effective_from', 'seq']).execute();
  },
};
