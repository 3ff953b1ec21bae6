// BIP174 (PSBT v0) test vectors: invalid PSBTs are refused with INVALID_PSBT, valid ones parse,
// and the role workflow (creator → updater → signers → combiner → finalizer → extractor)
// reproduces the BIP's expected bytes through Soberana's functions (bitcoinjs-lib underneath).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Psbt, Transaction, networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { isDomainError } from '../../src/core/errors.ts';
import { combinePsbts, decodePsbt, extractTransaction, finalizePsbt } from '../../src/core/bitcoin/psbt.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';

interface Case { description: string; hex: string; base64: string }
interface Step { input?: string; inputs?: string[]; expected: { hex: string; base64: string } }
interface Vectors {
  invalid: Case[];
  valid: Case[];
  signer_check_failures: Case[];
  workflow: {
    master_key: { xprv: string };
    creator: { inputs: { txid: string; vout: number }[]; outputs: { scriptPubKey: string; amount_btc: string }[]; expected: { base64: string } };
    updater: Step & { redeem_scripts: string[]; witness_scripts: string[]; previous_transactions: string[]; bip32_derivations: { pubkey: string; path: string }[] };
    updater_sighash_all: Step;
    signers: (Step & { keys: { wif: string; path: string }[] })[];
    combiner: Step;
    finalizer: Step;
    extractor: { input: string; expected_tx_hex: string };
  };
  unknown_kv_combiner: { inputs: { base64: string }[]; expected: { base64: string } };
}

const V = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip174.json'), 'utf8')) as Vectors;
const ECPair = ECPairFactory(ecc);

