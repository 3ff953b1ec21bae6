// Finalized inputs are verified, not trusted (issue #19 item 5). The reviewer's attacks: a fake
// finalScriptWitness made an upload report complete:true, and a finalized PSBT with one byte of a
// signature flipped passed import, finalize and the broadcast-time check, because
// verifyPartialSignatures skipped finalized inputs. Now every final script is run through the
// script interpreter against the vault's output, with the sighash of THIS transaction, and a
// PSBT finalized elsewhere (here: bitcoinjs-lib's BIP174 finalizer, which is what Electrum does to
// a complete PSBT — it drops the derivations) is accepted. bcoin's consensus interpreter is the
// independent oracle for segwit v0 and legacy P2SH: it must agree with every verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Psbt, Transaction, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import {
  combinePsbts,
  createPsbt,
  decodePsbt,
  finalizePsbt,
  finalizeVerified,
  serializeWitness,
  vaultOutput,
  verifyPartialSignatures,
  verifyPsbtInputs,
} from '../../src/core/bitcoin/psbt.ts';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';
import { detectSignerFile, mergeSignatures, psbtFromSignedTransaction, signerFileToPsbt, verifySignedTransaction } from '../../src/core/bitcoin/psbt-import.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';

interface BcoinOracle {
  TX: { fromRaw(raw: Buffer): { verifyInput(index: number, coin: unknown, flags: number): boolean } };
  Coin: { fromOptions(o: { value: number; script: unknown }): unknown };
  Script: { fromRaw(raw: Buffer): unknown; flags: { STANDARD_VERIFY_FLAGS: number } };
}
const bcoin = createRequire(import.meta.url)('bcoin') as BcoinOracle;
const BIP32 = BIP32Factory(ecc);
const NET = networks.regtest;
const ACCOUNT = "48'/1'/0'/2'";
const NUMS = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';

function master(label: string): BIP32Interface {
  return BIP32.fromSeed(sha256(new TextEncoder().encode(`soberana test key ${label}`)), NET);
}
const [A, B, C] = ['alice', 'bob', 'carol'].map(master) as [BIP32Interface, BIP32Interface, BIP32Interface];
function keyExpr(m: BIP32Interface): string {
  return `[${Buffer.from(m.fingerprint).toString('hex')}/${ACCOUNT}]${m.derivePath(`m/${ACCOUNT}`).neutered().toBase58()}/<0;1>/*`;
}
const withChecksum = (d: string): string => `${d}#${checksum(d)}`;
const KEYS = `${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}`;
const VAULTS = {
  wsh: withChecksum(`wsh(sortedmulti(2,${KEYS}))`),
  'sh-wsh': withChecksum(`sh(wsh(sortedmulti(2,${KEYS})))`),
  sh: withChecksum(`sh(sortedmulti(2,${KEYS}))`),
  tr: withChecksum(`tr(${NUMS},sortedmulti_a(2,${KEYS}))`),
} as const;
type VaultName = keyof typeof VAULTS;
const PAYEE = payments.p2wpkh({ pubkey: master('payee').publicKey, network: NET }).address ?? '';

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
}
function refusal(fn: () => unknown): { code: ErrorCode | 'none'; message: string } {
  try {
    fn();
    return { code: 'none', message: '' };
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, message: e.message };
    throw e;
  }
}

interface Spend {
  descriptor: string;
  proposal: string;
  prevouts: { script: Uint8Array; value: bigint }[];
}

/** A proposal spending two vault outputs (funding transactions not on any chain). */
function proposal(name: VaultName, payAmount = 200_000n, tag = 1): Spend {
  const descriptor = VAULTS[name];
  const fund = (branch: number, index: number, value: bigint, t: number): Transaction => {
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(new Uint8Array(32).fill(t), 0, 0xffffffff);
    tx.addOutput(vaultOutput(descriptor, 'regtest', branch, index).getScriptPubKey(), value);
    return tx;
  };
  const f0 = fund(0, 0, 150_000n, tag);
  const f1 = fund(1, 2, 80_000n, tag + 100);
  const legacy = name === 'sh';
  const p = createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [
      { txid: f0.getId(), vout: 0, value: 150_000n, change: false, index: 0, ...(legacy ? { nonWitnessUtxo: f0.toBuffer() } : {}) },
      { txid: f1.getId(), vout: 0, value: 80_000n, change: true, index: 2, ...(legacy ? { nonWitnessUtxo: f1.toBuffer() } : {}) },
    ],
    outputs: [{ address: PAYEE, value: payAmount }, { change: true, index: 3, value: 228_000n - payAmount }],
  });
  return { descriptor, proposal: p, prevouts: [f0, f1].map((f) => ({ script: f.outs[0]?.script ?? new Uint8Array(), value: f.outs[0]?.value ?? 0n })) };
}

