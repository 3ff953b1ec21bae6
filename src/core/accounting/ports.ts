/**
 * What the accounting use cases need from storage (port). The SQL adapter is
 * src/adapters/store/accounting-store.ts; both engines behave the same.
 */
import type { AuditFields } from '../spend/types.ts';
import type { CostBasisMethod, LedgerEntry, PurchaseRecord } from './types.ts';

/** A stored purchase record, with who imported it and when. */
export interface StoredPurchase extends PurchaseRecord {
  readonly importedBy: string;
  readonly importedAtMs: number;
}

/** A vault's recorded cost-basis method. */
export interface CostMethodRecord {
  readonly vaultId: string;
  readonly method: CostBasisMethod;
  readonly setBy: string;
  readonly setAtMs: number;
}

/** A ledger entry as stored (append-only): its position, who appended it and when. */
export interface StoredLedgerEntry extends LedgerEntry {
  readonly seq: number;
  readonly recordedBy: string;
  readonly recordedAtMs: number;
}

/** A cost-basis method recorded for a vault, applying from `effectiveFrom` (a UTC day; '0001-01-01': from the start). */
export interface CostMethodChange {
  readonly seq: number;
  readonly vaultId: string;
  readonly method: CostBasisMethod;
  readonly effectiveFrom: string;
  readonly setBy: string;
  readonly setAtMs: number;
}

/** The day a method recorded without a date applies from: the start of the books. */
export const FROM_THE_START = '0001-01-01';

export interface AccountingStore {
  /**
   * Store records in ONE transaction, with one audit entry: each record whose id is already stored
   * is left as it is (an import is idempotent). Returns how many were new and how many were there.
   */
  importPurchases(records: readonly PurchaseRecord[], by: { readonly actor: string; readonly role: string; readonly atMs: number; readonly source: string }): Promise<{ readonly added: number; readonly already: number }>;
  /** Every record, by date then id. */
  purchases(): Promise<StoredPurchase[]>;
  /**
   * Record a vault's method (replacing the current one) with its audit entry, in one transaction,
   * and append it to the vault's method history from `effectiveFrom` (default: from the start).
   */
  setCostMethod(record: CostMethodRecord, audit: AuditFields, effectiveFrom?: string): Promise<void>;
  costMethods(): Promise<CostMethodRecord[]>;
  /** Every method change, by vault then seq (the current method of each vault is also in `costMethods`). */
  costMethodChanges(): Promise<CostMethodChange[]>;
  /** The stored ledger, in the order appended. */
  ledgerEntries(): Promise<StoredLedgerEntry[]>;
  /**
   * Append to the stored ledger in ONE write transaction: `compute` receives the entries stored at
   * that moment and returns those to append (checked balanced together by the caller's compute);
   * with an audit entry when any is appended. Entries are never updated or deleted.
   */
  appendLedger(compute: (stored: readonly StoredLedgerEntry[]) => readonly LedgerEntry[], by: { readonly actor: string; readonly role: string; readonly atMs: number }): Promise<{ readonly appended: readonly StoredLedgerEntry[]; readonly total: number }>;
}
