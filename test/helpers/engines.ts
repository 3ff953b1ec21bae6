/**
 * Run a store test against both engines. The PostgreSQL half uses one throwaway cluster per
 * test file — or the one the test runner started for the whole run — and gives each test its
 * own database; when PostgreSQL is not available the half is reported as skipped with the
 * reason — never silently passed.
 *
 * @example
 *   forEachEngine('settings', (t) => {
 *     test('round-trips', async () => { const db = await t.open(); ... });
 *   });
 */
import { after, before, describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database, type Engine } from '../../src/adapters/store/database.ts';
import { postgresAvailability, SHARED_PG_ENV, sharedPostgres, startPostgres, type PgCluster } from './postgres.ts';

export interface EngineContext {
  readonly engine: Engine;
  /** A URL for a new empty database on this engine. */
  url(): Promise<string>;
  /** Open (and migrate) a new empty database; closed automatically after the suite. */
  open(): Promise<Database>;
}

let sharedCluster: Promise<PgCluster> | undefined;
let users = 0;

function acquireCluster(): Promise<PgCluster> {
  users++;
  // the test runner's cluster when there is one (one start per run, not per file), else our own
  const shared = Number(process.env[SHARED_PG_ENV]);
  sharedCluster ??= Number.isSafeInteger(shared) && shared > 0 ? sharedPostgres(shared) : startPostgres();
  return sharedCluster;
}

async function releaseCluster(): Promise<void> {
  users--;
  if (users === 0 && sharedCluster) {
    const c = sharedCluster;
    sharedCluster = undefined;
    await (await c).stop();
  }
}

export function forEachEngine(name: string, body: (ctx: EngineContext) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    const avail = engine === 'postgres' ? postgresAvailability() : ({ ok: true } as const);
    const skip = avail.ok ? false : `PostgreSQL unavailable: ${avail.reason}`;
    void describe(`${name} [${engine}]`, { skip }, () => {
      const opened: Database[] = [];
      let dir = '';
      let cluster: PgCluster | undefined;
      let n = 0;
      before(async () => {
        if (engine === 'sqlite') dir = mkdtempSync(join(tmpdir(), 'soberana-sqlite-'));
        else cluster = await acquireCluster();
      });
      after(async () => {
        for (const db of opened) await db.close().catch(() => undefined);
        if (engine === 'sqlite') rmSync(dir, { recursive: true, force: true });
        else if (cluster) await releaseCluster();
      });
      const ctx: EngineContext = {
        engine,
        async url() {
          if (engine === 'sqlite') return join(dir, `db${++n}.sqlite`);
          if (!cluster) throw new TypeError('forEachEngine: cluster not started (call inside a test)');
          return cluster.createDatabase();
        },
        async open() {
          const db = await openDatabase({ url: await ctx.url() });
          opened.push(db);
          return db;
        },
      };
      body(ctx);
    });
  }
}
