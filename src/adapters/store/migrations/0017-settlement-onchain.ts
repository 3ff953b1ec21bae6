import type { Migration } from '../migrator.ts';

/**
 * Alliance settlement on chain (issue #16 item 5):
 * - `settlement_onchain_cycles`: one row per closed cycle whose on-chain phase was opened: mode
 *   (escrow/direct), the alliance vault (escrow), K, the deadline height, the cycle and its members
 *   as closed (`cycle` JSON, sats as strings: the on-chain phase works from this snapshot), the
 *   phase, the payout or refund proposal, the defaulters (JSON array) of a rescinded cycle.
 * - `settlement_payins`: per cycle and net payer, the alliance vault address derived for it, the
 *   amount due, and what the chain shows (status pending/seen/confirmed, the output completing it,
 *   its height and confirmations) as of the last tracking run.
 * - `settlement_transfers`: the outputs of the payout or refund as proposed (member, address,
 *   sats after its fee share, the fee share).
 * - `settlement_receive_indexes`: the next index of each receive descriptor that is not a vault
 *   here (fresh addresses derived from members' descriptors, never asked for).
 * Times are ms since epoch; sats are 64-bit integers.
 */
export const m0017SettlementOnchain: Migration = {
  version: 17,
  name: 'settlement-onchain',
  async up(db) {
    await db.schema
      .createTable('settlement_onchain_cycles')
      .addColumn('cycle_id', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('vault_id', 'text')
      .addColumn('confirmations', 'integer', (c) => c.notNull())
      .addColumn('deadline_height', 'integer')
      .addColumn('cycle', 'text', (c) => c.notNull())
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('payout_proposal_id', 'integer')
      .addColumn('refund_proposal_id', 'integer')
      .addColumn('defaulters', 'text', (c) => c.notNull())
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('opened_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('settlement_payins')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('payer', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('address_index', 'integer', (c) => c.notNull())
      .addColumn('sats', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('txid', 'text')
      .addColumn('vout', 'integer')
      .addColumn('height', 'integer')
      .addColumn('confirmations', 'integer', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_payins_pk', ['cycle_id', 'payer'])
      .execute();
    await db.schema.createIndex('settlement_payins_by_address').on('settlement_payins').column('address').unique().execute();
    await db.schema
      .createTable('settlement_transfers')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('sats', 'bigint', (c) => c.notNull())
      .addColumn('fee_share', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_transfers_pk', ['cycle_id', 'kind', 'member'])
      .execute();
    await db.schema
      .createTable('settlement_receive_indexes')
      .addColumn('descriptor', 'text', (c) => c.primaryKey())
      .addColumn('next_index', 'integer', (c) => c.notNull())
      .execute();
  },
};
