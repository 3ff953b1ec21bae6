/**
 * Programme commitments: record one (a JSON document, dated and versioned; audited), list them,
 * check the register's history against them, and monitor after each sync — a breach by any
 * registered wallet, watch-only ones included, raises an alert once (stored, audited); an alert
 * whose transaction left the chain (a reorg) is resolved.
 */
import { DomainError } from '../../core/errors.ts';
import { commitmentsInForce, evaluateCommitments, parseCommitment, resolveWallets, type Breach, type Commitment } from '../../core/compliance/commitments.ts';
import type { ComplianceAlert, StoredCommitment } from '../../core/compliance/ports.ts';
import { currentRegister } from '../../core/compliance/types.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { registerHistory, type Actor, type ComplianceDeps } from './flows.ts';

/**
 * Parse `text`, resolve its wallets (vault names or ids, each in the register) and record it.
 * @throws INVALID_ARGUMENT (the document; a wallet not in the register), ALREADY_EXISTS (that version is recorded)
 * @example await addCommitment(deps, { actor: 'rosa', role: 'admin' }, readFileSync('imf-2025.json', 'utf8'))
 */
export async function addCommitment(deps: ComplianceDeps, by: Actor, text: string): Promise<StoredCommitment> {
  const parsed = parseCommitment(text);
  const register = currentRegister(await deps.compliance.registerVersions());
  const resolved: Record<string, string> = {};
  for (const ref of parsed.rule.kind === 'sales-only-from' ? parsed.rule.from : parsed.rule.wallets === 'all' ? [] : parsed.rule.wallets) {
    const v = await deps.vaults.findVault(ref);
    if (!v) throw new DomainError('INVALID_ARGUMENT', `commitment ${parsed.id}: no vault "${ref}"`);
    if (!register.has(v.id)) throw new DomainError('INVALID_ARGUMENT', `commitment ${parsed.id}: vault ${v.id} is not in the register (add it first: "soberana compliance register add")`);
    resolved[ref] = v.id;
  }
  const commitment = resolveWallets(parsed, (ref) => resolved[ref] ?? ref);
  const earlier = (await deps.compliance.commitments()).filter((c) => c.commitment.id === commitment.id).map((c) => c.commitment.version);
  const latest = earlier.length === 0 ? 0 : Math.max(...earlier);
  if (earlier.includes(commitment.version)) throw new DomainError('ALREADY_EXISTS', `commitment ${commitment.id} version ${commitment.version} is already recorded: give the new text version ${latest + 1}`);
  if (commitment.version !== latest + 1) throw new DomainError('INVALID_ARGUMENT', `commitment ${commitment.id}: the next version is ${latest + 1}, the document says ${commitment.version}`);
  const atMs = deps.now();
  const stored = { commitment, addedBy: by.actor, addedAtMs: atMs };
  await deps.compliance.addCommitment(stored, { actor: by.actor, role: by.role, action: 'compliance.commitment.add', object: `commitment:${commitment.id}`, details: commitment, atMs });
  return stored;
}

/** Every version of every commitment, and which are in force. */
export async function listCommitments(deps: ComplianceDeps): Promise<{ all: StoredCommitment[]; inForce: Commitment[] }> {
  const all = await deps.compliance.commitments();
  return { all, inForce: commitmentsInForce(all.map((c) => c.commitment)) };
}

export interface CommitmentStatus {
  readonly commitment: Commitment;
  readonly status: 'kept' | 'breached';
  readonly breaches: Breach[];
}

/** The register's confirmed history against every commitment in force. */
export async function checkCommitments(deps: ComplianceDeps): Promise<{ statuses: CommitmentStatus[]; breaches: Breach[] }> {
  const { flows } = await registerHistory(deps);
  const inForce = commitmentsInForce((await deps.compliance.commitments()).map((c) => c.commitment));
  const breaches = evaluateCommitments(inForce, flows);
  const statuses = inForce.map((c) => {
    const mine = breaches.filter((b) => b.commitmentId === c.id && b.commitmentVersion === c.version);
    return { commitment: c, status: mine.length > 0 ? ('breached' as const) : ('kept' as const), breaches: mine };
  });
  return { statuses, breaches };
}

