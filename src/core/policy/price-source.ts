/**
 * Where the policy engine's BTC/USD price comes from. The engine is pure, so the price comes in
 * through the context; the use case asks a `BtcPriceSource` (port; adapters in
 * `src/adapters/prices/`) once per decision and passes what it got, or why it got nothing.
 *
 * Age is counted from 00:00 UTC of the price's day: a daily price for 2026-08-22 is 1.5 days old
 * at 2026-08-23 12:00 UTC. See ADR 0006 for why a USD-limited rule refuses to decide without a
 * recent price instead of passing or failing.
 */
import { isDomainError } from '../errors.ts';
import type { PriceQuote } from './types.ts';

/** A source of the latest BTC/USD price (port). */
export interface BtcPriceSource {
  /** Plain words for messages and the recorded quote, e.g. "file /srv/treasury/btc-usd.csv". */
  readonly description: string;
  /**
   * The newest price whose day is on or before the UTC day of `nowMs`; null when the source has
   * none that early. Rejects with DomainError: PRICE_UNAVAILABLE when the source cannot be reached
   * or read, MALFORMED_DATA when what it holds is not a valid price list.
   */
  latest(nowMs: number): Promise<PriceQuote | null>;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/**
 * 00:00 UTC of a calendar day given as YYYY-MM-DD, in ms; null when the text is not a real day.
 * @example dayStartMs('2026-08-22') === Date.UTC(2026, 7, 22)
 * @example dayStartMs('2026-02-30') === null
 */
export function dayStartMs(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** The UTC day of a time in ms, as YYYY-MM-DD (formatting only; no clock is read). */
export function utcDay(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`"ms" expected an integer time in ms, got ${ms}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** How long ago, in whole days (and hours when under ten days): "102 days", "2 days 10 h", "1 day", "5 h", "30 min". */
export function formatAge(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  const hours = Math.floor((ms % MS_PER_DAY) / 3_600_000);
  const d = `${days} ${days === 1 ? 'day' : 'days'}`;
  if (days === 0) return hours === 0 ? `${Math.floor(ms / 60_000)} min` : `${hours} h`;
  if (days >= 10 || hours === 0) return d;
  return `${d} ${hours} h`;
}

/** A maximum age in plain words: "2 days", "1 day", "36 h", "90 min". */
export function formatMaxAge(ms: number): string {
  if (ms % MS_PER_DAY === 0) return `${ms / MS_PER_DAY} ${ms === MS_PER_DAY ? 'day' : 'days'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** What the use case puts in the policy context: the quote, or null and why. */
export interface PriceForDecision {
  readonly price: PriceQuote | null;
  readonly priceProblem: string | null;
}

/**
 * Ask the source once for a decision. A source that fails with a DomainError (unreachable,
 * malformed) gives no price and the reason; the engine refuses only if a rule it reaches needs the
 * price, so a broken price source never blocks spends that no USD rule governs. Programmer faults
 * propagate.
 * @example const { price, priceProblem } = await priceForDecision(deps.prices, nowMs);
 *          evaluatePolicy(policy, { …, nowMs, price, priceProblem, maxPriceAgeMs });
 */
export async function priceForDecision(source: BtcPriceSource, nowMs: number): Promise<PriceForDecision> {
  try {
    const price = await source.latest(nowMs);
    return { price, priceProblem: price === null ? `${source.description} has no price on or before ${utcDay(nowMs)}` : null };
  } catch (e) {
    if (isDomainError(e)) return { price: null, priceProblem: e.message };
    throw e;
  }
}
