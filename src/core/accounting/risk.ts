/**
 * Reserve risk (issue #13 item 4): volatility, historical value-at-risk and expected shortfall,
 * stress scenarios, drawdown from peak, and the reserve as a share of a national figure. Pure: the
 * BTC/USD series and the holdings come in as values. Every result carries the `method` and the
 * `window` it was computed on; `riskSentences` says them in plain words.
 *
 * Conventions (stated once here, repeated in each result's `method`):
 * - **Returns** are computed from consecutive *calendar* days of the daily price series (bitcoin
 *   trades every day). A window needs a price for every day in it; a missing day is refused
 *   (PRICE_UNAVAILABLE naming the day), never filled in.
 * - **Volatility**: sample standard deviation (divisor n − 1) of daily log returns ln(P_t / P_t−1)
 *   over the window, annualised by √365. A 30-day window has 30 returns from 31 prices.
 * - **Historical VaR and ES** (historical simulation): today's holdings are revalued with every
 *   h-day simple return P_t / P_t−h − 1 of the window (h = 1, or h = 10 with *overlapping* 10-day
 *   returns: a 365-day window gives 356 of them, which are not independent). Losses (−return) are
 *   sorted ascending, L(1) ≤ … ≤ L(n); VaR at confidence c is L(k) with k = ⌈n·c⌉ (the empirical
 *   quantile, lower-inverse convention, Hyndman–Fan type 1); ES is the mean of L(k) … L(n), the
 *   losses at or beyond VaR. A negative VaR means the window's quantile was a gain. For 10 days the
 *   √10-scaled 1-day figures are given too, labelled, for comparison.
 * - **Money from a fraction** (VaR, ES, stress paths given as returns): the fraction is rounded to
 *   12 decimal places, multiplied by the value in minor units and rounded half away from zero.
 *   Stress scenarios given by prices (the −50% shock, the 2022 replay, a price path) are exact
 *   integer ratios rounded once, half away from zero.
 * - **Shares of a national figure** are exact integer ratios of minor units of the same currency,
 *   truncated (never rounded up).
 */
import { assertNever, DomainError } from '../errors.ts';
import { formatBtc } from '../money.ts';
import { displaySafe } from '../text/display-text.ts';
import { addDays, daysBetween, type PriceSeries } from './reference-rate.ts';
import type { Fiat } from './types.ts';
import { roundDiv, satsValue } from './valuation.ts';

/** The days a result was computed on. */
export interface RiskWindow {
  readonly from: string;
  readonly to: string;
  /** Calendar days of returns (30, 90, 365), or the length of a scenario's path. */
  readonly days: number;
  /** Data points used: returns for volatility/VaR, prices for a replay. */
  readonly observations: number;
}

/**
 * The prices of every day from `to − days` to `to` (days + 1 prices).
 * @throws DomainError PRICE_UNAVAILABLE naming the first missing day
 */
export function windowPrices(series: PriceSeries, to: string, days: number): bigint[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`"days" expected a whole number of at least 1, got ${days}`);
  const from = addDays(to, -days);
  const rows = series.between(from, to);
  if (rows.length !== days + 1) {
    let missing = from;
    for (let i = 0; i <= days; i++) {
      const d = addDays(from, i);
      if (rows[i]?.date !== d) {
        missing = d;
        break;
      }
    }
    throw new DomainError('PRICE_UNAVAILABLE', `${series.origin} has no price for ${missing}; a ${days}-day window needs every day from ${from} to ${to}`);
  }
  return rows.map((r) => r.minorPerBtc);
}

/** ln(P_t / P_t−1) for consecutive prices. */
export function logReturns(prices: readonly bigint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < prices.length; i++) out.push(Math.log(Number(prices[i]) / Number(prices[i - 1])));
  return out;
}

/** P_t / P_t−h − 1 for every t with t − h in the list (overlapping when h > 1). */
export function simpleReturns(prices: readonly bigint[], horizon: number): number[] {
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`"horizon" expected a whole number of days, got ${horizon}`);
  const out: number[] = [];
  for (let i = horizon; i < prices.length; i++) out.push(Number(prices[i]) / Number(prices[i - horizon]) - 1);
  return out;
}

