/**
 * The lifecycle of a spend proposal. Every governance step asks this table before it moves a
 * proposal (`assertTransition`), inside the same database transaction that records the move.
 *
 *   proposed ─approve (quorum)─▶ approved ─finalize─▶ signed ─broadcast─▶ broadcasting ─node accepted─▶ broadcast ─sync─▶ confirmed
 *      │                            │                   ▲                    │                          │  ▲                 │
 *      └────────── cancel ──────────┴───────────────────┼──── cancel         └─ node refused / never    │  └── reorg ────────┘
 *                                                       └──────────────────────── got it (sync) ────────┘
 *   broadcast / confirmed ─▶ replaced (our own bump won) or conflicted (someone else's transaction
 *   spent the coins) — both found by sync from the chain, also after a reorg.
 *
 * A policy that allows without approval moves a new proposal straight to `approved`.
 * `broadcasting` is written BEFORE the node is asked, so a crash between the call and the record
 * is found by the next sync: the node either has the transaction (→ broadcast/confirmed) or not
 * (→ signed, to be broadcast again).
 */
import { DomainError } from '../errors.ts';
import type { SpendState } from './types.ts';

export const TRANSITIONS: Readonly<Record<SpendState, readonly SpendState[]>> = {
  // People move proposals forward (approve, finalize, broadcast, cancel). Sync moves them to what
  // the chain shows, from any state: a transaction seen on chain, however it got there, wins.
  proposed: ['approved', 'cancelled', 'broadcast', 'confirmed', 'conflicted'],
  approved: ['signed', 'cancelled', 'broadcast', 'confirmed', 'conflicted'],
  signed: ['broadcasting', 'cancelled', 'broadcast', 'confirmed', 'conflicted'],
  broadcasting: ['broadcast', 'confirmed', 'signed', 'replaced', 'conflicted'],
  broadcast: ['confirmed', 'replaced', 'conflicted'],
  confirmed: ['broadcast', 'replaced', 'conflicted'],
  replaced: ['confirmed'],
  conflicted: ['confirmed', 'broadcast'],
  cancelled: ['broadcast', 'confirmed'],
};

/** States in which a proposal still holds its coins (they are not offered to new proposals). */
export const LIVE_STATES: readonly SpendState[] = ['proposed', 'approved', 'signed', 'broadcasting', 'broadcast'];

/** States whose amount counts toward velocity limits. */
export const SPENDING_STATES: readonly SpendState[] = ['approved', 'signed', 'broadcasting', 'broadcast', 'confirmed'];


/** May a proposal move from `from` to `to`? */
export function canTransition(from: SpendState, to: SpendState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * @throws DomainError INVALID_STATE naming both states when the move is not allowed
 * @example assertTransition(3, 'proposed', 'signed') // throws: proposal 3 is proposed; it cannot become signed
 */
export function assertTransition(id: number, from: SpendState, to: SpendState): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_STATE', `proposal ${id} is ${from}; it cannot become ${to}`);
  }
}

/** What the chain says about a tracked proposal's transaction (sync's view of the vault). */
export interface ChainFacts {
  /** The transaction is in a block of the best chain. */
  readonly confirmed: boolean;
  /** The transaction is in the node's mempool. */
  readonly inMempool: boolean;
  /** Another transaction, confirmed, spends one of its coins: its txid, and whether it is one of our proposals that replaces this one. */
  readonly spentByConfirmed: { readonly txid: string; readonly ourReplacement: boolean } | null;
}

/**
 * Where sync moves a proposal given what the chain shows, or null to leave it.
 * `broadcastingSettled` is false while a broadcast may still be in flight (a `broadcasting`
 * proposal younger than the grace period): only then is "the node does not have it" not yet an answer.
 * @example trackedTarget('confirmed', { confirmed: false, inMempool: true, spentByConfirmed: null }, true) === 'broadcast' // reorged out
 */
export function trackedTarget(state: SpendState, facts: ChainFacts, broadcastingSettled: boolean): SpendState | null {
  let target: SpendState | null;
  if (facts.confirmed) target = 'confirmed';
  else if (facts.spentByConfirmed) target = facts.spentByConfirmed.ourReplacement && state !== 'proposed' && state !== 'approved' && state !== 'signed' ? 'replaced' : 'conflicted';
  else if (facts.inMempool) target = 'broadcast';
  else if (state === 'broadcasting') target = broadcastingSettled ? 'signed' : null;
  else if (state === 'confirmed') target = 'broadcast'; // left the chain (reorg); may be rebroadcast
  else target = null; // not seen, or dropped from the mempool: nothing new to say
  if (target === null || target === state || !canTransition(state, target)) return null;
  return target;
}
