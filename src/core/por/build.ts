/**
 * Proof of reserves, construction: a BIP-322 *proof of funds* over a reserve's UTXOs, as a PSBT
 * that goes through the ordinary signing round.
 *
 * The transaction is BIP-322's `to_sign`: input 0 spends `to_spend`, a virtual transaction whose
 * only input commits to the message (`OP_0 PUSH32 tagged_hash("BIP0322-signed-message", m)`) and
 * whose only output is the vault script that signs the message; inputs 1… are the UTXOs proven;
 * the single output is 0 sats to `OP_RETURN`; version 0, locktime 0, every nSequence 0.
 *
 * Why it can never move coins: input 0 spends an output of a transaction that cannot exist
 * (`to_spend` spends the null outpoint 000…:0xffffffff outside a coinbase), and the only output
 * burns 0 sats. A node refuses it ("missing inputs"); a miner cannot include it. Every signature
 * covers input 0, so no signature in the proof is valid for any other transaction.
 * `assertProofCannotMoveCoins` checks exactly this and is called when the PSBT is built, before
 * it is signed, when partial PSBTs are combined and when a proof is verified.
 *
 * BIP-127 (ElementsProject/reserves, bdk-reserves) is the same construction with another
 * commitment: its first input spends the non-existent outpoint sha256d("Proof-of-Reserves: " ‖ m):0
 * and is left unsigned, and its output carries the sum. We build the BIP-322 form only: it is
 * what hardware signers recognise (Coldcard signs "BIP-322 PoR PSBTs": version 0, input 0 with
 * `to_spend` as its full previous transaction, one OP_RETURN output), its commitment input is
 * itself signed by a vault key (so the message is bound by a signature, not just by the
 * transaction id every other signature covers), and it works for taproot vaults, where BIP-127's
 * unknown commitment prevout leaves the BIP-341 sighash undefined. See docs/proof-of-reserves.md.
 *
 * Pure: no I/O, no clock, no randomness (the challenge comes from the caller).
 */
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { MAX_MONEY, type Sats } from '../money.ts';
import { hasHiddenCharacters } from '../text/display-text.ts';
import { bip322MessageHash, bip322ToSpend } from '../bitcoin/bip322.ts';
import { addInputsLinear, bitcoinjsNetwork, createPsbt, decodePsbt, ensureEcc, unsignedTransaction, vaultOutput, type PsbtInputFields } from '../bitcoin/psbt.ts';

/** The proof formats Soberana builds and verifies. */
export const PROOF_FORMATS = ['bip322'] as const;
export type ProofFormat = (typeof PROOF_FORMATS)[number];

/** Longest message, in UTF-8 bytes. */
export const MAX_PROOF_MESSAGE_BYTES = 1000;
/** A challenge: 16–128 characters of base64url/hex (a random nonce an auditor issued). */
export const CHALLENGE_RE = /^[A-Za-z0-9_-]{16,128}$/;
/** Most UTXOs one proof covers (a transaction with more inputs would be unwieldy for signers). */
export const MAX_PROOF_UTXOS = 2000;

/** The vault address the message is signed by: BIP-322's challenge scriptPubKey. */
export interface ProofMessageOutput {
  /** The vault's descriptor, with #checksum. */
  readonly descriptor: string;
  /** Branch of the address: false = receive (first multipath element), true = change. */
  readonly change: boolean;
  readonly index: number;
}

/** One UTXO to prove: what `createPsbt` needs for its derivations, plus its vault's descriptor. */
export interface ProofInputSpec {
  /** The descriptor of the vault that holds it, with #checksum. */
  readonly descriptor: string;
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  /** true when the UTXO is on the vault's change branch. */
  readonly change: boolean;
  readonly index: number;
  /** The previous transaction; required for legacy (non-segwit) vaults. */
  readonly nonWitnessUtxo?: Uint8Array;
}

