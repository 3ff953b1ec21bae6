// Heads kept outside the database catch what the chain and its stored head cannot: a tail cut
// with the stored head moved back, a history rewritten with fresh hashes from one row on, a wiped
// log. A head from before the attack names the entry; a head from before a later rewrite still
// matches (the entries up to it are untouched). Parsing of the forms auditors keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendAuditEntry, GENESIS_PREV_HASH, verifyChain, type AuditEntry,
} from '../../src/core/audit/hash-chain.ts';
import {
  auditHeadOf, auditTimeIso, checkKeptHeads, EMPTY_LOG_HEAD, formatHead, parseHead, parseHeadsFile,
} from '../../src/core/audit/kept-heads.ts';
import { DomainError } from '../../src/core/errors.ts';

function chain(n: number, from: AuditEntry[] = [], memo = 'payment'): AuditEntry[] {
  const out = [...from];
  for (let i = out.length; i < n; i++) {
    out.push(appendAuditEntry(out[out.length - 1] ?? null, { actor: 'ana', role: 'operator', action: 'spend.propose', object: `proposal:${i}`, details: { memo: `${memo} ${i}` }, atMs: 1_780_000_000_000 + i * 1000 }));
  }
  return out;
}

const headAt = (log: AuditEntry[], seq: number): { seq: number; hash: string } => ({ seq, hash: (log[seq - 1] as AuditEntry).hash });

test('a cut tail with the stored head moved back passes the chain check but not a head kept before the cut', () => {
  const log = chain(221);
  const kept = headAt(log, 221);
  const cut = log.slice(0, 220);
  assert.deepEqual(verifyChain(cut, { expectedHead: headAt(cut, 220) }), { ok: true }, 'the stored head was moved back with the cut');
  const [r] = checkKeptHeads(cut, [kept]);
  assert.equal(r?.ok, false);
  assert.deepEqual([r?.problem?.seq, r?.problem?.kind], [221, 'deleted']);
  assert.equal(r?.problem?.message, 'the log ends at entry 220 but you kept a head at entry 221: entries were cut');
});

test('a row rewritten and every later hash recomputed passes the chain check but not a head kept before it', () => {
  const log = chain(221);
  const kept = [headAt(log, 100), headAt(log, 221)];
  const rewritten = chain(221, log.slice(0, 149), 'rewritten'); // entries 150… replaced, rehashed
  assert.deepEqual(verifyChain(rewritten, { expectedHead: headAt(rewritten, 221) }), { ok: true });
  const [before, after] = checkKeptHeads(rewritten, kept);
  assert.deepEqual([before?.ok, before?.after], [true, 121], 'entries up to 100 are untouched: the head kept then still matches');
  assert.equal(after?.ok, false);
  assert.equal(after?.problem?.message, `entry 221 has hash ${(rewritten[220] as AuditEntry).hash} but the head you kept says ${kept[1]?.hash ?? ''}: the log was rewritten`);
  assert.equal(after?.problem?.kind, 'edited');
});

test('a wiped log passes the chain check but not any head kept before', () => {
  const log = chain(5);
  assert.deepEqual(verifyChain([]), { ok: true });
  const [r] = checkKeptHeads([], [headAt(log, 5)]);
  assert.equal(r?.problem?.message, 'the log has no entries but you kept a head at entry 5: the log was wiped');
  // and a log wiped and refilled with other entries is a rewrite
  const [r2] = checkKeptHeads(chain(7, [], 'forged'), [headAt(log, 5)]);
  assert.match(r2?.problem?.message ?? '', /^entry 5 has hash [0-9a-f]{64} but the head you kept says [0-9a-f]{64}: the log was rewritten$/);
});

