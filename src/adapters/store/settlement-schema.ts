/**
 * Table interfaces of migration 0013 (alliance settlement), listed in `Tables` (schema.ts).
 * Same conventions as schema.ts: integers read as `bigint | number`, converted with toBig/toNum.
 */
import type { Int, Int8, IntOrNull } from './schema.ts';

export interface SettlementMembersTable {
  code: string;
  state: string;
  institution: string;
  currency: string;
  receive_descriptor: string;
  api_identity: string;
  status: string; // active | held | rejected
  added_by: string;
  added_at_ms: Int8;
}

export interface SettlementBucketsTable {
  id: Int8;
  due_date: string;
  currency: string;
  cycle_id: string | null;
}

export interface SettlementInvoicesTable {
  exporter: string;
  reference: string;
  importer: string;
  amount_minor: Int8;
  currency: string;
  due_date: string;
  seller: string | null;
  buyer: string | null;
  status: string; // submitted | confirmed | disputed | held | excluded
  bucket_id: IntOrNull;
  submitted_by: string;
  submitted_at_ms: Int8;
  decided_by: string | null;
  decided_at_ms: IntOrNull;
  note: string | null;
}

export interface SettlementPositionsTable {
  bucket_id: Int8;
  member: string;
  receivable_minor: Int8;
  payable_minor: Int8;
  invoices: Int8;
}

export interface SettlementCyclesTable {
  id: string;
  seq: Int;
  cutoff: string;
  status: string; // closed | settled | rescinded
  mode: string; // escrow | direct
  rates: string;
  closed_by: string;
  closed_at_ms: Int8;
  note: string | null;
}

export interface SettlementCyclePositionsTable {
  cycle_id: string;
  member: string;
  sats: Int8;
}

export interface SettlementCycleGrossTable {
  cycle_id: string;
  member: string;
  currency: string;
  receivable_minor: Int8;
  payable_minor: Int8;
  invoices: Int8;
}

export interface SettlementCycleTransfersTable {
  cycle_id: string;
  seq: Int;
  from_member: string;
  to_member: string;
  sats: Int8;
}

export interface SettlementScreeningListsTable {
  version: Int;
  source: string;
  document: string;
  sha256: string;
  loaded_by: string;
  loaded_at_ms: Int8;
}

export interface SettlementHoldsTable {
  id: string;
  kind: string; // member | invoice | address
  subject: string;
  matches: string;
  list_version: Int;
  status: string; // pending | released | rejected
  raised_at_ms: Int8;
  decided_by: string | null;
  decided_at_ms: IntOrNull;
  reason: string | null;
}

/** The settlement tables by name (spread into `Tables`). */
export interface SettlementTables {
  settlement_members: SettlementMembersTable;
  settlement_buckets: SettlementBucketsTable;
  settlement_invoices: SettlementInvoicesTable;
  settlement_positions: SettlementPositionsTable;
  settlement_cycles: SettlementCyclesTable;
  settlement_cycle_positions: SettlementCyclePositionsTable;
  settlement_cycle_gross: SettlementCycleGrossTable;
  settlement_cycle_transfers: SettlementCycleTransfersTable;
  settlement_screening_lists: SettlementScreeningListsTable;
  settlement_holds: SettlementHoldsTable;
}
