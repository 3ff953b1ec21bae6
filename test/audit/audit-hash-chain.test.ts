// The audit log's hash chain: every kind of tampering is detected and the right row is named —
// an edited field, a swapped pair, a deleted middle row, a deleted last row (with an anchored
// head), an inserted row — and the hash is checked against node:crypto's SHA-256 as an oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  appendAuditEntry, assertChainIntact, auditEntryHash, canonicalJson, GENESIS_PREV_HASH, verifyChain,
} from '../../src/core/audit/hash-chain.ts';
import type { AuditEntry, AuditProblemKind } from '../../src/core/audit/hash-chain.ts';
import { DomainError } from '../../src/core/errors.ts';
import { toJson } from '../../src/core/json.ts';

const ACTIONS = ['vault.add', 'spend.propose', 'spend.approve', 'spend.export', 'spend.import', 'spend.broadcast', 'policy.propose', 'audit.export'];

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(appendAuditEntry(out[out.length - 1] ?? null, {
      actor: ['ana', 'luis', 'marta'][i % 3] ?? 'ana',
      role: i % 2 ? 'approver' : 'operator',
      action: ACTIONS[i % ACTIONS.length] ?? 'x',
      object: `proposal:${100 + i}`,
      details: { amountSats: BigInt(i) * 100_000_000n, memo: `payment ${i}`, outputs: [{ address: 'bc1qexample', sats: 5000n + BigInt(i) }] },
      atMs: 1_732_000_000_000 + i * 60_000,
    }));
  }
  return out;
}

function problems(entries: readonly AuditEntry[], head?: { seq: number; hash: string }): [number, AuditProblemKind][] {
  const v = verifyChain(entries, head ? { expectedHead: head } : {});
  return v.ok ? [] : v.problems.map((p) => [p.seq, p.kind]);
}

const rehash = (e: AuditEntry): AuditEntry => ({ ...e, hash: auditEntryHash(e) });

test('an untouched chain verifies, also after a round trip through JSON (bigints become strings)', () => {
  const c = chain(12);
  assert.deepEqual(verifyChain(c), { ok: true });
  const stored = JSON.parse(toJson(c)) as AuditEntry[];
  assert.deepEqual(verifyChain(stored), { ok: true });
  assert.equal(c[0]?.prevHash, GENESIS_PREV_HASH);
  assert.deepEqual(verifyChain([]), { ok: true });
});

test('the entry hash is SHA-256 (checked with node:crypto) of the domain tag and the canonical JSON', () => {
  const e = chain(3)[2];
  assert.ok(e);
  const manual = `{"action":${JSON.stringify(e.action)},"actor":${JSON.stringify(e.actor)},"atMs":${e.atMs},"details":${canonicalJson(e.details)},"object":${JSON.stringify(e.object)},"prevHash":"${e.prevHash}","role":${JSON.stringify(e.role)},"seq":${e.seq}}`;
  const oracle = createHash('sha256').update(`soberana/audit/v1\n${manual}`, 'utf8').digest('hex');
  assert.equal(auditEntryHash(e), oracle);
  assert.equal(e.hash, oracle);
});

test('canonical JSON sorts keys at every depth, writes bigints as strings and refuses what JSON cannot carry', () => {
  assert.equal(canonicalJson({ b: { d: 1, c: [2n, 'x'] }, a: null, u: undefined }), '{"a":null,"b":{"c":["2","x"],"d":1}}');
  assert.equal(canonicalJson({ z: 1, a: 2 }), canonicalJson({ a: 2, z: 1 }));
  assert.equal(canonicalJson('é\n"'), JSON.stringify('é\n"'));
  for (const bad of [NaN, Infinity, new Date(0), new Map(), [undefined], () => 1, Symbol('s')]) {
    assert.throws(() => canonicalJson(bad), TypeError);
  }
});

