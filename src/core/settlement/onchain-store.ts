/**
 * The persistence port of the on-chain phase of alliance settlement (issue #16 item 5): each
 * cycle's on-chain record (escrow or direct), its pay-ins and the payout or refund planned.
 * Implemented over SQLite and PostgreSQL in src/adapters/store/settlement-onchain-store.ts
 * (migrations 0017 and 0018). Every mutating method commits atomically, with its audit entry when given.
 */
import type { AuditFields } from '../spend/types.ts';
import type { PayInStatus } from './escrow.ts';
import type { AllianceMember, ClosedCycle, MemberCode } from './types.ts';

/**
 * Where a cycle's on-chain phase stands:
 * - `collecting`: waiting for pay-ins (escrow) or for the payers' own payments (direct);
 * - `payout-proposed`: the batched payout is a spend proposal in the alliance vault;
 * - `refund-proposed`: rescinded; the batched refund is a spend proposal in the alliance vault.
 * Whether that proposal is signed, broadcast or confirmed is the proposal's own state.
 */
export type OnchainPhase = 'collecting' | 'payout-proposed' | 'refund-proposed';

export interface OnchainCycle {
  readonly cycleId: string;
  readonly mode: 'escrow' | 'direct';
  /** The alliance vault's id (escrow); null in direct mode. */
  readonly vaultId: string | null;
  /** Confirmations a pay-in needs (K). */
  readonly confirmations: number;
  /** The last block height at which a pay-in may be mined (escrow); null in direct mode. */
  readonly deadlineHeight: number | null;
  /** The cycle as it was closed, and its members (receive descriptors) at that moment. */
  readonly cycle: ClosedCycle;
  readonly members: readonly AllianceMember[];
  readonly phase: OnchainPhase;
  readonly payoutProposalId: number | null;
  readonly refundProposalId: number | null;
  readonly defaulters: readonly MemberCode[];
  readonly openedBy: string;
  readonly openedAtMs: number;
  readonly updatedAtMs: number;
}

export interface StoredPayIn {
  readonly cycleId: string;
  readonly payer: MemberCode;
  /** The alliance vault's receive address derived for this cycle and payer, and its index. */
  readonly address: string;
  readonly addressIndex: number;
  readonly sats: bigint;
  readonly status: PayInStatus;
  /** The output completing the pay-in when one is seen, with its height (null in the mempool). */
  readonly txid: string | null;
  readonly vout: number | null;
  readonly height: number | null;
  readonly confirmations: number;
  readonly updatedAtMs: number;
}

/** One output of a payout or refund as planned: who, where, how much (after its fee share). */
export interface PlannedTransfer {
  /** `payout`: escrow payout or direct-mode payment; `refund`: a rescinded cycle's refund. */
  readonly kind: 'payout' | 'refund';
  readonly member: MemberCode;
  readonly address: string;
  readonly sats: bigint;
  readonly feeShare: bigint;
}

/**
 * A spend of the alliance vault a cycle makes, recorded BEFORE its proposal is made (migration
 * 0018), so that a crash between the proposal and its recording is recovered by the next attempt:
 * the proposal carries `tag` in its memo, and the retry adopts the proposal it finds with it
 * instead of proposing again.
 * - `held`: a receiver address matched the screening list; no proposal until a compliance officer
 *   releases every hold;
 * - `claimed`: being proposed (the proposal may exist already: look for `tag`);
 * - `proposed`: `proposalId` is the proposal;
 * - `abandoned`: given up (a screening hold rejected; a proposal cancelled before it was recorded).
 */
export type SpendIntentStatus = 'held' | 'claimed' | 'proposed' | 'abandoned';

