/**
 * Approve a proposed policy change. It becomes active once the approvals meet the quorum that the
 * CURRENT active policy names (never the proposed one; never counting the proposer).
 */
import { DomainError } from '../core/errors.ts';
import { parsePolicyJson } from '../core/policy/parse-policy.ts';
import { evaluatePolicyChange, type PolicyChangeStatus } from '../core/policy/policy-change.ts';
import { atomically, auditOf, checkApprovalSignature, countedApprovals, membersById, requireActor, type GovernanceDeps } from './governance.ts';
import { documentSha256, type ApprovalSubject } from '../core/auth/approval-signature.ts';

export interface ApprovePolicyInput {
  readonly actor: string | undefined;
  readonly changeId: number;
  /** The approver's BIP340 signature over the approval statement (required outside regtest). */
  readonly signature?: string | undefined;
}

/** What a policy-change approval signs: the change, its document, and the version it changes. */
export function policyChangeSubject(change: { id: number; document: string }, fromVersion: number): ApprovalSubject {
  return { kind: 'policy-change', changeId: change.id, documentSha256: documentSha256(change.document), fromVersion };
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
    const subject = policyChangeSubject(change, current.version);
    const signed = checkApprovalSignature(tx, approver, subject, input.signature);
    const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs, ...signed };
    const object = `policy:v${change.version}`;
    // Evaluated before recording too: a stale change (version not above the active one) is refused.
    evaluatePolicyChange(current.policy, proposed, [], change.proposer);
    await tx.spends.approvePolicyChange(change.id, approval, auditOf(approver, 'approver', 'policy.approve', object, { changeId: change.id, groups: approver.groups, ...(signed.signature === null ? { signed: false } : { signed: true, network: tx.network, documentSha256: subject.kind === 'policy-change' ? subject.documentSha256 : null, fromVersion: current.version, signature: signed.signature, publicKey: signed.publicKey }) }, nowMs));
    const status = evaluatePolicyChange(current.policy, proposed, countedApprovals(tx, [...change.approvals, approval], await membersById(tx.spends), subject), change.proposer);
    if (!status.satisfied) return { status, active: false };
    await tx.spends.activatePolicy(change.id, nowMs, auditOf(approver, 'approver', 'policy.activate', object, { changeId: change.id, fromVersion: current.version, quorum: status.requirementText }, nowMs));
    return { status, active: true };
  });
}