/** Sample standard deviation (divisor n − 1). */
export function sampleStdev(xs: readonly number[]): number {
  if (xs.length < 2) throw new RangeError(`"xs" needs at least 2 values, got ${xs.length}`);
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}

/**
 * `value × fraction` in minor units: the fraction rounded to 12 decimals, the product rounded half away from zero.
 * @example moneyFraction(1_000_000n, 0.123456) === 123_456n
 */
export function moneyFraction(valueMinor: bigint, fraction: number): bigint {
  if (!Number.isFinite(fraction)) throw new RangeError(`"fraction" must be finite, got ${fraction}`);
  return roundDiv(valueMinor * BigInt(Math.round(fraction * 1e12)), 1_000_000_000_000n);
}

export interface VolatilityResult {
  readonly method: string;
  readonly window: RiskWindow;
  /** Standard deviation of daily log returns. */
  readonly daily: number;
  /** daily × √365. */
  readonly annualised: number;
}

export const VOLATILITY_METHOD = 'sample standard deviation (n − 1) of daily log returns ln(P_t / P_t−1), annualised × √365 (bitcoin trades every day)';

/**
 * Annualised volatility of BTC/USD over the `days` days ending `to`.
 * @example volatility(usd, '2026-08-22', 30).annualised // e.g. 0.52 for 52 % a year
 */
export function volatility(series: PriceSeries, to: string, days: number): VolatilityResult {
  const prices = windowPrices(series, to, days);
  const r = logReturns(prices);
  const daily = sampleStdev(r);
  return { method: VOLATILITY_METHOD, window: { from: addDays(to, -days), to, days, observations: r.length }, daily, annualised: daily * Math.sqrt(365) };
}

/**
 * The empirical loss quantile and the tail mean: losses sorted ascending, k = ⌈n · bp / 10000⌉,
 * VaR = L(k), ES = mean(L(k) … L(n)). Confidence in basis points (9500 = 95 %), so ⌈n·c⌉ is exact.
 * @example tailLoss([0.01, 0.05, 0.02, 0.03], 7500) // { k: 3, var: 0.03, es: 0.04 }
 */
export function tailLoss(losses: readonly number[], confidenceBp: number): { k: number; var: number; es: number } {
  if (!Number.isInteger(confidenceBp) || confidenceBp <= 0 || confidenceBp >= 10_000) throw new RangeError(`"confidenceBp" expected 1 to 9999, got ${confidenceBp}`);
  const n = losses.length;
  if (n === 0) throw new RangeError('"losses" is empty');
  const sorted = [...losses].sort((a, b) => a - b);
  const k = Math.ceil((n * confidenceBp) / 10_000); // n·bp is an exact integer; one division
  const tail = sorted.slice(k - 1);
  return { k, var: sorted[k - 1] as number, es: tail.reduce((a, x) => a + x, 0) / tail.length };
}

export interface VarResult {
  readonly method: string;
  readonly window: RiskWindow;
  readonly horizonDays: number;
  /** 0.95 or 0.99. */
  readonly confidence: number;
  /** Loss as a fraction of the value (positive = loss). */
  readonly varFraction: number;
  readonly esFraction: number;
  readonly var: Fiat;
  readonly es: Fiat;
  /** For horizons over one day: the 1-day figures × √horizon, labelled, for comparison. */
  readonly sqrtTimeScaled: { readonly method: string; readonly varFraction: number; readonly esFraction: number; readonly var: Fiat; readonly es: Fiat } | null;
}

export interface VarOptions {
  /** Days of history (default 365). */
  readonly windowDays?: number;
  /** 1 or 10 (default 1); any whole number of days works. */
  readonly horizonDays?: number;
  /** Confidence in basis points (default 9500). */
  readonly confidenceBp?: number;
}

