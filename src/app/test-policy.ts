/**
 * Explain how the active policy decides a proposal now: which rule matched and why (one line per
 * rule looked at), and whether the approvals collected make it ready to sign and broadcast.
 */
import type { SpendReadiness } from '../core/policy/spend-readiness.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import { priceAt, readinessNow, requireProposal, type GovernanceDeps } from './governance.ts';

/** @example (await testPolicy(deps, { proposalId: 3 })).decision.explanation */
export async function testPolicy(deps: GovernanceDeps, input: { proposalId: number }): Promise<{ decision: PolicyDecision; readiness: SpendReadiness }> {
  const p = await requireProposal(deps.spends, input.proposalId);
  const nowMs = deps.now();
  return readinessNow(deps, p, nowMs, await priceAt(deps, nowMs));
}
