/**
 * What signers hand back, turned into signatures on the proposal: a PSBT (base64, hex or binary,
 * partially signed or finalized), or a fully signed raw transaction (Electrum's CLI prints one).
 * Only signatures and final scripts are taken from the file, and only after they verify against
 * the vault (`verifyPsbtInputs`); every other field of the upload is ignored, so an upload cannot
 * smuggle data into the PSBT the next signers receive. Before a PSBT goes out to signers,
 * `cleanPsbtForSigners` strips unknown and proprietary fields.
 */
import { Transaction } from 'bitcoinjs-lib';
import { base64, hex } from '@scure/base';
import { DomainError, isDomainError } from '../errors.ts';
import { MAX_MONEY } from '../money.ts';
import type { Network } from '../network.ts';
import { PSBT_MAGIC } from './psbt-map.ts';
import { MAX_PSBT_BYTES, checkPsbtSize, cleanPsbtBytes } from './psbt-limits.ts';
import { decodePsbt, psbtBytesOf, serializeWitness, unsignedTransaction, verifyPsbtInputs, type PsbtVerification, type VerifiedInput } from './psbt.ts';

/** What a signer's file holds. */
export type SignerFileKind = 'psbt' | 'transaction';

export interface SignerFile {
  readonly kind: SignerFileKind;
  /** Binary PSBT or raw transaction bytes. */
  readonly bytes: Uint8Array;
}

function startsWithMagic(b: Uint8Array): boolean {
  return b.length >= 5 && PSBT_MAGIC.every((m, i) => b[i] === m);
}

function isText(b: Uint8Array): boolean {
  for (const x of b) if (!(x === 0x09 || x === 0x0a || x === 0x0d || (x >= 0x20 && x < 0x7f))) return false;
  return true;
}

/**
 * Tell a PSBT from a raw transaction: binary PSBT (`psbt\xff…`), PSBT as base64 or hex text,
 * raw transaction as hex text or binary. Nothing is parsed beyond the encoding; over
 * MAX_PSBT_BYTES is refused first. Anything else: DomainError('INVALID_PSBT').
 *
 * @example detectSignerFile('0200000001…').kind === 'transaction'
 */
export function detectSignerFile(input: string | Uint8Array): SignerFile {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError('detectSignerFile: "input" expected string or Uint8Array');
  if (input.length > 2 * MAX_PSBT_BYTES + 1024) checkPsbtSize(typeof input === 'string' ? Math.floor(input.length / 2) : input.length);
  if (typeof input !== 'string') {
    if (startsWithMagic(input)) return { kind: 'psbt', bytes: psbtBytesOf(input) };
    if (!isText(input)) {
      checkPsbtSize(input.length);
      return { kind: 'transaction', bytes: input };
    }
  }
  const text = (typeof input === 'string' ? input : new TextDecoder().decode(input)).trim();
  if (text.length === 0) throw new DomainError('INVALID_PSBT', 'the file is empty: expected a PSBT or a signed transaction');
  if (/^70736274ff/i.test(text) || text.startsWith('cHNidP')) return { kind: 'psbt', bytes: psbtBytesOf(text) };
  if (/^[0-9a-fA-F]+$/.test(text)) {
    if (text.length % 2 !== 0) throw new DomainError('INVALID_PSBT', 'the hex text has an odd number of digits: neither a PSBT nor a transaction');
    const bytes = hex.decode(text.toLowerCase());
    checkPsbtSize(bytes.length);
    return { kind: 'transaction', bytes };
  }
  let bytes: Uint8Array;
  try {
    bytes = base64.decode(text);
  } catch {
    throw new DomainError('INVALID_PSBT', 'not a PSBT or a signed transaction (neither base64, hex nor binary)');
  }
  checkPsbtSize(bytes.length);
  return { kind: startsWithMagic(bytes) ? 'psbt' : 'transaction', bytes };
}

/** Parse a raw transaction from outside: any malformation or out-of-range amount is INVALID_PSBT. */
function parseTransaction(bytes: Uint8Array): Transaction {
  let tx: Transaction;
  try {
    tx = Transaction.fromBuffer(bytes);
  } catch {
    throw new DomainError('INVALID_PSBT', 'not a PSBT, and not a valid transaction either');
  }
  let total = 0n;
  tx.outs.forEach((o, n) => {
    if (typeof o.value !== 'bigint' || o.value < 0n || o.value > MAX_MONEY) throw new DomainError('INVALID_PSBT', `transaction output ${n}: its amount is out of range (negative or more than 21,000,000 BTC)`);
    total += o.value;
  });
  if (total > MAX_MONEY) throw new DomainError('INVALID_PSBT', 'the transaction outputs add up to more than 21,000,000 BTC');
  if (tx.ins.length === 0 || tx.outs.length === 0) throw new DomainError('INVALID_PSBT', 'the transaction has no inputs or no outputs');
  return tx;
}