test('BIP174: every invalid vector is refused with INVALID_PSBT (base64 and binary)', () => {
  assert.equal(V.invalid.length, 20);
  for (const c of V.invalid) {
    for (const input of [c.base64, Buffer.from(c.hex, 'hex')]) {
      assert.throws(() => decodePsbt(input, 'test'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_PSBT', c.description);
    }
  }
});

test('BIP174: every valid vector parses, from base64, hex and binary, and re-serializes to the same bytes', () => {
  assert.equal(V.valid.length, 10);
  // bitcoinjs-lib parses the two transactions without inputs but cannot re-serialize them byte
  // for byte (a 0-input transaction reads like a segwit marker); their parse is checked instead.
  const NO_INPUTS: Record<string, number> = { 'PSBT with global unsigned tx that has 0 inputs and 0 outputs': 0, 'PSBT with 0 inputs': 2 };
  for (const c of [...V.valid, ...V.signer_check_failures]) {
    for (const input of [c.base64, c.hex, Buffer.from(c.hex, 'hex')]) {
      const { psbt, version } = decodePsbt(input, 'test');
      assert.equal(version, 0, c.description);
      const outs = NO_INPUTS[c.description];
      if (outs !== undefined) {
        assert.equal(psbt.inputCount, 0, c.description);
        assert.equal(psbt.txOutputs.length, outs, c.description);
      } else assert.equal(psbt.toHex(), c.hex, c.description);
    }
  }
});

/** A PSBT re-encoded with its per-input signatures and derivations in key order. */
function canonical(b64: string): string {
  const { psbt } = decodePsbt(b64, 'test');
  const byKey = (a: { pubkey: Uint8Array }, b: { pubkey: Uint8Array }): number => Buffer.compare(Buffer.from(a.pubkey), Buffer.from(b.pubkey));
  for (const inp of psbt.data.inputs) {
    inp.partialSig?.sort(byKey);
    inp.bip32Derivation?.sort(byKey);
  }
  return psbt.toHex();
}

test('BIP174 workflow: creator output', () => {
  const w = V.workflow.creator;
  const psbt = new Psbt({ network: networks.testnet });
  for (const i of w.inputs) psbt.addInput({ hash: i.txid, index: i.vout });
  for (const o of w.outputs) {
    const [whole = '0', frac = ''] = o.amount_btc.split('.');
    psbt.addOutput({ script: Buffer.from(o.scriptPubKey, 'hex'), value: BigInt(whole) * 100_000_000n + BigInt(frac.padEnd(8, '0')) });
  }
  assert.equal(psbt.toBase64(), w.expected.base64);
});

test('BIP174 workflow: the two signers reproduce the expected partial PSBTs', () => {
  const start = V.workflow.updater_sighash_all.expected.base64;
  for (const signer of V.workflow.signers) {
    const { psbt } = decodePsbt(start, 'test');
    for (const k of signer.keys) {
      const pair = ECPair.fromWIF(k.wif, networks.testnet);
      for (let i = 0; i < psbt.inputCount; i++) {
        if (psbt.inputHasPubkey(i, pair.publicKey)) psbt.signInput(i, pair);
      }
    }
    assert.equal(psbt.toBase64(), signer.expected.base64);
  }
});

test('BIP174 workflow: combinePsbts reproduces the combiner output', () => {
  const [a, b] = V.workflow.signers;
  assert.ok(a && b);
  // Bitcoin Core orders partial signatures by key id; bitcoinjs-lib keeps insertion order, so
  // the bytes are compared with the signatures of each input in key order.
  const expected = canonical(V.workflow.combiner.expected.base64);
  assert.equal(canonical(combinePsbts([a.expected.base64, b.expected.base64])), expected);
  assert.equal(canonical(combinePsbts([b.expected.base64, a.expected.base64])), expected);
  assert.notEqual(canonical(a.expected.base64), expected, 'the signers alone are not the combination');
});

test('BIP174 workflow: finalizePsbt reproduces the finalizer output (P2SH multisig and P2SH-P2WSH multisig)', () => {
  assert.equal(finalizePsbt(V.workflow.combiner.expected.base64, { network: 'test' }), V.workflow.finalizer.expected.base64);
});

test('BIP174 workflow: extractTransaction reproduces the extractor output', () => {
  const r = extractTransaction(V.workflow.finalizer.expected.base64);
  assert.equal(r.hex, V.workflow.extractor.expected_tx_hex);
  const tx = Transaction.fromHex(V.workflow.extractor.expected_tx_hex);
  assert.equal(r.txid, tx.getId());
  assert.equal(r.vsize, tx.virtualSize());
  // fee = the spent outputs (from the updater's previous transactions) minus the outputs
  const prevs = V.workflow.updater.previous_transactions.map((h) => Transaction.fromHex(h));
  let spent = 0n;
  for (const i of V.workflow.creator.inputs) {
    const prev = prevs.find((p) => p.getId() === i.txid);
    assert.ok(prev, i.txid);
    spent += prev.outs[i.vout]?.value ?? 0n;
  }
  assert.equal(r.fee, spent - tx.outs.reduce((a, o) => a + o.value, 0n));
  assert.ok(r.fee > 0n);
});

test('BIP174: combining PSBTs with unknown key-value pairs', () => {
  const c = V.unknown_kv_combiner;
  const combined = decodePsbt(combinePsbts(c.inputs.map((x) => x.base64)), 'test').psbt;
  const expected = decodePsbt(c.expected.base64, 'test').psbt;
  // bitcoinjs-lib keeps unknown pairs in insertion order, not lexicographic order: compare as sets
  const keys = (p: Psbt): string[] => [
    ...(p.data.globalMap.unknownKeyVals ?? []).map((kv) => `g:${Buffer.from(kv.key).toString('hex')}=${Buffer.from(kv.value).toString('hex')}`),
    ...p.data.inputs.flatMap((inp, i) => (inp.unknownKeyVals ?? []).map((kv) => `i${i}:${Buffer.from(kv.key).toString('hex')}=${Buffer.from(kv.value).toString('hex')}`)),
    ...p.data.outputs.flatMap((o, i) => (o.unknownKeyVals ?? []).map((kv) => `o${i}:${Buffer.from(kv.key).toString('hex')}=${Buffer.from(kv.value).toString('hex')}`)),
  ].sort();
  assert.deepEqual(keys(combined), keys(expected));
  assert.ok(keys(expected).length > 0);
});

test('BIP371 (taproot PSBT fields): invalid vectors refused with INVALID_PSBT, valid ones parse', () => {
  const T = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip371.json'), 'utf8')) as { invalid: Case[]; valid: Case[] };
  assert.equal(T.invalid.length, 11);
  assert.equal(T.valid.length, 6);
  for (const c of T.invalid) assert.throws(() => decodePsbt(c.base64, 'test'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_PSBT', c.description);
  for (const c of T.valid) assert.equal(decodePsbt(c.base64, 'test').psbt.toHex(), c.hex, c.description);
});

test('BIP174 signer role: the software signer with the master key signs all four keys, matching both signers combined', () => {
  const key = parseExtendedPrivateKey(V.workflow.master_key.xprv, 'BIP174 master key');
  const r = signPsbtWithKey(V.workflow.updater_sighash_all.expected.base64, key);
  assert.equal(r.added, 4);
  assert.equal(canonical(r.psbt), canonical(V.workflow.combiner.expected.base64));
});

test('BIP174 signer checks: the software signer refuses every "fails signer checks" vector', () => {
  const key = parseExtendedPrivateKey(V.workflow.master_key.xprv, 'BIP174 master key');
  assert.equal(V.signer_check_failures.length, 4);
  // three have a script that does not match the spent output (bitcoinjs-lib's check, INVALID_PSBT);
  // the first carries no BIP32 derivation, so this signer finds nothing it may sign.
  const codes = V.signer_check_failures.map((c) => {
    try {
      signPsbtWithKey(c.base64, key);
      return 'signed';
    } catch (e) {
      return isDomainError(e) ? e.code : 'crash';
    }
  });
  assert.deepEqual(codes, ['INVALID_ARGUMENT', 'INVALID_PSBT', 'INVALID_PSBT', 'INVALID_PSBT']);
});

test('malformed PSBT bytes (truncations and byte flips of every valid vector) give INVALID_PSBT or parse, never a crash', () => {
  let seed = 0x5eed;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const outcome = (v: Uint8Array, label: string): 'parsed' | 'refused' => {
    try {
      inspectPsbt(v, { network: 'test' });
      return 'parsed';
    } catch (e) {
      assert.ok(isDomainError(e) && e.code === 'INVALID_PSBT', `${label}: ${e instanceof Error ? e.message : String(e)}`);
      return 'refused';
    }
  };
  let flipsRefused = 0;
  let flips = 0;
  for (const c of [...V.valid, ...V.signer_check_failures, V.workflow.combiner.expected, V.workflow.finalizer.expected]) {
    const bytes = Buffer.from(c.hex, 'hex');
    // every truncation is refused: a PSBT ends with the terminator of its last map
    for (let k = 0; k < 20; k++) assert.equal(outcome(bytes.subarray(0, rand(bytes.length)), 'truncated'), 'refused');
    // a flipped bit may land in a signature or script (still a well-formed PSBT): only no crash is required
    for (let k = 0; k < 40; k++) {
      const b = Buffer.from(bytes);
      const at = 5 + rand(b.length - 5);
      b[at] = (b[at] ?? 0) ^ (1 << rand(8));
      flips++;
      if (outcome(b, 'flipped') === 'refused') flipsRefused++;
    }
  }
  assert.ok(flipsRefused > 0 && flipsRefused < flips, `${flipsRefused} of ${flips} flipped PSBTs refused`);
});
