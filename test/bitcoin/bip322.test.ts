// BIP-322 generic signed messages, checked with the BIP's two vector files: message hashes and
// virtual transactions, every valid signature (simple, full, proof of funds; P2PKH, P2SH,
// P2SH-P2WPKH, P2WPKH, P2WSH multisig and time locks, P2TR key and script path) verifies,
// every error vector fails with INVALID_SIGNATURE. The script interpreter is also compared
// with bcoin's consensus interpreter on every non-taproot vector and on mutations of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Transaction, address as bAddress, networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { isDomainError } from '../../src/core/errors.ts';
import { bip322MessageHash, bip322ToSign, bip322ToSpend, signMessage, verifyMessage } from '../../src/core/bitcoin/bip322.ts';
import { ScriptFailure, verifyInput } from '../../src/core/bitcoin/bip322-interpreter.ts';
import { assembleFinalTransaction, decodePsbt } from '../../src/core/bitcoin/psbt.ts';

interface SigVector { message: string; private_keys: string[]; address: string; type: string; bip322_signatures: string[]; lock_time?: string | number; sequence?: string | number; tx_version?: string | number }
interface ErrVector { description: string; message: string; address: string; signature: string }
const dir = join(import.meta.dirname, '..', 'vectors', 'bip322');
const basic = JSON.parse(readFileSync(join(dir, 'basic-test-vectors.json'), 'utf8')) as {
  tx_hashes: { message: string; address: string; message_hash: string; to_spend_tx_hash: string; to_sign_tx_hash: string }[];
  simple: SigVector[];
  error: ErrVector[];
};
const generated = JSON.parse(readFileSync(join(dir, 'generated-test-vectors.json'), 'utf8')) as { simple: SigVector[]; full: SigVector[]; proof_of_funds: SigVector[]; error: ErrVector[] };
const ECPair = ECPairFactory(ecc);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hash160 = (b: Uint8Array): Uint8Array => ripemd160(sha256(b));

test('BIP-322 message hashes and to_spend/to_sign transaction ids', () => {
  assert.equal(basic.tx_hashes.length, 3);
  for (const v of basic.tx_hashes) {
    assert.equal(hex(bip322MessageHash(v.message)), v.message_hash, v.message);
    const toSpend = bip322ToSpend(v.message, bAddress.toOutputScript(v.address, networks.bitcoin));
    assert.equal(toSpend.getId(), v.to_spend_tx_hash);
    assert.equal(bip322ToSign(toSpend).getId(), v.to_sign_tx_hash);
  }
});

const valid: [string, SigVector][] = [
  ...basic.simple.map((v): [string, SigVector] => ['basic simple', v]),
  ...generated.simple.map((v): [string, SigVector] => ['generated simple', v]),
  ...generated.full.map((v): [string, SigVector] => ['generated full', v]),
  ...generated.proof_of_funds.map((v): [string, SigVector] => ['generated proof_of_funds', v]),
];

test('BIP-322: every valid signature of both vector files verifies', () => {
  let count = 0;
  for (const [group, v] of valid) {
    for (const sig of v.bip322_signatures) {
      const label = `${group} ${v.type} "${v.message}"`;
      let r;
      try {
        r = verifyMessage(v.address, v.message, sig, 'main');
      } catch (e) {
        assert.fail(`${label}: ${e instanceof Error ? e.message : String(e)}`);
      }
      count++;
      const expectedFormat = sig.startsWith('pof') ? 'proof_of_funds' : sig.startsWith('ful') ? 'full' : 'simple';
      assert.equal(r.format, expectedFormat, label);
      if (v.lock_time !== undefined) assert.equal(r.locktime, Number(v.lock_time), label);
      if (v.sequence !== undefined) assert.equal(r.sequence, Number(v.sequence), label);
      if (group.includes('proof_of_funds')) assert.ok(r.claimedUtxos.length >= 1, label);
    }
  }
  assert.equal(count, 6 + 17);
});

