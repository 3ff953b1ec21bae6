/**
 * Finalize a fully signed proposal (BIP174 finalizer and extractor): the proposal becomes
 * `signed` with its final transaction and txid.
 */
import { DomainError } from '../core/errors.ts';
import { txid } from '../core/ids.ts';
import { finalizeVerified } from '../core/bitcoin/psbt.ts';
import { assertTransition } from '../core/spend/state-machine.ts';
import { atomically, auditOf, requireActor, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE, PSBT_INCOMPLETE (naming the input short of signatures)
 * @example const { txid } = await finalizeProposal(deps, { actor: 'luis', proposalId: 3 })
 */
export async function finalizeProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number }): Promise<{ txid: string; hex: string; vsize: number; fee: bigint }> {
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet`);
    if (p.state !== 'approved') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}, not awaiting finalization`);
    assertTransition(p.id, p.state, 'signed');
    const vault = await requireVaultOf(tx.vaults, p.vaultId);
    // Every input verified (partial signatures, and final scripts through the interpreter), then finalized and extracted.
    const t = finalizeVerified(p.psbt, { network: vault.network, descriptor: vault.descriptor as string });
    const nowMs = tx.now();
    await tx.spends.updateProposal(p.id, 'approved', { state: 'signed', psbt: t.psbt, txid: txid(t.txid, 'final txid'), finalHex: t.hex }, auditOf(actor, 'operator', 'spend.finalize', `proposal:${p.id}`, { txid: t.txid, vsize: t.vsize, feeSats: t.fee }, nowMs), nowMs);
    return { txid: t.txid, hex: t.hex, vsize: t.vsize, fee: t.fee };
  });
}
