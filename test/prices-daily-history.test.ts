// The shipped daily BTC/USD history: every row read exactly as integer cents, lookups by day.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DEFAULT_PRICE_FILE, loadPriceHistory, parsePriceCsv, priceToCents } from '../src/adapters/prices/csv-price-history.ts';
import { isDomainError } from '../src/core/errors.ts';

test('every row of the shipped file is read as exact cents', () => {
  const h = loadPriceHistory();
  assert.equal(h.currency, 'USD');
  assert.deepEqual(h.first, { date: '2012-01-01', cents: 458n });
  assert.deepEqual(h.last, { date: '2026-08-22', cents: 7829371n });
  const lines = readFileSync(DEFAULT_PRICE_FILE, 'utf8').trim().split('\n').slice(1);
  assert.equal(lines.length, 5348);
  for (const line of lines) {
    const [date, usd] = line.split(',');
    // independent oracle: decimal string -> float -> rounded cents (exact for these magnitudes)
    const expected = BigInt(Math.round(Number(usd) * 100));
    assert.equal(h.onOrBefore(date ?? '')?.cents, expected, `row ${date}`);
  }
});

test('a day without a price takes the latest earlier one; before the first there is none', () => {
  const h = parsePriceCsv('Date,BTC_USD\n2024-01-05,45000.5\n2024-01-01,42000\n2024-01-03,43000.25\n');
  assert.equal(h.onOrBefore('2023-12-31'), null);
  assert.deepEqual(h.onOrBefore('2024-01-01'), { date: '2024-01-01', cents: 4200000n });
  assert.deepEqual(h.onOrBefore('2024-01-02'), { date: '2024-01-01', cents: 4200000n });
  assert.deepEqual(h.onOrBefore('2024-01-04'), { date: '2024-01-03', cents: 4300025n });
  assert.deepEqual(h.onOrBefore('2030-01-01'), { date: '2024-01-05', cents: 4500050n });
});

test('malformed files are refused with MALFORMED_DATA', () => {
  const bad = ['Day,Price\n2024-01-01,1', 'Date,BTC_USD\n2024-13-01,1', 'Date,BTC_USD\n2024-01-01,-5', 'Date,BTC_USD\n2024-01-01,1e5', 'Date,BTC_USD\n2024-01-01,1\n2024-01-01,2', 'Date,BTC_USD\n'];
  for (const text of bad) assert.throws(() => parsePriceCsv(text), (e) => isDomainError(e) && e.code === 'MALFORMED_DATA', text);
  assert.equal(priceToCents('0.1'), 10n);
  assert.equal(priceToCents('12.345'), 1234n);
});
