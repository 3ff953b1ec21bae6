// Multilateral netting over random invoice sets (issue #16 items 3 and 4), from a seeded generator so
// every run checks the same thousands of cases: the positions sum to exactly zero; each member's
// position is within one sat of its receivables minus payables at the locked rates, computed here
// invoice by invoice with exact fractions (not through the NetBook); the transfers settle every net
// exactly, go from payers to receivers and number at most N − 1; and on small alliances (N ≤ 7) their
// number is the exact minimum, found here by brute force over every partition of the members.
// The NetBook's incremental add/remove gives the same book as building it afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { closePositions, EXACT_MAX_MEMBERS, minimumTransferCount, NetBook, settlementTransfers } from '../../src/core/settlement/netting.ts';
import { CURRENCY_MINOR_DIGITS } from '../../src/core/settlement/rates.ts';
import type { LockedRate, NetPosition, NettableInvoice, SettlementTransfer } from '../../src/core/settlement/types.ts';

const CURRENCIES = ['USD', 'PKR', 'RUB', 'EUR', 'CNY', 'JPY', 'KWD'] as const;

function generator(seed: number) {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const big = (digits: number): bigint => {
    let s = String(int(1, 9));
    for (let i = 1; i < digits; i++) s += String(int(0, 9));
    return BigInt(s);
  };
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)] as T;
  return { random, int, big, pick };
}

type Gen = ReturnType<typeof generator>;

function randomCase(g: Gen, members: number) {
  const codes = Array.from({ length: members }, (_, i) => `M${String.fromCharCode(65 + ((i * 7) % 26))}${i}`);
  const currencies = CURRENCIES.filter(() => g.random() < 0.6);
  if (currencies.length === 0) currencies.push('USD');
  // a BTC price per currency, in minor units: from 10^4 to 10^13 (cents of USD up to fils of KWD, whole yen)
  const rates: LockedRate[] = currencies.map((currency) => ({ currency, minorDigits: CURRENCY_MINOR_DIGITS[currency] as number, btcPriceMinor: g.big(g.int(5, 14)), source: 'test' }));
  const invoices: NettableInvoice[] = [];
  const n = g.int(1, 60);
  for (let i = 0; i < n; i++) {
    const exporter = g.pick(codes);
    let importer = g.pick(codes);
    while (importer === exporter) importer = g.pick(codes);
    invoices.push({ reference: `R${i}`, exporter, importer, amountMinor: g.big(g.int(1, 11)), currency: g.pick(currencies) });
  }
  return { codes, rates, invoices };
}

/** a/b in lowest terms, b > 0 (the check's own arithmetic, independent of rates.ts). */
interface Frac { n: bigint; d: bigint }
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
function add(x: Frac, y: Frac): Frac {
  const n = x.n * y.d + y.n * x.d;
  const d = x.d * y.d;
  const k = gcd(n, d) || 1n;
  return { n: n / k, d: d / k };
}

/** Each member's receivables minus payables in sats at the locked rates, invoice by invoice, exactly. */
function exactNets(invoices: readonly NettableInvoice[], rates: readonly LockedRate[]): Map<string, Frac> {
  const price = new Map(rates.map((r) => [r.currency, r.btcPriceMinor]));
  const out = new Map<string, Frac>();
  for (const inv of invoices) {
    const v: Frac = { n: inv.amountMinor * 100_000_000n, d: price.get(inv.currency) as bigint };
    out.set(inv.exporter, add(out.get(inv.exporter) ?? { n: 0n, d: 1n }, v));
    out.set(inv.importer, add(out.get(inv.importer) ?? { n: 0n, d: 1n }, { n: -v.n, d: v.d }));
  }
  return out;
}

/** The transfers move every member by exactly its position, from payers to receivers, at most N − 1 of them. */
function assertSettles(positions: readonly NetPosition[], transfers: readonly SettlementTransfer[], label: string): void {
  const moved = new Map<string, bigint>();
  const sign = new Map(positions.map((p) => [p.member, p.sats]));
  for (const t of transfers) {
    assert.ok(t.sats > 0n, `${label}: a transfer of ${t.sats}`);
    assert.ok((sign.get(t.from) ?? 0n) < 0n, `${label}: ${t.from} pays but is not a net payer`);
    assert.ok((sign.get(t.to) ?? 0n) > 0n, `${label}: ${t.to} receives but is not a net receiver`);
    moved.set(t.from, (moved.get(t.from) ?? 0n) - t.sats);
    moved.set(t.to, (moved.get(t.to) ?? 0n) + t.sats);
  }
  for (const p of positions) assert.equal(moved.get(p.member) ?? 0n, p.sats, `${label}: ${p.member} moves by its position`);
  const n = positions.filter((p) => p.sats !== 0n).length;
  assert.ok(transfers.length <= Math.max(0, n - 1), `${label}: ${transfers.length} transfers for ${n} members`);
}

