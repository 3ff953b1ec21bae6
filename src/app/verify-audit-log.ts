/**
 * Verify the audit log: recompute the hash chain row by row and compare its end with the head
 * kept apart in `settings`. Names every edited, reordered, deleted or inserted row.
 *
 * The head in `settings` lives in the same database as the rows, so whoever can rewrite one can
 * rewrite the other. Heads kept elsewhere (`keptHeads`: an auditor's saved copies, the published
 * head, one anchored in a Bitcoin transaction) catch what the chain alone cannot: a tail cut off,
 * a history rewritten with fresh hashes, a wiped log.
 */
import { DomainError } from '../core/errors.ts';
import { verifyChain, type AuditProblem } from '../core/audit/hash-chain.ts';
import { auditHeadOf, checkKeptHeads, type AuditHead, type AuditHeadInfo, type KeptHeadCheck } from '../core/audit/kept-heads.ts';
import { anchorCommitsTo, findAuditAnchors, type AuditAnchor } from '../core/audit/anchor.ts';
import type { SpendStore } from '../core/spend/types.ts';
import { checkApprovalSignatures } from '../core/auth/approval-audit.ts';

export interface AuditVerdict {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: { seq: number; hash: string } | null;
  /** Every problem: those found by the kept heads first, then the chain's. */
  readonly problems: readonly AuditProblem[];
  /** One result per kept head given, in the order given. */
  readonly kept: readonly KeptHeadCheck[];
  /** Approvals in the log carrying a member's signature (each verified), and unsigned ones (regtest only). */
  readonly approvals: { readonly signed: number; readonly unsigned: number };
}

/**
 * @example const v = await verifyAuditLog({ spends }, { keptHeads: [{ seq: 220, hash: '9f3e…' }] }); if (!v.ok) console.log(v.problems[0].message)
 */
export async function verifyAuditLog(deps: { spends: SpendStore }, opts: { keptHeads?: readonly AuditHead[] } = {}): Promise<AuditVerdict> {
  const entries = await deps.spends.auditLog();
  const head = await deps.spends.auditHead();
  const kept = checkKeptHeads(entries, opts.keptHeads ?? []);
  const keptProblems = kept.flatMap((k) => (k.problem ? [k.problem] : []));
  let chainProblems: readonly AuditProblem[];
  if (head === null && entries.length > 0) {
    chainProblems = [{ seq: 1, kind: 'inserted', message: `the log has ${entries.length} rows but no anchored head in settings: the head was removed or the rows inserted` }];
  } else {
    const verdict = verifyChain(entries, head ? { expectedHead: head } : {});
    chainProblems = verdict.ok ? [] : verdict.problems;
  }
  const sigs = checkApprovalSignatures(entries);
  const problems = [...keptProblems, ...chainProblems, ...sigs.problems];
  return { ok: problems.length === 0, entries: entries.length, head, problems, kept, approvals: { signed: sigs.signed, unsigned: sigs.unsigned } };
}

/** Throws AUDIT_TAMPERED naming the rows when the verdict is not clean. */
export function assertAuditClean(v: AuditVerdict): void {
  if (!v.ok) throw new DomainError('AUDIT_TAMPERED', `audit log tampered: ${v.problems.map((p) => p.message).join('; ')}`, { problems: v.problems.map((p) => ({ seq: p.seq, kind: p.kind })) });
}

/**
 * The head to publish or save: the log's last entry (seq, hash, time) and its row count, after
 * checking the chain — a log that does not verify gets no head (AUDIT_TAMPERED), so nobody saves
 * a tampered head as a good one.
 *
 * @example formatHead(await currentAuditHead({ spends })) // '221:3fa9…'
 */
export async function currentAuditHead(deps: { spends: SpendStore }): Promise<AuditHeadInfo> {
  const v = await verifyAuditLog(deps);
  assertAuditClean(v);
  return auditHeadOf(await deps.spends.auditLog());
}

/** What `verifyAuditAnchor` found. */
export interface AnchorVerdict {
  readonly txid: string;
  readonly anchors: readonly AuditAnchor[];
  /** The anchor that matched this log, its output and the head it commits to. */
  readonly vout: number;
  readonly head: AuditHead;
  /** The log checked against that head. */
  readonly verdict: AuditVerdict;
}

/**
 * Check a raw transaction's audit anchor against this database's log: the entry it names must be
 * in the log with the hash it commits to, and the log must verify with that entry as a kept head.
 * No anchor in the transaction is NOT_FOUND; an anchor this log does not match is AUDIT_TAMPERED
 * (the log was rewritten or cut after the transaction was made).
 *
 * @example const r = await verifyAuditAnchor({ spends }, rawTx); // r.head.seq, r.vout
 */
export async function verifyAuditAnchor(deps: { spends: SpendStore }, raw: Uint8Array): Promise<AnchorVerdict> {
  const { txid, anchors } = findAuditAnchors(raw);
  if (anchors.length === 0) throw new DomainError('NOT_FOUND', `transaction ${txid} carries no audit log anchor (an OP_RETURN output starting "SBA1")`);
  const entries = await deps.spends.auditLog();
  const last = entries[entries.length - 1]?.seq ?? 0;
  const problems: string[] = [];
  for (const a of anchors) {
    const entry = entries.find((e) => e.seq === a.seq);
    if (!entry) {
      problems.push(entries.length === 0
        ? `transaction ${txid} anchors entry ${a.seq} but the log has no entries: the log was wiped`
        : `transaction ${txid} anchors entry ${a.seq} but the log ends at entry ${last}: entries were cut`);
      continue;
    }
    if (!anchorCommitsTo(a, { seq: entry.seq, hash: entry.hash })) {
      problems.push(`transaction ${txid} anchors entry ${a.seq}, but the log's entry ${a.seq} (hash ${entry.hash}) is not the one it committed to: the log was rewritten after the transaction was made`);
      continue;
    }
    const head = { seq: entry.seq, hash: entry.hash };
    const verdict = await verifyAuditLog(deps, { keptHeads: [head] });
    assertAuditClean(verdict);
    return { txid, anchors, vout: a.vout, head, verdict };
  }
  throw new DomainError('AUDIT_TAMPERED', `audit log tampered: ${problems.join('; ')}`);
}
