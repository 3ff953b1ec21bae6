/**
 * Alliance settlement (issue #16): currencies, amounts and the rate lock, exactly.
 *
 * - Fiat amounts are integer minor units of an ISO 4217 currency (`CURRENCY_MINOR_DIGITS`).
 * - A locked rate is the price of one BTC in a currency's minor units (`LockedRate`).
 * - A member's net converts to sats as ONE exact rational, Σ_c minor_c × 10^8 / btcPriceMinor_c,
 *   never through floats or per-currency rounding.
 * - `allocatePositions` turns the exact rationals into whole sats: each is floored, and the residue
 *   (the sats the floors lost, an integer because the exact values sum to an integer) goes one sat
 *   each to the largest remainders — ties to the member code first in code-unit order. Every
 *   position is within one sat of its exact value and the positions sum to exactly the exact total
 *   (0 for a netting). Deterministic: the same input gives the same sats.
 */
import { DomainError } from '../errors.ts';
import { SATS_PER_BTC } from '../money.ts';
import type { LockedRate, MemberCode, NetPosition } from './types.ts';

/**
 * ISO 4217 minor-unit digits of the currencies an alliance may settle in (the members' home
 * currencies and the usual invoicing currencies). A currency not here is refused (UNKNOWN_CURRENCY)
 * rather than guessed.
 */
export const CURRENCY_MINOR_DIGITS: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2,
  JPY: 0, KRW: 0, CNY: 2, HKD: 2, SGD: 2, TWD: 2, INR: 2, PKR: 2, BDT: 2, LKR: 2, NPR: 2, IDR: 2, MYR: 2, THB: 2,
  PHP: 2, VND: 0, RUB: 2, BYN: 2, KZT: 2, UZS: 2, KGS: 2, TJS: 2, AMD: 2, AZN: 2, GEL: 2, TRY: 2, IRR: 2, AFN: 2,
  SAR: 2, AED: 2, QAR: 2, KWD: 3, BHD: 3, OMR: 3, JOD: 3, IQD: 3, ILS: 2, EGP: 2, LYD: 3, TND: 3, DZD: 2, MAD: 2,
  NGN: 2, GHS: 2, KES: 2, UGX: 0, TZS: 2, ETB: 2, ZAR: 2, XOF: 0, XAF: 0, RWF: 0, BRL: 2, ARS: 2, CLP: 0, COP: 2,
  PEN: 2, BOB: 2, PYG: 0, UYU: 2, VES: 2, MXN: 2, GTQ: 2, HNL: 2, NIO: 2, CRC: 2, PAB: 2, DOP: 2, CUP: 2, ISK: 0,
};

/** The largest amount a decimal string may give: 10^15 major units (a quadrillion), in any currency. */
const MAX_INTEGER_DIGITS = 15;
const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/**
 * The minor-unit digits of a currency, from {@link CURRENCY_MINOR_DIGITS}.
 * @example currencyMinorDigits('JPY') === 0
 * @throws DomainError UNKNOWN_CURRENCY for a code not in the table
 */
export function currencyMinorDigits(currency: string): number {
  const d = Object.hasOwn(CURRENCY_MINOR_DIGITS, currency) ? CURRENCY_MINOR_DIGITS[currency] : undefined;
  if (d === undefined) throw new DomainError('UNKNOWN_CURRENCY', `unknown currency "${currency}" (an ISO 4217 code such as USD, PKR, RUB)`, { currency });
  return d;
}

/**
 * Parse a positive decimal amount in a currency's units ("1250.50" USD) into minor units (125050n),
 * exactly. More decimals than the currency has is over-precise and refused, even trailing zeros
 * ("1250.500" USD): the file says what the invoice says, in the currency's own units.
 * @example parseMinorAmount('1250.5', 'USD') === 125050n
 * @example parseMinorAmount('980', 'JPY') === 980n
 * @throws DomainError UNKNOWN_CURRENCY; INVALID_AMOUNT for a negative, zero, over-precise, too large or malformed amount
 */
