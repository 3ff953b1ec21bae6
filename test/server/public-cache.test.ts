// The public-view cache: answers reused within the TTL, one query for concurrent callers,
// fresh after the TTL, failures never cached, and 0 turns it off. Past the TTL the previous answer
// is served while one refresh runs (stale while revalidate); after invalidate() (the chain moved)
// nobody gets the previous answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { buildServer } from '../../src/server/app.ts';
import { LiveHub } from '../../src/server/live-events.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';
import { cachedPublicView } from '../../src/server/cached-view.ts';
import { MemoryPublicView, sampleReserve } from '../helpers/memory-public-view.ts';

function counting(inner: PublicReserveView, failFirst = false): { view: PublicReserveView; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (k: string): void => {
    calls[k] = (calls[k] ?? 0) + 1;
  };
  return {
    calls,
    view: {
      summary: async () => {
        count('summary');
        if (failFirst && calls.summary === 1) throw new DomainError('STORE_UNAVAILABLE', 'database is busy');
        return inner.summary();
      },
      holdings: async () => (count('holdings'), inner.holdings()),
      addresses: async () => (count('addresses'), inner.addresses()),
      transactions: async (q) => (count(`tx${q.limit}${q.before ?? ''}`), inner.transactions(q)),
      verification: async () => (count('verification'), inner.verification()),
    },
  };
}

test('reuses answers within the TTL and shares one query between concurrent callers', async () => {
  let now = 1_000_000;
  const { view, calls } = counting(new MemoryPublicView(sampleReserve()));
  const cached = cachedPublicView(view, 5000, { now: () => now });
  const [a, b] = await Promise.all([cached.summary(), cached.summary()]);
  assert.deepEqual(a, b);
  assert.equal(calls.summary, 1);
  now += 4999;
  await cached.summary();
  assert.equal(calls.summary, 1);
  now += 1;
  await cached.summary();
  assert.equal(calls.summary, 2);
  const p1 = await cached.transactions({ limit: 2 });
  await cached.transactions({ limit: 2 });
  await cached.transactions({ limit: 3 });
  await cached.transactions({ limit: 2, before: p1.nextBefore ?? '' });
  assert.equal(calls.tx2, 1);
  assert.equal(calls.tx3, 1);
  assert.equal(calls[`tx2${p1.nextBefore ?? ''}`], 1);
});

test('a failure is not cached, and a TTL of 0 is no cache at all', async () => {
  const { view, calls } = counting(new MemoryPublicView(sampleReserve()), true);
  const cached = cachedPublicView(view, 5000, { now: () => 0 });
  await assert.rejects(cached.summary(), (e) => e instanceof DomainError && e.code === 'STORE_UNAVAILABLE');
  await cached.summary();
  assert.equal(calls.summary, 2);
  const off = counting(new MemoryPublicView(sampleReserve()));
  const none = cachedPublicView(off.view, 0, { now: () => 0 });
  await none.holdings();
  await none.holdings();
  assert.equal(off.calls.holdings, 2);
});

/**
 * A view whose summary changes on every query (its confirmed total grows by one sat per query), and
 * whose queries can be held at a gate until the test lets them through.
 */
function gated(): { view: PublicReserveView; queries: () => number; hold(): void; release(): void } {
  const inner = new MemoryPublicView(sampleReserve());
  let n = 0;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const view: PublicReserveView = {
    summary: async () => {
      const version = BigInt(n++);
      if (gate) await gate.promise;
      const s = await inner.summary();
      return { ...s, confirmedSats: (s.confirmedSats + version) as typeof s.confirmedSats };
    },
    holdings: () => inner.holdings(),
    addresses: () => inner.addresses(),
    transactions: (q) => inner.transactions(q),
    verification: () => inner.verification(),
  };
  return {
    view,
    queries: () => n,
    hold() {
      let open: () => void = () => undefined;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = null;
    },
  };
}

/** Whether a promise has settled by the time the microtask and I/O queues have run once. */
async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

