// Lots and P&L on hand-built histories, for each method (FIFO, specific identification, weighted
// average): partial spends, fees, internal transfers between vaults, and a reorg. Every expected
// number is worked out by hand in the comments (cents; 1 BTC = 100,000,000 sats).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeCostBasis, realisedPnl, receiptOutputs, unrealisedPnl, type CostBasis } from '../../src/core/accounting/cost-basis.ts';
import { buildLedger, ledgerBalances, reconcileLedger } from '../../src/core/accounting/ledger.ts';
import { matchPurchases } from '../../src/core/accounting/purchases.ts';
import type { CostBasisMethod, PurchaseRecord } from '../../src/core/accounting/types.ts';
import { DomainError } from '../../src/core/errors.ts';
import { BTC, HistoryBuilder, usdPrices } from '../fixtures/accounting/history.ts';

// Day 1 $40,000; day 2 $50,000; day 3 $60,000; day 4 $30,000.
const price = usdPrices({ '2024-01-01': 40_000, '2024-01-02': 50_000, '2024-01-03': 60_000, '2024-01-04': 30_000 });
const day = (n: number) => ({ height: 100 + n, date: `2024-01-0${n}` });

/**
 * Vault A: day 1 a purchase of 1 BTC for $39,000 (record R1); day 2 a donation of 0.5 BTC (no record:
 * market price, 0.5 × $50,000 = $25,000). Returns the builder and the two receipts.
 */
function twoLots() {
  const h = new HistoryBuilder();
  const l1 = h.receive(day(1), 'purchase', [{ vaultId: 'a', sats: BTC }]);
  const l2 = h.receive(day(2), 'donation', [{ vaultId: 'a', sats: BTC / 2n }]);
  const records: PurchaseRecord[] = [{ id: 'R1', date: '2024-01-01', sats: BTC, paid: { currency: 'USD', minor: 3_900_000n }, counterparty: 'Broker', sourceUrl: null, vaultId: 'a' }];
  return { h, l1, l2, records };
}

function basisOf(h: HistoryBuilder, records: PurchaseRecord[], methods: Record<string, CostBasisMethod>, until?: string): CostBasis {
  const txs = h.txs();
  const matching = matchPurchases(records, receiptOutputs(txs));
  return computeCostBasis({ history: txs, methods, price, purchases: { records, matches: matching.matches }, ...(until ? { until } : {}) });
}

const cents = (b: CostBasis) => b.disposals.map((d) => [d.kind, d.lotId.slice(-2), d.sats, d.cost.minor, d.value.minor]);

test('lots: one per received output, cost from the matched purchase record, else the receipt day\'s price flagged market-price', () => {
  const { h, l1, l2, records } = twoLots();
  const b = basisOf(h, records, { a: 'fifo' });
  assert.deepEqual(b.lots.map((l) => [l.id, l.source, l.sats, l.cost.minor, l.costOrigin]), [
    [`${l1}:0`, 'purchase', BTC, 3_900_000n, { kind: 'purchase-record', recordId: 'R1' }],
    [`${l2}:0`, 'donation', BTC / 2n, 2_500_000n, { kind: 'market-price', priceDate: '2024-01-02' }],
  ]);
  assert.deepEqual(b.vaults, [{ vaultId: 'a', method: 'fifo', sats: 150_000_000n, cost: { currency: 'USD', minor: 6_400_000n } }]);
});

/** Day 3: A pays 1.2 BTC out, fee 0.0001 BTC, change 0.2999 BTC back to A, spending both outputs. */
function payBoth() {
  const t = twoLots();
  const pay = t.h.tx(day(3), 'payment', [{ txid: t.l1, vout: 0 }, { txid: t.l2, vout: 0 }], [{ vaultId: null, sats: 120_000_000n }, { vaultId: 'a', sats: 29_990_000n }], 10_000n);
  return { ...t, pay };
}

test('FIFO, partial spend with a fee: the oldest lot goes first, the partly spent lot keeps the rest of its cost', () => {
  const { h, records, l2 } = payBoth();
  const b = basisOf(h, records, { a: 'fifo' });
  // Net outflow 1.2001 BTC: all of L1 ($39,000) and 0.2001 of L2: $25,000 × 0.2001/0.5 = $10,005.00.
  // Payment 1.2 = L1 + 0.2 of that piece: $10,005 × 0.2/0.2001 = $10,000.00; the fee takes the $5.00 left.
  assert.deepEqual(cents(b), [
    ['payment', ':0', BTC, 3_900_000n, 6_000_000n],
    ['payment', ':0', 20_000_000n, 1_000_000n, 1_200_000n],
    ['fee', ':0', 10_000n, 500n, 600n],
  ]);
  assert.deepEqual(b.disposals.map((d) => d.lotId.slice(0, 64)), [twoLots().l1, l2, l2]);
  // L2 keeps 0.2999 BTC at $25,000 − $10,005 = $14,995.
  assert.deepEqual(b.open.map((o) => [o.lot.id, o.remainingSats, o.remainingCost.minor]), [[`${l2}:0`, 29_990_000n, 1_499_500n]]);
  const r = realisedPnl(b.disposals, 'USD');
  // Proceeds 1.2 × $60,000 = $72,000; cost $49,000; P&L $23,000. Fee: cost $5, value $6.
  assert.deepEqual([r.proceeds.minor, r.cost.minor, r.pnl.minor, r.feesCost.minor, r.feesValue.minor], [7_200_000n, 4_900_000n, 2_300_000n, 500n, 600n]);
  // Day 4 at $30,000: 0.2999 BTC is worth $8,997; cost $14,995; unrealised −$5,998.
  const u = unrealisedPnl(b, price('2024-01-04') as NonNullable<ReturnType<typeof price>>);
  assert.deepEqual([u.total.sats, u.total.value.minor, u.total.cost.minor, u.total.pnl.minor], [29_990_000n, 899_700n, 1_499_500n, -599_800n]);
});

