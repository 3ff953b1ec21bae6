// Risk (issue #13 item 4): stress scenarios (−50 % overnight, the 2022 fall found in the shipped
// file and replayed, user paths), drawdown from peak, the reserve as a share of GDP (exact in minor
// units), and the report in plain words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DEFAULT_PRICE_FILE } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { addDays, PriceSeries } from '../../src/core/accounting/reference-rate.ts';
import {
  drawdownFromPeak, formatMoney, largestDrawdown, pricePathScenario, replayDrawdown, returnsPathScenario, riskReport, riskSentences, shareOf, shockScenario, valueDrawdown,
} from '../../src/core/accounting/risk.ts';
import { isDomainError } from '../../src/core/errors.ts';

const USD = (minor: bigint) => ({ currency: 'USD', minor });
const daily = (start: string, cents: readonly bigint[]): PriceSeries =>
  new PriceSeries(cents.map((c, i) => ({ date: addDays(start, i), currency: 'USD', minorPerBtc: c })), { currency: 'USD', minorDigits: 2, origin: 'test prices' });
const shipped = async (): Promise<PriceSeries> => {
  const s = await shippedReferenceRates().btcPrices('USD');
  assert.ok(s);
  return s;
};

test('−50 % overnight halves the value exactly, halves of a cent away from zero', () => {
  const s = shockScenario(USD(1_000_001n));
  assert.equal(s.kind, 'shock');
  assert.deepEqual([s.loss, s.valueAtWorst], [USD(500_001n), USD(500_000n)]); // 500,000.5 → 500,001 lost
  assert.equal(s.worstChange, -0.5);
  assert.equal(s.window, null);
  assert.match(s.method, /instant change of -50% /);
});

