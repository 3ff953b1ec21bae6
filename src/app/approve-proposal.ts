/**
 * Approve a spend proposal. Once the approvals meet the requirement of the rule that matched
 * (never counting the proposer; each approver fills one seat), the proposal becomes `approved` and
 * its PSBT may be exported for signing. The signing delay and the policy are checked again at broadcast.
 */
import { DomainError } from '../core/errors.ts';
import { approvalStatus } from '../core/policy/approvals.ts';
import type { ApprovalStatus, PolicyDecision } from '../core/policy/types.ts';
import type { SpendState } from '../core/spend/types.ts';
import { auditOf, requireActor, requireProposal, type GovernanceDeps } from './governance.ts';

export interface ApproveProposalResult {
  readonly status: ApprovalStatus;
  readonly state: SpendState;
}

/**
 * @throws FORBIDDEN (not an approver), PROPOSAL_NOT_FOUND, INVALID_STATE (not awaiting approval), ALREADY_EXISTS
 * @example await approveProposal(deps, { actor: 'maria', proposalId: 3 })
 */
export async function approveProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number }): Promise<ApproveProposalResult> {
  const approver = await requireActor(deps.spends, input.actor, 'approver');
  const p = await requireProposal(deps.spends, input.proposalId);
  if (p.state !== 'proposed') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}, not awaiting approval`);
  const decision = p.decision as PolicyDecision;
  if (decision.requirement === null) throw new DomainError('MALFORMED_DATA', `proposal ${p.id} awaits approval but records no requirement`);
  const nowMs = deps.now();
  const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs };
  const status = approvalStatus(decision.requirement, [...(await deps.spends.approvals(p.id)), approval], p.proposer);
  const state: SpendState = status.satisfied ? 'approved' : 'proposed';
  const details = { groups: approver.groups, counted: approver.id !== p.proposer, quorum: status.satisfied, missing: status.missing };
  await deps.spends.addApproval(p.id, approval, status.satisfied ? { state: 'approved' } : {}, auditOf(approver, 'approver', 'spend.approve', `proposal:${p.id}`, details, nowMs));
  return { status, state };
}
