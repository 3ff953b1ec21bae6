// Risk (issue #13 item 4): volatility, historical VaR and expected shortfall against small cases
// written out by hand and against an independent textbook computation on a year of the shipped file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DEFAULT_PRICE_FILE } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { addDays, PriceSeries } from '../../src/core/accounting/reference-rate.ts';
import { historicalVar, moneyFraction, tailLoss, volatility } from '../../src/core/accounting/risk.ts';
import { isDomainError } from '../../src/core/errors.ts';

/** A daily USD series from `start`, one price (cents) per day. */
function daily(start: string, cents: readonly bigint[]): PriceSeries {
  return new PriceSeries(cents.map((c, i) => ({ date: addDays(start, i), currency: 'USD', minorPerBtc: c })), { currency: 'USD', minorDigits: 2, origin: 'test prices' });
}
const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const USD = (minor: bigint) => ({ currency: 'USD', minor });

test('volatility of $100, $110, $99, $99, $108.90 by hand: sample stdev of log returns × √365', () => {
  // log returns: ln 1.1 = 0.0953101798, ln 0.9 = −0.1053605157, 0, ln 1.1; mean 0.0213149610
  // squared deviations 0.0054752924 + 0.0160466764 + 0.0004543277 + 0.0054752924 = 0.0274515889; / (4 − 1) → √ = 0.0956584005
  const v = volatility(daily('2024-01-01', [10_000n, 11_000n, 9_900n, 9_900n, 10_890n]), '2024-01-05', 4);
  close(v.daily, 0.0956584005, 1e-9);
  close(v.annualised, 0.0956584005 * Math.sqrt(365), 1e-9); // 1.8275511755
  assert.deepEqual(v.window, { from: '2024-01-01', to: '2024-01-05', days: 4, observations: 4 });
  assert.match(v.method, /sample standard deviation \(n − 1\) of daily log returns.*√365/);
});

test('empirical quantile convention: losses sorted ascending, VaR = L(⌈n·c⌉), ES = mean of L(⌈n·c⌉) … L(n)', () => {
  assert.deepEqual(tailLoss([0.01, 0.05, 0.02, 0.03], 7500), { k: 3, var: 0.03, es: 0.04 });
  // n = 20 at 95 %: k = 19, the two worst losses
  const twenty = Array.from({ length: 20 }, (_, i) => i / 100); // 0.00 … 0.19
  const t = tailLoss(twenty, 9500);
  assert.equal(t.k, 19);
  assert.equal(t.var, 0.18);
  close(t.es, 0.185);
  // n = 100 at 95 %: ⌈95⌉ = 95 exactly (no floating-point 95.00000000000001 → 96)
  assert.equal(tailLoss(Array.from({ length: 100 }, (_, i) => i), 9500).k, 95);
  assert.equal(tailLoss(Array.from({ length: 100 }, (_, i) => i), 9900).k, 99);
});

test('1-day VaR and ES of $1,000,000 over four days by hand (+10 %, −10 %, 0 %, +10 %)', () => {
  const s = daily('2024-01-01', [10_000n, 11_000n, 9_900n, 9_900n, 10_890n]);
  // losses −0.1, 0.1, 0, −0.1 → sorted −0.1, −0.1, 0, 0.1
  const v95 = historicalVar(s, '2024-01-05', USD(100_000_000n), { windowDays: 4, confidenceBp: 9500 }); // k = ⌈3.8⌉ = 4
  close(v95.varFraction, 0.1);
  assert.deepEqual([v95.var, v95.es], [USD(10_000_000n), USD(10_000_000n)]); // $100,000.00
  const v50 = historicalVar(s, '2024-01-05', USD(100_000_000n), { windowDays: 4, confidenceBp: 5000 }); // k = 2
  close(v50.varFraction, -0.1); // the median day is a gain: VaR is negative and said so by its sign
  close(v50.esFraction, 0); // mean of −0.1, 0, 0.1
  assert.equal(v50.var.minor, -10_000_000n);
  assert.deepEqual(v95.window, { from: '2024-01-01', to: '2024-01-05', days: 4, observations: 4 });
  assert.equal(v95.sqrtTimeScaled, null);
});

