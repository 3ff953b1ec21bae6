/**
 * The proof-of-reserves file: a JSON document anyone can verify against their own node
 * (`soberana por verify FILE`). Documented in docs/proof-of-reserves.md.
 *
 * The parser is strict: the file comes from outside (a download, a journalist's mailbox). Size
 * capped before parsing, every field typed and bounded, hex checked, no unknown keys, the network
 * a known one. Anything else is DomainError('INVALID_PROOF') naming the field. The parser checks the
 * file's form only; whether it proves anything is `verify.ts`'s job (against the chain).
 *
 * Pure.
 */
import { Transaction } from 'bitcoinjs-lib';
import { DomainError } from '../errors.ts';
import { NETWORKS, type Network } from '../network.ts';
import { MAX_MONEY, type Sats } from '../money.ts';
import { displaySafe } from '../text/display-text.ts';
import { CHALLENGE_RE, MAX_PROOF_MESSAGE_BYTES, MAX_PROOF_UTXOS, PROOF_FORMATS, checkMessage, type ProofFormat } from './build.ts';

/** The `kind` every proof file carries. */
export const PROOF_FILE_KIND = 'soberana-proof-of-reserves';
/** The version of the file format this code writes and reads. */
export const PROOF_FILE_VERSION = 1;
/** Largest proof file accepted, bytes (2000 UTXOs with their signatures fit with room). */
export const MAX_PROOF_FILE_BYTES = 8 * 1024 * 1024;
/** Most signed transactions in one file (a proof may be split, e.g. one per vault). */
export const MAX_PROOF_TRANSACTIONS = 64;
/** Largest signed transaction, bytes of raw transaction (a 2000-input 3-of-5 multisig fits). */
export const MAX_PROOF_TX_BYTES = 2_000_000;
const MAX_DESCRIPTOR_CHARS = 8192;
const MAX_DESCRIPTORS = 64;
const MAX_SCRIPT_BYTES = 10_000;

/** One UTXO the proof claims: outpoint, amount (sats) and scriptPubKey (hex). */
export interface ProofFileUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly amount: Sats;
  readonly script: string;
}

/** One signed proof transaction and the message script its commitment input spends. */
export interface ProofFileTransaction {
  /** The signed `to_sign` transaction, hex (witnesses included). */
  readonly hex: string;
  /** scriptPubKey (hex) of `to_spend`'s output: the vault address that signs the message. */
  readonly messageScript: string;
}

export interface ProofFile {
  readonly kind: typeof PROOF_FILE_KIND;
  readonly version: typeof PROOF_FILE_VERSION;
  readonly format: ProofFormat;
  readonly network: Network;
  readonly message: string;
  readonly challenge: string | null;
  /** The block the proof speaks for: every UTXO existed, unspent, once this block was mined. */
  readonly block: { readonly height: number; readonly hash: string };
  readonly utxos: readonly ProofFileUtxo[];
  readonly total: Sats;
  readonly transactions: readonly ProofFileTransaction[];
  /** The vaults' descriptors: present in a public proof, absent in a private one. */
  readonly descriptors?: readonly string[];
  /** When the proof was made (ISO 8601, UTC), as the prover says; not checked. */
  readonly createdAt?: string;
}

/** What `makeProofFile` needs; the total and the kind/version are filled in. */
export interface ProofFileInput {
  readonly format?: ProofFormat;
  readonly network: Network;
  readonly message: string;
  readonly challenge?: string | null | undefined;
  readonly block: { readonly height: number; readonly hash: string };
  readonly utxos: readonly { readonly txid: string; readonly vout: number; readonly amount: bigint; readonly script: string }[];
  readonly transactions: readonly ProofFileTransaction[];
  readonly descriptors?: readonly string[] | undefined;
  readonly createdAt?: string | undefined;
}

function bad(field: string, why: string): never {
  throw new DomainError('INVALID_PROOF', `invalid proof file: ${field}: ${why}`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
const SATS_TEXT = /^(0|[1-9][0-9]{0,15})$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(v: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) bad(field, `unknown key "${displaySafe(k.slice(0, 40))}"`);
}

function str(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string') bad(field, 'expected a string');
  if (v.length > max) bad(field, `longer than ${max} characters`);
  return v;
}

function hexStr(v: unknown, field: string, maxBytes: number): string {
  const s = str(v, field, maxBytes * 2);
  if (!HEX.test(s)) bad(field, 'expected lowercase hex with an even number of digits');
  return s;
}

function amount(v: unknown, field: string): Sats {
  if (typeof v !== 'string' || !SATS_TEXT.test(v)) bad(field, 'expected a whole number of sats written as a string, e.g. "150000000"');
  const n = BigInt(v);
  if (n > MAX_MONEY) bad(field, 'more than 21,000,000 BTC');
  return n as Sats;
}

function int(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) bad(field, `expected an integer from 0 to ${max}`);
  return v;
}

