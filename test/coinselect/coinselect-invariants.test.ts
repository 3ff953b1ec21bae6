// Invariants every selection keeps, checked over seeded random pools: the books balance to the
// satoshi (inputs − outputs − change = fee), the fee rate is met on the exact signed weight, change
// is never dust, nothing frozen is spent, and coin control is honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectCoins, type SelectableUtxo } from '../../src/core/coinselect/select-coins.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { INPUT_WEIGHT, SCRIPT_LENGTH, feeForWeight, txWeight, vsizeFromWeight, type InputType } from '../../src/core/coinselect/tx-size.ts';
import { DomainError } from '../../src/core/errors.ts';

const TYPES = Object.keys(INPUT_WEIGHT) as InputType[];
const OUT_LENGTHS = Object.values(SCRIPT_LENGTH);

test('over 500 seeded pools: balance, fee rate, no dust change, no frozen coin, coin control honoured', () => {
  const random = seededRandom(174);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  let selected = 0;
  let insufficient = 0;
  const strategies = new Set<string>();
  for (let round = 0; round < 500; round++) {
    const inputType = TYPES[int(0, TYPES.length - 1)] as InputType;
    const utxos: SelectableUtxo[] = Array.from({ length: int(1, 60) }, (_, i) => ({
      txid: round.toString(16).padStart(8, '0') + i.toString(16).padStart(56, '0'),
      vout: i % 3,
      value: BigInt(random() < 0.2 ? int(300, 5_000) : int(5_000, 300_000_000)),
      inputWeight: INPUT_WEIGHT[random() < 0.8 ? inputType : (TYPES[int(0, TYPES.length - 1)] as InputType)],
      frozen: random() < 0.1,
    }));
    const outputs = Array.from({ length: int(1, 4) }, () => ({ value: BigInt(int(1_000, 200_000_000)), scriptLength: OUT_LENGTHS[int(0, OUT_LENGTHS.length - 1)] as number }));
    const unfrozen = utxos.filter((u) => !u.frozen);
    const mustInclude = random() < 0.2 && unfrozen.length > 0 ? [unfrozen[int(0, unfrozen.length - 1)] as SelectableUtxo] : [];
    const feeRate = BigInt(int(1_000, 300_000));
    const dustLimit = 330n;
    const req = {
      utxos,
      outputs,
      feeRateSatPerKvb: feeRate,
      longTermFeeRateSatPerKvb: BigInt(int(1_000, 20_000)),
      changeScriptLength: SCRIPT_LENGTH.p2wsh,
      changeInputWeight: INPUT_WEIGHT['wsh-2of3'],
      dustLimit,
      mustInclude,
      random: random() < 0.5 ? seededRandom(round) : undefined,
    };
    let s;
    try {
      s = selectCoins(req);
    } catch (e) {
      assert.ok(e instanceof DomainError && e.code === 'INSUFFICIENT_FUNDS', `round ${round}: ${String(e)}`);
      // Really insufficient: every unfrozen coin worth its fee, spent together, does not pay the
      // outputs (within the few sats of rounding the per-input estimates carry).
      const usable = unfrozen.filter((u) => u.value * 4000n > BigInt(u.inputWeight) * feeRate);
      const all = usable.reduce((s, u) => s + u.value, 0n);
      const outSum = outputs.reduce((s, o) => s + o.value, 0n);
      const fee = feeForWeight(txWeight(usable.map((u) => u.inputWeight), outputs.map((o) => o.scriptLength)), feeRate);
      assert.ok(all < outSum + fee + BigInt(usable.length + 1), `round ${round}: refused with ${all} against ${outSum} + ${fee}`);
      insufficient++;
      continue;
    }
    selected++;
    strategies.add(s.strategy);
    const inSum = s.inputs.reduce((t, u) => t + u.value, 0n);
    const outSum = outputs.reduce((t, o) => t + o.value, 0n);
    assert.equal(inSum - outSum - s.changeValue, s.fee, `round ${round}: books`);
    const lens = outputs.map((o) => o.scriptLength);
    const weight = txWeight(s.inputs.map((u) => u.inputWeight), s.changeValue > 0n ? [...lens, SCRIPT_LENGTH.p2wsh] : lens);
    assert.equal(s.weight, weight, `round ${round}: weight`);
    assert.equal(s.vsize, vsizeFromWeight(weight));
    assert.ok(s.fee * 1000n >= feeRate * BigInt(s.vsize), `round ${round}: fee ${s.fee} below ${feeRate} sat/kvB × ${s.vsize} vB`);
    assert.ok(s.changeValue === 0n || s.changeValue >= dustLimit, `round ${round}: dust change ${s.changeValue}`);
    assert.ok(s.inputs.every((u) => !u.frozen), `round ${round}: spent a frozen coin`);
    for (const m of mustInclude) assert.ok(s.inputs.includes(m), `round ${round}: coin control ignored`);
    assert.equal(new Set(s.inputs).size, s.inputs.length, `round ${round}: a coin twice`);
  }
  assert.ok(selected > 300 && insufficient > 10, `selected ${selected}, insufficient ${insufficient}: the pools do not exercise both paths`);
  assert.ok(strategies.has('bnb') && strategies.has('largest-first'), `strategies seen: ${[...strategies].join(', ')}`);
});

test('the same request gives the same selection (deterministic, seeded randomness only)', () => {
  const random = seededRandom(1);
  const utxos = Array.from({ length: 80 }, (_, i) => ({ txid: i.toString(16).padStart(64, '0'), vout: 0, value: BigInt(10_000 + Math.floor(random() * 50_000_000)), inputWeight: INPUT_WEIGHT['wsh-2of3'] }));
  const req = {
    utxos,
    outputs: [{ value: 123_456_789n, scriptLength: SCRIPT_LENGTH.p2wpkh }],
    feeRateSatPerKvb: 3_000n,
    longTermFeeRateSatPerKvb: 10_000n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: INPUT_WEIGHT['wsh-2of3'],
    dustLimit: 330n,
  };
  assert.deepEqual(selectCoins({ ...req, random: seededRandom(9) }), selectCoins({ ...req, random: seededRandom(9) }));
  assert.deepEqual(selectCoins(req), selectCoins(req));
});

test('a remainder too small to be worth a change output goes to the fee, never a dust output', () => {
  const W = INPUT_WEIGHT['wsh-2of3'];
  const rate = 10_000n;
  const out = 1_000_000n;
  const withChangeFee = feeForWeight(txWeight([W], [SCRIPT_LENGTH.p2wpkh, SCRIPT_LENGTH.p2wsh]), rate);
  // Change would be 200 sats: below the 330-sat dust limit.
  const coin = { txid: 'ab'.repeat(32), vout: 0, value: out + withChangeFee + 200n, inputWeight: W };
  const s = selectCoins({
    utxos: [coin],
    outputs: [{ value: out, scriptLength: SCRIPT_LENGTH.p2wpkh }],
    feeRateSatPerKvb: rate,
    longTermFeeRateSatPerKvb: 10_000n,
    changeScriptLength: SCRIPT_LENGTH.p2wsh,
    changeInputWeight: W,
    dustLimit: 330n,
  });
  assert.equal(s.changeValue, 0n);
  assert.equal(s.fee, coin.value - out);
});