/** The minimum number of transfers by brute force: N − the most blocks of a partition whose blocks all sum to zero. */
function bruteForceMinimum(values: readonly bigint[]): number {
  const nonZero = values.filter((v) => v !== 0n);
  let best = 0;
  const blocks: bigint[] = [];
  const walk = (i: number): void => {
    if (i === nonZero.length) {
      if (blocks.every((b) => b === 0n)) best = Math.max(best, blocks.length);
      return;
    }
    const v = nonZero[i] as bigint;
    for (let b = 0; b < blocks.length; b++) {
      blocks[b] = (blocks[b] as bigint) + v;
      walk(i + 1);
      blocks[b] = (blocks[b] as bigint) - v;
    }
    blocks.push(v);
    walk(i + 1);
    blocks.pop();
  };
  walk(0);
  return nonZero.length - best;
}

/** Positions with planted zero-sum groups (so the minimum is well below N − 1), sizes 1..n members. */
function plantedPositions(g: Gen, n: number): NetPosition[] {
  const values: bigint[] = [];
  while (values.length < n) {
    const size = Math.min(n - values.length, g.int(2, 4));
    if (size === 1) {
      values.push(0n);
      continue;
    }
    const group: bigint[] = [];
    for (let i = 0; i < size - 1; i++) group.push((g.random() < 0.5 ? -1n : 1n) * g.big(g.int(1, 6)));
    const rest = -group.reduce((a, b) => a + b, 0n);
    group.push(rest === 0n ? 1n : rest);
    if (rest === 0n) group[0] = (group[0] as bigint) - 1n;
    values.push(...group);
  }
  // shuffle so the groups are not contiguous in member order
  for (let i = values.length - 1; i > 0; i--) {
    const j = g.int(0, i);
    [values[i], values[j]] = [values[j] as bigint, values[i] as bigint];
  }
  return values.map((sats, i) => ({ member: `P${String(i).padStart(2, '0')}`, sats }));
}

test('positions from random invoice sets sum to exactly zero and each is within one sat of receivables minus payables at the locked rates', () => {
  const g = generator(16);
  for (let c = 0; c < 400; c++) {
    const { rates, invoices } = randomCase(g, g.int(2, 12));
    const book = new NetBook();
    for (const inv of invoices) book.add(inv);
    const positions = closePositions(book, rates);
    assert.equal(positions.reduce((a, p) => a + p.sats, 0n), 0n, `case ${c}: sum`);
    const exact = exactNets(invoices, rates);
    assert.deepEqual(positions.map((p) => p.member), [...exact.keys()].sort(), `case ${c}: one position per member`);
    for (const p of positions) {
      const e = exact.get(p.member) as Frac;
      // |sats − n/d| < 1  ⇔  |sats·d − n| < d
      const diff = p.sats * e.d - e.n;
      assert.ok((diff < 0n ? -diff : diff) < e.d, `case ${c}: ${p.member} has ${p.sats}, exact ${e.n}/${e.d}`);
    }
  }
});

test('the transfers settle every net exactly, from payers to receivers, in at most N − 1 transfers', () => {
  const g = generator(1601);
  for (let c = 0; c < 300; c++) {
    const { rates, invoices } = randomCase(g, g.int(2, 24)); // beyond 16 members too (the greedy side)
    const book = new NetBook();
    for (const inv of invoices) book.add(inv);
    const positions = closePositions(book, rates);
    assertSettles(positions, settlementTransfers(positions), `case ${c}`);
  }
});

