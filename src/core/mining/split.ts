/**
 * Splitting a total of sats between partners by shares in basis points (issue #17), exactly:
 * each partner gets floor(total × bps / 10,000), and the sats left over go one each to the
 * partners with the largest remainders (ties: larger share first, then partner name in code-unit
 * order). The parts always sum to the total, to the sat.
 *
 * Shares must be whole basis points summing to exactly 10,000, partner names unique and non-empty;
 * otherwise a DomainError('INVALID_ARGUMENT'|'INVALID_AMOUNT') names the problem.
 */
import { DomainError } from '../errors.ts';
import type { Sats } from '../money.ts';

export interface Share {
  readonly partner: string;
  /** Whole basis points, 0…10,000. */
  readonly bps: number;
}

export interface Part {
  readonly partner: string;
  readonly sats: Sats;
}

export const TOTAL_BPS = 10_000;

/** Check a share table: whole bps, unique non-empty names, summing to exactly 10,000. */
export function assertShares(shares: readonly Share[]): void {
  if (shares.length === 0) throw new DomainError('INVALID_ARGUMENT', 'no shares given: list partners with their basis points, e.g. "LAGEO:2300,CEL:2700,PAK:5000"');
  const seen = new Set<string>();
  let sum = 0;
  for (const s of shares) {
    if (s.partner.trim() === '') throw new DomainError('INVALID_ARGUMENT', 'a share has no partner name');
    if (seen.has(s.partner)) throw new DomainError('INVALID_ARGUMENT', `partner "${s.partner}" is listed twice`);
    seen.add(s.partner);
    if (!Number.isSafeInteger(s.bps) || s.bps < 0 || s.bps > TOTAL_BPS) throw new DomainError('INVALID_ARGUMENT', `share of "${s.partner}" must be whole basis points from 0 to 10000, got ${String(s.bps)}`);
    sum += s.bps;
  }
  if (sum !== TOTAL_BPS) throw new DomainError('INVALID_ARGUMENT', `shares sum to ${sum} basis points; they must sum to exactly 10000`);
}

export function splitByShares(total: Sats, shares: readonly Share[]): Part[] {
  if (typeof total !== 'bigint' || total < 0n) throw new DomainError('INVALID_AMOUNT', `the total must be a whole, non-negative number of sats, got ${String(total)}`);
  assertShares(shares);
  const base = shares.map((s) => ({ partner: s.partner, bps: s.bps, sats: (total * BigInt(s.bps)) / BigInt(TOTAL_BPS), rem: (total * BigInt(s.bps)) % BigInt(TOTAL_BPS) }));
  let left = total - base.reduce((a, b) => a + b.sats, 0n);
  const order = [...base].sort((a, b) => (a.rem !== b.rem ? (b.rem > a.rem ? 1 : -1) : a.bps !== b.bps ? b.bps - a.bps : a.partner < b.partner ? -1 : a.partner > b.partner ? 1 : 0));
  for (const b of order) {
    if (left === 0n) break;
    if (b.rem === 0n) continue;
    b.sats += 1n;
    left -= 1n;
  }
  if (left !== 0n) throw new RangeError(`splitByShares: ${left} sats unallocated (invariant)`);
  return base.map((b) => ({ partner: b.partner, sats: b.sats as Sats }));
}