export interface BuildProofOptions {
  readonly network: Network;
  /** The statement signed: one line of display-safe text, at most 1000 UTF-8 bytes. */
  readonly message: string;
  /** An auditor's nonce the proof answers; committed with the message (see `committedMessage`). */
  readonly challenge?: string | undefined;
  readonly messageOutput: ProofMessageOutput;
  /** Every UTXO proven, at least one; no outpoint twice. */
  readonly inputs: readonly ProofInputSpec[];
}

/** A UTXO in a proof: outpoint, amount, script (hex). */
export interface ProofUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly value: Sats;
  readonly script: string;
}

/** What `buildProofPsbt` returns: the unsigned PSBT and what it commits to. */
export interface ProofPsbt {
  /** The unsigned PSBT, base64 (BIP174 v0). */
  readonly psbt: string;
  readonly format: ProofFormat;
  readonly network: Network;
  readonly message: string;
  readonly challenge: string | undefined;
  /** The exact text whose BIP-322 hash `to_spend` commits to. */
  readonly committedMessage: string;
  /** tagged_hash("BIP0322-signed-message", committedMessage), hex. */
  readonly messageHash: string;
  /** The message output's scriptPubKey (hex) and its address. */
  readonly messageScript: string;
  readonly toSpendTxid: string;
  /** Id of the unsigned `to_sign` transaction (what every partial PSBT must be for). */
  readonly unsignedTxid: string;
  /** The UTXOs proven, in input order (input 1 onwards). */
  readonly utxos: readonly ProofUtxo[];
  readonly total: Sats;
}

/**
 * The exact message text the proof commits to: the message alone, or with a challenge the message
 * followed by a blank line and `challenge: <nonce>` (the message is one line, so this is unambiguous).
 *
 * @example committedMessage('Reserves of the Republic, block 840000', 'q1w2e3r4t5y6u7i8') === 'Reserves of the Republic, block 840000\n\nchallenge: q1w2e3r4t5y6u7i8'
 */
export function committedMessage(message: string, challenge?: string): string {
  checkMessage(message);
  if (challenge === undefined) return message;
  checkChallenge(challenge);
  return `${message}\n\nchallenge: ${challenge}`;
}

/** Refuse (INVALID_ARGUMENT) a message that is empty, too long, or carries hidden/control characters. */
export function checkMessage(message: string): void {
  if (typeof message !== 'string') throw new TypeError('"message" expected string');
  if (message.trim().length === 0) throw new DomainError('INVALID_ARGUMENT', 'the proof message is empty');
  if (new TextEncoder().encode(message).length > MAX_PROOF_MESSAGE_BYTES) throw new DomainError('INVALID_ARGUMENT', `the proof message is longer than ${MAX_PROOF_MESSAGE_BYTES} bytes`);
  if (hasHiddenCharacters(message)) throw new DomainError('INVALID_ARGUMENT', 'the proof message holds control, line-break or invisible characters: a signer must see exactly what it signs');
}

/** Refuse (INVALID_ARGUMENT) a challenge that is not 16–128 characters of [A-Za-z0-9_-]. */
export function checkChallenge(challenge: string): void {
  if (typeof challenge !== 'string') throw new TypeError('"challenge" expected string');
  if (!CHALLENGE_RE.test(challenge)) throw new DomainError('INVALID_ARGUMENT', 'the challenge must be 16 to 128 characters of A-Z, a-z, 0-9, "-" and "_"');
}

/** The `to_spend` transaction of a proof: commits to the message, pays 0 sats to the message script. */
export function proofToSpend(message: string, challenge: string | undefined, messageScript: Uint8Array): Transaction {
  return bip322ToSpend(committedMessage(message, challenge), messageScript);
}

const OP_RETURN = 0x6a;
const TXID_RE = /^[0-9a-f]{64}$/;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function fail(message: string): never {
  throw new DomainError('INVALID_PSBT', `not a proof of reserves: ${message}`);
}

/** What the commitment must be: the message (and challenge) and the message script. */
export interface ProofCommitment {
  readonly message: string;
  readonly challenge?: string | undefined;
  /** scriptPubKey of the message output; when omitted, taken from the PSBT's input 0 UTXO fields. */
  readonly messageScript?: Uint8Array;
}

