import type { Migration } from '../migrator.ts';

/**
 * Vaults and everything sync learns about them: derived addresses, transaction outputs
 * (spent or not), transactions, per-vault block checkpoints, BIP-329 labels.
 * Amounts are 64-bit integers (bigint); heights are integers; null height = unconfirmed.
 */
export const m0002Vaults: Migration = {
  version: 2,
  name: 'vaults',
  async up(db) {
    await db.schema
      .createTable('vaults')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull()) // 'descriptor' | 'addresses'
      .addColumn('descriptor', 'text')
      .addColumn('network', 'text', (c) => c.notNull())
      .addColumn('threshold', 'integer')
      .addColumn('birthday_height', 'integer', (c) => c.notNull())
      .addColumn('birthday_time', 'bigint') // seconds; when given as a date, resolved to a height at first sync
      .addColumn('gap_limit', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vault_keys')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('fingerprint', 'text')
      .addColumn('origin_path', 'text')
      .addColumn('xpub', 'text')
      .addColumn('holder', 'text')
      .addPrimaryKeyConstraint('vault_keys_pk', ['vault_id', 'position'])
      .execute();
    await db.schema
      .createTable('vault_addresses')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('branch', 'integer', (c) => c.notNull()) // 0 receive, 1 change
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('script', 'text', (c) => c.notNull()) // scriptPubKey hex
      .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0)) // handed out by `address new`
      .addPrimaryKeyConstraint('vault_addresses_pk', ['vault_id', 'branch', 'idx'])
      .execute();
    await db.schema.createIndex('vault_addresses_script').on('vault_addresses').columns(['script']).execute();
    await db.schema
      .createTable('vault_checkpoints')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_checkpoints_pk', ['vault_id', 'height'])
      .execute();
    await db.schema
      .createTable('vault_txos')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('txid', 'text', (c) => c.notNull())
      .addColumn('vout', 'integer', (c) => c.notNull())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .addColumn('script', 'text', (c) => c.notNull())
      .addColumn('branch', 'integer', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer') // null: unconfirmed (mempool)
      .addColumn('spent_txid', 'text')
      .addColumn('spent_height', 'integer') // null with spent_txid set: spent in the mempool
      .addColumn('frozen', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('vault_txos_pk', ['vault_id', 'txid', 'vout'])
      .execute();
    await db.schema.createIndex('vault_txos_unspent').on('vault_txos').columns(['vault_id', 'spent_txid']).execute();
    await db.schema.createIndex('vault_txos_address').on('vault_txos').columns(['vault_id', 'branch', 'idx']).execute();
    await db.schema
      .createTable('vault_transactions')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('txid', 'text', (c) => c.notNull())
      .addColumn('height', 'integer') // null: unconfirmed
      .addColumn('block_hash', 'text')
      .addColumn('block_time', 'bigint')
      .addColumn('tx_index', 'integer')
      .addColumn('received', 'bigint', (c) => c.notNull())
      .addColumn('spent', 'bigint', (c) => c.notNull())
      .addColumn('fee', 'bigint') // known when every input is ours
      .addColumn('category', 'text')
      .addColumn('raw', 'text', (c) => c.notNull()) // hex, with witness
      .addPrimaryKeyConstraint('vault_transactions_pk', ['vault_id', 'txid'])
      .execute();
    await db.schema.createIndex('vault_transactions_height').on('vault_transactions').columns(['height']).execute();
    // A category set by a person overrides the inferred one and survives reorgs and mempool churn.
    await db.schema
      .createTable('tx_categories')
      .addColumn('txid', 'text', (c) => c.primaryKey())
      .addColumn('category', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('labels')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('origin', 'text')
      .addColumn('spendable', 'integer')
      .addPrimaryKeyConstraint('labels_pk', ['type', 'ref'])
      .execute();
  },
};
