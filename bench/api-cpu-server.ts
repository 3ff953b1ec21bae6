/**
 * The server process of bench/api-cpu.bench.ts: our API over a SQLite database of BENCH_API_TXS
 * transactions (rate limits off, answers cached as in production) and, in the same process, bare
 * Fastify peers — a hello-world and one route per given path that sends the very bytes our route
 * answered. Prints one JSON line with the URLs, then serves until SIGTERM.
 */
import Fastify from 'fastify';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/server/app.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../src/adapters/store/public-view-sql.ts';
import { rebuildDaily } from '../src/adapters/store/daily-holdings.ts';
import { loadPriceHistory } from '../src/adapters/prices/csv-price-history.ts';
import { loadReserveTables } from '../test/helpers/load-reserve-tables.ts';
import { sampleReserve } from '../test/helpers/memory-public-view.ts';
import { LiveHub } from '../src/server/live-events.ts';

const TXS = Number(process.env.BENCH_API_TXS ?? 100_000);
/** The routes to mirror, as JSON: [[path, headers], …]. */
const ROUTES = JSON.parse(process.env.BENCH_API_CPU_ROUTES ?? '[]') as Array<[string, Record<string, string>]>;

function raw(url: string, headers: Record<string, string>): Promise<{ bytes: Buffer; type: string; encoding: string | null }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const enc = res.headers['content-encoding'];
        resolve({ bytes: Buffer.concat(chunks), type: res.headers['content-type'] ?? 'application/octet-stream', encoding: typeof enc === 'string' ? enc : null });
      });
    }).on('error', reject).end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-api-cpu-'));
const db = await openDatabase({ url: join(dir, 'bench.db') });
await loadReserveTables(db, sampleReserve({ extra: TXS, seed: 5 }));
await rebuildDaily(db.db);
const { app, url } = await startServer(
  { publicView: new SqlPublicView(db, 'regtest'), tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot: null, rateLimit: null, live: new LiveHub() },
  { port: 0, host: '127.0.0.1' },
);
const answers: Array<{ bytes: Buffer; type: string; encoding: string | null }> = [];
for (const [path, headers] of ROUTES) answers.push(await raw(`${url}${path.replace(/^\//, '')}`, headers));
const peer = Fastify();
peer.get('/', async () => ({ hello: 'world' }));
peer.get('/same/:i', async (req, reply) => {
  const a = answers[Number((req.params as { i: string }).i)];
  if (!a) throw new Error('no such route');
  void reply.type(a.type);
  if (a.encoding) void reply.header('content-encoding', a.encoding);
  return a.bytes;
});
const peerUrl = await peer.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url, peerUrl, sizes: answers.map((a) => a.bytes.length) })}\n`);
process.on('SIGTERM', () => {
  void Promise.all([app.close(), peer.close()]).then(() => db.close()).finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