/**
 * Historical VaR and ES of holding `value` (USD minor units) in bitcoin, from the `windowDays`
 * days of BTC/USD ending `to`.
 * @example historicalVar(usd, '2026-08-22', { currency: 'USD', minor: 50_000_000_000n }, { horizonDays: 10, confidenceBp: 9900 }).var
 */
export function historicalVar(series: PriceSeries, to: string, value: Fiat, opts: VarOptions = {}): VarResult {
  const windowDays = opts.windowDays ?? 365;
  const h = opts.horizonDays ?? 1;
  const bp = opts.confidenceBp ?? 9500;
  const prices = windowPrices(series, to, windowDays);
  if (h >= prices.length) throw new RangeError(`a ${h}-day horizon needs a window longer than ${windowDays} days`);
  const returns = simpleReturns(prices, h);
  const t = tailLoss(returns.map((r) => -r), bp);
  const pct = `${bp / 100}%`;
  const kind = h === 1 ? 'daily simple returns' : `overlapping ${h}-day simple returns P_t / P_t−${h} − 1`;
  const method = `historical simulation: today's holdings revalued with each of the ${returns.length} ${kind} of the window; VaR = the ${pct} empirical loss quantile L(⌈n·${bp / 10_000}⌉) of sorted losses, ES = mean of the losses at or beyond it`;
  let scaled: VarResult['sqrtTimeScaled'] = null;
  if (h > 1) {
    const one = tailLoss(simpleReturns(prices, 1).map((r) => -r), bp);
    const f = Math.sqrt(h);
    scaled = {
      method: `1-day historical VaR and ES × √${h} (assumes independent, identically distributed daily returns)`,
      varFraction: one.var * f,
      esFraction: one.es * f,
      var: { currency: value.currency, minor: moneyFraction(value.minor, one.var * f) },
      es: { currency: value.currency, minor: moneyFraction(value.minor, one.es * f) },
    };
  }
  return {
    method,
    window: { from: addDays(to, -windowDays), to, days: windowDays, observations: returns.length },
    horizonDays: h,
    confidence: bp / 10_000,
    varFraction: t.var,
    esFraction: t.es,
    var: { currency: value.currency, minor: moneyFraction(value.minor, t.var) },
    es: { currency: value.currency, minor: moneyFraction(value.minor, t.es) },
    sqrtTimeScaled: scaled,
  };
}

export interface StressResult {
  /** 'shock': instant change; 'replay': a historical fall found in the data; 'path': a user-given path. */
  readonly kind: 'shock' | 'replay' | 'path';
  readonly name: string;
  readonly method: string;
  /** The dated days of a replay; a user path has only its length; null for an instant shock. */
  readonly window: RiskWindow | { readonly days: number; readonly observations: number } | null;
  /** Change of the value at the worst point (−0.5 for a halving). */
  readonly worstChange: number;
  /** Loss at the worst point (positive = loss). */
  readonly loss: Fiat;
  readonly valueAtWorst: Fiat;
  /** Days from the start to the worst point (0 for an instant shock). */
  readonly worstDay: number;
  /** Value after each day of the path (empty for an instant shock). */
  readonly path: readonly bigint[];
}

/**
 * An instant price change applied to today's value, in basis points (−5000 = −50 %); exact.
 * @example shockScenario({ currency: 'USD', minor: 1_000_001n }, -5000).loss.minor === 500_001n  // 500,000.5 rounded half away from zero
 */
export function shockScenario(value: Fiat, changeBp = -5000, name = `${changeBp / 100}% overnight`): StressResult {
  if (!Number.isInteger(changeBp) || changeBp < -10_000) throw new RangeError(`"changeBp" expected a whole number of basis points ≥ −10000, got ${changeBp}`);
  const after = value.minor + roundDiv(value.minor * BigInt(changeBp), 10_000n);
  return {
    kind: 'shock',
    name,
    method: `instant change of ${changeBp / 100}% in the BTC/USD price applied to today's value; exact, rounded half away from zero`,
    window: null,
    worstChange: changeBp / 10_000,
    loss: { currency: value.currency, minor: value.minor - after },
    valueAtWorst: { currency: value.currency, minor: after },
    worstDay: 0,
    path: [],
  };
}

