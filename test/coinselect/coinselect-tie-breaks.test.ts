// Equal waste: fewer inputs first, then the smaller change — the smallest coin that suffices is
// spent and the large coin stays whole (Bitcoin Core's knapsack `lowest_larger` fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LONG_TERM_FEE_RATES, selectCoins, type SelectableUtxo } from '../../src/core/coinselect/select-coins.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH } from '../../src/core/coinselect/tx-size.ts';

const W = INPUT_WEIGHT['wsh-2of3'];
const coin = (i: number, value: bigint): SelectableUtxo => ({ txid: i.toString(16).padStart(64, '0'), vout: 0, value, inputWeight: W });

for (const [name, longTerm] of Object.entries(LONG_TERM_FEE_RATES)) {
  test(`equal waste (${name}): one coin with change either way, the smaller coin is spent`, () => {
    const big = coin(1, 50_000_000n);
    const small = coin(2, 1_300_000n);
    const s = selectCoins({
      utxos: [big, small, coin(3, 40_000n)],
      outputs: [{ value: 1_000_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }],
      feeRateSatPerKvb: 20_000n,
      longTermFeeRateSatPerKvb: longTerm,
      changeScriptLength: SCRIPT_LENGTH.p2wsh,
      changeInputWeight: W,
      dustLimit: 330n,
    });
    assert.deepEqual(s.inputs, [small]);
    // 189 vB at 20 sat/vB; the rest comes back as change.
    assert.equal(s.fee, 3_780n);
    assert.equal(s.changeValue, 1_300_000n - 1_000_000n - 3_780n);
  });
}
