// The input weights in tx-size.ts are the real weights of signed transactions: proved against
// bitcoinjs-lib's Transaction.weight() on transactions built with worst-case signature sizes, and
// against @bitcoinerlab/descriptors' own input weight estimates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction, payments, script, opcodes } from 'bitcoinjs-lib';
import * as secp from '@bitcoinerlab/secp256k1';
import { DescriptorsFactory } from '@bitcoinerlab/descriptors';
import { INPUT_WEIGHT, SCRIPT_LENGTH, feeForWeight, txWeight, vsizeFromWeight, type InputType } from '../../src/core/coinselect/tx-size.ts';

const keys = [1, 2, 3].map((i) => {
  const k = new Uint8Array(32);
  k[31] = i;
  const p = secp.pointFromScalar(k, true);
  if (!p) throw new TypeError('no point');
  return Uint8Array.from(p);
});
const ecdsaSig = new Uint8Array(72).fill(0x30); // 71-byte low-S DER + sighash byte
const schnorrSig = new Uint8Array(64).fill(0x01);
const ms = payments.p2ms({ m: 2, pubkeys: keys });
const witnessScript = ms.output as Uint8Array;
const multiA = script.compile([
  keys[0]!.subarray(1), opcodes.OP_CHECKSIG,
  keys[1]!.subarray(1), opcodes.OP_CHECKSIGADD,
  keys[2]!.subarray(1), opcodes.OP_CHECKSIGADD,
  opcodes.OP_2, opcodes.OP_NUMEQUAL,
]);

function spend(type: InputType): { scriptSig: Uint8Array; witness: Uint8Array[] } {
  const empty = new Uint8Array(0);
  switch (type) {
    case 'wsh-2of3':
      return { scriptSig: empty, witness: [empty, ecdsaSig, ecdsaSig, witnessScript] };
    case 'sh-wsh-2of3': {
      const wsh = payments.p2wsh({ redeem: { output: witnessScript } });
      return { scriptSig: script.compile([wsh.output as Uint8Array]), witness: [empty, ecdsaSig, ecdsaSig, witnessScript] };
    }
    case 'sh-2of3':
      return { scriptSig: script.compile([opcodes.OP_0, ecdsaSig, ecdsaSig, witnessScript]), witness: [] };
    case 'tr':
      return { scriptSig: empty, witness: [schnorrSig] };
    case 'tr-multi_a-2of3':
      return { scriptSig: empty, witness: [schnorrSig, schnorrSig, empty, multiA, new Uint8Array(33).fill(0xc0)] };
    case 'p2wpkh':
      return { scriptSig: empty, witness: [ecdsaSig, keys[0]!] };
  }
}

function buildTx(types: readonly InputType[], outputScriptLengths: readonly number[]): Transaction {
  const tx = new Transaction();
  types.forEach((t, i) => {
    const s = spend(t);
    tx.addInput(new Uint8Array(32).fill(i + 1), i, 0xfffffffd, s.scriptSig);
    tx.setWitness(i, s.witness);
  });
  for (const len of outputScriptLengths) tx.addOutput(new Uint8Array(len).fill(0x51), 1000n);
  return tx;
}

test('multisig and taproot scripts have the sizes the table assumes', () => {
  assert.equal(witnessScript.length, 105);
  assert.equal(multiA.length, 104);
});

test('each input weight matches bitcoinjs-lib on a signed-size transaction', () => {
  const types = Object.keys(INPUT_WEIGHT) as InputType[];
  for (const t of types) {
    // Paired with a P2WPKH input so that every transaction is segwit (as in a real vault spend
    // mixing types); the difference isolates the input under test.
    const withIt = buildTx(['p2wpkh', t], [SCRIPT_LENGTH.p2wsh]).weight();
    const without = buildTx(['p2wpkh'], [SCRIPT_LENGTH.p2wsh]).weight();
    assert.equal(withIt - without, INPUT_WEIGHT[t], t);
    assert.equal(txWeight([INPUT_WEIGHT.p2wpkh, INPUT_WEIGHT[t]], [SCRIPT_LENGTH.p2wsh]), withIt, `${t} whole tx`);
  }
});

test('txWeight is exact for single- and many-input transactions, segwit or legacy only', () => {
  const cases: [InputType[], number[]][] = [
    [['wsh-2of3'], [SCRIPT_LENGTH.p2wpkh, SCRIPT_LENGTH.p2wsh]],
    [['sh-2of3'], [SCRIPT_LENGTH.p2pkh]], // no witness at all: no marker, no empty stacks
    [['sh-2of3', 'sh-2of3'], [SCRIPT_LENGTH.p2sh, SCRIPT_LENGTH.p2wsh]],
    [['sh-2of3', 'wsh-2of3'], [SCRIPT_LENGTH.p2tr]],
    [Array.from({ length: 260 }, () => 'wsh-2of3' as const), [SCRIPT_LENGTH.p2wsh]], // 3-byte input count
  ];
  for (const [types, outs] of cases) {
    assert.equal(txWeight(types.map((t) => INPUT_WEIGHT[t]), outs), buildTx(types, outs).weight(), `${types.length}×${types[0]}`);
  }
});

test('the weights agree with @bitcoinerlab/descriptors estimates for the same descriptors', () => {
  const { Output } = DescriptorsFactory(secp);
  const hex = keys.map((k) => Buffer.from(k).toString('hex'));
  const expected: [string, InputType][] = [
    [`wsh(multi(2,${hex.join(',')}))`, 'wsh-2of3'],
    [`sh(wsh(multi(2,${hex.join(',')})))`, 'sh-wsh-2of3'],
    [`wpkh(${hex[0]})`, 'p2wpkh'],
    [`tr(${hex[0]})`, 'tr'],
  ];
  for (const [descriptor, type] of expected) {
    const w = new Output({ descriptor }).inputWeight(true, 'DANGEROUSLY_USE_FAKE_SIGNATURES');
    assert.equal(w, INPUT_WEIGHT[type], descriptor);
  }
});

test('a P2WSH 2-of-3 input is 104.5 vB: only the whole transaction is rounded up', () => {
  assert.equal(INPUT_WEIGHT['wsh-2of3'] / 4, 104.5);
  const w = txWeight([INPUT_WEIGHT['wsh-2of3'], INPUT_WEIGHT['wsh-2of3']], [SCRIPT_LENGTH.p2wsh]);
  assert.equal(w, 42 + 836 + 172);
  assert.equal(vsizeFromWeight(w), 263); // 262.5 → 263, not 2 × 105 + …
  assert.equal(feeForWeight(w, 1_500n), 395n); // 263 × 1.5 = 394.5 → 395 sats
});
