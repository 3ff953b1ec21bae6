import { DomainError } from './errors.ts';

/**
 * An amount of bitcoin in satoshis, 0..MAX_MONEY. Always a bigint; never a float. The brand is
 * required: a plain bigint is not a `Sats` until `sats()` (or a parser here) has checked it, so a
 * count, a fee rate or a height cannot be passed where an amount is meant.
 *
 * Arithmetic on `Sats` gives a plain `bigint`; wrap a result with `sats()` when it is again an
 * amount. Signed differences (a balance change, a net flow, unconfirmed minus spent) are not
 * amounts: they stay plain `bigint` and are named as deltas.
 */
export type Sats = bigint & { readonly __brand: 'Sats' };

export const SATS_PER_BTC = 100_000_000n;
export const MAX_MONEY = (21_000_000n * SATS_PER_BTC) as Sats;

/**
 * Check a bigint as an amount and brand it. Throws TypeError when `v` is not a bigint and
 * RangeError when it is outside 0..MAX_MONEY (a programmer fault: user input goes through
 * `parseAmount`/`parseBtc`, which throw DomainError instead).
 * @example sats(150_000n) // 150000n as Sats
 * @example sats(-1n, 'change') // throws RangeError: "change" out of range: -1
 */
export function sats(v: bigint, label = 'sats'): Sats {
  assertSats(v, label);
  return v;
}

/** Throws TypeError unless `v` is a bigint, RangeError unless it is within 0..MAX_MONEY. */
export function assertSats(v: unknown, label: string): asserts v is Sats {
  if (typeof v !== 'bigint') throw new TypeError(`"${label}" expected bigint, got ${typeof v}`);
  if (v < 0n || v > MAX_MONEY) throw new RangeError(`"${label}" out of range: ${v}`);
}

/**
 * The sum of amounts, as an amount (RangeError above MAX_MONEY).
 * @example sumSats([sats(1n), sats(2n)]) // 3n as Sats
 */
export function sumSats(values: Iterable<Sats>, label = 'sum'): Sats {
  let total = 0n;
  for (const v of values) total += v;
  return sats(total, label);
}

const BTC_RE = /^(\d{1,8})(?:\.(\d{1,8}))?$/;

/**
 * Parse a decimal BTC string ("0.5", "21", "0.00000001") into sats, exactly.
 * @example parseBtc('1.5') === 150000000n
 */
export function parseBtc(text: string): Sats {
  const m = BTC_RE.exec(text.trim());
  if (!m) throw new DomainError('INVALID_AMOUNT', `not a BTC amount: "${text}" (use e.g. 0.5 or 1.25)`);
  const whole = BigInt(m[1] ?? '0');
  const frac = BigInt((m[2] ?? '').padEnd(8, '0'));
  const sats = whole * SATS_PER_BTC + frac;
  if (sats > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', `amount above 21,000,000 BTC: "${text}"`);
  return sats as Sats; // checked: 0 <= sats <= MAX_MONEY
}

/**
 * Parse an amount given as "<n>sat" / "<n>sats" or decimal BTC.
 * @example parseAmount('1000sat') === 1000n
 */
export function parseAmount(text: string): Sats {
  const t = text.trim().toLowerCase();
  const m = /^(\d+)\s*sats?$/.exec(t);
  if (m) {
    const v = BigInt(m[1] ?? '0');
    if (v > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', `amount above 21,000,000 BTC: "${text}"`);
    return sats(v, 'amount');
  }
  return parseBtc(t.replace(/\s*btc$/, ''));
}

/**
 * Format sats as a decimal BTC string with 8 decimals.
 * @example formatBtc(150000000n) === '1.50000000'
 */
export function formatBtc(sats: bigint): string {
  const neg = sats < 0n;
  const a = neg ? -sats : sats;
  const whole = a / SATS_PER_BTC;
  const frac = (a % SATS_PER_BTC).toString().padStart(8, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}
