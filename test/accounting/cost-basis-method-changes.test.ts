// Cost-basis method changes over time (issue #13, item 2: "chosen per vault and recorded"): a method
// recorded with an effective day applies from that day on, the days before keep theirs. Hand-built
// history: vault A buys 1 BTC for $39,000 (1 Jan) and receives a 0.5 BTC donation ($25,000, 2 Jan);
// on 3 Jan it pays 0.5 BTC from the 1 BTC output (fee 0.0001, change 0.4999); on 4 Jan it pays 0.3
// BTC from the donation's output (fee 0.0001, change 0.1999).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeCostBasis, receiptOutputs, type CostBasis } from '../../src/core/accounting/cost-basis.ts';
import { prorate } from '../../src/core/accounting/lots.ts';
import { matchPurchases } from '../../src/core/accounting/purchases.ts';
import type { CostBasisMethod, PurchaseRecord } from '../../src/core/accounting/types.ts';
import { methodSchedule } from '../../src/app/accounting/reports.ts';
import { DomainError } from '../../src/core/errors.ts';
import { BTC, HistoryBuilder, usdPrices } from '../fixtures/accounting/history.ts';

const price = usdPrices({ '2024-01-01': 40_000, '2024-01-02': 50_000, '2024-01-03': 60_000, '2024-01-04': 30_000 });
const day = (n: number) => ({ height: 100 + n, date: `2024-01-0${n}` });

const h = new HistoryBuilder();
const l1 = h.receive(day(1), 'purchase', [{ vaultId: 'a', sats: BTC }]);
const l2 = h.receive(day(2), 'donation', [{ vaultId: 'a', sats: BTC / 2n }]);
const p1 = h.tx(day(3), 'payment', [{ txid: l1, vout: 0 }], [{ vaultId: null, sats: 50_000_000n }, { vaultId: 'a', sats: 49_990_000n }], 10_000n);
h.tx(day(4), 'payment', [{ txid: l2, vout: 0 }], [{ vaultId: null, sats: 30_000_000n }, { vaultId: 'a', sats: 19_990_000n }], 10_000n);
const records: PurchaseRecord[] = [{ id: 'R1', date: '2024-01-01', sats: BTC, paid: { currency: 'USD', minor: 3_900_000n }, counterparty: 'Broker', sourceUrl: null, vaultId: 'a' }];

function basis(methodOn?: (vaultId: string, date: string) => CostBasisMethod | undefined, start: CostBasisMethod = 'fifo'): CostBasis {
  const txs = h.txs();
  return computeCostBasis({ history: txs, methods: { a: start }, price, purchases: { records, matches: matchPurchases(records, receiptOutputs(txs)).matches }, ...(methodOn ? { methodOn } : {}) });
}
const onDay = (d: string) => (x: { date: string }) => x.date === d;

test('FIFO until 3 Jan, average from 4 Jan: the 3 Jan spend is FIFO\'s, the 4 Jan spend takes the average of what was left', () => {
  const fifo = basis();
  const switched = basis((_v, d) => (d >= '2024-01-04' ? 'average' : 'fifo'));
  // 3 Jan under FIFO: 0.5001 BTC of L1 = $39,000 × 0.5001 = $19,503.90: payment $19,500.00, fee $3.90.
  assert.deepEqual(switched.disposals.filter(onDay('2024-01-03')).map((d) => [d.kind, d.cost.minor]), [['payment', 1_950_000n], ['fee', 390n]]);
  assert.deepEqual(switched.disposals.filter(onDay('2024-01-03')), fifo.disposals.filter(onDay('2024-01-03')));
  // Left after 3 Jan: 0.4999 BTC of L1 ($19,496.10) and L2 (0.5 BTC, $25,000): 0.9999 BTC for $44,496.10.
  // 4 Jan, average: 0.3001 BTC at the pool's average = prorate($44,496.10, 0.3001, 0.9999).
  const taken = switched.disposals.filter(onDay('2024-01-04')).reduce((a, d) => a + d.cost.minor, 0n);
  assert.equal(taken, prorate(4_449_610n, 30_010_000n, 99_990_000n));
  assert.equal(taken, 1_335_462n, '$13,354.62, as docs/accounting.md says');
  // FIFO would have taken 0.3001 of L1's remaining 0.4999 instead.
  const fifoTaken = fifo.disposals.filter(onDay('2024-01-04')).reduce((a, d) => a + d.cost.minor, 0n);
  assert.equal(fifoTaken, prorate(1_949_610n, 30_010_000n, 49_990_000n));
  assert.equal(fifoTaken, 1_170_390n);
  assert.notEqual(taken, fifoTaken);
  assert.equal(switched.vaults[0]?.method, 'average');
  assert.equal(switched.vaults[0]?.cost.minor, 4_449_610n - taken, 'no cent created or lost at the switch');
});

test('a switch to specific identification after a FIFO spend is refused in one line: FIFO change is not a lot of its own', () => {
  assert.throws(() => basis((_v, d) => (d >= '2024-01-04' ? 'specific' : 'fifo')), (e: unknown) =>
    e instanceof DomainError && e.code === 'INVALID_ARGUMENT' && /cannot switch from fifo to specific identification on 2024-01-04/.test(e.message));
});

test('a switch to specific identification before the first spend gives the books of specific identification from the start', () => {
  const switched = basis((_v, d) => (d >= '2024-01-03' ? 'specific' : 'fifo'));
  const specific = basis(undefined, 'specific');
  assert.deepEqual(switched.disposals, specific.disposals);
  assert.deepEqual(switched.open, specific.open);
  assert.ok(switched.disposals.some((d) => d.txid === p1 && d.lotId === `${l1}:0`));
});

test('the method of a day is the one recorded last among those effective by then; a method recorded without a day replaces the whole history', () => {
  const c = (seq: number, method: CostBasisMethod, effectiveFrom: string) => ({ seq, vaultId: 'a', method, effectiveFrom, setBy: 'rosa', setAtMs: seq });
  const on = methodSchedule([c(1, 'average', '0001-01-01'), c(2, 'fifo', '2025-01-01')]);
  assert.deepEqual([on('a', '2024-12-31'), on('a', '2025-01-01'), on('b', '2025-01-01')], ['average', 'fifo', undefined]);
  const later = methodSchedule([c(1, 'average', '0001-01-01'), c(2, 'fifo', '2025-01-01'), c(3, 'specific', '0001-01-01')]);
  assert.deepEqual([later('a', '2024-12-31'), later('a', '2026-01-01')], ['specific', 'specific']);
  const dated = methodSchedule([c(1, 'fifo', '2025-06-01')]);
  assert.equal(dated('a', '2025-05-31'), undefined, 'before the first dated change: none recorded (FIFO by default)');
});
