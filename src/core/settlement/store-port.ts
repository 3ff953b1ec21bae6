/**
 * The settlement store (port; implemented over SQLite and PostgreSQL in
 * src/adapters/store/settlement-store.ts): alliance members, invoices with the incremental
 * positions a cycle close reads, closed cycles, the screening list and its holds.
 *
 * Every mutating method commits its change and its audit entry in ONE transaction (the governance
 * write lock), so two racing writers see each other's committed state: two concurrent closes make
 * one cycle, a confirm never lands in a cycle half-way.
 */
import type { AuditFields } from '../spend/types.ts';
import type { NetBookSnapshot } from './netting.ts';
import type { ScreeningList, ScreeningMatch } from './screening.ts';
import type { AllianceMember, ClosedCycle, LockedRate, MemberCode, NetPosition, SettlementTransfer } from './types.ts';

export const MEMBER_STATUSES = ['active', 'held', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A member as stored: the shared fields plus its API identity (the member id its tokens are bound to). */
export interface StoredMember extends AllianceMember {
  /** The member id tokens carry (`api_tokens.member_id`, bound by enrolment): a token with it acts as this member. */
  readonly apiIdentity: string;
  /** `held` while a screening match waits for a compliance officer; `rejected` after a refusal. */
  readonly status: MemberStatus;
  readonly addedBy: string;
  readonly addedAtMs: number;
}

export const INVOICE_STATUSES = ['submitted', 'confirmed', 'disputed', 'held', 'settled', 'excluded'] as const;
/** `settled` is never stored: a confirmed invoice reads as settled once its cycle is settled on chain. */
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** An invoice as submitted by its exporter. */
export interface NewInvoice {
  readonly exporter: MemberCode;
  readonly reference: string;
  readonly importer: MemberCode;
  /** Positive, in the currency's minor units. */
  readonly amountMinor: bigint;
  readonly currency: string;
  /** YYYY-MM-DD. */
  readonly dueDate: string;
  /** The trading parties behind the invoice (screened), when given. */
  readonly seller: string | null;
  readonly buyer: string | null;
}

export interface StoredInvoice extends NewInvoice {
  readonly status: InvoiceStatus;
  /** The cycle it was netted in (null while not in a closed cycle). */
  readonly cycleId: string | null;
  readonly submittedBy: string;
  readonly submittedAtMs: number;
  readonly decidedBy: string | null;
  readonly decidedAtMs: number | null;
  /** The dispute's reason, a hold's or a rescind's note. */
  readonly note: string | null;
}

export type HoldKind = 'member' | 'invoice' | 'address';
export type HoldStatus = 'pending' | 'released' | 'rejected';

/** A screening match waiting for (or decided by) a compliance officer. */
export interface ScreeningHold {
  readonly id: string;
  readonly kind: HoldKind;
  /** Member code, `EXPORTER/REFERENCE`, or the address. */
  readonly subject: string;
  readonly matches: readonly ScreeningMatch[];
  readonly listVersion: number;
  readonly status: HoldStatus;
  readonly raisedAtMs: number;
  readonly decidedBy: string | null;
  readonly decidedAtMs: number | null;
  readonly reason: string | null;
}

/** A hold to raise with an item (its id is given by the store). */
export interface NewHold {
  readonly matches: readonly ScreeningMatch[];
  readonly listVersion: number;
}

export interface StoredScreeningList {
  readonly version: number;
  readonly source: string;
  readonly sha256: string;
  readonly list: ScreeningList;
  readonly loadedBy: string;
  readonly loadedAtMs: number;
}

export type CycleStatus = 'closed' | 'settled' | 'rescinded';

export interface StoredCycle extends ClosedCycle {
  readonly seq: number;
  readonly status: CycleStatus;
  readonly closedBy: string;
  readonly closedAtMs: number;
  readonly note: string | null;
  /** Per member and currency: the gross receivable and payable of the cycle's invoices, and how many. */
  readonly gross: readonly CycleGross[];
}

export interface CycleGross {
  readonly member: MemberCode;
  readonly currency: string;
  readonly receivableMinor: bigint;
  readonly payableMinor: bigint;
  readonly invoices: number;
}

/** An open (not yet in a cycle) position: a member's net of confirmed invoices in one currency. */
export interface OpenPosition {
  readonly member: MemberCode;
  readonly currency: string;
  readonly receivableMinor: bigint;
  readonly payableMinor: bigint;
  readonly netMinor: bigint;
  readonly invoices: number;
}

export interface InvoiceFilter {
  /** Only invoices this member is party to (exporter or importer). */
  readonly member?: MemberCode | undefined;
  readonly status?: InvoiceStatus | undefined;
  readonly cycleId?: string | undefined;
  readonly limit?: number | undefined;
}

/** What the cycle close computes from the book (the core's `closePositions` and `settlementTransfers`). */
export type NetCompute = (book: NetBookSnapshot) => { positions: NetPosition[]; transfers: SettlementTransfer[] };

export interface CloseRequest {
  readonly cutoff: string;
  readonly mode: 'escrow' | 'direct';
  readonly rates: readonly LockedRate[];
  readonly closedBy: string;
  readonly atMs: number;
}

export interface SettlementStore {
  /** ALREADY_EXISTS when the code or the API identity is taken. A hold makes the member `held`. */
  addMember(m: StoredMember, hold: NewHold | null, audit: AuditFields): Promise<ScreeningHold | null>;
  members(): Promise<StoredMember[]>;
  member(code: MemberCode): Promise<StoredMember | null>;
  memberByIdentity(apiIdentity: string): Promise<StoredMember | null>;

  /**
   * Store a batch of invoices in one transaction: a new (exporter, reference) is inserted (`held`
   * with its hold when screening matched, else `submitted`); one already stored with the same terms
   * is counted as existing; other terms under a stored reference are REFERENCE_CONFLICT and nothing
   * of the batch is stored. `audit` builds the batch's one entry from the counts.
   */
  submitInvoices(batch: readonly { invoice: NewInvoice; hold: NewHold | null }[], by: { actor: string; atMs: number }, audit: (r: { created: number; existing: number; held: number }) => AuditFields): Promise<{ created: number; existing: number; held: number }>;
  invoice(exporter: MemberCode, reference: string): Promise<StoredInvoice | null>;
  invoices(filter?: InvoiceFilter): Promise<StoredInvoice[]>;
  /**
   * The importer (`importer`: only its invoices; null for an alliance administrator acting on any)
   * confirms or disputes invoices in one transaction, with the positions updated in it. Confirm:
   * from submitted or disputed; dispute: from submitted, or confirmed while not in a closed cycle.
   * NOT_FOUND for an unknown invoice, FORBIDDEN for one the member is not the importer of,
   * INVALID_STATE otherwise (nothing stored).
   */
  decideInvoices(keys: readonly { exporter: MemberCode; reference: string }[], decision: 'confirm' | 'dispute', by: { importer: MemberCode | null; actor: string; atMs: number; note: string | null }, audit: (n: number) => AuditFields): Promise<number>;
  /** Open positions (confirmed invoices not in a cycle), per member and currency; `dueBy` only those due on or before it. */
  openPositions(opts?: { member?: MemberCode | undefined; dueBy?: string | undefined }): Promise<OpenPosition[]>;
  /** The currencies of the open positions due on or before `cutoff` (what a close must lock rates for). */
  openCurrencies(cutoff: string): Promise<string[]>;

  /**
   * Close a cycle at `cutoff`: every open bucket due by it enters, read as a NetBook snapshot
   * (O(days × members × currencies) rows), netted by `compute`, stored with its rates, positions,
   * gross and transfers. When nothing is open by the cutoff and the latest cycle has this cutoff,
   * that cycle is returned (`created: false`: two concurrent closes give one cycle); otherwise
   * INVALID_STATE (nothing to settle).
   */
  closeCycle(req: CloseRequest, compute: NetCompute, audit: (c: StoredCycle) => AuditFields): Promise<{ cycle: StoredCycle; created: boolean }>;
  cycles(): Promise<StoredCycle[]>;
  cycle(id: string): Promise<StoredCycle | null>;
  /** The on-chain phase's view of a closed (or settled) cycle; null for an unknown or rescinded one. */
  closedCycle(id: string): Promise<ClosedCycle | null>;
  /** Every cycle the on-chain phase may still act on or report (closed or settled), oldest first. */
  closedCycles(): Promise<ClosedCycle[]>;
  /** Mark a closed cycle settled (the payout confirmed). INVALID_STATE unless it is closed. */
  markCycleSettled(id: string, note: string | null, audit: AuditFields): Promise<void>;
  /**
   * Rescind a closed cycle: its invoices leave it (their buckets open again), the invoices of
   * `excludeMembers` are excluded (and taken out of the positions), the cycle is `rescinded` with
   * `reason`. The next close nets the rest again. INVALID_STATE unless it is closed.
   */
  rescindCycle(id: string, excludeMembers: readonly MemberCode[], reason: string, audit: AuditFields): Promise<{ excluded: number }>;

  /** Store a new version of the screening list. */
  loadScreeningList(list: ScreeningList, source: string, sha256: string, by: { actor: string; atMs: number }, audit: (version: number) => AuditFields): Promise<number>;
  screeningList(): Promise<StoredScreeningList | null>;
  /** Raise a hold on its own (a payout address); returns it. */
  raiseHold(kind: HoldKind, subject: string, hold: NewHold, atMs: number, audit: (h: ScreeningHold) => AuditFields): Promise<ScreeningHold>;
  holds(opts?: { status?: HoldStatus | undefined }): Promise<ScreeningHold[]>;
  hold(id: string): Promise<ScreeningHold | null>;
  /**
   * A compliance officer's decision on a pending hold, with what it held: a released member becomes
   * active, a released invoice submitted; a rejected member rejected, a rejected invoice excluded.
   * NOT_FOUND, INVALID_STATE (already decided).
   */
  decideHold(id: string, decision: 'release' | 'reject', by: { actor: string; atMs: number; reason: string }, audit: (h: ScreeningHold) => AuditFields): Promise<ScreeningHold>;
}
