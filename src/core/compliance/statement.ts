/**
 * The quarterly statement for a programme's reviewers (issue #15 item 4): opening and closing
 * stock per registered wallet and in total, every flow of the quarter by class with its txid and
 * reason, the commitments in force and their status, breaches and their resolution, and a
 * reconciliation (opening + wallets joining − wallets leaving + flows = closing), and the proofs of
 * reserves published in the quarter (or the latest before its end). Pure: the caller hands over the
 * balances at the quarter's ends, computed from the synced history, and the published proofs.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../audit/hash-chain.ts';
import { DomainError } from '../errors.ts';
import { formatBtc } from '../money.ts';
import type { StatementDocument } from '../accounting/statement-document.ts';
import type { Breach, Commitment } from './commitments.ts';
import type { ComplianceAlert } from './ports.ts';
import { FLOW_CLASSES, inRegisterOn, type ClassifiedFlow, type FlowClass, type RegisterEntry } from './types.ts';

export interface Quarter {
  /** e.g. "2025Q3". */
  readonly label: string;
  /** First day, YYYY-MM-DD. */
  readonly from: string;
  /** Last day, YYYY-MM-DD. */
  readonly to: string;
}

/** "2025Q3" → 2025-07-01 … 2025-09-30; INVALID_ARGUMENT otherwise. */
export function parseQuarter(text: string): Quarter {
  const m = /^(\d{4})[- ]?Q([1-4])$/i.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `a quarter is written like 2025Q3, got "${text}"`);
  const year = Number(m[1]);
  const q = Number(m[2]);
  const from = new Date(Date.UTC(year, (q - 1) * 3, 1)).toISOString().slice(0, 10);
  const to = new Date(Date.UTC(year, q * 3, 0)).toISOString().slice(0, 10);
  return { label: `${year}Q${q}`, from, to };
}

/** The day before `day` (YYYY-MM-DD). */
export function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

export interface StatementWallet {
  readonly vaultId: string;
  readonly name: string;
  readonly owner: string;
  readonly watchOnly: boolean;
  readonly joinedOn: string;
  readonly leftOn: string | null;
  /** Stock at the end of the day before the quarter; null when not in the register then. */
  readonly openingSats: bigint | null;
  /** Stock at the end of the quarter's last day; null when not in the register then. */
  readonly closingSats: bigint | null;
}

/** A published proof of reserves, as a statement refers to it. */
export interface ProofReference {
  /** The proof round's id (`soberana por round show ID`). */
  readonly id: number;
  /** The day (UTC) it was published, YYYY-MM-DD. */
  readonly publishedOn: string;
  /** The block the proof was made against. */
  readonly height: number;
  readonly blockHash: string;
  /** The total it proves, sats. */
  readonly totalSats: bigint;
  /** The vaults it covers. */
  readonly vaultIds: readonly string[];
  /** SHA-256 (hex) of the published proof file, what `sha256sum` of the file prints; null if no file is stored. */
  readonly fileSha256: string | null;
}

/**
 * The proofs a quarter's statement refers to: those published in the quarter, or when there is
 * none, the latest published before its end (none when nothing was published by then). By id.
 * @example proofReferencesFor(parseQuarter('2025Q3'), [{ id: 1, publishedOn: '2025-08-01', … }]).map((p) => p.id) // [1]
 */
export function proofReferencesFor(quarter: Quarter, published: readonly ProofReference[]): ProofReference[] {
  const inQuarter = published.filter((p) => p.publishedOn >= quarter.from && p.publishedOn <= quarter.to);
  if (inQuarter.length > 0) return [...inQuarter].sort((a, b) => a.id - b.id);
  const before = published.filter((p) => p.publishedOn < quarter.from).sort((a, b) => a.publishedOn.localeCompare(b.publishedOn) || a.id - b.id);
  const last = before[before.length - 1];
  return last === undefined ? [] : [last];
}

export interface StatementInput {
  readonly quarter: Quarter;
  readonly register: readonly RegisterEntry[];
  readonly wallets: ReadonlyMap<string, { readonly name: string; readonly watchOnly: boolean }>;
  /** Each wallet's confirmed balance at the end of a day (the caller computes it from the chain history). */
  readonly balanceAt: (vaultId: string, day: string) => bigint;
  /** Every confirmed flow (any date). */
  readonly flows: readonly ClassifiedFlow[];
  readonly commitments: readonly Commitment[];
  /** Breaches of the commitments in force, over the whole history. */
  readonly breaches: readonly Breach[];
  readonly alerts: readonly ComplianceAlert[];
  /** Every published proof of reserves (any date); null when the caller has no proof store. */
  readonly proofs?: readonly ProofReference[] | null;
}

