/**
 * Export an approved proposal's PSBT for the signers (base64; the CLI writes binary for `.psbt`
 * files). The export is audited: who took the transaction out for signing, and when.
 */
import { DomainError } from '../core/errors.ts';
import { auditOf, requireActor, requireProposal, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, APPROVAL_REQUIRED (not approved yet), INVALID_STATE (finished)
 * @example const { psbt } = await exportProposal(deps, { actor: 'luis', proposalId: 3 })
 */
export async function exportProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; destination: string }): Promise<{ psbt: string; unsignedTxid: string }> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const p = await requireProposal(deps.spends, input.proposalId);
  if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet: it cannot go out for signing`);
  if (p.state !== 'approved' && p.state !== 'signed') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}: nothing left to sign`);
  await deps.spends.appendAudit(auditOf(actor, 'operator', 'spend.export', `proposal:${p.id}`, { unsignedTxid: p.unsignedTxid, to: input.destination }, deps.now()));
  return { psbt: p.psbt, unsignedTxid: p.unsignedTxid };
}
