/**
 * Verify the audit log: recompute the hash chain row by row and compare its end with the head
 * kept apart in `settings`. Names every edited, reordered, deleted or inserted row.
 */
import { DomainError } from '../core/errors.ts';
import { verifyChain, type AuditProblem } from '../core/audit/hash-chain.ts';
import type { SpendStore } from '../core/spend/types.ts';

export interface AuditVerdict {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: { seq: number; hash: string } | null;
  readonly problems: readonly AuditProblem[];
}

/** @example const v = await verifyAuditLog({ spends }); if (!v.ok) console.log(v.problems[0].message) */
export async function verifyAuditLog(deps: { spends: SpendStore }): Promise<AuditVerdict> {
  const entries = await deps.spends.auditLog();
  const head = await deps.spends.auditHead();
  if (head === null && entries.length > 0) {
    return { ok: false, entries: entries.length, head, problems: [{ seq: 1, kind: 'inserted', message: `the log has ${entries.length} rows but no anchored head in settings: the head was removed or the rows inserted` }] };
  }
  const verdict = verifyChain(entries, head ? { expectedHead: head } : {});
  return { ok: verdict.ok, entries: entries.length, head, problems: verdict.ok ? [] : verdict.problems };
}

/** Throws AUDIT_TAMPERED naming the rows when the verdict is not clean. */
export function assertAuditClean(v: AuditVerdict): void {
  if (!v.ok) throw new DomainError('AUDIT_TAMPERED', `audit log tampered: ${v.problems.map((p) => p.message).join('; ')}`, { problems: v.problems.map((p) => ({ seq: p.seq, kind: p.kind })) });
}
