/**
 * `audit verify` checks the approvals themselves, not only the chain (issue #19): every audit entry
 * of a signed approval carries what was signed (network, what was approved, the key) and the
 * signature; the statement is rebuilt from it and the signature verified — a BIP340 signature, or a
 * passkey's WebAuthn assertion (challenge = the approval digest, rpIdHash and user presence, an
 * origin on the credential's rpId, the P-256 signature) — and the key must be
 * one the log registered for that member earlier (a `member.add` by bootstrap or admin before the
 * first policy, or a `member.change.accepted` by quorum). So an approval written into the database —
 * even with a consistent hash chain — does not pass unless it carries the member's own signature.
 * Unsigned approvals (regtest only) are reported as such by the caller, not as tampering.
 */
import type { AuditEntry, AuditProblem } from '../audit/hash-chain.ts';
import type { Network } from '../network.ts';
import { approvalSignatureProblem, approvalStatement, type ApprovalSubject } from './approval-signature.ts';
import { isWebAuthnText } from './webauthn.ts';

const NETWORKS: readonly Network[] = ['main', 'test', 'signet', 'regtest'];
type D = Record<string, unknown>;

const str = (d: D, k: string): string | null => (typeof d[k] === 'string' ? (d[k] as string) : null);
const num = (d: D, k: string): number | null => (typeof d[k] === 'number' ? (d[k] as number) : typeof d[k] === 'string' && /^\d+$/.test(d[k] as string) ? Number(d[k]) : null);

/** The subject a signed approval entry claims, or null when the entry does not say enough. */
function subjectOf(e: AuditEntry, d: D): ApprovalSubject | null {
  if (e.action === 'spend.approve') {
    const m = /^proposal:(\d+)$/.exec(e.object);
    const txid = str(d, 'unsignedTxid');
    const version = num(d, 'proposalPolicyVersion');
    return m && txid !== null && version !== null ? { kind: 'spend', proposalId: Number(m[1]), unsignedTxid: txid, policyVersion: version } : null;
  }
  const changeId = num(d, 'changeId');
  const doc = str(d, 'documentSha256');
  const from = num(d, 'fromVersion');
  return changeId !== null && doc !== null && from !== null ? { kind: 'policy-change', changeId, documentSha256: doc, fromVersion: from } : null;
}

/**
 * Problems with the approvals recorded in a (chain-verified) log, and how many were signed (of them,
 * how many with a passkey) / unsigned.
 * @example const { problems } = checkApprovalSignatures(entries) // [] when every signed approval verifies
 */
export function checkApprovalSignatures(entries: readonly AuditEntry[]): { problems: AuditProblem[]; signed: number; passkeys: number; unsigned: number } {
  const keys = new Map<string, Set<string>>();
  const problems: AuditProblem[] = [];
  let signed = 0;
  let passkeys = 0;
  let unsigned = 0;
  for (const e of entries) {
    const d = (e.details !== null && typeof e.details === 'object' ? e.details : {}) as D;
    if ((e.action === 'member.add' || e.action === 'member.change.accepted') && typeof d.publicKey === 'string') {
      const id = e.action === 'member.add' ? str(d, 'id') : e.object.replace(/^member:/, '');
      if (id) keys.set(id, new Set([...(keys.get(id) ?? []), d.publicKey]));
      continue;
    }
    if (e.action !== 'spend.approve' && e.action !== 'policy.approve' && e.action !== 'member.change.approve') continue;
    if (d.signed !== true) {
      unsigned++;
      continue;
    }
    signed++;
    const network = str(d, 'network');
    const key = str(d, 'publicKey');
    const sig = str(d, 'signature');
    const subject = subjectOf(e, d);
    if (network === null || !NETWORKS.includes(network as Network) || key === null || sig === null || subject === null) {
      problems.push({ seq: e.seq, kind: 'edited', message: `entry ${e.seq} (${e.action} by ${e.actor}) claims a signature but does not record what was signed` });
    } else if (!(keys.get(e.actor)?.has(key) ?? false)) {
      problems.push({ seq: e.seq, kind: 'inserted', message: `entry ${e.seq}: ${e.actor} approved with a key the log never registered for them` });
    } else {
      const problem = approvalSignatureProblem(approvalStatement(network as Network, e.actor, subject), sig, key);
      if (problem !== null) problems.push({ seq: e.seq, kind: 'edited', message: `entry ${e.seq}: the ${isWebAuthnText(key) ? 'passkey ' : ''}signature of ${e.actor}'s approval does not verify (${problem})` });
      else if (isWebAuthnText(key)) passkeys++;
    }
  }
  return { problems, signed, passkeys, unsigned };
}
