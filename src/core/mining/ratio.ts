/**
 * Exact rational numbers over bigint, for the quantities of mining that are not money and are not
 * whole: difficulty (a decimal with 8 places, or 0xffff·2^208 / target), efficiency (J/TH), power
 * (MW), hashrate shares. Money never stays a ratio: it is rounded once, to sats or to fiat minor
 * units, half away from zero, where a figure is reported.
 *
 * A `Ratio` is always normalised: den > 0 and gcd(|num|, den) = 1.
 */
import { DomainError } from '../errors.ts';

export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const abs = (a: bigint): bigint => (a < 0n ? -a : a);

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * The ratio num/den, normalised. RangeError on a zero denominator.
 * @example ratio(6n, -4n) // { num: -3n, den: 2n }
 */
export function ratio(num: bigint, den = 1n): Ratio {
  if (den === 0n) throw new RangeError('ratio: zero denominator');
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export const ZERO: Ratio = { num: 0n, den: 1n };
export const ONE: Ratio = { num: 1n, den: 1n };

export const add = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.num, a.den * b.den);
export function div(a: Ratio, b: Ratio): Ratio {
  if (b.num === 0n) throw new RangeError('ratio: division by zero');
  return ratio(a.num * b.den, a.den * b.num);
}
/** a < b → −1, a = b → 0, a > b → 1. */
export function cmp(a: Ratio, b: Ratio): -1 | 0 | 1 {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}
export const int = (n: bigint | number): Ratio => ({ num: BigInt(n), den: 1n });
/** Basis points as a ratio: bps(250) = 1/40. */
export const bps = (n: number): Ratio => ratio(BigInt(n), 10_000n);

/**
 * The nearest integer to `r × 10^digits`, halves away from zero.
 * @example roundTo(ratio(1n, 3n), 2) === 33n; roundTo(ratio(-5n, 2n)) === -3n
 */
export function roundTo(r: Ratio, digits = 0): bigint {
  const num = r.num * 10n ** BigInt(digits);
  const neg = num < 0n;
  const q = (2n * abs(num) + r.den) / (2n * r.den);
  return neg ? -q : q;
}

/** ⌊r⌋ (towards −∞). */
export function floor(r: Ratio): bigint {
  const q = r.num / r.den;
  return r.num < 0n && q * r.den !== r.num ? q - 1n : q;
}

/**
 * A ratio as a decimal text with `digits` places (rounded half away from zero).
 * @example decimalOf(ratio(1n, 8n), 3) === '0.125'; decimalOf(ratio(-1n, 3n), 2) === '-0.33'
 */
export function decimalOf(r: Ratio, digits: number): string {
  const n = roundTo(r, digits);
  const neg = n < 0n;
  const s = (neg ? -n : n).toString().padStart(digits + 1, '0');
  const body = digits === 0 ? s : `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return neg ? `-${body}` : body;
}

const DECIMAL_RE = /^(-)?(\d{1,30})(?:\.(\d{1,18}))?$/;

/**
 * Parse a plain decimal ("18.5", "0.25", "-3") exactly. A user's mistake is a DomainError
 * INVALID_ARGUMENT naming `label`; `allowNegative` off refuses a minus sign.
 * @example parseRatio('18.5', 'efficiency') // { num: 37n, den: 2n }
 */
export function parseRatio(text: string, label: string, allowNegative = false): Ratio {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m || (m[1] !== undefined && !allowNegative)) {
    const shown = text.length > 40 ? `${text.slice(0, 37)}…` : text;
    throw new DomainError('INVALID_ARGUMENT', `${label} must be a ${allowNegative ? '' : 'non-negative '}decimal number, got "${shown}"`);
  }
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return ratio(m[1] === undefined ? units : -units, 10n ** BigInt(frac.length));
}
