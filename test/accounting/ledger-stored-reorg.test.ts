// The stored ledger on SQLite and PostgreSQL (issue #13, item 1: "reorgs reverse entries, never
// edit them"): a refresh appends the postings of the synced history; after a reorg (the store rolled
// back and other blocks applied, as sync does) it appends a reversal of the entry whose transaction
// is gone and keeps the old entry, so `report movements` shows both; a transaction re-mined at
// another height is reversed and posted again (`#2`). Random histories with reorgs stay balanced
// after storing, and the stored balances equal those of a ledger built from scratch. Method changes
// are stored with their effective day and audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { refreshLedger } from '../../src/app/accounting/ledger-book.ts';
import { accountingHistory } from '../../src/app/accounting/history.ts';
import { computeBooks, movementsStatement } from '../../src/app/accounting/reports.ts';
import { setCostMethod } from '../../src/app/accounting/purchases.ts';
import { assertBalanced, buildLedger, ledgerBalances } from '../../src/core/accounting/ledger.ts';
import { loadRateBook } from '../../src/core/accounting/reference-rate.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { fixture, txidOf } from './books-fixture.ts';

const by = { actor: 'rosa', role: 'admin' };
const keyed = (xs: readonly { key: string; sats: bigint }[]) => Object.fromEntries(xs.filter((x) => x.sats !== 0n).map((x) => [x.key, x.sats]));