test('on alliances of up to 7 members the number of transfers is the exact minimum (brute force over every partition)', () => {
  const g = generator(7);
  let belowNMinus1 = 0;
  for (let c = 0; c < 600; c++) {
    const n = g.int(1, 7);
    // every third planted case is scaled past 2^53 sats in total, so the subset sums take the bigint path
    const planted = (): NetPosition[] => plantedPositions(g, n).map((p) => ({ member: p.member, sats: c % 3 === 0 ? p.sats * 10_000_000_000n : p.sats }));
    const positions = c % 2 === 0 ? planted() : closePositions(bookOf(randomCase(g, Math.max(2, n)).invoices), randomCaseRates(g));
    const transfers = settlementTransfers(positions);
    assertSettles(positions, transfers, `case ${c}`);
    const minimum = bruteForceMinimum(positions.map((p) => p.sats));
    assert.equal(transfers.length, minimum, `case ${c}: ${positions.map((p) => p.sats).join(' ')}`);
    assert.equal(minimumTransferCount(positions), minimum);
    if (minimum < positions.filter((p) => p.sats !== 0n).length - 1) belowNMinus1++;
  }
  assert.ok(belowNMinus1 > 100, `the cases exercise zero-sum subgroups (${belowNMinus1} below N − 1)`);

  function bookOf(invoices: readonly NettableInvoice[]): NetBook {
    const b = new NetBook();
    for (const inv of invoices) b.add(inv);
    return b;
  }
  function randomCaseRates(_g: Gen): LockedRate[] {
    return CURRENCIES.map((currency) => ({ currency, minorDigits: CURRENCY_MINOR_DIGITS[currency] as number, btcPriceMinor: 7_829_371n, source: 'test' }));
  }
});

test('with 16 members the exact search uses the planted zero-sum groups (at least ⌈N/4⌉ of them); beyond 16 the greedy still settles in at most N − 1', () => {
  const g = generator(1616);
  for (let c = 0; c < 12; c++) {
    const positions = plantedPositions(g, EXACT_MAX_MEMBERS);
    const transfers = settlementTransfers(positions);
    assertSettles(positions, transfers, `16-member case ${c}`);
    // planted: groups of 2..4 summing to zero (and zeros), so at least ⌈N/4⌉ zero-sum groups exist
    const nonZero = positions.filter((p) => p.sats !== 0n).length;
    assert.ok(transfers.length <= nonZero - Math.ceil(nonZero / 4), `16-member case ${c}: ${transfers.length} transfers for ${nonZero} members in groups of at most 4`);
  }
  for (let c = 0; c < 12; c++) {
    const positions = plantedPositions(g, g.int(17, 60));
    assertSettles(positions, settlementTransfers(positions), `large case ${c}`);
  }
});

test('the same positions in any order give the same transfers (deterministic)', () => {
  const g = generator(99);
  for (let c = 0; c < 50; c++) {
    const positions = plantedPositions(g, g.int(2, 20));
    const reversed = [...positions].reverse();
    assert.deepEqual(settlementTransfers(reversed), settlementTransfers(positions));
  }
});

test('NetBook: adding invoices then removing some equals a book built from the rest; a snapshot restores it and closes the same', () => {
  const g = generator(4242);
  for (let c = 0; c < 100; c++) {
    const { rates, invoices } = randomCase(g, g.int(2, 10));
    const book = new NetBook();
    for (const inv of invoices) book.add(inv);
    const kept: NettableInvoice[] = [];
    for (const inv of invoices) (g.random() < 0.4 ? () => book.remove(inv) : () => kept.push(inv))();
    const fresh = new NetBook();
    for (const inv of kept) fresh.add(inv);
    assert.deepEqual(book.snapshot(), fresh.snapshot(), `case ${c}`);
    assert.equal(book.size, kept.length);
    const restored = NetBook.fromSnapshot(book.snapshot());
    assert.deepEqual(restored.snapshot(), book.snapshot());
    assert.deepEqual(closePositions(restored, rates), closePositions(fresh, rates));
    assert.deepEqual(closePositions(book.snapshot(), rates), closePositions(fresh, rates));
  }
});

test('NetBook refuses a programmer fault: a non-positive amount, an invoice to oneself, removing what was never added', () => {
  const book = new NetBook();
  assert.throws(() => book.add({ reference: 'x', exporter: 'A', importer: 'B', amountMinor: 0n, currency: 'USD' }), RangeError);
  assert.throws(() => book.add({ reference: 'x', exporter: 'A', importer: 'A', amountMinor: 5n, currency: 'USD' }), RangeError);
  assert.throws(() => book.remove({ reference: 'x', exporter: 'A', importer: 'B', amountMinor: 5n, currency: 'USD' }), RangeError);
  assert.throws(() => settlementTransfers([{ member: 'A', sats: 1n }]), RangeError);
});