/** The transaction without its scriptSigs and witnesses: what the proposal's PSBT describes. */
function strippedId(tx: Transaction): string {
  const t = new Transaction();
  t.version = tx.version;
  t.locktime = tx.locktime;
  for (const i of tx.ins) t.addInput(Uint8Array.from(i.hash), i.index, i.sequence);
  for (const o of tx.outs) t.addOutput(Uint8Array.from(o.script), o.value);
  return t.getId();
}

/**
 * The proposal's PSBT with the final scripts of a signed raw transaction: accepted only when the
 * transaction, without its scriptSigs and witnesses, is the proposal's unsigned transaction
 * (PSBT_MISMATCH otherwise). Each input the transaction signs gets PSBT_IN_FINAL_SCRIPTSIG /
 * PSBT_IN_FINAL_SCRIPTWITNESS; the proposal's other fields are kept (their derivations let the
 * final scripts be checked). With `descriptor`, every input is then verified (`verifyPsbtInputs`,
 * INVALID_SIGNATURE naming the input); without it the result is NOT verified yet.
 *
 * @example psbtFromSignedTransaction(electrumHex, p.psbt, 'main', { descriptor: vault.descriptor })
 */
export function psbtFromSignedTransaction(raw: Uint8Array | string, proposalPsbt: string | Uint8Array, network: Network, opts: { descriptor?: string } = {}): string {
  let bytes: Uint8Array;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text.length > 2 * MAX_PSBT_BYTES) checkPsbtSize(Math.floor(text.length / 2));
    if (!/^([0-9a-fA-F]{2})+$/.test(text)) throw new DomainError('INVALID_PSBT', 'a signed transaction must be given as hex');
    bytes = hex.decode(text.toLowerCase());
  } else bytes = raw;
  checkPsbtSize(bytes.length);
  const tx = parseTransaction(bytes);
  const { psbt } = decodePsbt(proposalPsbt, network);
  const want = unsignedTransaction(psbt).getId();
  const got = strippedId(tx);
  if (got !== want) throw new DomainError('PSBT_MISMATCH', `the transaction spends or pays differently from the proposal (unsigned txid ${got}, the proposal's is ${want})`);
  let signed = 0;
  tx.ins.forEach((tin, i) => {
    const inp = psbt.data.inputs[i];
    if (!inp) throw new RangeError(`"input" ${i} out of range`);
    if (tin.script.length === 0 && tin.witness.length === 0) return;
    signed++;
    if (tin.script.length > 0) inp.finalScriptSig = Uint8Array.from(tin.script);
    else delete inp.finalScriptSig;
    if (tin.witness.length > 0) inp.finalScriptWitness = serializeWitness(tin.witness);
    else delete inp.finalScriptWitness;
    delete inp.partialSig;
    delete inp.tapScriptSig;
  });
  if (signed === 0) throw new DomainError('PSBT_INCOMPLETE', 'the transaction carries no signatures');
  const out = psbt.toBase64();
  if (opts.descriptor !== undefined) verifyPsbtInputs(out, { descriptor: opts.descriptor, network, proposal: proposalPsbt });
  return out;
}

/**
 * A signer's file as a PSBT (base64) of the proposal's transaction: a PSBT is returned as given
 * (decoded and re-encoded), a signed raw transaction through `psbtFromSignedTransaction`.
 * Not verified: pass the result to `verifyPsbtInputs` or use `mergeSignatures`.
 */
export function signerFileToPsbt(input: string | Uint8Array, proposalPsbt: string | Uint8Array, network: Network): { kind: SignerFileKind; psbt: string } {
  const file = detectSignerFile(input);
  if (file.kind === 'psbt') return { kind: 'psbt', psbt: decodePsbt(file.bytes, network).psbt.toBase64() };
  return { kind: 'transaction', psbt: psbtFromSignedTransaction(file.bytes, proposalPsbt, network) };
}

export interface MergeResult {
  /** The proposal's PSBT with the new verified signatures / final scripts (base64). */
  readonly psbt: string;
  /** What the signer handed back. */
  readonly kind: SignerFileKind;
  /** Partial signatures added, plus the signatures in newly finalized inputs. */
  readonly added: number;
  /** Keys (hex) whose partial signatures were added, as `input:pubkey`. */
  readonly addedKeys: readonly string[];
  /** Inputs this file finalized. */
  readonly finalizedInputs: readonly number[];
  /** Per input of the merged PSBT. */
  readonly inputs: readonly VerifiedInput[];
  readonly complete: boolean;
}

/**
 * Take a signer's file (PSBT in any encoding, or a signed raw transaction), verify it against the
 * proposal and the vault (`verifyPsbtInputs` with the proposal), and copy ONLY its verified
 * signatures into the proposal's PSBT: partial signatures (ECDSA and taproot script path) of
 * inputs not yet final, and the final scripts of inputs it finalized. Every other field of the
 * file is ignored. The merged PSBT is verified again.
 *
 * @throws INVALID_PSBT (malformed, too large), PSBT_MISMATCH (another transaction, other spent
 *   outputs), INVALID_SIGNATURE (a signature or final script that does not verify, naming the input)
 * @example const r = mergeSignatures(p.psbt, upload, { descriptor: vault.descriptor, network: vault.network })
 */
