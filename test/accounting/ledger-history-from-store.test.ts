// The books' input is built from what the vault store keeps (transactions and TXOs per vault):
// confirmed transactions only, dated by their block, with the fee of a spend from two vaults
// computed from the raw transaction when every input is the alliance's, and unknown otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction } from 'bitcoinjs-lib';
import { accountingHistory, blockDate } from '../../src/core/accounting/accounting-history.ts';
import { buildLedger, ledgerBalances } from '../../src/core/accounting/ledger.ts';
import type { Txo, VaultTransaction } from '../../src/core/vault/types.ts';

const script = (n: number) => Uint8Array.from([0x00, 0x14, ...new Array<number>(20).fill(n)]);
const outsider = (n: number) => Uint8Array.from(new Array<number>(32).fill(n));

function rawTx(ins: { hash: Uint8Array; index: number }[], outs: { script: number; value: bigint }[]): Transaction {
  const tx = new Transaction();
  for (const i of ins) tx.addInput(i.hash, i.index);
  for (const o of outs) tx.addOutput(script(o.script), o.value);
  return tx;
}
const prevout = (tx: Transaction, index: number) => ({ hash: Uint8Array.from(tx.getHash()), index });

const vt = (tx: Transaction, height: number | null, time: number | null, fee: bigint | null, category: VaultTransaction['category'] = null): VaultTransaction => ({
  txid: tx.getId(), height, blockHash: height === null ? null : 'ab'.repeat(32), blockTime: time, txIndex: 1, received: 0n, spent: 0n, fee, category, rawHex: tx.toHex(),
});
const txo = (tx: Transaction, vout: number, height: number, spent: Transaction | null, spentHeight: number | null): Txo => ({
  txid: tx.getId(), vout, value: BigInt(tx.outs[vout]?.value ?? 0), script: '', branch: 0, index: vout, height, spentTxid: spent?.getId() ?? null, spentHeight, frozen: false,
});

test('store transactions and TXOs become confirmed AccountingTx records; a two-vault spend gets its fee from the raw transaction', () => {
  const t1 = rawTx([{ hash: outsider(1), index: 0 }], [{ script: 1, value: 100_000_000n }, { script: 2, value: 50_000_000n }]);
  const t2 = rawTx([prevout(t1, 0), prevout(t1, 1)], [{ script: 9, value: 120_000_000n }, { script: 1, value: 29_990_000n }]);
  const t3 = rawTx([prevout(t2, 1), { hash: outsider(2), index: 3 }], [{ script: 9, value: 10_000_000n }, { script: 1, value: 25_000_000n }]);
  const t4 = rawTx([prevout(t3, 1)], [{ script: 9, value: 24_000_000n }]); // unconfirmed
  const day1 = Date.UTC(2024, 0, 1, 23, 59) / 1000;
  const day2 = Date.UTC(2024, 0, 2, 0, 1) / 1000;
  const a = {
    vaultId: 'a',
    transactions: [vt(t1, 100, day1, null, 'purchase'), vt(t2, 101, day2, null), vt(t3, 102, day2, null), vt(t4, null, null, null)],
    txos: [txo(t1, 0, 100, t2, 101), txo(t2, 1, 101, t3, 102), txo(t3, 1, 102, t4, null)],
  };
  const b = { vaultId: 'b', transactions: [vt(t1, 100, day1, null, 'purchase'), vt(t2, 101, day2, null)], txos: [txo(t1, 1, 100, t2, 101)] };
  const history = accountingHistory([a, b]);
  assert.deepEqual(history.map((h) => [h.vaultId, h.txid === t1.getId() ? 't1' : h.txid === t2.getId() ? 't2' : 't3', h.date, h.fee, h.outputs.length, h.inputs.length]), [
    ['a', 't1', '2024-01-01', null, 1, 0],
    ['a', 't2', '2024-01-02', 10_000n, 1, 1],
    ['a', 't3', '2024-01-02', null, 1, 1],
    ['b', 't1', '2024-01-01', null, 1, 0],
    ['b', 't2', '2024-01-02', 10_000n, 0, 1],
  ]);
  const balances = Object.fromEntries(ledgerBalances(buildLedger(history)).map((x) => [x.key, x.sats]));
  // t2: 1.5 in, 0.2999 back, fee 0.0001 → 1.2 out. t3 (with an outsider's input, fee unknown): 0.2999 in, 0.25 back → 0.0499 out.
  assert.deepEqual(balances, { 'acquisitions:purchase': -150_000_000n, 'asset:a': 25_000_000n, 'asset:b': 0n, fees: 10_000n, 'payments-out': 124_990_000n });
});

test('blockDate is the UTC day of a block time', () => {
  assert.equal(blockDate(1_630_886_400), '2021-09-06');
  assert.equal(blockDate(1_630_972_799), '2021-09-06');
  assert.throws(() => blockDate(-1), RangeError);
});
