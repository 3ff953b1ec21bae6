/**
 * Screening (issue #16 item 6): load the screening list (a sanctions-list file, JSON or CSV: see
 * core/settlement/screening.ts), check members at onboarding, invoices' parties at submission and
 * payout addresses before a payout (`screenPayoutAddress`, for the on-chain phase), and record a
 * compliance officer's decision on each hold. Every step is in the audit log.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DomainError } from '../../core/errors.ts';
import { parseScreeningList, screen, type ScreenedParty } from '../../core/settlement/screening.ts';
import type { HoldStatus, NewHold, ScreeningHold, SettlementStore } from '../../core/settlement/store-port.ts';
import type { SettlementActor, SettlementDeps } from './deps.ts';

/** The current list, ready to check a party (null: no list loaded, nothing is held). */
export async function screeningOf(deps: { settlement: Pick<SettlementStore, 'screeningList'> }): Promise<{ version: number; check: (p: ScreenedParty) => NewHold | null } | null> {
  const stored = await deps.settlement.screeningList();
  if (!stored) return null;
  return {
    version: stored.version,
    check: (p) => {
      const matches = screen(stored.list, p);
      return matches.length > 0 ? { matches, listVersion: stored.version } : null;
    },
  };
}

/**
 * Load a new version of the screening list from a file's text. It applies to what is screened
 * from now on (members, invoices and addresses already decided are not screened again).
 * @throws MALFORMED_DATA (the file), FORBIDDEN (a member may not)
 */
export async function loadScreeningList(deps: SettlementDeps, by: SettlementActor, text: string, origin: string): Promise<{ version: number; entries: number; sha256: string }> {
  if (by.member !== null) throw new DomainError('FORBIDDEN', 'only the alliance\'s compliance officer loads the screening list');
  const list = parseScreeningList(text, origin);
  const digest = bytesToHex(sha256(new TextEncoder().encode(text)));
  const atMs = deps.now();
  const version = await deps.settlement.loadScreeningList(list, origin, digest, { actor: by.actor, atMs }, (v) => ({
    actor: by.actor, role: by.role, action: 'settlement.screening.load', object: `screening-list:${v}`, atMs, details: { source: list.source, origin, entries: list.entries.length, sha256: digest },
  }));
  return { version, entries: list.entries.length, sha256: digest };
}

/**
 * Screen a payout address before it is paid (the on-chain phase calls this for each receiver's
 * derived address): null when it is clear, else the hold raised (pending a decision; do not pay).
 * @example const hold = await screenPayoutAddress(deps, 'bcrt1q…', { cycle: 'cycle-3', member: 'PAK' }); if (hold) stop
 */
export async function screenPayoutAddress(deps: { settlement: Pick<SettlementStore, 'screeningList' | 'raiseHold'>; now: () => number }, address: string, context: { cycle: string; member: string }): Promise<ScreeningHold | null> {
  const s = await screeningOf(deps);
  const hold = s?.check({ addresses: [address] }) ?? null;
  if (!hold) return null;
  const atMs = deps.now();
  return deps.settlement.raiseHold('address', address, hold, atMs, (h) => ({
    actor: 'screening', role: 'system', action: 'settlement.screening.hold', object: `hold:${h.id}`, atMs, details: { kind: 'address', address, ...context, matches: h.matches },
  }));
}

export async function listHolds(deps: Pick<SettlementDeps, 'settlement'>, status?: HoldStatus): Promise<ScreeningHold[]> {
  return deps.settlement.holds({ status });
}

/**
 * A compliance officer releases or rejects a held member, invoice or address, with a reason.
 * @throws NOT_FOUND, INVALID_STATE (already decided), INVALID_ARGUMENT (no reason), FORBIDDEN (a member)
 */
export async function decideHold(deps: SettlementDeps, by: SettlementActor, id: string, decision: 'release' | 'reject', reason: string): Promise<ScreeningHold> {
  if (by.member !== null) throw new DomainError('FORBIDDEN', 'only the alliance\'s compliance officer decides screening holds');
  const why = reason.trim();
  if (why === '') throw new DomainError('INVALID_ARGUMENT', 'a screening decision needs a reason (--reason)');
  if (why.length > 500) throw new DomainError('INVALID_ARGUMENT', 'the reason is at most 500 characters');
  const atMs = deps.now();
  return deps.settlement.decideHold(id.trim(), decision, { actor: by.actor, atMs, reason: why }, (h) => ({
    actor: by.actor, role: by.role, action: `settlement.screening.${decision}`, object: `hold:${h.id}`, atMs, details: { kind: h.kind, subject: h.subject, matches: h.matches, reason: why },
  }));
}
