import { DomainError } from './errors.ts';

/** Amount of bitcoin in satoshis. Always a bigint; never a float. */
export type Sats = bigint & { readonly __brand?: 'Sats' };

export const SATS_PER_BTC = 100_000_000n;
export const MAX_MONEY: Sats = 21_000_000n * SATS_PER_BTC;

/** Throws RangeError unless `v` is a bigint within 0..MAX_MONEY. */
export function assertSats(v: unknown, label: string): asserts v is Sats {
  if (typeof v !== 'bigint') throw new TypeError(`"${label}" expected bigint, got ${typeof v}`);
  if (v < 0n || v > MAX_MONEY) throw new RangeError(`"${label}" out of range: ${v}`);
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
  return sats;
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
    return v;
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
