// Halvings are block-height arithmetic: 50 BTC >> ⌊height / 210,000⌋, zero from 64 halvings
// (Bitcoin Core's GetBlockSubsidy); the next halving after a tip; dates only as estimates.
// Plus the shipped difficulty history: exact difficulty from nBits, its last epoch as the tip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockSubsidy, difficultyFromBits, expectedTimeOfHeight, halvingIndex, halvingsBetween, isHalvingHeight, nextHalvings, nextRetargetHeight, targetFromBits,
} from '../../src/core/mining/network.ts';
import { ratio } from '../../src/core/mining/ratio.ts';
import { epochBlocks } from '../../src/core/mining/forecast.ts';
import { averageFeesPerBlock, latestNetwork, loadNetworkHistory, parseDailyFees, parseDifficultyEpochs } from '../../src/adapters/mining/network-history.ts';
import { DomainError } from '../../src/core/errors.ts';

test('840,000 is the 4th halving; the next after it is 1,050,000', () => {
  assert.equal(halvingIndex(839_999), 3);
  assert.equal(halvingIndex(840_000), 4);
  assert.equal(isHalvingHeight(840_000), true);
  assert.equal(isHalvingHeight(839_999), false);
  assert.equal(isHalvingHeight(0), false);
  assert.deepEqual(nextHalvings(840_000, 2), [
    { index: 5, height: 1_050_000, blocksAway: 210_000, subsidyBefore: 312_500_000n, subsidyAfter: 156_250_000n },
    { index: 6, height: 1_260_000, blocksAway: 420_000, subsidyBefore: 156_250_000n, subsidyAfter: 78_125_000n },
  ]);
  // a tip one block before the halving has it next, one block away
  assert.deepEqual(nextHalvings(839_999, 1)[0], { index: 4, height: 840_000, blocksAway: 1, subsidyBefore: 625_000_000n, subsidyAfter: 312_500_000n });
  assert.deepEqual(halvingsBetween(878_976, 1_300_000), [1_050_000, 1_260_000]);
  assert.deepEqual(halvingsBetween(840_000, 1_049_999), []);
});

test('subsidy at 839,999 is 6.25 BTC and at 840,000 3.125 BTC; the first blocks 50 BTC', () => {
  assert.equal(blockSubsidy(0), 5_000_000_000n);
  assert.equal(blockSubsidy(209_999), 5_000_000_000n);
  assert.equal(blockSubsidy(210_000), 2_500_000_000n);
  assert.equal(blockSubsidy(839_999), 625_000_000n);
  assert.equal(blockSubsidy(840_000), 312_500_000n);
  assert.equal(blockSubsidy(1_050_000), 156_250_000n);
});

test('the subsidy reaches 1 sat at the 32nd halving, 0 at the 33rd, and stays 0 from 64 halvings on (no shift wrap-around)', () => {
  assert.equal(blockSubsidy(32 * 210_000), 1n); // 5,000,000,000 >> 32 = 1
  assert.equal(blockSubsidy(33 * 210_000 - 1), 1n);
  assert.equal(blockSubsidy(33 * 210_000), 0n);
  assert.equal(blockSubsidy(63 * 210_000), 0n);
  // a 32-bit shift would wrap at 64 (and JavaScript's >> on numbers wraps at 32): 0 it must stay
  assert.equal(blockSubsidy(64 * 210_000), 0n);
  assert.equal(blockSubsidy(96 * 210_000), 0n);
  assert.equal(blockSubsidy(128 * 210_000 + 5), 0n);
  // the whole schedule sums to just under 21 million BTC (2,099,999,997,690,000 sats)
  let total = 0n;
  for (let era = 0; era < 64; era++) total += 210_000n * blockSubsidy(era * 210_000);
  assert.equal(total, 2_099_999_997_690_000n);
});

test('heights are checked: a negative or fractional height is a programmer fault', () => {
  assert.throws(() => blockSubsidy(-1), RangeError);
  assert.throws(() => blockSubsidy(1.5), RangeError);
  assert.throws(() => nextHalvings(Number.NaN), RangeError);
});

test('a date is only an estimate: the tip time plus 600 s a block; retargets every 2,016 blocks', () => {
  // 171,024 blocks × 600 s = 102,614,400 s = 1,187 days 16 h after 2025-01-12 20:01:51
  const tip = Date.UTC(2025, 0, 12, 20, 1, 51);
  assert.equal(new Date(expectedTimeOfHeight(878_976, tip, 1_050_000)).toISOString(), '2028-04-14T12:01:51.000Z');
  assert.equal(expectedTimeOfHeight(878_976, tip, 878_976 + 144, 300), tip + 144 * 300_000);
  assert.equal(nextRetargetHeight(878_976), 880_992);
  assert.equal(nextRetargetHeight(880_991), 880_992);
  // a horizon in epochs ends at a retarget: from tip 878,976 two epochs are 878,977 … 883,007
  assert.equal(epochBlocks(2, 878_976), 4_031);
  assert.equal(epochBlocks(1, 2_015), 2_016);
  assert.equal(epochBlocks(3), 6_048);
});

