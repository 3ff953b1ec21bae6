/**
 * Approve a proposed policy change. It becomes active once the approvals meet the quorum that the
 * CURRENT active policy names (never the proposed one; never counting the proposer).
 */
import { DomainError } from '../core/errors.ts';
import { parsePolicyJson } from '../core/policy/parse-policy.ts';
import { evaluatePolicyChange, type PolicyChangeStatus } from '../core/policy/policy-change.ts';
import { approvalStatus, describeRequirement } from '../core/policy/approvals.ts';
import type { Approval } from '../core/policy/types.ts';
import type { Member } from '../core/spend/types.ts';
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
    const nowMs = tx.now();
    const subject = policyChangeSubject(change, current.version);
    const signed = checkApprovalSignature(tx, approver, subject, input.signature);
    const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs, ...signed };
    const member = change.kind === 'member' ? memberFromDocument(change.document, change.id) : null;
    const proposed = member === null ? parsePolicyJson(change.document) : null;
    const object = member === null ? `policy:v${change.version}` : `member:${member.id}`;
    const evaluate = (approvals: readonly Approval[]): PolicyChangeStatus =>
      proposed !== null
        ? evaluatePolicyChange(current.policy, proposed, approvals, change.proposer)
        : { ...approvalStatus(current.policy.policyChange, approvals, change.proposer), fromVersion: current.version, toVersion: current.version, requirementText: `policyChange of version ${current.version}: ${describeRequirement(current.policy.policyChange)}` };
    // Evaluated before recording too: a stale change (version not above the active one) is refused.
    evaluate([]);
    await tx.spends.approvePolicyChange(change.id, approval, auditOf(approver, 'approver', member === null ? 'policy.approve' : 'member.change.approve', object, { changeId: change.id, groups: approver.groups, ...(signed.signature === null ? { signed: false } : { signed: true, network: tx.network, documentSha256: subject.kind === 'policy-change' ? subject.documentSha256 : null, fromVersion: current.version, signature: signed.signature, publicKey: signed.publicKey }) }, nowMs));
    const status = evaluate(countedApprovals(tx, [...change.approvals, approval], await membersById(tx.spends), subject));
    if (!status.satisfied) return { status, active: false };
    if (member !== null) {
      await tx.spends.applyMemberChange(change.id, member, auditOf(approver, 'approver', 'member.change.accepted', object, { changeId: change.id, roles: member.roles, groups: member.groups, publicKey: member.publicKey ?? null, quorum: status.requirementText }, nowMs));
      return { status, active: true };
    }
    await tx.spends.activatePolicy(change.id, nowMs, auditOf(approver, 'approver', 'policy.activate', object, { changeId: change.id, fromVersion: current.version, quorum: status.requirementText }, nowMs));
    return { status, active: true };
  });
}

/** The member a member change (kind `member`) proposes, as stored by add-member.ts. */
function memberFromDocument(document: string, changeId: number): Member {
  let v: { id?: unknown; name?: unknown; roles?: unknown; groups?: unknown; createdAtMs?: unknown; publicKey?: unknown };
  try {
    v = JSON.parse(document) as typeof v;
  } catch {
    throw new DomainError('MALFORMED_DATA', `member change ${changeId} does not hold a member`);
  }
  const list = (x: unknown): x is string[] => Array.isArray(x) && x.every((e) => typeof e === 'string');
  if (typeof v.id !== 'string' || typeof v.name !== 'string' || !list(v.roles) || !list(v.groups) || typeof v.createdAtMs !== 'number') {
    throw new DomainError('MALFORMED_DATA', `member change ${changeId} does not hold a member`);
  }
  return { id: v.id, name: v.name, roles: v.roles, groups: v.groups, createdAtMs: v.createdAtMs, publicKey: typeof v.publicKey === 'string' ? v.publicKey : null };
}
