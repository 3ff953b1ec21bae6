// No cent is created or lost: prorating and allocating cost in integer minor units always gives parts
// that sum exactly to the whole, a lot cut by many partial disposals gives exactly its cost, and over
// random histories the cost acquired equals the cost still held plus the cost of payments and fees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, prorate, valueAt } from '../../src/core/accounting/lots.ts';
import { computeCostBasis } from '../../src/core/accounting/cost-basis.ts';
import { buildLedger, ledgerBalances } from '../../src/core/accounting/ledger.ts';
import { COST_BASIS_METHODS } from '../../src/core/accounting/types.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { BTC, HistoryBuilder, usdPrices } from '../fixtures/accounting/history.ts';
import { randomHistory, randomWalkPrice, VAULTS } from '../fixtures/accounting/random-history.ts';

test('prorate rounds to the nearest cent, halves up, and the rest keeps exactly the remainder', () => {
  assert.equal(prorate(100n, 1n, 3n), 33n);
  assert.equal(prorate(100n, 2n, 3n), 67n);
  assert.equal(prorate(1n, 1n, 2n), 1n); // a half rounds up
  assert.equal(prorate(3n, 1n, 2n), 2n); // 1.5 → 2
  assert.equal(prorate(5n, 0n, 7n), 0n);
  assert.equal(prorate(5n, 7n, 7n), 5n);
  assert.throws(() => prorate(5n, 8n, 7n), RangeError);
  assert.throws(() => prorate(-5n, 1n, 7n), RangeError);
});

test('allocate spreads an amount over weights by largest remainder and the parts sum to it (2,000 seeded cases)', () => {
  assert.deepEqual(allocate(100n, [1n, 1n, 1n]), [34n, 33n, 33n]);
  assert.deepEqual(allocate(10n, [0n, 3n, 1n]), [0n, 8n, 2n]); // 7.5 and 2.5: the tie goes to the earlier
  const random = seededRandom(1301);
  for (let i = 0; i < 2_000; i++) {
    const total = BigInt(Math.floor(random() * 1e12));
    const weights = Array.from({ length: 1 + Math.floor(random() * 12) }, () => BigInt(Math.floor(random() * 3e15)));
    if (!weights.some((w) => w > 0n)) weights[0] = 1n;
    const parts = allocate(total, weights);
    assert.equal(parts.reduce((a, x) => a + x, 0n), total);
    const w = weights.reduce((a, x) => a + x, 0n);
    parts.forEach((p, k) => {
      const exact = (total * (weights[k] as bigint)) / w;
      assert.ok(p === exact || p === exact + 1n, 'each part is within a cent of its exact share');
    });
  }
});

test('a lot cut into many partial payments gives exactly its cost, for each method (200 seeded lots)', () => {
  const random = seededRandom(77);
  for (let round = 0; round < 200; round++) {
    const method = COST_BASIS_METHODS[round % 3] as (typeof COST_BASIS_METHODS)[number];
    const h = new HistoryBuilder();
    const lotSats = BigInt(1 + Math.floor(random() * 5e9));
    const paid = BigInt(1 + Math.floor(random() * 1e10));
    let prev = { txid: h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: lotSats }]), vout: 0 };
    let left = lotSats;
    for (let height = 2; left > 0n; height++) {
      // Pay part of what is left (the change, output 1, comes back to the vault), or all of it.
      const pay = left < 10n || random() < 0.1 ? left : 1n + BigInt(Math.floor(random() * Number(left / 3n)));
      const outs: { vaultId: string | null; sats: bigint }[] = [{ vaultId: null, sats: pay }];
      if (pay < left) outs.push({ vaultId: 'a', sats: left - pay });
      prev = { txid: h.tx({ height, date: '2024-01-02' }, 'payment', [prev], outs, 0n), vout: 1 };
      left -= pay;
    }
    const records = [{ id: 'p', date: '2024-01-01', sats: lotSats, paid: { currency: 'USD', minor: paid }, counterparty: null, sourceUrl: null, vaultId: null }];
    const first = h.txs()[0];
    const b = computeCostBasis({
      history: h.txs(), methods: { a: method }, price: usdPrices({ '2024-01-01': 40_000, '2024-01-02': 41_234.57 }),
      purchases: { records, matches: [{ recordId: 'p', receiptIds: [`${first?.txid}:0`], receiptSats: lotSats, differenceSats: 0n, rule: 'exact' }] },
    });
    // (under specific identification each change is a transfer to a new lot: count what left only)
    assert.equal(b.disposals.filter((d) => d.kind === 'payment').reduce((a, d) => a + d.cost.minor, 0n), paid, `round ${round} (${method}): the parts sum to the lot's cost`);
    assert.equal(b.vaults[0]?.sats, 0n);
    assert.equal(b.vaults[0]?.cost.minor, 0n);
  }
});

test('over 300 random histories, for each method: cost acquired = cost held + cost of payments and fees; transfers move cost exactly; holdings equal the ledger', () => {
  let disposals = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const { txs } = randomHistory(seed, 5 + (seed % 30));
    const ledger = ledgerBalances(buildLedger(txs));
    const methods = Object.fromEntries(VAULTS.map((v, i) => [v, COST_BASIS_METHODS[(seed + i) % 3] as (typeof COST_BASIS_METHODS)[number]]));
    const b = computeCostBasis({ history: txs, methods, price: randomWalkPrice });
    const acquired = b.lots.filter((l) => l.costOrigin.kind !== 'transfer').reduce((a, l) => a + l.cost.minor, 0n);
    const held = b.vaults.reduce((a, v) => a + v.cost.minor, 0n);
    const spent = b.disposals.filter((d) => d.kind !== 'transfer').reduce((a, d) => a + d.cost.minor, 0n);
    assert.equal(acquired, held + spent, `seed ${seed}: no cent created or lost`);
    const moved = b.disposals.filter((d) => d.kind === 'transfer').reduce((a, d) => a + d.cost.minor, 0n);
    assert.equal(moved, b.lots.filter((l) => l.costOrigin.kind === 'transfer').reduce((a, l) => a + l.cost.minor, 0n), `seed ${seed}: transfers move cost exactly`);
    assert.equal(held, b.open.reduce((a, o) => a + o.remainingCost.minor, 0n), `seed ${seed}: open lots carry the held cost`);
    for (const v of b.vaults) assert.equal(v.sats, ledger.find((x) => x.key === `asset:${v.vaultId}`)?.sats ?? 0n, `seed ${seed}: ${v.vaultId} lots = ledger`);
    // Sats too: acquired = held + paid out + fees (transfers move, never create).
    const satsIn = b.lots.filter((l) => l.costOrigin.kind !== 'transfer').reduce((a, l) => a + l.sats, 0n);
    const satsOut = b.disposals.filter((d) => d.kind !== 'transfer').reduce((a, d) => a + d.sats, 0n);
    assert.equal(satsIn, b.vaults.reduce((a, v) => a + v.sats, 0n) + satsOut, `seed ${seed}: sats conserved`);
    disposals += b.disposals.length;
  }
  assert.ok(disposals > 2_000, `exercised ${disposals} disposals`);
});

test('valueAt rounds sats × price to the nearest cent, halves up', () => {
  const p = { date: '2024-01-01', currency: 'USD', minorPerBtc: 4_000_000n };
  assert.equal(valueAt(BTC, p).minor, 4_000_000n);
  assert.equal(valueAt(125n, p).minor, 5n); // 125 sats × $40,000 = $0.05
  assert.equal(valueAt(12n, p).minor, 0n); // $0.0048
  assert.equal(valueAt(13n, p).minor, 1n); // $0.0052
});