test('weighted average, partial spend with a fee: what leaves costs the pool\'s average; the rest carries it', () => {
  const { h, records } = payBoth();
  const b = basisOf(h, records, { a: 'average' });
  // Pool: 1.5 BTC for $64,000 ($42,666.67 a BTC). Out 1.2001 BTC: $64,000 × 1.2001/1.5 = $51,204.2667 → 5,120,427 cents.
  // Spread over the slices taken (L1 1.0, L2 0.2001) by sats: 4,266,667 + 853,760. The payment takes L1's and
  // 853,760 × 0.2/0.2001 = 853,333.3 → 853,333: $51,200.00 = 1.2 × the average. The fee takes 427.
  assert.deepEqual(cents(b).map((x) => x.slice(0, 4)), [['payment', ':0', BTC, 4_266_667n], ['payment', ':0', 20_000_000n, 853_333n], ['fee', ':0', 10_000n, 427n]]);
  assert.equal(b.vaults[0]?.cost.minor, 6_400_000n - 5_120_427n);
  const r = realisedPnl(b.disposals, 'USD');
  assert.deepEqual([r.cost.minor, r.pnl.minor], [5_120_000n, 7_200_000n - 5_120_000n]);
});

test('specific identification: the spent outputs are the lots consumed, whole; the change becomes a new lot with the rest of their cost', () => {
  const { h, l1, l2, records } = twoLots();
  // Day 3: A pays 0.4 BTC spending only the donation's output (0.5), fee 0.0001, change 0.0999.
  const pay = h.tx(day(3), 'payment', [{ txid: l2, vout: 0 }], [{ vaultId: null, sats: 40_000_000n }, { vaultId: 'a', sats: 9_990_000n }], 10_000n);
  const spec = basisOf(h, records, { a: 'specific' });
  // L2 0.5 BTC $25,000: payment 0.4 → $20,000; the 0.1 left ($5,000): fee 0.0001 → $5.00; change 0.0999 → $4,995.
  assert.deepEqual(cents(spec), [
    ['payment', ':0', 40_000_000n, 2_000_000n, 2_400_000n],
    ['fee', ':0', 10_000n, 500n, 600n],
    ['transfer', ':0', 9_990_000n, 499_500n, 599_400n],
  ]);
  assert.deepEqual(spec.open.map((o) => [o.lot.id, o.lot.source, o.remainingSats, o.remainingCost.minor]), [
    [`${l1}:0`, 'purchase', BTC, 3_900_000n],
    [`${pay}:1<-${l2}:0`, 'donation', 9_990_000n, 499_500n],
  ]);
  assert.equal(realisedPnl(spec.disposals, 'USD').pnl.minor, 400_000n); // $24,000 − $20,000
  // FIFO on the same history takes the purchase lot instead: 0.4001 of L1 = $15,603.90; the payment $15,600.00.
  const fifo = basisOf(h, records, { a: 'fifo' });
  assert.deepEqual(cents(fifo).map((x) => x.slice(0, 4)), [['payment', ':0', 40_000_000n, 1_560_000n], ['fee', ':0', 10_000n, 390n]]);
  assert.equal(realisedPnl(fifo.disposals, 'USD').pnl.minor, 840_000n); // $24,000 − $15,600
});

