// Purchase records match on-chain receipts by vault, amount (exact first, then within the documented
// tolerance) and date window; one record matches one receipt or several summing to it; what matches
// nothing is reported on both sides; a matched record's fiat becomes the cost of its lots, exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPurchases, type PurchaseReceipt } from '../../src/core/accounting/purchases.ts';
import { computeCostBasis, receiptOutputs } from '../../src/core/accounting/cost-basis.ts';
import type { PurchaseRecord } from '../../src/core/accounting/types.ts';
import { BTC, HistoryBuilder, usdPrices } from '../fixtures/accounting/history.ts';

const rec = (id: string, date: string, sats: bigint, vaultId: string | null = null, paidUsd: number | null = null): PurchaseRecord => ({
  id, date, sats, paid: paidUsd === null ? null : { currency: 'USD', minor: BigInt(paidUsd * 100) }, counterparty: null, sourceUrl: null, vaultId,
});
const rcpt = (id: string, date: string, sats: bigint, vaultId = 'a'): PurchaseReceipt => ({ id, date, sats, vaultId });

test('an exact amount wins over a closer date within tolerance; the earliest exact receipt is taken', () => {
  const m = matchPurchases([rec('r', '2024-05-01', 100n * BTC)], [rcpt('near', '2024-05-01', 100n * BTC - 5_000n), rcpt('x1', '2024-05-03', 100n * BTC), rcpt('x2', '2024-05-02', 100n * BTC)]);
  assert.deepEqual(m.matches.map((x) => [x.recordId, x.receiptIds, x.rule, x.differenceSats]), [['r', ['x2'], 'exact', 0n]]);
  assert.deepEqual(m.unmatchedReceipts.map((x) => x.id), ['near', 'x1']);
});

test('one record matches several receipts summing to it (a purchase delivered in tranches)', () => {
  const m = matchPurchases([rec('r', '2022-01-21', 410n * BTC)], [
    rcpt('t1', '2022-01-21', 200n * BTC), rcpt('t2', '2022-01-22', 150n * BTC), rcpt('t3', '2022-01-23', 60n * BTC), rcpt('other', '2022-01-24', 5n * BTC),
  ]);
  assert.deepEqual(m.matches.map((x) => [x.receiptIds, x.rule, x.receiptSats]), [[['t1', 't2', 't3'], 'exact-several', 410n * BTC]]);
  assert.deepEqual(m.unmatchedReceipts.map((x) => x.id), ['other']);
});

test('within tolerance (max of 0.001 BTC and 0.1 %): an exchange fee taken from the delivery matches; beyond it nothing does', () => {
  // 1,090 BTC: the tolerance is 1.09 BTC; 0.5 BTC short matches, 2 BTC short does not.
  const ok = matchPurchases([rec('r', '2025-11-18', 1_090n * BTC)], [rcpt('d', '2025-11-19', 1_089n * BTC + BTC / 2n)]);
  assert.deepEqual(ok.matches.map((x) => [x.rule, x.differenceSats]), [['tolerance', -BTC / 2n]]);
  const no = matchPurchases([rec('r', '2025-11-18', 1_090n * BTC)], [rcpt('d', '2025-11-19', 1_088n * BTC)]);
  assert.deepEqual([no.matches.length, no.unmatchedRecords.map((r) => r.id), no.unmatchedReceipts.map((r) => r.id)], [0, ['r'], ['d']]);
  // 1 BTC: the floor 0.001 BTC applies (0.1 % would be 0.001 too); 0.0005 short matches, 0.002 short does not.
  assert.equal(matchPurchases([rec('s', '2025-01-01', BTC)], [rcpt('d', '2025-01-01', BTC - 50_000n)]).matches.length, 1);
  assert.equal(matchPurchases([rec('s', '2025-01-01', BTC)], [rcpt('d', '2025-01-01', BTC - 200_000n)]).matches.length, 0);
  // tolerance for several receipts
  const sev = matchPurchases([rec('r', '2025-01-01', 10n * BTC)], [rcpt('a', '2025-01-01', 6n * BTC), rcpt('b', '2025-01-02', 4n * BTC - 900_000n)]); // 10 BTC: tolerance 0.01 BTC
  assert.deepEqual(sev.matches.map((x) => [x.rule, x.differenceSats]), [['tolerance-several', -900_000n]]);
});

