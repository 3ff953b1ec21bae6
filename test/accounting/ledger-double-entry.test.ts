// The ledger is double-entry in sats: receipts credit acquisitions by source class, spends debit
// payments-out and fees, internal transfers only move sats between asset accounts; every entry is
// linked to its txid and balances, and the checker catches one that does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBalanced, buildLedger, ledgerBalances, sourceOfCategory } from '../../src/core/accounting/ledger.ts';
import type { LedgerEntry } from '../../src/core/accounting/types.ts';
import { BTC, HistoryBuilder } from '../fixtures/accounting/history.ts';

const balancesOf = (entries: readonly LedgerEntry[]): Record<string, bigint> => Object.fromEntries(ledgerBalances(entries).map((b) => [b.key, b.sats]));

test('receipts credit the acquisitions account of their source class; "receipt" and unlabelled go to other', () => {
  const h = new HistoryBuilder();
  h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: 2n * BTC }]);
  h.receive({ height: 2, date: '2024-01-02' }, 'mining', [{ vaultId: 'a', sats: 3n * BTC }, { vaultId: 'b', sats: BTC }]);
  h.receive({ height: 3, date: '2024-01-03' }, 'seizure', [{ vaultId: 'b', sats: 5n }]);
  h.receive({ height: 4, date: '2024-01-04' }, 'settlement', [{ vaultId: 'b', sats: 7n }]);
  h.receive({ height: 5, date: '2024-01-05' }, 'donation', [{ vaultId: 'b', sats: 11n }]);
  h.receive({ height: 6, date: '2024-01-06' }, 'receipt', [{ vaultId: 'b', sats: 13n }]);
  h.receive({ height: 7, date: '2024-01-07' }, null, [{ vaultId: 'b', sats: 17n }]);
  const entries = buildLedger(h.txs());
  assertBalanced(entries);
  assert.equal(entries.length, 7);
  assert.deepEqual(balancesOf(entries), {
    'acquisitions:donation': -11n, 'acquisitions:mining': -4n * BTC, 'acquisitions:other': -30n, 'acquisitions:purchase': -2n * BTC,
    'acquisitions:seizure': -5n, 'acquisitions:settlement': -7n, 'asset:a': 5n * BTC, 'asset:b': BTC + 53n,
  });
  assert.equal(sourceOfCategory('internal consolidation'), 'other');
  for (const e of entries) assert.equal(e.id, e.txid);
});

test('a payment debits payments-out, a known fee is expensed to fees, the change stays in the asset account', () => {
  const h = new HistoryBuilder();
  const r = h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: BTC }]);
  const pay = h.tx({ height: 2, date: '2024-01-02' }, 'payment', [{ txid: r, vout: 0 }], [{ vaultId: null, sats: 60_000_000n }, { vaultId: 'a', sats: 39_990_000n }], 10_000n);
  const entries = buildLedger(h.txs());
  const spend = entries.find((e) => e.txid === pay);
  assert.ok(spend);
  assert.deepEqual(spend.lines.map((l) => [l.account.kind, l.sats]), [['asset', -60_010_000n], ['fees', 10_000n], ['payments-out', 60_000_000n]]);
  assert.deepEqual(balancesOf(entries), { 'acquisitions:purchase': -BTC, 'asset:a': 39_990_000n, fees: 10_000n, 'payments-out': 60_000_000n });
});

test('an internal transfer between vaults moves sats between asset accounts and creates or destroys nothing; only the fee is expensed', () => {
  const h = new HistoryBuilder();
  const r = h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'cold', sats: 5n * BTC }]);
  h.tx({ height: 2, date: '2024-01-02' }, 'internal consolidation', [{ txid: r, vout: 0 }], [{ vaultId: 'hot', sats: BTC }, { vaultId: 'cold', sats: 4n * BTC - 2_000n }], 2_000n);
  const entries = buildLedger(h.txs());
  assertBalanced(entries);
  const b = balancesOf(entries);
  assert.deepEqual(b, { 'acquisitions:purchase': -5n * BTC, 'asset:cold': 4n * BTC - 2_000n, 'asset:hot': BTC, fees: 2_000n });
  assert.equal(ledgerBalances(entries).find((x) => x.key === 'payments-out'), undefined);
});