function signedBy(s: Spend, ...signers: BIP32Interface[]): string {
  return combinePsbts(signers.map((m, n) => signPsbtWithKey(s.proposal, parseExtendedPrivateKey(m.toBase58(), `key ${n}`)).psbt));
}

/** What Electrum does to a complete PSBT: BIP174-finalize it (other fields, derivations included, are dropped). */
function finalizedElsewhere(psbt: string): string {
  const p = Psbt.fromBase64(psbt, { network: NET });
  p.finalizeAllInputs();
  return p.toBase64();
}

/** bcoin's verdict on input i of the PSBT's final transaction. */
function bcoinAccepts(finalPsbt: string, prevouts: Spend['prevouts'], i: number): boolean {
  const p = decodePsbt(finalPsbt, 'regtest').psbt;
  const tx = p.extractTransaction(true);
  const btx = bcoin.TX.fromRaw(Buffer.from(tx.toBuffer()));
  const prev = prevouts[i];
  assert.ok(prev);
  const coin = bcoin.Coin.fromOptions({ value: Number(prev.value), script: bcoin.Script.fromRaw(Buffer.from(prev.script)) });
  try {
    return btx.verifyInput(i, coin, bcoin.Script.flags.STANDARD_VERIFY_FLAGS);
  } catch {
    return false;
  }
}

function mutateFinal(psbt: string, i: number, edit: (stack: Uint8Array[]) => void): string {
  const p = decodePsbt(psbt, 'regtest').psbt;
  const inp = p.data.inputs[i];
  assert.ok(inp?.finalScriptWitness);
  const tx = p.extractTransaction(true);
  const stack = (tx.ins[i]?.witness ?? []).map((w) => Uint8Array.from(w));
  edit(stack);
  inp.finalScriptWitness = serializeWitness(stack);
  return p.toBase64();
}

for (const name of ['wsh', 'sh-wsh', 'sh'] as const) {
  test(`${name}: a PSBT finalized elsewhere (BIP174 finalizer, derivations dropped) verifies, merges, finalizes; bcoin agrees`, () => {
    const s = proposal(name);
    const final = finalizedElsewhere(signedBy(s, A, C));
    const fin = decodePsbt(final, 'regtest').psbt;
    assert.ok(fin.data.inputs.every((x) => x.bip32Derivation === undefined), 'the finalizer dropped the derivations');
    for (let i = 0; i < 2; i++) assert.equal(bcoinAccepts(final, s.prevouts, i), true, `bcoin accepts input ${i}`);

    const v = verifyPsbtInputs(final, { descriptor: s.descriptor, network: 'regtest', proposal: s.proposal });
    assert.equal(v.complete, true);
    assert.deepEqual(v.inputs.map((x) => [x.finalized, x.signatures, x.required, x.complete]), [[true, 2, 2, true], [true, 2, 2, true]]);
    // without the proposal, the derivations that tie the input to the vault are gone: refused, not trusted
    assert.equal(codeOf(() => verifyPsbtInputs(final, { descriptor: s.descriptor, network: 'regtest' })), 'INVALID_SIGNATURE');

    const merged = mergeSignatures(s.proposal, final, { descriptor: s.descriptor, network: 'regtest' });
    assert.equal(merged.kind, 'psbt');
    assert.deepEqual(merged.finalizedInputs, [0, 1]);
    assert.equal(merged.added, 4);
    assert.equal(merged.complete, true);
    assert.equal(inspectPsbt(merged.psbt, { network: 'regtest', descriptor: s.descriptor }).complete, true, 'the merged PSBT keeps the derivations');
    const out = finalizeVerified(merged.psbt, { descriptor: s.descriptor, network: 'regtest' });
    for (let i = 0; i < 2; i++) assert.equal(bcoinAccepts(out.psbt, s.prevouts, i), true);
    assert.equal(verifySignedTransaction(out.hex, s.proposal, { descriptor: s.descriptor, network: 'regtest' }).txid, out.txid);
  });
}

