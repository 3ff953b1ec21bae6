import type { Migration } from '../migrator.ts';

/**
 * Spend governance: members, versioned policies and their change proposals with approvals, the
 * destination allowlist, spend proposals with approvals and imported partial PSBTs, and the
 * append-only hash-chained audit log (its head hash is also kept in `settings` under
 * `audit_head`, so cutting rows off the end is detectable). Times are milliseconds (bigint).
 * JSON columns hold arrays/objects as text (bigints as strings).
 */
export const m0003Spending: Migration = {
  version: 3,
  name: 'spending',
  async up(db) {
    await db.schema
      .createTable('members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('roles', 'text', (c) => c.notNull()) // JSON array
      .addColumn('groups', 'text', (c) => c.notNull()) // JSON array
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('policy_changes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('proposer', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull()) // proposed | accepted | rejected
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('policy_change_approvals')
      .addColumn('change_id', 'integer', (c) => c.notNull().references('policy_changes.id'))
      .addColumn('approver', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull()) // the approver's groups when approving
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('policy_change_approvals_pk', ['change_id', 'approver'])
      .execute();
    await db.schema
      .createTable('policies')
      .addColumn('version', 'integer', (c) => c.primaryKey()) // the highest is the active one
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('change_id', 'integer', (c) => c.notNull().references('policy_changes.id'))
      .addColumn('activated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('allowlist')
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('allowlist_pk', ['vault_id', 'address'])
      .execute();
    await db.schema
      .createTable('spend_proposals')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull()) // payment | bump | cpfp
      .addColumn('outputs', 'text', (c) => c.notNull()) // JSON
      .addColumn('inputs', 'text', (c) => c.notNull()) // JSON
      .addColumn('change_sats', 'bigint', (c) => c.notNull())
      .addColumn('change_index', 'integer')
      .addColumn('memo', 'text')
      .addColumn('proposer', 'text', (c) => c.notNull())
      .addColumn('fee_rate_kvb', 'bigint', (c) => c.notNull())
      .addColumn('fee_sats', 'bigint', (c) => c.notNull())
      .addColumn('amount_sats', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('psbt', 'text', (c) => c.notNull())
      .addColumn('unsigned_txid', 'text', (c) => c.notNull())
      .addColumn('txid', 'text')
      .addColumn('final_hex', 'text')
      .addColumn('replaces', 'integer')
      .addColumn('replaced_by', 'integer')
      .addColumn('parent', 'integer')
      .addColumn('policy_version', 'integer', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull()) // JSON
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('spend_proposals_vault').on('spend_proposals').columns(['vault_id', 'state']).execute();
    await db.schema
      .createTable('spend_approvals')
      .addColumn('proposal_id', 'integer', (c) => c.notNull().references('spend_proposals.id'))
      .addColumn('approver', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('spend_approvals_pk', ['proposal_id', 'approver'])
      .execute();
    await db.schema
      .createTable('spend_partials')
      .addColumn('proposal_id', 'integer', (c) => c.notNull().references('spend_proposals.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('signatures', 'integer', (c) => c.notNull())
      .addColumn('psbt', 'text', (c) => c.notNull())
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('spend_partials_pk', ['proposal_id', 'seq'])
      .execute();
    // Append-only: code only ever INSERTs here (see audit-store.ts).
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'integer', (c) => c.primaryKey())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull()) // canonical JSON
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
  },
};
