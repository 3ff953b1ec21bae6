/**
 * Approve a spend proposal. Once the approvals meet the requirement of the rule that matched
 * (never counting the proposer; each approver fills one seat), the proposal becomes `approved` and
 * its PSBT may be exported for signing after the signing delay. The quorum is computed from the
 * approvals stored, inside the transaction that adds this one: approvals arriving at the same
 * moment are counted one after the other, and the one that completes the quorum moves the state.
 *
 * A proposal already `approved` or `signed` takes a further approval only when the policy in force
 * NOW asks for more than it has (a policy change raised the bar after its quorum): the approval is
 * recorded without a state change, so that export and broadcast, which check the policy in force,
 * can go ahead once it is met.
 */
import { DomainError } from '../core/errors.ts';
import { approvalStatus } from '../core/policy/approvals.ts';
import type { ApprovalStatus } from '../core/policy/types.ts';
import { assertTransition } from '../core/spend/state-machine.ts';
import type { SpendState } from '../core/spend/types.ts';
import { atomically, auditOf, checkApprovalSignature, countedApprovals, decideSpend, membersById, priceAt, proposerOf, requireActor, requirePolicy, requireProposal, spendSubject, type GovernanceDeps } from './governance.ts';

export interface ApproveProposalResult {
  readonly status: ApprovalStatus;
  readonly state: SpendState;
}

/**
 * @throws FORBIDDEN (not an approver), PROPOSAL_NOT_FOUND, INVALID_STATE (not awaiting approval), ALREADY_EXISTS
 * @example await approveProposal(deps, { actor: 'maria', proposalId: 3 })
 */
export async function approveProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; signature?: string | undefined }): Promise<ApproveProposalResult> {
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  return atomically(deps, async (tx) => {
    const approver = await requireActor(tx.spends, input.actor, 'approver');
    const p = await requireProposal(tx.spends, input.proposalId);
    const all = await tx.spends.approvals(p.id);
    if (all.some((a) => a.approverId === approver.id)) throw new DomainError('ALREADY_EXISTS', `${approver.id} already approved proposal ${p.id}`);
    const signed = checkApprovalSignature(tx, approver, spendSubject(p), input.signature);
    const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs, ...signed };
    // Only approvals whose signatures verify today count (a row written by hand does not).
    const stored = countedApprovals(tx, all, await membersById(tx.spends), spendSubject(p));
    if (p.state === 'approved' || p.state === 'signed') {
      // A top-up: only when the policy in force now finds the approvals short.
      const policy = await requirePolicy(tx.spends);
      const exclude = [p.id, ...(p.replaces === null ? [] : [p.replaces])];
      const now = await decideSpend(tx, policy, { vaultId: p.vaultId, proposer: await proposerOf(tx.spends, p), outputs: p.outputs, totalSats: p.amountSats, exclude }, nowMs, price);
      if (now.outcome !== 'approval' || approvalStatus(now.requirement, stored, p.proposer).satisfied) {
        throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}, not awaiting approval`);
      }
      const status = approvalStatus(now.requirement, [...stored, approval], p.proposer);
      const details = { groups: approver.groups, counted: approver.id !== p.proposer, quorum: status.satisfied, missing: status.missing, topUp: true, policyVersion: now.policyVersion, ...signedDetails(tx.network, p, signed) };
      await tx.spends.addApproval(p.id, approval, {}, auditOf(approver, 'approver', 'spend.approve', `proposal:${p.id}`, details, nowMs));
      return { status, state: p.state };
    }
    if (p.state !== 'proposed') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}, not awaiting approval`);
    const decision = p.decision;
    if (decision.outcome !== 'approval') throw new DomainError('MALFORMED_DATA', `proposal ${p.id} awaits approval but its decision is ${decision.outcome}`);
    const status = approvalStatus(decision.requirement, [...stored, approval], p.proposer);
    const state: SpendState = status.satisfied ? 'approved' : 'proposed';
    if (status.satisfied) assertTransition(p.id, p.state, 'approved');
    const details = { groups: approver.groups, counted: approver.id !== p.proposer, quorum: status.satisfied, missing: status.missing, ...signedDetails(tx.network, p, signed) };
    await tx.spends.addApproval(p.id, approval, status.satisfied ? { state: 'approved' } : {}, auditOf(approver, 'approver', 'spend.approve', `proposal:${p.id}`, details, nowMs));
    return { status, state };
  });
}

/** What the audit entry keeps of a signed approval, so that `audit verify` can check it on its own. */
function signedDetails(network: string, p: { unsignedTxid: string; policyVersion: number }, signed: { signature: string | null; publicKey: string | null }) {
  return signed.signature === null ? { signed: false } : { signed: true, network, unsignedTxid: p.unsignedTxid, proposalPolicyVersion: p.policyVersion, signature: signed.signature, publicKey: signed.publicKey };
}
