/**
 * The shipped network history (`data/network/`, see its README for origin and licence), parsed
 * strictly into the inputs of the mining forecast (`core/mining/forecast.ts`):
 *
 * - `btc_difficulty_epochs_….csv`: one row per retarget epoch (height 2,016·k), decoded from block
 *   headers. The difficulty is taken exactly from the header's nBits and must agree with the
 *   file's decimal column to its 8 places (a row where they disagree is refused).
 * - `blockchaincom_transaction_fees_daily_….csv`: `"x","y"`, x = Unix ms of a UTC midnight,
 *   y = total fees of the day in BTC (float text, rounded here to the nearest sat).
 *
 * Fees per block over a window = the window's fees / the blocks expected in it, where a day's
 * blocks are estimated from the average interval of the epoch in force at the day's start
 * (86,400 × 2,016 / epoch duration); the last epoch, with no duration yet, counts 144.
 *
 * Files are capped in size (4 MiB) and rows (20,000 epochs, 100,000 days); a malformed line is a
 * one-line MALFORMED_DATA naming the file and line.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DomainError } from '../../core/errors.ts';
import type { Sats } from '../../core/money.ts';
import { difficultyFromBits, RETARGET_INTERVAL, SECONDS_PER_DAY, TARGET_BLOCK_SECONDS } from '../../core/mining/network.ts';
import type { NetworkState } from '../../core/mining/forecast.ts';
import { add, cmp, decimalOf, int, mul, parseRatio, ratio, roundTo, sub, ZERO, type Ratio } from '../../core/mining/ratio.ts';

const DATA_DIR = join(import.meta.dirname, '..', '..', '..', 'data', 'network');
export const DEFAULT_EPOCHS_FILE = join(DATA_DIR, 'btc_difficulty_epochs_2009-01-03_2025-01-12.csv');
export const DEFAULT_FEES_FILE = join(DATA_DIR, 'blockchaincom_transaction_fees_daily_2023-04-30_2024-04-27.csv');

export const MAX_HISTORY_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_EPOCH_ROWS = 20_000;
export const MAX_FEE_ROWS = 100_000;
const DAY_MS = SECONDS_PER_DAY * 1000;

export interface DifficultyEpoch {
  readonly epoch: number;
  /** Height of the epoch's first block (2,016 × epoch). */
  readonly height: number;
  /** Time of the epoch's first block, Unix ms. */
  readonly timeMs: number;
  readonly bits: number;
  /** Exact, from nBits. */
  readonly difficulty: Ratio;
  /** Seconds from this epoch's first block to the next one's; null for the last epoch. */
  readonly durationS: number | null;
}

export interface DailyFees {
  /** YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly dayMs: number;
  /** The day's total fees, sats (rounded to the nearest sat). */
  readonly sats: Sats;
}

const EPOCH_HEADER = 'epoch,epoch_start_height,epoch_start_time_utc,epoch_start_unix,block_hash,bits_hex,difficulty,chainwork_hex,epoch_duration_s,avg_block_interval_s,est_hashrate_hs,est_hashrate_ehs';

const shown = (s: string): string => {
  const t = s.replace(/[\r\n\t]+/g, ' ');
  return t.length > 40 ? `${t.slice(0, 37)}…` : t;
};

