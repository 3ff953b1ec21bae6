/**
 * Heads kept outside the database. The hash chain (hash-chain.ts) shows a row edited, deleted or
 * inserted in the middle, but not a log cut short, rewritten with fresh hashes from some row on,
 * or wiped — together with the head stored beside it — by someone who can write the database. A
 * head saved elsewhere beforehand (an auditor's file, the published `/public/audit-head`, a
 * Bitcoin transaction: anchor.ts) catches all three: the log must still contain that entry with
 * exactly that hash, and since every hash covers the one before, entries 1…SEQ are then exactly
 * what they were when the head was saved.
 *
 * A head is written `SEQ:HASH` (`221:3fa9…c2`); the empty log's head is `0:` and 64 zeros.
 */
import { DomainError } from '../errors.ts';
import { auditEntryHash, GENESIS_PREV_HASH, type AuditEntry, type AuditProblem } from './hash-chain.ts';

export interface AuditHead {
  /** The entry's seq (0 for the empty log). */
  readonly seq: number;
  /** Its hash: 64 lower-case hex digits (GENESIS_PREV_HASH for the empty log). */
  readonly hash: string;
}

/** The head of the current log, with when its last entry was written and how many rows it has. */
export interface AuditHeadInfo extends AuditHead {
  /** The last entry's time (ms since the epoch); null for the empty log. */
  readonly atMs: number | null;
  /** How many rows the log has. */
  readonly entries: number;
}

/** What one kept head says about the log. */
export interface KeptHeadCheck {
  readonly head: AuditHead;
  readonly ok: boolean;
  /** How many entries the log has after the kept one (null when the check failed). */
  readonly after: number | null;
  /** Why it failed, naming the entry; null when it matched. */
  readonly problem: AuditProblem | null;
}

export const EMPTY_LOG_HEAD: AuditHead = { seq: 0, hash: GENESIS_PREV_HASH };

const HEAD_RE = /^(\d{1,15}):([0-9a-fA-F]{64})$/;
/** Limits what an auditor's file may make us do (a year of hourly heads fits). */
export const MAX_KEPT_HEADS = 10_000;

/** `221:3fa9…` (the full hash): the form `audit head` prints and `--head` takes. */
export function formatHead(h: AuditHead): string {
  return `${h.seq}:${h.hash}`;
}

function headFrom(seqText: string, hashText: string, where: string): AuditHead {
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) throw new DomainError('INVALID_ARGUMENT', `${where}: the entry number ${seqText} is too large`);
  const hash = hashText.toLowerCase();
  if (seq === 0 && hash !== GENESIS_PREV_HASH) throw new DomainError('INVALID_ARGUMENT', `${where}: entry 0 is the empty log, whose head is 0:${GENESIS_PREV_HASH}`);
  return { seq, hash };
}

/**
 * Parse a head typed as `SEQ:HASH`. Throws INVALID_ARGUMENT otherwise.
 * @example parseHead('221:3fa9…c2') // { seq: 221, hash: '3fa9…c2' }
 */
export function parseHead(text: string): AuditHead {
  const t = text.trim();
  const m = HEAD_RE.exec(t);
  if (!m) throw new DomainError('INVALID_ARGUMENT', `a head is written SEQ:HASH (an entry number, a colon and its 64-hex-digit hash, as "soberana audit head" prints it), got "${t.length > 100 ? `${t.slice(0, 100)}…` : t}"`);
  return headFrom(m[1] ?? '', m[2] ?? '', 'head');
}

/**
 * Parse an auditor's file of heads: one a line, as `SEQ:HASH` (other words on the line, such as a
 * date in front, are ignored) or as the JSON `/api/v1/public/audit-head` answers. Blank lines and
 * lines starting with `#` are skipped. Throws INVALID_ARGUMENT naming the first bad line.
 *
 * @example parseHeadsFile('2026-08-20 220:9f3e…\n{"seq":221,"hash":"3fa9…","at":"…","entries":221}\n')
 */
