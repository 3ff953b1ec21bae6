/**
 * What the accounting use cases need from storage (port). The SQL adapter is
 * src/adapters/store/accounting-store.ts; both engines behave the same.
 */
import type { AuditFields } from '../spend/types.ts';
import type { CostBasisMethod, PurchaseRecord } from './types.ts';

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

export interface AccountingStore {
  /**
   * Store records in ONE transaction, with one audit entry: each record whose id is already stored
   * is left as it is (an import is idempotent). Returns how many were new and how many were there.
   */
  importPurchases(records: readonly PurchaseRecord[], by: { readonly actor: string; readonly role: string; readonly atMs: number; readonly source: string }): Promise<{ readonly added: number; readonly already: number }>;
  /** Every record, by date then id. */
  purchases(): Promise<StoredPurchase[]>;
  /** Record a vault's method (replacing the previous one) with its audit entry, in one transaction. */
  setCostMethod(record: CostMethodRecord, audit: AuditFields): Promise<void>;
  costMethods(): Promise<CostMethodRecord[]>;
}
