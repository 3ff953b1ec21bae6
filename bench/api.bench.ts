/**
 * HTTP load on the public endpoints with autocannon, against a SQLite database of 100,000
 * transactions loaded into the vault tables, next to bare Fastify measured in the same run (same
 * machine, same client, same connection count). The server runs as in production (public
 * answers cached for 5 s, see src/server/cached-view.ts) but with rate limits off; the uncached
 * cost of each query over the 100,000 transactions is measured too, directly.
 *
 * The peer of each route is bare Fastify sending the very bytes our route sends (fetched from it
 * once, same Content-Type, same Content-Encoding, a Buffer returned from an async handler): on
 * two shared cores the client reading 85 KB of holdings costs more than either server, so a
 * 17-byte hello-world peer measures the body's size, not the server. The hello-world is still
 * measured in every round, and its ratio reported in its own row.
 */
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Benchmark, BenchRow } from './harness.ts';
import { median, timeMedian } from './harness.ts';
import { startServer } from '../src/server/app.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../src/adapters/store/public-view-sql.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { rebuildDaily } from '../src/adapters/store/daily-holdings.ts';
import { loadPriceHistory } from '../src/adapters/prices/csv-price-history.ts';
import { loadReserveTables } from '../test/helpers/load-reserve-tables.ts';
import { sampleReserve } from '../test/helpers/memory-public-view.ts';
import { LiveHub } from '../src/server/live-events.ts';
import type { Database } from '../src/adapters/store/database.ts';

interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; workers?: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
// autocannon ships no types; its call is small enough to describe here
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const TXS = Number(process.env.BENCH_API_TXS ?? 100_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 3);
/** Rounds of (peer, ours) per route, alternated: on a shared machine a burst of load then hits both, and the medians are kept. */
const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 3);
const CONNECTIONS = 10;
const SSE_CLIENTS = Number(process.env.BENCH_API_SSE ?? 1000);
const SSE_SECONDS = Number(process.env.BENCH_API_SSE_SECONDS ?? 60);

/** One block of `n` confirmed transactions above the current tip, applied as sync applies it (the vault store: rows, checkpoint, daily aggregate). */
async function addBlock(db: Database, vaults: readonly string[], height: number, time: number, n: number): Promise<void> {
  const hash = `bench${height}`.padEnd(64, '0');
  const store = new SqlVaultStore(db);
  for (const [v, vault] of vaults.entries()) {
    const transactions = Array.from({ length: n }, (_, i) => i).filter((i) => i % vaults.length === v).map((i) => ({
      txid: `${hash.slice(0, 56)}${String(i).padStart(8, '0')}`, height, blockHash: hash, blockTime: time, txIndex: i,
      received: 100_000n, spent: 0n, fee: null, category: 'purchase' as const, rawHex: '00',
    }));
    await store.applyBlock(vault, { height, hash, time, newTxos: [], spends: [], transactions, usedAddresses: [], newAddresses: [] });
  }
}

/**
 * Hold `clients` live-update streams open for `seconds`, publishing an event every second, and
 * sample the server process's RSS after the streams opened and at the end (same process: the
 * server runs in this one).
 */
