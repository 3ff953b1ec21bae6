/**
 * Cancel a proposal that has not been broadcast. Its coins become available to new proposals.
 * (A broadcast transaction cannot be recalled; replace it with `spend bump` instead.)
 */
import { assertTransition } from '../core/spend/state-machine.ts';
import { atomically, auditOf, requireActor, requireProposal, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (broadcast or finished)
 * @example await cancelProposal(deps, { actor: 'luis', proposalId: 3, reason: 'wrong amount' })
 */
export async function cancelProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; reason?: string | undefined }): Promise<void> {
  await atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    assertTransition(p.id, p.state, 'cancelled');
    const nowMs = tx.now();
    await tx.spends.updateProposal(p.id, p.state, { state: 'cancelled' }, auditOf(actor, 'operator', 'spend.cancel', `proposal:${p.id}`, { from: p.state, reason: input.reason ?? null }, nowMs), nowMs);
  });
}
