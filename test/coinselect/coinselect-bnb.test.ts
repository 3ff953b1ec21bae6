// Branch and bound (Bitcoin Core's SelectCoinsBnB): finds the lowest-waste changeless selection
// when one exists, proved against an exhaustive search on small seeded pools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBnb } from '../../src/core/coinselect/branch-and-bound.ts';
import { selectCoins } from '../../src/core/coinselect/select-coins.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH, feeForWeight, txWeight } from '../../src/core/coinselect/tx-size.ts';
import { scoreCoin, type ScoredCoin } from '../../src/core/coinselect/waste.ts';

const W = INPUT_WEIGHT['wsh-2of3'];

/** Every subset: the lowest waste among those landing in [target, target + window]. */
function bruteForce(coins: readonly ScoredCoin[], target: bigint, window: bigint): bigint | null {
  let best: bigint | null = null;
  for (let mask = 1; mask < 1 << coins.length; mask++) {
    let value = 0n;
    let waste = 0n;
    coins.forEach((c, i) => {
      if (mask & (1 << i)) {
        value += c.effectiveValue;
        waste += c.fee - c.longTermFee;
      }
    });
    if (value < target || value > target + window) continue;
    waste += value - target;
    if (best === null || waste < best) best = waste;
  }
  return best;
}

test('BnB finds the same lowest waste as an exhaustive search (200 seeded pools, both fee regimes)', () => {
  const random = seededRandom(380);
  let found = 0;
  for (let round = 0; round < 200; round++) {
    const rate = round % 2 === 0 ? 25_000n : 2_000n; // above and below the long-term rate
    const n = 4 + Math.floor(random() * 9);
    const coins = Array.from({ length: n }, () => scoreCoin(BigInt(20_000 + Math.floor(random() * 2_000_000)), W, rate, 10_000n));
    // Half the targets are an exact subset sum, half arbitrary.
    const subset = coins.filter(() => random() < 0.4);
    const target =
      round % 4 < 2 && subset.length > 0
        ? subset.reduce((s, c) => s + c.effectiveValue, 0n) - BigInt(Math.floor(random() * 500))
        : BigInt(10_000 + Math.floor(random() * 5_000_000));
    const window = 1_500n;
    const expected = bruteForce(coins, target, window);
    const got = selectBnb(coins, target, window);
    if (expected === null) {
      assert.equal(got, null, `round ${round}`);
      continue;
    }
    found++;
    assert.ok(got, `round ${round}: BnB missed a solution`);
    assert.equal(got.waste, expected, `round ${round}`);
    const sum = got.selected.reduce((s, i) => s + (coins[i] as ScoredCoin).effectiveValue, 0n);
    assert.ok(sum >= target && sum <= target + window, `round ${round}: sum out of window`);
  }
  assert.ok(found > 80, `only ${found} pools had a solution; the test would prove little`);
});

test('BnB stops after maxTries and is deterministic', () => {
  const random = seededRandom(7);
  const coins = Array.from({ length: 40 }, () => scoreCoin(BigInt(100_000 + Math.floor(random() * 1_000_000)), W, 5_000n, 10_000n));
  const a = selectBnb(coins, 3_456_789n, 300n, Number.MAX_SAFE_INTEGER, 1_000);
  const b = selectBnb(coins, 3_456_789n, 300n, Number.MAX_SAFE_INTEGER, 1_000);
  assert.deepEqual(a, b);
  if (a) assert.ok(a.tries <= 1_000);
  assert.equal(selectBnb(coins, 10n ** 12n, 300n), null); // more than the pool holds
});

test('selectCoins spends an exact match without change when one exists', () => {
  const rate = 10_000n; // 10 sat/vB, equal to the long-term rate: no consolidation bonus
  const out = 1_234_567n;
  const fee = feeForWeight(txWeight([W], [SCRIPT_LENGTH.p2wpkh]), rate);
  const exact = { txid: 'ee'.repeat(32), vout: 1, value: out + fee + 5n, inputWeight: W };
  const utxos = [
    { txid: 'aa'.repeat(32), vout: 0, value: 50_000_000n, inputWeight: W },
    exact,
    { txid: 'bb'.repeat(32), vout: 0, value: 700_000n, inputWeight: W },
    { txid: 'cc'.repeat(32), vout: 0, value: 900_000n, inputWeight: W },
  ];
  const s = selectCoins({
    utxos,
    outputs: [{ value: out, scriptLength: SCRIPT_LENGTH.p2wpkh }],
    feeRateSatPerKvb: rate,
    longTermFeeRateSatPerKvb: 10_000n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: W,
    dustLimit: 330n,
  });
  assert.equal(s.algorithm, 'bnb');
  assert.deepEqual(s.inputs, [exact]);
  assert.equal(s.changeValue, 0n);
  assert.equal(s.fee, fee + 5n);
});

test('two coins that sum to the payment are found by BnB too', () => {
  const rate = 20_000n;
  const out = 3_000_000n;
  const fee = feeForWeight(txWeight([W, W], [SCRIPT_LENGTH.p2tr]), rate);
  const a = { txid: '01'.repeat(32), vout: 0, value: 1_000_000n, inputWeight: W };
  const b = { txid: '02'.repeat(32), vout: 0, value: out - 1_000_000n + fee, inputWeight: W };
  const others = [5_000_000n, 4_100_000n, 600_000n, 250_000n].map((value, i) => ({ txid: `1${i}`.repeat(32), vout: 0, value, inputWeight: W }));
  const s = selectCoins({
    utxos: [...others, a, b],
    outputs: [{ value: out, scriptLength: SCRIPT_LENGTH.p2tr }],
    feeRateSatPerKvb: rate,
    longTermFeeRateSatPerKvb: 10_000n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: W,
    dustLimit: 330n,
  });
  assert.equal(s.algorithm, 'bnb');
  assert.deepEqual(new Set(s.inputs), new Set([a, b]));
  assert.equal(s.changeValue, 0n);
  assert.equal(s.fee, fee);
});