async function holdStreams(url: string, hub: LiveHub, clients: number, seconds: number): Promise<{ rssStartMb: number; rssEndMb: number; received: number; open: number }> {
  let received = 0;
  const reqs: Array<ReturnType<typeof request>> = [];
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < clients; i++) {
    opened.push(new Promise<void>((resolve, reject) => {
      const req = request(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`bench api: live stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (chunk.includes('event: block')) received++;
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
      reqs.push(req);
    }));
  }
  await Promise.all(opened);
  gc();
  const rssStartMb = process.memoryUsage().rss / 2 ** 20;
  for (let s = 1; s <= seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    hub.publish({ kind: 'block', height: 1_000_000 + s, hash: s.toString(16).padStart(64, '0'), time: 1_800_000_000 + s });
  }
  await new Promise((r) => setTimeout(r, 500));
  gc();
  const rssEndMb = process.memoryUsage().rss / 2 ** 20;
  const open = hub.subscribers;
  for (const r of reqs) r.destroy();
  return { rssStartMb, rssEndMb, received, open };
}

/** Our route's answer as sent: status 200, its Content-Type and Content-Encoding, the raw (still compressed) bytes. */
function rawAnswer(url: string, headers: Record<string, string>): Promise<{ bytes: Buffer; type: string; encoding: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`bench api: ${url} answered ${res.statusCode}`));
        const enc = res.headers['content-encoding'];
        resolve({ bytes: Buffer.concat(chunks), type: res.headers['content-type'] ?? 'application/octet-stream', encoding: typeof enc === 'string' ? enc : null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Collect garbage when node runs with --expose-gc (RSS samples are then less noisy); a no-op otherwise. */
function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function load(url: string, headers: Record<string, string> = {}): Promise<AutocannonResult> {
  // the load generator runs in a worker thread, so it does not share the servers' event loop
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1, headers });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`bench api: ${url} answered ${r.non2xx} non-2xx and ${r.errors} errors`);
  return r;
}

const bench: Benchmark = {
  name: 'api',
  description: `public API under load (autocannon, ${CONNECTIONS} connections, ${SECONDS}s per run, ${ROUNDS} alternated rounds, ${TXS.toLocaleString('en-US')} transactions in SQLite) vs bare Fastify sending the same bytes, and vs a bare Fastify hello-world`,
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-api-'));
    const db = await openDatabase({ url: join(dir, 'bench.db') });
    const hello = Fastify();
    hello.get('/', async () => ({ hello: 'world' }));
    // the same-bytes peer: route i answers what our route i answered (filled in before the load)
    const same: Array<{ bytes: Buffer; type: string; encoding: string | null }> = [];
    hello.get('/same/:i', async (req, reply) => {
      const b = same[Number((req.params as { i: string }).i)];
      if (!b) throw new Error('bench api: no bytes for this route');
      void reply.type(b.type);
      if (b.encoding) void reply.header('content-encoding', b.encoding);
      return b.bytes;
    });
    try {
      await loadReserveTables(db, sampleReserve({ extra: TXS, seed: 5 }));
      // the fixture writes the tables directly; migration 0015 would have backfilled the aggregate from them
      await rebuildDaily(db.db);
      const view = new SqlPublicView(db, 'regtest');
      const live = new LiveHub(SSE_CLIENTS + 100);
      const { app, url } = await startServer(
        { publicView: view, tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot: null, rateLimit: null, live },
        { port: 0, host: '127.0.0.1' },
      );
      const helloUrl = await hello.listen({ port: 0, host: '127.0.0.1' });
      try {
        // what a browser sends: the public page's answers come back compressed (src/server/encoded-body.ts)
        const browser = { 'accept-encoding': 'gzip, deflate, br, zstd' };
        const endpoints: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
          ['public summary', `${url}api/v1/public/summary`, {}],
          ['public history (50 newest transactions)', `${url}api/v1/public/transactions?limit=50`, {}],
          ['public holdings over time', `${url}api/v1/public/holdings`, {}],
          ['public holdings over time, as a browser asks (Accept-Encoding: gzip, deflate, br, zstd)', `${url}api/v1/public/holdings`, browser],
          ['public holdings over time, one vault', `${url}api/v1/public/holdings?vault=el-salvador`, {}],
          ['public history of one vault (50 newest)', `${url}api/v1/public/transactions?limit=50&vault=pakistan`, {}],
          ['public addresses', `${url}api/v1/public/addresses`, {}],
        ];
        // warm-up: JIT, SQLite page cache, schema compilation, the compressed forms
        for (const [, u, headers] of endpoints) await autocannon({ url: u, connections: 2, duration: 1, headers });
        await autocannon({ url: helloUrl, connections: 2, duration: 1 });
        for (const [i, [, u, headers]] of endpoints.entries()) {
          // the raw bytes (fetch would decompress them)
          same[i] = await rawAnswer(u, headers);
        }
        const rows: BenchRow[] = [];
        for (const [i, [name, u, headers]] of endpoints.entries()) {
          const peer: AutocannonResult[] = [];
          const hw: AutocannonResult[] = [];
          const ours: AutocannonResult[] = [];
          const sameUrl = `${helloUrl}/same/${i}`;
          for (let r = 0; r < ROUNDS; r++) {
            peer.push(await load(sameUrl, headers));
            ours.push(await load(u, headers));
            hw.push(await load(helloUrl));
          }
          const med = (xs: AutocannonResult[], f: (x: AutocannonResult) => number): number => median(xs.map(f));
          const bytes = same[i]?.bytes.length ?? 0;
          const peerName = `bare Fastify, same ${bytes.toLocaleString('en-US')} bytes${same[i]?.encoding ? ` (${same[i]?.encoding})` : ''}`;
          const perRound = (ps: AutocannonResult[]): string => ours.map((o, k) => (o.requests.average / (ps[k]?.requests.average ?? NaN)).toFixed(2)).join(', ');
          // autocannon reads high-entropy bodies far slower than text of the same size (bare Fastify sending 85 KB of random bytes: ~720 req/s, 85 KB of JSON: ~5,800 on the bench machine)
          const client = same[i]?.encoding ? '; a compressed body: the client, not the servers, bounds the rate (compare with the same-bytes peer)' : '';
          const notes = `median of ${ROUNDS} alternated ${SECONDS} s runs (same-bytes peer, ours, hello-world); throughput ratio per round vs the same bytes: ${perRound(peer)}; vs hello-world: ${perRound(hw)}${client}`;
          rows.push({ name: `${name}: p50 latency`, unit: 'ms', ours: med(ours, (x) => x.latency.p50), peer: med(peer, (x) => x.latency.p50), peerName, higherIsBetter: false, notes });
          rows.push({ name: `${name}: p99 latency`, unit: 'ms', ours: med(ours, (x) => x.latency.p99), peer: med(peer, (x) => x.latency.p99), peerName, higherIsBetter: false, target: 20, notes });
          rows.push({ name: `${name}: throughput`, unit: 'req/s', ours: med(ours, (x) => x.requests.average), peer: med(peer, (x) => x.requests.average), peerName, higherIsBetter: true, notes });
          rows.push({ name: `${name}: throughput vs a hello-world`, unit: 'req/s', ours: med(ours, (x) => x.requests.average), peer: med(hw, (x) => x.requests.average), peerName: 'bare Fastify hello-world (17 bytes)', higherIsBetter: true, notes });
        }
        // a cache refresh: what the server pays when its 5 s cache ends or a live event empties it
        const queries = [
          ['summary', () => view.summary()],
          ['50 newest transactions', () => view.transactions({ limit: 50 })],
          ['holdings over time (nothing changed since the last answer)', () => view.holdings()],
          ['addresses', () => view.addresses()],
        ] as const;
        for (const [name, q] of queries) {
          const s = await timeMedian(q, { warmup: 1, runs: 5 });
          rows.push({ name: `cache refresh: ${name}`, unit: 'ms', ours: s * 1000, peer: null, peerName: null, higherIsBetter: false, target: 20, notes: `SQLite, ${TXS} transactions` });
        }
        // holdings after a new block: the daily aggregate, kept by the store as it applies the block
        const vaults = (await db.db.selectFrom('vaults').select('id').execute()).map((v) => v.id);
        const top = await db.db.selectFrom('vault_transactions').select((eb) => [eb.fn.max('height').as('h'), eb.fn.max('block_time').as('t')]).executeTakeFirst();
        const tipRow = await db.db.selectFrom('vault_checkpoints').select((eb) => eb.fn.max('height').as('h')).executeTakeFirst();
        let height = Math.max(Number(top?.h ?? 0), Number(tipRow?.h ?? 0)) + 1;
        let time = Number(top?.t ?? 1_700_000_000) + 600;
        const afterBlock: number[] = [];
        for (let i = 0; i < 7; i++) {
          await addBlock(db, vaults, height++, (time += 600), 20);
          const t0 = performance.now();
          await view.holdings();
          afterBlock.push(performance.now() - t0);
        }
        afterBlock.sort((a, b) => a - b);
        rows.push({ name: 'cache refresh: holdings over time after a new block of 20 transactions', unit: 'ms', ours: afterBlock[3] ?? NaN, peer: null, peerName: null, higherIsBetter: false, target: 20, notes: 'median of 7 blocks' });
        const cold = await timeMedian(() => new SqlPublicView(db, 'regtest').holdings(), { warmup: 1, runs: 3 });
        rows.push({ name: 'holdings over time, first computation (server start, or after a reorg)', unit: 'ms', ours: cold * 1000, peer: null, peerName: null, higherIsBetter: false, notes: `SQLite, ${TXS} transactions: the whole daily aggregate (migration 0015)` });
        if (SSE_CLIENTS > 0) {
          const r = await holdStreams(`${url}api/v1/public/events`, live, SSE_CLIENTS, SSE_SECONDS);
          const notes = `${SSE_CLIENTS} streams held ${SSE_SECONDS} s, one event a second; ${r.open} open at the end, ${r.received} block events received (of ${SSE_CLIENTS * SSE_SECONDS})`;
          rows.push({ name: `live updates: server RSS with ${SSE_CLIENTS} subscribers, after they opened`, unit: 'MB', ours: r.rssStartMb, peer: null, peerName: null, higherIsBetter: false, notes });
          rows.push({ name: `live updates: server RSS with ${SSE_CLIENTS} subscribers, after ${SSE_SECONDS} s`, unit: 'MB', ours: r.rssEndMb, peer: null, peerName: null, higherIsBetter: false, notes });
          rows.push({ name: `live updates: RSS growth over ${SSE_SECONDS} s with ${SSE_CLIENTS} subscribers`, unit: 'MB', ours: r.rssEndMb - r.rssStartMb, peer: null, peerName: null, higherIsBetter: false, target: 20, notes });
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
