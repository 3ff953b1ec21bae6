/**
 * Accounting vocabulary (issue #13), shared by the ledger, cost basis, valuation and risk modules.
 * Pure types only. Bitcoin amounts are `bigint` sats; fiat amounts are integer minor units (cents)
 * with an ISO 4217 currency code; prices are minor units per whole BTC. No floats for money.
 * Ratios that are not money (volatility, VaR as a fraction) are plain numbers and say so.
 */

/** An amount of fiat money in integer minor units (cents for USD), with its currency. */
export interface Fiat {
  /** ISO 4217 code, upper case: 'USD', 'PKR', 'RUB'. */
  readonly currency: string;
  /** Minor units (cents); may be negative for a loss or an outflow. */
  readonly minor: bigint;
}

/** The price of one whole bitcoin on a day, in minor units of `currency`. */
export interface DailyPrice {
  /** UTC date, YYYY-MM-DD. */
  readonly date: string;
  readonly currency: string;
  /** Minor units per 1 BTC (e.g. USD cents). */
  readonly minorPerBtc: bigint;
}

/** Where a lot of bitcoin came from, as an auditor and the IMF classify it. */
export const ACQUISITION_SOURCES = ['purchase', 'mining', 'seizure', 'settlement', 'donation', 'other'] as const;
export type AcquisitionSource = (typeof ACQUISITION_SOURCES)[number];

/** How the cost of what leaves a vault is measured; chosen per vault and recorded. */
export const COST_BASIS_METHODS = ['fifo', 'specific', 'average'] as const;
export type CostBasisMethod = (typeof COST_BASIS_METHODS)[number];

/** How a lot's cost was established. */
export type CostOrigin =
  /** matched to an imported purchase record (fiat actually paid) */
  | { readonly kind: 'purchase-record'; readonly recordId: string }
  /** no record: valued at the daily price of the receipt day (flagged in every statement) */
  | { readonly kind: 'market-price'; readonly priceDate: string }
  /** carried over from another vault by an internal transfer */
  | { readonly kind: 'transfer'; readonly fromVaultId: string; readonly fromLotId: string };

/**
 * An acquisition lot: bitcoin received by a vault in one transaction output (or a part of a lot moved
 * by an internal transfer), with its cost. Lots are created from confirmed receipts and are never
 * edited: spending reduces them through disposals; a reorg reverses the entries that made them.
 */
export interface Lot {
  /** Stable id: `${txid}:${vout}` for a receipt; `${txid}:${vout}<-${fromLotId}` for a transferred part. */
  readonly id: string;
  readonly vaultId: string;
  readonly txid: string;
  readonly vout: number;
  /** Height and UTC date of the block that confirmed it. */
  readonly height: number;
  readonly date: string;
  readonly source: AcquisitionSource;
  readonly sats: bigint;
  /** Total cost of `sats` in the reporting currency. */
  readonly cost: Fiat;
  readonly costOrigin: CostOrigin;
}

/** Part of a lot consumed by a spend (a payment out, a fee, or an internal transfer). */
export interface Disposal {
  readonly lotId: string;
  readonly vaultId: string;
  /** The spending transaction. */
  readonly txid: string;
  readonly height: number;
  readonly date: string;
  readonly sats: bigint;
  /** Cost basis of the consumed sats (by the vault's method). */
  readonly cost: Fiat;
  /** What the consumed sats were worth on the day (proceeds for a payment; the fee's value; the transfer's value). */
  readonly value: Fiat;
  readonly kind: 'payment' | 'fee' | 'transfer';
}

/** Ledger accounts. Asset accounts are per vault; the rest are the counter-accounts of movements. */
export type LedgerAccount =
  | { readonly kind: 'asset'; readonly vaultId: string }
  | { readonly kind: 'acquisitions'; readonly source: AcquisitionSource }
  | { readonly kind: 'payments-out' }
  | { readonly kind: 'fees' };

/** One line of a double-entry ledger entry: a signed sats amount on an account (debit > 0, credit < 0). */
export interface LedgerLine {
  readonly account: LedgerAccount;
  readonly sats: bigint;
}

/**
 * A balanced double-entry ledger entry (its lines sum to zero), linked to the transaction that
 * caused it. A reorg appends a reversing entry (`reverses` set); entries are never edited.
 */
export interface LedgerEntry {
  /** `${txid}` for the original entry; `${txid}~reversal@${height}` for its reversal; `${txid}#2`, `#3`… when it is posted again after a reversal. */
  readonly id: string;
  readonly txid: string;
  readonly height: number;
  readonly date: string;
  readonly lines: readonly LedgerLine[];
  readonly reverses: string | null;
  readonly memo: string;
}

/** A purchase as announced or recorded by the treasury (imported from CSV). */
export interface PurchaseRecord {
  readonly id: string;
  /** UTC date of the purchase (or announcement). */
  readonly date: string;
  readonly sats: bigint;
  /** Fiat paid, if known (announcements often give only the BTC amount). */
  readonly paid: Fiat | null;
  readonly counterparty: string | null;
  readonly sourceUrl: string | null;
  /** The vault it is for, if the record says; null: any vault. */
  readonly vaultId: string | null;
}