test('the 2022 fall is found in the shipped file (November 2021 high → November 2022 low), not written in', async () => {
  // independent: the highest BTC_USD of 2021 and the lowest after it up to the end of 2022, from the raw text
  const rows = readFileSync(DEFAULT_PRICE_FILE, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).map(([d, p]) => [d as string, Number(p)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const y2021 = rows.filter(([d]) => d >= '2021-01-01' && d <= '2021-12-31');
  const high = y2021.reduce((a, r) => (r[1] > a[1] ? r : a));
  const after = rows.filter(([d]) => d > high[0] && d <= '2022-12-31');
  const low = after.reduce((a, r) => (r[1] < a[1] ? r : a));
  assert.match(high[0], /^2021-11-/);
  assert.match(low[0], /^2022-11-/);

  const usd = await shipped();
  const dd = largestDrawdown(usd, '2021-01-01', '2022-12-31');
  assert.ok(dd);
  assert.deepEqual([dd.peak.date, dd.trough.date], [high[0], low[0]]); // 2021-11-09 → 2022-11-22 in this file
  assert.deepEqual([Number(dd.peak.minorPerBtc) / 100, Number(dd.trough.minorPerBtc) / 100], [high[1], low[1]]);

  const value = USD(49_121_473_654n); // 6,274 BTC at $78,293.71
  const r = replayDrawdown(usd, value);
  assert.equal(r.kind, 'replay');
  assert.deepEqual(r.window, { from: high[0], to: low[0], days: 378, observations: 379 });
  // exact: value × (peak − trough) / peak = 49,121,473,654 × 5,175,729 / 6,751,729 = 37,655,456,211.6… → 37,655,456,212
  assert.equal(r.loss.minor, 37_655_456_212n);
  assert.equal(r.valueAtWorst.minor, 11_466_017_442n);
  assert.equal(r.worstDay, 378);
  assert.equal(r.path.length, 379);
  assert.equal(r.path[0], value.minor);
});

test('user paths: prices exact, returns compounded; the worst day is reported, not only the end', () => {
  const p = pricePathScenario('halving and half back', USD(1_000_000n), [8_000_000n, 6_000_000n, 4_000_000n, 6_000_000n]);
  assert.deepEqual(p.path, [1_000_000n, 750_000n, 500_000n, 750_000n]);
  assert.deepEqual([p.kind, p.worstDay, p.loss, p.worstChange], ['path', 2, USD(500_000n), -0.5]);
  const r = returnsPathScenario('three bad days', USD(1_000_000n), [-0.1, -0.2, 0.05]);
  // 1,000,000 × 0.9 = 900,000; × 0.8 = 720,000; × 1.05 = 756,000
  assert.deepEqual(r.path, [1_000_000n, 900_000n, 720_000n, 756_000n]);
  assert.deepEqual([r.worstDay, r.loss.minor], [2, 280_000n]);
  assert.deepEqual(r.window, { days: 3, observations: 3 });
  assert.throws(() => returnsPathScenario('bad', USD(1n), [-1.5]), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => pricePathScenario('bad', USD(1n), [1n]), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
});

test('drawdown from peak: highest price up to the day against the day\'s price, holdings valued at both', () => {
  const s = daily('2024-01-01', [5_000_000n, 8_000_000n, 8_000_000n, 6_000_000n, 7_000_000n]);
  const d = drawdownFromPeak(s, '2024-01-05', 200_000_000n); // 2 BTC
  assert.deepEqual([d.peak.date, d.current.date], ['2024-01-02', '2024-01-05']); // earliest of the tied highs
  assert.equal(d.fall, 1 - 7 / 8);
  assert.deepEqual([d.valueAtPeak, d.belowPeak], [USD(16_000_000n), USD(2_000_000n)]);
  assert.equal(largestDrawdown(s, '2024-01-01', '2024-01-05')?.trough.date, '2024-01-04');
  assert.equal(largestDrawdown(daily('2024-01-01', [1n, 2n, 3n]), '2024-01-01', '2024-01-03'), null);
});

test('share of GDP is exact in minor units, truncated', () => {
  // $491,214,736.54 / $34,000,000,000.00 = 0.014447492…  → 1.4447 %, 14,447 ppm
  const s = shareOf(USD(49_121_473_654n), { name: 'GDP', amount: USD(3_400_000_000_000n), period: '2024' });
  assert.equal(s.percent, '1.4447');
  assert.equal(s.ppm, 14_447n);
  // exactly representable: 1 / 8 = 12.5 %
  assert.equal(shareOf(USD(1n), { name: 'x', amount: USD(8n) }).percent, '12.5000');
  // truncation, never rounding up: 2 / 3 = 66.66666… %
  assert.equal(shareOf(USD(2n), { name: 'x', amount: USD(3n) }).percent, '66.6666');
  assert.throws(() => shareOf(USD(1n), { name: 'debt', amount: { currency: 'PKR', minor: 1n } }), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => shareOf(USD(1n), { name: 'debt', amount: USD(0n) }), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
});

test('the risk report carries method and window on every figure and says it in plain words', async () => {
  const usd = await shipped();
  const report = riskReport({
    asOf: '2026-12-02',
    sats: 627_400_000_000n,
    usd,
    otherValues: [{ currency: 'PKR', minor: 13_776_568_000_000n }],
    figures: [
      { name: 'GDP', amount: USD(3_400_000_000_000n), period: '2024' },
      { name: 'foreign reserves', amount: { currency: 'PKR', minor: 400_000_000_000_000n }, period: '2025-11-30' },
    ],
    scenarios: [{ name: 'three bad days', returns: [-0.1, -0.2, 0.05] }],
  });
  assert.deepEqual(report.value, USD(49_121_473_654n));
  assert.deepEqual(report.price, { date: '2026-08-22', minorPerBtc: 7_829_371n, ageDays: 102, stale: true, source: usd.origin });
  assert.deepEqual(report.notices, ['risk measured with prices up to 2026-08-22, 102 days before 2026-12-02']);
  assert.deepEqual(report.volatility.map((v) => v.window.days), [30, 90, 365]);
  assert.deepEqual(report.valueAtRisk.map((v) => [v.horizonDays, v.confidence]), [[1, 0.95], [1, 0.99], [10, 0.95], [10, 0.99]]);
  for (const x of [...report.volatility, ...report.valueAtRisk, ...report.stress, report.drawdown, ...report.shares]) {
    assert.ok(x.method.length > 20, 'method');
    if ('window' in x && x !== report.stress[0]) assert.ok(x.window, 'window');
  }
  assert.equal(report.shares[1]?.percent, '3.4441'); // 13,776,568,000,000 / 400,000,000,000,000 paisa = 3.444142 %

  const words = riskSentences(report);
  assert.ok(words.includes("A fall like 2022's (−77% from 2021-11-09 to 2022-11-22) would cost $376,554,562.12."), words.join('\n'));
  assert.ok(words.includes('A fall of 50% overnight would cost $245,607,368.27.'));
  assert.ok(words.includes('The reserve, 6274.00000000 BTC, is worth $491,214,736.54 at the BTC/USD price of 2026-08-22 (102 days old).'));
  assert.ok(words.includes('The reserve is 1.4447% of GDP (2024), $34,000,000,000.00.'));
  assert.ok(words.includes('The reserve is 3.4441% of foreign reserves (2025-11-30), PKR 4,000,000,000,000.00.'));
  assert.ok(words.some((w) => /^On 99 days out of 100 the reserve would lose less than \$[\d,.]+ in a day; on the worst 1% of days the average loss is \$[\d,.]+ \(historical, 365 daily returns from 2025-08-22 to 2026-08-22\)\.$/.test(w)));
  assert.ok(words.some((w) => /^Over 10 days, 95 times out of 100 .* \(historical, 356 overlapping 10-day returns/.test(w)));
  assert.ok(words.some((w) => w.startsWith('The scenario "three bad days" would cost $137,540,126.23 at its worst, 2 days in')));
  assert.equal(formatMoney({ currency: 'USD', minor: -123_456_789n }), '−$1,234,567.89');
  assert.equal(formatMoney({ currency: 'JPY', minor: 1_234n }, 0), 'JPY 1,234');
});

test('the reserve value\'s own drawdown includes purchases; names in sentences are display-safe', async () => {
  const d = valueDrawdown([
    { date: '2024-01-01', value: USD(100n) },
    { date: '2024-01-02', value: USD(300n) },
    { date: '2024-01-03', value: USD(240n) },
  ]);
  assert.deepEqual([d.peak.date, d.belowPeak, d.window.observations], ['2024-01-02', USD(60n), 3]);
  assert.equal(d.fall, 1 - 240 / 300);
  assert.throws(() => valueDrawdown([]), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  const report = riskReport({ asOf: '2026-08-22', sats: 100_000_000n, usd: await shipped(), scenarios: [{ name: 'evil\u202eeman', prices: [2n, 1n] }] });
  assert.ok(riskSentences(report).some((w) => w.includes('"evil\\u202eeman"')));
  assert.equal(report.price.stale, false);
  assert.deepEqual(report.notices, []);
});