test('past the TTL the previous answer is served at once while one refresh runs; the refresh\'s answer is served after it', async () => {
  let now = 0;
  const g = gated();
  const cached = cachedPublicView(g.view, 5000, { now: () => now });
  const first = await cached.summary();
  assert.equal(g.queries(), 1);
  now = 5000;
  g.hold();
  const during = [cached.summary(), cached.summary(), cached.summary()];
  for (const p of during) assert.ok(await settledSoon(p), 'a request during the refresh does not wait for it');
  for (const p of during) assert.equal(await p, first, 'a request during the refresh gets the previous answer');
  assert.equal(g.queries(), 2, 'one refresh for all of them');
  g.release();
  await new Promise((r) => setImmediate(r));
  const next = await cached.summary();
  assert.notEqual(next, first);
  assert.equal(next.confirmedSats, first.confirmedSats + 1n, 'the next request gets the refreshed answer');
  assert.equal(g.queries(), 2);
  // the refreshed answer is fresh for a whole TTL from when its refresh started
  now = 9999;
  assert.equal(await cached.summary(), next);
  assert.equal(g.queries(), 2);
});

test('after invalidate() (the chain moved) nobody gets the previous answer, and a refresh running across it is not kept', async () => {
  let now = 0;
  const g = gated();
  const cached = cachedPublicView(g.view, 5000, { now: () => now });
  const first = await cached.summary();
  now = 6000;
  g.hold();
  assert.equal(await cached.summary(), first); // stale, and a refresh (query 2) is held
  cached.invalidate();
  const after = cached.summary(); // query 3: waits for the new data
  assert.equal(await settledSoon(after), false, 'an invalidated answer is not served stale');
  g.release();
  const fresh = await after;
  assert.equal(fresh.confirmedSats, first.confirmedSats + 2n, 'the answer asked for after the change');
  await new Promise((r) => setImmediate(r));
  assert.equal(await cached.summary(), fresh, 'the refresh that started before the change did not replace it');
  assert.equal(g.queries(), 3);
});

test('a failed refresh is not kept: the next request asks again', async () => {
  let now = 0;
  let fail = false;
  const inner = new MemoryPublicView(sampleReserve());
  let n = 0;
  const view: PublicReserveView = { ...inner, summary: async () => { n++; if (fail) throw new DomainError('STORE_UNAVAILABLE', 'database is busy'); return inner.summary(); }, holdings: () => inner.holdings(), addresses: () => inner.addresses(), transactions: (q) => inner.transactions(q), verification: () => inner.verification() };
  const cached = cachedPublicView(view, 5000, { now: () => now });
  const first = await cached.summary();
  now = 5000;
  fail = true;
  assert.equal(await cached.summary(), first, 'stale while the refresh runs');
  await new Promise((r) => setImmediate(r));
  await assert.rejects(cached.summary(), (e) => e instanceof DomainError && e.code === 'STORE_UNAVAILABLE');
  fail = false;
  assert.ok(await cached.summary());
  assert.equal(n, 4);
});

test('over HTTP: a request during a refresh gets the previous bytes and ETag, the next one the new bytes; a live event makes the next request wait for new data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-swr-'));
  const db = await openDatabase({ url: join(dir, 'swr.db') });
  let now = Date.parse('2026-08-21T12:00:00Z');
  const g = gated();
  const live = new LiveHub();
  const app = await buildServer({ publicView: g.view, tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => now }, webRoot: null, rateLimit: null, publicCacheMs: 5000, live });
  try {
    const get = () => app.inject({ method: 'GET', url: '/api/v1/public/summary' });
    const a = await get();
    assert.equal(a.statusCode, 200);
    now += 5000;
    g.hold();
    const during = await get();
    assert.equal(during.body, a.body, 'the previous bytes while the refresh runs');
    assert.equal(during.headers.etag, a.headers.etag);
    g.release();
    await new Promise((r) => setImmediate(r));
    const b = await get();
    assert.notEqual(b.body, a.body, 'the next request gets the new bytes');
    assert.notEqual(b.headers.etag, a.headers.etag);
    assert.equal(BigInt((JSON.parse(b.body) as { confirmedSats: string }).confirmedSats), BigInt((JSON.parse(a.body) as { confirmedSats: string }).confirmedSats) + 1n);
    // a block: the cache is emptied, and the page's refetch gets the data after it
    live.publish({ kind: 'block', height: 1, hash: '00'.repeat(32), time: 1 });
    const c = await get();
    assert.notEqual(c.body, b.body);
    assert.equal(g.queries(), 3);
  } finally {
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