export interface Statement {
  readonly quarter: Quarter;
  readonly wallets: StatementWallet[];
  readonly totals: { readonly openingSats: bigint; readonly closingSats: bigint };
  readonly flows: Array<Pick<ClassifiedFlow, 'txid' | 'height' | 'date' | 'class' | 'reason' | 'stockDelta' | 'walletDeltas' | 'feeSats'> & { readonly overridden: boolean }>;
  readonly byClass: Array<{ readonly class: FlowClass; readonly count: number; readonly netSats: bigint }>;
  readonly feesSats: bigint;
  readonly reconciliation: { readonly openingSats: bigint; readonly joinedSats: bigint; readonly leftSats: bigint; readonly flowsNetSats: bigint; readonly closingSats: bigint; readonly reconciles: boolean };
  readonly commitments: Array<{ readonly id: string; readonly version: number; readonly title: string; readonly source: string | null; readonly rule: Commitment['rule']; readonly effectiveFrom: string; readonly effectiveTo: string | null; readonly status: 'kept' | 'breached' }>;
  readonly breaches: Array<{ readonly commitmentId: string; readonly commitmentVersion: number; readonly txid: string; readonly date: string | null; readonly message: string; readonly alert: 'open' | 'resolved' | 'not raised yet'; readonly resolution: string | null }>;
  /**
   * Proofs of reserves published in the quarter, or the latest before its end (`proofReferencesFor`),
   * each with the registered wallets it covers; empty when none was published by then; absent when
   * the statement was made without the proof store.
   */
  readonly proofs?: Array<ProofReference & { readonly registeredVaultIds: readonly string[] }>;
}

/**
 * Build a statement.
 * @example buildStatement({ quarter: parseQuarter('2025Q3'), register, wallets, balanceAt, flows, commitments, breaches, alerts }).reconciliation.reconciles
 */
export function buildStatement(input: StatementInput): Statement {
  const { quarter } = input;
  const opening = dayBefore(quarter.from);
  const wallets: StatementWallet[] = input.register.map((e) => {
    const w = input.wallets.get(e.vaultId);
    return {
      vaultId: e.vaultId, name: w?.name ?? e.vaultId, owner: e.owner, watchOnly: w?.watchOnly ?? false, joinedOn: e.joinedOn, leftOn: e.leftOn,
      openingSats: inRegisterOn(e, opening) ? input.balanceAt(e.vaultId, opening) : null,
      closingSats: inRegisterOn(e, quarter.to) ? input.balanceAt(e.vaultId, quarter.to) : null,
    };
  }).sort((a, b) => a.vaultId.localeCompare(b.vaultId));
  const openingSats = wallets.reduce((a, w) => a + (w.openingSats ?? 0n), 0n);
  const closingSats = wallets.reduce((a, w) => a + (w.closingSats ?? 0n), 0n);
  let joinedSats = 0n;
  let leftSats = 0n;
  for (const e of input.register) {
    if (e.joinedOn > opening && e.joinedOn <= quarter.to) joinedSats += input.balanceAt(e.vaultId, dayBefore(e.joinedOn));
    if (e.leftOn !== null && e.leftOn > opening && e.leftOn <= quarter.to) leftSats += input.balanceAt(e.vaultId, dayBefore(e.leftOn));
  }
  const inQuarter = input.flows.filter((f) => f.date !== null && f.date >= quarter.from && f.date <= quarter.to);
  const flowsNetSats = inQuarter.reduce((a, f) => a + f.stockDelta, 0n);
  const byClass = FLOW_CLASSES.map((c) => {
    const of = inQuarter.filter((f) => f.class === c);
    return { class: c, count: of.length, netSats: of.reduce((a, f) => a + f.stockDelta, 0n) };
  }).filter((x) => x.count > 0);
  const inForce = input.commitments.filter((c) => c.effectiveFrom <= quarter.to && (c.effectiveTo === null || c.effectiveTo > quarter.from));
  const breaches = input.breaches.filter((b) => b.date !== null && b.date >= quarter.from && b.date <= quarter.to).map((b) => {
    const a = input.alerts.find((x) => x.commitmentId === b.commitmentId && x.commitmentVersion === b.commitmentVersion && x.txid === b.txid);
    return { ...b, alert: a === undefined ? ('not raised yet' as const) : a.resolvedAtMs === null ? ('open' as const) : ('resolved' as const), resolution: a?.resolution ?? null };
  });
  return {
    quarter,
    wallets,
    totals: { openingSats, closingSats },
    flows: inQuarter.map((f) => ({ txid: f.txid, height: f.height, date: f.date, class: f.class, reason: f.reason, stockDelta: f.stockDelta, walletDeltas: f.walletDeltas, feeSats: f.feeSats, overridden: f.classified !== null })),
    byClass,
    feesSats: inQuarter.reduce((a, f) => a + (f.feeSats ?? 0n), 0n),
    reconciliation: { openingSats, joinedSats, leftSats, flowsNetSats, closingSats, reconciles: openingSats + joinedSats - leftSats + flowsNetSats === closingSats },
    commitments: inForce.map((c) => ({
      id: c.id, version: c.version, title: c.title, source: c.source, rule: c.rule, effectiveFrom: c.effectiveFrom, effectiveTo: c.effectiveTo,
      status: breaches.some((b) => b.commitmentId === c.id && b.commitmentVersion === c.version) ? ('breached' as const) : ('kept' as const),
    })),
    breaches,
    ...(input.proofs === undefined || input.proofs === null ? {} : { proofs: proofReferencesFor(quarter, input.proofs).map((p) => ({ ...p, registeredVaultIds: p.vaultIds.filter((v) => input.register.some((e) => e.vaultId === v)) })) }),
  };
}