/**
 * Refuse (DomainError INVALID_PSBT) anything that could move coins or that is not the proof of
 * `commitment`: input 0 must spend `to_spend(message, challenge, script)`:0 (and any UTXO record the
 * PSBT gives for it must be that output: 0 sats to that script), no other input may spend it, there
 * must be exactly one output, 0 sats to a bare `OP_RETURN`, version 0 or 2, locktime 0, at least one
 * UTXO input, no outpoint twice. Accepts a PSBT (base64/hex/bytes), a decoded Psbt, or a finalized
 * transaction.
 *
 * @example assertProofCannotMoveCoins(partial, { message: 'Reserves at block 840000', messageScript })
 */
export function assertProofCannotMoveCoins(input: string | Uint8Array | Psbt | Transaction, commitment: ProofCommitment): void {
  ensureEcc();
  let tx: Transaction;
  let psbt: Psbt | undefined;
  if (input instanceof Transaction) tx = input;
  else {
    psbt = input instanceof Psbt ? input : decodePsbt(input).psbt;
    tx = unsignedTransaction(psbt);
  }
  let script = commitment.messageScript;
  if (!script && psbt) {
    const inp0 = psbt.data.inputs[0];
    script = inp0?.witnessUtxo?.script;
    if (!script && inp0?.nonWitnessUtxo) script = Transaction.fromBuffer(inp0.nonWitnessUtxo).outs[0]?.script;
  }
  if (!script) fail('the message script is not known (input 0 carries no UTXO record)');
  const toSpend = proofToSpend(commitment.message, commitment.challenge, script);
  const commitHash = toSpend.getHash();
  const first = tx.ins[0];
  if (!first) fail('it has no input');
  if (!equalBytes(first.hash, commitHash) || first.index !== 0) fail('input 0 is not the commitment to this message (it spends another outpoint)');
  if (tx.ins.length < 2) fail('it proves no UTXO (only the commitment input)');
  const seen = new Set<string>();
  tx.ins.forEach((txin, i) => {
    const key = `${hex.encode(txin.hash)}:${txin.index}`;
    if (seen.has(key)) fail(`input ${i} spends an outpoint another input spends`);
    seen.add(key);
  });
  if (tx.outs.length !== 1) fail(`it has ${tx.outs.length} outputs; a proof has exactly one, 0 sats to OP_RETURN`);
  const out = tx.outs[0];
  if (!out || out.value !== 0n || !equalBytes(out.script, Uint8Array.of(OP_RETURN))) fail('its output is not 0 sats to a bare OP_RETURN');
  if (tx.version !== 0 && tx.version !== 2) fail(`its version is ${tx.version}, not 0 (BIP-322)`);
  if (tx.locktime !== 0) fail(`its locktime is ${tx.locktime}, not 0`);
  if (psbt) {
    const inp0 = psbt.data.inputs[0];
    if (inp0?.witnessUtxo && (inp0.witnessUtxo.value !== 0n || !equalBytes(inp0.witnessUtxo.script, script))) fail('input 0 says it spends another output than the commitment (0 sats to the message script)');
    if (inp0?.nonWitnessUtxo && !equalBytes(Transaction.fromBuffer(inp0.nonWitnessUtxo).getHash(), commitHash)) fail('input 0 carries another previous transaction than to_spend');
  }
}

type InputFields = PsbtInputFields;

