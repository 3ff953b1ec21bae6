/**
 * Broadcast a signed proposal, in three steps so that a crash at any point is recovered:
 * 1. one transaction: the policy is evaluated again NOW (velocity, allowlist, time of day, price),
 *    the approvals must meet the fresh decision's requirement and its signing delay must have
 *    passed; then the proposal becomes `broadcasting` (audited). Refusals are audited.
 * 2. the node is asked, outside any transaction.
 * 3. one transaction: accepted → `broadcast` (a bump marks the proposal it replaces `replaced`;
 *    a transfer to our own vaults is categorised as an internal consolidation); refused →
 *    back to `signed` with the node's reason. If the process dies before step 3, or the node
 *    cannot be reached, the proposal stays `broadcasting` and the next `sync` settles it from what
 *    the node has (see track-proposals.ts).
 */
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import { assertTransition } from '../core/spend/state-machine.ts';
import type { BroadcastResult } from '../core/chain/chain-source.ts';
import { AuditedRefusal, atomically, auditOf, priceAt, readinessNow, requireActor, requireProposal, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (not signed), POLICY_DENIED, APPROVAL_REQUIRED
 *   (short of approvals, or inside the signing delay), BROADCAST_REJECTED (the node's reason), INVALID_CONFIG (no chain),
 *   CHAIN_UNAVAILABLE (the node could not be asked: the proposal stays `broadcasting` until sync settles it)
 * @example const { txid } = await broadcastProposal({ ...deps, chain }, { actor: 'luis', proposalId: 3 })
 */
export async function broadcastProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number }): Promise<{ txid: string; reason: string }> {
  const chain = deps.chain;
  if (!chain) throw new DomainError('INVALID_CONFIG', 'no chain source configured to broadcast through');
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  const started = await atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    if (p.state !== 'signed' || p.finalHex === null || p.txid === null) {
      throw new DomainError(p.state === 'approved' || p.state === 'proposed' ? 'PSBT_INCOMPLETE' : 'INVALID_STATE', `proposal ${p.id} is ${p.state}: only a finalized (signed) proposal can be broadcast`);
    }
    assertTransition(p.id, p.state, 'broadcasting');
    const { decision, readiness } = await readinessNow(tx, p, nowMs, price);
    const object = `proposal:${p.id}`;
    if (!readiness.ready) {
      throw new AuditedRefusal(
        auditOf(actor, 'operator', 'spend.broadcast.refused', object, { reason: readiness.reason, policyVersion: decision.policyVersion, rule: decision.ruleId, explanation: decision.explanation }, nowMs),
        new DomainError(decision.outcome === 'deny' ? (decision.commitment ? 'COMMITMENT_BREACH' : 'POLICY_DENIED') : 'APPROVAL_REQUIRED', `proposal ${p.id} cannot be broadcast: ${readiness.reason}`),
      );
    }
    await tx.spends.updateProposal(p.id, 'signed', { state: 'broadcasting' }, auditOf(actor, 'operator', 'spend.broadcast.start', object, { txid: p.txid, policyVersion: decision.policyVersion, rule: decision.ruleId, readiness: readiness.reason }, nowMs), nowMs);
    return { actor, p: { ...p, txid: p.txid, finalHex: p.finalHex }, readiness };
  });
  const { actor, p, readiness } = started;
  let r: BroadcastResult;
  try {
    r = await chain.broadcast(hex.decode(p.finalHex));
  } catch (e) {
    if (e instanceof DomainError) {
      throw new DomainError(e.code, `${e.message} — proposal ${p.id} stays "broadcasting" until "soberana sync" finds whether the node has transaction ${p.txid}`);
    }
    throw e;
  }
  const doneMs = deps.now();
  const object = `proposal:${p.id}`;
  await atomically(deps, async (tx) => {
    const now = await requireProposal(tx.spends, p.id);
    if (now.state !== 'broadcasting') return; // sync settled it meanwhile, from the chain
    if (!r.accepted) {
      await tx.spends.updateProposal(p.id, 'broadcasting', { state: 'signed' }, auditOf(actor, 'operator', 'spend.broadcast.rejected', object, { txid: p.txid, reason: r.reason }, doneMs), doneMs);
      return;
    }
    await tx.spends.updateProposal(p.id, 'broadcasting', { state: 'broadcast' }, auditOf(actor, 'operator', 'spend.broadcast', object, { txid: p.txid }, doneMs), doneMs);
    if (p.replaces !== null) {
      const old = await tx.spends.proposal(p.replaces);
      if (old && old.state === 'broadcast') {
        await tx.spends.updateProposal(old.id, 'broadcast', { state: 'replaced', replacedBy: p.id }, auditOf(actor, 'operator', 'spend.replaced', `proposal:${old.id}`, { by: p.id, txid: p.txid }, doneMs), doneMs);
      }
    }
    if (p.kind === 'payment' && p.outputs.length > 0 && p.outputs.every((o) => o.internal)) await tx.vaults.setCategory(p.txid, 'internal consolidation');
  });
  if (!r.accepted) throw new DomainError('BROADCAST_REJECTED', `the node rejected proposal ${p.id}'s transaction ${p.txid}: ${r.reason}`);
  return { txid: p.txid, reason: readiness.reason };
}
