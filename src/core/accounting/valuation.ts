/**
 * Valuation (issue #13 item 3): what each vault and the whole reserve are worth on a day, in US
 * dollars and in any currency the rate book has — directly (a BTC price column in that currency) or
 * through the US dollar and an exchange rate. Pure: the holdings and the rates come in as values.
 *
 * Rules, all exact integer arithmetic:
 * - **Price of a day**: the BTC price of that day, or of the latest earlier day in the series. Its
 *   age is the number of days between the two; older than `maxPriceAgeDays` (default 3) is *stale*
 *   and every valuation says so in words ("valued at the price of 2026-08-22, 102 days old").
 * - **Value**: `sats × minorPerBtc / 10^8`, rounded to the nearest minor unit, halves away from zero
 *   (the same rule as `valueInCents` of the public view).
 * - **Total**: the sum of the vaults' rounded values, so a statement foots; it can differ from
 *   valuing the total sats at once by at most half a minor unit per vault.
 * - **Other currencies through the US dollar** (when no direct BTC price is chosen): the price per BTC
 *   in the currency is `usdCentsPerBtc × rate`, rescaled to the currency's minor unit and rounded
 *   the same way, then the value rule above. The rate is the one of the day or the latest earlier
 *   one: for the IMF's monthly end-of-period series, the last month end on or before the day (so
 *   2025-11-15 uses 2025-10-31). A rate older than `maxFxAgeDays` (default 35 for a monthly series,
 *   3 for a daily one) is stale and said so.
 */
import { DomainError } from '../errors.ts';
import { addDays, daysBetween, decimalText, type FxSeries, type PriceSeries, type RateBook } from './reference-rate.ts';
import type { Fiat } from './types.ts';
import { coded, type CodedSentence } from '../text/coded-sentence.ts';

const SATS_PER_BTC = 100_000_000n;

/**
 * `num / den` rounded to the nearest integer, halves away from zero.
 * @example roundDiv(5n, 2n) === 3n; roundDiv(-5n, 2n) === -3n; roundDiv(7n, 3n) === 2n
 */
export function roundDiv(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError(`"den" must be positive, got ${den}`);
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + den) / (2n * den);
  return neg ? -q : q;
}

/**
 * The value of `sats` at `minorPerBtc` (minor units per whole BTC), rounded half away from zero.
 * @example satsValue(150_000_000n, 6_000_000n) === 9_000_000n   // 1.5 BTC at $60,000.00 = $90,000.00
 * @example satsValue(1n, 7_829_371n) === 0n                       // 1 sat at $78,293.71 = 0.078 cents
 */
export function satsValue(sats: bigint, minorPerBtc: bigint): bigint {
  if (minorPerBtc < 0n) throw new RangeError(`"minorPerBtc" must not be negative: ${minorPerBtc}`);
  return roundDiv(sats * minorPerBtc, SATS_PER_BTC);
}

/**
 * The BTC price in another currency from the BTC/USD price and the USD rate, rounded half away
 * from zero to the currency's minor unit.
 * @example crossPrice(7_829_371n, 2, { units: 28152n, scale: 2 }, 2) === 2_204_124_524n  // $78,293.71 × 281.52 PKR/USD = 22,041,245.2392 PKR → 22,041,245.24
 */
export function crossPrice(usdMinorPerBtc: bigint, usdDigits: number, perUsd: { units: bigint; scale: number }, digits: number): bigint {
  const num = usdMinorPerBtc * perUsd.units * 10n ** BigInt(digits);
  const den = 10n ** BigInt(perUsd.scale + usdDigits);
  return roundDiv(num, den);
}

/**
 * A vault's holdings over time: `balances[i].sats` is its balance at the end of `balances[i].date`
 * and stays so until the next entry (a day before the first entry holds nothing).
 */
export interface VaultHoldings {
  readonly vaultId: string;
  readonly balances: readonly { readonly date: string; readonly sats: bigint }[];
}

export interface ValuationOptions {
  /** A BTC price older than this many days is stale (default 3). */
  readonly maxPriceAgeDays?: number;
  /** An exchange rate older than this many days is stale (default 35 for a monthly series, 3 for a daily one). */
  readonly maxFxAgeDays?: number;
  /** For a currency with both: 'direct' (default) uses its own BTC price column, 'via-usd' the USD price and the rate. */
  readonly route?: 'direct' | 'via-usd';
}

