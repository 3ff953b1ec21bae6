/**
 * A vault's birthday given as a date, resolved to the height where its scan starts.
 *
 * Block timestamps are not monotonic: a miner may stamp a block up to two hours ahead, and the
 * next block may carry an earlier time, as long as it is later than the median of the 11 blocks
 * before it. That median (the median-time-past, BIP113) never decreases along the chain, so the
 * first block whose median-time-past reaches a time can be found by binary search. The scan starts
 * ten blocks before the first block whose median-time-past is at least one day before the
 * birthday. Two margins, because the median lags the clock in two ways:
 * - in time: on a chain of ten-minute blocks it runs about an hour behind, and miners' clocks may
 *   run slow — the day covers that;
 * - in blocks: the median of 11 times is the 6th newest, so with rising times it reaches a date only
 *   about five blocks after the first block stamped on that date. On a chain whose blocks are far
 *   apart in time (a regtest replay, a stalled testnet) five blocks can be weeks — the ten blocks
 *   (MEDIAN_TIME_SPAN − 1) cover that.
 * So no block that can hold the vault's coins lies before the start.
 */

/** The safety margin before a birthday date: one day. */
export const BIRTHDAY_MARGIN_SECONDS = 86_400;

/** Blocks in the median-time-past window (the block and the 10 before it). */
export const MEDIAN_TIME_SPAN = 11;

/** The safety margin in blocks: the median's lag in blocks behind the first block stamped on a date. */
export const BIRTHDAY_MARGIN_BLOCKS = MEDIAN_TIME_SPAN - 1;

/**
 * Where a birthday's scan starts: BIRTHDAY_MARGIN_BLOCKS before the first height whose
 * median-time-past reaches the birthday minus a day (never below 0).
 * @example await birthdayScanStart(Date.UTC(2021, 8, 7) / 1000, tip.height, mtpAt)
 */
export async function birthdayScanStart(birthdayTime: number, tipHeight: number, medianTimeAt: (height: number) => Promise<number>): Promise<number> {
  const first = await firstHeightWithMedianTime(birthdayScanTime(birthdayTime), tipHeight, medianTimeAt);
  return Math.max(0, first - BIRTHDAY_MARGIN_BLOCKS);
}

/**
 * Median of the timestamps of a block and the (up to) 10 blocks before it, as Bitcoin Core's
 * `GetMedianTimePast` computes it: sort, take the element at index ⌊n/2⌋.
 * @example medianTimePast([5, 1, 4, 2, 3]) // 3
 */
export function medianTimePast(times: readonly number[]): number {
  if (times.length === 0 || times.length > MEDIAN_TIME_SPAN) throw new RangeError(`medianTimePast: expected 1..${MEDIAN_TIME_SPAN} times, got ${times.length}`);
  for (const t of times) if (!Number.isSafeInteger(t)) throw new TypeError(`medianTimePast: "times" expected integers, got ${String(t)}`);
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The median-time-past the scan must reach: the birthday minus the margin. */
export function birthdayScanTime(birthdayTime: number): number {
  if (!Number.isSafeInteger(birthdayTime) || birthdayTime < 0) throw new RangeError(`birthdayScanTime: expected a Unix time in seconds, got ${String(birthdayTime)}`);
  return Math.max(0, birthdayTime - BIRTHDAY_MARGIN_SECONDS);
}

/**
 * First height in 0…tipHeight whose median-time-past is ≥ `time`, or tipHeight + 1 when none is
 * yet. Binary search: about log2(tip) lookups of `medianTimeAt` (the caller reads headers).
 * @example
 *   await firstHeightWithMedianTime(birthdayScanTime(t), tip.height, (h) => mtpFromHeaders(h))
 */
export async function firstHeightWithMedianTime(time: number, tipHeight: number, medianTimeAt: (height: number) => Promise<number>): Promise<number> {
  if (!Number.isSafeInteger(tipHeight) || tipHeight < 0) throw new RangeError(`firstHeightWithMedianTime: tipHeight ${String(tipHeight)}`);
  let lo = 0;
  let hi = tipHeight + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await medianTimeAt(mid)) < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
