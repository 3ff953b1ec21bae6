/**
 * Reference rates for valuation (issue #13): daily BTC prices in one or more currencies, and
 * exchange rates from the US dollar to other currencies (the IMF's monthly end-of-period rates ship
 * in `data/fx/`; a central bank's daily fixing can be plugged in instead). Pure: the series are
 * in-memory values; the `ReferenceRateSource` port (adapters in `src/adapters/prices/`) loads them.
 *
 * Money stays exact: a BTC price is integer minor units of its currency per whole BTC; an exchange
 * rate is an exact decimal (`units × 10^-scale` units of the currency per 1 US dollar), kept as
 * published and never turned into a float.
 */
import { DomainError } from '../errors.ts';
import { dayStartMs } from '../policy/price-source.ts';
import type { DailyPrice } from './types.ts';

const MS_PER_DAY = 86_400_000;

/**
 * Whole days from `from` to `to` (both YYYY-MM-DD, UTC); negative when `to` is earlier.
 * @example daysBetween('2026-08-21', '2026-12-02') === 103
 */
export function daysBetween(from: string, to: string): number {
  const a = dayStartMs(from);
  const b = dayStartMs(to);
  if (a === null) throw new RangeError(`"from" expected a day as YYYY-MM-DD, got "${from}"`);
  if (b === null) throw new RangeError(`"to" expected a day as YYYY-MM-DD, got "${to}"`);
  return Math.round((b - a) / MS_PER_DAY);
}

/**
 * The day `n` days after `date` (before, when negative).
 * @example addDays('2024-02-28', 2) === '2024-03-01'
 */
export function addDays(date: string, n: number): string {
  const a = dayStartMs(date);
  if (a === null) throw new RangeError(`"date" expected a day as YYYY-MM-DD, got "${date}"`);
  if (!Number.isSafeInteger(n)) throw new RangeError(`"n" expected a whole number of days, got ${n}`);
  return new Date(a + n * MS_PER_DAY).toISOString().slice(0, 10);
}

function assertDay(date: string, label: string): void {
  if (dayStartMs(date) === null) throw new RangeError(`"${label}" expected a day as YYYY-MM-DD, got "${date}"`);
}

function assertCurrency(currency: string, label = 'currency'): void {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`"${label}" expected an ISO 4217 code like "USD", got "${currency}"`);
}

function assertDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 0 || digits > 4) throw new RangeError(`"minorDigits" expected 0 to 4, got ${digits}`);
}

/** Last index with rows[i].date <= date, or -1. */
function lastOnOrBefore(rows: readonly { readonly date: string }[], date: string): number {
  let lo = 0;
  let hi = rows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid] as { date: string }).date <= date) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function sortedUnique<T extends { readonly date: string }>(rows: readonly T[], origin: string): T[] {
  const sorted = [...rows].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  if (sorted.length === 0) throw new DomainError('MALFORMED_DATA', `${origin} has no rows`);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.date === sorted[i - 1]?.date) throw new DomainError('MALFORMED_DATA', `${origin} has two rows for ${sorted[i]?.date}`);
  }
  return sorted;
}

/**
 * A daily BTC price series in one currency, sorted by day. Days may be missing (a lookup then
 * takes the latest earlier day and the caller says how old it is).
 */
export class PriceSeries {
  readonly currency: string;
  /** Decimal places of the currency's minor unit (2 for USD cents, 0 for JPY). */
  readonly minorDigits: number;
  /** Names the data in messages and reports, e.g. "shipped daily history btc_fiat_daily_….csv". */
  readonly origin: string;
  readonly rows: readonly DailyPrice[];

  /**
   * @example new PriceSeries([{ date: '2024-01-01', currency: 'USD', minorPerBtc: 4_200_000n }], { currency: 'USD', minorDigits: 2, origin: 'test' })
   * @throws DomainError MALFORMED_DATA when there are no rows, two share a day, or a price is not positive
   */
  constructor(rows: readonly DailyPrice[], opts: { currency: string; minorDigits: number; origin: string }) {
    assertCurrency(opts.currency);
    assertDigits(opts.minorDigits);
    for (const r of rows) {
      assertDay(r.date, 'date');
      if (r.currency !== opts.currency) throw new RangeError(`"rows" expected prices in ${opts.currency}, got one in ${r.currency}`);
      if (r.minorPerBtc <= 0n) throw new DomainError('MALFORMED_DATA', `${opts.origin}: the ${opts.currency} price for ${r.date} is not positive`);
    }
    this.rows = sortedUnique(rows, opts.origin);
    this.currency = opts.currency;
    this.minorDigits = opts.minorDigits;
    this.origin = opts.origin;
  }

  get first(): DailyPrice {
    return this.rows[0] as DailyPrice;
  }

  get last(): DailyPrice {
    return this.rows[this.rows.length - 1] as DailyPrice;
  }

  /** The price on `date` or the latest earlier day; null before the first row. */
  onOrBefore(date: string): DailyPrice | null {
    const i = lastOnOrBefore(this.rows, date);
    return i < 0 ? null : (this.rows[i] as DailyPrice);
  }

  /** The price of exactly `date`, or null. */
  on(date: string): DailyPrice | null {
    const p = this.onOrBefore(date);
    return p !== null && p.date === date ? p : null;
  }

  /** Rows with from <= date <= to, in order. */
  between(from: string, to: string): DailyPrice[] {
    const end = lastOnOrBefore(this.rows, to);
    const start = lastOnOrBefore(this.rows, from);
    const s = start >= 0 && (this.rows[start] as DailyPrice).date === from ? start : start + 1;
    return this.rows.slice(s, end + 1);
  }
}

