/**
 * May a spend be signed and broadcast now? Combines the policy decision, the approvals collected
 * and the signing delay (counted from the moment the quorum was reached). Evaluate the policy
 * again right before broadcast and pass the fresh decision: the vault's velocity, the allowlist or
 * the time of day may have changed since the proposal.
 */
import { approvalStatus } from './approvals.ts';
import { formatTime } from './explain.ts';
import type { Approval, PolicyDecision } from './types.ts';

export interface SpendReadiness {
  readonly ready: boolean;
  /** Plain words: why not, or what allowed it. */
  readonly reason: string;
  /** When it becomes (or became) signable, if approvals suffice; null when denied or short of approvals. */
  readonly signableAtMs: number | null;
}

/**
 * @example spendReadiness(decision, approvals, 'luis', Date.UTC(2026, 0, 6)).ready
 */
export function spendReadiness(decision: PolicyDecision, approvals: readonly Approval[], proposerId: string, nowMs: number): SpendReadiness {
  const rule = decision.ruleId === null ? 'no rule matched' : `rule '${decision.ruleId}'`;
  switch (decision.outcome) {
    case 'deny':
      if (decision.commitment) return { ready: false, reason: `refused by ${decision.commitment.message}`, signableAtMs: null };
      return { ready: false, reason: `denied by policy version ${decision.policyVersion} (${rule})`, signableAtMs: null };
    case 'allow':
      return { ready: true, reason: `allowed by policy version ${decision.policyVersion} (${rule})`, signableAtMs: nowMs };
    case 'approval': {
      const status = approvalStatus(decision.requirement, approvals, proposerId);
      if (!status.satisfied || status.satisfiedAtMs === null) return { ready: false, reason: status.missing, signableAtMs: null };
      const at = status.satisfiedAtMs + decision.signingDelaySeconds * 1000;
      if (nowMs < at) return { ready: false, reason: `approved at ${formatTime(status.satisfiedAtMs)}; signing delay until ${formatTime(at)}`, signableAtMs: at };
      return { ready: true, reason: `approved under policy version ${decision.policyVersion} (${rule})`, signableAtMs: at };
    }
  }
}