function linesOf(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Parse the difficulty-epochs CSV: the exact header, consecutive epochs from 0, heights 2,016·k,
 * nBits whose difficulty matches the decimal column, times increasing.
 * @throws DomainError MALFORMED_DATA
 */
export function parseDifficultyEpochs(text: string, origin = 'difficulty epochs file'): DifficultyEpoch[] {
  const lines = linesOf(text);
  if (lines[0]?.trim() !== EPOCH_HEADER) throw new DomainError('MALFORMED_DATA', `${origin}: line 1 is not the header "${EPOCH_HEADER.slice(0, 40)}…"`);
  if (lines.length - 1 > MAX_EPOCH_ROWS) throw new DomainError('MALFORMED_DATA', `${origin}: more than ${MAX_EPOCH_ROWS} epochs`);
  if (lines.length < 2) throw new DomainError('MALFORMED_DATA', `${origin} has no epochs`);
  const out: DifficultyEpoch[] = [];
  for (let i = 1; i < lines.length; i++) {
    const bad = (why: string): never => {
      throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: ${why}`);
    };
    const c = (lines[i] ?? '').split(',');
    if (c.length !== 12) bad(`expected 12 columns, got ${c.length}`);
    const [epochText, heightText, , unixText, , bitsText, diffText, , durText] = c as [string, string, string, string, string, string, string, string, string];
    if (!/^\d{1,7}$/.test(epochText) || Number(epochText) !== i - 1) bad(`epoch "${shown(epochText)}" out of sequence (expected ${i - 1})`);
    const epoch = Number(epochText);
    if (!/^\d{1,10}$/.test(heightText) || Number(heightText) !== epoch * RETARGET_INTERVAL) bad(`height "${shown(heightText)}" is not ${epoch * RETARGET_INTERVAL}`);
    if (!/^\d{9,11}$/.test(unixText)) bad(`not a Unix time: "${shown(unixText)}"`);
    const timeMs = Number(unixText) * 1000;
    if (!/^[0-9a-f]{8}$/.test(bitsText)) bad(`not nBits: "${shown(bitsText)}"`);
    let difficulty: Ratio = ZERO;
    try {
      difficulty = difficultyFromBits(parseInt(bitsText, 16));
    } catch {
      bad(`nBits ${bitsText} encode no valid target`);
    }
    let stated: Ratio = ZERO;
    try {
      stated = parseRatio(diffText, 'difficulty');
    } catch {
      bad(`not a difficulty: "${shown(diffText)}"`);
    }
    // the file prints a double-precision rendering of the difficulty: it must agree with nBits'
    // exact value to 1 part in 10^12
    const diff = sub(stated, difficulty);
    const gap = diff.num < 0n ? ratio(-diff.num, diff.den) : diff;
    if (cmp(gap, ratio(1n, 2n * 10n ** 8n)) > 0 && cmp(mul(gap, int(10n ** 12n)), difficulty) > 0) bad(`difficulty ${shown(diffText)} does not match nBits ${bitsText} (${decimalOf(difficulty, 8)})`);
    let durationS: number | null = null;
    if (durText !== '') {
      if (!/^\d{1,10}$/.test(durText) || Number(durText) === 0) bad(`not an epoch duration: "${shown(durText)}"`);
      durationS = Number(durText);
    } else if (i !== lines.length - 1) bad('only the last epoch may have no duration');
    const prev = out[out.length - 1];
    if (prev && prev.durationS !== null && prev.timeMs + prev.durationS * 1000 !== timeMs) bad(`the previous epoch's start + duration is not this epoch's start`);
    out.push({ epoch, height: epoch * RETARGET_INTERVAL, timeMs, bits: parseInt(bitsText, 16), difficulty, durationS });
  }
  return out;
}

const FEE_ROW_RE = /^"(\d{13})","(\d{1,7}(?:\.\d{1,20})?)"$/;

/**
 * Parse the daily fees CSV (`"x","y"`: UTC midnights in Unix ms, fees in BTC), strictly: consecutive
 * days, no duplicates, fees rounded to the nearest sat.
 * @throws DomainError MALFORMED_DATA
 */
export function parseDailyFees(text: string, origin = 'daily fees file'): DailyFees[] {
  const lines = linesOf(text);
  if (lines[0]?.trim() !== '"x","y"') throw new DomainError('MALFORMED_DATA', `${origin}: line 1 is not the header "x","y"`);
  if (lines.length - 1 > MAX_FEE_ROWS) throw new DomainError('MALFORMED_DATA', `${origin}: more than ${MAX_FEE_ROWS} days`);
  if (lines.length < 2) throw new DomainError('MALFORMED_DATA', `${origin} has no days`);
  const out: DailyFees[] = [];
  for (let i = 1; i < lines.length; i++) {
    const m = FEE_ROW_RE.exec((lines[i] ?? '').trim());
    if (!m) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: not a "unix ms","BTC" row: "${shown(lines[i] ?? '')}"`);
    const dayMs = Number(m[1]);
    if (dayMs % DAY_MS !== 0) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: ${m[1]} is not a UTC midnight`);
    const prev = out[out.length - 1];
    if (prev && dayMs !== prev.dayMs + DAY_MS) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: ${new Date(dayMs).toISOString().slice(0, 10)} does not follow ${prev.date}`);
    const sats = roundTo(parseRatio(m[2] ?? '', 'fees'), 8);
    out.push({ date: new Date(dayMs).toISOString().slice(0, 10), dayMs, sats: sats as Sats });
  }
  return out;
}

/** The blocks expected on the UTC day starting at `dayMs`: 86,400 × 2,016 / duration of the epoch in force then. */
export function expectedBlocksOfDay(epochs: readonly DifficultyEpoch[], dayMs: number): Ratio {
  let e: DifficultyEpoch | undefined;
  for (const x of epochs) {
    if (x.timeMs <= dayMs) e = x;
    else break;
  }
  if (e === undefined || e.durationS === null) return ratio(BigInt(SECONDS_PER_DAY), BigInt(TARGET_BLOCK_SECONDS));
  return ratio(BigInt(SECONDS_PER_DAY * RETARGET_INTERVAL), BigInt(e.durationS));
}

export interface FeeAverage {
  /** Average fees per block over the window, sats (rounded). */
  readonly feesPerBlock: Sats;
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly totalFees: Sats;
  /** Blocks expected in the window, 3 places. */
  readonly blocks: string;
}