/** The input fields `createPsbt` prepares (scripts, derivations, taproot leaves) for one vault UTXO. */
function preparedInputs(network: Network, descriptor: string, specs: readonly { txid: string; vout: number; value: bigint; change: boolean; index: number; nonWitnessUtxo?: Uint8Array }[], payTo: ProofMessageOutput): { inputs: InputFields[]; xpubs: NonNullable<Psbt['data']['globalMap']['globalXpub']> } {
  // createPsbt needs an output; a 1-sat payment to the message address, thrown away with its transaction
  const payAddress = vaultOutput(payTo.descriptor, network, payTo.change ? 1 : 0, payTo.index).getAddress();
  const b64 = createPsbt({
    network,
    descriptor,
    inputs: specs.map((s) => ({ txid: s.txid, vout: s.vout, value: s.value, change: s.change, index: s.index, ...(s.nonWitnessUtxo ? { nonWitnessUtxo: s.nonWitnessUtxo } : {}) })),
    outputs: [{ address: payAddress, value: 1n }],
    rbf: true,
  });
  const { psbt } = decodePsbt(b64, network);
  const inputs = psbt.data.inputs.map((inp, i) => {
    const txin = psbt.txInputs[i];
    if (!txin) throw new RangeError(`preparedInputs: input ${i} missing`);
    const { partialSig: _p, tapScriptSig: _t, unknownKeyVals: _u, ...fields } = inp;
    return { ...fields, hash: Uint8Array.from(txin.hash), index: txin.index, sequence: 0 } as InputFields;
  });
  return { inputs, xpubs: psbt.data.globalMap.globalXpub ?? [] };
}

/**
 * Build the unsigned BIP-322 proof-of-funds PSBT over `inputs`. Input 0 spends `to_spend` (with
 * `to_spend` as its nonWitnessUtxo and, for segwit, a witnessUtxo of 0 sats to the message script)
 * and carries the message output's scripts and BIP32 derivations, so the vault's signers sign it
 * like any vault input; inputs 1… are the UTXOs with the same fields `createPsbt` gives a spend
 * (witnessUtxo/nonWitnessUtxo, witnessScript/redeemScript, bip32 or taproot derivations);
 * PSBT_GLOBAL_XPUB lists every vault's xpubs. Checked with `assertProofCannotMoveCoins` before it
 * is returned. Malformed input: DomainError INVALID_ARGUMENT / INVALID_DESCRIPTOR / INVALID_AMOUNT.
 *
 * @example
 *   buildProofPsbt({ network: 'regtest', message: 'Reserves of the Republic at block 840000',
 *     messageOutput: { descriptor, change: false, index: 0 },
 *     inputs: [{ descriptor, txid, vout: 0, value: 100_000n, change: false, index: 3 }] }).psbt
 */
