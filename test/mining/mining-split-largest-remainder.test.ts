// Splitting a total by shares in basis points, largest remainder: for random share tables and
// totals (a seeded PRNG, so a failure is reproducible) the parts sum to the total to the sat, each
// part is within 1 sat of its exact share (floor or floor + 1), the extra sats go to the largest
// remainders, ties are broken deterministically (larger share, then name) whatever the input
// order; malformed tables and totals are refused with stable codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitByShares, TOTAL_BPS, type Share } from '../../src/core/mining/split.ts';
import { DomainError } from '../../src/core/errors.ts';
import { MAX_MONEY, type Sats } from '../../src/core/money.ts';

/** xorshift128+ over bigint: deterministic from the seed. */
function prng(seed: bigint): () => bigint {
  const M = (1n << 64n) - 1n;
  let s0 = (seed ^ 0x9e3779b97f4a7c15n) & M;
  let s1 = (seed * 0xbf58476d1ce4e5b9n + 1n) & M;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & M;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & M;
  };
}
const below = (next: () => bigint, n: bigint): bigint => next() % n;

/** A random share table: 1–12 partners, basis points from random cut points of 0…10,000 (zeros allowed). */
function randomShares(next: () => bigint): Share[] {
  const n = Number(below(next, 12n)) + 1;
  const cuts = Array.from({ length: n - 1 }, () => Number(below(next, BigInt(TOTAL_BPS + 1)))).sort((a, b) => a - b);
  const points = [0, ...cuts, TOTAL_BPS];
  return Array.from({ length: n }, (_, i) => ({ partner: `P${String(below(next, 1000n)).padStart(3, '0')}-${i}`, bps: (points[i + 1] ?? 0) - (points[i] ?? 0) }));
}

function randomTotal(next: () => bigint): Sats {
  switch (Number(below(next, 4n))) {
    case 0: return below(next, 100n) as Sats; // tiny: most partners get 0 or 1
    case 1: return below(next, 1_000_000n) as Sats;
    case 2: return below(next, 10n ** 12n) as Sats;
    default: return below(next, MAX_MONEY + 1n) as Sats; // up to 21 million BTC
  }
}

function shuffle<T>(xs: readonly T[], next: () => bigint): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Number(below(next, BigInt(i + 1)));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

test('random tables and totals: parts sum to the total to the sat, each is floor or floor + 1 of its exact share, extras go to the largest remainders', () => {
  const next = prng(20261202n);
  for (let round = 0; round < 2_000; round++) {
    const shares = randomShares(next);
    const total = randomTotal(next);
    const parts = splitByShares(total, shares);
    const ctx = `round ${round}: total ${total}, shares ${JSON.stringify(shares)}`;
    assert.equal(parts.length, shares.length, ctx);
    assert.equal(parts.reduce((a, p) => a + p.sats, 0n), total, ctx);
    let minRemGot: bigint | null = null;
    let maxRemNot: bigint | null = null;
    parts.forEach((p, i) => {
      const s = shares[i] as Share;
      assert.equal(p.partner, s.partner, ctx); // the input order is kept
      const exact = total * BigInt(s.bps);
      const floor = exact / BigInt(TOTAL_BPS);
      const rem = exact % BigInt(TOTAL_BPS);
      assert.ok(p.sats === floor || p.sats === floor + 1n, `${ctx}: ${p.partner} got ${p.sats}, exact ${floor}+${rem}/10000`);
      if (rem === 0n) assert.equal(p.sats, floor, `${ctx}: an exact share gets no extra sat`);
      if (p.sats === floor + 1n) minRemGot = minRemGot === null || rem < minRemGot ? rem : minRemGot;
      else if (rem > 0n) maxRemNot = maxRemNot === null || rem > maxRemNot ? rem : maxRemNot;
    });
    if (minRemGot !== null && maxRemNot !== null) assert.ok(minRemGot >= maxRemNot, `${ctx}: a smaller remainder got an extra sat before a larger one`);
  }
});

