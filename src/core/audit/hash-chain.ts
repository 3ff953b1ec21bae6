/**
 * The audit log as a hash chain. Each entry's hash is SHA-256 over a canonical serialization of
 * all its fields, including the previous entry's hash; the first entry links to 64 zeros. Anyone
 * holding the rows can recompute the chain and `verifyChain` says which row was edited,
 * reordered, deleted or inserted.
 *
 * What a chain cannot show on its own: rows cut off the end, or a tail rewritten with fresh
 * hashes by someone who can write the table. Anchor the head (publish or store elsewhere the
 * last seq and hash) and pass it as `expectedHead` to catch those too.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { DomainError } from '../errors.ts';

export const GENESIS_PREV_HASH = '0'.repeat(64);
const DOMAIN = 'soberana/audit/v1\n';

export interface AuditEntryContent {
  /** 1, 2, 3… in the order the entries were appended. */
  readonly seq: number;
  /** Who did it (user id or name). */
  readonly actor: string;
  /** The role they acted in (operator, approver, auditor, system…). */
  readonly role: string;
  /** What was done, e.g. "spend.approve". */
  readonly action: string;
  /** What it was done to, e.g. "proposal:42". */
  readonly object: string;
  /** JSON-compatible details (bigints allowed: hashed as their decimal strings, like `toJson`). */
  readonly details: unknown;
  /** When, in milliseconds since the epoch (from the injected clock). */
  readonly atMs: number;
  /** The previous entry's hash, or GENESIS_PREV_HASH for seq 1. */
  readonly prevHash: string;
}

export interface AuditEntry extends AuditEntryContent {
  /** hex SHA-256 of the canonical serialization of the content. */
  readonly hash: string;
}

export const AUDIT_PROBLEM_KINDS = ['edited', 'reordered', 'deleted', 'inserted'] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];

