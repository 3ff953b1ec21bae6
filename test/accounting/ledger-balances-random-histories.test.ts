// For hundreds of seeded random histories (receipts of every category, payments, transfers between
// vaults, spends from two vaults, transactions shared with outsiders), the ledger balances: every
// entry sums to zero, each vault's asset account equals its unspent outputs, and after a reorg onto a
// competing chain the reversed-and-reposted ledger has the balances of one built from scratch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBalanced, buildLedger, ledgerBalances, reconcileLedger } from '../../src/core/accounting/ledger.ts';
import type { LedgerEntry } from '../../src/core/accounting/types.ts';
import { dayDate, randomHistory, VAULTS } from '../fixtures/accounting/random-history.ts';

const nonZero = (entries: readonly LedgerEntry[]) => Object.fromEntries(ledgerBalances(entries).filter((b) => b.sats !== 0n).map((b) => [b.key, b.sats]));

test('the ledger of 400 random histories balances and its asset accounts equal the vaults\' unspent outputs', () => {
  let entriesSeen = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const { txs, unspent } = randomHistory(seed, 5 + (seed % 30));
    const entries = buildLedger(txs);
    assertBalanced(entries);
    entriesSeen += entries.length;
    const balances = ledgerBalances(entries);
    assert.equal(balances.reduce((a, b) => a + b.sats, 0n), 0n, `seed ${seed}: the trial balance sums to zero`);
    for (const v of VAULTS) {
      assert.equal(balances.find((b) => b.key === `asset:${v}`)?.sats ?? 0n, unspent.get(v) ?? 0n, `seed ${seed}: asset:${v} equals its unspent outputs`);
    }
    for (const b of balances) {
      if (b.account.kind === 'acquisitions') assert.ok(b.sats <= 0n, `seed ${seed}: acquisitions are credits`);
      if (b.account.kind === 'fees' || b.account.kind === 'payments-out') assert.ok(b.sats >= 0n, `seed ${seed}: ${b.key} is a debit`);
    }
  }
  assert.ok(entriesSeen > 4_000);
});

test('after a reorg onto a competing chain, previous entries + reversals + new postings balance like a ledger built on the new chain (300 seeds)', () => {
  let reversals = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const steps = 8 + (seed % 20);
    const forkAt = 2 + (seed % (steps - 2));
    const old = randomHistory(seed, steps);
    const fresh = randomHistory(seed, steps + (seed % 3), { at: forkAt, seed: seed + 10_000 });
    const before = buildLedger(old.txs);
    const added = reconcileLedger(before, fresh.txs, { height: fresh.tip, date: dayDate(fresh.tip) });
    const ledger = [...before, ...added];
    assertBalanced(ledger);
    reversals += added.filter((e) => e.reverses !== null).length;
    assert.deepEqual(nonZero(ledger), nonZero(buildLedger(fresh.txs)), `seed ${seed}`);
    for (const e of added) if (e.reverses !== null) assert.ok(before.some((b) => b.id === e.reverses), `seed ${seed}: reverses an earlier entry`);
    assert.deepEqual(reconcileLedger(ledger, fresh.txs, { height: fresh.tip, date: dayDate(fresh.tip) }), [], `seed ${seed}: idempotent`);
  }
  assert.ok(reversals > 300, `reorgs reversed entries (${reversals})`);
});
