/**
 * The tables of migration 0014 (mining ventures) as Kysely types; `Tables` in schema.ts lists them.
 * Conventions as in schema.ts (integers read as `bigint | number`, converted with `toBig`/`toNum`).
 */
import type { Int, Int8, IntOrNull } from './schema.ts';

export interface MiningVenturesTable {
  id: string; // primary key
  name: string; // unique
  vault_id: string;
  public_sector: Int; // 0 | 1
  created_by: string;
  created_at_ms: Int8;
}

export interface MiningPartnersTable {
  venture_id: string; // primary key (venture_id, id)
  id: string;
  name: string;
  settlement_vault_id: string | null;
  settlement_descriptor: string | null;
  next_index: Int;
  added_by: string;
  added_at_ms: Int8;
}

export interface MiningShareVersionsTable {
  venture_id: string; // primary key (venture_id, version)
  version: Int;
  effective_from: Int8; // block time, seconds
  note: string | null;
  recorded_by: string;
  recorded_at_ms: Int8;
}

export interface MiningSharesTable {
  venture_id: string; // primary key (venture_id, version, partner_id)
  version: Int;
  partner_id: string;
  bps: Int;
}

export interface MiningSitesTable {
  venture_id: string; // primary key (venture_id, id)
  id: string;
  name: string;
  capacity_kw: Int8;
  energy_source: string;
  tariff_minor_per_mwh: Int8;
  currency: string;
  market_tariff_minor_per_mwh: IntOrNull;
  fleet_ths: Int8;
  efficiency_mj_per_th: Int8;
  uptime_bps: Int;
  pool: string | null;
  pool_fee_bps: Int;
  pool_addresses: string; // JSON array
  added_by: string;
  added_at_ms: Int8;
}

export interface MiningDistributionsTable {
  venture_id: string; // primary key (venture_id, period)
  period: string;
  state: string;
  proposal_id: IntOrNull;
  total_sats: Int8;
  fee_sats: Int8;
  document: string; // canonical JSON
  claimed_by: string;
  claimed_at_ms: Int8;
  proposed_at_ms: IntOrNull;
}
