/**
 * Broadcast a signed proposal. Refused unless the policy is satisfied NOW: the policy is evaluated
 * again (velocity, allowlist, time of day may have changed), the approvals must meet the fresh
 * decision's requirement, and its signing delay must have passed. Refusals are audited.
 * A bump that is accepted marks the proposal it replaces as `replaced`; a transfer to our own
 * vaults is categorised as an internal consolidation, not a payment.
 */
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import { spendReadiness } from '../core/policy/spend-readiness.ts';
import { auditOf, decideSpend, proposerOf, requireActor, requirePolicy, requireProposal, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (not signed), POLICY_DENIED, APPROVAL_REQUIRED
 *   (short of approvals, or inside the signing delay), BROADCAST_REJECTED (the node's reason), INVALID_CONFIG (no chain)
 * @example const { txid } = await broadcastProposal({ ...deps, chain }, { actor: 'luis', proposalId: 3 })
 */
export async function broadcastProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number }): Promise<{ txid: string; reason: string }> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const p = await requireProposal(deps.spends, input.proposalId);
  if (p.state !== 'signed' || p.finalHex === null || p.txid === null) {
    throw new DomainError(p.state === 'approved' || p.state === 'proposed' ? 'PSBT_INCOMPLETE' : 'INVALID_STATE', `proposal ${p.id} is ${p.state}: only a finalized (signed) proposal can be broadcast`);
  }
  if (!deps.chain) throw new DomainError('INVALID_CONFIG', 'no chain source configured to broadcast through');
  const policy = await requirePolicy(deps.spends);
  const nowMs = deps.now();
  const proposer = await proposerOf(deps.spends, p);
  const exclude = [p.id, ...(p.replaces === null ? [] : [p.replaces])];
  const decision = await decideSpend(deps, policy, { vaultId: p.vaultId, proposer, outputs: p.outputs, totalSats: p.amountSats, exclude }, nowMs);
  const readiness = spendReadiness(decision, await deps.spends.approvals(p.id), p.proposer, nowMs);
  const object = `proposal:${p.id}`;
  if (!readiness.ready) {
    await deps.spends.appendAudit(auditOf(actor, 'operator', 'spend.broadcast.refused', object, { reason: readiness.reason, policyVersion: decision.policyVersion, rule: decision.ruleId, explanation: decision.explanation }, nowMs));
    throw new DomainError(decision.outcome === 'deny' ? 'POLICY_DENIED' : 'APPROVAL_REQUIRED', `proposal ${p.id} cannot be broadcast: ${readiness.reason}`);
  }
  const r = await deps.chain.broadcast(hex.decode(p.finalHex));
  if (!r.accepted) {
    await deps.spends.appendAudit(auditOf(actor, 'operator', 'spend.broadcast.rejected', object, { txid: p.txid, reason: r.reason }, nowMs));
    throw new DomainError('BROADCAST_REJECTED', `the node rejected proposal ${p.id}'s transaction ${p.txid}: ${r.reason}`);
  }
  await deps.spends.updateProposal(p.id, 'signed', { state: 'broadcast' }, auditOf(actor, 'operator', 'spend.broadcast', object, { txid: p.txid, policyVersion: decision.policyVersion, rule: decision.ruleId, readiness: readiness.reason }, nowMs), nowMs);
  if (p.replaces !== null) {
    const old = await deps.spends.proposal(p.replaces);
    if (old && old.state === 'broadcast') {
      await deps.spends.updateProposal(old.id, 'broadcast', { state: 'replaced', replacedBy: p.id }, auditOf(actor, 'operator', 'spend.replaced', `proposal:${old.id}`, { by: p.id, txid: p.txid }, nowMs), nowMs);
    }
  }
  if (p.kind === 'payment' && p.outputs.length > 0 && p.outputs.every((o) => o.internal)) await deps.vaults.setCategory(p.txid, 'internal consolidation');
  return { txid: p.txid, reason: readiness.reason };
}
