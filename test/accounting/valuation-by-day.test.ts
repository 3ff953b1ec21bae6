// Valuation (issue #13 item 3): each vault and the total on a day, in USD and through monthly FX
// rates, against values computed by hand; stale prices and rates are said, not hidden.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxSeries, PriceSeries, parseDecimal, type RateBook } from '../../src/core/accounting/reference-rate.ts';
import { crossPrice, dailyValuation, roundDiv, satsValue, valuationAt, type VaultHoldings } from '../../src/core/accounting/valuation.ts';
import { isDomainError } from '../../src/core/errors.ts';

const usd = new PriceSeries(
  [
    { date: '2024-01-01', currency: 'USD', minorPerBtc: 4_200_000n }, // $42,000.00
    { date: '2024-01-02', currency: 'USD', minorPerBtc: 4_300_050n }, // $43,000.50
    { date: '2024-01-05', currency: 'USD', minorPerBtc: 4_500_001n }, // $45,000.01 (no rows for the 3rd and 4th)
    { date: '2024-02-01', currency: 'USD', minorPerBtc: 4_400_000n }, // $44,000.00
  ],
  { currency: 'USD', minorDigits: 2, origin: 'test prices' },
);
const pkr = new FxSeries(
  [
    { date: '2023-12-31', currency: 'PKR', perUsd: parseDecimal('281.9244') },
    { date: '2024-01-31', currency: 'PKR', perUsd: parseDecimal('279.20') },
  ],
  { currency: 'PKR', minorDigits: 2, frequency: 'monthly', origin: 'test IMF rates' },
);
const eur = new PriceSeries([{ date: '2024-01-01', currency: 'EUR', minorPerBtc: 3_800_000n }], { currency: 'EUR', minorDigits: 2, origin: 'test EUR prices' });
const eurRates = new FxSeries([{ date: '2023-12-31', currency: 'EUR', perUsd: parseDecimal('0.9') }], { currency: 'EUR', minorDigits: 2, frequency: 'monthly', origin: 'test EUR rates' });
const book: RateBook = { usd, btc: new Map([['USD', usd], ['EUR', eur]]), fx: new Map([['PKR', pkr], ['EUR', eurRates]]), description: 'test book' };

const holdings: VaultHoldings[] = [
  { vaultId: 'cold', balances: [{ date: '2024-01-03', sats: 50_000_000n }, { date: '2024-01-01', sats: 150_000_000n }] },
  { vaultId: 'hot', balances: [{ date: '2024-01-02', sats: 12_345n }] },
];

test('value = sats × price / 10^8, rounded to the nearest minor unit, halves away from zero', () => {
  assert.equal(satsValue(150_000_000n, 6_000_000n), 9_000_000n);
  assert.equal(satsValue(50n, 1_000_000n), 1n); // 0.5 cent → 1
  assert.equal(satsValue(49n, 1_000_000n), 0n); // 0.49 cent → 0
  assert.equal(satsValue(-50n, 1_000_000n), -1n); // an outflow rounds the same way
  assert.equal(roundDiv(7n, 2n), 4n);
  assert.equal(roundDiv(-7n, 2n), -4n);
  assert.throws(() => satsValue(1n, -1n), RangeError);
});

test('each vault and the total on a day with a price, by hand', () => {
  const v = valuationAt(book, holdings, '2024-01-02');
  // cold: 1.5 BTC × $43,000.50 = $64,500.75; hot: 12,345 sats × 4,300,050 / 10^8 = 530.83 cents → 531
  assert.deepEqual(v.vaults.map((x) => [x.vaultId, x.sats, x.value.minor]), [['cold', 150_000_000n, 6_450_075n], ['hot', 12_345n, 531n]]);
  assert.deepEqual(v.total, { sats: 150_012_345n, value: { currency: 'USD', minor: 6_450_606n } });
  assert.equal(v.price.minorPerBtc, 4_300_050n);
  assert.equal(v.price.date, '2024-01-02');
  assert.equal(v.price.ageDays, 0);
  assert.equal(v.stale, false);
  assert.deepEqual(v.notices, []);
  assert.match(v.method, /rounded half away from zero/);
});

test('a day before a vault\'s first balance holds nothing; a balance holds until the next one', () => {
  const v = valuationAt(book, holdings, '2024-01-01');
  assert.deepEqual(v.vaults.map((x) => x.sats), [150_000_000n, 0n]);
  const later = valuationAt(book, holdings, '2024-01-04'); // cold fell to 0.5 BTC on the 3rd
  assert.deepEqual(later.vaults.map((x) => x.value.minor), [2_150_025n, 531n]); // price of the 2nd, 2 days old
  assert.equal(later.price.ageDays, 2);
  assert.equal(later.stale, false);
});

