/**
 * What a PSBT does, in plain data: inputs with their signatures and threshold, outputs with
 * whether they come back to the vault, the fee, and whether the PSBT is ready to finalize.
 */
import { address as bAddress, script as bScript } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import type { Network } from '../network.ts';
import { isDomainError } from '../errors.ts';
import { readAuditAnchor } from '../audit/anchor.ts';
import { bitcoinjsNetwork, decodePsbt, ensureEcc, feeOf, finalScriptsVerify, inputValueOf, locateVaultInput, multisigOf, satisfiableWithDescriptor, spendingScriptOf, unsignedTransaction, verifyPsbtInputs } from './psbt.ts';

export interface InspectedInput {
  /** `txid:vout` of the spent output. */
  outpoint: string;
  /** Value of the spent output, when the PSBT says it. */
  value: bigint | null;
  /** Signatures present (partial signatures, or in the final scripts once finalized). */
  signatures: number;
  /** Signatures needed; null when the script is not one we can count (e.g. miniscript). */
  required: number | null;
  finalized: boolean;
}

export interface InspectedOutput {
  /** The address, or null for scripts without one (OP_RETURN, non-standard). */
  address: string | null;
  value: bigint;
  /** Pays the vault of the given descriptor (proved by re-deriving its script). */
  ours: boolean;
  /** Pays the vault's change branch. */
  change: boolean;
  /** A zero-value audit-log anchor (OP_RETURN `SBA1`…, see core/audit/anchor.ts), or null. */
  auditAnchor: { seq: number; commitment: string } | null;
}

export interface PsbtInspection {
  version: 0 | 2;
  /**
   * Id of the unsigned transaction (signatures do not change it). It is the final txid for
   * native segwit inputs; P2SH-wrapped and legacy inputs change the txid when finalized.
   */
  txid: string;
  inputs: InspectedInput[];
  outputs: InspectedOutput[];
  fee: bigint | null;
  /** sat/vB, for display only (estimated until the PSBT is finalized). */
  feeRate: number | null;
  /**
   * Every input is finalized with final scripts that verify, or has at least the signatures it
   * requires (for miniscript inputs, given the descriptor: its signatures satisfy the script,
   * timelocks included). With the descriptor this is `verifyPsbtInputs(…).complete`: every
   * signature verified for the vault's keys; a PSBT with an invalid signature is not complete.
   */
  complete: boolean;
}

function looksLikeSignature(b: Uint8Array): boolean {
  // DER ECDSA + sighash byte, or a 64/65-byte BIP340 signature
  return (b.length >= 9 && b.length <= 73 && b[0] === 0x30) || b.length === 64 || b.length === 65;
}

function readWitness(w: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  let p = 0;
  const varint = (): number => {
    const f = w[p++] ?? 0;
    if (f < 0xfd) return f;
    const v = (w[p] ?? 0) | ((w[p + 1] ?? 0) << 8);
    p += 2;
    return v;
  };
  const n = varint();
  for (let i = 0; i < n && p <= w.length; i++) {
    const len = varint();
    items.push(w.subarray(p, p + len));
    p += len;
  }
  return items;
}

function signaturesInFinal(inp: { finalScriptSig?: Uint8Array; finalScriptWitness?: Uint8Array }): number {
  const items: Uint8Array[] = [];
  if (inp.finalScriptWitness) items.push(...readWitness(inp.finalScriptWitness));
  if (inp.finalScriptSig) for (const c of bScript.decompile(inp.finalScriptSig) ?? []) if (c instanceof Uint8Array) items.push(c);
  return items.filter(looksLikeSignature).length;
}

/** Witness vbytes of a multisig input: count, empty item, m signatures, the script. */
function multisigInputVsize(m: number, scriptLen: number, nested: boolean): number {
  const witness = 1 + 1 + m * 73 + (scriptLen < 0xfd ? 1 : 3) + scriptLen;
  const base = 32 + 4 + 4 + (nested ? 1 + 35 : 1);
  return base + witness / 4;
}

/**
 * Inspect a PSBT (base64, hex or binary; v0 or v2). With the vault descriptor, outputs that
 * pay the vault are marked `ours` (and `change` on the change branch) after re-deriving their
 * script from their BIP32 derivations, and `complete` is verified (`verifyPsbtInputs`); give the
 * proposal's PSBT too when inputs may have been finalized elsewhere (finalizers drop the
 * derivations that tie an input to the vault: without them such an input is not complete).
 *
 * @example inspectPsbt(base64, { network: 'regtest', descriptor }).complete
 */
