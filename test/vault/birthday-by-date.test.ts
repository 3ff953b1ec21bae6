// Birthday by date: the scan starts at the first block whose median-time-past is at least one day
// before the date (core/vault/birthday.ts). Block times are not monotonic — a miner's clock may
// run slow (any time after the median of the last 11 blocks is valid) or fast — so a search over
// raw block times can start after a block mined on the birthday. Pure search over synthetic
// consensus-valid chains, then the embedded regtest node with a slow-clock block holding the
// vault's first coins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIRTHDAY_MARGIN_BLOCKS, birthdayScanStart, birthdayScanTime, BIRTHDAY_MARGIN_SECONDS, firstHeightWithMedianTime, medianTimePast, MEDIAN_TIME_SPAN } from '../../src/core/vault/birthday.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { deriveAddresses } from '../../src/core/bitcoin/descriptor.ts';
import { parseBirthday } from '../../src/cli/commands/vault.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const regtest = useRegtestNode();

function mtpAt(times: readonly number[], h: number): number {
  return medianTimePast(times.slice(Math.max(0, h - MEDIAN_TIME_SPAN + 1), h + 1));
}

/**
 * A chain of `n` blocks mined every ~10 minutes (`real`), stamped with clocks that run up to an
 * hour slow or two hours fast, each stamp clamped to what consensus accepts (after the previous
 * median-time-past).
 */
function syntheticChain(n: number, seed: number): { real: number[]; times: number[] } {
  const rand = seededRandom(seed);
  const real: number[] = [];
  const times: number[] = [];
  let clock = 1_630_000_000;
  for (let h = 0; h < n; h++) {
    clock += 60 + Math.floor(rand() * 1100);
    real.push(clock);
    const skew = rand() < 0.15 ? 3600 + Math.floor(rand() * 3600) : rand() < 0.3 ? -Math.floor(rand() * 3600) : 0;
    const floor = h === 0 ? 0 : mtpAt(times, h - 1) + 1;
    times.push(Math.max(floor, clock + skew));
  }
  return { real, times };
}

test('median-time-past is the middle of the last 11 block times, as Bitcoin Core takes it', () => {
  assert.equal(medianTimePast([5, 1, 4, 2, 3]), 3);
  assert.equal(medianTimePast([1, 2, 3, 4]), 3, 'even count: the upper middle (index ⌊n/2⌋)');
  assert.equal(medianTimePast([100]), 100);
  assert.throws(() => medianTimePast([]), RangeError);
  assert.throws(() => medianTimePast(Array.from({ length: 12 }, (_, i) => i)), RangeError);
  assert.equal(birthdayScanTime(1_630_972_800), 1_630_972_800 - BIRTHDAY_MARGIN_SECONDS);
});

test('the binary search over median-time-past finds the first block reaching a time, on chains whose block times go backwards', async () => {
  for (const seed of [1, 2, 3]) {
    const { times } = syntheticChain(3000, seed);
    assert.ok(times.some((t, h) => h > 0 && t < (times[h - 1] as number)), 'block times are not monotonic');
    const tip = times.length - 1;
    let lookups = 0;
    const at = async (h: number) => (lookups++, mtpAt(times, h));
    const rand = seededRandom(seed + 100);
    for (let k = 0; k < 200; k++) {
      const target = (times[0] as number) - 5000 + Math.floor(rand() * ((times[tip] as number) - (times[0] as number) + 10_000));
      let expected = 0;
      while (expected <= tip && mtpAt(times, expected) < target) expected++;
      assert.equal(await firstHeightWithMedianTime(target, tip, at), expected, `seed ${seed} target ${target}`);
    }
    assert.ok(lookups <= 200 * 13, `about log2(tip) lookups per search, got ${lookups / 200}`);
  }
});

test('no block mined on or after the birthday is before the scan start; raw block times alone would miss some', async () => {
  let missedByRawTimes = 0;
  for (const seed of [4, 5, 6]) {
    const { real, times } = syntheticChain(3000, seed);
    const tip = times.length - 1;
    for (let h = 50; h < tip; h += 7) {
      const birthday = real[h] as number; // a vault whose first coins are in block h
      const start = await birthdayScanStart(birthday, tip, async (x) => mtpAt(times, x));
      assert.ok(start <= h, `seed ${seed}: block ${h} mined at the birthday, scan starts at ${start}`);
      assert.ok(h - start < 400, 'the margin costs about a day of blocks, not more');
      // The old rule: binary search for the first block whose own time is at or after the birthday.
      let lo = 0;
      let hi = tip + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if ((times[mid] as number) < birthday) lo = mid + 1;
        else hi = mid;
      }
      if (lo > h) missedByRawTimes++;
    }
  }
  assert.ok(missedByRawTimes > 0, 'a search over raw block times starts after some blocks mined on the birthday');
});