/** The largest peak-to-trough fall of a series between two days. */
export interface Drawdown {
  readonly peak: { readonly date: string; readonly minorPerBtc: bigint };
  readonly trough: { readonly date: string; readonly minorPerBtc: bigint };
  /** 1 − trough / peak. */
  readonly fall: number;
}

/**
 * The largest peak-to-trough fall between `from` and `to` (a peak and a later trough), compared
 * exactly in integers; the earliest such pair on ties. Null when the prices never fall.
 * @example largestDrawdown(usd, '2021-01-01', '2022-12-31') // { peak: 2021-11-09 $67,517.29, trough: 2022-11-22 $15,760.00, fall: 0.7666 } in the shipped file
 */
export function largestDrawdown(series: PriceSeries, from: string, to: string): Drawdown | null {
  const rows = series.between(from, to);
  let peak = rows[0];
  let best: { peak: (typeof rows)[number]; trough: (typeof rows)[number] } | null = null;
  for (const r of rows) {
    if (peak === undefined || r.minorPerBtc > peak.minorPerBtc) peak = r;
    if (r.minorPerBtc >= peak.minorPerBtc) continue;
    // (peak − r) / peak > (bp − bt) / bp  ⇔  (peak − r) · bp > (bp − bt) · peak
    if (best === null || (peak.minorPerBtc - r.minorPerBtc) * best.peak.minorPerBtc > (best.peak.minorPerBtc - best.trough.minorPerBtc) * peak.minorPerBtc) best = { peak, trough: r };
  }
  if (best === null) return null;
  const strip = (r: (typeof rows)[number]): { date: string; minorPerBtc: bigint } => ({ date: r.date, minorPerBtc: r.minorPerBtc });
  return { peak: strip(best.peak), trough: strip(best.trough), fall: 1 - Number(best.trough.minorPerBtc) / Number(best.peak.minorPerBtc) };
}

/**
 * Today's value taken along a price path: day i is worth value × P_i / P_0 (exact, rounded half away from zero).
 * @example pricePathScenario('halving in a week', v, [100n, 90n, 50n])
 */
export function pricePathScenario(name: string, value: Fiat, prices: readonly bigint[], method = 'today\'s value × P_i / P_0 along the given price path; exact, rounded half away from zero', window: RiskWindow | null = null): StressResult {
  const p0 = prices[0];
  if (p0 === undefined || prices.length < 2) throw new DomainError('INVALID_ARGUMENT', `scenario "${name}" needs at least two prices`);
  if (prices.some((p) => p <= 0n)) throw new DomainError('INVALID_ARGUMENT', `scenario "${name}" has a price that is not positive`);
  const path = prices.map((p) => roundDiv(value.minor * p, p0));
  return worstOf(window === null ? 'path' : 'replay', name, method, value, path, window ?? { days: prices.length - 1, observations: prices.length });
}

/**
 * Today's value taken along daily simple returns (−0.1 = −10 % that day): V_i = V_0 × Π(1 + r).
 * @example returnsPathScenario('three bad days', v, [-0.1, -0.2, 0.05])
 */
export function returnsPathScenario(name: string, value: Fiat, returns: readonly number[]): StressResult {
  if (returns.length === 0) throw new DomainError('INVALID_ARGUMENT', `scenario "${name}" has no returns`);
  if (returns.some((r) => !Number.isFinite(r) || r < -1)) throw new DomainError('INVALID_ARGUMENT', `scenario "${name}" has a return below −100% or not a number`);
  let factor = 1;
  const path = [value.minor];
  for (const r of returns) {
    factor *= 1 + r;
    path.push(moneyFraction(value.minor, factor));
  }
  const method = 'today\'s value × Π(1 + r_i) along the given daily returns (cumulative factor rounded to 12 decimals, value rounded half away from zero)';
  return worstOf('path', name, method, value, path, { days: returns.length, observations: returns.length });
}