export function parseMinorAmount(text: string, currency: string, what = 'amount'): bigint {
  const digits = currencyMinorDigits(currency);
  const t = text.trim();
  if (/^-\s*[\d.]/.test(t)) throw new DomainError('INVALID_AMOUNT', `${what} "${t}" is negative: amounts are positive (the exporter is owed, the importer owes)`, { reason: 'negative' });
  const m = DECIMAL_RE.exec(t);
  if (!m) throw new DomainError('INVALID_AMOUNT', `${what} "${t}" is not a decimal number (use e.g. 1250.50)`, { reason: 'malformed' });
  const whole = (m[1] ?? '').replace(/^0+(?=\d)/, '');
  const frac = m[2] ?? '';
  if (whole.length > MAX_INTEGER_DIGITS) throw new DomainError('INVALID_AMOUNT', `${what} "${t}" is too large (at most ${MAX_INTEGER_DIGITS} digits before the point)`, { reason: 'too-large' });
  if (frac.length > digits) {
    throw new DomainError('INVALID_AMOUNT', `${what} "${t}" is over-precise: ${currency} has ${digits === 0 ? 'no decimals' : `${digits} decimal${digits === 1 ? '' : 's'}`}`, { reason: 'over-precise' });
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
  if (minor === 0n) throw new DomainError('INVALID_AMOUNT', `${what} "${t}" is zero: amounts are positive`, { reason: 'zero' });
  return minor;
}

/**
 * A locked rate from a decimal price of one BTC in `currency` ("78293.71" USD → 7829371n minor).
 * @example parseLockedRate('USD', '78293.71', 'rates.json').btcPriceMinor === 7829371n
 * @throws DomainError UNKNOWN_CURRENCY; INVALID_AMOUNT as {@link parseMinorAmount}
 */
export function parseLockedRate(currency: string, btcPrice: string, source: string): LockedRate {
  const minorDigits = currencyMinorDigits(currency);
  return { currency, minorDigits, btcPriceMinor: parseMinorAmount(btcPrice, currency, `btcPrice of ${currency}`), source };
}

/** An exact rational number num/den with den > 0 (not necessarily reduced). */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** The greatest common divisor of two bigints (non-negative). */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** floor(a / b) for b > 0 (bigint division truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError(`"divisor" expected positive, got ${b}`);
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** The rational in lowest terms. @example reduce({ num: 6n, den: 4n }) // { num: 3n, den: 2n } */
export function reduce(r: Rational): Rational {
  const g = gcd(r.num, r.den);
  return g <= 1n ? r : { num: r.num / g, den: r.den / g };
}

/**
 * The locked rates of one cycle, ready to convert nets to sats: one common denominator `den`
 * (the lcm of the reduced per-currency denominators) and, per currency, the integer `factor` such
 * that minor × 10^8 / btcPriceMinor = minor × factor / den exactly. Converting a member's nets is
 * then one multiply-add per currency.
 */
export class RateTable {
  readonly den: bigint;
  readonly rates: readonly LockedRate[];
  readonly #factor: ReadonlyMap<string, bigint>;

  constructor(rates: readonly LockedRate[]) {
    const seen = new Map<string, LockedRate>();
    let den = 1n;
    for (const r of rates) {
      if (typeof r.btcPriceMinor !== 'bigint' || r.btcPriceMinor <= 0n) throw new RangeError(`"btcPriceMinor" of ${r.currency} expected a positive bigint, got ${String(r.btcPriceMinor)}`);
      if (seen.has(r.currency)) throw new DomainError('INVALID_ARGUMENT', `two rates for ${r.currency}: give one price per currency`, { currency: r.currency });
      seen.set(r.currency, r);
      const d = r.btcPriceMinor / gcd(SATS_PER_BTC, r.btcPriceMinor);
      den = (den / gcd(den, d)) * d;
    }
    const factor = new Map<string, bigint>();
    for (const r of seen.values()) factor.set(r.currency, (SATS_PER_BTC * den) / r.btcPriceMinor);
    this.den = den;
    this.rates = [...seen.values()];
    this.#factor = factor;
  }

  has(currency: string): boolean {
    return this.#factor.has(currency);
  }

  /**
   * minor × 10^8 / btcPriceMinor as a numerator over `den`.
   * @throws DomainError RATE_MISSING when the table has no rate for the currency
   */
  numerator(currency: string, minor: bigint): bigint {
    const f = this.#factor.get(currency);
    if (f === undefined) throw new DomainError('RATE_MISSING', `no locked rate for ${currency}: give its btcPrice`, { currency });
    return minor * f;
  }

  /**
   * A member's exact net in sats: Σ_c minor_c × 10^8 / btcPriceMinor_c, one rational over `den`.
   * @example new RateTable([usd]).exactSats([['USD', 7829371n]]) // = 10^8 sats (one BTC's worth)
   */
  exactSats(nets: Iterable<readonly [currency: string, minor: bigint]>): Rational {
    let num = 0n;
    for (const [currency, minor] of nets) if (minor !== 0n) num += this.numerator(currency, minor);
    return { num, den: this.den };
  }
}

/**
 * A member's exact net in sats from its per-currency nets in minor units, as one rational in
 * lowest terms: Σ_c minor_c × 10^8 / btcPriceMinor_c.
 * @example exactSats([['USD', 7829371n]], [usdRate]) // { num: 100000000n, den: 1n }
 * @throws DomainError RATE_MISSING for a currency with no rate
 */
export function exactSats(nets: Iterable<readonly [currency: string, minor: bigint]>, rates: readonly LockedRate[] | RateTable): Rational {
  const table = rates instanceof RateTable ? rates : new RateTable(rates);
  return reduce(table.exactSats(nets));
}

/** A member's exact position before rounding. */
export interface ExactPosition {
  readonly member: MemberCode;
  readonly exact: Rational;
}

function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whole-sat positions from exact ones, by largest remainder: floor each; the residue
 * R = Σ exact − Σ floor (an integer, 0 ≤ R < number of members) goes one sat each to the R
 * members with the largest fractional remainder, ties to the member code first in code-unit order.
 * Each result is floor or floor + 1 of its exact value (so within one sat of it) and the results
 * sum to Σ exact exactly — 0 for a netting. Output in input order.
 * @example allocatePositions([{ member: 'A', exact: { num: 1n, den: 2n } }, { member: 'B', exact: { num: -1n, den: 2n } }])
 *   // [{ member: 'A', sats: 1n }, { member: 'B', sats: -1n }]: floors 0 and −1, both remainders ½, the residue of 1 to A (code order)
 * @throws RangeError when the exact values do not sum to an integer, or a member is listed twice
 */
export function allocatePositions(exact: readonly ExactPosition[]): NetPosition[] {
  const seen = new Set<MemberCode>();
  let sumNum = 0n;
  let sumDen = 1n;
  const rows = exact.map((e, index) => {
    if (seen.has(e.member)) throw new RangeError(`allocatePositions: member "${e.member}" listed twice`);
    seen.add(e.member);
    const { num, den } = e.exact;
    if (den <= 0n) throw new RangeError(`allocatePositions: "den" of ${e.member} expected positive, got ${den}`);
    const l = (sumDen / gcd(sumDen, den)) * den;
    sumNum = sumNum * (l / sumDen) + num * (l / den);
    sumDen = l;
    const floor = floorDiv(num, den);
    return { member: e.member, index, den, floor, rem: num - floor * den, sats: floor };
  });
  if (sumNum % sumDen !== 0n) throw new RangeError(`allocatePositions: the exact positions sum to ${sumNum}/${sumDen}, not a whole number of sats`);
  let residue = sumNum / sumDen - rows.reduce((a, r) => a + r.floor, 0n);
  const order = rows.filter((r) => r.rem !== 0n).sort((a, b) => {
    const x = a.rem * b.den;
    const y = b.rem * a.den;
    return x !== y ? (y > x ? 1 : -1) : compareCodes(a.member, b.member);
  });
  for (const r of order) {
    if (residue === 0n) break;
    r.sats += 1n;
    residue -= 1n;
  }
  if (residue !== 0n) throw new RangeError(`allocatePositions: ${residue} sats left unallocated (invariant)`);
  return rows.map((r) => ({ member: r.member, sats: r.sats }));
}
