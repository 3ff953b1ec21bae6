/**
 * BIP-322 generic signed messages: sign (for tests and demos, with a key) and verify, in the
 * simple, full and proof-of-funds formats, with or without the `smp`/`ful`/`pof` prefixes of
 * the current BIP text, plus the legacy P2PKH signmessage format.
 *
 * Verification builds `to_spend`/`to_sign` with bitcoinjs-lib and runs the scripts through
 * `bip322-interpreter.ts` (sighashes by bitcoinjs-lib, signatures by @bitcoinerlab/secp256k1).
 * Every failure is DomainError('INVALID_SIGNATURE', reason); nothing else escapes.
 */
import { Transaction, address as bAddress, script as bScript } from 'bitcoinjs-lib';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { base64 } from '@scure/base';
import { DomainError, isDomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { ScriptFailure, taggedHash, verifyInput, type Prevout } from './bip322-interpreter.ts';
import { assembleFinalTransaction, bitcoinjsNetwork, decodePsbt, ensureEcc } from './psbt.ts';

/** The message hash of BIP-322: the BIP340 tagged hash "BIP0322-signed-message" of the message bytes. */
export function bip322MessageHash(message: string | Uint8Array): Uint8Array {
  return taggedHash('BIP0322-signed-message', typeof message === 'string' ? new TextEncoder().encode(message) : message);
}

/** The virtual `to_spend` transaction for a message and a challenge scriptPubKey. */
export function bip322ToSpend(message: string | Uint8Array, challenge: Uint8Array): Transaction {
  const tx = new Transaction();
  tx.version = 0;
  tx.locktime = 0;
  tx.addInput(new Uint8Array(32), 0xffffffff, 0, bScript.compile([0, bip322MessageHash(message)]));
  tx.addOutput(Uint8Array.from(challenge), 0n);
  return tx;
}

/** The unsigned `to_sign` transaction spending `to_spend` (version, locktime, sequence default 0). */
export function bip322ToSign(toSpend: Transaction, opts: { version?: number; locktime?: number; sequence?: number } = {}): Transaction {
  const tx = new Transaction();
  tx.version = opts.version ?? 0;
  tx.locktime = opts.locktime ?? 0;
  tx.addInput(toSpend.getHash(), 0, opts.sequence ?? 0);
  tx.addOutput(Uint8Array.of(0x6a), 0n);
  return tx;
}

function invalid(reason: string): never {
  throw new DomainError('INVALID_SIGNATURE', reason);
}

function decodeB64(text: string, what: string): Uint8Array {
  try {
    return base64.decode(text);
  } catch {
    invalid(`${what} is not valid base64`);
  }
}

function parseWitness(bytes: Uint8Array): Uint8Array[] {
  let p = 0;
  const varint = (): number => {
    const f = bytes[p++];
    if (f === undefined) invalid('signature too short');
    if (f < 0xfd) return f;
    if (f === 0xfd) {
      const v = (bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8);
      p += 2;
      return v;
    }
    invalid('witness item too large');
  };
  const n = varint();
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = varint();
    if (p + len > bytes.length) invalid('witness stack is truncated');
    items.push(bytes.slice(p, p + len));
    p += len;
  }
  if (p !== bytes.length) invalid('witness stack has trailing bytes');
  return items;
}

function serializeWitness(items: readonly Uint8Array[]): Uint8Array {
  const out: number[] = [];
  const varint = (n: number): void => {
    if (n < 0xfd) out.push(n);
    else out.push(0xfd, n & 0xff, n >>> 8);
  };
  varint(items.length);
  for (const it of items) {
    varint(it.length);
    out.push(...it);
  }
  return Uint8Array.from(out);
}

function challengeOf(addr: string, network: Network): Uint8Array {
  ensureEcc();
  try {
    return bAddress.toOutputScript(addr, bitcoinjsNetwork(network));
  } catch {
    throw new DomainError('INVALID_ADDRESS', `not a valid ${network} address: ${addr}`);
  }
}

export type Bip322Format = 'legacy' | 'simple' | 'full' | 'proof_of_funds';