test("the reviewer's attack: a fake finalScriptWitness is INVALID_SIGNATURE naming the input (bcoin refuses it too), and is not complete", () => {
  const s = proposal('wsh');
  const p = decodePsbt(s.proposal, 'regtest').psbt;
  const inp = p.data.inputs[1];
  assert.ok(inp?.witnessScript);
  const fakeSig = Uint8Array.from([0x30, 0x44, 0x02, 0x20, ...new Uint8Array(32).fill(1), 0x02, 0x20, ...new Uint8Array(32).fill(2), 0x01]);
  inp.finalScriptWitness = serializeWitness([new Uint8Array(), fakeSig, fakeSig, inp.witnessScript]);
  const forged = p.toBase64();

  const r = refusal(() => verifyPsbtInputs(forged, { descriptor: s.descriptor, network: 'regtest', proposal: s.proposal }));
  assert.equal(r.code, 'INVALID_SIGNATURE');
  assert.match(r.message, /^input 1: its final scripts do not verify/);
  // the function the import used, which skipped finalized inputs, refuses it now
  assert.equal(codeOf(() => verifyPartialSignatures(forged, s.descriptor, 'regtest')), 'INVALID_SIGNATURE');
  assert.equal(codeOf(() => mergeSignatures(s.proposal, forged, { descriptor: s.descriptor, network: 'regtest' })), 'INVALID_SIGNATURE');
  assert.equal(inspectPsbt(forged, { network: 'regtest', descriptor: s.descriptor }).complete, false);
  assert.equal(inspectPsbt(forged, { network: 'regtest' }).complete, false);

  // oracle: complete input 0 for real, and bcoin refuses the forged input 1
  const real = decodePsbt(finalizedElsewhere(signedBy(s, A, B)), 'regtest').psbt;
  const both = decodePsbt(forged, 'regtest').psbt;
  const in0 = both.data.inputs[0];
  assert.ok(in0);
  in0.finalScriptWitness = real.data.inputs[0]?.finalScriptWitness;
  assert.equal(bcoinAccepts(both.toBase64(), s.prevouts, 0), true);
  assert.equal(bcoinAccepts(both.toBase64(), s.prevouts, 1), false);
});

