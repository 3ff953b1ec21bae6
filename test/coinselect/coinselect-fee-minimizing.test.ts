// With a long-term fee rate of 0 ("a coin spent later costs nothing"), the waste of a selection is
// the fee it pays now above the fixed part of the transaction, so the lowest-waste selection is the
// cheapest transaction. Proved against an exhaustive search over every subset and both endings
// (change, or changeless giving the remainder to the miners) on small seeded pools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LONG_TERM_FEE_RATES, selectCoins, type SelectableUtxo } from '../../src/core/coinselect/select-coins.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH, feeForWeight, txWeight } from '../../src/core/coinselect/tx-size.ts';

const W = INPUT_WEIGHT['wsh-2of3'];
const DUST = 330n;

/** The lowest fee of any valid transaction: every subset, with change (≥ minChange) or without. */
function cheapest(utxos: readonly SelectableUtxo[], outputs: readonly { value: bigint; scriptLength: number }[], rate: bigint, minChange: bigint): bigint | null {
  const outSum = outputs.reduce((s, o) => s + o.value, 0n);
  const outLens = outputs.map((o) => o.scriptLength);
  let best: bigint | null = null;
  for (let mask = 1; mask < 1 << utxos.length; mask++) {
    const chosen = utxos.filter((_, i) => mask & (1 << i));
    const value = chosen.reduce((s, u) => s + u.value, 0n);
    const weights = chosen.map((u) => u.inputWeight);
    const changeless = value - outSum;
    if (changeless >= feeForWeight(txWeight(weights, outLens), rate) && (best === null || changeless < best)) best = changeless;
    const feeCh = feeForWeight(txWeight(weights, [...outLens, SCRIPT_LENGTH.p2wsh]), rate);
    if (value - outSum - feeCh >= minChange && (best === null || feeCh < best)) best = feeCh;
  }
  return best;
}

test('long-term rate 0: the chosen transaction pays the lowest fee an exhaustive search finds (300 seeded pools)', () => {
  const random = seededRandom(6);
  let paid = 0;
  let changeless = 0;
  let worse = 0;
  for (let round = 0; round < 300; round++) {
    const n = 3 + Math.floor(random() * 10);
    const utxos: SelectableUtxo[] = Array.from({ length: n }, (_, i) => ({
      txid: round.toString(16).padStart(8, '0') + i.toString(16).padStart(56, '0'),
      vout: 0,
      value: BigInt(random() < 0.3 ? 1_000 + Math.floor(random() * 50_000) : 50_000 + Math.floor(random() * 20_000_000)),
      inputWeight: W,
    }));
    const rate = BigInt(1_000 + Math.floor(random() * 200_000));
    // Half the payments are close to a subset sum, so changeless answers are in play.
    const subset = utxos.filter(() => random() < 0.4);
    const value =
      round % 2 === 0 && subset.length > 0
        ? subset.reduce((s, u) => s + u.value, 0n) - (rate * BigInt(42 + 105 * subset.length)) / 1000n - BigInt(Math.floor(random() * 1_500))
        : BigInt(10_000 + Math.floor(random() * 30_000_000));
    if (value < DUST) continue;
    const outputs = [{ value, scriptLength: SCRIPT_LENGTH.p2wpkh }];
    const expected = cheapest(utxos, outputs, rate, DUST);
    let got;
    try {
      got = selectCoins({
        utxos, outputs, feeRateSatPerKvb: rate, longTermFeeRateSatPerKvb: LONG_TERM_FEE_RATES.minimizeFee,
        changeScriptLength: SCRIPT_LENGTH.p2wsh, changeInputWeight: W, dustLimit: DUST,
      });
    } catch {
      got = null;
    }
    if (expected === null) {
      assert.equal(got, null, `round ${round}: selected although nothing pays`);
      continue;
    }
    assert.ok(got, `round ${round}: refused although a transaction paying ${expected} exists`);
    paid++;
    if (got.changeValue === 0n) changeless++;
    // The strategies price candidates on per-input fee shares, each rounded up: a few sats of slack.
    const slack = BigInt(got.inputs.length + 2);
    if (got.fee > expected) worse++;
    assert.ok(got.fee <= expected + slack, `round ${round}: paid ${got.fee}, the cheapest pays ${expected}`);
  }
  assert.ok(paid > 200 && changeless > 20, `only ${paid} paid, ${changeless} changeless: the test would prove little`);
  console.log(`# ${paid} pools, ${changeless} changeless, ${worse} within the rounding slack above the optimum`);
});

test('below 10 sat/vB, `consolidate` takes a changeless match of four small coins and pays more now; `minimizeFee` spends one coin', () => {
  const utxos: SelectableUtxo[] = [5_000_000n, 400_000n, 300_000n, 200_000n, 100_000n].map((value, i) => ({
    txid: (i + 1).toString(16).padStart(64, '0'),
    vout: 0,
    value,
    inputWeight: W,
  }));
  const request = {
    utxos,
    // The four small coins (1,000,000) pay it without change: 460 vB × 2 = 920 sats, 100 left over.
    outputs: [{ value: 998_980n, scriptLength: SCRIPT_LENGTH.p2wpkh }],
    feeRateSatPerKvb: 2_000n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: W,
    dustLimit: DUST,
  };
  const cheap = selectCoins({ ...request, longTermFeeRateSatPerKvb: LONG_TERM_FEE_RATES.minimizeFee });
  const consolidating = selectCoins({ ...request, longTermFeeRateSatPerKvb: LONG_TERM_FEE_RATES.consolidate });
  assert.deepEqual(cheap.inputs.map((u) => u.value), [5_000_000n]);
  // 10.5 + 31 + 43 + 104.5 = 189 vB at 2 sat/vB.
  assert.equal(cheap.fee, 378n);
  // Consolidating: four inputs now (waste 4 × (209 − 1,045) + 101 excess) beat one input and change.
  assert.deepEqual(consolidating.inputs.map((u) => u.value).sort((a, b) => Number(b - a)), [400_000n, 300_000n, 200_000n, 100_000n]);
  assert.equal(consolidating.changeValue, 0n);
  assert.equal(consolidating.fee, 1_020n);
  assert.equal(consolidating.algorithm, 'bnb');
});
