// Batched JSON-RPC on the Core adapter (one HTTP request with an array of calls) for block hashes,
// headers and filters: the same answers and errors as the single calls, against the embedded
// node's Core-shaped RPC. And the block feed's read-ahead stays bounded: the block being scanned
// and at most lookahead more requested.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useRegtestNode } from '../helpers/regtest.ts';
import { BitcoindChainSource } from '../../src/adapters/chain/bitcoind-chain-source.ts';
import type { FetchLike } from '../../src/adapters/chain/errors.ts';
import { DomainError } from '../../src/core/errors.ts';
import { blockFeed } from '../../src/app/block-feed.ts';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';

const regtest = useRegtestNode();
let posts = 0;
const counting: FetchLike = (url, init) => {
  if (init.method === 'POST') posts++;
  return (globalThis.fetch as unknown as FetchLike)(url, init);
};

function rpcSource(): BitcoindChainSource {
  const node = regtest.node();
  return new BitcoindChainSource({ url: node.rpcUrl, user: node.rpcUser, password: node.rpcPassword, rest: false, fetch: counting });
}

before(async () => {
  const node = await regtest.ready();
  await node.mine(150);
});

test('blockHashes and headers answer in one HTTP request what blockHash and header answer one by one', async () => {
  const src = rpcSource();
  try {
    const tip = await src.tip();
    const before = posts;
    const hashes = await src.blockHashes(0, tip.height + 1);
    assert.equal(posts - before, 1, 'one request for all heights');
    const h2 = posts;
    const headers = await src.headers(hashes);
    assert.equal(posts - h2, 1, 'one request for all headers');
    for (const h of [0, 1, 77, tip.height]) {
      assert.equal(hashes[h], await src.blockHash(h));
      assert.deepEqual(headers[h], await src.header(hashes[h] ?? ''));
    }
    assert.equal(headers[tip.height]?.hash, tip.hash);
  } finally {
    await src.close();
  }
});

test('batched reads fail as the single calls do: NOT_FOUND past the tip or for an unknown block', async () => {
  const src = rpcSource();
  try {
    const tip = await src.tip();
    await assert.rejects(src.blockHashes(tip.height - 1, 3), (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND' && /above the tip/.test(e.message));
    await assert.rejects(src.headers([tip.hash, 'ab'.repeat(32)]), (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND');
    await assert.rejects(src.blockHashes(-1, 2), RangeError);
    assert.deepEqual(await src.blockHashes(5, 0), []);
  } finally {
    await src.close();
  }
});

test('a node without filters answers null for every block in a batch (bcoin has no getblockfilter)', async () => {
  const src = rpcSource();
  try {
    const hashes = await src.blockHashes(1, 3);
    assert.deepEqual(await src.blockFilters(hashes), [null, null, null]);
    assert.equal(await src.blockFilter(hashes[0] ?? ''), null);
  } finally {
    await src.close();
  }
});

test('the block feed holds at most lookahead + 1 raw blocks: the one being scanned and lookahead more, in order', async () => {
  const inner = regtest.node().chainSource();
  let started = 0;
  const noFilters: ChainSource = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'blockFilter') return async () => null;
      if (prop === 'rawBlock') {
        return (hash: string) => {
          started++;
          return target.rawBlock(hash);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const tip = await inner.tip();
  for (const lookahead of [0, 1, 4]) {
    started = 0;
    let scanned = 0;
    let maxAhead = 0;
    let expected = 1;
    for await (const b of blockFeed(noFilters, { from: 1, to: tip.height, lookahead, wants: () => true })) {
      assert.equal(b.height, expected++);
      assert.ok(b.raw, 'every block wanted: raw given');
      scanned++;
      await new Promise((r) => setTimeout(r, 1)); // a slow scan: the feed may run ahead
      maxAhead = Math.max(maxAhead, started - scanned);
    }
    assert.equal(scanned, tip.height);
    assert.equal(started, tip.height, 'each block downloaded once');
    assert.ok(maxAhead <= lookahead, `lookahead ${lookahead}: ${maxAhead} blocks requested beyond the one being scanned`);
    if (lookahead > 0) assert.ok(maxAhead >= 1, 'the pipelined feed does read ahead');
  }
});
