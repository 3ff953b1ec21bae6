import type { Migration } from '../migrator.ts';

/**
 * Accounting (issue #13): purchase records imported from CSV (what the treasury says it bought,
 * matched to on-chain receipts when the books are computed) and each vault's cost-basis method.
 * A purchase record's id is derived from its content (see purchase-csv.ts), so importing the same
 * file twice stores each record once. `paid_minor` and `paid_currency` are null together when the
 * record gives no fiat amount. The ledger itself is NOT stored: it is recomputed from the confirmed
 * history in vault_transactions / vault_txos each time (docs/accounting.md). Times are ms since epoch.
 */
export const m0009Accounting: Migration = {
  version: 9,
  name: 'accounting',
  async up(db) {
    await db.schema
      .createTable('purchase_records')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('sats', 'bigint', (c) => c.notNull())
      .addColumn('paid_minor', 'bigint')
      .addColumn('paid_currency', 'text')
      .addColumn('counterparty', 'text')
      .addColumn('source_url', 'text')
      .addColumn('vault_id', 'text')
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('imported_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('purchase_records_by_date').on('purchase_records').columns(['date', 'id']).execute();
    await db.schema
      .createTable('vault_cost_methods')
      .addColumn('vault_id', 'text', (c) => c.primaryKey())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('set_at_ms', 'bigint', (c) => c.notNull())
      .execute();
  },
};