/** An exact decimal: `units × 10^-scale`. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/**
 * Parse a plain decimal ("281.52", "0.0125", "56") exactly.
 * @example parseDecimal('105.46375') // { units: 10546375n, scale: 5 }
 * @throws DomainError MALFORMED_DATA naming `label`
 */
export function parseDecimal(text: string, label = 'rate'): Decimal {
  const m = /^(\d{1,15})(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (!m) throw new DomainError('MALFORMED_DATA', `${label} is not a decimal number: "${text.length > 40 ? `${text.slice(0, 37)}…` : text}"`);
  const frac = m[2] ?? '';
  return { units: BigInt(`${m[1]}${frac}`), scale: frac.length };
}

/** A decimal as text, e.g. { units: 10546375n, scale: 5 } → "105.46375". */
export function decimalText(d: Decimal): string {
  if (d.scale === 0) return d.units.toString();
  const s = d.units.toString().padStart(d.scale + 1, '0');
  return `${s.slice(0, s.length - d.scale)}.${s.slice(s.length - d.scale)}`;
}

/** The rate of one day: how many units of `currency` one US dollar buys. */
export interface FxRate {
  /** The day the rate is for (the last day of the month for a month-end rate). */
  readonly date: string;
  readonly currency: string;
  readonly perUsd: Decimal;
}

/** How often a rate series is published; sets the default age at which a rate is called old. */
export type FxFrequency = 'daily' | 'monthly';

/** USD → `currency` rates, sorted by day. */
export class FxSeries {
  readonly currency: string;
  readonly minorDigits: number;
  readonly frequency: FxFrequency;
  /** Names the data, e.g. "IMF IFS end-of-period rates (data/fx/usd_pkr_…csv)". */
  readonly origin: string;
  readonly rows: readonly FxRate[];

  /** @throws DomainError MALFORMED_DATA when there are no rows, two share a day, or a rate is zero */
  constructor(rows: readonly FxRate[], opts: { currency: string; minorDigits: number; frequency: FxFrequency; origin: string }) {
    assertCurrency(opts.currency);
    assertDigits(opts.minorDigits);
    for (const r of rows) {
      assertDay(r.date, 'date');
      if (r.currency !== opts.currency) throw new RangeError(`"rows" expected rates for ${opts.currency}, got one for ${r.currency}`);
      if (r.perUsd.units <= 0n) throw new DomainError('MALFORMED_DATA', `${opts.origin}: the rate for ${r.date} is not positive`);
    }
    this.rows = sortedUnique(rows, opts.origin);
    this.currency = opts.currency;
    this.minorDigits = opts.minorDigits;
    this.frequency = opts.frequency;
    this.origin = opts.origin;
  }

  /** The rate of `date` or the latest earlier one (a month-end rate covers the days after it); null before the first. */
  onOrBefore(date: string): FxRate | null {
    const i = lastOnOrBefore(this.rows, date);
    return i < 0 ? null : (this.rows[i] as FxRate);
  }

  get last(): FxRate {
    return this.rows[this.rows.length - 1] as FxRate;
  }
}

/**
 * Where valuation gets its rates (port). Production plugs in a daily reference rate (a central
 * bank fixing, a file the treasury designates); the default is the shipped files.
 */
export interface ReferenceRateSource {
  /** Plain words for reports, e.g. "shipped files data/prices and data/fx". */
  readonly description: string;
  /** The currencies it has daily BTC prices in (`btc`) and US dollar exchange rates for (`fx`). */
  available(): Promise<{ readonly btc: readonly string[]; readonly fx: readonly string[] }>;
  /** Daily BTC prices in `currency`; null when it has none. Rejects with DomainError (MALFORMED_DATA, PRICE_UNAVAILABLE). */
  btcPrices(currency: string): Promise<PriceSeries | null>;
  /** USD → `currency` rates; null when it has none. */
  usdRates(currency: string): Promise<FxSeries | null>;
}

/**
 * What valuation needs, loaded once: the BTC/USD series (required, also used by the risk module),
 * direct BTC prices in other currencies, and USD exchange rates.
 */
export interface RateBook {
  readonly usd: PriceSeries;
  readonly btc: ReadonlyMap<string, PriceSeries>;
  readonly fx: ReadonlyMap<string, FxSeries>;
  readonly description: string;
}

/**
 * Load a rate book for `currencies` (USD is always loaded). A currency with neither a direct BTC
 * price series nor a USD exchange rate is an INVALID_ARGUMENT naming what the source has.
 * @example const book = await loadRateBook(shippedReferenceRates(), ['USD', 'PKR']);
 */
export async function loadRateBook(source: ReferenceRateSource, currencies: readonly string[]): Promise<RateBook> {
  const usd = await source.btcPrices('USD');
  if (usd === null) throw new DomainError('PRICE_UNAVAILABLE', `${source.description} has no BTC/USD prices`);
  const btc = new Map<string, PriceSeries>([['USD', usd]]);
  const fx = new Map<string, FxSeries>();
  for (const c of new Set(currencies)) {
    if (c === 'USD') continue;
    const direct = await source.btcPrices(c);
    const rates = await source.usdRates(c);
    if (direct === null && rates === null) {
      const a = await source.available();
      throw new DomainError('INVALID_ARGUMENT', `${source.description} has no BTC price or US dollar rate in ${c} (BTC prices: ${a.btc.join(', ') || 'none'}; rates: ${a.fx.join(', ') || 'none'})`);
    }
    if (direct !== null) btc.set(c, direct);
    if (rates !== null) fx.set(c, rates);
  }
  return { usd, btc, fx, description: source.description };
}
