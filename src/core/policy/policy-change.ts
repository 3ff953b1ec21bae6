/**
 * Changing the policy: a new version is accepted only with the quorum that the CURRENT policy
 * names in `policyChange` (never the proposed one, which could lower the bar for itself), never
 * counting the proposer, and only if its version number is higher.
 */
import { DomainError } from '../errors.ts';
import { approvalStatus, describeRequirement } from './approvals.ts';
import type { Approval, ApprovalStatus, Policy } from './types.ts';

export interface PolicyChangeStatus extends ApprovalStatus {
  readonly fromVersion: number;
  readonly toVersion: number;
  /** "policyChange of version 3: 2 of finance AND 2 of central-bank". */
  readonly requirementText: string;
}

/**
 * @throws DomainError INVALID_CONFIG when `proposed.version` is not above `current.version`
 * @example evaluatePolicyChange(v3, v4, approvals, 'luis').satisfied
 */
export function evaluatePolicyChange(current: Policy, proposed: Policy, approvals: readonly Approval[], proposerId: string): PolicyChangeStatus {
  if (proposed.version <= current.version) {
    throw new DomainError('INVALID_CONFIG', `version: a new policy must have a version above the current ${current.version}, got ${proposed.version}`);
  }
  const status = approvalStatus(current.policyChange, approvals, proposerId);
  return {
    ...status,
    fromVersion: current.version,
    toVersion: proposed.version,
    requirementText: `policyChange of version ${current.version}: ${describeRequirement(current.policyChange)}`,
  };
}
