import type { Migration } from '../migrator.ts';

/**
 * Alliance settlement on chain, closing the gaps of issue #16 item 5/6:
 * - `settlement_onchain_spends`: every spend of the alliance vault a cycle makes (payout, refund,
 *   follow-up refund of a late pay-in), recorded BEFORE its proposal is made — the intent: its
 *   deterministic `tag` (also in the proposal's memo, so a retry after a crash finds the proposal
 *   it made instead of proposing again), the outpoints it spends and the transfers planned (JSON),
 *   its status (`held` by screening, `claimed` while the proposal is being made, `proposed`,
 *   `abandoned`) and the proposal id once known.
 * - `settlement_address_holds`: every receiver address a cycle derived for a payout, refund or
 *   direct payment and screened, with the screening hold it raised (null: clear).
 * - `settlement_direct_payments`: per direct-mode cycle and net payer, what the chain shows of
 *   its batched payment (pending / seen / paid with K confirmations), as of the last tracking run.
 * Times are ms since epoch.
 */
export const m0018SettlementOnchainRecovery: Migration = {
  version: 18,
  name: 'settlement-onchain-recovery',
  async up(db) {
    await db.schema
      .createTable('settlement_onchain_spends')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull().unique())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('inputs', 'text', (c) => c.notNull())
      .addColumn('transfers', 'text', (c) => c.notNull())
      .addColumn('proposal_id', 'integer')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_onchain_spends_pk', ['cycle_id', 'seq'])
      .execute();
    await db.schema
      .createTable('settlement_address_holds')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('hold_id', 'text')
      .addColumn('screened_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_address_holds_pk', ['cycle_id', 'purpose', 'member'])
      .execute();
    await db.schema
      .createTable('settlement_direct_payments')
      .addColumn('cycle_id', 'text', (c) => c.notNull())
      .addColumn('payer', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('txid', 'text')
      .addColumn('height', 'integer')
      .addColumn('confirmations', 'integer', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('settlement_direct_payments_pk', ['cycle_id', 'payer'])
      .execute();
  },
};
