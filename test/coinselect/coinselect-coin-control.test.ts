// Coin control and frozen coins: frozen coins are never spent (even when that leaves the payment
// unfunded, and the refusal says how much is frozen); named coins are always spent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectCoins } from '../../src/core/coinselect/select-coins.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH } from '../../src/core/coinselect/tx-size.ts';
import { DomainError } from '../../src/core/errors.ts';

const W = INPUT_WEIGHT['wsh-2of3'];
const base = {
  feeRateSatPerKvb: 5_000n,
  longTermFeeRateSatPerKvb: 10_000n,
  changeScriptLength: SCRIPT_LENGTH.p2wsh,
  changeInputWeight: W,
  dustLimit: 330n,
};
const coin = (n: number, value: bigint, frozen = false) => ({ txid: n.toString(16).padStart(64, '0'), vout: n, value, inputWeight: W, frozen });

test('a frozen coin is not spent even when it alone would pay', () => {
  const big = coin(1, 100_000_000n, true);
  const small = [coin(2, 30_000_000n), coin(3, 30_000_000n)];
  const s = selectCoins({ ...base, utxos: [big, ...small], outputs: [{ value: 50_000_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }] });
  assert.ok(!s.inputs.includes(big));
  assert.equal(s.inputs.length, 2);
});

test('insufficient funds names what is needed, what is spendable and what is frozen', () => {
  const utxos = [coin(1, 100_000_000n, true), coin(2, 30_000_000n), coin(3, 20_000_000n)];
  assert.throws(
    () => selectCoins({ ...base, utxos, outputs: [{ value: 60_000_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }] }),
    (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.code, 'INSUFFICIENT_FUNDS');
      // fee: 2 inputs (836 WU) + 1 P2WPKH output (124) + overhead (42) = 1002 WU → 251 vB × 5 sat/vB
      assert.deepEqual(e.details, { needs: 60_000_000n + 1_255n, spendable: 50_000_000n, frozen: 100_000_000n });
      assert.match(e.message, /needs 60001255 sats .*spendable 50000000 sats \(100000000 sats frozen\)/);
      return true;
    },
  );
});

test('coin control: a named coin is spent even when a cheaper selection exists', () => {
  const exactish = coin(1, 10_001_000n);
  const named = coin(2, 2_000_000n);
  const s = selectCoins({ ...base, utxos: [exactish, named, coin(3, 80_000_000n)], outputs: [{ value: 10_000_000n, scriptLength: SCRIPT_LENGTH.p2tr }], mustInclude: [named] });
  assert.ok(s.inputs.includes(named));
  const inSum = s.inputs.reduce((t, u) => t + u.value, 0n);
  assert.equal(inSum - 10_000_000n - s.changeValue, s.fee);
});

test('coin control alone may pay; no other coin is then needed', () => {
  const named = coin(2, 20_000_000n);
  const s = selectCoins({ ...base, feeRateSatPerKvb: 50_000n, utxos: [coin(1, 5_000_000n), named], outputs: [{ value: 10_000_000n, scriptLength: SCRIPT_LENGTH.p2tr }], mustInclude: [named] });
  assert.deepEqual(s.inputs, [named]);
  assert.ok(s.changeValue > 0n);
});

test('coin control naming a frozen or unknown coin is refused with INVALID_ARGUMENT', () => {
  const frozen = coin(1, 5_000_000n, true);
  const req = { ...base, utxos: [frozen, coin(2, 9_000_000n)], outputs: [{ value: 1_000_000n, scriptLength: SCRIPT_LENGTH.p2tr }] };
  for (const mustInclude of [[frozen], [{ txid: 'ff'.repeat(32), vout: 0 }]]) {
    assert.throws(() => selectCoins({ ...req, mustInclude }), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT');
  }
});

test('programmer faults are TypeError/RangeError, not domain errors', () => {
  const ok = { ...base, utxos: [coin(1, 5_000n)], outputs: [{ value: 1_000n, scriptLength: 22 }] };
  assert.throws(() => selectCoins({ ...ok, outputs: [] }), RangeError);
  assert.throws(() => selectCoins({ ...ok, utxos: [coin(1, 5_000n), coin(1, 6_000n)] }), RangeError);
  assert.throws(() => selectCoins({ ...ok, feeRateSatPerKvb: -1n }), RangeError);
  assert.throws(() => selectCoins({ ...ok, outputs: [{ value: 0n, scriptLength: 22 }] }), RangeError);
});
