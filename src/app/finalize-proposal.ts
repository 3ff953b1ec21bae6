/**
 * Finalize a fully signed proposal (BIP174 finalizer and extractor): the proposal becomes
 * `signed` with its final transaction and txid.
 */
import { DomainError } from '../core/errors.ts';
import { extractTransaction, finalizePsbt } from '../core/bitcoin/psbt.ts';
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
    const final = finalizePsbt(p.psbt, { network: vault.network, descriptor: vault.descriptor as string });
    const t = extractTransaction(final);
    const nowMs = tx.now();
    await tx.spends.updateProposal(p.id, 'approved', { state: 'signed', psbt: final, txid: t.txid, finalHex: t.hex }, auditOf(actor, 'operator', 'spend.finalize', `proposal:${p.id}`, { txid: t.txid, vsize: t.vsize, feeSats: t.fee }, nowMs), nowMs);
    return t;
  });
}