function worstOf(kind: StressResult['kind'], name: string, method: string, value: Fiat, path: readonly bigint[], window: StressResult['window']): StressResult {
  let worstDay = 0;
  path.forEach((v, i) => {
    if (v < (path[worstDay] as bigint)) worstDay = i;
  });
  const worst = path[worstDay] as bigint;
  return {
    kind,
    name,
    method,
    window,
    worstChange: value.minor === 0n ? 0 : Number(worst - value.minor) / Number(value.minor),
    loss: { currency: value.currency, minor: value.minor - worst },
    valueAtWorst: { currency: value.currency, minor: worst },
    worstDay,
    path,
  };
}

/**
 * The 2022 fall replayed on today's value: the largest peak-to-trough fall of BTC/USD found in the
 * data between `from` and `to` (default 2021-01-01 to 2022-12-31: the November 2021 high to the
 * November 2022 low in the shipped file), walked day by day.
 * @throws DomainError PRICE_UNAVAILABLE when the series has no fall in that span
 */
export function replayDrawdown(series: PriceSeries, value: Fiat, from = '2021-01-01', to = '2022-12-31', name = 'a fall like 2022\'s'): StressResult {
  const dd = largestDrawdown(series, from, to);
  if (dd === null) throw new DomainError('PRICE_UNAVAILABLE', `${series.origin} has no fall between ${from} and ${to} to replay`);
  const rows = series.between(dd.peak.date, dd.trough.date);
  const method = `largest peak-to-trough fall of BTC/USD found in ${series.origin} between ${from} and ${to}, replayed on today's value day by day (value × P_i / P_peak, exact, rounded half away from zero)`;
  return pricePathScenario(name, value, rows.map((r) => r.minorPerBtc), method, {
    from: dd.peak.date,
    to: dd.trough.date,
    days: daysBetween(dd.peak.date, dd.trough.date),
    observations: rows.length,
  });
}

export interface DrawdownFromPeak {
  readonly method: string;
  readonly window: RiskWindow;
  readonly peak: { readonly date: string; readonly minorPerBtc: bigint };
  readonly current: { readonly date: string; readonly minorPerBtc: bigint };
  /** 1 − current / peak (0 at a new high). */
  readonly fall: number;
  /** Today's holdings at the peak price, and how much less they are worth now. */
  readonly valueAtPeak: Fiat;
  readonly belowPeak: Fiat;
}

/**
 * How far BTC/USD (and so today's holdings) is below the highest price in the series up to `to`.
 * @example drawdownFromPeak(usd, '2026-08-22', 627_400_000_000n).fall
 */
export function drawdownFromPeak(series: PriceSeries, to: string, sats: bigint): DrawdownFromPeak {
  const rows = series.between(series.first.date, to);
  const current = rows[rows.length - 1];
  if (current === undefined) throw new DomainError('PRICE_UNAVAILABLE', `no BTC/USD price on or before ${to}`);
  let peak = current;
  for (const r of rows) if (r.minorPerBtc > peak.minorPerBtc || (r.minorPerBtc === peak.minorPerBtc && r.date < peak.date)) peak = r;
  const valueAtPeak = satsValue(sats, peak.minorPerBtc);
  return {
    method: 'highest BTC/USD price in the series up to the day (earliest on ties) against the day\'s price; today\'s holdings valued at both',
    window: { from: series.first.date, to: current.date, days: daysBetween(series.first.date, current.date), observations: rows.length },
    peak: { date: peak.date, minorPerBtc: peak.minorPerBtc },
    current: { date: current.date, minorPerBtc: current.minorPerBtc },
    fall: 1 - Number(current.minorPerBtc) / Number(peak.minorPerBtc),
    valueAtPeak: { currency: series.currency, minor: valueAtPeak },
    belowPeak: { currency: series.currency, minor: valueAtPeak - satsValue(sats, current.minorPerBtc) },
  };
}

export interface ValueDrawdown {
  readonly method: string;
  readonly window: RiskWindow;
  readonly peak: { readonly date: string; readonly value: Fiat };
  readonly current: { readonly date: string; readonly value: Fiat };
  /** 1 − current / peak. */
  readonly fall: number;
  readonly belowPeak: Fiat;
}

