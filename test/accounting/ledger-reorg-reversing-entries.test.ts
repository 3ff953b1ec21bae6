// A reorg never edits the ledger: transactions no longer confirmed get reversing entries appended,
// a transaction confirmed again elsewhere is posted anew, and the balances then equal those of a
// ledger built from scratch on the new history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBalanced, buildLedger, ledgerBalances, reconcileLedger } from '../../src/core/accounting/ledger.ts';
import type { LedgerEntry } from '../../src/core/accounting/types.ts';
import { BTC, HistoryBuilder } from '../fixtures/accounting/history.ts';

const balancesOf = (entries: readonly LedgerEntry[]) => Object.fromEntries(ledgerBalances(entries).filter((b) => b.sats !== 0n).map((b) => [b.key, b.sats]));

function history() {
  const h = new HistoryBuilder();
  const r1 = h.receive({ height: 100, date: '2024-03-01' }, 'purchase', [{ vaultId: 'a', sats: 2n * BTC }]);
  const pay = h.tx({ height: 101, date: '2024-03-02' }, 'payment', [{ txid: r1, vout: 0 }], [{ vaultId: null, sats: BTC }, { vaultId: 'a', sats: BTC - 500n }], 500n);
  const r2 = h.receive({ height: 102, date: '2024-03-03' }, 'donation', [{ vaultId: 'b', sats: 3n * BTC }]);
  return { txs: h.txs(), r1, pay, r2 };
}

test('transactions no longer confirmed get reversing entries; the old entries are left as they were', () => {
  const { txs, pay, r2 } = history();
  const before = buildLedger(txs);
  const frozen = structuredClone(before);
  // Blocks 101 and 102 are replaced by a chain without those two transactions.
  const after = txs.filter((t) => t.height < 101);
  const added = reconcileLedger(before, after, { height: 103, date: '2024-03-04' });
  assert.deepEqual(before, frozen, 'previous entries untouched');
  assert.deepEqual(added.map((e) => [e.id, e.reverses, e.height, e.date]), [
    [`${r2}~reversal@103`, r2, 103, '2024-03-04'],
    [`${pay}~reversal@103`, pay, 103, '2024-03-04'],
  ]);
  const ledger = [...before, ...added];
  assertBalanced(ledger);
  assert.deepEqual(balancesOf(ledger), balancesOf(buildLedger(after)));
  assert.deepEqual(balancesOf(ledger), { 'acquisitions:purchase': -2n * BTC, 'asset:a': 2n * BTC });
  assert.deepEqual(reconcileLedger(ledger, after, { height: 104, date: '2024-03-05' }), [], 'reconciling again changes nothing');
});

test('a transaction confirmed again at another height is reversed and posted anew under a new id', () => {
  const { txs, pay } = history();
  const before = buildLedger(txs);
  const moved = txs.map((t) => (t.txid === pay ? { ...t, height: 102, txIndex: 0, date: '2024-03-03' } : t));
  const added = reconcileLedger(before, moved, { height: 102, date: '2024-03-03' });
  assert.deepEqual(added.map((e) => e.id), [`${pay}~reversal@102`, `${pay}#2`]);
  const ledger = [...before, ...added];
  assertBalanced(ledger);
  assert.deepEqual(balancesOf(ledger), balancesOf(buildLedger(moved)));
  // Reorged out again and back: a third posting.
  const gone = moved.filter((t) => t.txid !== pay && t.height <= 101);
  const l2 = [...ledger, ...reconcileLedger(ledger, gone, { height: 102, date: '2024-03-03' })];
  const l3 = [...l2, ...reconcileLedger(l2, moved, { height: 103, date: '2024-03-04' })];
  assertBalanced(l3);
  assert.ok(l3.some((e) => e.id === `${pay}#3`));
  assert.deepEqual(balancesOf(l3), balancesOf(buildLedger(moved)));
});

test('relabelling a receipt\'s category reverses its entry and posts it to the new acquisitions account', () => {
  const { txs, r2 } = history();
  const before = buildLedger(txs);
  const relabelled = txs.map((t) => (t.txid === r2 ? { ...t, category: 'seizure' as const } : t));
  const added = reconcileLedger(before, relabelled, { height: 102, date: '2024-03-03' });
  assert.deepEqual(added.map((e) => e.id), [`${r2}~reversal@102`, `${r2}#2`]);
  const b = balancesOf([...before, ...added]);
  assert.equal(b['acquisitions:donation'], undefined);
  assert.equal(b['acquisitions:seizure'], -3n * BTC);
});

test('new blocks only append postings; a reorg without a tip to date the reversals is refused', () => {
  const { txs } = history();
  const first = buildLedger(txs.filter((t) => t.height <= 101));
  assert.deepEqual(reconcileLedger(first, txs, null).map((e) => e.height), [102]);
  assert.throws(() => reconcileLedger(buildLedger(txs), [], null), /observedAt/);
});