test("the reviewer's attack: one byte flipped in a real finalized witness is INVALID_SIGNATURE at import, finalize and broadcast check; bcoin agrees", () => {
  for (const name of ['wsh', 'sh-wsh'] as const) {
    const s = proposal(name, 190_000n, 7);
    const final = finalizedElsewhere(signedBy(s, B, C));
    const flipped = mutateFinal(final, 0, (stack) => {
      const sig = stack[1];
      assert.ok(sig && sig.length > 60);
      sig[20] = (sig[20] ?? 0) ^ 0x01;
    });
    assert.equal(bcoinAccepts(flipped, s.prevouts, 0), false, 'bcoin refuses the flipped signature');
    assert.equal(bcoinAccepts(flipped, s.prevouts, 1), true, 'and accepts the untouched input');
    const opts = { descriptor: s.descriptor, network: 'regtest' as const, proposal: s.proposal };
    const r = refusal(() => verifyPsbtInputs(flipped, opts));
    assert.equal(r.code, 'INVALID_SIGNATURE');
    assert.match(r.message, /^input 0: /);
    // import (Electrum's way: it finalized the complete PSBT itself)
    assert.equal(codeOf(() => mergeSignatures(s.proposal, flipped, opts)), 'INVALID_SIGNATURE');
    // finalize: a stored PSBT that somehow holds it is refused
    const stored = decodePsbt(s.proposal, 'regtest').psbt;
    const f = decodePsbt(flipped, 'regtest').psbt;
    stored.data.inputs.forEach((x, i) => {
      x.finalScriptWitness = f.data.inputs[i]?.finalScriptWitness;
      if (f.data.inputs[i]?.finalScriptSig) x.finalScriptSig = f.data.inputs[i]?.finalScriptSig;
    });
    assert.equal(codeOf(() => finalizeVerified(stored.toBase64(), opts)), 'INVALID_SIGNATURE');
    // broadcast-time check of the raw transaction
    const rawHex = f.extractTransaction(true).toHex();
    assert.equal(codeOf(() => verifySignedTransaction(rawHex, s.proposal, opts)), 'INVALID_SIGNATURE');

    // a flipped byte in the witness script (no longer the vault's) is refused as well
    const otherScript = mutateFinal(final, 1, (stack) => {
      const ws = stack[stack.length - 1];
      assert.ok(ws);
      ws[3] = (ws[3] ?? 0) ^ 0x01;
    });
    assert.match(refusal(() => verifyPsbtInputs(otherScript, opts)).message, /^input 1: its final witness script is not the vault's/);
    assert.equal(bcoinAccepts(otherScript, s.prevouts, 1), false);
  }
});

test("final scripts valid for ANOTHER transaction spending the same outputs are refused (the sighash is this transaction's)", () => {
  const s = proposal('wsh', 200_000n, 11);
  const other = proposal('wsh', 150_000n, 11); // same coins, pays less to the payee
  assert.deepEqual(other.prevouts, s.prevouts);
  const otherFinal = decodePsbt(finalizedElsewhere(signedBy(other, A, C)), 'regtest').psbt;
  const grafted = decodePsbt(s.proposal, 'regtest').psbt;
  grafted.data.inputs.forEach((x, i) => {
    x.finalScriptWitness = otherFinal.data.inputs[i]?.finalScriptWitness;
  });
  const g = grafted.toBase64();
  const r = refusal(() => verifyPsbtInputs(g, { descriptor: s.descriptor, network: 'regtest', proposal: s.proposal }));
  assert.equal(r.code, 'INVALID_SIGNATURE');
  assert.match(r.message, /^input 0: its final scripts do not verify/);
  assert.equal(bcoinAccepts(g, s.prevouts, 0), false);
});

test('a finalized input signed with SIGHASH_NONE is refused although consensus (bcoin) accepts it', () => {
  const s = proposal('wsh', 200_000n, 13);
  const p = decodePsbt(s.proposal, 'regtest').psbt;
  for (let i = 0; i < p.inputCount; i++) {
    p.updateInput(i, { sighashType: Transaction.SIGHASH_NONE });
    for (const m of [A, B]) {
      const d = p.data.inputs[i]?.bip32Derivation?.find((x) => hex.encode(x.masterFingerprint) === hex.encode(m.fingerprint));
      assert.ok(d);
      p.signInput(i, m.derivePath(d.path), [Transaction.SIGHASH_NONE]);
    }
  }
  const partial = p.toBase64();
  assert.equal(codeOf(() => verifyPsbtInputs(partial, { descriptor: s.descriptor, network: 'regtest' })), 'INVALID_SIGNATURE', 'partial signatures: SIGHASH_ALL only');
  const final = finalizedElsewhere(partial);
  assert.equal(bcoinAccepts(final, s.prevouts, 0), true, 'consensus-valid');
  const r = refusal(() => verifyPsbtInputs(final, { descriptor: s.descriptor, network: 'regtest', proposal: s.proposal }));
  assert.equal(r.code, 'INVALID_SIGNATURE');
  assert.match(r.message, /^input 0: .*SIGHASH_ALL/);
});

test('a finalized input that spends another output than the proposal says is refused (PSBT_MISMATCH), and not the vault\'s (INVALID_SIGNATURE)', () => {
  const s = proposal('wsh', 200_000n, 17);
  // anyone-can-spend P2WSH(OP_TRUE) as the "spent output", with a witness that satisfies it
  const opTrue = Uint8Array.of(0x51);
  const p2wsh = payments.p2wsh({ redeem: { output: opTrue }, network: NET });
  const p = decodePsbt(s.proposal, 'regtest').psbt;
  const inp = p.data.inputs[0];
  assert.ok(inp && p2wsh.output);
  inp.witnessUtxo = { script: p2wsh.output, value: 150_000n };
  delete inp.witnessScript;
  inp.finalScriptWitness = serializeWitness([opTrue]);
  const forged = p.toBase64();
  assert.equal(codeOf(() => verifyPsbtInputs(forged, { descriptor: s.descriptor, network: 'regtest', proposal: s.proposal })), 'PSBT_MISMATCH');
  const r = refusal(() => verifyPsbtInputs(forged, { descriptor: s.descriptor, network: 'regtest' }));
  assert.equal(r.code, 'INVALID_SIGNATURE');
  assert.match(r.message, /^input 0: it is finalized, but the output it spends is not this vault's/);
});

test('taproot tr(NUMS,sortedmulti_a): finalized script-path inputs verify; a flipped signature byte or a foreign control block is refused', () => {
  const s = proposal('tr', 200_000n, 19);
  const opts = { descriptor: s.descriptor, network: 'regtest' as const, proposal: s.proposal };
  const final = finalizePsbt(signedBy(s, A, C), { network: 'regtest', descriptor: s.descriptor }); // BIP174: derivations dropped
  assert.equal(decodePsbt(final, 'regtest').psbt.data.inputs[0]?.tapBip32Derivation, undefined);
  const v = verifyPsbtInputs(final, opts);
  assert.deepEqual(v.inputs.map((x) => [x.finalized, x.signatures, x.complete]), [[true, 2, true], [true, 2, true]]);
  assert.equal(mergeSignatures(s.proposal, final, opts).complete, true);

  const flipped = mutateFinal(final, 1, (stack) => {
    const sig = stack.find((w) => w.length === 64);
    assert.ok(sig);
    sig[9] = (sig[9] ?? 0) ^ 0x80;
  });
  const r = refusal(() => verifyPsbtInputs(flipped, opts));
  assert.equal(r.code, 'INVALID_SIGNATURE');
  assert.match(r.message, /^input 1: its final scripts do not verify/);

  const badControl = mutateFinal(final, 0, (stack) => {
    const cb = stack[stack.length - 1];
    assert.ok(cb);
    cb[0] = (cb[0] ?? 0) ^ 0x01; // the other parity: a control block that is not the vault's
  });
  assert.match(refusal(() => verifyPsbtInputs(badControl, opts)).message, /^input 0: its final witness spends a script leaf \(or control block\) that is not the vault's/);

  // a taproot SIGHASH_SINGLE signature (65 bytes, type 0x03) is refused even when it verifies
  const single = mutateFinal(final, 0, (stack) => {
    const i = stack.findIndex((w) => w.length === 64);
    stack[i] = Uint8Array.from([...(stack[i] ?? []), 0x03]);
  });
  assert.equal(codeOf(() => verifyPsbtInputs(single, opts)), 'INVALID_SIGNATURE');
});

test('a signed RAW transaction (what Electrum\'s CLI prints) is accepted as an import, as hex or binary; another transaction is PSBT_MISMATCH', () => {
  for (const name of ['wsh', 'sh-wsh', 'tr'] as const) {
    const s = proposal(name, 210_000n, 23);
    const opts = { descriptor: s.descriptor, network: 'regtest' as const };
    const complete = name === 'tr' ? finalizePsbt(signedBy(s, B, C), opts) : finalizedElsewhere(signedBy(s, B, C));
    const tx = decodePsbt(complete, 'regtest').psbt.extractTransaction(true);
    const rawHex = tx.toHex();

    assert.equal(detectSignerFile(rawHex).kind, 'transaction');
    assert.equal(detectSignerFile(`${rawHex}\n`).kind, 'transaction');
    assert.equal(detectSignerFile(tx.toBuffer()).kind, 'transaction');
    assert.equal(detectSignerFile(new TextEncoder().encode(rawHex)).kind, 'transaction');
    assert.equal(detectSignerFile(s.proposal).kind, 'psbt');
    assert.equal(detectSignerFile(Buffer.from(s.proposal, 'base64')).kind, 'psbt');
    assert.equal(detectSignerFile(Buffer.from(s.proposal, 'base64').toString('hex')).kind, 'psbt');

    const asPsbt = psbtFromSignedTransaction(rawHex, s.proposal, 'regtest', { descriptor: s.descriptor });
    const back = decodePsbt(asPsbt, 'regtest').psbt;
    const prop = decodePsbt(s.proposal, 'regtest').psbt;
    // the proposal's PSBT, with the final scripts added
    assert.equal(back.data.inputs.length, prop.data.inputs.length);
    back.data.inputs.forEach((x, i) => {
      assert.ok(x.finalScriptWitness);
      assert.deepEqual(x.witnessUtxo, prop.data.inputs[i]?.witnessUtxo);
    });
    assert.deepEqual(back.data.outputs, prop.data.outputs);
    assert.equal(signerFileToPsbt(tx.toBuffer(), s.proposal, 'regtest').kind, 'transaction');

    const merged = mergeSignatures(s.proposal, rawHex, opts);
    assert.equal(merged.kind, 'transaction');
    assert.equal(merged.complete, true);
    const out = finalizeVerified(merged.psbt, opts);
    assert.equal(out.txid, tx.getId());
    assert.equal(out.hex, rawHex);
    assert.equal(verifySignedTransaction(tx.toBuffer(), s.proposal, opts).txid, tx.getId());

    // another transaction (the fee changed) is refused before anything else
    const other = Transaction.fromHex(rawHex);
    const o0 = other.outs[0];
    assert.ok(o0);
    o0.value -= 1n;
    assert.equal(codeOf(() => psbtFromSignedTransaction(other.toHex(), s.proposal, 'regtest')), 'PSBT_MISMATCH');
    assert.equal(codeOf(() => mergeSignatures(s.proposal, other.toHex(), opts)), 'PSBT_MISMATCH');

    // a raw transaction with a flipped signature byte: INVALID_SIGNATURE naming the input
    const bad = Transaction.fromHex(rawHex);
    const w = bad.ins[1]?.witness;
    assert.ok(w);
    const sig = w.find((x) => x.length >= 64 && x.length <= 73);
    assert.ok(sig);
    sig[12] = (sig[12] ?? 0) ^ 0x01;
    const r = refusal(() => psbtFromSignedTransaction(bad.toHex(), s.proposal, 'regtest', { descriptor: s.descriptor }));
    assert.equal(r.code, 'INVALID_SIGNATURE');
    assert.match(r.message, /^input 1: /);
  }
  // an unsigned raw transaction carries nothing to import
  const s = proposal('wsh', 200_000n, 29);
  const unsignedHex = decodePsbt(s.proposal, 'regtest').psbt.data.globalMap.unsignedTx.toBuffer();
  assert.equal(codeOf(() => psbtFromSignedTransaction(unsignedHex, s.proposal, 'regtest')), 'PSBT_INCOMPLETE');
  assert.equal(codeOf(() => detectSignerFile('not a psbt at all!')), 'INVALID_PSBT');
  assert.equal(codeOf(() => mergeSignatures(s.proposal, 'zz', { descriptor: s.descriptor, network: 'regtest' })), 'INVALID_PSBT');
});

test('mixed: one input finalized elsewhere, the other with one partial signature → not complete; a second signature completes it', () => {
  const s = proposal('wsh', 200_000n, 31);
  const opts = { descriptor: s.descriptor, network: 'regtest' as const };
  const full = decodePsbt(finalizedElsewhere(signedBy(s, A, B)), 'regtest').psbt;
  const byC = decodePsbt(signPsbtWithKey(s.proposal, parseExtendedPrivateKey(C.toBase58(), 'key C')).psbt, 'regtest').psbt;
  const in0 = byC.data.inputs[0];
  assert.ok(in0);
  in0.finalScriptWitness = full.data.inputs[0]?.finalScriptWitness;
  delete in0.partialSig;
  const m1 = mergeSignatures(s.proposal, byC.toBase64(), opts);
  assert.deepEqual(m1.finalizedInputs, [0]);
  assert.deepEqual(m1.inputs.map((x) => [x.finalized, x.signatures, x.complete]), [[true, 2, true], [false, 1, false]]);
  assert.equal(m1.complete, false);
  assert.equal(codeOf(() => finalizeVerified(m1.psbt, opts)), 'PSBT_INCOMPLETE');
  const byA = signPsbtWithKey(m1.psbt, parseExtendedPrivateKey(A.toBase58(), 'key A')).psbt;
  const m2 = mergeSignatures(m1.psbt, byA, opts);
  assert.equal(m2.added, 1, 'the finalized input is not signed again');
  assert.equal(m2.complete, true);
  const out = finalizeVerified(m2.psbt, opts);
  for (let i = 0; i < 2; i++) assert.equal(bcoinAccepts(out.psbt, s.prevouts, i), true);
  // only signatures are taken from an upload: its other fields do not reach the proposal
  const noisy = decodePsbt(byA, 'regtest').psbt;
  noisy.addUnknownKeyValToInput(1, { key: Uint8Array.of(0xfc, 2), value: new Uint8Array(1000) });
  const m3 = mergeSignatures(m1.psbt, noisy.toBase64(), opts);
  assert.ok(Buffer.from(m3.psbt, 'base64').length < Buffer.from(m1.psbt, 'base64').length + 200, 'one signature added, nothing else');
});