export interface SpendIntent {
  readonly cycleId: string;
  /** 1, 2, … per cycle. */
  readonly seq: number;
  readonly kind: 'payout' | 'refund';
  /** `settlement-intent:<cycle>/<seq>`: unique, and in the proposal's memo. */
  readonly tag: string;
  readonly status: SpendIntentStatus;
  /** The pay-in outputs it spends, `txid:vout`. */
  readonly inputs: readonly string[];
  /** The receivers, their addresses (derived once, screened, kept for every retry) and amounts as last planned. */
  readonly transfers: readonly PlannedTransfer[];
  readonly proposalId: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** A receiver address a cycle derived and screened, with the hold it raised (null: clear). */
export interface ScreenedAddress {
  readonly cycleId: string;
  /** `payout:<seq>` / `refund:<seq>` (the intent), or `direct`. */
  readonly purpose: string;
  /** The receiver (escrow), or `PAYER>RECEIVER` (direct). */
  readonly member: string;
  readonly address: string;
  readonly holdId: string | null;
  readonly screenedAtMs: number;
}

/** A direct-mode payer's batched payment as the chain shows it: `paid` once every payment of it has K confirmations. */
export type DirectPaymentStatus = 'pending' | 'seen' | 'paid';

export interface DirectPayment {
  readonly cycleId: string;
  readonly payer: MemberCode;
  readonly status: DirectPaymentStatus;
  /** A transaction carrying its payments (the last seen), its height and the payment's confirmations (the least of its payments'). */
  readonly txid: string | null;
  readonly height: number | null;
  readonly confirmations: number;
  readonly updatedAtMs: number;
}

export interface SettlementOnchainStore {
  /**
   * ALREADY_EXISTS when the cycle's on-chain phase was opened already. `transfers`: the direct
   * mode's payments as instructed (escrow mode records its transfers with `recordSpend`).
   */
  openCycle(c: OnchainCycle, payIns: readonly StoredPayIn[], audit: AuditFields, transfers?: readonly PlannedTransfer[]): Promise<void>;
  cycle(cycleId: string): Promise<OnchainCycle | null>;
  cycles(): Promise<OnchainCycle[]>;
  payIns(cycleId: string): Promise<StoredPayIn[]>;
  /** Store the pay-ins' new statuses (only those that changed). */
  updatePayIns(cycleId: string, payIns: readonly StoredPayIn[], atMs: number): Promise<void>;
  /**
   * Record the payout or refund proposal (null: a rescinded cycle with nothing to refund);
   * INVALID_STATE unless the cycle is still `collecting` (a second payout, or a refund after a
   * payout, is refused here too).
   */
  recordSpend(cycleId: string, spend: { kind: 'payout' | 'refund'; proposalId: number | null; transfers: readonly PlannedTransfer[]; defaulters: readonly MemberCode[]; intentSeq?: number | undefined }, audit: AuditFields, atMs: number): Promise<void>;
  /** Every spend intent of the cycle, by seq. */
  spendIntents(cycleId: string): Promise<SpendIntent[]>;
  /**
   * Record a new intent (the next seq, its tag) with its screened addresses, in one transaction.
   * INVALID_STATE when the cycle already has an intent `held` or `claimed` (one at a time).
   */
  addSpendIntent(intent: { cycleId: string; kind: 'payout' | 'refund'; status: 'held' | 'claimed'; inputs: readonly string[]; transfers: readonly PlannedTransfer[] }, screened: (seq: number) => readonly ScreenedAddress[], atMs: number, audit?: AuditFields): Promise<SpendIntent>;
  /**
   * Move an intent on (held → claimed, → abandoned, or → proposed with `proposalId` for a follow-up
   * refund; the first payout or refund goes to proposed through `recordSpend`). INVALID_STATE when
   * its status is no longer `from`.
   */
  updateSpendIntent(cycleId: string, seq: number, from: SpendIntentStatus, change: { status: SpendIntentStatus; transfers?: readonly PlannedTransfer[] | undefined; proposalId?: number | undefined }, atMs: number, audit?: AuditFields): Promise<void>;
  screenedAddresses(cycleId: string): Promise<ScreenedAddress[]>;
  addScreenedAddresses(rows: readonly ScreenedAddress[]): Promise<void>;
  directPayments(cycleId: string): Promise<DirectPayment[]>;
  /** Store the direct payments' new statuses (insert or replace). */
  updateDirectPayments(cycleId: string, rows: readonly DirectPayment[]): Promise<void>;
  transfers(cycleId: string): Promise<PlannedTransfer[]>;
  /** The next unused index of a receive descriptor not watched here (fresh receive addresses). */
  takeReceiveIndex(descriptor: string): Promise<number>;
}
