/**
 * Table types of migration 0017 (settlement on chain), joined into `Tables` in schema.ts.
 * test/store-schema.test.ts compares them with what the migration builds on both engines.
 */
import type { Int, Int8, IntOrNull } from './schema.ts';

export interface SettlementOnchainCyclesTable {
  cycle_id: string; // primary key
  mode: string; // 'escrow' | 'direct'
  vault_id: string | null;
  confirmations: Int;
  deadline_height: IntOrNull;
  cycle: string; // JSON: { cycle, members } as closed, sats as strings
  phase: string; // 'collecting' | 'payout-proposed' | 'refund-proposed'
  payout_proposal_id: IntOrNull;
  refund_proposal_id: IntOrNull;
  defaulters: string; // JSON array of member codes
  opened_by: string;
  opened_at_ms: Int8;
  updated_at_ms: Int8;
}

export interface SettlementPayinsTable {
  cycle_id: string; // primary key (cycle_id, payer)
  payer: string;
  address: string; // unique
  address_index: Int;
  sats: Int8;
  status: string; // 'pending' | 'seen' | 'confirmed'
  txid: string | null;
  vout: IntOrNull;
  height: IntOrNull;
  confirmations: Int;
  updated_at_ms: Int8;
}

export interface SettlementTransfersTable {
  cycle_id: string; // primary key (cycle_id, kind, member)
  kind: string; // 'payout' | 'refund'
  member: string;
  address: string;
  sats: Int8;
  fee_share: Int8;
}

export interface SettlementReceiveIndexesTable {
  descriptor: string; // primary key
  next_index: Int;
}

/** Migration 0018: each spend of the alliance vault a cycle makes, recorded before its proposal. */
export interface SettlementOnchainSpendsTable {
  cycle_id: string; // primary key (cycle_id, seq)
  seq: Int;
  kind: string; // 'payout' | 'refund'
  tag: string; // unique; also in the proposal's memo
  status: string; // 'held' | 'claimed' | 'proposed' | 'abandoned'
  inputs: string; // JSON array of "txid:vout"
  transfers: string; // JSON array of planned transfers (sats as strings)
  proposal_id: IntOrNull;
  created_at_ms: Int8;
  updated_at_ms: Int8;
}

/** Migration 0018: each receiver address a cycle derived and screened, with the hold it raised. */
export interface SettlementAddressHoldsTable {
  cycle_id: string; // primary key (cycle_id, purpose, member)
  purpose: string; // 'payout' | 'refund' | 'direct'
  member: string; // receiver code, or PAYER>RECEIVER in direct mode
  address: string;
  hold_id: string | null;
  screened_at_ms: Int8;
}

/** Migration 0018: a direct-mode payer's batched payment as the chain shows it. */
export interface SettlementDirectPaymentsTable {
  cycle_id: string; // primary key (cycle_id, payer)
  payer: string;
  status: string; // 'pending' | 'seen' | 'paid'
  txid: string | null;
  height: IntOrNull;
  confirmations: Int;
  updated_at_ms: Int8;
}

export interface SettlementOnchainTables {
  settlement_onchain_cycles: SettlementOnchainCyclesTable;
  settlement_payins: SettlementPayinsTable;
  settlement_transfers: SettlementTransfersTable;
  settlement_receive_indexes: SettlementReceiveIndexesTable;
  settlement_onchain_spends: SettlementOnchainSpendsTable;
  settlement_address_holds: SettlementAddressHoldsTable;
  settlement_direct_payments: SettlementDirectPaymentsTable;
}