test('difficulty from nBits: genesis 0x1d00ffff is 1; the target decodes the compact form', () => {
  assert.deepEqual(difficultyFromBits(0x1d00ffff), ratio(1n));
  assert.equal(targetFromBits(0x1d00ffff), 0xffffn << 208n);
  assert.throws(() => targetFromBits(0x1d800000), RangeError); // negative bit set
});

test('the shipped history: 437 epochs to 878,976 (2025-01-12), exact difficulty, fees per block over a window', () => {
  const h = loadNetworkHistory();
  assert.equal(h.epochs.length, 437);
  const last = h.epochs[h.epochs.length - 1];
  assert.equal(last?.height, 878_976);
  assert.equal(last?.durationS, null);
  assert.deepEqual(last?.difficulty, difficultyFromBits(0x17028c61));
  const l = latestNetwork(h, 365);
  assert.equal(l.state.height, 878_976);
  assert.equal(new Date(l.state.timeMs ?? 0).toISOString(), '2025-01-12T20:01:51.000Z');
  assert.equal(nextHalvings(l.state.height, 1)[0]?.height, 1_050_000);
  assert.equal(l.fees.days, 364);
  assert.equal(l.fees.from, '2023-04-30');
  // total fees of the window / blocks expected in it, rounded to the sat
  assert.equal(l.fees.totalFees, h.fees.reduce((a, f) => a + f.sats, 0n));
  assert.ok(l.fees.feesPerBlock > 10_000_000n && l.fees.feesPerBlock < 200_000_000n, String(l.fees.feesPerBlock));
});

test('the history parsers are strict: a wrong header, a gap, a difficulty that disagrees with nBits are refused with the line', () => {
  const head = 'epoch,epoch_start_height,epoch_start_time_utc,epoch_start_unix,block_hash,bits_hex,difficulty,chainwork_hex,epoch_duration_s,avg_block_interval_s,est_hashrate_hs,est_hashrate_ehs';
  const row0 = '0,0,2009-01-03T18:15:05Z,1231006505,00,1d00ffff,1.00000000,00,2057026,1020.35,4.2e+06,0';
  const row1 = '1,2016,2009-01-27T13:38:51Z,1233063531,00,1d00ffff,1.00000000,00,,,,';
  assert.equal(parseDifficultyEpochs(`${head}\n${row0}\n${row1}\n`).length, 2);
  const refuse = (text: string, re: RegExp): void => {
    assert.throws(() => parseDifficultyEpochs(text, 'e.csv'), (e: unknown) => e instanceof DomainError && e.code === 'MALFORMED_DATA' && re.test(e.message));
  };
  refuse(`x,y\n${row0}`, /e\.csv: line 1 is not the header/);
  refuse(`${head}\n${row0}\n${row1.replace('1.00000000', '2.00000000')}`, /line 3: difficulty 2\.00000000 does not match nBits 1d00ffff/);
  refuse(`${head}\n${row0}\n${row1.replace('1,2016', '1,2017')}`, /line 3: height "2017" is not 2016/);
  refuse(`${head}\n${row0}\n${row1.replace('1233063531', '1233063532')}`, /line 3: the previous epoch's start \+ duration/);
  const fees = '"x","y"\n"1682812800000","47.64650049999998"\n"1682899200000","1"\n';
  assert.deepEqual(parseDailyFees(fees).map((f) => [f.date, f.sats]), [['2023-04-30', 4_764_650_050n], ['2023-05-01', 100_000_000n]]);
  assert.throws(() => parseDailyFees('"x","y"\n"1682812800000","1"\n"1682985600000","1"\n', 'f.csv'), /f\.csv line 3: 2023-05-02 does not follow 2023-04-30/);
  assert.throws(() => parseDailyFees('"x","y"\n"1682812800000","-1"\n', 'f.csv'), /f\.csv line 2: not a "unix ms","BTC" row/);
  assert.throws(() => averageFeesPerBlock(parseDailyFees(fees), [], 0), /the fee window must be a positive whole number/);
  // no epochs known: 144 blocks a day → (4,764,650,050 + 100,000,000) / 288
  assert.equal(averageFeesPerBlock(parseDailyFees(fees), [], 2).feesPerBlock, 16_891_146n);
});
