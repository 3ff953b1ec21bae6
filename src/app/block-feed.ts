/**
 * The blocks of a height range, in order, for the sync to scan: each block's hash, its BIP-158
 * filter when the source serves one, and either the raw block (when the sync wants it) or its header
 * (enough to check the chain links). Two ways to read them, same answers:
 *
 * - sequential (`lookahead: 0`): one request at a time, each after the previous block was scanned;
 * - pipelined (`lookahead: n`): hashes, filters and headers read in batches (one round trip per
 *   chunk where the source batches, e.g. Bitcoin Core's JSON-RPC; a few at a time where it does
 *   not), and the raw blocks of the next
 *   `n` wanted heights downloaded while the current one is scanned. At most n + 1 raw blocks are
 *   held at once.
 *
 * Whether a block is wanted is the caller's `wants` (the watch set against the filter). The watch
 * set only grows during a sync, so a block wanted when it was read ahead is still wanted when it is
 * scanned; one that was not may become wanted (the caller then downloads it itself).
 */
import type { BlockHeader, ChainSource } from '../core/chain/chain-source.ts';

export interface FedBlock {
  readonly height: number;
  readonly hash: string;
  /** The block's BIP-158 filter; null when the source serves none. */
  readonly filter: Uint8Array | null;
  /** The raw block when it was wanted as it was read; otherwise null. */
  readonly raw: Uint8Array | null;
  /** The header when the raw block was not read; otherwise null. */
  readonly header: BlockHeader | null;
}

export interface BlockFeedOptions {
  readonly from: number;
  readonly to: number;
  /** Raw blocks downloaded ahead of the one being scanned; 0 reads sequentially. */
  readonly lookahead: number;
  /** Must the raw block be downloaded, given its filter (null: the source serves none)? */
  readonly wants: (height: number, hash: string, filter: Uint8Array | null) => boolean;
}

/** Heights whose hashes, filters and headers are read in one batch. */
const CHUNK = 100;

/** The blocks from `from` to `to`, in height order. */
export function blockFeed(chain: ChainSource, o: BlockFeedOptions): AsyncGenerator<FedBlock> {
  if (!Number.isSafeInteger(o.lookahead) || o.lookahead < 0 || o.lookahead > 64) throw new RangeError(`blockFeed: lookahead must be 0..64, got ${String(o.lookahead)}`);
  return o.lookahead === 0 ? sequentialFeed(chain, o) : pipelinedFeed(chain, o);
}

async function* sequentialFeed(chain: ChainSource, o: BlockFeedOptions): AsyncGenerator<FedBlock> {
  let filters = true;
  for (let height = o.from; height <= o.to; height++) {
    const hash = await chain.blockHash(height);
    let filter: Uint8Array | null = null;
    if (filters) {
      filter = await chain.blockFilter(hash);
      if (filter === null) filters = false;
    }
    if (o.wants(height, hash, filter)) yield { height, hash, filter, raw: await chain.rawBlock(hash), header: null };
    else yield { height, hash, filter, raw: null, header: await chain.header(hash) };
  }
}

interface Slot {
  readonly height: number;
  readonly hash: string;
  readonly filter: Uint8Array | null;
  header: BlockHeader | null;
  raw: Promise<Uint8Array> | null;
}

/** Requests at once to a source that has no batched reads (an HTTP API with rate limits). */
const FALLBACK_CONCURRENCY = 4;

/** `fn` over `items`, at most FALLBACK_CONCURRENCY at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FALLBACK_CONCURRENCY, items.length) }, worker));
  return out;
}

/** A promise whose rejection is reported where it is awaited, never as "unhandled" if it is not. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function* pipelinedFeed(chain: ChainSource, o: BlockFeedOptions): AsyncGenerator<FedBlock> {
  let filters = true;
  const readChunk = async (start: number): Promise<Slot[]> => {
    const count = Math.min(CHUNK, o.to - start + 1);
    const heights = Array.from({ length: count }, (_, i) => start + i);
    const hashes = chain.blockHashes ? await chain.blockHashes(start, count) : await mapLimit(heights, (h) => chain.blockHash(h));
    let fs: Array<Uint8Array | null> = hashes.map(() => null);
    if (filters) {
      fs = chain.blockFilters ? await chain.blockFilters(hashes) : await mapLimit(hashes, (h) => chain.blockFilter(h));
      if (fs.some((f) => f === null)) {
        filters = false;
        fs = hashes.map(() => null);
      }
    }
    const slots: Slot[] = hashes.map((hash, i) => ({ height: start + i, hash, filter: fs[i] ?? null, header: null, raw: null }));
    // Headers of the blocks not wanted now, in one batch: the chain links are checked with them.
    const unwanted = slots.filter((s) => !o.wants(s.height, s.hash, s.filter));
    if (unwanted.length > 0) {
      const hs = chain.headers ? await chain.headers(unwanted.map((s) => s.hash)) : await mapLimit(unwanted, (s) => chain.header(s.hash));
      unwanted.forEach((s, i) => (s.header = hs[i] ?? null));
    }
    return slots;
  };
  const queue: Slot[] = [];
  let nextChunk = o.from;
  let chunkAhead: Promise<Slot[]> | null = null;
  const startChunk = (): void => {
    if (chunkAhead === null && nextChunk <= o.to) {
      chunkAhead = quiet(readChunk(nextChunk));
      nextChunk += CHUNK;
    }
  };
  startChunk();
  for (let height = o.from; height <= o.to; height++) {
    if (queue.length === 0) {
      if (chunkAhead === null) throw new RangeError(`blockFeed: no chunk read for height ${height}`);
      const ready: Slot[] = await chunkAhead;
      chunkAhead = null;
      queue.push(...ready);
    }
    // Keep the next chunk's hashes (and filters, headers) on the way while this one is scanned.
    startChunk();
    // Download the raw blocks of the next lookahead + 1 wanted heights (the current one first).
    let inFlight = 0;
    for (const s of queue) {
      if (inFlight > o.lookahead) break;
      if (s.raw === null && s.header !== null) continue;
      if (s.raw === null) {
        if (!o.wants(s.height, s.hash, s.filter)) continue;
        s.raw = quiet(chain.rawBlock(s.hash));
      }
      inFlight++;
    }
    const s = queue.shift();
    if (!s || s.height !== height) throw new RangeError(`blockFeed: expected height ${height}, got ${String(s?.height)}`);
    yield { height, hash: s.hash, filter: s.filter, raw: s.raw === null ? null : await s.raw, header: s.raw === null ? s.header : null };
  }
}
