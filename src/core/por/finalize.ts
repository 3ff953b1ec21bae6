/**
 * Proof of reserves: combine the signers' partial PSBTs and finalize them into the proof
 * transaction, checking at each step that it is still the proof of the same message and that it
 * cannot move coins (`assertProofCannotMoveCoins`), and that the finished transaction verifies
 * (BIP-322 full: every input, script interpreter) against the outputs the PSBT says it spends.
 * Pure.
 */
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { ScriptFailure, verifyInput, type Prevout } from '../bitcoin/bip322-interpreter.ts';
import { assembleFinalTransaction, combinePsbts, decodePsbt, finalizePsbt, locateVaultInput } from '../bitcoin/psbt.ts';
import { assertProofCannotMoveCoins, type ProofCommitment } from './build.ts';

/**
 * Combine partial proof PSBTs (BIP174 Combiner). Each must be the proof of `commitment` and for the
 * same unsigned transaction (else INVALID_PSBT / PSBT_MISMATCH).
 *
 * @example combineProofPsbts([byAlice, byBob], { message, challenge })
 */
export function combineProofPsbts(psbts: readonly (string | Uint8Array)[], commitment: ProofCommitment): string {
  for (const p of psbts) assertProofCannotMoveCoins(p, commitment);
  const combined = combinePsbts(psbts);
  assertProofCannotMoveCoins(combined, commitment);
  return combined;
}

/** The outputs a PSBT's inputs spend, from their witnessUtxo / nonWitnessUtxo fields. */
function prevoutsOf(psbt: Psbt): Prevout[] {
  return psbt.data.inputs.map((inp, i) => {
    const txin = psbt.txInputs[i];
    if (inp.witnessUtxo) return { script: Uint8Array.from(inp.witnessUtxo.script), value: inp.witnessUtxo.value };
    if (inp.nonWitnessUtxo && txin) {
      const o = Transaction.fromBuffer(inp.nonWitnessUtxo).outs[txin.index];
      if (o) return { script: o.script, value: o.value };
    }
    throw new DomainError('INVALID_PSBT', `input ${i}: the PSBT does not say which output it spends`);
  });
}

export interface FinalizedProof {
  /** The finalized PSBT, base64. */
  readonly psbt: string;
  /** The signed proof transaction (`to_sign`), hex: what goes into the proof file. */
  readonly txHex: string;
  readonly txid: string;
}

/**
 * Finalize a combined proof PSBT: each input with the descriptor of the vault it belongs to (plain
 * multisig needs none; miniscript and taproot inputs do), then run every input of the assembled
 * transaction through the script interpreter (BIP-322 full). Too few signatures: PSBT_INCOMPLETE;
 * a signature that does not verify: INVALID_SIGNATURE naming the input.
 *
 * @example finalizeProofPsbt(combined, { network: 'regtest', descriptors: [vault.descriptor], commitment: { message } }).txHex
 */
export function finalizeProofPsbt(input: string | Uint8Array, opts: { network: Network; descriptors: readonly string[]; commitment: ProofCommitment }): FinalizedProof {
  const { network } = opts;
  assertProofCannotMoveCoins(input, opts.commitment);
  let current = decodePsbt(input, network).psbt;
  const owner: (string | undefined)[] = current.data.inputs.map((inp) => opts.descriptors.find((d) => locateVaultInput({ ...inp, witnessUtxo: inp.witnessUtxo }, d, network) !== undefined));
  if (opts.descriptors.length > 0) {
    owner.forEach((d, i) => {
      const inp = current.data.inputs[i];
      if (d === undefined && inp && !inp.finalScriptSig && !inp.finalScriptWitness) throw new DomainError('PSBT_MISMATCH', `input ${i} belongs to none of the given vault descriptors`);
    });
  }
  const groups = [...new Set(owner.filter((d): d is string => d !== undefined))];
  if (groups.length === 0) groups.push(''); // plain multisig without a descriptor: finalize as is
  for (const d of groups) {
    // hide the other vaults' inputs behind a placeholder final witness, finalize this vault's
    const work = Psbt.fromBase64(current.toBase64());
    const hidden: number[] = [];
    work.data.inputs.forEach((inp, i) => {
      if (inp.finalScriptSig || inp.finalScriptWitness) return;
      if (d !== '' && owner[i] !== d) {
        inp.finalScriptWitness = Uint8Array.of(0);
        hidden.push(i);
      }
    });
    const done = decodePsbt(finalizePsbt(work.toBase64(), d === '' ? { network } : { network, descriptor: d }), network).psbt;
    done.data.inputs.forEach((inp, i) => {
      if (hidden.includes(i)) return;
      const target = current.data.inputs[i];
      if (!target || target.finalScriptSig || target.finalScriptWitness) return;
      current.data.inputs[i] = inp;
    });
    current = Psbt.fromBase64(current.toBase64());
  }
  const tx = assembleFinalTransaction(current);
  assertProofCannotMoveCoins(tx, { ...opts.commitment, messageScript: prevoutsOf(current)[0]?.script });
  const prevouts = prevoutsOf(current);
  for (let i = 0; i < tx.ins.length; i++) {
    try {
      verifyInput(tx, i, prevouts);
    } catch (e) {
      if (e instanceof ScriptFailure) throw new DomainError('INVALID_SIGNATURE', `input ${i}: ${e.message}`);
      throw e;
    }
  }
  return { psbt: current.toBase64(), txHex: hex.encode(tx.toBuffer()), txid: tx.getId() };
}
