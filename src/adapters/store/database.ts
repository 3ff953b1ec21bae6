import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { DomainError } from '../../core/errors.ts';
import { migrateToLatest } from './migrator.ts';
import type { Tables } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

/**
 * An open database. `db` is typed by the schema after the latest migration (`Tables`,
 * schema.ts): integer columns read as `bigint | number` (the engines differ), and repositories
 * convert them with `toBig`/`toNum`, which behave the same on both engines.
 */
export interface Database {
  readonly engine: Engine;
  readonly db: Kysely<Tables>;
  /** A redacted description for messages and logs (no password). */
  readonly describe: string;
  close(): Promise<void>;
}

/** Redact the password in a connection URL. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable url>';
  }
}

export interface OpenOptions {
  /** `postgres://…` or `postgresql://…` for PostgreSQL; anything else is a SQLite file path. */
  url: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

/** Open (and by default migrate) a database on either engine. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const { url } = opts;
  let dialect: Dialect;
  let engine: Engine;
  let describe: string;
  let sqliteHandle: BetterSqlite3.Database | null = null;
  if (/^postgres(ql)?:\/\//.test(url)) {
    engine = 'postgres';
    describe = redactUrl(url);
    // Each driver loads only when a database of its engine is opened (a fast CLI start).
    const { default: pg } = await import('pg');
    // PostgreSQL int8 (OID 20) and numeric (1700) arrive as strings by default; amounts must be bigint.
    pg.types.setTypeParser(20, (v: string) => BigInt(v));
    const pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    });
    dialect = new PostgresDialect({ pool });
  } else {
    engine = 'sqlite';
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    describe = `sqlite:${file}`;
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    let sqlite: BetterSqlite3.Database;
    try {
      sqlite = new BetterSqlite3(file);
    } catch (e) {
      throw new DomainError('STORE_UNAVAILABLE', `cannot open database file ${file}: ${(e as Error).message}`);
    }
    sqlite.defaultSafeIntegers(true);
    sqlite.pragma('busy_timeout = 10000');
    if (file !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    sqliteHandle = sqlite;
    dialect = new SqliteDialect({ database: sqlite });
  }
  const db = new Kysely<Tables>({ dialect });
  const database: Database = {
    engine,
    db,
    describe,
    close: () => db.destroy(),
  };
  if (sqliteHandle !== null) sqliteHandles.set(database, sqliteHandle);
  if (opts.migrate !== false) {
    try {
      await migrateToLatest(database);
    } catch (e) {
      await db.destroy().catch(() => undefined);
      if (e instanceof DomainError) throw e;
      const msg = (e as Error).message;
      throw new DomainError('STORE_UNAVAILABLE', `cannot prepare database ${describe}: ${msg}`);
    }
  }
  return database;
}

const sqliteHandles = new WeakMap<Database, BetterSqlite3.Database>();
const sqliteStatements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * For a hot write path on SQLite: `text` prepared once per database and kept (better-sqlite3
 * re-prepares it by itself after a schema change), instead of Kysely compiling and preparing it on
 * every call. `null` on PostgreSQL (and for a `Database` not opened by `openDatabase`), so the
 * caller keeps its Kysely path there.
 *
 * The statement runs on the driver's one connection, outside Kysely's connection lock: call it only
 * inside `inWriteTransaction`'s `fn` (which holds that lock), so it joins that transaction and
 * nothing else interleaves. Integers read as bigint (the database's safe-integer mode).
 * @example const ins = sqliteStatement(database, 'insert into t (a) values (?)'); // inside inWriteTransaction
 */
export function sqliteStatement(database: Database, text: string): BetterSqlite3.Statement | null {
  const handle = sqliteHandles.get(database);
  if (handle === undefined || !handle.open) return null;
  let cache = sqliteStatements.get(handle);
  if (cache === undefined) {
    cache = new Map();
    sqliteStatements.set(handle, cache);
  }
  let stmt = cache.get(text);
  if (stmt === undefined) {
    if (cache.size >= 64) cache.clear();
    stmt = handle.prepare(text);
    cache.set(text, stmt);
  }
  return stmt;
}

/** Convert a database integer (number, bigint or numeric string) to bigint, exactly. */
export function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`toBig: unsafe integer ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`toBig: not an integer: ${String(v)}`);
}

/** Convert a database integer that fits a JS number (heights, counts, ids) to number. */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`toNum: unsafe integer ${v}`);
    return n;
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return toNum(BigInt(v));
  throw new TypeError(`toNum: not an integer: ${String(v)}`);
}

/** Convert a nullable database integer. */
export function toNumOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : toNum(v);
}

// A fixed key for pg_advisory_xact_lock that serializes governance transactions ("gov").
const PG_GOVERNANCE_LOCK = 0x676f76;

/**
 * Run `fn` in ONE database transaction that holds the governance write lock: SQLite
 * `BEGIN IMMEDIATE` (the database's single writer lock, taken before the first read, so a
 * read-check-write cannot interleave with another process); PostgreSQL `BEGIN` plus a
 * transaction-scoped advisory lock that every governance transaction takes first (so the checks
 * read what the previous transaction committed; see docs/adr/0007-governance-transactions.md).
 *
 * `fn` receives a Kysely bound to the transaction's connection and must use only it: on SQLite
 * the driver has one connection, so a query through the unbound `db` inside `fn` would wait for
 * itself. Commits when `fn` resolves, rolls back when it throws.
 */
export async function inWriteTransaction<T>(database: Database, fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return database.db.connection().execute(async (conn) => {
    if (database.engine === 'sqlite') await sql`begin immediate`.execute(conn);
    else {
      await sql`begin`.execute(conn);
      await sql`select pg_advisory_xact_lock(${sql.lit(PG_GOVERNANCE_LOCK)})`.execute(conn);
    }
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
    await sql`commit`.execute(conn);
    return result;
  });
}