test('the date window: from 1 day before to 7 days after the record (options change it)', () => {
  const receipts = [rcpt('early', '2024-04-28', BTC), rcpt('late', '2024-05-09', BTC)];
  const m = matchPurchases([rec('r', '2024-05-01', BTC)], receipts);
  assert.equal(m.matches.length, 0);
  assert.equal(matchPurchases([rec('r', '2024-05-01', BTC)], [rcpt('d-1', '2024-04-30', BTC)]).matches.length, 1);
  assert.equal(matchPurchases([rec('r', '2024-05-01', BTC)], [rcpt('d+7', '2024-05-08', BTC)]).matches.length, 1);
  assert.deepEqual(matchPurchases([rec('r', '2024-05-01', BTC)], receipts, { daysAfter: 8 }).matches.map((x) => x.receiptIds), [['late']]);
  assert.deepEqual(matchPurchases([rec('r', '2024-05-01', BTC)], receipts, { daysBefore: 3 }).matches.map((x) => x.receiptIds), [['early']]);
});

test('a record naming a vault matches only that vault\'s receipts; each receipt serves one record; unmatched reported both ways', () => {
  const m = matchPurchases(
    [rec('for-b', '2024-01-01', BTC, 'b'), rec('any', '2024-01-01', BTC), rec('ghost', '2024-01-01', 3n * BTC)],
    [rcpt('in-a', '2024-01-01', BTC, 'a'), rcpt('in-b', '2024-01-02', BTC, 'b'), rcpt('stray', '2024-01-01', 7n * BTC, 'a')],
  );
  assert.deepEqual(m.matches.map((x) => [x.recordId, x.receiptIds]), [['any', ['in-a']], ['for-b', ['in-b']]]);
  assert.deepEqual(m.unmatchedRecords.map((r) => r.id), ['ghost']);
  assert.deepEqual(m.unmatchedReceipts.map((r) => r.id), ['stray']);
});

test('two identical announcements on one day take two receipts, not one twice; exact matches are not stolen by an earlier tolerant one', () => {
  const m = matchPurchases([rec('first', '2021-09-06', 200n * BTC), rec('second', '2021-09-06', 200n * BTC)], [rcpt('x', '2021-09-06', 200n * BTC), rcpt('y', '2021-09-06', 200n * BTC)]);
  assert.deepEqual(m.matches.map((x) => [x.recordId, x.receiptIds]), [['first', ['x']], ['second', ['y']]]);
  const n = matchPurchases([rec('a', '2024-01-01', BTC), rec('b', '2024-01-02', BTC + 10_000n)], [rcpt('z', '2024-01-02', BTC + 10_000n), rcpt('w', '2024-01-03', BTC)]);
  assert.deepEqual(n.matches.map((x) => [x.recordId, x.receiptIds, x.rule]), [['a', ['w'], 'exact'], ['b', ['z'], 'exact']]);
});

test('a record matched to several receipts spreads its fiat over their lots by sats, to the cent', () => {
  const h = new HistoryBuilder();
  h.receive({ height: 1, date: '2022-05-09' }, 'purchase', [{ vaultId: 'a', sats: BTC }, { vaultId: 'a', sats: BTC }, { vaultId: 'a', sats: BTC }]);
  h.receive({ height: 2, date: '2022-05-10' }, 'purchase', [{ vaultId: 'a', sats: 2n * BTC }]);
  const records = [rec('r', '2022-05-09', 5n * BTC, 'a', 100_000.01)];
  const txs = h.txs();
  const matching = matchPurchases(records, receiptOutputs(txs));
  assert.equal(matching.matches[0]?.rule, 'exact-several');
  const b = computeCostBasis({ history: txs, methods: { a: 'fifo' }, price: usdPrices({}), purchases: { records, matches: matching.matches } });
  // $100,000.01 over 1+1+1+2 BTC: 2,000,000.2 ×3 and 4,000,000.4 → floors 2,000,000 ×3 and 4,000,000, the cent left to the largest remainder.
  assert.deepEqual(b.lots.map((l) => l.cost.minor), [2_000_000n, 2_000_000n, 2_000_000n, 4_000_001n]);
  assert.equal(b.vaults[0]?.cost.minor, 10_000_001n);
  assert.ok(b.lots.every((l) => l.costOrigin.kind === 'purchase-record'));
});
