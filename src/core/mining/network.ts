/**
 * The Bitcoin network's schedule and work, in block-height arithmetic (issue #17).
 *
 * - The subsidy halves every 210,000 blocks: 50 BTC >> ⌊height / 210,000⌋, and is zero from the
 *   64th halving on (Bitcoin Core's `GetBlockSubsidy`; in sats it is already zero from the 33rd).
 * - Difficulty is kept exact, as a `Ratio` (the CSV's decimal, or 0xffff·2^208 / target from nBits).
 * - Network hashrate implied by difficulty: difficulty × 2^32 / 600 s, in whole hashes per second
 *   (bigint H/s, rounded down: the error is below 1 H/s of ~10^20).
 * - Dates are only ever estimates: a height is reached when it is mined; the expected date of a
 *   height is the tip's time plus (height − tip) × the assumed block interval (600 s by default).
 */
import type { Sats } from '../money.ts';
import { floor, mul, ratio, type Ratio } from './ratio.ts';

export const HALVING_INTERVAL = 210_000;
/** Blocks between difficulty retargets. */
export const RETARGET_INTERVAL = 2016;
export const INITIAL_SUBSIDY = 5_000_000_000n as Sats;
/** The block interval the difficulty aims at, in seconds. */
export const TARGET_BLOCK_SECONDS = 600;
export const SECONDS_PER_DAY = 86_400;

function assertHeight(height: number, label = 'height'): void {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`"${label}" must be a non-negative integer, got ${String(height)}`);
}

/**
 * How many halvings have happened at `height` (the subsidy era): ⌊height / 210,000⌋.
 * @example halvingIndex(839_999) === 3; halvingIndex(840_000) === 4
 */
export function halvingIndex(height: number): number {
  assertHeight(height);
  return Math.floor(height / HALVING_INTERVAL);
}

/**
 * The block subsidy at `height`, in sats: 50 BTC >> ⌊height / 210,000⌋, zero from 64 halvings.
 * @example blockSubsidy(839_999) === 625_000_000n; blockSubsidy(840_000) === 312_500_000n
 */
export function blockSubsidy(height: number): Sats {
  const h = halvingIndex(height);
  if (h >= 64) return 0n as Sats;
  return (INITIAL_SUBSIDY >> BigInt(h)) as Sats;
}

/** Whether `height` is a halving height (the first block of a new subsidy era). */
export function isHalvingHeight(height: number): boolean {
  assertHeight(height);
  return height > 0 && height % HALVING_INTERVAL === 0;
}

export interface Halving {
  /** 1 for the first halving (210,000), 4 for 840,000. */
  readonly index: number;
  readonly height: number;
  /** Blocks from the tip to the halving height (≥ 1). */
  readonly blocksAway: number;
  readonly subsidyBefore: Sats;
  readonly subsidyAfter: Sats;
}

/**
 * The next `count` halvings strictly after the tip (a tip at 840,000 has had its halving: the
 * next is 1,050,000).
 * @example nextHalvings(840_000, 1)[0] // { index: 5, height: 1_050_000, blocksAway: 210_000, subsidyBefore: 312_500_000n, subsidyAfter: 156_250_000n }
 */
export function nextHalvings(tipHeight: number, count = 1): Halving[] {
  assertHeight(tipHeight, 'tipHeight');
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`"count" must be a non-negative integer, got ${String(count)}`);
  const out: Halving[] = [];
  for (let i = 1; i <= count; i++) {
    const index = halvingIndex(tipHeight) + i;
    const height = index * HALVING_INTERVAL;
    out.push({ index, height, blocksAway: height - tipHeight, subsidyBefore: blockSubsidy(height - 1), subsidyAfter: blockSubsidy(height) });
  }
  return out;
}

/**
 * The halving heights in (fromHeight, toHeight]: the heights where the subsidy drops within a horizon.
 * @example halvingsBetween(878_976, 1_300_000) // [1_050_000, 1_260_000]
 */
