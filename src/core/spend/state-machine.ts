/**
 * The lifecycle of a spend proposal:
 *
 *   proposed ──approve (quorum)──▶ approved ──finalize──▶ signed ──broadcast──▶ broadcast ──sync──▶ confirmed
 *      │                              │                      │                      │
 *      └──────────── cancel ──────────┴──────────────────────┘                      └─ replaced (a bump or a
 *                                                                                      conflicting spend confirmed)
 * A policy that allows without approval moves a new proposal straight to `approved`.
 */
import { DomainError } from '../errors.ts';
import type { SpendState } from './types.ts';

export const TRANSITIONS: Readonly<Record<SpendState, readonly SpendState[]>> = {
  proposed: ['approved', 'cancelled'],
  approved: ['signed', 'cancelled'],
  signed: ['broadcast', 'cancelled'],
  broadcast: ['confirmed', 'replaced'],
  confirmed: [],
  cancelled: [],
  replaced: [],
};

/** States in which a proposal still holds its coins (they are not offered to new proposals). */
export const LIVE_STATES: readonly SpendState[] = ['proposed', 'approved', 'signed', 'broadcast'];

/** States whose amount counts toward velocity limits. */
export const SPENDING_STATES: readonly SpendState[] = ['approved', 'signed', 'broadcast', 'confirmed'];

/**
 * @throws DomainError INVALID_STATE naming both states when the move is not allowed
 * @example assertTransition(3, 'proposed', 'signed') // throws: proposal 3 is proposed; it cannot become signed
 */
export function assertTransition(id: number, from: SpendState, to: SpendState): void {
  if (!TRANSITIONS[from].includes(to)) {
    throw new DomainError('INVALID_STATE', `proposal ${id} is ${from}; it cannot become ${to}`);
  }
}