test('a kept head matches an untouched log and says how many entries came after it', () => {
  const log = chain(30);
  const r = checkKeptHeads(log, [headAt(log, 1), headAt(log, 30), EMPTY_LOG_HEAD]);
  assert.deepEqual(r.map((x) => [x.ok, x.after]), [[true, 29], [true, 0], [true, 30]]);
  assert.ok(r.every((x) => x.problem === null));
});

test('an entry whose stored hash was put back to the kept one but whose content changed is named as edited', () => {
  const log = chain(10);
  const kept = headAt(log, 10);
  const tampered = [...log.slice(0, 9), { ...(log[9] as AuditEntry), object: 'proposal:999' }];
  const [r] = checkKeptHeads(tampered, [kept]);
  assert.equal(r?.ok, false);
  assert.match(r?.problem?.message ?? '', /^entry 10 carries the hash you kept, [0-9a-f]{64}, but its content no longer matches it: the entry was edited$/);
});

test('a deleted middle entry is named when a head was kept at it', () => {
  const log = chain(10);
  const [r] = checkKeptHeads([...log.slice(0, 4), ...log.slice(5)], [headAt(log, 5)]);
  assert.equal(r?.problem?.message, 'entry 5 is missing from the log but you kept a head at it: entries were deleted');
});

test('the head of a log: its last entry, time and row count; the empty log is 0 and the genesis hash', () => {
  const log = chain(3);
  assert.deepEqual(auditHeadOf(log), { seq: 3, hash: (log[2] as AuditEntry).hash, atMs: 1_780_000_002_000, entries: 3 });
  assert.deepEqual(auditHeadOf([]), { seq: 0, hash: GENESIS_PREV_HASH, atMs: null, entries: 0 });
  assert.equal(auditTimeIso(1_780_000_002_000), '2026-05-28T20:26:42.000Z');
  assert.equal(auditTimeIso(null), null);
  assert.equal(auditTimeIso(9e15), null, 'a damaged time is not a crash');
});

test('heads are written SEQ:HASH and read back; bad ones are INVALID_ARGUMENT', () => {
  const h = { seq: 221, hash: 'ab'.repeat(32) };
  assert.equal(formatHead(h), `221:${'ab'.repeat(32)}`);
  assert.deepEqual(parseHead(` 221:${'AB'.repeat(32)}\n`), h, 'upper-case hex and surrounding space accepted');
  for (const bad of ['221', `221:${'ab'.repeat(31)}`, `-1:${'ab'.repeat(32)}`, `x:${'ab'.repeat(32)}`, `0:${'ab'.repeat(32)}`, `99999999999999999:${'ab'.repeat(32)}`, '']) {
    assert.throws(() => parseHead(bad), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT', bad);
  }
  assert.deepEqual(parseHead(`0:${GENESIS_PREV_HASH}`), EMPTY_LOG_HEAD);
});

test('a heads file: one a line, a date or other words around it, the public route\'s JSON, comments and blank lines', () => {
  const a = 'aa'.repeat(32);
  const b = 'bb'.repeat(32);
  const c = 'cc'.repeat(32);
  const text = `# heads of the reserve's audit log\n\n220:${a}\n2026-08-21 221:${b}\r\n{"seq":230,"hash":"${c}","at":"2026-08-22T10:00:00.000Z","entries":230}\n`;
  assert.deepEqual(parseHeadsFile(text), [{ seq: 220, hash: a }, { seq: 221, hash: b }, { seq: 230, hash: c }]);
  const bad = (t: string, re: RegExp): void => {
    assert.throws(() => parseHeadsFile(t, 'heads.txt'), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT' && re.test(e.message), t);
  };
  bad(`220:${a}\nnot a head\n`, /^heads\.txt line 2 should hold one head written SEQ:HASH, found 0$/);
  bad(`220:${a} 221:${b}\n`, /line 1 .* found 2$/);
  bad('{"seq":"x"}\n', /line 1 has no "seq"/);
  bad('{oops\n', /line 1 is not valid JSON/);
  bad('# nothing\n\n', /holds no head/);
});
