/**
 * Import a signer's file for a proposal: a partial PSBT from any signer (a hardware wallet, Sparrow,
 * Caravan, Bitcoin Core, the test-only software signer), a PSBT the signer finalized itself (as
 * Electrum does when it completes one), or a fully signed raw transaction. It must be for the
 * proposal's very transaction; every partial signature and every final script is verified against
 * the vault's keys (final scripts through the script interpreter), and ONLY the verified signatures
 * are copied into the proposal's PSBT — nothing else from the file (unknown fields, other data) gets
 * in (see `mergeSignatures`). The file as uploaded is kept, size-capped, for the record.
 */
import { base64 } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import { mergeSignatures } from '../core/bitcoin/psbt-import.ts';
import { atomically, auditOf, requireActor, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';

/** Uploads kept per proposal: a record, not a store for anything a client sends. */
export const MAX_STORED_UPLOADS = 100;

export interface ImportPartialResult {
  /** Signatures this file added that the proposal did not have yet. */
  readonly added: number;
  /** Per input: signatures present / required. */
  readonly inputs: readonly { signatures: number; required: number | null }[];
  readonly complete: boolean;
}

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, APPROVAL_REQUIRED (not approved, or not yet exported for signing), INVALID_STATE, INVALID_PSBT,
 *   PSBT_MISMATCH (another transaction), INVALID_SIGNATURE (a signature or final script that does not verify for the vault)
 * @example await importPartialPsbt(deps, { actor: 'luis', proposalId: 3, psbt: readFileSync('alice.psbt') })
 */
export async function importPartialPsbt(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; psbt: string | Uint8Array }): Promise<ImportPartialResult> {
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet: signatures are not accepted before approval`);
    if (p.state !== 'approved') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}: it takes no more signatures`);
    if (p.exportedAtMs === null) throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} has not gone out for signing yet (export it once the signing delay has passed): signatures made before are not accepted`);
    if ((await tx.spends.partials(p.id)).length >= MAX_STORED_UPLOADS) throw new DomainError('INVALID_STATE', `proposal ${p.id} already has ${MAX_STORED_UPLOADS} uploads recorded; finalize it, or cancel it by replacement`);
    const vault = await requireVaultOf(tx.vaults, p.vaultId);
    const r = mergeSignatures(p.psbt, input.psbt, { descriptor: vault.descriptor as string, network: vault.network });
    const nowMs = tx.now();
    const signers = [...new Set(r.addedKeys.map((k) => k.split(':')[1] ?? k))];
    await tx.spends.addPartial(
      { proposalId: p.id, importedBy: actor.id, signatures: r.added, atMs: nowMs, psbt: typeof input.psbt === 'string' ? input.psbt.trim() : base64.encode(input.psbt) },
      r.psbt,
      auditOf(actor, 'operator', 'spend.import', `proposal:${p.id}`, { added: r.added, signerKeys: signers, finalizedInputs: r.finalizedInputs, kind: r.kind, complete: r.complete }, nowMs),
    );
    return { added: r.added, inputs: r.inputs.map((i) => ({ signatures: i.signatures, required: i.required })), complete: r.complete };
  });
}
