/**
 * Every audit anchor the vaults' own confirmed transactions carry, checked against this database's
 * log: the entry each one names must still be in the log with the hash it committed to, and the
 * log must verify with those entries as kept heads. A log rewritten (even with every later hash
 * recomputed and the stored head moved), cut below an anchored entry, or wiped fails, naming the
 * transaction and the entry.
 *
 * Only transactions that spend the vaults' coins are read: anyone can send a vault coins in a
 * transaction carrying an "SBA1" output, and such an output proves nothing about this log.
 */
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import type { Network } from '../core/network.ts';
import type { SpendProposal } from '../core/spend/types.ts';
import { anchorCommitsTo, findAuditAnchors } from '../core/audit/anchor.ts';
import type { AuditHead } from '../core/audit/kept-heads.ts';
import type { SpendStore } from '../core/spend/types.ts';
import { anchorOfPsbt } from './propose-spend.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import { verifyAuditLog, type AuditVerdict } from './verify-audit-log.ts';

/** One anchor found on chain and what the log says about it. */
export interface FoundAnchor {
  readonly vaultId: string;
  readonly txid: string;
  readonly height: number;
  readonly blockTime: number | null;
  readonly vout: number;
  readonly seq: number;
  readonly commitment: string;
  /** The log's entry `seq` commits to it: the head it anchored, else null. */
  readonly head: AuditHead | null;
  readonly ok: boolean;
  /** Why not, when not. */
  readonly problem: string | null;
}

export interface AnchorsVerdict {
  readonly ok: boolean;
  readonly anchors: readonly FoundAnchor[];
  /** The log checked against every matching anchor as a kept head. */
  readonly verdict: AuditVerdict;
}

/**
 * @example const r = await checkAuditAnchors({ spends, vaults }); r.anchors.map((a) => `${a.txid} ${a.seq} ${a.ok}`)
 */
export async function checkAuditAnchors(deps: { spends: SpendStore; vaults: VaultStore }): Promise<AnchorsVerdict> {
  const entries = await deps.spends.auditLog();
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const last = entries[entries.length - 1]?.seq ?? 0;
  const found: FoundAnchor[] = [];
  const seen = new Set<string>();
  for (const vault of await deps.vaults.listVaults()) {
    for (const t of await deps.vaults.transactions(vault.id)) {
      if (t.height === null || t.spent === 0n || seen.has(t.txid)) continue;
      seen.add(t.txid);
      let anchors;
      try {
        anchors = findAuditAnchors(hex.decode(t.rawHex.toLowerCase())).anchors;
      } catch {
        throw new DomainError('MALFORMED_DATA', `the stored transaction ${t.txid} of vault ${vault.id} is not a valid transaction: run "soberana sync" again`);
      }
      for (const a of anchors) {
        const entry = bySeq.get(a.seq);
        let problem: string | null = null;
        if (!entry) {
          problem = entries.length === 0
            ? `transaction ${t.txid} (block ${t.height}) anchors entry ${a.seq} but the log has no entries: the log was wiped`
            : `transaction ${t.txid} (block ${t.height}) anchors entry ${a.seq} but the log ends at entry ${last}: entries were cut`;
        } else if (!anchorCommitsTo(a, { seq: entry.seq, hash: entry.hash })) {
          problem = `transaction ${t.txid} (block ${t.height}) anchors entry ${a.seq}, but the log's entry ${a.seq} (hash ${entry.hash}) is not the one it committed to: the log was rewritten at or before entry ${a.seq} after the transaction was made`;
        }
        found.push({
          vaultId: vault.id, txid: t.txid, height: t.height, blockTime: t.blockTime, vout: a.vout, seq: a.seq, commitment: a.commitment,
          head: problem === null && entry ? { seq: entry.seq, hash: entry.hash } : null, ok: problem === null, problem,
        });
      }
    }
  }
  found.sort((x, y) => x.height - y.height || x.seq - y.seq || (x.txid < y.txid ? -1 : x.txid > y.txid ? 1 : 0));
  const heads = found.flatMap((f) => (f.head ? [f.head] : []));
  const verdict = await verifyAuditLog(deps, { keptHeads: heads });
  return { ok: verdict.ok && found.every((f) => f.ok), anchors: found, verdict };
}

/** Throws AUDIT_TAMPERED naming every anchor that fails and every problem of the log. */
export function assertAnchorsHold(r: AnchorsVerdict): void {
  if (r.ok) return;
  const messages = [...r.anchors.flatMap((a) => (a.problem ? [a.problem] : [])), ...r.verdict.problems.map((p) => p.message)];
  throw new DomainError('AUDIT_TAMPERED', `audit log tampered: ${messages.join('; ')}`, { anchors: r.anchors.filter((a) => !a.ok).map((a) => ({ txid: a.txid, seq: a.seq })), problems: r.verdict.problems.map((p) => ({ seq: p.seq, kind: p.kind })) });
}

/** A proposal's audit anchor as shown to people: its output, the entry, and the hash the log holds for it. */
export interface ProposalAnchor {
  readonly vout: number;
  readonly seq: number;
  readonly commitment: string;
  /** The log's entry `seq` hash when it is the one committed to; null when the log no longer holds it. */
  readonly hash: string | null;
}

/**
 * The anchor output of a proposal's transaction (read from its PSBT), with the hash of the entry it
 * names when this log still holds what it committed to.
 * @example await proposalAnchor({ spends }, p, 'regtest') // { vout: 2, seq: 14, commitment: '…', hash: '…' }
 */
export async function proposalAnchor(deps: { spends: SpendStore }, p: SpendProposal, network: Network): Promise<ProposalAnchor | null> {
  const a = anchorOfPsbt(p.psbt, network);
  if (!a) return null;
  const entry = (await deps.spends.auditLog()).find((e) => e.seq === a.seq);
  const hash = entry && anchorCommitsTo(a, { seq: entry.seq, hash: entry.hash }) ? entry.hash : null;
  return { vout: a.vout, seq: a.seq, commitment: a.commitment, hash };
}
