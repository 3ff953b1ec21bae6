/**
 * PSBT workflow for multisig vaults (BIP174; BIP370 v2 read by conversion to v0): create,
 * combine, finalize, extract, verify partial signatures.
 *
 * bitcoinjs-lib's `Psbt` owns the format and the sighash computation; @bitcoinerlab/descriptors
 * derives the scripts and key origins of a vault descriptor and satisfies miniscript.
 * This module only wires them together and turns their failures into `DomainError`s.
 */
import { Psbt, Transaction, networks as bNetworks, script as bScript, initEccLib } from 'bitcoinjs-lib';
import type { Network as BNetwork } from 'bitcoinjs-lib';
import { DescriptorsFactory } from '@bitcoinerlab/descriptors';
import * as ecc from '@bitcoinerlab/secp256k1';
import { base64, createBase58check, hex } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError, isDomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { MAX_MONEY } from '../money.ts';
import { paymentScript } from './address.ts';
import { checkDescriptorBounds } from './descriptor-bounds.ts';
import { PSBT_MAGIC, psbtV2ToV0, psbtVersionOf, readPsbtMaps } from './psbt-map.ts';
import { MAX_PSBT_BYTES, checkPsbtLimits, checkPsbtSize } from './psbt-limits.ts';
import { tapLeafHash, taprootFieldsOf } from './psbt-taproot.ts';
import { ScriptFailure, verifyInput } from './bip322-interpreter.ts';

const { Output } = DescriptorsFactory(ecc);
const base58check = createBase58check(sha256);
type OutputInstance = InstanceType<typeof Output>;

let eccReady = false;
/** bitcoinjs-lib needs a secp256k1 backend for taproot addresses; set it once, lazily. */
export function ensureEcc(): void {
  if (!eccReady) {
    initEccLib(ecc);
    eccReady = true;
  }
}

/** The bitcoinjs-lib network parameters of a Soberana network (signet shares testnet's). */
export function bitcoinjsNetwork(network: Network): BNetwork {
  switch (network) {
    case 'main':
      return bNetworks.bitcoin;
    case 'test':
    case 'signet':
      return bNetworks.testnet;
    case 'regtest':
      return bNetworks.regtest;
  }
}

/** A decoded PSBT: the bitcoinjs-lib object (always v0 semantics) and the version it came in. */
export interface DecodedPsbt {
  readonly psbt: Psbt;
  readonly version: 0 | 2;
}

function startsWithMagic(b: Uint8Array): boolean {
  return b.length >= 5 && PSBT_MAGIC.every((m, i) => b[i] === m);
}

/**
 * The binary bytes of a PSBT given as base64, hex, or binary (`70736274ff…`; a binary buffer that
 * holds base64 text, a `.psbt` file written as text, is accepted too). Refuses input over
 * MAX_PSBT_BYTES before decoding it (DomainError INVALID_PSBT), and anything that is not one of
 * these encodings. The bytes are not parsed.
 */
export function psbtBytesOf(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError('psbtBytesOf: "input" expected string or Uint8Array');
  // hex is the longest encoding: twice the bytes, plus some whitespace
  if (input.length > 2 * MAX_PSBT_BYTES + 1024) checkPsbtSize(typeof input === 'string' ? Math.floor(input.length / 2) : input.length);
  if (typeof input !== 'string' && startsWithMagic(input)) {
    checkPsbtSize(input.length);
    return input;
  }
  const text = (typeof input === 'string' ? input : new TextDecoder().decode(input)).trim();
  if (text.length === 0) throw new DomainError('INVALID_PSBT', 'empty PSBT');
  let bytes: Uint8Array;
  if (/^(70736274ff)[0-9a-f]*$/i.test(text) && text.length % 2 === 0) bytes = hex.decode(text.toLowerCase());
  else {
    try {
      bytes = base64.decode(text);
    } catch {
      throw new DomainError('INVALID_PSBT', 'not a PSBT: neither base64 nor binary PSBT data');
    }
  }
  checkPsbtSize(bytes.length);
  return bytes;
}

/**
 * Decode a PSBT given as base64, hex, or binary bytes (`70736274ff…`); a binary buffer that
 * holds base64 text (a `.psbt` file written as text) is accepted too. v2 PSBTs are converted
 * to v0. Input from outside is untrusted: anything malformed, over the size caps
 * (`psbt-limits.ts`), with an amount outside 0…21,000,000 BTC, or with a previous transaction
 * that is not the one its input spends is DomainError('INVALID_PSBT'); no library error escapes.
 *
 * @example decodePsbt('cHNidP8BAH…').psbt.inputCount
 */
export function decodePsbt(input: Uint8Array | string, network: Network = 'main'): DecodedPsbt {
  try {
    const bytes = psbtBytesOf(input);
    const maps = readPsbtMaps(bytes);
    checkPsbtLimits(maps);
    const version = psbtVersionOf(maps.global) === 2 ? 2 : 0;
    const v0 = version === 2 ? psbtV2ToV0(maps) : bytes;
    let psbt: Psbt;
    try {
      psbt = Psbt.fromBuffer(v0, { network: bitcoinjsNetwork(network) });
    } catch (e) {
      throw new DomainError('INVALID_PSBT', `invalid PSBT: ${firstLine(e)}`);
    }
    checkPsbtAmounts(psbt);
    return { psbt, version };
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw new DomainError('INVALID_PSBT', `invalid PSBT: ${firstLine(e)}`);
  }
}

function amountInRange(v: bigint): boolean {
  return typeof v === 'bigint' && v >= 0n && v <= MAX_MONEY;
}

/**
 * Refuse (INVALID_PSBT) amounts no valid transaction has: an output, a witnessUtxo or an output of
 * a nonWitnessUtxo below 0 (a top bit set, read as signed) or above 21,000,000 BTC, outputs that
 * add up to more; and a nonWitnessUtxo that is not the transaction its input spends, or disagrees
 * with the input's witnessUtxo.
 */
function checkPsbtAmounts(psbt: Psbt): void {
  const tx = psbtCachedTx(psbt);
  let total = 0n;
  tx.outs.forEach((o, n) => {
    if (!amountInRange(o.value)) throw new DomainError('INVALID_PSBT', `output ${n}: its amount is out of range (negative or more than 21,000,000 BTC)`);
    total += o.value;
  });
  if (total > MAX_MONEY) throw new DomainError('INVALID_PSBT', 'the outputs add up to more than 21,000,000 BTC');
  psbt.data.inputs.forEach((inp, i) => {
    const txin = tx.ins[i];
    if (!txin) throw new DomainError('INVALID_PSBT', `input ${i} has no transaction input`);
    if (inp.witnessUtxo && !amountInRange(inp.witnessUtxo.value)) throw new DomainError('INVALID_PSBT', `input ${i}: the amount of the output it spends (witnessUtxo) is out of range`);
    if (!inp.nonWitnessUtxo) return;
    let prev: Transaction;
    try {
      prev = Transaction.fromBuffer(inp.nonWitnessUtxo);
    } catch {
      throw new DomainError('INVALID_PSBT', `input ${i}: its previous transaction (nonWitnessUtxo) is malformed`);
    }
    if (!prev.outs.every((o) => amountInRange(o.value))) throw new DomainError('INVALID_PSBT', `input ${i}: its previous transaction has an amount out of range`);
    if (hex.encode(prev.getHash()) !== hex.encode(txin.hash)) throw new DomainError('INVALID_PSBT', `input ${i}: its previous transaction (nonWitnessUtxo) is ${prev.getId()}, not the one the input spends`);
    const spent = prev.outs[txin.index];
    if (!spent) throw new DomainError('INVALID_PSBT', `input ${i}: its previous transaction has no output ${txin.index}`);
    if (inp.witnessUtxo && (spent.value !== inp.witnessUtxo.value || hex.encode(spent.script) !== hex.encode(inp.witnessUtxo.script))) {
      throw new DomainError('INVALID_PSBT', `input ${i}: its witnessUtxo and its previous transaction disagree about the output it spends`);
    }
  });
}

/**
 * The unsigned transaction bitcoinjs-lib parsed, read directly (its `txOutputs` getter also
 * computes an address per output); rebuilt from the public getters if that internal moves.
 */
function psbtCachedTx(psbt: Psbt): { ins: readonly { hash: Uint8Array; index: number }[]; outs: readonly { value: bigint }[] } {
  const tx = (psbt.data.globalMap.unsignedTx as unknown as { tx?: unknown }).tx;
  if (tx instanceof Transaction) return tx;
  return { ins: psbt.txInputs, outs: psbt.txOutputs };
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? '').replace(/^Format Error: /, '').slice(0, 200);
}