test('a transaction with an outsider\'s input (fee unknown): what left the alliance is a payment including the fee; what it gained is an acquisition', () => {
  const h = new HistoryBuilder();
  const r = h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: BTC }]);
  // 1 BTC in from the alliance, 0.7 back to it: 0.3 out, fee unknown.
  h.tx({ height: 2, date: '2024-01-02' }, 'payment', [{ txid: r, vout: 0 }], [{ vaultId: null, sats: 29_000_000n }, { vaultId: 'a', sats: 70_000_000n }], null);
  const r2 = h.receive({ height: 3, date: '2024-01-03' }, 'settlement', [{ vaultId: 'b', sats: BTC }]);
  // 1 BTC in from the alliance, 1.5 back (an outsider put in more): +0.5 acquired.
  h.tx({ height: 4, date: '2024-01-04' }, 'settlement', [{ txid: r2, vout: 0 }], [{ vaultId: 'b', sats: 150_000_000n }], null);
  const entries = buildLedger(h.txs());
  assertBalanced(entries);
  assert.deepEqual(balancesOf(entries), {
    'acquisitions:purchase': -BTC, 'acquisitions:settlement': -150_000_000n, 'asset:a': 70_000_000n, 'asset:b': 150_000_000n, 'payments-out': 30_000_000n,
  });
});

test('every entry is linked to its txid and block, in chain order (height, then position in the block)', () => {
  const h = new HistoryBuilder();
  h.receive({ height: 9, date: '2024-01-09', txIndex: 2 }, 'purchase', [{ vaultId: 'a', sats: 1n }]);
  h.receive({ height: 9, date: '2024-01-09', txIndex: 1 }, 'purchase', [{ vaultId: 'a', sats: 2n }]);
  h.receive({ height: 3, date: '2024-01-03' }, 'purchase', [{ vaultId: 'a', sats: 3n }]);
  const entries = buildLedger(h.txs());
  assert.deepEqual(entries.map((e) => [e.height, e.lines[0]?.sats]), [[3, 3n], [9, 2n], [9, 1n]]);
  for (const e of entries) assert.equal(e.reverses, null);
});

test('assertBalanced refuses an entry whose lines do not sum to zero, a duplicate id, and a reversal that does not negate its entry', () => {
  const h = new HistoryBuilder();
  h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: BTC }]);
  const [e] = buildLedger(h.txs()) as [LedgerEntry];
  assert.throws(() => assertBalanced([{ ...e, lines: [...e.lines, { account: { kind: 'fees' }, sats: 1n }] }]), /does not balance/);
  assert.throws(() => assertBalanced([e, e]), /appears twice/);
  const reversal: LedgerEntry = { ...e, id: `${e.id}~reversal@2`, reverses: e.id, lines: e.lines.map((l) => ({ ...l, sats: -l.sats })) };
  assertBalanced([e, reversal]);
  assert.throws(() => assertBalanced([e, { ...reversal, lines: e.lines }]), /does not negate/);
  assert.throws(() => assertBalanced([e, reversal, { ...reversal, id: 'x' }]), /reversed twice/);
  assert.throws(() => assertBalanced([reversal, e]), /not an earlier entry/);
});

test('records of one transaction that disagree on its block or fee are a programmer fault', () => {
  const h = new HistoryBuilder();
  const r = h.receive({ height: 1, date: '2024-01-01' }, 'purchase', [{ vaultId: 'a', sats: BTC }, { vaultId: 'b', sats: BTC }]);
  h.tx({ height: 2, date: '2024-01-02' }, null, [{ txid: r, vout: 0 }, { txid: r, vout: 1 }], [{ vaultId: null, sats: BTC }], null);
  const txs = h.txs();
  assert.throws(() => buildLedger(txs.map((t, i) => (i === 1 ? { ...t, height: 5 } : t))), RangeError);
  assert.throws(() => buildLedger(txs.map((t, i) => (i === 2 ? { ...t, fee: 5n } : i === 3 ? { ...t, fee: 6n } : t))), /disagree on its fee/);
});
