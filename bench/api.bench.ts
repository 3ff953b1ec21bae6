/**
 * HTTP load on the public endpoints with autocannon, against a SQLite database of 100,000
 * transactions loaded into the vault tables, next to a bare Fastify hello-world measured in the
 * same run (same machine, same client, same connection count). The server runs as in production
 * (public answers cached for 5 s, see src/server/cached-view.ts) but with rate limits off; the
 * uncached cost of each query over the 100,000 transactions is measured too, directly.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Benchmark, BenchRow } from './harness.ts';
import { timeMedian } from './harness.ts';
import { startServer } from '../src/server/app.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../src/adapters/prices/csv-price-history.ts';
import { loadReserveTables } from '../test/helpers/load-reserve-tables.ts';
import { sampleReserve } from '../test/helpers/memory-public-view.ts';

interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; workers?: number }) => Promise<AutocannonResult>;
// autocannon ships no types; its call is small enough to describe here
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const TXS = Number(process.env.BENCH_API_TXS ?? 100_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONNECTIONS = 10;

async function load(url: string): Promise<AutocannonResult> {
  // the load generator runs in a worker thread, so it does not share the servers' event loop
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1 });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`bench api: ${url} answered ${r.non2xx} non-2xx and ${r.errors} errors`);
  return r;
}

const bench: Benchmark = {
  name: 'api',
  description: `public API under load (autocannon, ${CONNECTIONS} connections, ${SECONDS}s per run, ${TXS.toLocaleString('en-US')} transactions in SQLite) vs a bare Fastify hello-world`,
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-api-'));
    const db = await openDatabase({ url: join(dir, 'bench.db') });
    const hello = Fastify();
    hello.get('/', async () => ({ hello: 'world' }));
    try {
      await loadReserveTables(db, sampleReserve({ extra: TXS, seed: 5 }));
      const view = new SqlPublicView(db, 'regtest');
      const { app, url } = await startServer(
        { publicView: view, tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot: null, rateLimit: null },
        { port: 0, host: '127.0.0.1' },
      );
      const helloUrl = await hello.listen({ port: 0, host: '127.0.0.1' });
      try {
        const endpoints = [
          ['public summary', `${url}api/v1/public/summary`],
          ['public history (50 newest transactions)', `${url}api/v1/public/transactions?limit=50`],
          ['public holdings over time', `${url}api/v1/public/holdings`],
        ] as const;
        // warm-up: JIT, SQLite page cache, schema compilation
        for (const [, u] of endpoints) await autocannon({ url: u, connections: 2, duration: 1 });
        await autocannon({ url: helloUrl, connections: 2, duration: 1 });
        const rows: BenchRow[] = [];
        for (const [name, u] of endpoints) {
          const peer = await load(helloUrl);
          const ours = await load(u);
          const peerName = 'bare Fastify hello-world';
          rows.push({ name: `${name}: p50 latency`, unit: 'ms', ours: ours.latency.p50, peer: peer.latency.p50, peerName, higherIsBetter: false });
          rows.push({ name: `${name}: p99 latency`, unit: 'ms', ours: ours.latency.p99, peer: peer.latency.p99, peerName, higherIsBetter: false });
          rows.push({ name: `${name}: throughput`, unit: 'req/s', ours: ours.requests.average, peer: peer.requests.average, peerName, higherIsBetter: true });
        }
        const queries = [
          ['summary', () => view.summary()],
          ['50 newest transactions', () => view.transactions({ limit: 50 })],
          ['holdings over time', () => view.holdings()],
        ] as const;
        for (const [name, q] of queries) {
          const s = await timeMedian(q, { warmup: 1, runs: 5 });
          rows.push({ name: `uncached query: ${name}`, unit: 'ms', ours: s * 1000, peer: null, peerName: null, higherIsBetter: false, notes: `SQLite, ${TXS} transactions` });
        }
        return rows;
      } finally {
        await app.close();
      }
    } finally {
      await hello.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