export interface Bip322Verification {
  format: Bip322Format;
  /** nLockTime of to_sign ("valid at time T"). */
  locktime: number;
  /** nSequence of to_sign's first input ("and age S"). */
  sequence: number;
  /** Proof of funds: the extra UTXOs claimed (the caller must check they exist, unspent). */
  claimedUtxos: { outpoint: string; value: bigint }[];
}

function runScripts(tx: Transaction, prevouts: Prevout[]): void {
  for (let i = 0; i < tx.ins.length; i++) {
    try {
      verifyInput(tx, i, prevouts);
    } catch (e) {
      if (e instanceof ScriptFailure) invalid(`invalid signature: input ${i}: ${e.message}`);
      throw e;
    }
  }
}

function checkToSign(tx: Transaction, toSpend: Transaction, allowExtraInputs: boolean): void {
  const first = tx.ins[0];
  if (!first) invalid('to_sign has no input');
  if (!equal(first.hash, toSpend.getHash()) || first.index !== 0) invalid('invalid signature: to_sign does not spend to_spend (wrong message or address)');
  if (!allowExtraInputs && tx.ins.length !== 1) invalid('a full signature with extra inputs is a proof of funds: the UTXO set is needed to check it');
  if (tx.outs.length !== 1 || tx.outs[0]?.value !== 0n || !equal(tx.outs[0].script, Uint8Array.of(0x6a))) invalid('to_sign must have exactly one output: 0 sats to OP_RETURN');
  if (tx.version !== 0 && tx.version !== 2) invalid('to_sign version must be 0 or 2');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function verifySimple(witnessBytes: Uint8Array, toSpend: Transaction): Bip322Verification {
  const witness = parseWitness(witnessBytes);
  if (witness.length === 0) invalid('invalid signature: empty witness stack');
  const toSign = bip322ToSign(toSpend);
  toSign.setWitness(0, witness);
  runScripts(toSign, [{ script: toSpend.outs[0]?.script ?? new Uint8Array(), value: 0n }]);
  return { format: 'simple', locktime: 0, sequence: 0, claimedUtxos: [] };
}

function verifyFull(txBytes: Uint8Array, toSpend: Transaction): Bip322Verification {
  let tx: Transaction;
  try {
    tx = Transaction.fromBuffer(txBytes);
  } catch {
    invalid('error parsing signature as full variant (not a transaction)');
  }
  checkToSign(tx, toSpend, false);
  runScripts(tx, [{ script: toSpend.outs[0]?.script ?? new Uint8Array(), value: 0n }]);
  return { format: 'full', locktime: tx.locktime, sequence: tx.ins[0]?.sequence ?? 0, claimedUtxos: [] };
}

function verifyProofOfFunds(psbtBytes: Uint8Array, toSpend: Transaction): Bip322Verification {
  let psbt;
  try {
    psbt = decodePsbt(psbtBytes).psbt;
  } catch {
    invalid('error parsing signature as a proof-of-funds PSBT');
  }
  const prevTxs: Transaction[] = [];
  for (const inp of psbt.data.inputs) {
    if (!inp.nonWitnessUtxo) continue;
    try {
      prevTxs.push(Transaction.fromBuffer(inp.nonWitnessUtxo));
    } catch {
      invalid('proof of funds: a previous transaction is malformed');
    }
  }
  const prevouts: Prevout[] = [];
  const claimed: { outpoint: string; value: bigint }[] = [];
  psbt.data.inputs.forEach((inp, i) => {
    if (!inp.finalScriptSig && !inp.finalScriptWitness) invalid(`proof of funds input ${i} is not finalized`);
    const txin = psbt.txInputs[i];
    if (!txin) invalid(`proof of funds input ${i} is missing`);
    let prev: Prevout | undefined;
    // Every UTXO record must be the one the input spends: a PSBT field that is not checked
    // could carry anything (input 0's is to_spend itself).
    if (inp.nonWitnessUtxo && !prevTxs.some((t) => equal(t.getHash(), txin.hash) && equal(Transaction.fromBuffer(inp.nonWitnessUtxo ?? new Uint8Array()).getHash(), txin.hash))) {
      invalid(`proof of funds input ${i}: its previous transaction is not the one it spends`);
    }
    if (i === 0) {
      prev = { script: toSpend.outs[0]?.script ?? new Uint8Array(), value: 0n };
      if (inp.witnessUtxo && (inp.witnessUtxo.value !== 0n || !equal(inp.witnessUtxo.script, prev.script))) invalid('proof of funds input 0: its UTXO is not to_spend\'s output');
    }
    else if (inp.witnessUtxo) prev = { script: inp.witnessUtxo.script, value: inp.witnessUtxo.value };
    else {
      // the previous transaction may be given on another input spending from it too
      const t = prevTxs.find((x) => equal(x.getHash(), txin.hash));
      const o = t?.outs[txin.index];
      if (o) prev = { script: o.script, value: o.value };
    }
    if (!prev) invalid(`proof of funds input ${i}: the spent output is not given`);
    prevouts.push(prev);
    if (i > 0) claimed.push({ outpoint: `${Uint8Array.from(txin.hash).reverse().reduce((s, b) => s + b.toString(16).padStart(2, '0'), '')}:${txin.index}`, value: prev.value });
  });
  let tx: Transaction;
  try {
    tx = assembleFinalTransaction(psbt);
  } catch {
    invalid('proof of funds PSBT cannot be assembled into a transaction');
  }
  checkToSign(tx, toSpend, true);
  runScripts(tx, prevouts);
  return { format: 'proof_of_funds', locktime: tx.locktime, sequence: tx.ins[0]?.sequence ?? 0, claimedUtxos: claimed };
}

function legacyMessageHash(message: string): Uint8Array {
  const prefix = new TextEncoder().encode('\x18Bitcoin Signed Message:\n');
  const msg = new TextEncoder().encode(message);
  const len = msg.length < 0xfd ? Uint8Array.of(msg.length) : Uint8Array.of(0xfd, msg.length & 0xff, msg.length >>> 8);
  const all = new Uint8Array(prefix.length + len.length + msg.length);
  all.set(prefix, 0);
  all.set(len, prefix.length);
  all.set(msg, prefix.length + len.length);
  return sha256(sha256(all));
}

function verifyLegacy(sig: Uint8Array, message: string, challenge: Uint8Array): Bip322Verification {
  const header = sig[0] ?? 0;
  if (header < 27 || header > 34) invalid('invalid legacy signature header');
  const compressed = header >= 31;
  const recid = ((header - 27) & 3) as 0 | 1 | 2 | 3;
  let pub: Uint8Array | null;
  try {
    pub = ecc.recover(legacyMessageHash(message), sig.subarray(1), recid, compressed);
  } catch {
    pub = null;
  }
  if (!pub) invalid('invalid signature: no public key recovers from it');
  const expected = bScript.compile([0x76, 0xa9, ripemd160(sha256(pub)), 0x88, 0xac]);
  if (!equal(expected, challenge)) invalid('invalid signature: signed by another key');
  return { format: 'legacy', locktime: 0, sequence: 0, claimedUtxos: [] };
}

/**
 * Verify a BIP-322 signature of `message` by `address`. Accepts `smp…`, `ful…`, `pof…` and
 * unprefixed base64 (a simple witness stack, a full `to_sign`, or for P2PKH the legacy
 * 65-byte signmessage format). Returns the format and the timelocks; any failure is
 * DomainError('INVALID_SIGNATURE').
 *
 * @example verifyMessage('bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l', 'Hello World', 'smpAkcw…', 'main')
 */
export function verifyMessage(address: string, message: string, signature: string, network: Network): Bip322Verification {
  const challenge = challengeOf(address, network);
  const toSpend = bip322ToSpend(message, challenge);
  try {
    const sig = signature.trim();
    if (sig.startsWith('smp')) return verifySimple(decodeB64(sig.slice(3), 'signature'), toSpend);
    if (sig.startsWith('ful')) return verifyFull(decodeB64(sig.slice(3), 'signature'), toSpend);
    if (sig.startsWith('pof')) return verifyProofOfFunds(decodeB64(sig.slice(3), 'signature'), toSpend);
    const raw = decodeB64(sig, 'signature (error decoding signature as base64)');
    if (raw.length === 0) invalid('signature too short');
    const isP2pkh = challenge.length === 25 && challenge[0] === 0x76;
    if (isP2pkh && raw.length === 65) return verifyLegacy(raw, message, challenge);
    try {
      return verifySimple(raw, toSpend);
    } catch (e) {
      // an unprefixed full transaction (older BIP text)
      let tx: Transaction | undefined;
      try {
        tx = Transaction.fromBuffer(raw);
      } catch {
        tx = undefined;
      }
      if (tx) return verifyFull(raw, toSpend);
      throw e;
    }
  } catch (e) {
    if (isDomainError(e)) throw e.code === 'INVALID_SIGNATURE' ? e : new DomainError('INVALID_SIGNATURE', e.message);
    invalid(`invalid signature: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface SignMessageOptions {
  message: string;
  /** 32-byte private key. */
  privateKey: Uint8Array;
  /** Which single-key address the key stands for. */
  type: 'p2wpkh' | 'p2tr' | 'p2sh-p2wpkh';
  network: Network;
  /** Emit the `smp`/`ful` prefix of the current BIP text (default false: plain base64, as most wallets expect). */
  prefix?: boolean;
}

/**
 * Sign a message for the single-key address of `privateKey` (simple format for native
 * segwit, full format for P2SH-wrapped). Deterministic: RFC6979 nonces, BIP340 with zero aux
 * randomness. For tests and demos; reserve keys sign on hardware.
 *
 * @example signMessage({ message: 'Hello World', privateKey, type: 'p2wpkh', network: 'main' })
 */
export function signMessage(opts: SignMessageOptions): { address: string; signature: string } {
  if (opts.privateKey.length !== 32 || !ecc.isPrivate(opts.privateKey)) throw new TypeError('"privateKey" expected 32 bytes of a valid secp256k1 secret');
  ensureEcc();
  const net = bitcoinjsNetwork(opts.network);
  const pub = ecc.pointFromScalar(opts.privateKey, true);
  if (!pub) throw new TypeError('"privateKey" has no public key');
  const h160 = ripemd160(sha256(pub));
  let challenge: Uint8Array;
  let toSign: Transaction;
  let witness: Uint8Array[];
  let scriptSig: Uint8Array | undefined;
  if (opts.type === 'p2tr') {
    const xonly = pub.subarray(1);
    const tweak = taggedHash('TapTweak', xonly);
    const tweakedPub = ecc.xOnlyPointAddTweak(xonly, tweak);
    if (!tweakedPub) throw new RangeError('"privateKey" cannot be tweaked');
    challenge = bScript.compile([0x51, tweakedPub.xOnlyPubkey]);
    const d = pub[0] === 3 ? ecc.privateNegate(opts.privateKey) : opts.privateKey;
    const tweakedPriv = ecc.privateAdd(d, tweak);
    if (!tweakedPriv) throw new RangeError('"privateKey" cannot be tweaked');
    const toSpend = bip322ToSpend(opts.message, challenge);
    toSign = bip322ToSign(toSpend);
    const hash = toSign.hashForWitnessV1(0, [challenge], [0n], Transaction.SIGHASH_DEFAULT);
    witness = [ecc.signSchnorr(hash, tweakedPriv, new Uint8Array(32))];
  } else {
    const witnessProgram = bScript.compile([0, h160]);
    challenge = opts.type === 'p2wpkh' ? witnessProgram : bScript.compile([0xa9, ripemd160(sha256(witnessProgram)), 0x87]);
    const toSpend = bip322ToSpend(opts.message, challenge);
    toSign = bip322ToSign(toSpend);
    const scriptCode = bScript.compile([0x76, 0xa9, h160, 0x88, 0xac]);
    const hash = toSign.hashForWitnessV0(0, scriptCode, 0n, Transaction.SIGHASH_ALL);
    witness = [bScript.signature.encode(ecc.sign(hash, opts.privateKey), Transaction.SIGHASH_ALL), pub];
    if (opts.type === 'p2sh-p2wpkh') scriptSig = bScript.compile([witnessProgram]);
  }
  const address = bAddress.fromOutputScript(challenge, net);
  if (scriptSig) {
    toSign.setInputScript(0, scriptSig);
    toSign.setWitness(0, witness);
    return { address, signature: (opts.prefix ? 'ful' : '') + base64.encode(toSign.toBuffer()) };
  }
  return { address, signature: (opts.prefix ? 'smp' : '') + base64.encode(serializeWitness(witness)) };
}