/** The exchange rate a valuation through the US dollar used. */
export interface FxUsed {
  readonly currency: string;
  /** Units of the currency per 1 USD, as published, e.g. "281.52". */
  readonly perUsd: string;
  readonly date: string;
  readonly ageDays: number;
  readonly stale: boolean;
  readonly frequency: 'daily' | 'monthly';
  readonly source: string;
}

/** The price a valuation used, where from, and how old it is. */
export interface PriceUsed {
  readonly currency: string;
  /** Minor units of `currency` per whole BTC. */
  readonly minorPerBtc: bigint;
  /** The day of the BTC price (the BTC/USD price's day when through the US dollar). */
  readonly date: string;
  /** Days between that day and the valuation day. */
  readonly ageDays: number;
  readonly stale: boolean;
  readonly route: 'direct' | 'via-usd';
  readonly source: string;
  /** Through the US dollar: the BTC/USD price (cents) and the rate used; null otherwise. */
  readonly usdMinorPerBtc: bigint | null;
  readonly fx: FxUsed | null;
}

export interface VaultValue {
  readonly vaultId: string;
  readonly sats: bigint;
  readonly value: Fiat;
}

export interface Valuation {
  readonly date: string;
  readonly currency: string;
  readonly vaults: readonly VaultValue[];
  readonly total: { readonly sats: bigint; readonly value: Fiat };
  readonly price: PriceUsed;
  /** True when the BTC price or the exchange rate is stale. */
  readonly stale: boolean;
  /** Plain-words notices (stale price or rate), empty when there is nothing to say. */
  readonly notices: readonly string[];
  /** The same notices, coded for pages in other languages (same order). */
  readonly noticeCodes: readonly CodedSentence[];
  readonly method: string;
}

/** A vault's balance at the end of `date`. */
export function balanceAt(h: VaultHoldings, date: string): bigint {
  let best: { readonly date: string; readonly sats: bigint } | null = null;
  for (const b of h.balances) {
    if (b.sats < 0n) throw new RangeError(`vault ${h.vaultId}: balance on ${b.date} is negative (${b.sats})`);
    if (b.date > date) continue;
    if (best !== null && b.date === best.date) throw new RangeError(`vault ${h.vaultId}: two balances for ${b.date}`);
    if (best === null || b.date > best.date) best = b;
  }
  return best?.sats ?? 0n;
}

function priceFor(book: RateBook, currency: string, date: string, opts: ValuationOptions): PriceUsed {
  const maxPriceAge = opts.maxPriceAgeDays ?? 3;
  if (!Number.isInteger(maxPriceAge) || maxPriceAge < 0) throw new RangeError(`"maxPriceAgeDays" expected a whole number, got ${maxPriceAge}`);
  const fromSeries = (s: PriceSeries): { minorPerBtc: bigint; date: string; ageDays: number; stale: boolean } => {
    const p = s.onOrBefore(date);
    if (p === null) throw new DomainError('PRICE_UNAVAILABLE', `no BTC/${s.currency} price on or before ${date} (${s.origin} starts ${s.first.date})`);
    const ageDays = daysBetween(p.date, date);
    return { minorPerBtc: p.minorPerBtc, date: p.date, ageDays, stale: ageDays > maxPriceAge };
  };
  const direct = book.btc.get(currency);
  if (currency === 'USD' || (direct !== undefined && opts.route !== 'via-usd')) {
    const s = currency === 'USD' ? book.usd : (direct as PriceSeries);
    return { currency, ...fromSeries(s), route: 'direct', source: s.origin, usdMinorPerBtc: null, fx: null };
  }
  const fx: FxSeries | undefined = book.fx.get(currency);
  if (fx === undefined) {
    throw new DomainError('INVALID_ARGUMENT', `no BTC price or US dollar rate in ${currency} (${book.description}; currencies: ${[...new Set([...book.btc.keys(), ...book.fx.keys()])].join(', ')})`);
  }
  const usd = fromSeries(book.usd);
  const rate = fx.onOrBefore(date);
  if (rate === null) throw new DomainError('PRICE_UNAVAILABLE', `no USD/${currency} rate on or before ${date} (${fx.origin} starts ${fx.rows[0]?.date})`);
  const maxFxAge = opts.maxFxAgeDays ?? (fx.frequency === 'monthly' ? 35 : 3);
  const fxAge = daysBetween(rate.date, date);
  return {
    currency,
    minorPerBtc: crossPrice(usd.minorPerBtc, book.usd.minorDigits, rate.perUsd, fx.minorDigits),
    date: usd.date,
    ageDays: usd.ageDays,
    stale: usd.stale,
    route: 'via-usd',
    source: `${book.usd.origin} × ${fx.origin}`,
    usdMinorPerBtc: usd.minorPerBtc,
    fx: { currency, perUsd: decimalText(rate.perUsd), date: rate.date, ageDays: fxAge, stale: fxAge > maxFxAge, frequency: fx.frequency, source: fx.origin },
  };
}