export function buildProofPsbt(opts: BuildProofOptions): ProofPsbt {
  ensureEcc();
  const { network } = opts;
  const text = committedMessage(opts.message, opts.challenge);
  if (opts.inputs.length === 0) throw new DomainError('INVALID_ARGUMENT', 'a proof needs at least one UTXO');
  if (opts.inputs.length > MAX_PROOF_UTXOS) throw new DomainError('INVALID_ARGUMENT', `a proof covers at most ${MAX_PROOF_UTXOS} UTXOs`);
  const mo = opts.messageOutput;
  if (!Number.isInteger(mo.index) || mo.index < 0 || mo.index >= 0x80000000) throw new RangeError('"messageOutput.index" must be a non-hardened BIP32 index');
  const messageOut = vaultOutput(mo.descriptor, network, mo.change ? 1 : 0, mo.index);
  const messageScript = Uint8Array.from(messageOut.getScriptPubKey());
  const toSpend = bip322ToSpend(text, messageScript);
  const toSpendTxid = toSpend.getId();

  const seen = new Set<string>();
  let total = 0n;
  opts.inputs.forEach((u, n) => {
    if (!TXID_RE.test(u.txid)) throw new DomainError('INVALID_ARGUMENT', `UTXO ${n}: txid must be 64 lowercase hex characters`);
    if (!Number.isInteger(u.vout) || u.vout < 0 || u.vout > 0xffffffff) throw new DomainError('INVALID_ARGUMENT', `UTXO ${n}: vout must be a non-negative integer`);
    if (typeof u.value !== 'bigint' || u.value <= 0n || u.value > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', `UTXO ${n}: amount must be positive and at most 21,000,000 BTC`);
    const key = `${u.txid}:${u.vout}`;
    if (seen.has(key)) throw new DomainError('INVALID_ARGUMENT', `UTXO ${key} is listed twice`);
    if (u.txid === toSpendTxid) throw new DomainError('INVALID_ARGUMENT', `UTXO ${n} is the commitment itself`);
    seen.add(key);
    total += u.value;
  });
  if (total > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', 'the UTXOs add up to more than 21,000,000 BTC');

  // Input 0: the createPsbt preparation of the message output, on a stand-in previous transaction
  // with a 1-sat output to that script (createPsbt refuses 0 sats), then pointed at to_spend.
  const standIn = new Transaction();
  standIn.version = 0;
  standIn.addInput(toSpend.getHash(), 0, 0);
  standIn.addOutput(messageScript, 1n);
  const commitPrepared = preparedInputs(network, mo.descriptor, [{ txid: standIn.getId(), vout: 0, value: 1n, change: mo.change, index: mo.index, nonWitnessUtxo: standIn.toBuffer() }], mo);
  const commitFields = commitPrepared.inputs[0];
  if (!commitFields) throw new RangeError('buildProofPsbt: no commitment input prepared');
  const input0: InputFields = {
    ...commitFields,
    hash: toSpend.getHash(),
    index: 0,
    sequence: 0,
    nonWitnessUtxo: toSpend.toBuffer(),
    ...(messageOut.isSegwit() ? { witnessUtxo: { script: messageScript, value: 0n } } : {}),
  };
  if (!messageOut.isSegwit()) delete (input0 as { witnessUtxo?: unknown }).witnessUtxo;

  // Inputs 1…: grouped by vault for createPsbt, then put back in the caller's order.
  const byVault = new Map<string, number[]>();
  opts.inputs.forEach((u, n) => byVault.set(u.descriptor, [...(byVault.get(u.descriptor) ?? []), n]));
  const prepared: InputFields[] = new Array<InputFields>(opts.inputs.length);
  const xpubs = new Map<string, NonNullable<Psbt['data']['globalMap']['globalXpub']>[number]>();
  for (const x of commitPrepared.xpubs) xpubs.set(hex.encode(x.extendedPubkey), x);
  for (const [descriptor, idx] of byVault) {
    const specs = idx.map((n) => opts.inputs[n] as ProofInputSpec);
    const r = preparedInputs(network, descriptor, specs, opts.messageOutput);
    idx.forEach((n, k) => {
      const f = r.inputs[k];
      if (!f) throw new RangeError('buildProofPsbt: input not prepared');
      prepared[n] = f;
    });
    for (const x of r.xpubs) xpubs.set(hex.encode(x.extendedPubkey), x);
  }

  const psbt = new Psbt({ network: bitcoinjsNetwork(network) });
  psbt.setVersion(0);
  psbt.setLocktime(0);
  if (xpubs.size > 0) psbt.updateGlobal({ globalXpub: [...xpubs.values()] });
  addInputsLinear(psbt, [input0, ...prepared]);
  psbt.addOutput({ script: Uint8Array.of(OP_RETURN), value: 0n });
  assertProofCannotMoveCoins(psbt, { message: opts.message, challenge: opts.challenge, messageScript });

  const utxos: ProofUtxo[] = opts.inputs.map((u, n) => {
    const f = prepared[n];
    const script = f?.witnessUtxo?.script ?? (f?.nonWitnessUtxo ? Transaction.fromBuffer(f.nonWitnessUtxo).outs[u.vout]?.script : undefined);
    if (!script) throw new RangeError(`buildProofPsbt: no script for UTXO ${n}`);
    return { txid: u.txid, vout: u.vout, value: u.value as Sats, script: hex.encode(script) };
  });
  return {
    psbt: psbt.toBase64(),
    format: 'bip322',
    network,
    message: opts.message,
    challenge: opts.challenge,
    committedMessage: text,
    messageHash: hex.encode(bip322MessageHash(text)),
    messageScript: hex.encode(messageScript),
    toSpendTxid,
    unsignedTxid: unsignedTransaction(psbt).getId(),
    utxos,
    total: total as Sats,
  };
}
