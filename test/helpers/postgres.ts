/**
 * A throwaway PostgreSQL 15 cluster for tests: initdb in a temp dir owned by the
 * `postgres` user (initdb/pg_ctl refuse to run as root), socket in that dir, a free
 * loopback port. `startPostgres()` resolves to null with a reason when the binaries
 * or the user are missing, so callers can report the PostgreSQL half as skipped.
 */
import { execFile as execFileCb, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';
import pg from 'pg';

const execFile = promisify(execFileCb);
export const PG_BIN = process.env.SOBERANA_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  readonly port: number;
  /** URL of a fresh, empty database in the cluster. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export type PgAvailability = { ok: true } | { ok: false; reason: string };

export function postgresAvailability(): PgAvailability {
  if (process.env.SOBERANA_SKIP_PG === '1') return { ok: false, reason: 'SOBERANA_SKIP_PG=1 is set' };
  if (!existsSync(join(PG_BIN, 'initdb'))) return { ok: false, reason: `PostgreSQL binaries not found in ${PG_BIN}` };
  if (userInfo().uid === 0) {
    const r = spawnSync('id', ['-u', 'postgres']);
    if (r.status !== 0) return { ok: false, reason: 'running as root and there is no "postgres" user to run initdb' };
  }
  return { ok: true };
}

async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const isRoot = userInfo().uid === 0;
  if (isRoot) await execFile('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 60_000 });
  else await execFile(cmd, args, { timeout: 60_000 });
}

let counter = 0;

/**
 * A test process killed (timeout, kill -9, Ctrl-C) never runs `stop()`, and its cluster would keep
 * running. A detached shell watches this process and, once it is gone, stops the cluster and removes
 * its directory. After a normal `stop()` it finds nothing left to do.
 */
function startWatchdog(dir: string, data: string): void {
  const pgCtl = join(PG_BIN, 'pg_ctl');
  const stopCmd = userInfo().uid === 0 ? `runuser -u postgres -- ${pgCtl}` : pgCtl;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done; if [ -d '${data}' ]; then ${stopCmd} -D '${data}' -m immediate stop >/dev/null 2>&1; rm -rf '${dir}'; fi`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
}

/**
 * When set (by scripts/run-test-files.mjs, which starts one cluster for the whole run), the port of
 * a running cluster: test files make their databases there instead of each starting its own.
 */
export const SHARED_PG_ENV = 'SOBERANA_TEST_PG_PORT';

export async function startPostgres(opts: { maxConnections?: number } = {}): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-pg-'));
  chmodSync(dir, 0o777);
  if (userInfo().uid === 0) await execFile('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  await asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  await asPostgres(join(PG_BIN, 'pg_ctl'), [
    '-D', data, '-l', join(dir, 'log'), '-w', '-t', '30',
    '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${opts.maxConnections ?? 50}`,
    'start',
  ]);
  startWatchdog(dir, data);
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  let stopped = false;
  return {
    port,
    async createDatabase() {
      const name = `t_${process.pid}_${++counter}`;
      await admin.query(`create database ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await admin.end().catch(() => undefined);
      await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test file's share of a cluster started by the test runner (see SHARED_PG_ENV): its databases
 * are its own (named after its process), and `stop()` drops them, leaving the cluster running.
 */
export async function sharedPostgres(port: number): Promise<PgCluster> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const mine: string[] = [];
  let stopped = false;
  return {
    port,
    async createDatabase() {
      const name = `t_${process.pid}_${++counter}`;
      await admin.query(`create database ${name}`);
      mine.push(name);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const name of mine) await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}
