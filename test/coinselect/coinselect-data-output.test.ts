// A data output (the zero-value OP_RETURN audit anchor) pays nobody but weighs: coin selection
// counts its bytes in the fee, in branch and bound's changeless target and in the change, so the
// fee rate reached is still the one asked for — proved on a real bitcoinjs-lib transaction of the
// selected shape, with the real anchor script and worst-case signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction, payments } from 'bitcoinjs-lib';
import * as secp from '@bitcoinerlab/secp256k1';
import { selectCoins, type PaymentOutput, type SelectCoinsRequest } from '../../src/core/coinselect/select-coins.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH, feeForWeight, outputWeight, txWeight } from '../../src/core/coinselect/tx-size.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { ANCHOR_SCRIPT_LENGTH, auditAnchorScript } from '../../src/core/audit/anchor.ts';

const W = INPUT_WEIGHT['wsh-2of3'];
const ANCHOR = auditAnchorScript({ seq: 221, hash: 'ab'.repeat(32) });
const DATA: PaymentOutput = { value: 0n, scriptLength: ANCHOR.length, kind: 'data' };
const PAY = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

const keys = [1, 2, 3].map((i) => {
  const k = new Uint8Array(32);
  k[31] = i;
  return Uint8Array.from(secp.pointFromScalar(k, true) as Uint8Array);
});
const witnessScript = payments.p2ms({ m: 2, pubkeys: keys }).output as Uint8Array;
const sig = new Uint8Array(72).fill(0x30);

/** The signed transaction the selection describes: P2WSH 2-of-3 inputs, a P2WPKH payment, P2WSH change, the anchor. */
function realTx(inputs: number, payment: bigint, change: bigint, anchor: boolean): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  for (let i = 0; i < inputs; i++) {
    tx.addInput(new Uint8Array(32).fill(i + 1), i, 0xfffffffd);
    tx.setWitness(i, [new Uint8Array(0), sig, sig, witnessScript]);
  }
  tx.addOutput(payments.p2wpkh({ hash: new Uint8Array(20).fill(7) }).output as Uint8Array, payment);
  if (change > 0n) tx.addOutput(payments.p2wsh({ hash: new Uint8Array(32).fill(9) }).output as Uint8Array, change);
  if (anchor) tx.addOutput(ANCHOR, 0n);
  return tx;
}

function request(utxos: readonly bigint[], amount: bigint, rate: bigint, anchor: boolean): SelectCoinsRequest {
  return {
    utxos: utxos.map((value, i) => ({ txid: i.toString(16).padStart(64, '0'), vout: 0, value, inputWeight: W })),
    outputs: [{ value: amount, scriptLength: SCRIPT_LENGTH.p2wpkh }, ...(anchor ? [DATA] : [])],
    feeRateSatPerKvb: rate,
    longTermFeeRateSatPerKvb: 0n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: W,
    dustLimit: 330n,
  };
}

test('the anchor script is the 42 bytes coin selection is told about', () => {
  assert.equal(ANCHOR.length, ANCHOR_SCRIPT_LENGTH);
  assert.equal(ANCHOR_SCRIPT_LENGTH, 42);
  assert.equal(outputWeight(ANCHOR_SCRIPT_LENGTH), (8 + 1 + 42) * 4);
  assert.ok(PAY.startsWith('bcrt1q'));
});

