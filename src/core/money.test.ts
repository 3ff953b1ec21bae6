// Amounts are exact bigint sats: parsing and formatting never go through a float.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBtc, parseAmount, parseBtc, MAX_MONEY } from './money.ts';
import { DomainError } from './errors.ts';

test('parseBtc is exact to the satoshi', () => {
  assert.equal(parseBtc('0.00000001'), 1n);
  assert.equal(parseBtc('1.5'), 150_000_000n);
  assert.equal(parseBtc('21000000'), MAX_MONEY);
  assert.equal(parseBtc('0.1'), 10_000_000n); // 0.1 is not representable as a float
});

test('parseBtc refuses more than 8 decimals, negatives, and more than 21M', () => {
  for (const bad of ['0.000000001', '-1', '21000000.00000001', 'abc', '1e3', '']) {
    assert.throws(() => parseBtc(bad), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_AMOUNT', bad);
  }
});

test('parseAmount accepts sats and BTC', () => {
  assert.equal(parseAmount('546sat'), 546n);
  assert.equal(parseAmount('1000 sats'), 1000n);
  assert.equal(parseAmount('0.5btc'), 50_000_000n);
});

test('formatBtc round-trips', () => {
  for (const v of [0n, 1n, 99_999_999n, 100_000_000n, MAX_MONEY, -5n]) {
    assert.equal(formatBtc(v).length > 0, true);
    if (v >= 0n) assert.equal(parseBtc(formatBtc(v)), v);
  }
  assert.equal(formatBtc(-5n), '-0.00000005');
});