/** Seeded PRNG (mulberry32): the same histories on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

forEachEngine('stored ledger', (t) => {
  test('a reorg appends a reversal and keeps the reversed entry; a transaction re-mined elsewhere is posted again; refresh is idempotent', async () => {
    const db = await t.open();
    const f = await fixture(db, ['Reserve']);
    await f.receive('Reserve', 101, '2024-03-01', 150_000_000n, 'buy');
    const gift = await f.receive('Reserve', 102, '2024-06-03', 50_000_000n, 'gift', 'donation');
    const first = await refreshLedger(f.deps, by);
    assert.deepEqual(first.appended.map((e) => [e.seq, e.id, e.reverses]), [[1, txidOf('buy'), null], [2, gift, null]]);
    assert.equal((await refreshLedger(f.deps, by)).appended.length, 0, 'nothing changed: nothing appended');

    // Reorg: block 102 is replaced; the donation is not in the new chain, another receipt is.
    await f.rollback('Reserve', 101);
    const other = await f.receive('Reserve', 102, '2024-06-03', 20_000_000n, 'other');
    const second = await refreshLedger(f.deps, by);
    assert.deepEqual(second.appended.map((e) => [e.id, e.reverses]), [[`${gift}~reversal@102`, gift], [other, null]]);
    assert.equal(second.reversals, 1);
    const stored = await f.deps.accounting.ledgerEntries();
    assert.deepEqual(stored.map((e) => e.id), [txidOf('buy'), gift, `${gift}~reversal@102`, other], 'the reversed entry is still there');
    assert.deepEqual(stored[2]?.lines.map((l) => l.sats), stored[1]?.lines.map((l) => -l.sats));
    assertBalanced(stored);
    const history = await accountingHistory(f.vaults, await f.vaults.listVaults());
    assert.deepEqual(keyed(ledgerBalances(stored)), keyed(ledgerBalances(buildLedger(history))));

    // The donation comes back in block 103: posted again as its second posting.
    await f.receive('Reserve', 103, '2024-06-04', 50_000_000n, 'gift', 'donation');
    const third = await refreshLedger(f.deps, by);
    assert.deepEqual(third.appended.map((e) => e.id), [`${gift}#2`]);

    // The auditor's view: report movements over the stored ledger shows the entry, its reversal and the re-posting.
    const book = await loadRateBook(shippedReferenceRates(), ['USD']);
    const books = await computeBooks({ ...f.deps, book }, { at: '2099-12-31' });
    const m = movementsStatement(books, { ledger: await f.deps.accounting.ledgerEntries() });
    assert.deepEqual(m.movements.map((x) => [x.id === gift ? 'gift' : x.id === `${gift}~reversal@102` ? 'reversal' : x.id === `${gift}#2` ? 'gift#2' : 'other', x.kind, x.assetChange]).filter((x) => x[0] !== 'other'), [
      ['gift', 'receipt', 50_000_000n], ['reversal', 'reversal', -50_000_000n], ['gift#2', 'receipt', 50_000_000n],
    ]);
    assert.deepEqual(m.closing, [{ vault: 'reserve', account: 'asset:reserve', sats: 220_000_000n }]);
    assert.ok(m.movements.every((x) => x.recordedAtMs !== null));
    // audited
    const audit = await db.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'accounting.ledger').execute();
    assert.equal(audit.length, 3);
  });

  test('random histories with reorgs stay balanced after storing, and match a ledger built from scratch', async () => {
    const db = await t.open();
    const f = await fixture(db, ['A', 'B']);
    const rand = rng(13);
    let height = 100;
    let n = 0;
    const utxos: Record<string, { txid: string; vout: number; sats: bigint; height: number }[]> = { A: [], B: [] };
    const day = (h: number) => new Date(Date.UTC(2024, 0, 1) + (h - 100) * 86_400_000).toISOString().slice(0, 10);
    for (let step = 0; step < 24; step++) {
      const vault = rand() < 0.5 ? 'A' : 'B';
      const r = rand();
      if (r < 0.15 && height > 103) {
        // reorg: both vaults roll back one to three blocks
        const to = height - 1 - Math.floor(rand() * 3);
        await f.rollback('A', to);
        await f.rollback('B', to);
        for (const v of ['A', 'B']) utxos[v] = (utxos[v] ?? []).filter((u) => u.height <= to);
        height = to;
      } else if (r < 0.55 || (utxos[vault] ?? []).length === 0) {
        height++;
        const sats = BigInt(1_000_000 + Math.floor(rand() * 100_000_000));
        const txid = await f.receive(vault, height, day(height), sats, `r${n++}`, rand() < 0.5 ? 'purchase' : 'mining');
        utxos[vault]?.push({ txid, vout: 0, sats, height });
      } else {
        height++;
        const coin = (utxos[vault] as { txid: string; vout: number; sats: bigint; height: number }[]).shift() as { txid: string; vout: number; sats: bigint; height: number };
        const paid = coin.sats / 3n;
        const txid = await f.pay(vault, height, day(height), [coin], paid, 1_000n, `p${n++}`);
        utxos[vault]?.push({ txid, vout: 1, sats: coin.sats - paid - 1_000n, height });
      }
      await refreshLedger(f.deps, by);
      const stored = await f.deps.accounting.ledgerEntries();
      assertBalanced(stored);
      const history = await accountingHistory(f.vaults, await f.vaults.listVaults());
      assert.deepEqual(keyed(ledgerBalances(stored)), keyed(ledgerBalances(buildLedger(history))), `step ${step}`);
      for (const v of await f.vaults.listVaults()) {
        const held = (await f.vaults.unspentTxos(v.id)).reduce((a, o) => a + o.value, 0n);
        assert.equal(ledgerBalances(stored).find((x) => x.key === `asset:${v.id}`)?.sats ?? 0n, held, `step ${step}: asset:${v.id}`);
      }
    }
    const stored = await f.deps.accounting.ledgerEntries();
    assert.ok(stored.some((e) => e.reverses !== null), 'the random walk reorganised something');
  });

  test('a method change is stored with its effective day and audited; the history lists every change', async () => {
    const db = await t.open();
    const f = await fixture(db, ['Reserve']);
    await setCostMethod(f.deps, by, 'Reserve', 'average');
    const r = await setCostMethod(f.deps, by, 'Reserve', 'fifo', '2025-01-01');
    assert.deepEqual([r.method, r.previous, r.effectiveFrom], ['fifo', 'average', '2025-01-01']);
    const changes = await f.deps.accounting.costMethodChanges();
    assert.deepEqual(changes.map((c) => [c.seq, c.method, c.effectiveFrom, c.setBy]), [[1, 'average', '0001-01-01', 'rosa'], [2, 'fifo', '2025-01-01', 'rosa']]);
    const audit = await db.db.selectFrom('audit_log').select(['details']).where('action', '=', 'accounting.method').orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => (JSON.parse(a.details) as { effectiveFrom: string }).effectiveFrom), ['start', '2025-01-01']);
    const book = await loadRateBook(shippedReferenceRates(), ['USD']);
    const before = await computeBooks({ ...f.deps, book }, { at: '2024-12-31' });
    const after = await computeBooks({ ...f.deps, book }, { at: '2025-12-31' });
    assert.deepEqual([before.vaults[0]?.method, after.vaults[0]?.method], ['average', 'fifo']);
    assert.ok(after.notices.some((n) => n === 'vault reserve changed its cost-basis method: average from the start, fifo from 2025-01-01'), after.notices.join('\n'));
    await assert.rejects(setCostMethod(f.deps, by, 'Reserve', 'fifo', '2025-13-01'), /--from must be a day/);
  });
});