export function halvingsBetween(fromHeight: number, toHeight: number): number[] {
  assertHeight(fromHeight, 'fromHeight');
  assertHeight(toHeight, 'toHeight');
  const out: number[] = [];
  for (let h = (halvingIndex(fromHeight) + 1) * HALVING_INTERVAL; h <= toHeight; h += HALVING_INTERVAL) out.push(h);
  return out;
}

/**
 * The first retarget height after `height` (the next multiple of 2,016).
 * @example nextRetargetHeight(878_976) === 880_992; nextRetargetHeight(878_977) === 880_992
 */
export function nextRetargetHeight(height: number): number {
  assertHeight(height);
  return (Math.floor(height / RETARGET_INTERVAL) + 1) * RETARGET_INTERVAL;
}

/**
 * An estimate, never a fact: the time (Unix ms) at which `height` is expected, from a tip known
 * at `tipTimeMs` and an assumed block interval.
 * @example new Date(expectedTimeOfHeight(878_976, Date.UTC(2025, 0, 12), 1_050_000)).toISOString().slice(0, 10) === '2028-04-13'
 */
export function expectedTimeOfHeight(tipHeight: number, tipTimeMs: number, height: number, blockSeconds = TARGET_BLOCK_SECONDS): number {
  assertHeight(tipHeight, 'tipHeight');
  assertHeight(height);
  if (!Number.isFinite(tipTimeMs)) throw new RangeError(`"tipTimeMs" must be finite, got ${String(tipTimeMs)}`);
  return tipTimeMs + (height - tipHeight) * blockSeconds * 1000;
}

/** The largest target, 0xffff·2^208 (difficulty 1). */
export const MAX_TARGET = 0xffffn << 208n;

/**
 * The target encoded by a block header's nBits (compact form).
 * @example targetFromBits(0x1d00ffff) === 0xffffn << 208n
 */
export function targetFromBits(bits: number): bigint {
  if (!Number.isSafeInteger(bits) || bits < 0 || bits > 0xffffffff) throw new RangeError(`"bits" must be a 32-bit unsigned integer, got ${String(bits)}`);
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  if ((bits & 0x00800000) !== 0 || mantissa === 0n) throw new RangeError(`"bits" 0x${bits.toString(16)} does not encode a positive target`);
  return exponent <= 3 ? mantissa >> (8n * BigInt(3 - exponent)) : mantissa << (8n * BigInt(exponent - 3));
}

/**
 * Difficulty from nBits, exactly: MAX_TARGET / target.
 * @example difficultyFromBits(0x1d00ffff) // { num: 1n, den: 1n }
 */
export function difficultyFromBits(bits: number): Ratio {
  return ratio(MAX_TARGET, targetFromBits(bits));
}

/**
 * The network hashrate a difficulty implies, H/s (rounded down): difficulty × 2^32 / blockSeconds.
 * @example networkHashrate(ratio(110_451_907_374_649_515_625n, 1_000_000n)) === 790_645_549_924_901_481_786n  // ≈ 790.6 EH/s
 */
export function networkHashrate(difficulty: Ratio, blockSeconds = TARGET_BLOCK_SECONDS): bigint {
  if (difficulty.num <= 0n) throw new RangeError('"difficulty" must be positive');
  if (!Number.isSafeInteger(blockSeconds) || blockSeconds <= 0) throw new RangeError(`"blockSeconds" must be a positive integer, got ${String(blockSeconds)}`);
  return floor(mul(difficulty, ratio(1n << 32n, BigInt(blockSeconds))));
}

/** Blocks expected per day at an interval: 86,400 / blockSeconds (144 at 600 s), exact. */
export function blocksPerDay(blockSeconds = TARGET_BLOCK_SECONDS): Ratio {
  return ratio(BigInt(SECONDS_PER_DAY), BigInt(blockSeconds));
}