/**
 * Parse and check a proof file (its text or bytes). Refuses, with INVALID_PROOF naming the field:
 * more than 8 MiB, not JSON, another kind or version, an unknown network or format, an unknown key,
 * a message that is not one display-safe line, a malformed challenge, block hash, txid, script or
 * transaction hex, an amount that is not a sats string, a UTXO listed twice, a total that is not the
 * sum of the amounts, a transaction that does not parse or has trailing bytes.
 *
 * @example parseProofFile(readFileSync('reserves-2026-12.proof.json')).total
 */
export function parseProofFile(input: string | Uint8Array): ProofFile {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_PROOF_FILE_BYTES) bad('file', `larger than ${MAX_PROOF_FILE_BYTES / (1024 * 1024)} MiB`);
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    bad('file', 'not UTF-8 text');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    bad('file', 'not JSON');
  }
  if (!isRecord(raw)) bad('file', 'expected a JSON object');
  onlyKeys(raw, ['kind', 'version', 'format', 'network', 'message', 'challenge', 'block', 'utxos', 'total', 'transactions', 'descriptors', 'createdAt'], 'file');
  if (raw.kind !== PROOF_FILE_KIND) bad('kind', `expected "${PROOF_FILE_KIND}"`);
  if (raw.version !== PROOF_FILE_VERSION) bad('version', `expected ${PROOF_FILE_VERSION} (this verifier reads version ${PROOF_FILE_VERSION} only)`);
  const format = str(raw.format, 'format', 20);
  if (!(PROOF_FORMATS as readonly string[]).includes(format)) bad('format', `expected one of ${PROOF_FORMATS.join(', ')}`);
  const network = str(raw.network, 'network', 20);
  if (!(NETWORKS as readonly string[]).includes(network)) bad('network', `expected one of ${NETWORKS.join(', ')}`);
  const message = str(raw.message, 'message', MAX_PROOF_MESSAGE_BYTES);
  try {
    checkMessage(message);
  } catch (e) {
    bad('message', e instanceof Error ? e.message : 'invalid');
  }
  let challenge: string | null = null;
  if (raw.challenge !== null && raw.challenge !== undefined) {
    challenge = str(raw.challenge, 'challenge', 128);
    if (!CHALLENGE_RE.test(challenge)) bad('challenge', 'expected 16 to 128 characters of A-Z, a-z, 0-9, "-" and "_"');
  }

  if (!isRecord(raw.block)) bad('block', 'expected an object with height and hash');
  onlyKeys(raw.block, ['height', 'hash'], 'block');
  const block = { height: int(raw.block.height, 'block.height', 100_000_000), hash: str(raw.block.hash, 'block.hash', 64) };
  if (!HEX64.test(block.hash)) bad('block.hash', 'expected 64 lowercase hex characters');

  if (!Array.isArray(raw.utxos)) bad('utxos', 'expected an array');
  if (raw.utxos.length === 0) bad('utxos', 'a proof covers at least one UTXO');
  if (raw.utxos.length > MAX_PROOF_UTXOS) bad('utxos', `more than ${MAX_PROOF_UTXOS} UTXOs`);
  const seen = new Set<string>();
  let sum = 0n;
  const utxos: ProofFileUtxo[] = raw.utxos.map((u: unknown, n: number) => {
    const f = `utxos[${n}]`;
    if (!isRecord(u)) bad(f, 'expected an object');
    onlyKeys(u, ['txid', 'vout', 'amount', 'script'], f);
    const txid = str(u.txid, `${f}.txid`, 64);
    if (!HEX64.test(txid)) bad(`${f}.txid`, 'expected 64 lowercase hex characters');
    const vout = int(u.vout, `${f}.vout`, 0xffffffff);
    const key = `${txid}:${vout}`;
    if (seen.has(key)) bad(f, `${key} is listed twice`);
    seen.add(key);
    const value = amount(u.amount, `${f}.amount`);
    sum += value;
    const script = hexStr(u.script, `${f}.script`, MAX_SCRIPT_BYTES);
    if (script.length === 0) bad(`${f}.script`, 'empty');
    return { txid, vout, amount: value, script };
  });
  const total = amount(raw.total, 'total');
  if (total !== sum) bad('total', `is ${total} sats but the UTXOs add up to ${sum} sats`);

  if (!Array.isArray(raw.transactions)) bad('transactions', 'expected an array');
  if (raw.transactions.length === 0) bad('transactions', 'a proof carries at least one signed transaction');
  if (raw.transactions.length > MAX_PROOF_TRANSACTIONS) bad('transactions', `more than ${MAX_PROOF_TRANSACTIONS}`);
  let inputs = 0;
  const transactions: ProofFileTransaction[] = raw.transactions.map((t: unknown, n: number) => {
    const f = `transactions[${n}]`;
    if (!isRecord(t)) bad(f, 'expected an object with hex and messageScript');
    onlyKeys(t, ['hex', 'messageScript'], f);
    const txHex = hexStr(t.hex, `${f}.hex`, MAX_PROOF_TX_BYTES);
    try {
      const tx = Transaction.fromHex(txHex);
      if (tx.toHex() !== txHex) throw new Error('not canonical');
      inputs += tx.ins.length;
    } catch {
      bad(`${f}.hex`, 'not a transaction (or trailing bytes)');
    }
    // each transaction's inputs are its commitment and UTXOs of the list: bound the verifier's work
    if (inputs > utxos.length + n + 1) bad(`${f}.hex`, 'the transactions have more inputs than the UTXO list and their commitments');
    const messageScript = hexStr(t.messageScript, `${f}.messageScript`, MAX_SCRIPT_BYTES);
    if (messageScript.length === 0) bad(`${f}.messageScript`, 'empty');
    return { hex: txHex, messageScript };
  });

  let descriptors: string[] | undefined;
  if (raw.descriptors !== undefined) {
    if (!Array.isArray(raw.descriptors) || raw.descriptors.length > MAX_DESCRIPTORS) bad('descriptors', `expected an array of at most ${MAX_DESCRIPTORS} descriptors`);
    descriptors = raw.descriptors.map((d: unknown, n: number) => {
      const s = str(d, `descriptors[${n}]`, MAX_DESCRIPTOR_CHARS);
      if (!/^[\x21-\x7e]+$/.test(s)) bad(`descriptors[${n}]`, 'expected a descriptor (printable ASCII, no spaces)');
      return s;
    });
  }
  let createdAt: string | undefined;
  if (raw.createdAt !== undefined) {
    createdAt = str(raw.createdAt, 'createdAt', 40);
    if (!ISO_UTC.test(createdAt) || Number.isNaN(Date.parse(createdAt))) bad('createdAt', 'expected an ISO 8601 UTC time, e.g. 2026-12-02T13:00:00Z');
  }
  return {
    kind: PROOF_FILE_KIND,
    version: PROOF_FILE_VERSION,
    format: format as ProofFormat,
    network: network as Network,
    message,
    challenge,
    block,
    utxos,
    total,
    transactions,
    ...(descriptors ? { descriptors } : {}),
    ...(createdAt ? { createdAt } : {}),
  };
}