test('a data output is counted in the weight and fee, never in the amount paid (seeded pools, with and without change)', () => {
  const random = seededRandom(1901);
  let withChange = 0;
  let changeless = 0;
  for (let round = 0; round < 150; round++) {
    const rate = BigInt(1_000 + Math.floor(random() * 60_000));
    const utxos = Array.from({ length: 1 + Math.floor(random() * 6) }, () => BigInt(50_000 + Math.floor(random() * 3_000_000)));
    const total = utxos.reduce((s, v) => s + v, 0n);
    const amount = BigInt(10_000 + Math.floor(random() * Number(total / 2n)));
    const s = selectCoins(request(utxos, amount, rate, true));
    const weights = s.inputs.map(() => W);
    const lens = [SCRIPT_LENGTH.p2wpkh, ...(s.changeValue > 0n ? [SCRIPT_LENGTH.p2wsh] : []), ANCHOR.length];
    assert.equal(s.weight, txWeight(weights, lens), `round ${round}: weight includes the anchor output`);
    const tx = realTx(s.inputs.length, amount, s.changeValue, true);
    assert.equal(tx.weight(), s.weight, `round ${round}: the real transaction weighs what selection computed`);
    assert.equal(tx.virtualSize(), s.vsize);
    const inSum = s.inputs.reduce((x, u) => x + u.value, 0n);
    assert.equal(inSum - amount - s.changeValue, s.fee, `round ${round}: inputs − payment − change = fee (the anchor carries 0)`);
    assert.ok(s.fee * 1000n >= rate * BigInt(tx.virtualSize()), `round ${round}: fee ${s.fee} below ${rate} sat/kvB × ${tx.virtualSize()} vB`);
    if (s.changeValue > 0n) {
      withChange++;
      // With change the fee is exactly the rate on the real vsize (rounded up to a whole sat).
      assert.equal(s.fee, feeForWeight(tx.weight(), rate), `round ${round}: fee is the requested rate on the real size`);
    } else changeless++;
  }
  assert.ok(withChange > 50, `only ${withChange} selections made change`);
  assert.ok(changeless >= 0);
});

test('the anchor costs exactly its 51 vbytes at the requested rate: same coins, change smaller by that fee', () => {
  const rate = 7_000n;
  const utxos = [2_000_000n];
  const plain = selectCoins(request(utxos, 500_000n, rate, false));
  const anchored = selectCoins(request(utxos, 500_000n, rate, true));
  assert.deepEqual(anchored.inputs, plain.inputs);
  assert.equal(anchored.weight - plain.weight, outputWeight(42));
  assert.equal(anchored.vsize - plain.vsize, 51);
  assert.equal(anchored.fee - plain.fee, 51n * 7n);
  assert.equal(plain.changeValue - anchored.changeValue, 51n * 7n);
});

test('branch and bound counts the anchor: a coin that pays payment + fee with the anchor (to a few sats) is spent changeless', () => {
  const rate = 5_000n;
  const amount = 1_000_000n;
  // The changeless transaction with one input, the payment and the anchor.
  const weight = txWeight([W], [SCRIPT_LENGTH.p2wpkh, ANCHOR.length]);
  // Branch and bound works on per-part fee shares, each rounded up: a few sats above the exact fee.
  const exact = amount + feeForWeight(weight, rate) + 2n;
  const s = selectCoins(request([exact, 9_000_000n], amount, rate, true));
  assert.equal(s.algorithm, 'bnb');
  assert.equal(s.changeValue, 0n);
  assert.equal(s.inputs.length, 1);
  assert.equal(s.inputs[0]?.value, exact);
  const tx = realTx(1, amount, 0n, true);
  assert.equal(s.fee, exact - amount);
  assert.ok(s.fee * 1000n >= rate * BigInt(tx.virtualSize()), 'the changeless fee pays the rate on the real size, anchor included');
  assert.equal(s.fee - feeForWeight(tx.weight(), rate), 2n, 'overpays by the 2 sats of share rounding only');
  // Without the anchor the same coin overpays by the anchor's 51 vB: BnB's target would be lower, and
  // this coin leaves too much over (more than the cost of change) to be its changeless match.
  const without = selectCoins(request([exact, 9_000_000n], amount, rate, false));
  assert.deepEqual(without.inputs.map((u) => u.value), [9_000_000n], 'without the anchor the exact coin is no changeless match');
});

test('a data output must carry 0 sats, fit the relay limit, and cannot be the only output', () => {
  assert.throws(() => selectCoins({ ...request([100_000n], 10_000n, 1_000n, false), outputs: [{ value: 10_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }, { ...DATA, value: 1n }] }), RangeError);
  assert.throws(() => selectCoins({ ...request([100_000n], 10_000n, 1_000n, false), outputs: [{ value: 10_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }, { ...DATA, scriptLength: 84 }] }), RangeError);
  assert.throws(() => selectCoins({ ...request([100_000n], 10_000n, 1_000n, false), outputs: [DATA] }), /at least one payment output/);
  assert.throws(() => selectCoins({ ...request([100_000n], 10_000n, 1_000n, false), outputs: [{ value: 0n, scriptLength: SCRIPT_LENGTH.p2wpkh }, DATA] }), RangeError, 'a zero payment is still refused');
});