test('BIP-322: every error vector fails with INVALID_SIGNATURE, never a crash', () => {
  const errors = [...basic.error, ...generated.error];
  assert.equal(errors.length, 8 + 28);
  for (const v of errors) {
    assert.throws(() => verifyMessage(v.address, v.message, v.signature, 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE', v.description);
  }
});

test('BIP-322: a valid signature checked against another message, or on another network, fails', () => {
  for (const [, v] of valid) {
    const sig = v.bip322_signatures[0] ?? '';
    assert.throws(() => verifyMessage(v.address, `${v.message}!`, sig, 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE', v.type);
  }
  const v = basic.simple[0];
  assert.ok(v);
  assert.throws(() => verifyMessage(v.address, v.message, v.bip322_signatures[0] ?? '', 'regtest'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_ADDRESS');
});

test('BIP-322 signMessage: P2WPKH reproduces the BIP signature; P2TR and P2SH-P2WPKH sign and verify', () => {
  const v = basic.simple.find((x) => x.message === 'Hello World');
  assert.ok(v);
  const key = ECPair.fromWIF(v.private_keys[0] ?? '', networks.bitcoin).privateKey;
  assert.ok(key);
  const s = signMessage({ message: v.message, privateKey: key, type: 'p2wpkh', network: 'main' });
  assert.equal(s.address, v.address);
  assert.ok(v.bip322_signatures.map((x) => x.replace(/^smp/, '')).includes(s.signature), s.signature);
  const prefixed = signMessage({ message: v.message, privateKey: key, type: 'p2wpkh', network: 'main', prefix: true });
  assert.ok(v.bip322_signatures.includes(prefixed.signature));

  const tr = generated.simple.find((x) => x.type === 'p2tr');
  assert.ok(tr);
  const trKey = ECPair.fromWIF(tr.private_keys[0] ?? '', networks.bitcoin).privateKey;
  assert.ok(trKey);
  const t = signMessage({ message: tr.message, privateKey: trKey, type: 'p2tr', network: 'main', prefix: true });
  assert.equal(t.address, tr.address);
  assert.equal(verifyMessage(t.address, tr.message, t.signature, 'main').format, 'simple');
  assert.throws(() => verifyMessage(t.address, 'other', t.signature, 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE');

  const sh = generated.full.find((x) => x.type === 'p2sh-p2wpkh');
  assert.ok(sh);
  const shKey = ECPair.fromWIF(sh.private_keys[0] ?? '', networks.bitcoin).privateKey;
  assert.ok(shKey);
  const w = signMessage({ message: 'proof of reserves 2026-Q3', privateKey: shKey, type: 'p2sh-p2wpkh', network: 'regtest' });
  assert.equal(verifyMessage(w.address, 'proof of reserves 2026-Q3', w.signature, 'regtest').format, 'full');
  assert.match(w.address, /^2/);
});

test('legacy P2PKH signmessage signatures verify through the fallback (no vector file has one: signed here)', () => {
  const pair = ECPair.fromPrivateKey(new Uint8Array(32).fill(7), { network: networks.bitcoin });
  const addr = bAddress.toBase58Check(hash160(pair.publicKey), 0x00);
  const message = 'Reserve attestation';
  const prefix = Buffer.from('\x18Bitcoin Signed Message:\n', 'latin1');
  const digest = sha256(sha256(Buffer.concat([prefix, Buffer.from([message.length]), Buffer.from(message)])));
  const { signature, recoveryId } = ecc.signRecoverable(digest, pair.privateKey ?? new Uint8Array());
  const sig = Buffer.concat([Buffer.from([31 + recoveryId]), Buffer.from(signature)]).toString('base64');
  assert.equal(verifyMessage(addr, message, sig, 'main').format, 'legacy');
  assert.throws(() => verifyMessage(addr, 'another message', sig, 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE');
  const other = bAddress.toBase58Check(hash160(ECPair.fromPrivateKey(new Uint8Array(32).fill(8)).publicKey), 0x00);
  assert.throws(() => verifyMessage(other, message, sig, 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE');
});

// Sampled flips (fixed seed). Not every flip must fail: in a proof-of-funds PSBT, a flip that only
// turns input 0's copy of to_spend into an unknown field leaves the signed transaction intact.
test('BIP-322: sampled bit flips in valid signatures give INVALID_SIGNATURE, never a crash or a pass', () => {
  let seed = 322;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  let tried = 0;
  for (const [, v] of valid) {
    for (const sig of v.bip322_signatures) {
      const prefix = /^(smp|ful|pof)/.exec(sig)?.[0] ?? '';
      const body = Buffer.from(sig.slice(prefix.length), 'base64');
      for (let k = 0; k < 12; k++) {
        const b = Buffer.from(body);
        const at = rand(b.length);
        b[at] = (b[at] ?? 0) ^ (1 << rand(8));
        tried++;
        assert.throws(() => verifyMessage(v.address, v.message, prefix + b.toString('base64'), 'main'), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE', `${v.type} flip at ${at}`);
      }
    }
  }
  assert.equal(tried, 23 * 12);
});

// --- differential test of the interpreter against bcoin (no taproot in bcoin 1.0.2) ----------

interface BcoinOracle {
  TX: { fromRaw(raw: Buffer): { verifyInput(index: number, coin: unknown, flags: number): boolean } };
  Coin: { fromOptions(o: { value: number; script: unknown }): unknown };
  Script: { fromRaw(raw: Buffer): unknown; flags: { STANDARD_VERIFY_FLAGS: number } };
}
const bcoin = createRequire(import.meta.url)('bcoin') as BcoinOracle;

function oursAccepts(tx: Transaction, prevouts: { script: Uint8Array; value: bigint }[]): boolean {
  try {
    for (let i = 0; i < tx.ins.length; i++) verifyInput(tx, i, prevouts);
    return true;
  } catch (e) {
    if (e instanceof ScriptFailure) return false;
    throw e;
  }
}
function bcoinAccepts(tx: Transaction, prevouts: { script: Uint8Array; value: bigint }[]): boolean {
  const btx = bcoin.TX.fromRaw(Buffer.from(tx.toBuffer()));
  return prevouts.every((p, i) => btx.verifyInput(i, bcoin.Coin.fromOptions({ value: Number(p.value), script: bcoin.Script.fromRaw(Buffer.from(p.script)) }), bcoin.Script.flags.STANDARD_VERIFY_FLAGS));
}

/** The signed to_sign transaction and its prevouts for a vector signature (no taproot). */
function signedToSign(v: SigVector, sig: string): { tx: Transaction; prevouts: { script: Uint8Array; value: bigint }[] } | undefined {
  const challenge = bAddress.toOutputScript(v.address, networks.bitcoin);
  if (challenge[0] === 0x51) return undefined;
  const toSpend = bip322ToSpend(v.message, challenge);
  const body = Buffer.from(sig.replace(/^(smp|ful|pof)/, ''), 'base64');
  if (sig.startsWith('ful')) return { tx: Transaction.fromBuffer(body), prevouts: [{ script: challenge, value: 0n }] };
  if (sig.startsWith('pof')) {
    const psbt = decodePsbt(body).psbt;
    const prevTxs = psbt.data.inputs.flatMap((inp) => (inp.nonWitnessUtxo ? [Transaction.fromBuffer(inp.nonWitnessUtxo)] : []));
    const prevouts = psbt.data.inputs.map((inp, i) => {
      if (i === 0) return { script: challenge, value: 0n };
      if (inp.witnessUtxo) return inp.witnessUtxo;
      const txin = psbt.txInputs[i];
      const prev = prevTxs.find((t) => hex(t.getHash()) === hex(txin?.hash ?? new Uint8Array()));
      const o = prev?.outs[txin?.index ?? 0];
      return { script: o?.script ?? new Uint8Array(), value: o?.value ?? 0n };
    });
    if (prevouts.some((p) => p.script[0] === 0x51)) return undefined;
    return { tx: assembleFinalTransaction(psbt), prevouts };
  }
  const tx = bip322ToSign(toSpend);
  const items: Buffer[] = [];
  let p = 1;
  for (let i = 0; i < (body[0] ?? 0); i++) {
    const len = body[p] ?? 0;
    items.push(body.subarray(p + 1, p + 1 + len));
    p += 1 + len;
  }
  tx.setWitness(0, items);
  return { tx, prevouts: [{ script: challenge, value: 0n }] };
}

test('the BIP-322 interpreter agrees with bcoin on every non-taproot vector and on mutations of each', () => {
  let compared = 0;
  for (const [, v] of valid) {
    for (const sig of v.bip322_signatures) {
      const built = signedToSign(v, sig);
      if (!built) continue;
      assert.equal(oursAccepts(built.tx, built.prevouts), true, `${v.type}: ours rejects`);
      assert.equal(bcoinAccepts(built.tx, built.prevouts), true, `${v.type}: bcoin rejects`);
      compared++;
      // flip one byte in each witness item / the scriptSig, and change locktime and sequence
      const mutations: ((t: Transaction) => void)[] = [];
      built.tx.ins.forEach((inp, i) => {
        inp.witness.forEach((item, j) => {
          if (item.length > 0) mutations.push((t) => { const w = t.ins[i]?.witness[j]; if (w) w[Math.floor(w.length / 2)] = (w[Math.floor(w.length / 2)] ?? 0) ^ 0x01; });
        });
        if (inp.script.length > 0) mutations.push((t) => { const s = t.ins[i]?.script; if (s) s[s.length - 3] = (s[s.length - 3] ?? 0) ^ 0x01; });
      });
      mutations.push((t) => { t.locktime = 0; });
      mutations.push((t) => { const inp = t.ins[0]; if (inp) inp.sequence = 0; });
      for (const mutate of mutations) {
        const t = Transaction.fromBuffer(built.tx.toBuffer());
        mutate(t);
        assert.equal(oursAccepts(t, built.prevouts), bcoinAccepts(t, built.prevouts), `${v.type}: verdicts differ on a mutation`);
        compared++;
      }
    }
  }
  assert.ok(compared > 60, `compared ${compared}`);
});