/**
 * The average fees per block over the last `windowDays` days of `fees` ending on `to` (default
 * the last day of the file).
 * @throws DomainError INVALID_ARGUMENT when the window is empty or outside the file
 */
export function averageFeesPerBlock(fees: readonly DailyFees[], epochs: readonly DifficultyEpoch[], windowDays: number, to?: string): FeeAverage {
  if (!Number.isSafeInteger(windowDays) || windowDays <= 0) throw new DomainError('INVALID_ARGUMENT', `the fee window must be a positive whole number of days, got ${String(windowDays)}`);
  const last = fees[fees.length - 1];
  const first = fees[0];
  if (!last || !first) throw new DomainError('INVALID_ARGUMENT', 'no daily fees');
  const end = to ?? last.date;
  const endIdx = fees.findIndex((f) => f.date === end);
  if (endIdx < 0) throw new DomainError('INVALID_ARGUMENT', `the fee history covers ${first.date} to ${last.date}, not ${shown(end)}`);
  const window = fees.slice(Math.max(0, endIdx - windowDays + 1), endIdx + 1);
  let total = 0n;
  let blocks = ZERO;
  for (const f of window) {
    total += f.sats;
    blocks = add(blocks, expectedBlocksOfDay(epochs, f.dayMs));
  }
  return {
    feesPerBlock: roundTo(ratio(total * blocks.den, blocks.num)) as Sats,
    from: window[0]?.date ?? end,
    to: end,
    days: window.length,
    totalFees: total as Sats,
    blocks: decimalOf(blocks, 3),
  };
}

export interface NetworkHistory {
  readonly epochs: readonly DifficultyEpoch[];
  readonly fees: readonly DailyFees[];
  /** Where it came from, for messages and output. */
  readonly sources: { readonly epochs: string; readonly fees: string };
}

function readCapped(file: string, what: string): string {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DomainError('INVALID_ARGUMENT', `the ${what} ${file} is not a file`);
    if (st.size > MAX_HISTORY_FILE_BYTES) throw new DomainError('MALFORMED_DATA', `the ${what} ${file} is ${st.size} bytes, over the ${MAX_HISTORY_FILE_BYTES}-byte limit`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const why = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e);
    throw new DomainError('NOT_FOUND', `cannot read the ${what} ${file} (${why})`);
  }
}

/** Load the shipped (or other) history files. */
export function loadNetworkHistory(opts: { epochsFile?: string; feesFile?: string } = {}): NetworkHistory {
  const ef = opts.epochsFile ?? DEFAULT_EPOCHS_FILE;
  const ff = opts.feesFile ?? DEFAULT_FEES_FILE;
  return {
    epochs: parseDifficultyEpochs(readCapped(ef, 'difficulty epochs file'), `difficulty epochs file ${basename(ef)}`),
    fees: parseDailyFees(readCapped(ff, 'daily fees file'), `daily fees file ${basename(ff)}`),
    sources: { epochs: basename(ef), fees: basename(ff) },
  };
}

export interface LatestNetwork {
  /** The forecast's starting state: the last epoch's first block as the tip. */
  readonly state: NetworkState;
  readonly epoch: DifficultyEpoch;
  readonly fees: FeeAverage;
}

/**
 * The latest state in a history: the last epoch (height, time, exact difficulty) and the
 * average fees per block over the last `feeWindowDays` days of the fee file.
 * @example latestNetwork(loadNetworkHistory(), 365).state.height === 878_976
 */
export function latestNetwork(h: NetworkHistory, feeWindowDays = 365): LatestNetwork {
  const epoch = h.epochs[h.epochs.length - 1];
  if (!epoch) throw new DomainError('MALFORMED_DATA', 'the difficulty history has no epochs');
  const fees = averageFeesPerBlock(h.fees, h.epochs, feeWindowDays);
  return { state: { height: epoch.height, difficulty: epoch.difficulty, feesPerBlock: fees.feesPerBlock, timeMs: epoch.timeMs }, epoch, fees };
}

/** Difficulty change between consecutive epochs over the last `n` epochs, basis points per epoch (geometric mean not needed: the arithmetic mean of the changes, rounded). */
export function recentDifficultyGrowthBps(epochs: readonly DifficultyEpoch[], n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0 || n >= epochs.length) throw new DomainError('INVALID_ARGUMENT', `the difficulty window must be 1 to ${epochs.length - 1} epochs, got ${String(n)}`);
  let sum = ZERO;
  for (let i = epochs.length - n; i < epochs.length; i++) {
    const a = epochs[i - 1] as DifficultyEpoch;
    const b = epochs[i] as DifficultyEpoch;
    sum = add(sum, sub(ratio(b.difficulty.num * a.difficulty.den * 10_000n, b.difficulty.den * a.difficulty.num), int(10_000)));
  }
  return Number(roundTo(ratio(sum.num, sum.den * BigInt(n))));
}
