import type { Migration } from '../migrator.ts';

/**
 * Alliance settlement (issue #16): members, invoices, the incremental positions that make a cycle
 * close cost O(days × members × currencies) rather than O(invoices), cycles with their locked rates,
 * net positions and transfers, and the screening list with the holds it raised.
 *
 * - `settlement_buckets`: one open bucket per (due day, currency) collects confirmed invoices; a
 *   cycle close stamps every open bucket due by its cutoff with the cycle id (an invoice's cycle is
 *   its bucket's). A rescinded cycle's buckets are opened again.
 * - `settlement_positions`: per bucket and member, the receivable and payable minor units of the
 *   confirmed invoices in it, changed in the same transaction as each confirm, dispute or exclusion.
 *
 * Amounts are integer minor units (bigint) or sats (bigint); days are YYYY-MM-DD; times ms since epoch.
 */
export const m0013Settlement: Migration = {
  version: 13,
  name: 'settlement',
  async up(db) {
    await db.schema
      .createTable('settlement_members')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('institution', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('receive_descriptor', 'text', (c) => c.notNull())
      .addColumn('api_identity', 'text', (c) => c.notNull().unique())
      .addColumn('status', 'text', (c) => c.notNull()) // active | held | rejected
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('settlement_buckets')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('due_date', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('cycle_id', 'text')
      .execute();
    await db.schema.createIndex('settlement_buckets_open').on('settlement_buckets').columns(['cycle_id', 'due_date', 'currency']).execute();
    await db.schema
      .createTable('settlement_invoices')
      .addColumn('exporter', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('importer', 'text', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('due_date', 'text', (c) => c.notNull())
      .addColumn('seller', 'text')
      .addColumn('buyer', 'text')
      .addColumn('status', 'text', (c) => c.notNull()) // submitted | confirmed | disputed | held | excluded
      .addColumn('bucket_id', 'bigint') // set while confirmed
      .addColumn('submitted_by', 'text', (c) => c.notNull())
      .addColumn('submitted_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at_ms', 'bigint')
      .addColumn('note', 'text')
      .addPrimaryKeyConstraint('settlement_invoices_pk', ['exporter', 'reference'])
      .execute();
    await db.schema.createIndex('settlement_invoices_importer').on('settlement_invoices').columns(['importer', 'status']).execute();
    await db.schema.createIndex('settlement_invoices_bucket').on('settlement_invoices').column('bucket_id').execute();
    await db.schema
      .createTable('settlement_positions')
      .addColumn('bucket_id', 'bigint', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('receivable_minor', 'bigint', (c) => c.notNull())
      .addColumn('payable_minor', 'bigint', (c) => c.notNull())
      .addColumn('invoices', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_positions_pk', ['bucket_id', 'member'])
      .execute();
    await db.schema
      .createTable('settlement_cycles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'integer', (c) => c.notNull().unique())
      .addColumn('cutoff', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()) // closed | settled | rescinded (open is implicit: the open buckets)
      .addColumn('mode', 'text', (c) => c.notNull()) // escrow | direct
      .addColumn('rates', 'text', (c) => c.notNull()) // canonical JSON of the locked rates with their source
      .addColumn('closed_by', 'text', (c) => c.notNull())
      .addColumn('closed_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text')
      .execute();
    await db.schema
      .createTable('settlement_cycle_positions')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('sats', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_cycle_positions_pk', ['cycle_id', 'member'])
      .execute();
    await db.schema
      .createTable('settlement_cycle_gross')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('receivable_minor', 'bigint', (c) => c.notNull())
      .addColumn('payable_minor', 'bigint', (c) => c.notNull())
      .addColumn('invoices', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_cycle_gross_pk', ['cycle_id', 'member', 'currency'])
      .execute();
    await db.schema
      .createTable('settlement_cycle_transfers')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('from_member', 'text', (c) => c.notNull())
      .addColumn('to_member', 'text', (c) => c.notNull())
      .addColumn('sats', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_cycle_transfers_pk', ['cycle_id', 'seq'])
      .execute();
    await db.schema
      .createTable('settlement_screening_lists')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull()) // canonical JSON of the parsed list
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('loaded_by', 'text', (c) => c.notNull())
      .addColumn('loaded_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('settlement_holds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull()) // member | invoice | address
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('matches', 'text', (c) => c.notNull()) // JSON array of what matched
      .addColumn('list_version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()) // pending | released | rejected
      .addColumn('raised_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at_ms', 'bigint')
      .addColumn('reason', 'text')
      .execute();
    await db.schema.createIndex('settlement_holds_subject').on('settlement_holds').columns(['kind', 'subject']).execute();
  },
};
