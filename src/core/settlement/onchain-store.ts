/**
 * The persistence port of the on-chain phase of alliance settlement (issue #16 item 5): each
 * cycle's on-chain record (escrow or direct), its pay-ins and the payout or refund planned.
 * Implemented over SQLite and PostgreSQL in src/adapters/store/settlement-onchain-store.ts
 * (migration 0017). Every mutating method commits atomically, with its audit entry when given.
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
  recordSpend(cycleId: string, spend: { kind: 'payout' | 'refund'; proposalId: number | null; transfers: readonly PlannedTransfer[]; defaulters: readonly MemberCode[] }, audit: AuditFields, atMs: number): Promise<void>;
  transfers(cycleId: string): Promise<PlannedTransfer[]>;
  /** The next unused index of a receive descriptor not watched here (fresh receive addresses). */
  takeReceiveIndex(descriptor: string): Promise<number>;
}