test('a price older than 3 days is stale and the valuation says so in words', () => {
  const v = valuationAt(book, holdings, '2024-01-09');
  assert.equal(v.price.date, '2024-01-05');
  assert.equal(v.price.ageDays, 4);
  assert.equal(v.stale, true);
  assert.deepEqual(v.notices, ['valued at the BTC/USD price of 2024-01-05, 4 days old']);
  // the threshold is an option
  assert.equal(valuationAt(book, holdings, '2024-01-09', 'USD', { maxPriceAgeDays: 4 }).stale, false);
  // 2026-12-02 at the last price of 2024-02-01
  assert.deepEqual(valuationAt(book, holdings, '2026-12-02').notices, ['valued at the BTC/USD price of 2024-02-01, 1035 days old']);
});

test('PKR through the US dollar at the latest month-end rate on or before the day, by hand', () => {
  const v = valuationAt(book, holdings, '2024-01-02', 'PKR');
  // $43,000.50 × 281.9244 = 12,122,890.161420 PKR → 1,212,289,016 paisa per BTC
  assert.equal(v.price.minorPerBtc, 1_212_289_016n);
  assert.equal(v.price.route, 'via-usd');
  assert.equal(v.price.usdMinorPerBtc, 4_300_050n);
  assert.deepEqual(v.price.fx && [v.price.fx.perUsd, v.price.fx.date, v.price.fx.ageDays, v.price.fx.stale], ['281.9244', '2023-12-31', 2, false]);
  // cold 1.5 BTC → 1,818,433,524; hot 12,345 sats → 149,657.07 → 149,657
  assert.deepEqual(v.vaults.map((x) => x.value), [{ currency: 'PKR', minor: 1_818_433_524n }, { currency: 'PKR', minor: 149_657n }]);
  assert.equal(v.total.value.minor, 1_818_583_181n);

  const feb = valuationAt(book, holdings, '2024-02-01', 'PKR');
  // $44,000.00 × 279.20 = 12,284,800.00 PKR; cold 0.5 BTC → 614,240,000; hot → 151,655.856 → 151,656
  assert.equal(feb.price.minorPerBtc, 1_228_480_000n);
  assert.deepEqual(feb.vaults.map((x) => x.value.minor), [614_240_000n, 151_656n]);
  assert.equal(feb.price.fx?.date, '2024-01-31');
});

test('a monthly rate older than 35 days is stale and said so, with the price', () => {
  const v = valuationAt(book, holdings, '2024-03-15', 'PKR');
  assert.equal(v.stale, true);
  assert.deepEqual(v.notices, [
    'valued at the BTC/USD price of 2024-02-01, 43 days old',
    'converted to PKR at the rate of 2024-01-31 (279.20 PKR per USD), 44 days old',
  ]);
  const within = valuationAt(book, holdings, '2024-02-04', 'PKR'); // rate 4 days old: fine for a monthly series
  assert.equal(within.price.fx?.stale, false);
  assert.equal(within.price.stale, false);
});

test('a currency with its own BTC price uses it unless told to go through the US dollar', () => {
  const direct = valuationAt(book, holdings, '2024-01-01', 'EUR');
  assert.equal(direct.price.route, 'direct');
  assert.equal(direct.price.minorPerBtc, 3_800_000n);
  assert.equal(direct.total.value.minor, 5_700_000n); // 1.5 × €38,000
  const cross = valuationAt(book, holdings, '2024-01-01', 'EUR', { route: 'via-usd' });
  assert.equal(cross.price.minorPerBtc, 3_780_000n); // $42,000 × 0.9
  assert.equal(cross.total.value.minor, 5_670_000n);
  assert.equal(crossPrice(4_200_000n, 2, parseDecimal('0.9'), 0), 37_800n); // into a currency without minor units (JPY-like)
});

test('no price on or before the day, or a currency the book lacks, is refused with a stable code', () => {
  assert.throws(() => valuationAt(book, holdings, '2023-12-31'), (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE' && /starts 2024-01-01/.test(e.message));
  assert.throws(() => valuationAt(book, holdings, '2024-01-02', 'RUB'), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT' && /RUB/.test(e.message));
  assert.throws(() => valuationAt(book, holdings, '2024-13-02'), RangeError);
});

test('daily valuation gives one valuation per day, each equal to valuationAt', () => {
  const days = dailyValuation(book, holdings, '2024-01-01', '2024-01-10', 'PKR');
  assert.equal(days.length, 10);
  assert.deepEqual(days.map((d) => d.date).slice(0, 3), ['2024-01-01', '2024-01-02', '2024-01-03']);
  for (const d of days) assert.deepEqual(d, valuationAt(book, holdings, d.date, 'PKR'));
  assert.deepEqual(days.map((d) => d.stale), [false, false, false, false, false, false, false, false, true, true]);
});
