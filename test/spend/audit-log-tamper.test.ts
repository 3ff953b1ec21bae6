// The audit log is hash-chained: editing a row with raw SQL, deleting one, or cutting the tail off
// is detected, and `soberana audit verify` (the CLI's compiled main()) exits 10 (AUDIT_TAMPERED) naming the
// row. On SQLite and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachEngine } from '../helpers/engines.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { setupMembers } from './fixtures.ts';

/** `soberana` in-process (its compiled main(), see cliInProcess): the commands' output and exit codes. */
const runCli = cliInProcess();

forEachEngine('audit log tamper', (t) => {
  async function setup() {
    const url = await t.url();
    const db = await openDatabase({ url });
    const g = await setupMembers(db);
    return { url, db, ...g };
  }

  test('an edited row is named by audit verify (exit 10); the untouched log verifies (exit 0)', async () => {
    const { url, db, spends } = await setup();
    try {
      const entries = await spends.auditLog();
      assert.equal(entries.length, 7, '5 members, policy proposed and activated');
      let cli = await runCli(['--db', url, 'audit', 'verify', '--json']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as { entries: number }).entries, 7);

      // Give maria central-bank rights in the log of her addition (row 4) behind the application's back.
      await sql`update audit_log set details = ${'{"groups":["central-bank"],"id":"maria","name":"maria","roles":["approver"]}'} where seq = 4`.execute(db.db);
      const v = await verifyAuditLog({ spends });
      assert.equal(v.ok, false);
      assert.deepEqual(v.problems.map((p) => [p.seq, p.kind]), [[4, 'edited']]);
      cli = await runCli(['--db', url, 'audit', 'verify']);
      assert.equal(cli.code, 10);
      assert.match(cli.stderr, /row 4 was edited/);
    } finally {
      await db.close();
    }
  });

  test('a deleted row and a truncated tail are detected too', async () => {
    const { url, db, spends } = await setup();
    try {
      await sql`delete from audit_log where seq = 3`.execute(db.db);
      let v = await verifyAuditLog({ spends });
      assert.ok(v.problems.some((p) => p.kind === 'deleted' && p.seq === 3), JSON.stringify(v.problems));
      const again = await setup();
      try {
        await sql`delete from audit_log where seq = 7`.execute(again.db.db);
        v = await verifyAuditLog({ spends: again.spends });
        assert.equal(v.ok, false, 'the anchored head in settings catches the missing last row');
        const cli = await runCli(['--db', again.url, 'audit', 'verify', '--json']);
        assert.equal(cli.code, 10);
        assert.match(cli.stderr, /AUDIT_TAMPERED/);
      } finally {
        await again.db.close();
      }
      void url;
    } finally {
      await db.close();
    }
  });
});