/**
 * Assemble a proof file from its parts (the total is the sum of the amounts) and check it with
 * `parseProofFile`'s rules, so a file this returns always parses.
 *
 * @example serializeProofFile(makeProofFile({ network, message, block, utxos, transactions }))
 */
export function makeProofFile(input: ProofFileInput): ProofFile {
  const total = input.utxos.reduce((s, u) => s + u.amount, 0n);
  const draft = {
    kind: PROOF_FILE_KIND,
    version: PROOF_FILE_VERSION,
    format: input.format ?? 'bip322',
    network: input.network,
    message: input.message,
    challenge: input.challenge ?? null,
    block: { height: input.block.height, hash: input.block.hash },
    utxos: input.utxos.map((u) => ({ txid: u.txid, vout: u.vout, amount: u.amount.toString(), script: u.script })),
    total: total.toString(),
    transactions: input.transactions.map((t) => ({ hex: t.hex, messageScript: t.messageScript })),
    ...(input.descriptors ? { descriptors: [...input.descriptors] } : {}),
    ...(input.createdAt ? { createdAt: input.createdAt } : {}),
  };
  return parseProofFile(JSON.stringify(draft));
}

/** The JSON text of a proof file (amounts as strings, two-space indented, final newline). */
export function serializeProofFile(file: ProofFile): string {
  return `${JSON.stringify(file, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
