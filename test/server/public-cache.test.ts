// The public-view cache: answers reused within the TTL, one query for concurrent callers,
// fresh after the TTL, failures never cached, and 0 turns it off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