test('blocks far apart in time (a weekly replay): the block-count margin keeps the first dated block in the scan', async () => {
  // 100 blocks stamped in 2011, then one block a week from 2021-09-06 on, times rising.
  const week = 7 * 86_400;
  const first2021 = Date.UTC(2021, 8, 6) / 1000;
  const times = [...Array.from({ length: 100 }, (_, i) => 1_296_688_602 + i * 600), ...Array.from({ length: 60 }, (_, i) => first2021 + i * week)];
  const tip = times.length - 1;
  const at = async (x: number): Promise<number> => mtpAt(times, x);
  const birthday = Date.UTC(2021, 8, 1) / 1000;
  const byMedianOnly = await firstHeightWithMedianTime(birthdayScanTime(birthday), tip, at);
  assert.ok(byMedianOnly > 100, `the median alone starts after the first 2021 block (at ${byMedianOnly}): weeks of blocks missed`);
  const start = await birthdayScanStart(birthday, tip, at);
  assert.ok(start <= 100, `the scan starts at ${start}, at or before block 100, the first stamped after the birthday`);
  assert.ok(start >= 100 - BIRTHDAY_MARGIN_BLOCKS, 'and not much earlier');
});

test('--birthday takes a height or a calendar date; impossible dates are refused', () => {
  assert.deepEqual(parseBirthday('700000'), { height: 700_000 });
  assert.deepEqual(parseBirthday('2021-09-07'), { time: Date.UTC(2021, 8, 7) / 1000 });
  assert.throws(() => parseBirthday('2021-02-30'), /not a calendar date/);
  assert.throws(() => parseBirthday('2008-12-31'), /not a calendar date/);
  assert.throws(() => parseBirthday('7 Sept 2021'), /neither a block height nor a date/);
});

test('a vault born on a date finds coins in a block whose clock ran slow, starting at the first block whose median-time-past is a day earlier', async () => {
  const node = await regtest.ready();
  await node.mine(110); // mature coinbase for the harness wallet (block times from 2012 on)
  const descriptor = multisigDescriptor(2, [cosigner(111), cosigner(112), cosigner(113)]);
  const [a0] = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 1 });
  const birthday = Date.UTC(2021, 8, 2) / 1000; // 2021-09-02
  // Hourly blocks from 2021-08-30, some stamped fast; the block mined at midnight on the birthday
  // is stamped as slow as consensus allows (just after the median-time-past: the evening before).
  const src = node.chainSource();
  const medianTimeOfTip = async (): Promise<number> => {
    const height = node.height();
    const hs = await Promise.all(Array.from({ length: Math.min(MEDIAN_TIME_SPAN, height + 1) }, async (_, i) => (await src.header(await src.blockHash(height - i))).time));
    return medianTimePast(hs);
  };
  let paidAt = -1;
  for (let real = Date.UTC(2021, 7, 30) / 1000; real < Date.UTC(2021, 8, 3, 12) / 1000; real += 3600) {
    const mtp = await medianTimeOfTip();
    if (real === birthday) {
      await node.fund(a0?.address ?? '', 4_200_000n);
      await node.mineBlockAt(mtp + 1);
      paidAt = node.height();
      continue;
    }
    const fast = (real / 3600) % 5 === 0 && (real < birthday - 3 * 3600 || real > birthday) ? 5400 : 0;
    await node.mineBlockAt(Math.max(mtp + 1, real + fast));
  }
  const chain = node.chainSource();
  const headers = await Promise.all(Array.from({ length: node.height() + 1 }, async (_, h) => chain.header(await chain.blockHash(h))));
  const times = headers.map((h) => h.time);
  assert.ok((times[paidAt] as number) < birthday, 'the paying block carries a time before the birthday');
  assert.ok(times.some((t, h) => h > 0 && t < (times[h - 1] as number)), 'block times go backwards on this chain');
  let expected = 0;
  while (mtpAt(times, expected) < birthday - BIRTHDAY_MARGIN_SECONDS) expected++;
  expected = Math.max(0, expected - BIRTHDAY_MARGIN_BLOCKS);
  let byRawTime = 0;
  while ((times[byRawTime] as number) < birthday) byRawTime++;
  assert.ok(byRawTime > paidAt, 'starting at the first block stamped on the birthday would miss the payment');

  const db = await openDatabase({ url: join(mkdtempSync(join(tmpdir(), 'soberana-birthday-')), 'b.db') });
  try {
    const store = new SqlVaultStore(db);
    const v = await addVault({ store }, { name: 'Born on a date', network: 'regtest', descriptor, birthday: parseBirthday('2021-09-02'), now: '2026-01-01T00:00:00Z' });
    assert.equal(v.birthdayTime, birthday);
    for (const source of [node.rpcChainSource(), chain]) {
      // Over RPC (batched headers) first, then in-process: the stored height is reused.
      const job = await syncVaults({ chain: source, store }, [(await store.findVault(v.id)) ?? v]);
      assert.equal(job.vaults[0]?.tipHeight, node.height());
      await source.close();
    }
    const stored = await store.findVault(v.id);
    assert.equal(stored?.birthdayHeight, expected, 'ten blocks before the first block whose median-time-past is at least a day before the date');
    assert.equal(stored?.birthdayTime, null, 'resolved once, then kept as a height');
    assert.equal((await store.balance(v.id)).confirmed, 4_200_000n, 'the payment in the slow-clock block is found');
  } finally {
    await db.close();
  }

});