/** The unsigned transaction of a PSBT (no scriptSigs, no witnesses). */
export function unsignedTransaction(psbt: Psbt): Transaction {
  const tx = new Transaction();
  tx.version = psbt.version;
  tx.locktime = psbt.locktime;
  for (const i of psbt.txInputs) tx.addInput(Uint8Array.from(i.hash), i.index, i.sequence);
  for (const o of psbt.txOutputs) tx.addOutput(Uint8Array.from(o.script), o.value);
  return tx;
}

/** An input of a new PSBT: a vault UTXO. */
export interface PsbtInputSpec {
  txid: string;
  vout: number;
  value: bigint;
  /** true when the UTXO is on the vault's change branch (second multipath element). */
  change: boolean;
  index: number;
  /** The previous transaction; required for non-segwit (legacy P2SH) inputs. */
  nonWitnessUtxo?: Uint8Array;
  /** nSequence for this input, e.g. a relative timelock for a miniscript recovery path (overrides `rbf`). */
  sequence?: number;
}

/** An output of a new PSBT: a payment, or change back to the vault. */
export type PsbtOutputSpec = { address: string; value: bigint } | { change: true; index: number; value: bigint };

export interface CreatePsbtOptions {
  network: Network;
  /** The vault's descriptor (usually multipath `<0;1>/*`), with `#checksum`. */
  descriptor: string;
  inputs: PsbtInputSpec[];
  outputs: PsbtOutputSpec[];
  locktime?: number;
  /** Signal replaceability (nSequence 0xfffffffd). Default true. */
  rbf?: boolean;
  /** Allow paying a witness version 2–16 address (anyone can spend it today). Default false. */
  allowFutureWitnessVersion?: boolean;
}

const TXID_RE = /^[0-9a-f]{64}$/;

/**
 * The vault output at (branch, index). `branch` picks the multipath element (0 receive,
 * 1 change); a descriptor without multipath only has branch 0. The descriptor must carry its
 * BIP380 checksum (DomainError('INVALID_DESCRIPTOR') otherwise, or when it does not match).
 * Instances are cached and shared: treat the scripts and keys they return as read-only.
 */