/**
 * How far the reserve's actual value (e.g. `dailyValuation(…).map((v) => ({ date: v.date, value: v.total.value }))`)
 * is below its highest value. Unlike `drawdownFromPeak`, this includes purchases and spends: a
 * reserve that kept buying can be at a value high while the price is not.
 * @throws DomainError INVALID_ARGUMENT for an empty history or mixed currencies
 */
export function valueDrawdown(points: readonly { readonly date: string; readonly value: Fiat }[]): ValueDrawdown {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) throw new DomainError('INVALID_ARGUMENT', 'no value history to measure a drawdown on');
  let peak = first;
  for (const p of points) {
    if (p.value.currency !== first.value.currency) throw new DomainError('INVALID_ARGUMENT', `value history mixes ${first.value.currency} and ${p.value.currency}`);
    if (p.value.minor > peak.value.minor) peak = p; // the earliest of equal highs
  }
  return {
    method: 'highest daily value of the reserve (holdings as they were each day, purchases and spends included) against the last day\'s value',
    window: { from: first.date, to: last.date, days: daysBetween(first.date, last.date), observations: points.length },
    peak: { date: peak.date, value: peak.value },
    current: { date: last.date, value: last.value },
    fall: peak.value.minor === 0n ? 0 : 1 - Number(last.value.minor) / Number(peak.value.minor),
    belowPeak: { currency: last.value.currency, minor: peak.value.minor - last.value.minor },
  };
}

/** A national figure the reserve is compared with (from the config). */
export interface NationalFigure {
  /** 'GDP', 'public debt', 'foreign reserves', … */
  readonly name: string;
  readonly amount: Fiat;
  /** Decimal places of the currency's minor unit (default 2), for the sentences. */
  readonly minorDigits?: number;
  /** The period or day it is for, e.g. "2024" or "2026-06-30". */
  readonly period?: string;
  readonly source?: string;
}

export interface ShareResult {
  readonly method: string;
  readonly figure: NationalFigure;
  readonly value: Fiat;
  /** Exact percentage, truncated to 4 decimal places, e.g. "0.1698". */
  readonly percent: string;
  /** Parts per million, truncated. */
  readonly ppm: bigint;
}

/**
 * The reserve's value as a share of a national figure in the same currency; exact, truncated.
 * @example shareOf({ currency: 'USD', minor: 50_000_000_000n }, { name: 'GDP', amount: { currency: 'USD', minor: 3_400_000_000_000n } }).percent === '14.7058'
 * @throws DomainError INVALID_ARGUMENT when the currencies differ or the figure is not positive
 */
export function shareOf(value: Fiat, figure: NationalFigure): ShareResult {
  if (value.currency !== figure.amount.currency) throw new DomainError('INVALID_ARGUMENT', `the reserve is valued in ${value.currency} but ${figure.name} is in ${figure.amount.currency}`);
  if (figure.amount.minor <= 0n) throw new DomainError('INVALID_ARGUMENT', `${figure.name} must be a positive amount`);
  const scaled = (value.minor * 1_000_000n) / figure.amount.minor; // percent × 10^4
  const whole = scaled / 10_000n;
  return {
    method: 'reserve value / figure, both in minor units of the same currency, exact integer division truncated',
    figure,
    value,
    percent: `${whole}.${(scaled % 10_000n).toString().padStart(4, '0')}`,
    ppm: scaled,
  };
}

export interface RiskInputs {
  /** The day of the report. Windows end at the last price on or before it. */
  readonly asOf: string;
  /** Total reserve holdings on that day. */
  readonly sats: bigint;
  /** Daily BTC/USD. */
  readonly usd: PriceSeries;
  /** The reserve's value in other currencies (from `valuationAt`), for figures not in USD. */
  readonly otherValues?: readonly Fiat[];
  readonly figures?: readonly NationalFigure[];
  /** User-defined scenarios: daily returns or prices. */
  readonly scenarios?: readonly ({ readonly name: string; readonly returns: readonly number[] } | { readonly name: string; readonly prices: readonly bigint[] })[];
  readonly volatilityWindows?: readonly number[];
  readonly varWindowDays?: number;
  readonly maxPriceAgeDays?: number;
  /** The span searched for the 2022 fall (default 2021-01-01 … 2022-12-31). */
  readonly replaySpan?: { readonly from: string; readonly to: string };
}