export function mergeSignatures(proposalPsbt: string | Uint8Array, upload: string | Uint8Array, opts: { descriptor: string; network: Network }): MergeResult {
  const { descriptor, network } = opts;
  const file = signerFileToPsbt(upload, proposalPsbt, network);
  const verdict = verifyPsbtInputs(file.psbt, { descriptor, network, proposal: proposalPsbt });
  const base = decodePsbt(proposalPsbt, network).psbt;
  const incoming = decodePsbt(file.psbt, network).psbt;
  let added = 0;
  const addedKeys: string[] = [];
  const finalizedInputs: number[] = [];
  base.data.inputs.forEach((b, i) => {
    const u = incoming.data.inputs[i];
    if (!u || b.finalScriptSig || b.finalScriptWitness) return;
    if (u.finalScriptSig || u.finalScriptWitness) {
      if (u.finalScriptSig) b.finalScriptSig = Uint8Array.from(u.finalScriptSig);
      if (u.finalScriptWitness) b.finalScriptWitness = Uint8Array.from(u.finalScriptWitness);
      // the final scripts supersede the partial signatures (derivations and scripts stay: they tie
      // the final scripts to the vault address for later checks)
      delete b.partialSig;
      delete b.tapScriptSig;
      finalizedInputs.push(i);
      added += verdict.inputs[i]?.signatures ?? 0;
      return;
    }
    for (const s of u.partialSig ?? []) {
      const pk = hex.encode(s.pubkey);
      if ((b.partialSig ?? []).some((x) => hex.encode(x.pubkey) === pk)) continue;
      b.partialSig = [...(b.partialSig ?? []), { pubkey: Uint8Array.from(s.pubkey), signature: Uint8Array.from(s.signature) }];
      added++;
      addedKeys.push(`${i}:${pk}`);
    }
    for (const s of u.tapScriptSig ?? []) {
      const pk = hex.encode(s.pubkey);
      const leaf = hex.encode(s.leafHash);
      if ((b.tapScriptSig ?? []).some((x) => hex.encode(x.pubkey) === pk && hex.encode(x.leafHash) === leaf)) continue;
      b.tapScriptSig = [...(b.tapScriptSig ?? []), { pubkey: Uint8Array.from(s.pubkey), leafHash: Uint8Array.from(s.leafHash), signature: Uint8Array.from(s.signature) }];
      added++;
      addedKeys.push(`${i}:${pk}`);
    }
  });
  const psbt = base.toBase64();
  const merged: PsbtVerification = verifyPsbtInputs(psbt, { descriptor, network, proposal: proposalPsbt });
  return { psbt, kind: file.kind, added, addedKeys, finalizedInputs, inputs: merged.inputs, complete: merged.complete };
}

/**
 * Check a signed transaction (hex or binary) against its proposal before it is broadcast: it must
 * be the proposal's transaction and every input must be finalized and verify for the vault
 * (PSBT_MISMATCH, INVALID_SIGNATURE naming the input, PSBT_INCOMPLETE for an unsigned input).
 *
 * @example verifySignedTransaction(p.finalHex, p.psbt, { descriptor: vault.descriptor, network: vault.network }).txid
 */
export function verifySignedTransaction(raw: Uint8Array | string, proposalPsbt: string | Uint8Array, opts: { descriptor: string; network: Network }): { txid: string } {
  const psbt = psbtFromSignedTransaction(raw, proposalPsbt, opts.network);
  const v = verifyPsbtInputs(psbt, { ...opts, proposal: proposalPsbt });
  const unsigned = v.inputs.map((x, i) => ({ x, i })).filter(({ x }) => !x.finalized).map(({ i }) => i);
  if (unsigned.length > 0) throw new DomainError('PSBT_INCOMPLETE', `the transaction does not sign input(s) ${unsigned.join(', ')}`);
  const bytes = typeof raw === 'string' ? hex.decode(raw.trim().toLowerCase()) : raw;
  return { txid: Transaction.fromBuffer(bytes).getId() };
}

/**
 * The PSBT to hand to signers: the same PSBT without unknown and proprietary fields (global,
 * inputs, outputs); every standard BIP174/370/371 field signers use is kept. Base64 in and out
 * (hex or binary accepted too). Refuses input over MAX_PSBT_BYTES (INVALID_PSBT).
 *
 * @example const { psbt } = exportProposal(...); send(cleanPsbtForSigners(psbt))
 */
export function cleanPsbtForSigners(input: string | Uint8Array): string {
  try {
    const cleaned = cleanPsbtBytes(psbtBytesOf(input));
    decodePsbt(cleaned); // what goes out must still be a PSBT bitcoinjs-lib reads
    return base64.encode(cleaned);
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw new DomainError('INVALID_PSBT', 'the PSBT cannot be cleaned: it is malformed');
  }
}
