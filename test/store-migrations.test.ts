// Storage foundation, on SQLite and PostgreSQL: migrations are versioned, idempotent and safe
// when two processes start at once; 64-bit amounts come back as exact bigints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { forEachEngine } from './helpers/engines.ts';
import { openDatabase, toBig } from '../src/adapters/store/database.ts';
import { migrateToLatest } from '../src/adapters/store/migrator.ts';
import { MIGRATIONS } from '../src/adapters/store/migrations/index.ts';
import { readSchemaVersion } from '../src/adapters/store/schema-info.ts';
import type { Int, Int8 } from '../src/adapters/store/schema.ts';

const execFile = promisify(execFileCb);
const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

forEachEngine('store migrations', (t) => {
  test('a new database is migrated to the latest version on open', async () => {
    const db = await t.open();
    assert.equal(await readSchemaVersion(db), latest);
  });

  test('applying migrations twice is a no-op', async () => {
    const db = await t.open();
    assert.deepEqual(await migrateToLatest(db), []);
    const rows = await db.db.selectFrom('schema_migrations').select('version').execute();
    assert.equal(rows.length, MIGRATIONS.length);
  });

  test('two processes migrating the same new database at once apply each migration exactly once', async () => {
    const url = await t.url();
    const run = () => execFile(process.execPath, ['--import', 'tsx', 'test/fixtures/open-db.ts', url], { timeout: 60_000 });
    const [a, b] = await Promise.all([run(), run()]);
    const appliedA = JSON.parse(a.stdout) as number[];
    const appliedB = JSON.parse(b.stdout) as number[];
    assert.deepEqual([...appliedA, ...appliedB].sort((x, y) => x - y), MIGRATIONS.map((m) => m.version));
    const db = await openDatabase({ url });
    try {
      const rows = await db.db.selectFrom('schema_migrations').select('version').execute();
      assert.equal(rows.length, MIGRATIONS.length);
    } finally {
      await db.close();
    }
  });

  test('64-bit integers round-trip exactly as bigint', async () => {
    const db = await t.open();
    // A probe table outside the schema: typed for this test only.
    const probe = db.db.withTables<{ amounts_probe: { id: Int; sats: Int8 } }>();
    await probe.schema.createTable('amounts_probe').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('sats', 'bigint', (c) => c.notNull()).execute();
    const values = [0n, 1n, 2_100_000_000_000_000n, 9_007_199_254_740_993n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
    await probe.insertInto('amounts_probe').values(values.map((sats, id) => ({ id, sats }))).execute();
    const rows = await probe.selectFrom('amounts_probe').select(['id', 'sats']).orderBy('id').execute();
    assert.deepEqual(rows.map((r) => toBig(r.sats)), values);
    for (const r of rows) assert.equal(typeof r.sats, 'bigint', 'the driver itself returns bigint, never a float');
    const sum = await sql<{ s: unknown }>`select sum(sats) as s from amounts_probe where id < 4`.execute(db.db);
    assert.equal(toBig(sum.rows[0]?.s), 2_100_000_000_000_000n + 1n + 9_007_199_254_740_993n);
  });

  test('a failing migration rolls back completely', async () => {
    const db = await t.open();
    const bad = [
      ...MIGRATIONS,
      {
        version: latest + 1,
        name: 'half-done',
        async up(kdb: typeof db.db) {
          await kdb.schema.createTable('half_done').addColumn('x', 'integer').execute();
          throw new Error('boom');
        },
      },
    ];
    await assert.rejects(migrateToLatest(db, bad), /boom/);
    assert.equal(await readSchemaVersion(db), latest);
    const exists = await db.db.introspection.getTables();
    assert.ok(!exists.some((x) => x.name === 'half_done'), 'the half-applied table was rolled back');
  });
});
