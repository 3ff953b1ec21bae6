/**
 * Explain how the active policy decides a proposal now: which rule matched and why (one line per
 * rule looked at), and whether the approvals collected make it ready to sign and broadcast.
 */
import { spendReadiness, type SpendReadiness } from '../core/policy/spend-readiness.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import { countedApprovals, decideSpend, membersById, priceAt, proposerOf, spendSubject, requirePolicy, requireProposal, type GovernanceDeps } from './governance.ts';

/** @example (await testPolicy(deps, { proposalId: 3 })).decision.explanation */
export async function testPolicy(deps: GovernanceDeps, input: { proposalId: number }): Promise<{ decision: PolicyDecision; readiness: SpendReadiness }> {
  const p = await requireProposal(deps.spends, input.proposalId);
  const policy = await requirePolicy(deps.spends);
  const nowMs = deps.now();
  const proposer = await proposerOf(deps.spends, p);
  const exclude = [p.id, ...(p.replaces === null ? [] : [p.replaces])];
  const decision = await decideSpend(deps, policy, { vaultId: p.vaultId, proposer, outputs: p.outputs, totalSats: p.amountSats, exclude }, nowMs, await priceAt(deps, nowMs));
  return { decision, readiness: spendReadiness(decision, countedApprovals(deps, await deps.spends.approvals(p.id), await membersById(deps.spends), spendSubject(p)), p.proposer, nowMs) };
}
