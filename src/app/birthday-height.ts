/**
 * Birthday dates to heights for any source that can tell block times: ten blocks before the first
 * block whose median-time-past is at least a day before the date (core/vault/birthday.ts), by binary search,
 * reading each probe's 11 block times once (cached across the vaults of one job).
 *
 * @example
 *   const heightOf = birthdayResolver(tip.height, chainBlockTimes(chain));
 *   const h = await heightOf(vault.birthdayTime); // then store.resolveBirthday(vault.id, h)
 */
import type { ChainSource } from '../core/chain/chain-source.ts';
import { birthdayScanStart, medianTimePast, MEDIAN_TIME_SPAN } from '../core/vault/birthday.ts';

/** Timestamps of the blocks at `fromHeight` … `fromHeight + count - 1` on the best chain. */
export type BlockTimes = (fromHeight: number, count: number) => Promise<number[]>;

/** Block times from a `ChainSource`: hashes and headers in batches where the source batches. */
export function chainBlockTimes(chain: ChainSource): BlockTimes {
  return async (start, count) => {
    if (chain.blockHashes && chain.headers) return (await chain.headers(await chain.blockHashes(start, count))).map((h) => h.time);
    // A source without batched reads: one block at a time (at most 11 per probe).
    const times: number[] = [];
    for (let h = start; h < start + count; h++) times.push((await chain.header(await chain.blockHash(h))).time);
    return times;
  };
}

/** A resolver of birthday times (seconds) to scan-start heights, for a chain whose tip is `tipHeight`. */
export function birthdayResolver(tipHeight: number, blockTimes: BlockTimes): (birthdayTime: number) => Promise<number> {
  const times = new Map<number, number>();
  const medianTimeAt = async (height: number): Promise<number> => {
    const first = Math.max(0, height - MEDIAN_TIME_SPAN + 1);
    let start = first;
    while (start <= height && times.has(start)) start++;
    if (start <= height) {
      const got = await blockTimes(start, height - start + 1);
      got.forEach((t, i) => times.set(start + i, t));
    }
    const window: number[] = [];
    for (let h = first; h <= height; h++) {
      const t = times.get(h);
      if (t === undefined) throw new RangeError(`birthdayResolver: no time for height ${h}`);
      window.push(t);
    }
    return medianTimePast(window);
  };
  return (birthdayTime) => birthdayScanStart(birthdayTime, tipHeight, medianTimeAt);
}