/** SHA-256 of the statement's canonical JSON (what the audit log records). */
export function statementHash(s: Statement): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(s))));
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The statement as CSV: one section per table, amounts in sats. */
export function statementCsv(s: Statement): string {
  const rows: string[][] = [
    ['section', 'quarter', 'from', 'to'], ['statement', s.quarter.label, s.quarter.from, s.quarter.to], [],
    ['wallet', 'name', 'owner', 'watch_only', 'joined_on', 'left_on', 'opening_sats', 'closing_sats'],
    ...s.wallets.map((w) => [w.vaultId, w.name, w.owner, String(w.watchOnly), w.joinedOn, w.leftOn ?? '', w.openingSats?.toString() ?? '', w.closingSats?.toString() ?? '']),
    ['total', '', '', '', '', '', s.totals.openingSats.toString(), s.totals.closingSats.toString()], [],
    ['date', 'txid', 'class', 'overridden', 'stock_delta_sats', 'fee_sats', 'reason'],
    ...s.flows.map((f) => [f.date ?? '', f.txid, f.class, String(f.overridden), f.stockDelta.toString(), f.feeSats?.toString() ?? '', f.reason]), [],
    ['class', 'count', 'net_sats'], ...s.byClass.map((c) => [c.class, String(c.count), c.netSats.toString()]), ['fee', '', (-s.feesSats).toString()], [],
    ['opening_sats', 'joined_sats', 'left_sats', 'flows_net_sats', 'closing_sats', 'reconciles'],
    [s.reconciliation.openingSats, s.reconciliation.joinedSats, s.reconciliation.leftSats, s.reconciliation.flowsNetSats, s.reconciliation.closingSats].map(String).concat(String(s.reconciliation.reconciles)), [],
    ['commitment', 'version', 'title', 'kind', 'effective_from', 'effective_to', 'status'],
    ...s.commitments.map((c) => [c.id, String(c.version), c.title, c.rule.kind, c.effectiveFrom, c.effectiveTo ?? '', c.status]), [],
    ['breach_commitment', 'version', 'txid', 'date', 'alert', 'resolution', 'message'],
    ...s.breaches.map((b) => [b.commitmentId, String(b.commitmentVersion), b.txid, b.date ?? '', b.alert, b.resolution ?? '', b.message]), [],
    ['proof_of_reserves', 'published_on', 'height', 'block_hash', 'total_sats', 'vaults', 'registered_vaults', 'file_sha256'],
    ...(s.proofs ?? []).map((p) => [String(p.id), p.publishedOn, String(p.height), p.blockHash, p.totalSats.toString(), p.vaultIds.join(' '), p.registeredVaultIds.join(' '), p.fileSha256 ?? '']),
  ];
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * The statement as a printable document (the PDF renderer of src/adapters/report/pdf-statement.ts
 * places its text and computes nothing). `hash` is printed so a reader can match it to the audit log.
 */
export function statementDocument(s: Statement, hash: string): StatementDocument {
  const btc = (v: bigint | null): string => (v === null ? 'not registered' : formatBtc(v));
  const col = (header: string, align: 'left' | 'right', weight: number) => ({ header, align, weight });
  return {
    title: `Public-sector bitcoin: quarterly statement ${s.quarter.label}`,
    facts: [
      { label: 'Period', value: `${s.quarter.from} to ${s.quarter.to} (UTC)` },
      { label: 'Stock', value: `${formatBtc(s.totals.openingSats)} BTC at the opening, ${formatBtc(s.totals.closingSats)} BTC at the close` },
      { label: 'Reconciliation', value: `opening ${formatBtc(s.reconciliation.openingSats)} + joined ${formatBtc(s.reconciliation.joinedSats)} - left ${formatBtc(s.reconciliation.leftSats)} + flows ${formatBtc(s.reconciliation.flowsNetSats)} = ${formatBtc(s.reconciliation.closingSats)} BTC: ${s.reconciliation.reconciles ? 'reconciles' : 'DOES NOT RECONCILE'}` },
      { label: 'SHA-256 of the statement (JSON)', value: hash },
    ],
    notices: s.breaches.length > 0 ? [`${s.breaches.length} breach(es) of commitments in force during the quarter: see the table below.`] : [],
    tables: [
      { heading: 'Registered public wallets', columns: [col('Wallet', 'left', 3), col('Owner', 'left', 3), col('Kind', 'left', 1.5), col('Joined', 'left', 1.5), col('Opening BTC', 'right', 2), col('Closing BTC', 'right', 2)],
        rows: s.wallets.map((w) => [w.name, w.owner, w.watchOnly ? 'watch-only' : 'multisig', w.joinedOn, btc(w.openingSats), btc(w.closingSats)]), total: ['Total', '', '', '', formatBtc(s.totals.openingSats), formatBtc(s.totals.closingSats)], empty: 'No registered wallets.' },
      { heading: 'Flows by class', columns: [col('Class', 'left', 3), col('Flows', 'right', 1), col('Net BTC', 'right', 2)],
        rows: s.byClass.map((c) => [c.class, String(c.count), formatBtc(c.netSats)]), total: null, empty: 'No flows in the quarter.' },
      { heading: 'Every flow', columns: [col('Date', 'left', 1.3), col('Transaction', 'left', 4.2), col('Class', 'left', 2), col('Stock BTC', 'right', 1.6), col('Reason', 'left', 6)],
        rows: s.flows.map((f) => [f.date ?? '', f.txid, `${f.class}${f.overridden ? ' (override)' : ''}`, formatBtc(f.stockDelta), f.reason]), total: null, empty: 'No flows in the quarter.' },
      { heading: 'Commitments in force', columns: [col('Commitment', 'left', 3), col('Version', 'right', 1), col('Rule', 'left', 2), col('From', 'left', 1.5), col('Status', 'left', 1.5), col('Title', 'left', 5)],
        rows: s.commitments.map((c) => [c.id, String(c.version), c.rule.kind, c.effectiveFrom, c.status, c.title]), total: null, empty: 'No commitments in force.' },
      { heading: 'Breaches and their resolution', columns: [col('Date', 'left', 1.3), col('Commitment', 'left', 2.5), col('Transaction', 'left', 4.2), col('Alert', 'left', 1.5), col('Resolution', 'left', 4)],
        rows: s.breaches.map((b) => [b.date ?? '', `${b.commitmentId} v${b.commitmentVersion}`, b.txid, b.alert, b.resolution ?? '']), total: null, empty: 'No breaches.' },
      { heading: 'Proofs of reserves (published in the quarter, or the latest before its end)', columns: [col('Proof', 'right', 0.8), col('Published', 'left', 1.3), col('Block', 'left', 4.2), col('Proven BTC', 'right', 2), col('Vaults', 'left', 2.5), col('SHA-256 of the proof file', 'left', 4.2)],
        rows: (s.proofs ?? []).map((p) => [String(p.id), p.publishedOn, `${p.height} ${p.blockHash}`, formatBtc(p.totalSats), p.vaultIds.join(', '), p.fileSha256 ?? 'no file stored']), total: null,
        empty: s.proofs === undefined ? 'Proofs of reserves were not looked up for this statement.' : 'No proof of reserves was published by the end of the quarter.' },
    ],
    paragraphs: ['Stock is each registered wallet\'s confirmed balance at the end of the day; a wallet counts from the day it joined the register. Flow classes and rules: docs/compliance.md.'],
  };
}
