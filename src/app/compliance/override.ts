/**
 * A person's classification of a transaction, with a reason (audited). Kept by txid, apart from
 * the synced history: a reorg that removes the transaction leaves the override, which applies again
 * when the transaction reappears.
 */
import { DomainError } from '../../core/errors.ts';
import { parseFlowClass, type FlowOverride } from '../../core/compliance/types.ts';
import type { Actor, ComplianceDeps } from './flows.ts';

const TXID_RE = /^[0-9a-f]{64}$/;

/**
 * @throws INVALID_ARGUMENT (not a txid, unknown class, no reason)
 * @example await overrideFlow(deps, { actor: 'irene', role: 'auditor' }, txid, 'seizure', 'Court order 123/2025 (Juzgado Especializado)')
 */
export async function overrideFlow(deps: ComplianceDeps, by: Actor, txidText: string, classText: string, reasonText: string | undefined): Promise<{ override: FlowOverride; previous: FlowOverride | null }> {
  const txid = txidText.trim().toLowerCase();
  if (!TXID_RE.test(txid)) throw new DomainError('INVALID_ARGUMENT', `"${txidText}" is not a transaction id (64 hex digits)`);
  const cls = parseFlowClass(classText);
  const reason = (reasonText ?? '').trim();
  if (reason.length < 3) throw new DomainError('INVALID_ARGUMENT', 'an override needs a reason (--reason "…"): it goes to the auditors');
  if (reason.length > 500) throw new DomainError('INVALID_ARGUMENT', 'a reason is at most 500 characters');
  const previous = (await deps.compliance.overrides()).find((o) => o.txid === txid) ?? null;
  const atMs = deps.now();
  const override: FlowOverride = { txid, class: cls, reason, setBy: by.actor, setAtMs: atMs };
  await deps.compliance.setOverride(override, {
    actor: by.actor, role: by.role, action: 'compliance.override', object: `tx:${txid}`,
    details: { class: cls, reason, ...(previous ? { previous: { class: previous.class, reason: previous.reason, setBy: previous.setBy } } : {}) }, atMs,
  });
  return { override, previous };
}