const plural = (n: number): string => `${n} ${n === 1 ? 'day' : 'days'}`;

/**
 * What every vault and the total are worth at the end of `date` in `currency`, with the price used,
 * its day, its age and a stale flag (and the exchange rate, when through the US dollar).
 * @example
 *   const v = valuationAt(book, [{ vaultId: 'cold', balances: [{ date: '2026-08-01', sats: 150_000_000n }] }], '2026-12-02', 'USD');
 *   v.total.value   // { currency: 'USD', minor: 11_744_057n } at $78,293.71 (2026-08-22)
 *   v.notices       // ['valued at the BTC/USD price of 2026-08-22, 102 days old']
 * @throws DomainError PRICE_UNAVAILABLE before the first price or rate; INVALID_ARGUMENT for a currency the book lacks
 */
export function valuationAt(book: RateBook, holdings: readonly VaultHoldings[], date: string, currency = 'USD', opts: ValuationOptions = {}): Valuation {
  daysBetween(date, date); // validates the day
  const price = priceFor(book, currency, date, opts);
  const vaults = holdings.map((h) => {
    const sats = balanceAt(h, date);
    return { vaultId: h.vaultId, sats, value: { currency, minor: satsValue(sats, price.minorPerBtc) } };
  });
  const total = {
    sats: vaults.reduce((a, v) => a + v.sats, 0n),
    value: { currency, minor: vaults.reduce((a, v) => a + v.value.minor, 0n) },
  };
  const notices: string[] = [];
  const pair = price.route === 'via-usd' ? 'BTC/USD' : `BTC/${currency}`;
  const noticeCodes: CodedSentence[] = [];
  if (price.stale) {
    notices.push(`valued at the ${pair} price of ${price.date}, ${plural(price.ageDays)} old`);
    noticeCodes.push(coded('valued-at-old-price', { pair, date: price.date, days: price.ageDays }));
  }
  if (price.fx?.stale) {
    notices.push(`converted to ${currency} at the rate of ${price.fx.date} (${price.fx.perUsd} ${currency} per USD), ${plural(price.fx.ageDays)} old`);
    noticeCodes.push(coded('converted-at-old-rate', { currency, date: price.fx.date, perUsd: price.fx.perUsd, days: price.fx.ageDays }));
  }
  const method =
    price.route === 'direct'
      ? `sats × ${pair} price of the day (or the latest earlier day) / 10^8, rounded half away from zero per vault; total = sum of vaults`
      : `sats × (BTC/USD price × USD/${currency} ${price.fx?.frequency} rate on or before the day, rounded to the minor unit) / 10^8, rounded half away from zero per vault; total = sum of vaults`;
  return { date, currency, vaults, total, price, stale: price.stale || (price.fx?.stale ?? false), notices, noticeCodes, method };
}

/**
 * One valuation per day from `from` to `to` inclusive (the dashboard's value-over-time line).
 * @example dailyValuation(book, holdings, '2024-01-01', '2024-12-31', 'PKR').map((v) => v.total.value.minor)
 */
export function dailyValuation(book: RateBook, holdings: readonly VaultHoldings[], from: string, to: string, currency = 'USD', opts: ValuationOptions = {}): Valuation[] {
  const n = daysBetween(from, to);
  if (n < 0) throw new RangeError(`"to" (${to}) is before "from" (${from})`);
  const out: Valuation[] = [];
  for (let i = 0; i <= n; i++) out.push(valuationAt(book, holdings, addDays(from, i), currency, opts));
  return out;
}
