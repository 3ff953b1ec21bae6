// Issue #18 item 4: the public page updates without reload. The server follows the chain in the
// background (the same sync as `soberana sync`), and each move — a block, an unconfirmed payment to a
// vault — goes out on GET /api/v1/public/events as a server-sent event and empties the public cache
// (so the refetch the page makes sees the new data at once). Real parts: the embedded regtest node,
// SQLite, the real Fastify server listening on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, wpkhDescriptor } from '../helpers/vault-keys.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { followChain, type ChainMove, type Follower } from '../../src/app/follow-chain.ts';
import { startServer } from '../../src/server/app.ts';
import { LiveHub, sseFrame, type LiveEvent } from '../../src/server/live-events.ts';
import type { FastifyInstance } from 'fastify';

const regtest = useRegtestNode();
let dir: string;
let db: Database;
let store: SqlVaultStore;
let app: FastifyInstance;
let url: string;
const hub = new LiveHub(3);
let follower: Follower;
let address: string;
let rounds = 0;
const alerts: string[] = [];

before(async () => {
  const node = await regtest.ready();
  await node.mine(110);
  dir = mkdtempSync(join(tmpdir(), 'soberana-live-'));
  db = await openDatabase({ url: join(dir, 'live.db') });
  store = new SqlVaultStore(db);
  const signer = cosigner(71, "m/84'/1'/0'");
  const vault = await addVault({ store }, { name: 'Reserve', network: 'regtest', descriptor: wpkhDescriptor(signer), birthday: { height: node.height() }, gapLimit: 5, now: '2026-01-01T00:00:00Z' });
  ({ app, url } = await startServer(
    { publicView: new SqlPublicView(db, 'regtest'), tokens: new SqlApiTokenStore(db), vaults: store, prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot: null, rateLimit: null, live: hub, publicCacheMs: 60_000 },
    { port: 0, host: '127.0.0.1' },
  ));
  // no timers in the test: rounds run when the test calls step()
  // monitoring (commitments) runs after every round; its alert lines go where proposal alerts go
  const monitor = async () => ({ alerts: [`round ${++rounds}`] });
  follower = followChain({ chain: node.chainSource(), store, network: 'regtest', now: () => Date.now(), onMove: (m) => hub.publish(m), onError: (e) => assert.fail(String(e)), onAlert: (a) => alerts.push(a), monitor, schedule: () => ({ cancel: () => undefined }) }, { intervalMs: 1000 });
  const first = await follower.step();
  assert.equal(first?.height, node.height());
  address = (await store.addresses(vault.id)).find((a) => a.branch === 0 && a.index === 0)?.address ?? '';
  assert.ok(address);
});

after(async () => {
  await follower?.stop();
  await app?.close(); // must not hang on open streams
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Open the stream and read frames as they come. */
async function subscribe(): Promise<{ next(): Promise<{ event: string; data: unknown }>; close(): void; headers: Headers }> {
  const ctrl = new AbortController();
  const res = await fetch(`${url}api/v1/public/events`, { signal: ctrl.signal, headers: { origin: 'https://news.example' } });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  return {
    headers: res.headers,
    async next() {
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event !== undefined && data !== undefined) return { event, data: JSON.parse(data) as unknown };
          continue; // retry:, comments
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += value;
      }
    },
    close: () => ctrl.abort(),
  };
}

/** Wait for the server to notice closed connections (it learns of them asynchronously). */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), `still ${hub.subscribers} subscribers`);
}

const summary = async (): Promise<{ totalSats?: string; confirmedSats?: string } & Record<string, unknown>> => (await (await fetch(`${url}api/v1/public/summary`)).json()) as Record<string, unknown>;

test('a stream opens with the current tip, readable cross-origin, and is told of a new block', async () => {
  const node = regtest.node();
  const s = await subscribe();
  assert.equal(s.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(s.headers.get('access-control-allow-origin'), '*');
  const hello = await s.next();
  assert.equal(hello.event, 'tip');
  assert.equal((hello.data as LiveEvent).height, node.height());
  const [hash] = await node.mine(1);
  const move = await follower.step();
  assert.equal(move?.kind, 'block');
  const got = await s.next();
  assert.equal(got.event, 'block');
  assert.deepEqual(got.data, { kind: 'block', height: node.height(), hash, time: (got.data as ChainMove).time });
  assert.ok((got.data as ChainMove).time >= 1_296_688_602); // regtest genesis time
  s.close();
});

test('an unconfirmed payment to a vault is a mempool event, and the public answer changes at once despite the cache', async () => {
  const node = regtest.node();
  const before = JSON.stringify(await summary());
  assert.equal(JSON.stringify(await summary()), before); // cached for 60 s
  const s = await subscribe();
  await s.next(); // tip
  await node.fund(address, 1_234_567n, { confirm: false });
  const move = await follower.step();
  assert.equal(move?.kind, 'mempool');
  assert.equal((await s.next()).event, 'mempool');
  assert.notEqual(JSON.stringify(await summary()), before, 'the cache was emptied by the event');
  assert.equal(await follower.step(), null, 'nothing moved: no event');
  assert.deepEqual(alerts.slice(-2), [`round ${rounds - 1}`, `round ${rounds}`], 'every round, moved or not, is monitored');
  await node.mine(1);
  assert.equal((await follower.step())?.kind, 'block');
  assert.equal((await s.next()).event, 'block');
  s.close();
});

test('subscribers are capped (the rest are told to poll), a token is refused, and closed streams are forgotten', async () => {
  await until(() => hub.subscribers === 0); // the earlier tests' closed streams are gone
  const streams = await Promise.all([subscribe(), subscribe(), subscribe()]);
  await Promise.all(streams.map((s) => s.next()));
  assert.equal(hub.subscribers, 3); // the public cache's internal listener is not counted
  const over = await fetch(`${url}api/v1/public/events`);
  assert.equal(over.status, 429);
  assert.match(((await over.json()) as { error: { message: string } }).error.message, /poll the public routes/);
  for (const s of streams) s.close();
  await until(() => hub.subscribers === 0);
  const withToken = await fetch(`${url}api/v1/public/events`, { headers: { authorization: 'Bearer x' } });
  assert.equal(withToken.status, 401); // the auth hook refuses an unknown token before the stream
});

test('an SSE frame is one JSON line per field; newlines inside data cannot end it early', () => {
  assert.equal(sseFrame('block', { a: 'x\ny' }, '1:ab'), 'id: 1:ab\nevent: block\ndata: {"a":"x\\ny"}\n\n');
});

test('a server that does not follow the chain still offers the stream (quiet), so the dashboard never logs a 404', async () => {
  const other = await startServer({ publicView: new SqlPublicView(db, 'regtest'), tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot: null, rateLimit: null }, { port: 0, host: '127.0.0.1' });
  try {
    const ctrl = new AbortController();
    const res = await fetch(`${other.url}api/v1/public/events`, { signal: ctrl.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value, 'retry: 5000\n\n'); // no tip: nothing is followed
    ctrl.abort();
  } finally {
    await other.app.close();
  }
});
