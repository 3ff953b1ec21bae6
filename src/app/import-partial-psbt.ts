/**
 * Import a partial PSBT from any signer (a hardware wallet, Sparrow, Caravan, Bitcoin Core, the
 * test-only software signer). It must be for the proposal's very transaction, and every partial
 * signature must verify for the vault's keys; then it is combined into the proposal's PSBT.
 */
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import { combinePsbts, decodePsbt, unsignedTransaction, verifyPartialSignatures } from '../core/bitcoin/psbt.ts';
import { inspectPsbt } from '../core/bitcoin/psbt-inspect.ts';
import { atomically, auditOf, requireActor, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';

export interface ImportPartialResult {
  /** Signatures this file added that the proposal did not have yet. */
  readonly added: number;
  /** Per input: signatures present / required. */
  readonly inputs: readonly { signatures: number; required: number | null }[];
  readonly complete: boolean;
}

function signatureKeys(psbt: string | Uint8Array, network: Parameters<typeof decodePsbt>[1]): Set<string> {
  const keys = new Set<string>();
  decodePsbt(psbt, network).psbt.data.inputs.forEach((inp, i) => {
    for (const s of inp.partialSig ?? []) keys.add(`${i}:${hex.encode(s.pubkey)}`);
  });
  return keys;
}

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, APPROVAL_REQUIRED, INVALID_STATE, INVALID_PSBT,
 *   PSBT_MISMATCH (another transaction), INVALID_SIGNATURE (a signature that does not verify for the vault)
 * @example await importPartialPsbt(deps, { actor: 'luis', proposalId: 3, psbt: readFileSync('alice.psbt') })
 */
export async function importPartialPsbt(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; psbt: string | Uint8Array }): Promise<ImportPartialResult> {
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet: signatures are not accepted before approval`);
    if (p.state !== 'approved') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}: it takes no more signatures`);
    if (p.exportedAtMs === null) throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} has not gone out for signing yet (export it once the signing delay has passed): signatures made before are not accepted`);
    const vault = await requireVaultOf(tx.vaults, p.vaultId);
    const incoming = decodePsbt(input.psbt, vault.network).psbt;
    const txid = unsignedTransaction(incoming).getId();
    if (txid !== p.unsignedTxid) throw new DomainError('PSBT_MISMATCH', `the PSBT is for transaction ${txid}, not proposal ${p.id}'s ${p.unsignedTxid}`);
    const incomingB64 = incoming.toBase64();
    verifyPartialSignatures(incomingB64, vault.descriptor as string, vault.network);
    const before = signatureKeys(p.psbt, vault.network);
    const combined = combinePsbts([p.psbt, incomingB64]);
    verifyPartialSignatures(combined, vault.descriptor as string, vault.network);
    const after = signatureKeys(combined, vault.network);
    const added = [...after].filter((k) => !before.has(k)).length;
    const inspection = inspectPsbt(combined, { network: vault.network, descriptor: vault.descriptor as string });
    const nowMs = tx.now();
    const signers = [...after].filter((k) => !before.has(k)).map((k) => k.split(':')[1]);
    await tx.spends.addPartial(
      { proposalId: p.id, importedBy: actor.id, signatures: added, atMs: nowMs, psbt: incomingB64 },
      combined,
      auditOf(actor, 'operator', 'spend.import', `proposal:${p.id}`, { added, signerKeys: [...new Set(signers)], complete: inspection.complete }, nowMs),
    );
    return { added, inputs: inspection.inputs.map((i) => ({ signatures: i.signatures, required: i.required })), complete: inspection.complete };
  });
}
