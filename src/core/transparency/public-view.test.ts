// Valuation rules of the public view: fiat value in cents (half away from zero) and share of 21M.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareOf21MBasisPoints, shareOf21MPercent, valueInCents } from './public-view.ts';

test('value in cents rounds half away from zero, exactly, at any size', () => {
  assert.equal(valueInCents(150_000_000n, 6_000_000n), 9_000_000n);
  assert.equal(valueInCents(1n, 50_000_000n), 1n); // 0.5 cent -> 1
  assert.equal(valueInCents(1n, 49_999_999n), 0n);
  assert.equal(valueInCents(-1n, 50_000_000n), -1n);
  const all = 21_000_000n * 100_000_000n;
  assert.equal(valueInCents(all, 10_000_000_00n), 21_000_000n * 10_000_000_00n);
  assert.throws(() => valueInCents(1n, -1n), RangeError);
  // oracle for small values: float arithmetic is exact below 2^53
  for (let s = 0n; s < 3000n; s += 7n) {
    for (const p of [1n, 99n, 4_567_891n, 7_829_371n]) {
      assert.equal(valueInCents(s, p), BigInt(Math.round(Number(s * p) / 1e8)), `${s} at ${p}`);
    }
  }
});

test('share of 21M as an exact truncated percentage and in basis points', () => {
  assert.equal(shareOf21MPercent(0n), '0.000000');
  assert.equal(shareOf21MPercent(21_000_000n * 100_000_000n), '100.000000');
  assert.equal(shareOf21MPercent(2_100_000_000_000n), '0.100000');
  assert.equal(shareOf21MPercent(6_101n * 100_000_000n), '0.029052'); // 6,101 BTC = 0.0290523…%
  assert.equal(shareOf21MPercent(6_101n * 100_000_000n, 2), '0.02');
  assert.equal(shareOf21MPercent(6_101n * 100_000_000n, 0), '0');
  assert.equal(shareOf21MBasisPoints(6_101n * 100_000_000n), 2n);
  assert.equal(shareOf21MBasisPoints(198_012n * 100_000_000n), 94n);
  assert.throws(() => shareOf21MPercent(-1n), RangeError);
});
