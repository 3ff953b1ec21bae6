/**
 * Export an approved proposal's PSBT for the signers (base64; the CLI writes binary for `.psbt`
 * files). The PSBT leaves Soberana only when the spend is ready NOW: the policy is evaluated again
 * (velocity, allowlist, time of day, price may have changed), the approvals must meet the fresh
 * decision's requirement and the signing delay must have passed — so no signature can exist before
 * the delay ends. The first export is recorded on the proposal (signatures may exist from then on)
 * and every export, and every refusal, is audited.
 */
import { DomainError } from '../core/errors.ts';
import { cleanPsbtForSigners } from '../core/bitcoin/psbt-import.ts';
import { AuditedRefusal, atomically, auditOf, priceAt, readinessNow, requireActor, requireProposal, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, APPROVAL_REQUIRED (not approved yet, or inside the signing delay),
 *   POLICY_DENIED (the policy in force now denies it), INVALID_STATE (finished)
 * @example const { psbt } = await exportProposal(deps, { actor: 'luis', proposalId: 3, destination: 'unsigned.psbt' })
 */
export async function exportProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; destination: string }): Promise<{ psbt: string; unsignedTxid: string }> {
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    if (p.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proposal ${p.id} is not approved yet: it cannot go out for signing`);
    if (p.state !== 'approved' && p.state !== 'signed') throw new DomainError('INVALID_STATE', `proposal ${p.id} is ${p.state}: nothing left to sign`);
    const object = `proposal:${p.id}`;
    if (p.state === 'approved') {
      const { decision, readiness } = await readinessNow(tx, p, nowMs, price);
      if (!readiness.ready) {
        throw new AuditedRefusal(
          auditOf(actor, 'operator', 'spend.export.refused', object, { reason: readiness.reason, policyVersion: decision.policyVersion, rule: decision.ruleId }, nowMs),
          new DomainError(decision.outcome === 'deny' ? (decision.commitment ? 'COMMITMENT_BREACH' : 'POLICY_DENIED') : 'APPROVAL_REQUIRED', `proposal ${p.id} cannot go out for signing yet: ${readiness.reason}`),
        );
      }
      const details = { unsignedTxid: p.unsignedTxid, to: input.destination, policyVersion: decision.policyVersion, readiness: readiness.reason };
      if (p.exportedAtMs === null) {
        await tx.spends.updateProposal(p.id, 'approved', { exportedAtMs: nowMs }, auditOf(actor, 'operator', 'spend.export', object, details, nowMs), nowMs);
      } else {
        await tx.spends.appendAudit(auditOf(actor, 'operator', 'spend.export', object, details, nowMs));
      }
    } else {
      await tx.spends.appendAudit(auditOf(actor, 'operator', 'spend.export', object, { unsignedTxid: p.unsignedTxid, to: input.destination }, nowMs));
    }
    // Only the standard fields signers need leave Soberana (unknown and proprietary ones are stripped).
    return { psbt: cleanPsbtForSigners(p.psbt), unsignedTxid: p.unsignedTxid };
  });
}