export function parseHeadsFile(text: string, name = 'heads file'): AuditHead[] {
  const heads: AuditHead[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${name} line ${i + 1}`;
    if (line.startsWith('{')) {
      let v: { seq?: unknown; hash?: unknown };
      try {
        v = JSON.parse(line) as { seq?: unknown; hash?: unknown };
      } catch {
        throw new DomainError('INVALID_ARGUMENT', `${where} is not valid JSON`);
      }
      if (typeof v.seq !== 'number' || typeof v.hash !== 'string' || !HEAD_RE.test(`${v.seq}:${v.hash}`)) {
        throw new DomainError('INVALID_ARGUMENT', `${where} has no "seq" (a whole number) and "hash" (64 hex digits)`);
      }
      heads.push(headFrom(String(v.seq), v.hash, where));
    } else {
      const found = line.split(/\s+/).map((w) => HEAD_RE.exec(w)).filter((m) => m !== null);
      if (found.length !== 1) throw new DomainError('INVALID_ARGUMENT', `${where} should hold one head written SEQ:HASH, found ${found.length}`);
      const m = found[0] as RegExpExecArray;
      heads.push(headFrom(m[1] ?? '', m[2] ?? '', where));
    }
    if (heads.length > MAX_KEPT_HEADS) throw new DomainError('INVALID_ARGUMENT', `${name} holds more than ${MAX_KEPT_HEADS} heads; keep the recent ones`);
  }
  if (heads.length === 0) throw new DomainError('INVALID_ARGUMENT', `${name} holds no head (one SEQ:HASH a line)`);
  return heads;
}

/**
 * The head of a log as read (its last row), with that row's time and the number of rows.
 * @example auditHeadOf([]) // { seq: 0, hash: '000…0', atMs: null, entries: 0 }
 */
export function auditHeadOf(entries: readonly AuditEntry[]): AuditHeadInfo {
  const last = entries[entries.length - 1];
  if (!last) return { ...EMPTY_LOG_HEAD, atMs: null, entries: 0 };
  return { seq: last.seq, hash: last.hash, atMs: last.atMs, entries: entries.length };
}

/** An entry's time as ISO 8601 UTC; null for none or one no date can hold (a damaged row). */
export function auditTimeIso(atMs: number | null): string | null {
  if (atMs === null) return null;
  const d = new Date(atMs);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function hashOk(e: AuditEntry): boolean {
  try {
    return auditEntryHash(e) === e.hash;
  } catch {
    return false;
  }
}

/**
 * Check the log against heads kept elsewhere: for each, the log must hold entry SEQ with exactly
 * that hash (stored and recomputed from the entry's content). Pair it with `verifyChain`, which
 * proves every entry links to the one before: both together mean entries 1…SEQ are unchanged.
 *
 * @example checkKeptHeads(rows, [{ seq: 220, hash: '9f3e…' }])
 *   // [{ ok: false, after: null, problem: { seq: 220, kind: 'edited', message: 'entry 220 has hash ab12… but the head you kept says 9f3e…: the log was rewritten' } }]
 */
export function checkKeptHeads(entries: readonly AuditEntry[], kept: readonly AuditHead[]): KeptHeadCheck[] {
  const bySeq = new Map<number, AuditEntry[]>();
  let last = 0;
  for (const e of entries) {
    bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
    if (Number.isSafeInteger(e.seq) && e.seq > last) last = e.seq;
  }
  return kept.map((head): KeptHeadCheck => {
    const fail = (kind: AuditProblem['kind'], message: string): KeptHeadCheck => ({ head, ok: false, after: null, problem: { seq: head.seq, kind, message } });
    if (head.seq === 0) {
      return head.hash === GENESIS_PREV_HASH
        ? { head, ok: true, after: last, problem: null }
        : fail('edited', `the empty log's head is 0:${GENESIS_PREV_HASH}, but the head you kept says ${head.hash}`);
    }
    const rows = bySeq.get(head.seq) ?? [];
    if (rows.length === 0) {
      if (entries.length === 0) return fail('deleted', `the log has no entries but you kept a head at entry ${head.seq}: the log was wiped`);
      if (head.seq > last) return fail('deleted', `the log ends at entry ${last} but you kept a head at entry ${head.seq}: entries were cut`);
      return fail('deleted', `entry ${head.seq} is missing from the log but you kept a head at it: entries were deleted`);
    }
    if (rows.some((r) => r.hash === head.hash && hashOk(r))) return { head, ok: true, after: last - head.seq, problem: null };
    const row = rows[0] as AuditEntry;
    if (row.hash === head.hash) return fail('edited', `entry ${head.seq} carries the hash you kept, ${head.hash}, but its content no longer matches it: the entry was edited`);
    return fail('edited', `entry ${head.seq} has hash ${row.hash} but the head you kept says ${head.hash}: the log was rewritten`);
  });
}