export interface MonitorResult {
  /** Alerts raised by this run (new breaches, or breaches back after a reorg). */
  readonly raised: ComplianceAlert[];
  /** Alerts resolved by this run (their transaction is no longer on the chain, or no longer breaches). */
  readonly resolved: ComplianceAlert[];
  /** Every open alert after this run. */
  readonly open: ComplianceAlert[];
  /** Plain lines for people: one per raised or resolved alert (the CLI prints them as `ALERT:`). */
  readonly alerts: string[];
}

const keyOf = (a: { commitmentId: string; commitmentVersion: number; txid: string }): string => `${a.commitmentId}#${a.commitmentVersion}#${a.txid}`;

/**
 * Run after each sync: evaluate the commitments in force on the register's history and compare
 * with the alerts stored. Writes only when something changed (one transaction, with audit entries).
 * @example const { alerts } = await monitorCommitments(deps); for (const a of alerts) process.stderr.write(`ALERT: ${a}\n`)
 */
export async function monitorCommitments(deps: ComplianceDeps): Promise<MonitorResult> {
  const commitments = await deps.compliance.commitments();
  const stored = await deps.compliance.alerts();
  if (commitments.length === 0 && stored.every((a) => a.resolvedAtMs !== null)) return { raised: [], resolved: [], open: [], alerts: [] };
  const { flows } = await registerHistory(deps);
  const onChain = new Set(flows.map((f) => f.txid));
  const breaches = evaluateCommitments(commitmentsInForce(commitments.map((c) => c.commitment)), flows);
  const now = new Map(breaches.map((b) => [keyOf(b), b]));
  const atMs = deps.now();
  const byKey = new Map(stored.map((a) => [keyOf(a), a]));
  const raised: ComplianceAlert[] = [];
  const resolved: ComplianceAlert[] = [];
  const audits: AuditFields[] = [];
  const lines: string[] = [];
  for (const b of breaches) {
    const had = byKey.get(keyOf(b));
    if (had && had.resolvedAtMs === null) continue;
    const alert: ComplianceAlert = { commitmentId: b.commitmentId, commitmentVersion: b.commitmentVersion, txid: b.txid, message: b.message, raisedAtMs: atMs, resolvedAtMs: null, resolution: null };
    raised.push(alert);
    lines.push(`commitment breach: ${b.message}`);
    audits.push({ actor: 'system', role: 'system', action: 'compliance.alert.raised', object: `commitment:${b.commitmentId}`, details: { version: b.commitmentVersion, txid: b.txid, date: b.date, message: b.message, ...(had ? { again: true } : {}) }, atMs });
  }
  const resolutions: { commitmentId: string; commitmentVersion: number; txid: string; atMs: number; resolution: string }[] = [];
  for (const a of stored) {
    if (a.resolvedAtMs !== null || now.has(keyOf(a))) continue;
    const resolution = onChain.has(a.txid) ? 'the transaction no longer breaches the commitment in force (reclassified, or the commitment changed)' : 'the transaction is no longer on the chain (reorg)';
    resolutions.push({ commitmentId: a.commitmentId, commitmentVersion: a.commitmentVersion, txid: a.txid, atMs, resolution });
    resolved.push({ ...a, resolvedAtMs: atMs, resolution });
    lines.push(`commitment breach resolved: commitment '${a.commitmentId}' version ${a.commitmentVersion}, transaction ${a.txid}: ${resolution}`);
    audits.push({ actor: 'system', role: 'system', action: 'compliance.alert.resolved', object: `commitment:${a.commitmentId}`, details: { version: a.commitmentVersion, txid: a.txid, resolution }, atMs });
  }
  await deps.compliance.recordAlerts(raised, resolutions, audits);
  const open = (await deps.compliance.alerts()).filter((a) => a.resolvedAtMs === null);
  return { raised, resolved, open, alerts: lines };
}