test('an edited field of any kind is detected at that row only', () => {
  const edits: ((e: AuditEntry) => AuditEntry)[] = [
    (e) => ({ ...e, actor: 'mallory' }),
    (e) => ({ ...e, role: 'admin' }),
    (e) => ({ ...e, action: 'spend.cancel' }),
    (e) => ({ ...e, object: 'proposal:999' }),
    (e) => ({ ...e, atMs: e.atMs + 1 }),
    (e) => ({ ...e, details: { ...(e.details as object), amountSats: 1n } }),
    (e) => ({ ...e, details: null }),
  ];
  for (const edit of edits) {
    const c = chain(8);
    c[4] = edit(c[4] as AuditEntry);
    assert.deepEqual(problems(c), [[5, 'edited']]);
  }
});

test('an edited row whose own hash was recomputed is still named: the next row recorded the old hash', () => {
  const c = chain(8);
  c[4] = rehash({ ...(c[4] as AuditEntry), actor: 'mallory' });
  assert.deepEqual(problems(c), [[5, 'edited']]);
  const d = chain(8);
  d[7] = rehash({ ...(d[7] as AuditEntry), actor: 'mallory' }); // last row: only the anchor knows
  assert.deepEqual(problems(d), []);
  assert.deepEqual(problems(d, { seq: 8, hash: chain(8)[7]?.hash ?? '' }), [[8, 'edited']]);
});

test('a swapped pair of rows is reported as reordered, naming both', () => {
  const c = chain(8);
  [c[3], c[4]] = [c[4] as AuditEntry, c[3] as AuditEntry]; // lines exchanged (export file, or read order)
  assert.deepEqual(problems(c), [[4, 'reordered'], [5, 'reordered']]);

  const d = chain(8); // rows exchanged by swapping their seq numbers in the table
  const a = d[3] as AuditEntry;
  const b = d[4] as AuditEntry;
  d[3] = { ...b, seq: a.seq };
  d[4] = { ...a, seq: b.seq };
  assert.deepEqual(problems(d), [[4, 'reordered'], [5, 'reordered']]);

  const e = chain(10); // far apart
  const x = e[1] as AuditEntry;
  const y = e[8] as AuditEntry;
  e[1] = { ...y, seq: x.seq };
  e[8] = { ...x, seq: y.seq };
  assert.deepEqual(problems(e), [[2, 'reordered'], [9, 'reordered']]);
});

test('a deleted middle row is named, whether or not the later rows were renumbered', () => {
  const c = chain(8);
  c.splice(3, 1);
  assert.deepEqual(problems(c), [[4, 'deleted']]);

  const d = chain(8);
  d.splice(3, 1);
  for (let i = 3; i < d.length; i++) d[i] = { ...(d[i] as AuditEntry), seq: i + 1 };
  assert.deepEqual(problems(d), [[4, 'deleted']]);

  const e = chain(8);
  e.splice(2, 2);
  assert.deepEqual(problems(e), [[3, 'deleted'], [4, 'deleted']]);

  const f = chain(5);
  f.shift();
  assert.deepEqual(problems(f), [[1, 'deleted']]);
});

test('a deleted last row is invisible to the chain alone and named once the head is anchored', () => {
  const full = chain(8);
  const head = { seq: 8, hash: full[7]?.hash ?? '' };
  const cut = full.slice(0, 7);
  assert.deepEqual(problems(cut), []);
  assert.deepEqual(problems(cut, head), [[8, 'deleted']]);
  assert.deepEqual(problems(full.slice(0, 5), head), [[6, 'deleted'], [7, 'deleted'], [8, 'deleted']]);
  assert.deepEqual(problems(full, head), []);
  assert.deepEqual(problems([], head).length, 8);
});

