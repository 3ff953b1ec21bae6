// Untrusted PSBTs and transactions never escape as library errors (issue #19 item 4): an output
// amount with its top bit set gave an internal error (HTTP 500 / exit 1). Targeted cases first
// (top-bit and over-21M amounts in every place an amount lives, huge length fields, truncation),
// then a small fuzz: two thousand seeded mutations of real PSBTs and a real signed transaction
// through the whole import path (decode, inspect, verify, merge, finalize), asserting that the
// only thing ever thrown is a DomainError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Psbt, Transaction, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { combinePsbts, createPsbt, decodePsbt, extractTransaction, finalizePsbt, finalizeVerified, vaultOutput } from '../../src/core/bitcoin/psbt.ts';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';
import { cleanPsbtForSigners, mergeSignatures, psbtFromSignedTransaction, signerFileToPsbt } from '../../src/core/bitcoin/psbt-import.ts';
import { readPsbtMaps, writePsbtMaps } from '../../src/core/bitcoin/psbt-map.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';

const BIP32 = BIP32Factory(ecc);
const NET = networks.regtest;
const ACCOUNT = "48'/1'/0'/2'";
const master = (label: string): BIP32Interface => BIP32.fromSeed(sha256(new TextEncoder().encode(`soberana test key ${label}`)), NET);
const [A, B, C] = ['alice', 'bob', 'carol'].map(master) as [BIP32Interface, BIP32Interface, BIP32Interface];
const keyExpr = (m: BIP32Interface): string => `[${Buffer.from(m.fingerprint).toString('hex')}/${ACCOUNT}]${m.derivePath(`m/${ACCOUNT}`).neutered().toBase58()}/<0;1>/*`;
const body = `wsh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`;
const DESCRIPTOR = `${body}#${checksum(body)}`;
const PAYEE = payments.p2wpkh({ pubkey: master('payee').publicKey, network: NET }).address ?? '';

function fixture(): { proposal: string; partial: string; combined: string; final: string; raw: Uint8Array } {
  const fund = new Transaction();
  fund.addInput(new Uint8Array(32).fill(5), 0);
  fund.addOutput(vaultOutput(DESCRIPTOR, 'regtest', 0, 0).getScriptPubKey(), 150_000n);
  fund.addOutput(vaultOutput(DESCRIPTOR, 'regtest', 1, 1).getScriptPubKey(), 50_000n);
  const proposal = createPsbt({
    network: 'regtest',
    descriptor: DESCRIPTOR,
    inputs: [
      { txid: fund.getId(), vout: 0, value: 150_000n, change: false, index: 0 },
      { txid: fund.getId(), vout: 1, value: 50_000n, change: true, index: 1 },
    ],
    outputs: [{ address: PAYEE, value: 120_000n }, { change: true, index: 2, value: 79_000n }],
  });
  const partial = signPsbtWithKey(proposal, parseExtendedPrivateKey(A.toBase58(), 'a')).psbt;
  const combined = combinePsbts([partial, signPsbtWithKey(proposal, parseExtendedPrivateKey(C.toBase58(), 'c')).psbt]);
  const p = Psbt.fromBase64(combined, { network: NET });
  p.finalizeAllInputs();
  return { proposal, partial, combined, final: p.toBase64(), raw: p.extractTransaction(true).toBuffer() };
}
const F = fixture();

