/**
 * Propose a new version of the spending policy. With no policy yet, an admin's version 1 is
 * accepted at once (bootstrap, audited). Afterwards the change waits for the quorum that the
 * CURRENT policy names in `policyChange` (see approve-policy.ts).
 */
import { DomainError } from '../core/errors.ts';
import { parsePolicyJson } from '../core/policy/parse-policy.ts';
import { evaluatePolicyChange, type PolicyChangeStatus } from '../core/policy/policy-change.ts';
import type { PolicyChangeRecord } from '../core/spend/types.ts';
import { atomically, auditOf, requireActor, type GovernanceDeps } from './governance.ts';

export interface ProposePolicyInput {
  readonly actor: string | undefined;
  /** The policy document, JSON text. */
  readonly document: string;
}

export interface ProposePolicyResult {
  readonly change: PolicyChangeRecord;
  /** True when it became the active policy (the bootstrap). */
  readonly active: boolean;
  readonly status: PolicyChangeStatus | null;
}

/**
 * @throws FORBIDDEN (not an admin), INVALID_CONFIG (malformed document, version not above the current)
 * @example await proposePolicy(deps, { actor: 'ana', document: readFileSync('policy.json', 'utf8') })
 */
export async function proposePolicy(deps: GovernanceDeps, input: ProposePolicyInput): Promise<ProposePolicyResult> {
  return atomically(deps, async (tx) => {
    const admin = await requireActor(tx.spends, input.actor, 'admin');
    const proposed = parsePolicyJson(input.document);
    const current = await tx.spends.activePolicy();
    const nowMs = tx.now();
    const object = `policy:v${proposed.version}`;
    if (!current) {
      if (proposed.version !== 1) throw new DomainError('INVALID_CONFIG', `version: the first policy must be version 1, got ${proposed.version}`);
      const id = await tx.spends.proposePolicyChange({ version: 1, document: input.document, proposer: admin.id, createdAtMs: nowMs }, auditOf(admin, 'admin', 'policy.propose', object, { version: 1, name: proposed.name, bootstrap: true }, nowMs));
      await tx.spends.activatePolicy(id, nowMs, auditOf(admin, 'admin', 'policy.activate', object, { version: 1, changeId: id, bootstrap: true }, nowMs));
      return { change: await mustChange(tx, id), active: true, status: null };
    }
    const status = evaluatePolicyChange(current.policy, proposed, [], admin.id);
    const id = await tx.spends.proposePolicyChange({ version: proposed.version, document: input.document, proposer: admin.id, createdAtMs: nowMs }, auditOf(admin, 'admin', 'policy.propose', object, { version: proposed.version, name: proposed.name, fromVersion: current.version, requirement: status.requirementText }, nowMs));
    return { change: await mustChange(tx, id), active: false, status };
  });
}

async function mustChange(deps: GovernanceDeps, id: number): Promise<PolicyChangeRecord> {
  const c = await deps.spends.policyChange(id);
  if (!c) throw new DomainError('STORE_UNAVAILABLE', `policy change ${id} vanished after it was recorded`);
  return c;
}
