import type { Migration } from '../migrator.ts';

/**
 * Mining ventures (issue #17): a venture (its name, the vault that receives its rewards, whether it
 * is public-sector), its partners (each with where its part is paid: a vault of this Soberana or a
 * descriptor, and the next index to derive from that descriptor), its share tables (every version
 * kept, each in force from a block time; shares in basis points per partner), its sites (capacity,
 * energy source and tariff, fleet, pool) and the distributions proposed, one per venture and period
 * (the primary key is what makes a period distributable once).
 *
 * Quantities that are not money are integers in small units: capacity in kW, efficiency in mJ/TH,
 * uptime and fees in basis points, tariffs in minor units of their currency per MWh. Times are ms
 * since the epoch, except `effective_from` (a block time: seconds, as the chain counts them).
 */
export const m0014MiningVentures: Migration = {
  version: 14,
  name: 'mining-ventures',
  async up(db) {
    await db.schema
      .createTable('mining_ventures')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('public_sector', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mining_partners')
      .addColumn('venture_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('settlement_vault_id', 'text')
      .addColumn('settlement_descriptor', 'text')
      .addColumn('next_index', 'integer', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mining_partners_pk', ['venture_id', 'id'])
      .execute();
    await db.schema
      .createTable('mining_share_versions')
      .addColumn('venture_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('effective_from', 'bigint', (c) => c.notNull()) // block time, seconds
      .addColumn('note', 'text')
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mining_share_versions_pk', ['venture_id', 'version'])
      .execute();
    await db.schema
      .createTable('mining_shares')
      .addColumn('venture_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('partner_id', 'text', (c) => c.notNull())
      .addColumn('bps', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('mining_shares_pk', ['venture_id', 'version', 'partner_id'])
      .execute();
    await db.schema
      .createTable('mining_sites')
      .addColumn('venture_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('capacity_kw', 'bigint', (c) => c.notNull())
      .addColumn('energy_source', 'text', (c) => c.notNull())
      .addColumn('tariff_minor_per_mwh', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('market_tariff_minor_per_mwh', 'bigint')
      .addColumn('fleet_ths', 'bigint', (c) => c.notNull())
      .addColumn('efficiency_mj_per_th', 'bigint', (c) => c.notNull())
      .addColumn('uptime_bps', 'integer', (c) => c.notNull())
      .addColumn('pool', 'text')
      .addColumn('pool_fee_bps', 'integer', (c) => c.notNull())
      .addColumn('pool_addresses', 'text', (c) => c.notNull()) // JSON array of addresses
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mining_sites_pk', ['venture_id', 'id'])
      .execute();
    await db.schema
      .createTable('mining_distributions')
      .addColumn('venture_id', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull()) // YYYY-MM (UTC)
      .addColumn('state', 'text', (c) => c.notNull()) // 'claimed' | 'proposed'
      .addColumn('proposal_id', 'integer')
      .addColumn('total_sats', 'bigint', (c) => c.notNull())
      .addColumn('fee_sats', 'bigint', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull()) // canonical JSON: payouts, share versions, parts
      .addColumn('claimed_by', 'text', (c) => c.notNull())
      .addColumn('claimed_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('proposed_at_ms', 'bigint')
      .addPrimaryKeyConstraint('mining_distributions_pk', ['venture_id', 'period'])
      .execute();
  },
};
