import type { Migration } from '../migrator.ts';

/**
 * Compliance (issue #15): the register of public wallets (every version kept: a change adds a row),
 * classification overrides keyed by txid (NOT tied to vault_transactions, so they survive reorgs
 * and apply again when the transaction reappears), programme commitments (every version kept) and
 * the alerts monitoring raised. Times are ms since epoch; dates are YYYY-MM-DD (UTC).
 */
export const m0011Compliance: Migration = {
  version: 11,
  name: 'compliance',
  async up(db) {
    await db.schema
      .createTable('compliance_register')
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('legal_basis', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('joined_on', 'text', (c) => c.notNull())
      .addColumn('left_on', 'text')
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('compliance_register_pk', ['vault_id', 'version'])
      .execute();
    await db.schema
      .createTable('compliance_overrides')
      .addColumn('txid', 'text', (c) => c.primaryKey())
      .addColumn('class', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('set_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('compliance_commitments')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull()) // canonical JSON
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('compliance_commitments_pk', ['id', 'version'])
      .execute();
    await db.schema
      .createTable('compliance_alerts')
      .addColumn('commitment_id', 'text', (c) => c.notNull())
      .addColumn('commitment_version', 'integer', (c) => c.notNull())
      .addColumn('txid', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('raised_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('resolved_at_ms', 'bigint')
      .addColumn('resolution', 'text')
      .addPrimaryKeyConstraint('compliance_alerts_pk', ['commitment_id', 'commitment_version', 'txid'])
      .execute();
  },
};