export interface AuditProblem {
  readonly seq: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

export type ChainVerdict = { readonly ok: true } | { readonly ok: false; readonly problems: readonly AuditProblem[] };

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as RFC 8785), no whitespace,
 * bigints as decimal strings, `undefined` object members omitted. Refuses (TypeError) what JSON
 * cannot carry faithfully: non-finite numbers, undefined array items, functions, symbols,
 * non-plain objects (Date, Map…).
 *
 * @example canonicalJson({ b: 1n, a: [true, null] }) === '{"a":[true,null],"b":"1"}'
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return JSON.stringify(value.toString());
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: number ${String(value)} is not finite`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => {
          if (v === undefined) throw new TypeError(`canonicalJson: array item ${i} is undefined`);
          return canonicalJson(v);
        }).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError('canonicalJson: only plain objects, arrays and primitives');
      const rec = value as Record<string, unknown>;
      const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      throw new TypeError(`canonicalJson: cannot serialize a ${typeof value}`);
  }
}

function assertContent(e: AuditEntryContent): void {
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) throw new TypeError(`auditEntryHash: seq ${String(e.seq)} is not a positive integer`);
  if (!Number.isSafeInteger(e.atMs)) throw new TypeError(`auditEntryHash: atMs ${String(e.atMs)} is not an integer`);
  for (const f of ['actor', 'role', 'action', 'object'] as const) {
    if (typeof e[f] !== 'string') throw new TypeError(`auditEntryHash: ${f} is not a string`);
  }
  if (typeof e.prevHash !== 'string' || !/^[0-9a-f]{64}$/.test(e.prevHash)) throw new TypeError('auditEntryHash: prevHash is not 64 lower-case hex digits');
}

/**
 * The hash of an entry: hex SHA-256 of "soberana/audit/v1\n" ‖ canonicalJson of its eight
 * content fields. Throws TypeError on malformed fields.
 *
 * @example auditEntryHash({ seq: 1, actor: 'ana', role: 'operator', action: 'vault.add', object: 'vault:1', details: {}, atMs: 0, prevHash: GENESIS_PREV_HASH })
 */
export function auditEntryHash(e: AuditEntryContent): string {
  assertContent(e);
  const content = { seq: e.seq, actor: e.actor, role: e.role, action: e.action, object: e.object, details: e.details ?? null, atMs: e.atMs, prevHash: e.prevHash };
  return bytesToHex(sha256(utf8ToBytes(DOMAIN + canonicalJson(content))));
}

/**
 * The next entry of a chain whose head is `head` (null for an empty log).
 * @example const e1 = appendAuditEntry(null, { actor: 'ana', role: 'operator', action: 'vault.add', object: 'vault:1', details: {}, atMs: 1 })
 */
export function appendAuditEntry(head: AuditEntry | null, fields: Omit<AuditEntryContent, 'seq' | 'prevHash'>): AuditEntry {
  const content: AuditEntryContent = { ...fields, seq: head ? head.seq + 1 : 1, prevHash: head ? head.hash : GENESIS_PREV_HASH };
  return { ...content, hash: auditEntryHash(content) };
}

function tryHash(e: AuditEntryContent): string | null {
  try {
    return auditEntryHash(e);
  } catch {
    return null;
  }
}

interface Row {
  readonly entry: AuditEntry;
  readonly listed: number;
  /** The seq the row says it has (or a stand-in when that is not a positive integer). */
  readonly seq: number;
  /** The seq under which its recorded hash verifies; null when its content was changed. */
  readonly origSeq: number | null;
}

const MAX_PROBLEMS_PER_GAP = 100;

/**
 * Recompute the chain and say what is wrong, row by row. Entries are given as stored (in the
 * order read, normally by seq). `expectedHead` (the last seq and hash anchored elsewhere) also
 * catches rows cut off the end or appended after it.
 *
 * @example verifyChain(rows, { expectedHead: { seq: 120, hash: '9f…' } })
 *   // { ok: false, problems: [{ seq: 57, kind: 'edited', message: 'row 57 was edited: …' }] }
 */
export function verifyChain(entries: readonly AuditEntry[], opts: { expectedHead?: { seq: number; hash: string } } = {}): ChainVerdict {
  const problems: AuditProblem[] = [];
  const reported = new Set<string>();
  const report = (seq: number, kind: AuditProblemKind, message: string): void => {
    const key = `${seq}:${kind}`;
    if (!reported.has(key)) { reported.add(key); problems.push({ seq, kind, message }); }
  };

  // 1. Each row against its own recorded hash; a failing row may still verify under another seq
  //    (it was renumbered, or swapped with another row's seq).
  let lastGood = 0;
  const seqs = entries.map((e) => {
    const s = Number.isSafeInteger(e.seq) && e.seq >= 1 ? e.seq : lastGood + 1;
    lastGood = s;
    return s;
  });
  const failing = new Set(entries.map((e, i) => (tryHash(e) === e.hash ? -1 : i)).filter((i) => i >= 0));
  const failingSeqs = failing.size <= 64 ? [...failing].map((i) => seqs[i] ?? 0) : [];
  const rows: Row[] = entries.map((entry, i) => {
    const seq = seqs[i] ?? 0;
    if (!failing.has(i)) return { entry, listed: i, seq, origSeq: seq };
    const candidates = new Set([seq - 1, seq + 1, seq - 2, seq + 2, seq - 3, seq + 3, ...failingSeqs]);
    for (const c of candidates) {
      if (c >= 1 && c !== seq && tryHash({ ...entry, seq: c }) === entry.hash) return { entry, listed: i, seq, origSeq: c };
    }
    return { entry, listed: i, seq, origSeq: null };
  });

  // 2. Reordered lines: seqs intact but listed out of order.
  const bySeq = [...rows].sort((a, b) => a.seq - b.seq || a.listed - b.listed);
  bySeq.forEach((r, pos) => {
    if (r.listed !== pos) report(r.seq, 'reordered', `row ${r.seq} is listed at position ${r.listed + 1} instead of ${pos + 1}`);
  });

  // 3. Reordered by exchanging seqs: renumbered rows whose true seqs are each other's.
  const renumbered = rows.filter((r) => r.origSeq !== null && r.origSeq !== r.seq);
  const moved = new Map(renumbered.map((r) => [r.seq, r.origSeq]));
  for (const r of renumbered) {
    // A swap (or any cycle) leads back to this row; a shift runs off the renumbered rows.
    let s: number | null | undefined = r.origSeq;
    for (let steps = 0; s !== null && s !== undefined && s !== r.seq && steps < moved.size; steps++) s = moved.get(s);
    if (s === r.seq) report(r.seq, 'reordered', `row ${r.seq} holds the entry recorded as seq ${String(r.origSeq)}: rows were swapped`);
  }
  // Other renumbered rows were shifted by an insertion or deletion, found below.

  // 4. Walk the authentic order (each row at the seq its hash vouches for).
  const effective = (r: Row): number => r.origSeq ?? r.seq;
  const authentic = [...rows].sort((a, b) => effective(a) - effective(b) || a.listed - b.listed);
  const nextOf = (es: number): Row | undefined => authentic.find((r) => effective(r) === es + 1);
  const kept: Row[] = [];
  for (let i = 0; i < authentic.length;) {
    const es = effective(authentic[i] as Row);
    let j = i;
    while (j < authentic.length && effective(authentic[j] as Row) === es) j++;
    const group = authentic.slice(i, j);
    if (group.length === 1) kept.push(group[0] as Row);
    else {
      const next = nextOf(es);
      const prevKept = kept[kept.length - 1];
      const linkedByNext = group.find((r) => r.origSeq !== null && next !== undefined && next.entry.prevHash === r.entry.hash);
      const linksToPrev = group.find((r) => r.origSeq !== null && r.entry.prevHash === (prevKept ? prevKept.entry.hash : GENESIS_PREV_HASH));
      const genuine = linkedByNext ?? linksToPrev ?? group.find((r) => r.origSeq !== null) ?? group[0];
      for (const r of group) {
        if (r === genuine) kept.push(r);
        else report(es, 'inserted', `a row with seq ${es} was inserted: the chain does not pass through it`);
      }
    }
    i = j;
  }

  let prev: Row | null = null;
  for (const r of kept) {
    const es = effective(r);
    const expectedSeq = prev ? effective(prev) + 1 : 1;
    if (es > expectedSeq) {
      for (let s = expectedSeq; s < es && s < expectedSeq + MAX_PROBLEMS_PER_GAP; s++) {
        report(s, 'deleted', `row ${s} is missing: the log jumps from ${expectedSeq - 1} to ${es}`);
      }
    } else {
      const expectedPrev = prev ? prev.entry.hash : GENESIS_PREV_HASH;
      if (r.entry.prevHash !== expectedPrev) {
        if (prev) {
          const p = effective(prev);
          report(p, 'edited', `row ${p} was rewritten: row ${es} recorded a different hash for it`);
        } else report(es, 'edited', `row ${es} does not start the chain from the genesis hash`);
      }
    }
    if (r.origSeq === null) report(es, 'edited', `row ${es} was edited: its content no longer matches its recorded hash`);
    prev = r;
  }

  // 5. The anchored head.
  const head = opts.expectedHead;
  if (head) {
    const last = prev ? effective(prev) : 0;
    for (let s = last + 1; s <= head.seq && s <= last + MAX_PROBLEMS_PER_GAP; s++) {
      report(s, 'deleted', `row ${s} is missing: the log ends at ${last} but its anchored head is ${head.seq}`);
    }
    for (const r of kept) {
      const es = effective(r);
      if (es === head.seq && r.entry.hash !== head.hash) report(es, 'edited', `row ${es} does not match the anchored head hash`);
      if (es > head.seq) report(es, 'inserted', `row ${es} comes after the anchored head (seq ${head.seq})`);
    }
  }

  if (problems.length === 0) return { ok: true };
  const order: Readonly<Record<AuditProblemKind, number>> = { deleted: 0, inserted: 1, reordered: 2, edited: 3 };
  problems.sort((a, b) => a.seq - b.seq || order[a.kind] - order[b.kind]);
  return { ok: false, problems };
}

/**
 * `verifyChain`, throwing `AUDIT_TAMPERED` (with the problems in `details`) when it fails.
 * @example assertChainIntact(rows) // throws DomainError('AUDIT_TAMPERED', 'audit log tampered: row 57 was edited: …')
 */
export function assertChainIntact(entries: readonly AuditEntry[], opts: { expectedHead?: { seq: number; hash: string } } = {}): void {
  const v = verifyChain(entries, opts);
  if (!v.ok) {
    const first = v.problems[0];
    const more = v.problems.length > 1 ? ` (and ${v.problems.length - 1} more)` : '';
    throw new DomainError('AUDIT_TAMPERED', `audit log tampered: ${first?.message ?? 'unknown problem'}${more}`, { problems: v.problems });
  }
}