export function vaultOutput(descriptor: string, network: Network, branch: number, index: number): OutputInstance {
  checkDescriptorBounds(descriptor.trim()); // before the library parses it: its parser is not linear
  if (!/#[a-z0-9]{8}$/.test(descriptor.trim())) throw new DomainError('INVALID_DESCRIPTOR', 'the vault descriptor needs its #checksum');
  const multipath = /<\d+(;\d+)+>/.test(descriptor);
  if (!multipath && branch !== 0) throw new DomainError('INVALID_DESCRIPTOR', 'the descriptor has no change branch (no <0;1> multipath)');
  const key = `${network}|${branch}|${index}|${descriptor}`;
  const known = outputCache.get(key);
  if (known) {
    // least recently used goes first: re-insert
    outputCache.delete(key);
    outputCache.set(key, known);
    return known;
  }
  let out: OutputInstance;
  try {
    out = new Output({
      descriptor,
      network: bitcoinjsNetwork(network),
      ...(multipath ? { change: branch } : {}),
      ...(/\*/.test(descriptor) ? { index } : {}),
      checksumRequired: true,
    });
  } catch (e) {
    throw new DomainError('INVALID_DESCRIPTOR', `invalid descriptor: ${firstLine(e)}`);
  }
  outputCache.set(key, out);
  if (outputCache.size > OUTPUT_CACHE_SIZE) outputCache.delete(outputCache.keys().next().value as string);
  return out;
}

/**
 * Parsed vault outputs, most recently used last. Building one costs 20–35 ms (the library parses
 * the descriptor and derives every key), and verifying a PSBT needs the same few again and again.
 * The instances are shared: never mutate the buffers they return (copy them into PSBTs).
 */
const outputCache = new Map<string, OutputInstance>();
const OUTPUT_CACHE_SIZE = 256;

interface KeyOrigin {
  masterFingerprint: Uint8Array;
  pubkey: Uint8Array;
  path: string;
}

function keyOriginsOf(out: OutputInstance): KeyOrigin[] {
  const map = out.expand().expansionMap ?? {};
  const result: KeyOrigin[] = [];
  for (const info of Object.values(map)) {
    if (!info.pubkey) continue;
    // bip174 reads only ' as hardened: an "h" origin (48h/1h/…) would be serialized as unhardened.
    if (info.masterFingerprint && info.path) result.push({ masterFingerprint: info.masterFingerprint, pubkey: info.pubkey, path: info.path.replace(/h/g, "'") });
    else if (info.bip32) result.push({ masterFingerprint: info.bip32.fingerprint, pubkey: info.pubkey, path: `m${info.keyPath ?? ''}` });
  }
  return result;
}

/** The extended public keys of a descriptor, for PSBT_GLOBAL_XPUB (origin fingerprint and path). */
function globalXpubsOf(out: OutputInstance): { extendedPubkey: Uint8Array; masterFingerprint: Uint8Array; path: string }[] {
  const map = out.expand().expansionMap ?? {};
  const seen = new Set<string>();
  const result: { extendedPubkey: Uint8Array; masterFingerprint: Uint8Array; path: string }[] = [];
  for (const info of Object.values(map)) {
    if (!info.xPub || !info.bip32 || seen.has(info.xPub)) continue;
    seen.add(info.xPub);
    result.push({
      extendedPubkey: base58check.decode(info.xPub),
      masterFingerprint: info.masterFingerprint ?? info.bip32.fingerprint,
      path: `m${info.originPath ?? ''}`.replace(/h/g, "'"), // bip174 accepts only ' for hardened steps
    });
  }
  return result;
}

/** A payment destination's script: refuses other networks and witness versions 2–16 (address.ts `paymentScript`). */
function outputScriptOf(addr: string, network: Network, allowFutureWitnessVersion: boolean): Uint8Array {
  ensureEcc();
  return paymentScript(addr, network, { allowFutureWitnessVersion });
}

/** The fields of one PSBT input, as `Psbt.addInput` takes them (outpoint, nSequence, BIP174 fields). */
export type PsbtInputFields = Parameters<Psbt['addInput']>[0];

/**
 * Add `inputs` to an unsigned PSBT, in order: the same PSBT as `psbt.addInput` one input at a time,
 * in linear instead of quadratic time. bitcoinjs-lib's `addInput` re-examines every earlier input
 * (whether it is taproot, whether it is signed: a P2TR test on each witnessUtxo script), which over
 * a few hundred inputs takes seconds. Here each outpoint is added bare first (the library still runs
 * every check, the duplicate-outpoint check included, on inputs that are cheap to examine), then its
 * fields go in with `updateInput`, the very call `addInput` makes for them (same field checks, same
 * nonWitnessUtxo cache). Refuses a PSBT that already has signatures, as `addInput` does.
 */
export function addInputsLinear(psbt: Psbt, inputs: readonly PsbtInputFields[]): void {
  const start = psbt.inputCount;
  for (const inp of inputs) {
    psbt.addInput({ hash: inp.hash, index: inp.index, ...(inp.sequence !== undefined ? { sequence: inp.sequence } : {}), ...(inp.unknownKeyVals ? { unknownKeyVals: inp.unknownKeyVals } : {}) });
  }
  inputs.forEach((inp, k) => {
    const { hash: _h, index: _i, sequence: _s, unknownKeyVals: _u, ...fields } = inp;
    psbt.updateInput(start + k, fields);
  });
}

/**
 * Build an unsigned PSBT that spends vault UTXOs. Every input gets its witnessUtxo (and
 * nonWitnessUtxo when given), witnessScript/redeemScript and the BIP32 derivation of every
 * cosigner; change outputs get their scripts and derivations too (so hardware signers can
 * verify change); the vault's xpubs go into PSBT_GLOBAL_XPUB.
 *
 * @example
 *   createPsbt({ network: 'regtest', descriptor, rbf: true,
 *     inputs: [{ txid, vout: 0, value: 100_000n, change: false, index: 0 }],
 *     outputs: [{ address: 'bcrt1q…', value: 60_000n }, { change: true, index: 0, value: 39_000n }] })
 */
export function createPsbt(opts: CreatePsbtOptions): string {
  ensureEcc();
  const { network, descriptor } = opts;
  if (opts.inputs.length === 0) throw new DomainError('INVALID_ARGUMENT', 'a PSBT needs at least one input');
  if (opts.outputs.length === 0) throw new DomainError('INVALID_ARGUMENT', 'a PSBT needs at least one output');
  const sequence = opts.rbf === false ? (opts.locktime ? 0xfffffffe : 0xffffffff) : 0xfffffffd;
  const psbt = new Psbt({ network: bitcoinjsNetwork(network) });
  psbt.setVersion(2);
  psbt.setLocktime(opts.locktime ?? 0);
  const first = vaultOutput(descriptor, network, 0, 0);
  const xpubs = globalXpubsOf(first);
  if (xpubs.length > 0) psbt.updateGlobal({ globalXpub: xpubs });

  let totalIn = 0n;
  const pending: PsbtInputFields[] = [];
  opts.inputs.forEach((inp, n) => {
    if (!TXID_RE.test(inp.txid)) throw new DomainError('INVALID_ARGUMENT', `input ${n}: txid must be 64 lowercase hex characters`);
    if (!Number.isInteger(inp.vout) || inp.vout < 0) throw new RangeError(`"inputs[${n}].vout" must be a non-negative integer`);
    if (inp.value <= 0n) throw new DomainError('INVALID_AMOUNT', `input ${n}: value must be positive`);
    const out = vaultOutput(descriptor, network, inp.change ? 1 : 0, inp.index);
    const script = out.getScriptPubKey();
    if (inp.nonWitnessUtxo) {
      let prev: Transaction;
      try {
        prev = Transaction.fromBuffer(inp.nonWitnessUtxo);
      } catch {
        throw new DomainError('INVALID_ARGUMENT', `input ${n}: the previous transaction is malformed`);
      }
      if (prev.getId() !== inp.txid) throw new DomainError('INVALID_ARGUMENT', `input ${n}: the previous transaction is ${prev.getId()}, not ${inp.txid}`);
      const spent = prev.outs[inp.vout];
      if (!spent || spent.value !== inp.value || hex.encode(spent.script) !== hex.encode(script)) {
        throw new DomainError('INVALID_ARGUMENT', `input ${n}: output ${inp.vout} of the previous transaction is not this vault output with value ${inp.value}`);
      }
    } else if (!out.isSegwit()) {
      throw new DomainError('INVALID_ARGUMENT', `input ${n} spends a legacy (non-segwit) output: its previous transaction (nonWitnessUtxo) is required`);
    }
    if (inp.sequence !== undefined && (!Number.isInteger(inp.sequence) || inp.sequence < 0 || inp.sequence > 0xffffffff)) throw new RangeError(`"inputs[${n}].sequence" must be a 32-bit unsigned integer`);
    if (out.isTaproot()) {
      const t = taprootFieldsOf(out, bitcoinjsNetwork(network));
      pending.push({
        hash: inp.txid,
        index: inp.vout,
        sequence: inp.sequence ?? sequence,
        witnessUtxo: { script, value: inp.value },
        tapInternalKey: t.tapInternalKey,
        tapLeafScript: t.tapLeafScript,
        tapBip32Derivation: t.tapBip32Derivation,
      });
      totalIn += inp.value;
      return;
    }
    const witnessScript = out.getWitnessScript();
    const redeemScript = out.getRedeemScript();
    pending.push({
      hash: inp.txid,
      index: inp.vout,
      sequence: inp.sequence ?? sequence,
      ...(out.isSegwit() ? { witnessUtxo: { script, value: inp.value } } : {}),
      ...(inp.nonWitnessUtxo ? { nonWitnessUtxo: inp.nonWitnessUtxo } : {}),
      ...(witnessScript ? { witnessScript } : {}),
      ...(redeemScript ? { redeemScript } : {}),
      bip32Derivation: keyOriginsOf(out),
    });
    totalIn += inp.value;
  });
  addInputsLinear(psbt, pending);

  let totalOut = 0n;
  opts.outputs.forEach((o, n) => {
    if (o.value <= 0n) throw new DomainError('INVALID_AMOUNT', `output ${n}: value must be positive`);
    totalOut += o.value;
    if ('address' in o) {
      psbt.addOutput({ script: outputScriptOf(o.address, network, opts.allowFutureWitnessVersion === true), value: o.value });
      return;
    }
    const out = vaultOutput(descriptor, network, 1, o.index);
    if (out.isTaproot()) {
      const t = taprootFieldsOf(out, bitcoinjsNetwork(network));
      psbt.addOutput({ script: out.getScriptPubKey(), value: o.value });
      psbt.updateOutput(n, { tapInternalKey: t.tapInternalKey, tapBip32Derivation: t.tapBip32Derivation, ...(t.tapTree.leaves.length > 0 ? { tapTree: t.tapTree } : {}) });
      return;
    }
    const witnessScript = out.getWitnessScript();
    const redeemScript = out.getRedeemScript();
    psbt.addOutput({ script: out.getScriptPubKey(), value: o.value });
    psbt.updateOutput(n, {
      bip32Derivation: keyOriginsOf(out),
      ...(witnessScript ? { witnessScript } : {}),
      ...(redeemScript ? { redeemScript } : {}),
    });
  });
  if (totalOut > totalIn) throw new DomainError('INSUFFICIENT_FUNDS', `outputs (${totalOut} sats) exceed inputs (${totalIn} sats)`);
  return psbt.toBase64();
}

/**
 * Combine partial PSBTs of the same unsigned transaction (BIP174 Combiner). A PSBT for another
 * transaction is refused with DomainError('PSBT_MISMATCH').
 *
 * @example combinePsbts([signedByAlice, signedByBob])
 */
export function combinePsbts(psbts: readonly (string | Uint8Array)[]): string {
  const [first, ...rest] = psbts.map((p) => decodePsbt(p).psbt);
  if (!first) throw new DomainError('INVALID_ARGUMENT', 'nothing to combine: no PSBT given');
  const txid = unsignedTransaction(first).getId();
  rest.forEach((p, i) => {
    const other = unsignedTransaction(p).getId();
    if (other !== txid) throw new DomainError('PSBT_MISMATCH', `PSBT ${i + 2} is for transaction ${other}, not ${txid}`);
  });
  try {
    if (rest.length > 0) first.combine(...rest);
  } catch (e) {
    throw new DomainError('INVALID_PSBT', `cannot combine: ${firstLine(e)}`);
  }
  return first.toBase64();
}

/** `m` of an `m`-of-`n` bare multisig script, with its keys; undefined for other scripts. */
export function multisigOf(script: Uint8Array | undefined): { m: number; pubkeys: Uint8Array[] } | undefined {
  if (!script) return undefined;
  const chunks = bScript.decompile(script);
  if (!chunks || chunks.length < 4) return undefined;
  const last = chunks[chunks.length - 1];
  if (last !== 0xae /* OP_CHECKMULTISIG */) return undefined;
  const m = smallInt(chunks[0]);
  const n = smallInt(chunks[chunks.length - 2]);
  const keys = chunks.slice(1, -2);
  if (m === undefined || n === undefined || keys.length !== n || m < 1 || m > n) return undefined;
  if (!keys.every((k): k is Uint8Array => k instanceof Uint8Array && (k.length === 33 || k.length === 65))) return undefined;
  return { m, pubkeys: keys };
}

function smallInt(c: number | Uint8Array | undefined): number | undefined {
  if (typeof c !== 'number') return undefined;
  if (c >= 0x51 && c <= 0x60) return c - 0x50;
  return undefined;
}

/** The script that holds the spending conditions of an input: witnessScript, else redeemScript. */
export function spendingScriptOf(input: { witnessScript?: Uint8Array; redeemScript?: Uint8Array }): Uint8Array | undefined {
  return input.witnessScript ?? input.redeemScript;
}

function isFinalized(input: { finalScriptSig?: Uint8Array; finalScriptWitness?: Uint8Array }): boolean {
  return input.finalScriptSig !== undefined || input.finalScriptWitness !== undefined;
}

/** BIP144 serialization of a witness stack (the PSBT_IN_FINAL_SCRIPTWITNESS value). */
export function serializeWitness(stack: readonly Uint8Array[]): Uint8Array {
  const out: number[] = [];
  const varint = (n: number): void => {
    if (n < 0xfd) out.push(n);
    else if (n <= 0xffff) out.push(0xfd, n & 0xff, n >>> 8);
    else out.push(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  };
  varint(stack.length);
  for (const item of stack) {
    varint(item.length);
    out.push(...item);
  }
  return Uint8Array.from(out);
}

export interface FinalizeOptions {
  /** The vault descriptor: needed for miniscript inputs (anything that is not plain multisig). */
  descriptor?: string;
  network?: Network;
  /**
   * Keep each finalized input's BIP32 derivations. A BIP174 finalizer clears every other field;
   * kept, they tie the final scripts to the vault address they spend, so `verifyPsbtInputs` can
   * check the PSBT later without the proposal. Default false (BIP174 behaviour).
   */
  keepDerivations?: boolean;
}

/**
 * Finalize every input (BIP174 Input Finalizer): plain multisig through bitcoinjs-lib (extra
 * signatures beyond the threshold are dropped), miniscript through @bitcoinerlab/descriptors
 * when the vault descriptor is given. Too few signatures: DomainError('PSBT_INCOMPLETE').
 *
 * @example extractTransaction(finalizePsbt(combined))
 */
export function finalizePsbt(input: string | Uint8Array, opts: FinalizeOptions = {}): string {
  ensureEcc();
  const network = opts.network ?? 'main';
  const { psbt } = decodePsbt(input, network);
  psbt.data.inputs.forEach((inp, i) => {
    if (isFinalized(inp)) return;
    const { bip32Derivation, tapBip32Derivation } = inp;
    finalizeOne(psbt, inp, i, opts, network);
    if (!opts.keepDerivations) return;
    const done = psbt.data.inputs[i];
    if (done && bip32Derivation && !done.bip32Derivation) done.bip32Derivation = bip32Derivation;
    if (done && tapBip32Derivation && !done.tapBip32Derivation) done.tapBip32Derivation = tapBip32Derivation;
  });
  return psbt.toBase64();
}

function finalizeOne(psbt: Psbt, inp: Psbt['data']['inputs'][number], i: number, opts: FinalizeOptions, network: Network): void {
  if (inp.tapKeySig && !inp.tapLeafScript?.length && !inp.tapScriptSig?.length) {
    // taproot key path (a tr(KEY) vault): the witness is the signature alone (standard finalizer)
    try {
      psbt.finalizeTaprootInput(i);
    } catch (e) {
      throw new DomainError('PSBT_INCOMPLETE', `input ${i} cannot be finalized: ${firstLine(e)}`);
    }
    return;
  }
  if (inp.tapInternalKey || inp.tapLeafScript) {
    if (!opts.descriptor) throw new DomainError('PSBT_INCOMPLETE', `input ${i} is a taproot input: the vault descriptor is needed to finalize it`);
    finalizeTaprootWithDescriptor(psbt, i, opts.descriptor, network);
    return;
  }
  const sigs = inp.partialSig ?? [];
  const ms = multisigOf(spendingScriptOf(inp));
  if (ms) {
    const inScript = sigs.filter((s) => ms.pubkeys.some((k) => hex.encode(k) === hex.encode(s.pubkey)));
    if (inScript.length < ms.m) throw new DomainError('PSBT_INCOMPLETE', `input ${i} has ${inScript.length} of ${ms.m} signatures`);
    // Keep exactly m signatures (in script order), as CHECKMULTISIG consumes exactly m.
    const order = (s: { pubkey: Uint8Array }): number => ms.pubkeys.findIndex((k) => hex.encode(k) === hex.encode(s.pubkey));
    inp.partialSig = [...inScript].sort((a, b) => order(a) - order(b)).slice(0, ms.m);
    tryFinalize(psbt, i);
    return;
  }
  if (!inp.witnessScript && (!inp.redeemScript || isP2wpkhProgram(inp.redeemScript))) {
    // single-key script types (P2PKH, P2WPKH, P2SH-P2WPKH whose redeem script is the P2WPKH
    // program): bitcoinjs-lib's standard finalizer, as @bitcoinerlab/descriptors' own finalizer
    // does for descriptors without miniscript (its satisfier knows miniscript only)
    if (sigs.length === 0 && !inp.tapKeySig) throw new DomainError('PSBT_INCOMPLETE', `input ${i} has 0 of 1 signatures`);
    tryFinalize(psbt, i);
    return;
  }
  if (!opts.descriptor) throw new DomainError('PSBT_INCOMPLETE', `input ${i} is not plain multisig: the vault descriptor is needed to finalize it`);
  finalizeWithDescriptor(psbt, i, opts.descriptor, network);
}

/** A P2WPKH witness program (OP_0 <20 bytes>): the redeem script of a P2SH-P2WPKH output. */
function isP2wpkhProgram(script: Uint8Array): boolean {
  return script.length === 22 && script[0] === 0x00 && script[1] === 0x14;
}

/**
 * The key of a single-key vault output (pkh, wpkh, sh(wpkh)), or undefined for any other kind.
 * @bitcoinerlab/descriptors' `getScriptSatisfaction` satisfies miniscript only (it throws "cannot
 * get satisfaction from not expanded miniscript" for these): one signature by this key satisfies
 * them, and bitcoinjs-lib's standard finalizer builds their scripts.
 */
function singleKeyOf(out: OutputInstance): Uint8Array | undefined {
  if (out.isTaproot()) return undefined;
  const e = out.expand();
  if (e.miniscript !== undefined || !SINGLE_KEY_EXPRESSIONS.includes(e.expandedExpression ?? '')) return undefined;
  return e.expansionMap?.['@0']?.pubkey;
}
const SINGLE_KEY_EXPRESSIONS = ['pkh(@0)', 'wpkh(@0)', 'sh(wpkh(@0))'];

/** A tr(KEY) vault output (no script tree): it is spent by its key path only. */
function keyPathOnly(out: OutputInstance): boolean {
  return out.isTaproot() === true && out.expand().expandedExpression === 'tr(@0)';
}

/** Whether the partial signatures include one by the single key of `out` (see `singleKeyOf`). */
function singleKeySigned(key: Uint8Array, sigs: readonly { pubkey: Uint8Array }[]): boolean {
  const k = hex.encode(key);
  return sigs.some((s) => hex.encode(s.pubkey) === k);
}

function tryFinalize(psbt: Psbt, i: number): void {
  try {
    psbt.finalizeInput(i);
  } catch (e) {
    throw new DomainError('PSBT_INCOMPLETE', `input ${i} cannot be finalized: ${firstLine(e)}`);
  }
}

/**
 * The (branch, index) of a vault input, from the last two steps of a BIP32 derivation whose
 * script, re-derived from the descriptor, is the input's.
 */
export function locateVaultInput(
  inp: { bip32Derivation?: { path: string }[]; tapBip32Derivation?: { path: string }[]; witnessScript?: Uint8Array; redeemScript?: Uint8Array; witnessUtxo?: { script: Uint8Array } },
  descriptor: string,
  network: Network,
): { branch: number; index: number; output: OutputInstance } | undefined {
  const tried = new Set<string>();
  for (const d of [...(inp.bip32Derivation ?? []), ...(inp.tapBip32Derivation ?? [])]) {
    const steps = d.path.split('/');
    const idx = steps[steps.length - 1];
    const br = steps[steps.length - 2];
    if (!idx || !br || /['h]$/.test(idx) || /['h]$/.test(br)) continue;
    const index = Number(idx);
    const branch = Number(br);
    const key = `${branch}/${index}`;
    if (tried.has(key) || !Number.isInteger(index) || !Number.isInteger(branch)) continue;
    tried.add(key);
    const multipath = /<\d+(;\d+)+>/.test(descriptor);
    let out: OutputInstance;
    try {
      out = vaultOutput(descriptor, network, multipath ? branch : 0, index);
    } catch (e) {
      if (isDomainError(e)) continue;
      throw e;
    }
    const want = spendingScriptOf(inp);
    const got = out.getWitnessScript() ?? out.getRedeemScript();
    if (want && got && hex.encode(want) === hex.encode(got)) return { branch: multipath ? branch : 0, index, output: out };
    if (!want && inp.witnessUtxo && hex.encode(inp.witnessUtxo.script) === hex.encode(out.getScriptPubKey())) return { branch: multipath ? branch : 0, index, output: out };
  }
  return undefined;
}

function finalizeWithDescriptor(psbt: Psbt, i: number, descriptor: string, network: Network): void {
  const inp = psbt.data.inputs[i];
  if (!inp) throw new RangeError(`"input" ${i} out of range`);
  const found = locateVaultInput(inp, descriptor, network);
  if (!found) throw new DomainError('PSBT_MISMATCH', `input ${i} does not belong to the given vault descriptor`);
  const sigs = inp.partialSig ?? [];
  let satisfaction: Uint8Array;
  let constraints: { nLockTime: number | undefined; nSequence: number | undefined };
  try {
    const withSigners = vaultOutputWithSigners(descriptor, network, found.branch, found.index, sigs.map((s) => s.pubkey));
    const r = withSigners.getScriptSatisfaction(sigs);
    satisfaction = r.scriptSatisfaction;
    constraints = r;
  } catch (e) {
    throw new DomainError('PSBT_INCOMPLETE', `input ${i} cannot be satisfied with its ${sigs.length} signature(s): ${firstLine(e)}`);
  }
  const timelockProblem = timelockMismatch(psbt, i, constraints);
  if (timelockProblem) throw new DomainError('PSBT_INCOMPLETE', `input ${i}: ${timelockProblem}`);
  const stack = (bScript.decompile(satisfaction) ?? []).map((c) => {
    if (c instanceof Uint8Array) return c;
    if (c === 0) return new Uint8Array();
    if (c >= 0x51 && c <= 0x60) return Uint8Array.of(c - 0x50);
    if (c === 0x4f) return Uint8Array.of(0x81);
    throw new DomainError('PSBT_INCOMPLETE', `input ${i}: unexpected opcode in the satisfaction`);
  });
  const ws = found.output.getWitnessScript();
  const rs = found.output.getRedeemScript();
  psbt.finalizeInput(i, () => {
    if (ws) {
      return {
        finalScriptWitness: serializeWitness([...stack, ws]),
        finalScriptSig: rs ? bScript.compile([rs]) : undefined,
      };
    }
    return { finalScriptSig: bScript.compile([...stack, ...(rs ? [rs] : [])]), finalScriptWitness: undefined };
  });
}

function timelockMismatch(psbt: Psbt, i: number, c: { nLockTime: number | undefined; nSequence: number | undefined }): string | undefined {
  const seq = psbt.txInputs[i]?.sequence;
  if (c.nSequence !== undefined && seq !== c.nSequence) return `the signed spending path needs nSequence ${c.nSequence}, the transaction has ${seq ?? 'none'}`;
  if (c.nLockTime !== undefined && psbt.locktime !== c.nLockTime) return `the signed spending path needs nLockTime ${c.nLockTime}, the transaction has ${psbt.locktime}`;
  return undefined;
}

/**
 * Whether input `i` (a vault input that is not plain multisig, e.g. miniscript) can be
 * satisfied with the partial signatures it has, timelocks included (via @bitcoinerlab/descriptors).
 */
export function satisfiableWithDescriptor(psbt: Psbt, i: number, descriptor: string, network: Network): boolean {
  const inp = psbt.data.inputs[i];
  if (!inp) return false;
  if (inp.tapInternalKey || inp.tapLeafScript) {
    if (inp.tapKeySig) {
      const found = locateVaultInput(inp, descriptor, network);
      return found !== undefined && keyPathOnly(found.output);
    }
    const tsigs = (inp.tapScriptSig ?? []).map((x) => ({ pubkey: x.pubkey, signature: x.signature }));
    if (tsigs.length === 0) return false;
    try {
      const found = locateVaultInput(inp, descriptor, network);
      if (!found) return false;
      const r = vaultOutputWithSigners(descriptor, network, found.branch, found.index, tsigs.map((x) => x.pubkey), true).getTapScriptSatisfaction(tsigs);
      return timelockMismatch(psbt, i, r) === undefined;
    } catch {
      return false;
    }
  }
  const sigs = inp.partialSig ?? [];
  if (sigs.length === 0) return false;
  try {
    const found = locateVaultInput(inp, descriptor, network);
    if (!found) return false;
    const single = singleKeyOf(found.output);
    if (single) return singleKeySigned(single, sigs);
    const r = vaultOutputWithSigners(descriptor, network, found.branch, found.index, sigs.map((s) => s.pubkey)).getScriptSatisfaction(sigs);
    return timelockMismatch(psbt, i, r) === undefined;
  } catch {
    return false;
  }
}

function finalizeTaprootWithDescriptor(psbt: Psbt, i: number, descriptor: string, network: Network): void {
  const inp = psbt.data.inputs[i];
  if (!inp) throw new RangeError(`"input" ${i} out of range`);
  const found = locateVaultInput(inp, descriptor, network);
  if (!found || !found.output.isTaproot()) throw new DomainError('PSBT_MISMATCH', `input ${i} does not belong to the given vault descriptor`);
  const sigs = (inp.tapScriptSig ?? []).map((s) => ({ pubkey: s.pubkey, signature: s.signature }));
  let sat: { stackItems: Uint8Array[]; tapLeafHash: Uint8Array; nLockTime: number | undefined; nSequence: number | undefined };
  try {
    sat = vaultOutputWithSigners(descriptor, network, found.branch, found.index, sigs.map((s) => s.pubkey), true).getTapScriptSatisfaction(sigs);
  } catch (e) {
    throw new DomainError('PSBT_INCOMPLETE', `input ${i} cannot be satisfied with its ${sigs.length} signature(s): ${firstLine(e)}`);
  }
  const timelockProblem = timelockMismatch(psbt, i, sat);
  if (timelockProblem) throw new DomainError('PSBT_INCOMPLETE', `input ${i}: ${timelockProblem}`);
  const leaf = (inp.tapLeafScript ?? []).find((l) => hex.encode(tapLeafHash(l.script, l.leafVersion)) === hex.encode(sat.tapLeafHash));
  if (!leaf) throw new DomainError('INVALID_PSBT', `input ${i}: the satisfied leaf is missing from PSBT_IN_TAP_LEAF_SCRIPT`);
  const witness = serializeWitness([...sat.stackItems, leaf.script, leaf.controlBlock]);
  psbt.finalizeTaprootInput(i, undefined, () => ({ finalScriptWitness: witness }));
}

function vaultOutputWithSigners(descriptor: string, network: Network, branch: number, index: number, signersPubKeys: Uint8Array[], scriptPath = false): OutputInstance {
  checkDescriptorBounds(descriptor.trim());
  const multipath = /<\d+(;\d+)+>/.test(descriptor);
  return new Output({
    ...(scriptPath ? { taprootSpendPath: 'script' as const } : {}),
    descriptor,
    network: bitcoinjsNetwork(network),
    ...(multipath ? { change: branch } : {}),
    ...(/\*/.test(descriptor) ? { index } : {}),
    checksumRequired: true,
    signersPubKeys,
  });
}

/** The value of the output an input spends, when the PSBT says (witnessUtxo or nonWitnessUtxo). */
export function inputValueOf(psbt: Psbt, i: number): bigint | null {
  const inp = psbt.data.inputs[i];
  const txin = psbt.txInputs[i];
  if (!inp || !txin) return null;
  if (inp.witnessUtxo) return inp.witnessUtxo.value;
  if (inp.nonWitnessUtxo) {
    try {
      return Transaction.fromBuffer(inp.nonWitnessUtxo).outs[txin.index]?.value ?? null;
    } catch {
      return null;
    }
  }
  return null;
}

/** The fee of a PSBT's transaction; null when an input's value is unknown. */
export function feeOf(psbt: Psbt): bigint | null {
  let total = 0n;
  for (let i = 0; i < psbt.inputCount; i++) {
    const v = inputValueOf(psbt, i);
    if (v === null) return null;
    total += v;
  }
  for (const o of psbt.txOutputs) total -= o.value;
  return total;
}

/**
 * Extract the final transaction (BIP174 Transaction Extractor) of a finalized PSBT.
 * Unfinalized inputs: DomainError('PSBT_INCOMPLETE').
 *
 * @example const { txid, hex } = extractTransaction(finalizePsbt(combined));
 */
export function extractTransaction(input: string | Uint8Array): { txid: string; hex: string; vsize: number; fee: bigint } {
  const { psbt } = decodePsbt(input);
  psbt.data.inputs.forEach((inp, i) => {
    if (!isFinalized(inp)) throw new DomainError('PSBT_INCOMPLETE', `input ${i} is not finalized`);
  });
  const fee = feeOf(psbt);
  if (fee === null) throw new DomainError('INVALID_PSBT', 'the PSBT does not say the value of every input');
  if (fee < 0n) throw new DomainError('INVALID_PSBT', 'outputs exceed inputs');
  let tx: Transaction;
  try {
    tx = psbt.extractTransaction(true);
  } catch (e) {
    throw new DomainError('INVALID_PSBT', `cannot extract the transaction: ${firstLine(e)}`);
  }
  return { txid: tx.getId(), hex: tx.toHex(), vsize: tx.virtualSize(), fee };
}

const SIGHASH_ALL = 0x01;

/** What verification found for one input. */
export interface VerifiedInput {
  /** The input carries final scripts (finalScriptSig/finalScriptWitness), which were verified. */
  readonly finalized: boolean;
  /** Valid signatures by the vault's keys: partial signatures, or those in the final scripts. */
  readonly signatures: number;
  /** Signatures the vault's script needs; null when it is not plain multisig (miniscript, taproot). */
  readonly required: number | null;
  /** Finalized and verified, or enough verified partial signatures to finalize it. */
  readonly complete: boolean;
}

export interface PsbtVerification {
  /** Id of the unsigned transaction. */
  readonly unsignedTxid: string;
  readonly inputs: readonly VerifiedInput[];
  /** Every input is complete: the PSBT can be finalized (or is final) and will verify. */
  readonly complete: boolean;
}

export interface VerifyInputsOptions {
  /** The vault's descriptor, with its #checksum. */
  descriptor: string;
  network: Network;
  /**
   * The proposal's own PSBT (what we created and sent out). When given, the PSBT must be for the
   * same unsigned transaction (else PSBT_MISMATCH), must not disagree with it about the outputs
   * its inputs spend (else PSBT_MISMATCH), and the proposal's BIP32 derivations and UTXOs are
   * used to find each input's vault address: finalizers drop derivations from finalized inputs.
   */
  proposal?: string | Uint8Array;
}

interface Prevout {
  script: Uint8Array;
  value: bigint;
}

/** The output input `i` spends, from its witnessUtxo or nonWitnessUtxo (checked at decode). */
function prevoutOf(psbt: Psbt, i: number): Prevout | undefined {
  const inp = psbt.data.inputs[i];
  const txin = psbt.txInputs[i];
  if (!inp || !txin) return undefined;
  if (inp.witnessUtxo) return { script: inp.witnessUtxo.script, value: inp.witnessUtxo.value };
  if (inp.nonWitnessUtxo) {
    const o = Transaction.fromBuffer(inp.nonWitnessUtxo).outs[txin.index];
    return o ? { script: o.script, value: o.value } : undefined;
  }
  return undefined;
}

function samePrevout(a: Prevout, b: Prevout): boolean {
  return a.value === b.value && hex.encode(a.script) === hex.encode(b.script);
}

function invalid(i: number, message: string): DomainError {
  return new DomainError('INVALID_SIGNATURE', `input ${i}: ${message}`);
}

/**
 * Verify every input of a PSBT against the vault, the way a node would judge the transaction:
 *
 * - a FINALIZED input (finalScriptSig/finalScriptWitness) is run through the script interpreter
 *   (`bip322-interpreter.ts`: standard-policy rules, SIGHASH_ALL only for ECDSA, DEFAULT or ALL
 *   for Schnorr) against the output it spends, which must be the vault's script at the input's
 *   BIP32 derivation; its witness script (or taproot leaf and control block) must be exactly the
 *   vault's. Signatures are checked for the sighash of THIS transaction.
 * - every PARTIAL signature must be by one of the vault's keys at that derivation, SIGHASH_ALL
 *   (or DEFAULT for taproot), and verify (bitcoinjs-lib computes the sighash).
 *
 * Anything that fails: DomainError('INVALID_SIGNATURE', naming the input). An input is complete
 * when it is finalized-and-verified or has enough verified signatures (miniscript and taproot:
 * the descriptor's satisfier says whether they satisfy, timelocks included).
 *
 * @example verifyPsbtInputs(upload, { descriptor: vault.descriptor, network: vault.network, proposal: p.psbt }).complete
 */
export function verifyPsbtInputs(input: string | Uint8Array, opts: VerifyInputsOptions): PsbtVerification {
  ensureEcc();
  const { descriptor, network } = opts;
  const { psbt } = decodePsbt(input, network);
  const ref = opts.proposal === undefined ? undefined : decodePsbt(opts.proposal, network).psbt;
  const unsignedTxid = unsignedTransaction(psbt).getId();
  if (ref) {
    const refTxid = unsignedTransaction(ref).getId();
    if (refTxid !== unsignedTxid) throw new DomainError('PSBT_MISMATCH', `the PSBT is for transaction ${unsignedTxid}, not the proposal's ${refTxid}`);
  }
  const prevouts = psbt.data.inputs.map((inp, j) => {
    const own = prevoutOf(psbt, j);
    const theirs = ref ? prevoutOf(ref, j) : undefined;
    if (own && theirs && !samePrevout(own, theirs)) throw new DomainError('PSBT_MISMATCH', `input ${j}: the PSBT says it spends another output (script or amount) than the proposal does`);
    // partial signatures are checked by bitcoinjs-lib, which reads the PSBT's own UTXO fields
    const refInp = ref?.data.inputs[j];
    if (!own && refInp?.nonWitnessUtxo) inp.nonWitnessUtxo = refInp.nonWitnessUtxo;
    if (!own && refInp?.witnessUtxo) inp.witnessUtxo = refInp.witnessUtxo;
    return theirs ?? own;
  });
  const inputs = psbt.data.inputs.map((inp, i) => {
    const refInp = ref?.data.inputs[i];
    const prevout = prevouts[i];
    const found = locateSpent(inp, refInp, prevout, descriptor, network);
    if (isFinalized(inp)) {
      if (!prevout) throw invalid(i, 'it is finalized, but the PSBT does not say which output it spends (no witnessUtxo or nonWitnessUtxo)');
      if (!found) throw invalid(i, 'it is finalized, but the output it spends is not this vault\'s (or its BIP32 derivation is missing: verify it against the proposal)');
      const signatures = verifyFinalScripts(psbt, i, found.output, prevouts, network);
      return { finalized: true, signatures, required: requiredOf(found.output), complete: true };
    }
    return verifyPartials(psbt, i, found, prevout, descriptor, network);
  });
  return { unsignedTxid, inputs, complete: inputs.length > 0 && inputs.every((x) => x.complete) };
}

/**
 * Check every partial signature (and every finalized input): see `verifyPsbtInputs`, whose
 * verdict this throws away. Otherwise DomainError('INVALID_SIGNATURE', which input/key).
 *
 * @example verifyPartialSignatures(partial, vault.descriptor, 'regtest')
 */
export function verifyPartialSignatures(input: string | Uint8Array, descriptor: string, network: Network): void {
  verifyPsbtInputs(input, { descriptor, network });
}

type Located = { branch: number; index: number; output: OutputInstance };

/**
 * The vault output an input spends: derivations from the PSBT and from the proposal are tried,
 * and the one whose re-derived script is the spent output's wins. Without a known spent output,
 * the input's own witness/redeem script is compared instead (then the caller checks the UTXO).
 */
function locateSpent(inp: PsbtInputData, refInp: PsbtInputData | undefined, prevout: Prevout | undefined, descriptor: string, network: Network): Located | undefined {
  const derivations = {
    bip32Derivation: [...(inp.bip32Derivation ?? []), ...(refInp?.bip32Derivation ?? [])],
    tapBip32Derivation: [...(inp.tapBip32Derivation ?? []), ...(refInp?.tapBip32Derivation ?? [])],
  };
  if (prevout) return locateVaultInput({ ...derivations, witnessUtxo: { script: prevout.script } }, descriptor, network);
  return locateVaultInput({ ...derivations, witnessScript: inp.witnessScript, redeemScript: inp.redeemScript }, descriptor, network);
}

type PsbtInputData = Psbt['data']['inputs'][number];

function requiredOf(output: OutputInstance): number | null {
  if (output.isTaproot()) return null;
  return multisigOf(output.getWitnessScript() ?? output.getRedeemScript())?.m ?? null;
}

function verifyPartials(psbt: Psbt, i: number, found: Located | undefined, prevout: Prevout | undefined, descriptor: string, network: Network): VerifiedInput {
  const inp = psbt.data.inputs[i];
  if (!inp) throw new RangeError(`"input" ${i} out of range`);
  // a key-path signature is accepted for a tr(KEY) vault only (it has no script path)
  if (inp.tapKeySig && !(found && keyPathOnly(found.output))) throw invalid(i, 'taproot key-path signatures are not accepted (the vault spends by its script path)');
  const sigs = inp.partialSig ?? [];
  const tsigs = inp.tapScriptSig ?? [];
  if (sigs.length === 0 && tsigs.length === 0 && !inp.tapKeySig) return { finalized: false, signatures: 0, required: found ? requiredOf(found.output) : null, complete: false };
  if (!found) throw invalid(i, 'not an output of this vault, its signatures cannot be checked');
  const at = `${found.branch}/${found.index}`;
  if (!prevout) throw invalid(i, 'the PSBT does not say which output it spends (no witnessUtxo or nonWitnessUtxo), its signatures cannot be checked');
  if (hex.encode(prevout.script) !== hex.encode(found.output.getScriptPubKey())) throw invalid(i, `the UTXO script is not the vault's script at ${at}`);
  if (found.output.isTaproot()) {
    if (sigs.length > 0) throw invalid(i, 'ECDSA partial signatures on a taproot input');
    if (inp.tapKeySig) {
      if (tsigs.length > 0) throw invalid(i, 'taproot script-path signatures on a tr(KEY) vault input');
      verifyTapKeySignature(psbt, i);
      return { finalized: false, signatures: 1, required: null, complete: true };
    }
    verifyTapScriptSignatures(psbt, i, found, network);
    return { finalized: false, signatures: tsigs.length, required: null, complete: satisfiable(psbt, i, found, descriptor, network) };
  }
  if (tsigs.length > 0) throw invalid(i, 'taproot signatures on an input that is not taproot');
  // bitcoinjs-lib computes the sighash from the PSBT's scripts: they must be the vault's
  const ws = found.output.getWitnessScript();
  const rs = found.output.getRedeemScript();
  if (inp.witnessScript && (!ws || hex.encode(inp.witnessScript) !== hex.encode(ws))) throw invalid(i, `its witnessScript is not the vault's at ${at}`);
  if (inp.redeemScript && (!rs || hex.encode(inp.redeemScript) !== hex.encode(rs))) throw invalid(i, `its redeemScript is not the vault's at ${at}`);
  if (ws && !inp.witnessScript) inp.witnessScript = Uint8Array.from(ws);
  if (rs && !inp.redeemScript) inp.redeemScript = Uint8Array.from(rs);
  const vaultKeys = keyOriginsOf(found.output).map((k) => hex.encode(k.pubkey));
  for (const s of sigs) {
    const pk = hex.encode(s.pubkey);
    if (!vaultKeys.includes(pk)) throw invalid(i, `signature by key ${pk} which is not a key of this vault at ${at}`);
    const decoded = decodeScriptSignature(s.signature, i, pk);
    if (decoded !== SIGHASH_ALL) throw invalid(i, `signature by key ${pk} is not SIGHASH_ALL`);
    let ok: boolean;
    try {
      ok = psbt.validateSignaturesOfInput(i, (pubkey, msghash, signature) => verifiedOnce('ecdsa', pubkey, msghash, signature), s.pubkey);
    } catch {
      ok = false;
    }
    if (!ok) throw invalid(i, `signature by key ${pk} does not verify`);
  }
  const ms = multisigOf(ws ?? rs);
  if (ms) {
    const inScript = sigs.filter((s) => ms.pubkeys.some((k) => hex.encode(k) === hex.encode(s.pubkey))).length;
    return { finalized: false, signatures: sigs.length, required: ms.m, complete: inScript >= ms.m };
  }
  return { finalized: false, signatures: sigs.length, required: null, complete: satisfiable(psbt, i, found, descriptor, network) };
}

/**
 * Signatures that verified, by (scheme, sighash, key, signature), most recently used last. A
 * signature check is a pure function of these three values: importing a partial PSBT checks every
 * signature in the upload and then every signature of the merged PSBT (the same ones again), and a
 * proof over hundreds of UTXOs carries hundreds of them, each check an EC multiplication. The
 * sighash is still computed from the PSBT being checked every time; only a signature that already
 * verified for exactly that sighash and key is not verified again. Failures are not kept.
 */
const verifiedSignatures = new Map<string, true>();
const VERIFIED_SIGNATURES_SIZE = 8192;

function verifiedOnce(scheme: 'ecdsa' | 'schnorr', pubkey: Uint8Array, msghash: Uint8Array, signature: Uint8Array): boolean {
  const key = `${scheme}|${hex.encode(msghash)}|${hex.encode(pubkey)}|${hex.encode(signature)}`;
  if (verifiedSignatures.has(key)) {
    verifiedSignatures.delete(key);
    verifiedSignatures.set(key, true);
    return true;
  }
  const ok = scheme === 'ecdsa' ? ecc.verify(msghash, pubkey, signature) : ecc.verifySchnorr(msghash, pubkey, signature);
  if (ok) {
    verifiedSignatures.set(key, true);
    if (verifiedSignatures.size > VERIFIED_SIGNATURES_SIZE) verifiedSignatures.delete(verifiedSignatures.keys().next().value as string);
  }
  return ok;
}

/** The key-path signature of a tr(KEY) vault input: SIGHASH_DEFAULT or ALL, by the output key (bitcoinjs-lib computes the sighash). */
function verifyTapKeySignature(psbt: Psbt, i: number): void {
  const sig = psbt.data.inputs[i]?.tapKeySig;
  if (!sig) throw new RangeError(`"input" ${i} has no tapKeySig`);
  if (sig.length !== 64 && !(sig.length === 65 && sig[64] === SIGHASH_ALL)) throw invalid(i, 'its key-path signature is not SIGHASH_DEFAULT or SIGHASH_ALL');
  let ok: boolean;
  try {
    ok = psbt.validateSignaturesOfInput(i, (pubkey, msghash, signature) => verifiedOnce('schnorr', pubkey, msghash, signature));
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(i, 'its key-path signature does not verify');
}

function verifyTapScriptSignatures(psbt: Psbt, i: number, found: Located, network: Network): void {
  const inp = psbt.data.inputs[i];
  if (!inp) throw new RangeError(`"input" ${i} out of range`);
  const at = `${found.branch}/${found.index}`;
  const fields = taprootFieldsOf(found.output, bitcoinjsNetwork(network));
  const vaultKeys = fields.tapBip32Derivation.map((d) => hex.encode(d.pubkey));
  const leaves = fields.tapLeafScript.map((l) => hex.encode(tapLeafHash(l.script, l.leafVersion)));
  for (const s of inp.tapScriptSig ?? []) {
    const pk = hex.encode(s.pubkey);
    if (!vaultKeys.includes(pk)) throw invalid(i, `signature by key ${pk} which is not a key of this vault at ${at}`);
    if (!leaves.includes(hex.encode(s.leafHash))) throw invalid(i, `signature by key ${pk} is for a script leaf that is not the vault's`);
    if (s.signature.length !== 64 && !(s.signature.length === 65 && s.signature[64] === SIGHASH_ALL)) {
      throw invalid(i, `signature by key ${pk} is not SIGHASH_DEFAULT or SIGHASH_ALL`);
    }
  }
  // the leaf scripts the sighash reads must be the vault's too
  if (!inp.tapLeafScript || inp.tapLeafScript.some((l) => !leaves.includes(hex.encode(tapLeafHash(l.script, l.leafVersion))))) inp.tapLeafScript = fields.tapLeafScript;
  let ok: boolean;
  try {
    ok = psbt.validateSignaturesOfInput(i, (pubkey, msghash, signature) => verifiedOnce('schnorr', pubkey, msghash, signature));
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(i, 'a taproot signature does not verify');
}

/** Whether the verified partial signatures of input `i` satisfy the vault's script (descriptor satisfier). */
function satisfiable(psbt: Psbt, i: number, found: Located, descriptor: string, network: Network): boolean {
  const inp = psbt.data.inputs[i];
  if (!inp) return false;
  try {
    if (found.output.isTaproot()) {
      const tsigs = (inp.tapScriptSig ?? []).map((x) => ({ pubkey: x.pubkey, signature: x.signature }));
      if (tsigs.length === 0) return false;
      const r = vaultOutputWithSigners(descriptor, network, found.branch, found.index, tsigs.map((x) => x.pubkey), true).getTapScriptSatisfaction(tsigs);
      return timelockMismatch(psbt, i, r) === undefined;
    }
    const sigs = inp.partialSig ?? [];
    if (sigs.length === 0) return false;
    const single = singleKeyOf(found.output);
    if (single) return singleKeySigned(single, sigs); // the signatures were verified by the caller
    const r = vaultOutputWithSigners(descriptor, network, found.branch, found.index, sigs.map((s) => s.pubkey)).getScriptSatisfaction(sigs);
    return timelockMismatch(psbt, i, r) === undefined;
  } catch {
    return false;
  }
}

/**
 * Verify the final scripts of input `i` against the vault output it spends; returns how many
 * signatures they carry. The structure is checked against the vault first (witness script,
 * redeem script, taproot leaf and control block: exactly the vault's), then the script
 * interpreter runs the scripts with the sighash of this transaction.
 */
function verifyFinalScripts(psbt: Psbt, i: number, output: OutputInstance, prevouts: readonly (Prevout | undefined)[], network: Network): number {
  const inp = psbt.data.inputs[i];
  if (!inp) throw new RangeError(`"input" ${i} out of range`);
  const scriptSig = inp.finalScriptSig ? Uint8Array.from(inp.finalScriptSig) : new Uint8Array();
  let witness: Uint8Array[];
  try {
    witness = inp.finalScriptWitness ? parseWitnessStack(inp.finalScriptWitness) : [];
  } catch {
    throw invalid(i, 'its final witness is malformed');
  }
  const pushes = scriptSig.length === 0 ? [] : (bScript.decompile(scriptSig) ?? null);
  if (pushes === null) throw invalid(i, 'its final scriptSig is malformed');
  const same = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a !== undefined && b !== undefined && hex.encode(a) === hex.encode(b);
  const nonEmpty = (items: readonly (Uint8Array | number)[]): number => items.filter((x) => x instanceof Uint8Array && x.length > 0).length;
  const ws = output.getWitnessScript();
  const rs = output.getRedeemScript();
  let signatures: number;
  if (output.isTaproot()) {
    if (scriptSig.length > 0) throw invalid(i, 'a taproot input with a scriptSig');
    if (witness.length === 1) signatures = 1; // key path: the interpreter checks it against the output key
    else {
      const leafScript = witness[witness.length - 2];
      const control = witness[witness.length - 1];
      const leaves = taprootFieldsOf(output, bitcoinjsNetwork(network)).tapLeafScript;
      const leaf = leaves.find((l) => same(l.script, leafScript) && same(l.controlBlock, control));
      if (!leaf) throw invalid(i, 'its final witness spends a script leaf (or control block) that is not the vault\'s');
      signatures = nonEmpty(witness.slice(0, -2));
    }
  } else if (ws) {
    if (!same(witness[witness.length - 1], ws)) throw invalid(i, 'its final witness script is not the vault\'s');
    if (rs ? !same(scriptSig, bScript.compile([rs])) : scriptSig.length > 0) throw invalid(i, 'its final scriptSig is not the vault\'s redeem script push');
    signatures = nonEmpty(witness.slice(0, -1));
  } else if (rs && singleKeyOf(output)) {
    // sh(wpkh): scriptSig pushes the P2WPKH program, the witness holds signature and key
    if (!same(scriptSig, bScript.compile([rs]))) throw invalid(i, 'its final scriptSig is not the vault\'s redeem script push');
    signatures = 1;
  } else if (rs) {
    if (witness.length > 0) throw invalid(i, 'a legacy P2SH input with a witness');
    const last = pushes[pushes.length - 1];
    if (!(last instanceof Uint8Array) || !same(last, rs)) throw invalid(i, 'its final scriptSig does not end with the vault\'s redeem script');
    signatures = nonEmpty(pushes.slice(0, -1));
  } else signatures = 1; // single key (wpkh, pkh): the key is committed by the output script
  if (signatures === 0) throw invalid(i, 'its final scripts carry no signature');

  const tx = unsignedTransaction(psbt);
  tx.setInputScript(i, scriptSig);
  tx.setWitness(i, witness);
  const needAll = output.isTaproot();
  if (needAll && prevouts.some((p) => p === undefined)) throw invalid(i, 'a taproot input can only be checked when the PSBT says the output every input spends');
  const known = prevouts.map((p) => p ?? { script: new Uint8Array(), value: 0n });
  try {
    verifyInput(tx, i, known);
  } catch (e) {
    const why = e instanceof ScriptFailure ? e.message : firstLine(e);
    throw invalid(i, `its final scripts do not verify against the output it spends (${why})`);
  }
  return signatures;
}

/**
 * Whether the final scripts of input `i` verify against the output the PSBT says it spends (script
 * interpreter, this transaction's sighash). Says nothing about whose output it is: for display
 * when no descriptor is at hand; `verifyPsbtInputs` is the check that counts.
 */
export function finalScriptsVerify(psbt: Psbt, i: number): boolean {
  const inp = psbt.data.inputs[i];
  if (!inp || !isFinalized(inp)) return false;
  try {
    const prevouts = psbt.data.inputs.map((_, j) => prevoutOf(psbt, j));
    const own = prevouts[i];
    if (!own) return false;
    const tx = unsignedTransaction(psbt);
    tx.setInputScript(i, inp.finalScriptSig ? Uint8Array.from(inp.finalScriptSig) : new Uint8Array());
    tx.setWitness(i, inp.finalScriptWitness ? parseWitnessStack(inp.finalScriptWitness) : []);
    verifyInput(tx, i, prevouts.map((p) => p ?? { script: new Uint8Array(), value: 0n }));
    return true;
  } catch {
    return false;
  }
}

export interface FinalizedProposal {
  /** The finalized PSBT (base64). */
  psbt: string;
  txid: string;
  hex: string;
  vsize: number;
  fee: bigint;
}

/**
 * Verify, finalize, verify again, extract: the finalizer of the proposal workflow. Every input
 * must be complete (`verifyPsbtInputs`: verified final scripts or enough verified partial
 * signatures) else PSBT_INCOMPLETE naming the inputs; invalid signatures are INVALID_SIGNATURE.
 * The finalized PSBT is then checked input by input with the script interpreter before the
 * transaction is extracted, so a transaction that leaves here verifies.
 *
 * @example const { txid, hex } = finalizeVerified(p.psbt, { descriptor: vault.descriptor, network: vault.network })
 */
export function finalizeVerified(input: string | Uint8Array, opts: { descriptor: string; network: Network }): FinalizedProposal {
  const before = verifyPsbtInputs(input, opts);
  if (!before.complete) {
    const short = before.inputs.map((x, i) => ({ ...x, i })).filter((x) => !x.complete).map((x) => (x.required === null ? `input ${x.i} (${x.signatures} signature(s), not enough)` : `input ${x.i} (${x.signatures} of ${x.required} signatures)`));
    throw new DomainError('PSBT_INCOMPLETE', `not enough valid signatures: ${short.join(', ') || 'no inputs'}`);
  }
  const original = typeof input === 'string' ? input : decodePsbt(input, opts.network).psbt.toBase64();
  const final = finalizePsbt(input, { ...opts, keepDerivations: true });
  const after = verifyPsbtInputs(final, { ...opts, proposal: original });
  if (!after.complete || after.inputs.some((x) => !x.finalized)) throw new DomainError('PSBT_INCOMPLETE', 'the finalized PSBT has inputs that are not final');
  return { psbt: final, ...extractTransaction(final) };
}

function decodeScriptSignature(sig: Uint8Array, i: number, pk: string): number {
  try {
    return bScript.signature.decode(sig).hashType;
  } catch {
    throw new DomainError('INVALID_SIGNATURE', `input ${i}: signature by key ${pk} is not a valid DER signature`);
  }
}

function parseWitnessStack(w: Uint8Array): Uint8Array[] {
  let p = 0;
  const varint = (): number => {
    const f = w[p++];
    if (f === undefined) throw new DomainError('INVALID_PSBT', 'final script witness is truncated');
    if (f < 0xfd) return f;
    if (f === 0xff) throw new DomainError('INVALID_PSBT', 'final script witness item too large');
    const width = f === 0xfd ? 2 : 4;
    if (p + width > w.length) throw new DomainError('INVALID_PSBT', 'final script witness is truncated');
    let v = 0;
    for (let k = width - 1; k >= 0; k--) v = v * 256 + (w[p + k] ?? 0);
    p += width;
    return v;
  };
  const items: Uint8Array[] = [];
  const n = varint();
  for (let i = 0; i < n; i++) {
    const len = varint();
    if (p + len > w.length) throw new DomainError('INVALID_PSBT', 'final script witness is truncated');
    items.push(w.slice(p, p + len));
    p += len;
  }
  if (p !== w.length) throw new DomainError('INVALID_PSBT', 'final script witness has trailing bytes');
  return items;
}

/**
 * The transaction of a finalized PSBT, assembled from its final scripts without needing the
 * spent outputs (unlike bitcoinjs-lib's extractor). Unfinalized inputs: PSBT_INCOMPLETE.
 */
export function assembleFinalTransaction(psbt: Psbt): Transaction {
  const tx = unsignedTransaction(psbt);
  psbt.data.inputs.forEach((inp, i) => {
    if (!inp.finalScriptSig && !inp.finalScriptWitness) throw new DomainError('PSBT_INCOMPLETE', `input ${i} is not finalized`);
    if (inp.finalScriptSig) tx.setInputScript(i, Uint8Array.from(inp.finalScriptSig));
    if (inp.finalScriptWitness) tx.setWitness(i, parseWitnessStack(inp.finalScriptWitness));
  });
  return tx;
}
