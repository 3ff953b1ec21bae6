/**
 * Approve a proposed policy change. It becomes active once the approvals meet the quorum that the
 * CURRENT active policy names (never the proposed one; never counting the proposer).
 */
import { DomainError } from '../core/errors.ts';
import { parsePolicyJson } from '../core/policy/parse-policy.ts';
import { evaluatePolicyChange, type PolicyChangeStatus } from '../core/policy/policy-change.ts';
import { atomically, auditOf, requireActor, type GovernanceDeps } from './governance.ts';

export interface ApprovePolicyInput {
  readonly actor: string | undefined;
  readonly changeId: number;
}

export interface ApprovePolicyResult {
  readonly status: PolicyChangeStatus;
  readonly active: boolean;
}

/**
 * @throws FORBIDDEN (not an approver), NOT_FOUND, INVALID_STATE (already decided), ALREADY_EXISTS (approved twice)
 * @example await approvePolicy(deps, { actor: 'maria', changeId: 2 })
 */
export async function approvePolicy(deps: GovernanceDeps, input: ApprovePolicyInput): Promise<ApprovePolicyResult> {
  return atomically(deps, async (tx) => {
    const approver = await requireActor(tx.spends, input.actor, 'approver');
    const change = await tx.spends.policyChange(input.changeId);
    if (!change) throw new DomainError('NOT_FOUND', `no policy change ${input.changeId}`);
    if (change.state !== 'proposed') throw new DomainError('INVALID_STATE', `policy change ${change.id} is already ${change.state}`);
    if (change.approvals.some((a) => a.approverId === approver.id)) throw new DomainError('ALREADY_EXISTS', `${approver.id} already approved policy change ${change.id}`);
    const current = await tx.spends.activePolicy();
    if (!current) throw new DomainError('INVALID_STATE', 'there is no active policy to change');
    const proposed = parsePolicyJson(change.document);
    const nowMs = tx.now();
    const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs };
    const object = `policy:v${change.version}`;
    // Evaluated before recording too: a stale change (version not above the active one) is refused.
    evaluatePolicyChange(current.policy, proposed, [], change.proposer);
    await tx.spends.approvePolicyChange(change.id, approval, auditOf(approver, 'approver', 'policy.approve', object, { changeId: change.id, groups: approver.groups }, nowMs));
    const status = evaluatePolicyChange(current.policy, proposed, [...change.approvals, approval], change.proposer);
    if (!status.satisfied) return { status, active: false };
    await tx.spends.activatePolicy(change.id, nowMs, auditOf(approver, 'approver', 'policy.activate', object, { changeId: change.id, fromVersion: current.version, quorum: status.requirementText }, nowMs));
    return { status, active: true };
  });
}