test('internal transfer between vaults: the cost moves to new lots in the receiving vault, no P&L, no cent lost', () => {
  const { h, l1, l2, records } = twoLots();
  // Day 3: A (FIFO) sends 1.2 BTC to B (specific), fee 0.0001, change 0.2999 to A.
  const move = h.tx(day(3), 'internal consolidation', [{ txid: l1, vout: 0 }, { txid: l2, vout: 0 }], [{ vaultId: 'b', sats: 120_000_000n }, { vaultId: 'a', sats: 29_990_000n }], 10_000n);
  // Day 4: B pays 0.5 BTC spending the transfer output (1.2), fee 0.0001, change 0.6999 back to B.
  const pay = h.tx(day(4), 'payment', [{ txid: move, vout: 0 }], [{ vaultId: null, sats: 50_000_000n }, { vaultId: 'b', sats: 69_990_000n }], 10_000n);
  const b = basisOf(h, records, { a: 'fifo', b: 'specific' }, '2024-01-03');
  // A gives up its net outflow 1.2001 BTC, FIFO: L1 whole ($39,000) and 0.2001 of L2 ($10,005). The payment
  // comes first (none here), then the fee (0.0001 of L1: $3.90), then the transfer: the rest of L1 (0.9999,
  // $38,996.10, purchase) and the L2 slice (0.2001, $10,005, donation) become lots in B. A keeps 0.2999 for $14,995.
  assert.deepEqual(b.lots.slice(2).map((l) => [l.id, l.vaultId, l.source, l.sats, l.cost.minor, l.costOrigin.kind]), [
    [`${move}:0<-${l1}:0`, 'b', 'purchase', 99_990_000n, 3_899_610n, 'transfer'],
    [`${move}:0<-${l2}:0`, 'b', 'donation', 20_010_000n, 1_000_500n, 'transfer'],
  ]);
  assert.deepEqual(b.vaults.map((v) => [v.vaultId, v.sats, v.cost.minor]), [['a', 29_990_000n, 1_499_500n], ['b', 120_000_000n, 4_900_110n]]);
  assert.equal(realisedPnl(b.disposals, 'USD').pnl.minor, 0n);
  assert.equal(1_499_500n + 4_900_110n + realisedPnl(b.disposals, 'USD').feesCost.minor, 6_400_000n, 'no cent created or lost');
  // The books at day 4: B's payment consumes both lots on the output (specific). Payment 0.5 from the L1 part:
  // $38,996.10 × 0.5/0.9999 = $19,500.00; fee 0.0001 → $3.90; the change 0.6999 carries the rest of the L1 part
  // (0.4998, $19,492.20) and the L2 part whole (0.2001, $10,005).
  const d4 = basisOf(h, records, { a: 'fifo', b: 'specific' });
  assert.deepEqual(cents(d4).slice(-4).map((x) => x.slice(0, 4)), [
    ['payment', ':0', 50_000_000n, 1_950_000n], ['fee', ':0', 10_000n, 390n], ['transfer', ':0', 49_980_000n, 1_949_220n], ['transfer', ':0', 20_010_000n, 1_000_500n],
  ]);
  assert.deepEqual(d4.open.filter((o) => o.lot.vaultId === 'b').map((o) => [o.lot.id, o.lot.source, o.remainingSats, o.remainingCost.minor]), [
    [`${pay}:1<-${move}:0<-${l1}:0`, 'purchase', 49_980_000n, 1_949_220n],
    [`${pay}:1<-${move}:0<-${l2}:0`, 'donation', 20_010_000n, 1_000_500n],
  ]);
  // Proceeds 0.5 × $30,000 = $15,000 against $19,500: −$4,500.
  assert.equal(realisedPnl(d4.disposals, 'USD', { from: '2024-01-04' }).pnl.minor, -450_000n);
  // Ledger side: the transfer moved sats between asset accounts only.
  const ledger = Object.fromEntries(ledgerBalances(buildLedger(h.txs())).map((x) => [x.key, x.sats]));
  assert.deepEqual(ledger, { 'acquisitions:donation': -50_000_000n, 'acquisitions:purchase': -BTC, 'asset:a': 29_990_000n, 'asset:b': 69_990_000n, fees: 20_000n, 'payments-out': 50_000_000n });
});

test('a reorg that drops the spend: the ledger reverses it, and lots and P&L recomputed from the new history are whole again', () => {
  const { h, records, pay } = payBoth();
  const before = buildLedger(h.txs());
  const after = h.txs().filter((t) => t.txid !== pay);
  const ledger = [...before, ...reconcileLedger(before, after, { height: 104, date: '2024-01-04' })];
  assert.equal(ledger.at(-1)?.reverses, pay);
  const b = computeCostBasis({ history: after, methods: { a: 'fifo' }, price, purchases: { records, matches: matchPurchases(records, receiptOutputs(after)).matches } });
  assert.deepEqual(b.disposals, []);
  assert.equal(realisedPnl(b.disposals, 'USD').pnl.minor, 0n);
  assert.deepEqual(b.vaults.map((v) => [v.sats, v.cost.minor]), [[150_000_000n, 6_400_000n]]);
  const asset = ledgerBalances(ledger).find((x) => x.key === 'asset:a')?.sats;
  assert.equal(asset, b.vaults[0]?.sats);
});

test('a receipt without a price for its day is PRICE_UNAVAILABLE, a record paid in another currency INVALID_ARGUMENT', () => {
  const h = new HistoryBuilder();
  h.receive({ height: 1, date: '2023-12-31' }, 'mining', [{ vaultId: 'a', sats: BTC }]);
  assert.throws(() => computeCostBasis({ history: h.txs(), methods: { a: 'fifo' }, price }), (e: unknown) => e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE' && /2023-12-31/.test(e.message));
  const { h: h2, records } = twoLots();
  const eur: PurchaseRecord[] = [{ ...(records[0] as PurchaseRecord), paid: { currency: 'EUR', minor: 1n } }];
  assert.throws(() => basisOf(h2, eur, { a: 'fifo' }), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => computeCostBasis({ history: h2.txs(), methods: {}, price }), /no method for vault a/);
});