function outcome(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw new assert.AssertionError({ message: `a non-domain error escaped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
  }
}

/** The unsigned transaction of a v0 PSBT, edited, put back (the maps are rewritten as they were). */
function withUnsignedTx(psbt: string, edit: (txBytes: Uint8Array) => void): Uint8Array {
  const maps = readPsbtMaps(Buffer.from(psbt, 'base64'));
  const g = maps.global.find((kv) => kv.key.length === 1 && kv.key[0] === 0);
  assert.ok(g);
  const v = Uint8Array.from(g.value);
  edit(v);
  return writePsbtMaps({ ...maps, global: maps.global.map((kv) => (kv === g ? { key: kv.key, value: v } : kv)) });
}

/** Offset of output `n`'s 8-byte value in a serialized transaction without witnesses. */
function outputValueOffset(txBytes: Uint8Array, n: number): number {
  const tx = Transaction.fromBuffer(txBytes);
  let p = 4 + 1 + tx.ins.reduce((s, i) => s + 36 + 1 + i.script.length + 4, 0) + 1;
  for (let k = 0; k < n; k++) p += 8 + 1 + (tx.outs[k]?.script.length ?? 0);
  return p;
}

test('an output amount with its top bit set, or above 21M BTC, is INVALID_PSBT everywhere it can appear', () => {
  for (const n of [0, 1]) {
    const topBit = withUnsignedTx(F.combined, (t) => {
      const o = outputValueOffset(t, n);
      t[o + 7] = (t[o + 7] ?? 0) | 0x80;
    });
    const over = withUnsignedTx(F.combined, (t) => {
      const o = outputValueOffset(t, n);
      t.set([0x01, 0x40, 0x07, 0x5a, 0xf0, 0x75, 0x07, 0x00], o); // 2_100_000_000_000_001 sats
    });
    for (const bad of [topBit, over]) {
      assert.equal(outcome(() => decodePsbt(bad, 'regtest')), 'INVALID_PSBT');
      assert.equal(outcome(() => inspectPsbt(bad, { network: 'regtest', descriptor: DESCRIPTOR })), 'INVALID_PSBT');
      assert.equal(outcome(() => mergeSignatures(F.proposal, bad, { descriptor: DESCRIPTOR, network: 'regtest' })), 'INVALID_PSBT');
      assert.equal(outcome(() => finalizePsbt(bad, { network: 'regtest', descriptor: DESCRIPTOR })), 'INVALID_PSBT');
      assert.equal(outcome(() => extractTransaction(bad)), 'INVALID_PSBT');
    }
    const r = (() => {
      try {
        decodePsbt(topBit, 'regtest');
      } catch (e) {
        return e instanceof Error ? e.message : '';
      }
      return '';
    })();
    assert.equal(r, `output ${n}: its amount is out of range (negative or more than 21,000,000 BTC)`);
  }
  // in a witnessUtxo
  const p = decodePsbt(F.combined, 'regtest').psbt;
  const wu = p.data.inputs[0]?.witnessUtxo;
  assert.ok(wu);
  const maps = readPsbtMaps(p.toBuffer());
  const inMap = maps.inputs[0];
  assert.ok(inMap);
  const w = inMap.find((kv) => kv.key[0] === 0x01);
  assert.ok(w);
  const wv = Uint8Array.from(w.value);
  wv[7] = 0x80;
  const badUtxo = writePsbtMaps({ ...maps, inputs: [inMap.map((kv) => (kv === w ? { key: kv.key, value: wv } : kv)), ...maps.inputs.slice(1)] });
  assert.equal(outcome(() => decodePsbt(badUtxo, 'regtest')), 'INVALID_PSBT');
  // in a raw signed transaction
  const raw = Transaction.fromBuffer(F.raw);
  const rawBytes = Uint8Array.from(F.raw);
  const stripped = Transaction.fromBuffer(F.raw);
  for (const i of stripped.ins) i.witness = [];
  const off = outputValueOffset(stripped.toBuffer(), 0) + 2; // after the segwit marker and flag
  assert.equal(raw.outs[0]?.value, 120_000n);
  rawBytes[off + 7] = 0xff;
  assert.equal(outcome(() => psbtFromSignedTransaction(rawBytes, F.proposal, 'regtest')), 'INVALID_PSBT');
  assert.throws(() => psbtFromSignedTransaction(rawBytes, F.proposal, 'regtest'), /^DomainError: transaction output 0: its amount is out of range/);
  assert.equal(outcome(() => signerFileToPsbt(rawBytes, F.proposal, 'regtest')), 'INVALID_PSBT');
  // in a v2 PSBT (PSBT_OUT_AMOUNT), a BIP370 vector with its first amount's top bit set
  const v2 = (JSON.parse(readFileSync(new URL('../vectors/bip370.json', import.meta.url), 'utf8')) as { valid: { hex: string }[] }).valid[0]?.hex ?? '';
  const v2maps = readPsbtMaps(Buffer.from(v2, 'hex'));
  const amount = v2maps.outputs[0]?.find((kv) => kv.key[0] === 0x03);
  assert.ok(amount);
  const av = Uint8Array.from(amount.value);
  av[7] = 0x80;
  const v2bad = writePsbtMaps({ ...v2maps, outputs: [(v2maps.outputs[0] ?? []).map((kv) => (kv === amount ? { key: kv.key, value: av } : kv)), ...v2maps.outputs.slice(1)] });
  assert.equal(outcome(() => decodePsbt(v2, 'regtest')), 'ok');
  assert.equal(outcome(() => decodePsbt(v2bad, 'regtest')), 'INVALID_PSBT');
});

test('a PSBT over the size caps is INVALID_PSBT with a plain message, before parsing', () => {
  const huge = 'cHNidP8' + 'A'.repeat(3 * 1024 * 1024);
  assert.equal(outcome(() => decodePsbt(huge)), 'INVALID_PSBT');
  assert.equal(outcome(() => signerFileToPsbt(huge, F.proposal, 'regtest')), 'INVALID_PSBT');
  assert.equal(outcome(() => signerFileToPsbt('00'.repeat(2 * 1024 * 1024), F.proposal, 'regtest')), 'INVALID_PSBT');
});

/** Seeded mutations of a byte string. */
function mutate(src: Uint8Array, random: () => number): Uint8Array {
  const b = Array.from(src);
  const pos = (): number => Math.floor(random() * b.length);
  const kind = Math.floor(random() * 7);
  switch (kind) {
    case 0: // flip one to three bytes
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        const p = pos();
        b[p] = (b[p] ?? 0) ^ (1 << Math.floor(random() * 8));
      }
      break;
    case 1: // random byte values
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) b[pos()] = Math.floor(random() * 256);
      break;
    case 2: // truncate
      b.length = pos();
      break;
    case 3: // a huge varint somewhere
      b.splice(pos(), 1, ...(random() < 0.5 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0xfe, 0xff, 0xff, 0xff, 0x7f]));
      break;
    case 4: // the top bit of some byte (amounts are little-endian: the 8th byte)
      b[pos()] = (b[pos()] ?? 0) | 0x80;
      break;
    case 5: // duplicate a slice
      {
        const p = pos();
        b.splice(p, 0, ...b.slice(p, p + 1 + Math.floor(random() * 40)));
      }
      break;
    default: // delete a slice
      b.splice(pos(), 1 + Math.floor(random() * 8));
  }
  return Uint8Array.from(b);
}

test('fuzz: 2,000 seeded mutations of PSBTs and of a signed transaction only ever throw DomainError', () => {
  const random = seededRandom(19_05);
  const seeds = [F.proposal, F.partial, F.combined, F.final].map((s) => Uint8Array.from(Buffer.from(s, 'base64')));
  const opts = { descriptor: DESCRIPTOR, network: 'regtest' as const };
  const tally: Record<string, number> = {};
  for (let n = 0; n < 2_000; n++) {
    const fromRaw = n % 5 === 4;
    const src = fromRaw ? F.raw : (seeds[n % seeds.length] as Uint8Array);
    const m = mutate(src, random);
    const r = outcome(() => {
      // what an upload goes through: detection, verification against the proposal, merge,
      // finalize (signature checks are slow in pure JS: the heavier stages take turns)
      const file = signerFileToPsbt(m, F.proposal, 'regtest');
      inspectPsbt(file.psbt, { network: 'regtest' });
      if (n % 4 === 1) inspectPsbt(file.psbt, { network: 'regtest', descriptor: DESCRIPTOR, proposal: F.proposal });
      if (n % 4 === 0 || fromRaw) {
        const merged = mergeSignatures(F.proposal, m, opts);
        cleanPsbtForSigners(merged.psbt);
        if (merged.complete) finalizeVerified(merged.psbt, opts);
      }
    });
    tally[r] = (tally[r] ?? 0) + 1;
    if (!fromRaw) {
      // the lower-level functions on the mutated PSBT itself
      outcome(() => finalizePsbt(m, { network: 'regtest', descriptor: DESCRIPTOR }));
      outcome(() => extractTransaction(m));
      outcome(() => cleanPsbtForSigners(m));
      outcome(() => combinePsbts([F.proposal, m]));
    }
  }
  // the fuzz reaches past decoding: some mutations are still valid uploads (a flipped bit in a
  // signature is INVALID_SIGNATURE, in an unused byte it is harmless)
  assert.ok((tally.INVALID_PSBT ?? 0) > 400, JSON.stringify(tally));
  assert.ok((tally.ok ?? 0) + (tally.INVALID_SIGNATURE ?? 0) + (tally.PSBT_MISMATCH ?? 0) > 100, JSON.stringify(tally));
});
