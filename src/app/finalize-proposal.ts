/**
 * Finalize a fully signed proposal (BIP174 finalizer and extractor): the proposal becomes
 * `signed` with its final transaction and txid.
 */
import { DomainError } from '../core/errors.ts';
import { extractTransaction, finalizePsbt } from '../core/bitcoin/psbt.ts';
import { auditOf, requireActor, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE, PSBT_INCOMPLETE (naming the input short of signatures)
 * @example const { txid } = await finalizeProposal(deps, { actor: 'luis', proposalId: 3 })
 */
export async function finalizeProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number }): Promise<{ txid: string; hex: string; vsize: number; fee: bigint }> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const p = await requireProposal(deps.spends, input.proposalId);
  if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet`);
  if (p.state !== 'approved') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}, not awaiting finalization`);
  const vault = await requireVaultOf(deps.vaults, p.vaultId);
  const final = finalizePsbt(p.psbt, { network: vault.network, descriptor: vault.descriptor as string });
  const tx = extractTransaction(final);
  const nowMs = deps.now();
  await deps.spends.updateProposal(p.id, 'approved', { state: 'signed', psbt: final, txid: tx.txid, finalHex: tx.hex }, auditOf(actor, 'operator', 'spend.finalize', `proposal:${p.id}`, { txid: tx.txid, vsize: tx.vsize, feeSats: tx.fee }, nowMs), nowMs);
  return tx;
}