test('deterministic: the same table in any order gives every partner the same sats', () => {
  const next = prng(7n);
  for (let round = 0; round < 500; round++) {
    const shares = randomShares(next);
    const total = randomTotal(next);
    const byName = (parts: readonly { partner: string; sats: bigint }[]): Map<string, bigint> => new Map(parts.map((p) => [p.partner, p.sats]));
    const a = byName(splitByShares(total, shares));
    const b = byName(splitByShares(total, shuffle(shares, next)));
    assert.deepEqual(b, a, `round ${round}`);
  }
});

test('ties: equal remainders go to the larger share first, then to the partner name in code-unit order', () => {
  // 1 sat between two equal halves: remainders 5,000 each, equal bps: "A" before "B"
  assert.deepEqual(splitByShares(1n as Sats, [{ partner: 'B', bps: 5_000 }, { partner: 'A', bps: 5_000 }]), [{ partner: 'B', sats: 0n }, { partner: 'A', sats: 1n }]);
  // 2 sats over 3333/3333/3334: remainders 6,666/6,666/6,668 → C, then A (before B)
  assert.deepEqual(splitByShares(2n as Sats, [{ partner: 'A', bps: 3_333 }, { partner: 'B', bps: 3_333 }, { partner: 'C', bps: 3_334 }]).map((p) => p.sats), [1n, 0n, 1n]);
  // 1 sat: remainders 2,500 (X) and 7,500 (Y): the larger remainder first, whatever the names
  assert.deepEqual(splitByShares(1n as Sats, [{ partner: 'X', bps: 2_500 }, { partner: 'Y', bps: 7_500 }]).map((p) => p.sats), [0n, 1n]);
  // 3 sats over 4 partners at 2,500 bps (remainders 7,500 each): names decide, a < b < c < d
  assert.deepEqual(splitByShares(3n as Sats, ['d', 'b', 'a', 'c'].map((partner) => ({ partner, bps: 2_500 }))).map((p) => [p.partner, p.sats]), [['d', 0n], ['b', 1n], ['a', 1n], ['c', 1n]]);
  // the example: 3.125 BTC between LAGEO 23 %, CEL 27 %, PAK 50 % divides exactly
  assert.deepEqual(splitByShares(312_500_000n as Sats, [{ partner: 'LAGEO', bps: 2_300 }, { partner: 'CEL', bps: 2_700 }, { partner: 'PAK', bps: 5_000 }]).map((p) => p.sats), [71_875_000n, 84_375_000n, 156_250_000n]);
});

test('refusals: shares not summing to 10,000, bad basis points, duplicate or empty names, no shares, a negative total', () => {
  const refused = (total: bigint, shares: Share[], code: string, re: RegExp): void => {
    assert.throws(() => splitByShares(total as Sats, shares), (e: unknown) => e instanceof DomainError && e.code === code && re.test(e.message));
  };
  refused(100n, [{ partner: 'A', bps: 5_000 }, { partner: 'B', bps: 4_999 }], 'INVALID_ARGUMENT', /sum to 9999 basis points; they must sum to exactly 10000/);
  refused(100n, [{ partner: 'A', bps: 5_000 }, { partner: 'B', bps: 5_001 }], 'INVALID_ARGUMENT', /sum to 10001/);
  refused(100n, [{ partner: 'A', bps: 10_500 }, { partner: 'B', bps: -500 }], 'INVALID_ARGUMENT', /whole basis points from 0 to 10000/);
  refused(100n, [{ partner: 'A', bps: 5_000.5 }, { partner: 'B', bps: 4_999.5 }], 'INVALID_ARGUMENT', /whole basis points/);
  refused(100n, [{ partner: 'A', bps: 5_000 }, { partner: 'A', bps: 5_000 }], 'INVALID_ARGUMENT', /listed twice/);
  refused(100n, [{ partner: ' ', bps: 10_000 }], 'INVALID_ARGUMENT', /no partner name/);
  refused(100n, [], 'INVALID_ARGUMENT', /no shares given/);
  refused(-1n, [{ partner: 'A', bps: 10_000 }], 'INVALID_AMOUNT', /whole, non-negative number of sats/);
  // a zero total splits into zeros
  assert.deepEqual(splitByShares(0n as Sats, [{ partner: 'A', bps: 10_000 }]), [{ partner: 'A', sats: 0n }]);
});
