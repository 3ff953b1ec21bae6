import { sql, type Kysely } from 'kysely';
import type { Database, Engine } from './database.ts';
import { MIGRATIONS } from './migrations/index.ts';

/** One schema change. Files are named `NNNN-what.ts`; versions never change once released. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /**
   * Untyped on purpose: a migration runs against the schema of its own time, not the latest one
   * that `Tables` (schema.ts) describes, so it must not be checked against (or change with) it.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, engine: Engine): Promise<void>;
}

// An arbitrary but fixed key for pg_advisory_xact_lock ("soberana" in ASCII, truncated).
const PG_LOCK_KEY = 0x736f6265726e;

/**
 * Apply every pending migration in one transaction that holds an exclusive lock
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so two
 * processes starting at once apply each migration exactly once. Applying twice is a no-op.
 * Returns the versions applied by this call.
 */
export async function migrateToLatest(database: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  checkOrder(migrations);
  const applied: number[] = [];
  await database.db.connection().execute(async (conn) => {
    if (database.engine === 'sqlite') await sql`begin immediate`.execute(conn);
    else {
      await sql`begin`.execute(conn);
      await sql`select pg_advisory_xact_lock(${sql.lit(PG_LOCK_KEY)})`.execute(conn);
    }
    try {
      await conn.schema
        .createTable('schema_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .execute();
      const rows = await conn.selectFrom('schema_migrations').select('version').execute();
      const done = new Set(rows.map((r) => Number(r.version)));
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await m.up(conn, database.engine); // untyped for the migration: see Migration.up
        await conn
          .insertInto('schema_migrations')
          .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
          .execute();
        applied.push(m.version);
      }
      await sql`commit`.execute(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
  return applied;
}

function checkOrder(migrations: readonly Migration[]): void {
  let prev = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new RangeError(`migrations: version ${m.version} (${m.name}) is not strictly increasing`);
    }
    prev = m.version;
  }
}