export interface RiskReport {
  readonly asOf: string;
  readonly sats: bigint;
  readonly value: Fiat;
  readonly price: { readonly date: string; readonly minorPerBtc: bigint; readonly ageDays: number; readonly stale: boolean; readonly source: string };
  readonly notices: readonly string[];
  readonly volatility: readonly VolatilityResult[];
  readonly valueAtRisk: readonly VarResult[];
  readonly stress: readonly StressResult[];
  readonly drawdown: DrawdownFromPeak;
  readonly shares: readonly ShareResult[];
}

/**
 * Every risk figure for the reserve on a day: volatility (30/90/365 days), VaR and ES (95 %, 99 %;
 * 1 and 10 days), the −50 % shock, the 2022 replay, user scenarios, drawdown from peak, shares.
 * @example const report = riskReport({ asOf: '2026-12-02', sats: 627_400_000_000n, usd: book.usd, figures: [{ name: 'GDP', amount: { currency: 'USD', minor: 3_400_000_000_000n }, period: '2024' }] });
 */
export function riskReport(inp: RiskInputs): RiskReport {
  const p = inp.usd.onOrBefore(inp.asOf);
  if (p === null) throw new DomainError('PRICE_UNAVAILABLE', `no BTC/USD price on or before ${inp.asOf} (${inp.usd.origin} starts ${inp.usd.first.date})`);
  const ageDays = daysBetween(p.date, inp.asOf);
  const stale = ageDays > (inp.maxPriceAgeDays ?? 3);
  const to = p.date;
  const value: Fiat = { currency: 'USD', minor: satsValue(inp.sats, p.minorPerBtc) };
  const notices = stale ? [`risk measured with prices up to ${to}, ${ageDays} days before ${inp.asOf}`] : [];
  const windowDays = inp.varWindowDays ?? 365;
  const valueAtRisk: VarResult[] = [];
  for (const horizonDays of [1, 10]) for (const confidenceBp of [9500, 9900]) valueAtRisk.push(historicalVar(inp.usd, to, value, { windowDays, horizonDays, confidenceBp }));
  const stress: StressResult[] = [shockScenario(value, -5000), replayDrawdown(inp.usd, value, inp.replaySpan?.from, inp.replaySpan?.to)];
  for (const s of inp.scenarios ?? []) stress.push('returns' in s ? returnsPathScenario(s.name, value, s.returns) : pricePathScenario(s.name, value, s.prices));
  const values = [value, ...(inp.otherValues ?? [])];
  const shares = (inp.figures ?? []).map((f) => {
    const v = values.find((x) => x.currency === f.amount.currency);
    if (v === undefined) throw new DomainError('INVALID_ARGUMENT', `${f.name} is in ${f.amount.currency}: value the reserve in ${f.amount.currency} too`);
    return shareOf(v, f);
  });
  return {
    asOf: inp.asOf,
    sats: inp.sats,
    value,
    price: { date: p.date, minorPerBtc: p.minorPerBtc, ageDays, stale, source: inp.usd.origin },
    notices,
    volatility: (inp.volatilityWindows ?? [30, 90, 365]).map((d) => volatility(inp.usd, to, d)),
    valueAtRisk,
    stress,
    drawdown: drawdownFromPeak(inp.usd, to, inp.sats),
    shares,
  };
}

/**
 * Money for people: "$1,234,567.89" for US dollars, "PKR 1,234.56" (the ISO code) for the rest.
 * @example formatMoney({ currency: 'USD', minor: -123_456_789n }) === '−$1,234,567.89'
 */