test('an inserted row is named: duplicate seq, renumbered tail, unhashed forgery, or appended after the anchor', () => {
  const forged = (c: AuditEntry[], at: number): AuditEntry => rehash({
    ...(c[at - 1] as AuditEntry), seq: at + 1, actor: 'mallory', action: 'spend.approve', prevHash: (c[at - 1] as AuditEntry).hash,
  });

  const a = chain(8); // forged row with a duplicate seq, correctly chained to its predecessor
  a.splice(3, 0, forged(a, 3));
  assert.deepEqual(problems(a), [[4, 'inserted']]);

  const b = chain(8); // forged row, later rows renumbered (their hashes not recomputed)
  b.splice(3, 0, forged(b, 3));
  for (let i = 4; i < b.length; i++) b[i] = { ...(b[i] as AuditEntry), seq: i + 1 };
  assert.deepEqual(problems(b), [[4, 'inserted']]);

  const c = chain(8); // a forgery whose hash is not even right
  c.splice(3, 0, { ...(c[3] as AuditEntry), actor: 'mallory' });
  assert.deepEqual(problems(c), [[4, 'inserted']]);

  const d = chain(8); // appended with a valid link: only the anchored head shows it
  const head = { seq: 8, hash: d[7]?.hash ?? '' };
  d.push(appendAuditEntry(d[7] ?? null, { actor: 'mallory', role: 'operator', action: 'spend.broadcast', object: 'proposal:1', details: {}, atMs: 1 }));
  assert.deepEqual(problems(d), []);
  assert.deepEqual(problems(d, head), [[9, 'inserted']]);
});

test('a first row that does not link to the genesis hash is named', () => {
  const c = chain(3);
  c[0] = rehash({ ...(c[0] as AuditEntry), prevHash: 'f'.repeat(64) });
  assert.deepEqual(problems(c), [[1, 'edited']]);
});

test('several tamperings at once are all reported', () => {
  const c = chain(12);
  c[2] = { ...(c[2] as AuditEntry), role: 'admin' };
  c.splice(7, 1); // seq 8
  assert.deepEqual(problems(c), [[3, 'edited'], [8, 'deleted']]);
});

test('rows with malformed fields (as read from a tampered table) are reported, not thrown', () => {
  const c = chain(5);
  c[2] = { ...(c[2] as AuditEntry), atMs: 'yesterday' as unknown as number };
  assert.deepEqual(problems(c), [[3, 'edited']]);
});

test('assertChainIntact throws AUDIT_TAMPERED with the problems attached', () => {
  const c = chain(4);
  assertChainIntact(c);
  c[1] = { ...(c[1] as AuditEntry), object: 'x' };
  assert.throws(() => assertChainIntact(c), (e: unknown) => e instanceof DomainError && e.code === 'AUDIT_TAMPERED'
    && Array.isArray(e.details?.['problems']) && (e.details['problems'] as { seq: number }[])[0]?.seq === 2);
});

test('property: 300 random single tamperings are each detected and the tampered seq is named', () => {
  let s = 0x5eed;
  const rand = (n: number): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s % n; };
  for (let round = 0; round < 300; round++) {
    const n = 3 + rand(20);
    const c = chain(n);
    const head = { seq: n, hash: c[n - 1]?.hash ?? '' };
    const k = rand(n); // 0-based row
    const op = rand(4);
    let named: number;
    if (op === 0) { c[k] = { ...(c[k] as AuditEntry), memo: 'x', details: { changed: round } } as AuditEntry; named = k + 1; }
    else if (op === 1) { c.splice(k, 1); named = k + 1; }
    else if (op === 2 && k + 1 < n) { [c[k], c[k + 1]] = [c[k + 1] as AuditEntry, c[k] as AuditEntry]; named = k + 1; }
    else { c.splice(k, 0, { ...(c[k] as AuditEntry), actor: `forger ${round}` }); named = k + 1; }
    const v = verifyChain(c, { expectedHead: head });
    assert.equal(v.ok, false, `round ${round} op ${op} k ${k}`);
    if (!v.ok) assert.ok(v.problems.some((p) => p.seq === named), `round ${round} op ${op}: named ${v.problems.map((p) => `${p.seq}:${p.kind}`).join(',')}, expected ${named}`);
  }
});
