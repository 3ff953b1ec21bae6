// Issue #19 item 3: the audit log anchored outside its database. The reviewer's three attacks,
// done in SQL behind the application's back and each covering its tracks in the stored head —
// a cut tail, one row rewritten with every later hash recomputed, a wiped log — all PASS the
// plain `audit verify` (the chain and its stored head agree) and all FAIL `audit verify --head`
// with a head saved before the attack, naming the entry. A transaction anchoring the head proves
// the same. On SQLite and PostgreSQL; on SQLite through `soberana` (its compiled main()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Transaction } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import type { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { auditEntryHash, canonicalJson, type AuditEntry } from '../../src/core/audit/hash-chain.ts';
import { auditHeadOf, formatHead, type AuditHead } from '../../src/core/audit/kept-heads.ts';
import { auditAnchorScript } from '../../src/core/audit/anchor.ts';
import { DomainError } from '../../src/core/errors.ts';
import { currentAuditHead, verifyAuditAnchor, verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { setupMembers } from './fixtures.ts';

/** `soberana` in-process (its compiled main(), see cliInProcess): the commands' output and exit codes. */
const runCli = cliInProcess();

const ENTRIES = 10;

type Attack = (db: Database, spends: SqlSpendStore) => Promise<void>;

/** Put the stored head where an attacker would: on the (new) last row, or gone with an empty log. */
async function coverTracks(db: Database, spends: SqlSpendStore): Promise<void> {
  const last = (await spends.auditLog()).at(-1);
  if (!last) await sql`delete from settings where key = 'audit_head'`.execute(db.db);
  else await sql`update settings set value = ${JSON.stringify({ seq: last.seq, hash: last.hash })} where key = 'audit_head'`.execute(db.db);
}

const ATTACKS: Record<'cut tail' | 'rewritten and rehashed' | 'wiped', { attack: Attack; message: RegExp }> = {
  'cut tail': {
    async attack(db, spends) {
      await sql`delete from audit_log where seq > 8`.execute(db.db);
      await coverTracks(db, spends);
    },
    message: new RegExp(`the log ends at entry 8 but you kept a head at entry ${ENTRIES}: entries were cut`),
  },
  'rewritten and rehashed': {
    async attack(db, spends) {
      // give maria central-bank rights in the entry of her addition, then recompute every later hash
      const log = await spends.auditLog();
      let prev = log[2] as AuditEntry;
      for (const e of log.slice(3)) {
        const details = e.seq === 4 ? { ...(e.details as object), groups: ['central-bank'] } : e.details;
        const content = { ...e, details, prevHash: prev.hash };
        const hash = auditEntryHash(content);
        await sql`update audit_log set details = ${canonicalJson(details ?? null)}, prev_hash = ${content.prevHash}, hash = ${hash} where seq = ${e.seq}`.execute(db.db);
        prev = { ...content, hash };
      }
      await coverTracks(db, spends);
    },
    message: new RegExp(`entry ${ENTRIES} has hash [0-9a-f]{64} but the head you kept says [0-9a-f]{64}: the log was rewritten`),
  },
  wiped: {
    async attack(db, spends) {
      await sql`delete from audit_log`.execute(db.db);
      await coverTracks(db, spends);
    },
    message: new RegExp(`the log has no entries but you kept a head at entry ${ENTRIES}: the log was wiped`),
  },
};

forEachEngine('audit log against a head kept elsewhere', (t) => {
  async function setup(): Promise<{ url: string; db: Database; spends: SqlSpendStore; head: AuditHead; early: AuditHead }> {
    const url = await t.url();
    const db = await openDatabase({ url });
    const { spends, clock } = await setupMembers(db);
    while ((await spends.auditLog()).length < ENTRIES) {
      clock.advance(60_000);
      await spends.appendAudit({ actor: 'luis', role: 'operator', action: 'spend.propose', object: 'proposal:1', details: { memo: 'invoice 17' }, atMs: clock.now() });
    }
    const log = await spends.auditLog();
    return { url, db, spends, head: await currentAuditHead({ spends }), early: { seq: 3, hash: (log[2] as AuditEntry).hash } };
  }

  for (const [name, { attack, message }] of Object.entries(ATTACKS)) {
    test(`${name}: passes the plain verify but fails verify with a head kept before the attack (AUDIT_TAMPERED, naming the entry)`, async () => {
      const { db, spends, head, early } = await setup();
      try {
        assert.equal(head.seq, ENTRIES);
        assert.deepEqual(await verifyAuditLog({ spends }, { keptHeads: [head] }).then((v) => [v.ok, v.kept[0]?.after]), [true, 0], 'untouched: the kept head matches');
        await attack(db, spends);
        const plain = await verifyAuditLog({ spends });
        assert.equal(plain.ok, true, `the attack is invisible to the chain alone: ${JSON.stringify(plain.problems)}`);
        const v = await verifyAuditLog({ spends }, { keptHeads: [early, head] });
        assert.equal(v.ok, false);
        assert.equal(v.kept[1]?.ok, false);
        assert.match(v.kept[1]?.problem?.message ?? '', message);
        assert.ok(v.problems.some((p) => message.test(p.message)));
        // a head kept before the damage still matches, except when everything went
        assert.equal(v.kept[0]?.ok, name !== 'wiped', JSON.stringify(v.kept[0]));
      } finally {
        await db.close();
      }
    });
  }

  test('a transaction anchoring the head proves the log as it was: it matches the untouched log and not the rewritten one', async () => {
    const { db, spends, head } = await setup();
    try {
      const tx = new Transaction();
      tx.addInput(new Uint8Array(32).fill(1), 0);
      tx.addOutput(Uint8Array.from(Buffer.from(`0014${'22'.repeat(20)}`, 'hex')), 10_000n);
      tx.addOutput(auditAnchorScript(head), 0n);
      const raw = tx.toBuffer();
      const r = await verifyAuditAnchor({ spends }, raw);
      assert.deepEqual([r.vout, r.head, r.verdict.ok], [1, { seq: head.seq, hash: head.hash }, true]);
      await ATTACKS['rewritten and rehashed'].attack(db, spends);
      await assert.rejects(verifyAuditAnchor({ spends }, raw), (e: unknown) => e instanceof DomainError && e.code === 'AUDIT_TAMPERED' && /anchors entry 10, but the log's entry 10 \(hash [0-9a-f]{64}\) is not the one it committed to: the log was rewritten/.test(e.message));
      await ATTACKS['cut tail'].attack(db, spends);
      await assert.rejects(verifyAuditAnchor({ spends }, raw), /anchors entry 10 but the log ends at entry 8: entries were cut/);
      const none = new Transaction();
      none.addInput(new Uint8Array(32).fill(1), 0);
      none.addOutput(Uint8Array.from(Buffer.from(`0014${'22'.repeat(20)}`, 'hex')), 10_000n);
      await assert.rejects(verifyAuditAnchor({ spends }, none.toBuffer()), (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND');
    } finally {
      await db.close();
    }
  });

  if (t.engine !== 'sqlite') return;

  test('through the soberana binary: audit head saves the head; each attack passes audit verify (exit 0) and fails audit verify --head/--heads (exit 10); anchor-check finds the anchored head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-heads-'));
    const opened: Database[] = [];
    try {
      const dbs = await Promise.all(Object.keys(ATTACKS).map(async () => {
        const s = await setup();
        opened.push(s.db);
        return s;
      }));
      const first = dbs[0] as Awaited<ReturnType<typeof setup>>;
      const saved = await runCli(['--db', first.url, 'audit', 'head']);
      assert.equal(saved.code, 0, saved.stderr);
      assert.equal(saved.stdout, `${formatHead(first.head)}\n`, 'exactly SEQ:HASH, to append to a file');

      // the auditor's file, as kept day by day: a dated line, the public route's JSON
      const heads = join(dir, 'heads.txt');
      const entries = await first.spends.auditLog();
      const early = auditHeadOf(entries.slice(0, 5));
      writeFileSync(heads, `2026-01-04 ${formatHead(early)}\n${JSON.stringify({ seq: first.head.seq, hash: first.head.hash, at: '2026-01-05T10:10:00.000Z', entries: ENTRIES })}\n`);

      let i = 0;
      for (const [name, { attack, message }] of Object.entries(ATTACKS)) {
        const { url, db, spends, head } = dbs[i++] as Awaited<ReturnType<typeof setup>>;
        assert.equal(formatHead(head), formatHead(first.head), 'the same history gives the same head');
        await attack(db, spends);
        const plain = await runCli(['--db', url, 'audit', 'verify']);
        assert.equal(plain.code, 0, `${name}: ${plain.stderr}`);
        assert.match(plain.stdout, /^audit log intact: /);
        const kept = await runCli(['--db', url, 'audit', 'verify', ...(name === 'wiped' ? ['--head', formatHead(head)] : ['--heads', heads])]);
        assert.equal(kept.code, 10, `${name}: ${kept.stdout}${kept.stderr}`);
        assert.match(kept.stderr, message);
      }

      // an auditor holding only the raw transaction and the head: no database needed
      const tx = new Transaction();
      tx.addInput(new Uint8Array(32).fill(3), 0);
      tx.addOutput(auditAnchorScript(first.head), 0n);
      const txFile = join(dir, 'tx.hex');
      writeFileSync(txFile, `${tx.toHex()}\n`);
      const anchor = await runCli(['audit', 'anchor-check', '--tx', txFile, '--head', formatHead(first.head), '--json']);
      assert.equal(anchor.code, 0, anchor.stderr);
      assert.deepEqual(JSON.parse(anchor.stdout), { txid: tx.getId(), vout: 0, head: { seq: first.head.seq, hash: first.head.hash }, commits: true });
    } finally {
      for (const db of opened) await db.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