export function formatMoney(f: Fiat, minorDigits = 2): string {
  const neg = f.minor < 0n;
  const a = neg ? -f.minor : f.minor;
  const scale = 10n ** BigInt(minorDigits);
  const whole = (a / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = minorDigits > 0 ? `.${(a % scale).toString().padStart(minorDigits, '0')}` : '';
  return `${neg ? '−' : ''}${f.currency === 'USD' ? '$' : `${f.currency} `}${whole}${frac}`;
}

const pct = (x: number, digits = 1): string => `${x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(digits)}%`;

/**
 * The report in plain words, one sentence per figure, for the dashboard and the CLI. Scenario and
 * figure names are the caller's text and go through displaySafe.
 * @example riskSentences(report) // ['The reserve, 6274.00000000 BTC, is worth $491,210,000.00 at the BTC/USD price of 2026-08-22.', …, "A fall like 2022's (−76.7% from 2021-11-09 to 2022-11-22) would cost $376,633,000.00.", …]
 */
export function riskSentences(r: RiskReport): string[] {
  const out: string[] = [];
  const old = r.price.stale ? ` (${r.price.ageDays} days old)` : '';
  out.push(`The reserve, ${formatBtc(r.sats)} BTC, is worth ${formatMoney(r.value)} at the BTC/USD price of ${r.price.date}${old}.`);
  for (const v of r.volatility) {
    out.push(`Over the ${v.window.days} days to ${v.window.to}, bitcoin's annualised volatility was ${pct(v.annualised)} (standard deviation of daily log returns × √365).`);
  }
  for (const v of r.valueAtRisk) {
    const c = Math.round(v.confidence * 100);
    const basis = `historical, ${v.window.observations} ${v.horizonDays === 1 ? 'daily' : `overlapping ${v.horizonDays}-day`} returns from ${v.window.from} to ${v.window.to}`;
    out.push(
      v.horizonDays === 1
        ? `On ${c} days out of 100 the reserve would lose less than ${formatMoney(v.var)} in a day; on the worst ${100 - c}% of days the average loss is ${formatMoney(v.es)} (${basis}).`
        : `Over ${v.horizonDays} days, ${c} times out of 100 the reserve would lose less than ${formatMoney(v.var)}; in the worst ${100 - c}% the average loss is ${formatMoney(v.es)} (${basis}).`,
    );
  }
  for (const s of r.stress) {
    switch (s.kind) {
      case 'shock':
        out.push(`A fall of ${pct(-s.worstChange, 0)} overnight would cost ${formatMoney(s.loss)}.`);
        break;
      case 'replay': {
        const w = s.window as RiskWindow;
        out.push(`${s.name.charAt(0).toUpperCase()}${s.name.slice(1)} (${pct(s.worstChange, 0)} from ${w.from} to ${w.to}) would cost ${formatMoney(s.loss)}.`);
        break;
      }
      case 'path':
        out.push(`The scenario "${displaySafe(s.name)}" would cost ${formatMoney(s.loss)} at its worst, ${s.worstDay} ${s.worstDay === 1 ? 'day' : 'days'} in (${pct(s.worstChange)}).`);
        break;
      default:
        assertNever(s.kind, 'riskSentences: stress kind');
    }
  }
  const d = r.drawdown;
  out.push(
    d.fall <= 0
      ? `Bitcoin is at its highest price in the file (${formatMoney({ currency: 'USD', minor: d.peak.minorPerBtc })} on ${d.peak.date}).`
      : `Bitcoin is ${pct(d.fall)} below its peak of ${formatMoney({ currency: 'USD', minor: d.peak.minorPerBtc })} on ${d.peak.date}; at that price the reserve would be worth ${formatMoney(d.belowPeak)} more.`,
  );
  for (const s of r.shares) {
    const of = displaySafe(`${s.figure.name}${s.figure.period ? ` (${s.figure.period})` : ''}`);
    out.push(`The reserve is ${s.percent}% of ${of}, ${formatMoney(s.figure.amount, s.figure.minorDigits ?? 2)}.`);
  }
  return out;
}