test('10-day VaR uses overlapping 10-day returns (by hand), with the √10-scaled 1-day figure labelled beside it', () => {
  // 12 prices, an 11-day window → two overlapping 10-day returns: 90/100 − 1 = −10 %, 150/200 − 1 = −25 %
  const s = daily('2024-01-01', [10_000n, 20_000n, 10_000n, 10_000n, 10_000n, 10_000n, 10_000n, 10_000n, 10_000n, 10_000n, 9_000n, 15_000n]);
  const v = historicalVar(s, '2024-01-12', USD(1_000_000n), { windowDays: 11, horizonDays: 10, confidenceBp: 5000 });
  assert.equal(v.window.observations, 2);
  close(v.varFraction, 0.1); // k = 1
  close(v.esFraction, 0.175); // mean of 0.10 and 0.25
  assert.deepEqual([v.var, v.es], [USD(100_000n), USD(175_000n)]);
  assert.match(v.method, /overlapping 10-day simple returns/);
  assert.ok(v.sqrtTimeScaled);
  assert.match(v.sqrtTimeScaled.method, /× √10 \(assumes independent/);
});

test('a window with a missing day is refused, naming the day', () => {
  const s = new PriceSeries(
    ['2024-01-01', '2024-01-02', '2024-01-04', '2024-01-05'].map((date) => ({ date, currency: 'USD', minorPerBtc: 10_000n })),
    { currency: 'USD', minorDigits: 2, origin: 'gappy prices' },
  );
  assert.throws(() => volatility(s, '2024-01-05', 4), (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE' && /no price for 2024-01-03/.test(e.message));
});

test('money from a fraction: rounded to 12 decimals, then half away from zero in minor units', () => {
  assert.equal(moneyFraction(1_000_000n, 0.123456), 123_456n);
  assert.equal(moneyFraction(3n, 0.5), 2n); // 1.5 → 2
  assert.equal(moneyFraction(3n, -0.5), -2n);
});

// ---- the shipped file, one year to 2026-08-22, against an independent textbook computation ----

/** Straight from the CSV text: day → dollars (float), no project code involved. */
function rawUsd(): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(DEFAULT_PRICE_FILE, 'utf8').trim().split('\n').slice(1)) {
    const [d, usd] = line.split(',');
    m.set(d as string, Number(usd));
  }
  return m;
}

/** Calendar days from `to` back `days` days, oldest first. */
function daysBack(to: string, days: number): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let i = days; i >= 0; i--) out.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

test('30/90/365-day volatility of the shipped file equals a textbook computation (Welford\'s algorithm)', async () => {
  const usd = await shippedReferenceRates().btcPrices('USD');
  assert.ok(usd);
  const raw = rawUsd();
  for (const days of [30, 90, 365]) {
    const px = daysBack('2026-08-22', days).map((d) => raw.get(d) as number);
    let n = 0, mean = 0, m2 = 0;
    for (let i = 1; i < px.length; i++) {
      const r = Math.log((px[i] as number) / (px[i - 1] as number));
      n++;
      const delta = r - mean;
      mean += delta / n;
      m2 += delta * (r - mean);
    }
    const expected = Math.sqrt(m2 / (n - 1)) * Math.sqrt(365);
    const v = volatility(usd, '2026-08-22', days);
    close(v.annualised, expected, 1e-9);
    assert.equal(v.window.observations, days);
  }
});

test('1-day and 10-day VaR and ES at 95 % and 99 % of the shipped year equal a textbook computation', async () => {
  const usd = await shippedReferenceRates().btcPrices('USD');
  assert.ok(usd);
  const px = daysBack('2026-08-22', 365).map((d) => rawUsd().get(d) as number);
  const value = USD(49_121_473_654n); // 6,274 BTC at $78,293.71
  for (const h of [1, 10]) {
    // textbook: all h-day P&L of the position, worst first; VaR = the m-th worst loss with m = n − ⌈n·c⌉ + 1 tail points, ES = their mean
    const pnl: number[] = [];
    for (let i = h; i < px.length; i++) pnl.push((px[i] as number) / (px[i - h] as number) - 1);
    const worstFirst = pnl.map((r) => -r).sort((a, b) => b - a);
    for (const [bp, c] of [[9500, 0.95], [9900, 0.99]] as const) {
      const n = worstFirst.length;
      const tail = n - Math.ceil(Number((n * c).toFixed(6))) + 1;
      const tailLosses = worstFirst.slice(0, tail);
      const varF = tailLosses[tail - 1] as number;
      const esF = tailLosses.reduce((a, x) => a + x, 0) / tail;
      const r = historicalVar(usd, '2026-08-22', value, { horizonDays: h, confidenceBp: bp });
      assert.equal(r.window.observations, h === 1 ? 365 : 356);
      close(r.varFraction, varF, 1e-9);
      close(r.esFraction, esF, 1e-9);
      assert.ok(Math.abs(Number(r.var.minor) - Number(value.minor) * varF) <= 1.5, `${h}d ${bp} VaR money`);
      assert.ok(Math.abs(Number(r.es.minor) - Number(value.minor) * esF) <= 1.5, `${h}d ${bp} ES money`);
      assert.ok(r.var.minor > 0n && r.es.minor >= r.var.minor);
    }
  }
});