export function inspectPsbt(input: Uint8Array | string, opts: { network: Network; descriptor?: string; proposal?: string | Uint8Array }): PsbtInspection {
  ensureEcc();
  const { psbt, version } = decodePsbt(input, opts.network);
  const net = bitcoinjsNetwork(opts.network);
  const unsigned = unsignedTransaction(psbt);

  let estimatedVsize = 10.5 + (unsigned.outs.length < 0xfd ? 0 : 2);
  let estimable = true;
  /** Inputs that are not plain multisig but whose miniscript is satisfied by their signatures. */
  const satisfied = new Set<number>();
  const inputs: InspectedInput[] = psbt.data.inputs.map((inp, i) => {
    const txin = psbt.txInputs[i];
    const outpoint = txin ? `${hex.encode(Uint8Array.from(txin.hash).reverse())}:${txin.index}` : '?';
    const finalized = inp.finalScriptSig !== undefined || inp.finalScriptWitness !== undefined;
    const ms = multisigOf(spendingScriptOf(inp));
    const taproot = inp.tapInternalKey !== undefined || inp.tapLeafScript !== undefined;
    let required: number | null = null;
    if (taproot) required = null;
    else if (ms) required = ms.m;
    else if (!inp.witnessScript && !inp.redeemScript) required = 1;
    else if (inp.redeemScript && !inp.witnessScript && inp.redeemScript.length === 22 && inp.redeemScript[0] === 0) required = 1; // P2SH-P2WPKH
    const signatures = finalized ? signaturesInFinal(inp) : (inp.partialSig?.length ?? 0) + (inp.tapKeySig ? 1 : 0) + (inp.tapScriptSig?.length ?? 0);
    if (!finalized && !ms && required === null && opts.descriptor && satisfiableWithDescriptor(psbt, i, opts.descriptor, opts.network)) satisfied.add(i);
    if (ms && inp.witnessScript) estimatedVsize += multisigInputVsize(ms.m, inp.witnessScript.length, inp.redeemScript !== undefined);
    else estimable = false;
    return { outpoint, value: inputValueOf(psbt, i), signatures, required, finalized };
  });

  const outputs: InspectedOutput[] = psbt.txOutputs.map((o, i) => {
    estimatedVsize += 8 + 1 + o.script.length;
    let addr: string | null;
    try {
      addr = bAddress.fromOutputScript(o.script, net);
    } catch {
      addr = null;
    }
    let ours = false;
    let change = false;
    const data = psbt.data.outputs[i];
    if (opts.descriptor && data) {
      const found = locateVaultInput({ ...data, witnessUtxo: { script: o.script } }, opts.descriptor, opts.network);
      if (found && hex.encode(found.output.getScriptPubKey()) === hex.encode(o.script)) {
        ours = true;
        change = found.branch === 1;
      }
    }
    return { address: addr, value: o.value, ours, change, auditAnchor: o.value === 0n ? readAuditAnchor(o.script) : null };
  });

  const fee = feeOf(psbt);
  const allFinal = inputs.every((x) => x.finalized);
  let vsize: number | null = null;
  if (allFinal && inputs.length > 0) {
    try {
      vsize = psbt.extractTransaction(true).virtualSize();
    } catch {
      vsize = null;
    }
  } else if (estimable && inputs.length > 0) vsize = Math.ceil(estimatedVsize);
  const feeRate = fee !== null && fee >= 0n && vsize ? Math.round((Number(fee) / vsize) * 100) / 100 : null;
  // A finalized input counts only once its final scripts verify: with the descriptor, against the
  // vault (verifyPsbtInputs, which also verifies every partial signature); without it, at least
  // against the output the PSBT says it spends.
  let complete: boolean;
  if (opts.descriptor) {
    try {
      complete = verifyPsbtInputs(input, { descriptor: opts.descriptor, network: opts.network, ...(opts.proposal === undefined ? {} : { proposal: opts.proposal }) }).complete;
    } catch (e) {
      if (!isDomainError(e)) throw e;
      complete = false;
    }
  } else {
    complete = inputs.length > 0 && inputs.every((x, i) => (x.finalized ? finalScriptsVerify(psbt, i) : satisfied.has(i) || (x.required !== null && x.signatures >= x.required)));
  }
  return { version, txid: unsigned.getId(), inputs, outputs, fee, feeRate, complete };
}
