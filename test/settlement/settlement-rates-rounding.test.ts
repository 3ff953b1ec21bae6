// The rate lock and rounding of alliance settlement (issue #16 item 3): decimal amounts become minor
// units exactly in each currency's ISO 4217 digits (over-precise, zero, negative and malformed amounts
// refused with INVALID_AMOUNT, unknown currencies with UNKNOWN_CURRENCY); a member's nets become sats as
// one exact rational; and the largest-remainder allocation is exact, within one sat, and deterministic
// (larger remainder first, then member code), whatever order the members come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../../src/core/errors.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { allocatePositions, currencyMinorDigits, exactSats, parseLockedRate, parseMinorAmount, RateTable, type ExactPosition } from '../../src/core/settlement/rates.ts';
import { closePositions, NetBook } from '../../src/core/settlement/netting.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  return 'no error';
};

test('decimal amounts become minor units exactly in the currency\'s ISO 4217 digits', () => {
  assert.equal(parseMinorAmount('1250.50', 'USD'), 125050n);
  assert.equal(parseMinorAmount('1250.5', 'USD'), 125050n);
  assert.equal(parseMinorAmount('1250', 'USD'), 125000n);
  assert.equal(parseMinorAmount(' 0.01 ', 'USD'), 1n);
  assert.equal(parseMinorAmount('980', 'JPY'), 980n);
  assert.equal(parseMinorAmount('1.234', 'KWD'), 1234n);
  assert.equal(parseMinorAmount('846000000.00', 'PKR'), 84600000000n);
  assert.equal(parseMinorAmount('999999999999999.99', 'RUB'), 99999999999999999n);
  assert.equal(currencyMinorDigits('JPY'), 0);
  assert.equal(currencyMinorDigits('KWD'), 3);
  assert.equal(currencyMinorDigits('PKR'), 2);
});

test('over-precise amounts are refused (even trailing zeros past the minor unit), as are zero, negative, too large and malformed ones', () => {
  for (const [text, currency] of [['1250.505', 'USD'], ['1250.500', 'USD'], ['980.5', 'JPY'], ['980.0', 'JPY'], ['1.2345', 'KWD']] as const) {
    assert.equal(code(() => parseMinorAmount(text, currency)), 'INVALID_AMOUNT', `${text} ${currency}`);
    assert.throws(() => parseMinorAmount(text, currency), /over-precise/);
  }
  for (const text of ['0', '0.00', '-5', '-0.01', '- 5', '1e5', '', ' ', '1,000.00', '.5', '5.', '+5', '0x10', 'NaN', '1 000', '1000000000000000']) {
    assert.equal(code(() => parseMinorAmount(text, 'USD')), 'INVALID_AMOUNT', JSON.stringify(text));
  }
  assert.equal(code(() => parseMinorAmount('5', 'XYZ')), 'UNKNOWN_CURRENCY');
  assert.equal(code(() => parseMinorAmount('5', 'usd')), 'UNKNOWN_CURRENCY'); // the table is in ISO's upper case; the file parser upper-cases
  assert.equal(code(() => parseMinorAmount('5', 'toString')), 'UNKNOWN_CURRENCY'); // not an inherited property
});

test('a locked rate is the price of one BTC in minor units; one BTC\'s worth of any currency is exactly 10^8 sats', () => {
  const usd = parseLockedRate('USD', '78293.71', 'rates.json');
  assert.deepEqual(usd, { currency: 'USD', minorDigits: 2, btcPriceMinor: 7829371n, source: 'rates.json' });
  assert.deepEqual(exactSats([['USD', 7829371n]], [usd]), { num: 100_000_000n, den: 1n });
  const jpy = parseLockedRate('JPY', '14000000', 'x');
  // 1 yen at ¥14,000,000 per BTC: 10^8 / 1.4·10^7 = 50/7 sats
  assert.deepEqual(exactSats([['JPY', 1n]], [jpy]), { num: 50n, den: 7n });
  // one rational over all currencies: $1 + ¥1 − $0.50 at these prices
  assert.deepEqual(exactSats([['USD', 100n], ['JPY', 1n], ['USD', -50n]], [usd, jpy]), { num: 50n * 100_000_000n * 7n + 50n * 7829371n, den: 7n * 7829371n }); // 35391468550/54805597, already in lowest terms
  assert.equal(code(() => parseLockedRate('USD', '0', 'x')), 'INVALID_AMOUNT');
  assert.equal(code(() => parseLockedRate('USD', '78293.715', 'x')), 'INVALID_AMOUNT');
  assert.equal(code(() => new RateTable([usd]).numerator('PKR', 1n)), 'RATE_MISSING');
  assert.equal(code(() => new RateTable([usd, usd])), 'INVALID_ARGUMENT');
});

test('largest remainder: the residue goes to the largest remainders, ties to the member code first, whatever the input order', () => {
  const e = (member: string, num: bigint, den: bigint): ExactPosition => ({ member, exact: { num, den } });
  // floors 0, 0, −1; residue 1; remainders 1/10, 7/10, 2/10 → B
  assert.deepEqual(allocatePositions([e('A', 1n, 10n), e('B', 7n, 10n), e('C', -8n, 10n)]), [
    { member: 'A', sats: 0n }, { member: 'B', sats: 1n }, { member: 'C', sats: -1n },
  ]);
  // three equal remainders of 1/3 and a residue of 1: the first code in code-unit order, not the first listed
  const tie = [e('SLV', 1n, 3n), e('PAK', 1n, 3n), e('RUS', -2n, 3n)];
  assert.deepEqual(allocatePositions(tie), [{ member: 'SLV', sats: 0n }, { member: 'PAK', sats: 1n }, { member: 'RUS', sats: -1n }]);
  // remainders compared exactly across denominators: 1/3 > 33/100 (remainders 33/100, 1/3, 17/100, 1/6; residue 1)
  assert.deepEqual(allocatePositions([e('A', 33n, 100n), e('B', 1n, 3n), e('C', 17n, 100n), e('D', -5n, 6n)]).map((p) => p.sats), [0n, 1n, 0n, -1n]);
  // negative exact values floor downwards (−1/2 → −1, remainder 1/2): residue 1, a tie of halves, to A
  assert.deepEqual(allocatePositions([e('B', -1n, 2n), e('A', 1n, 2n)]).map((p) => p.sats), [-1n, 1n]);
  assert.throws(() => allocatePositions([e('A', 1n, 2n)]), RangeError); // not a whole sum
  assert.throws(() => allocatePositions([e('A', 1n, 1n), e('A', -1n, 1n)]), RangeError);

  const random = seededRandom(3);
  for (let c = 0; c < 300; c++) {
    const n = 2 + Math.floor(random() * 12);
    const den = BigInt(1 + Math.floor(random() * 1000));
    const nums = Array.from({ length: n - 1 }, () => BigInt(Math.floor((random() - 0.5) * 1e9)));
    nums.push(-nums.reduce((a, b) => a + b, 0n));
    const list = nums.map((num, i) => e(`M${i}`, num, den));
    const out = new Map(allocatePositions(list).map((p) => [p.member, p.sats]));
    const shuffled = [...list].sort(() => random() - 0.5);
    assert.deepEqual(new Map(allocatePositions(shuffled).map((p) => [p.member, p.sats])), out, `case ${c}: order-independent`);
    assert.equal([...out.values()].reduce((a, b) => a + b, 0n), 0n);
    for (const p of list) {
      const diff = (out.get(p.member) as bigint) * den - p.exact.num;
      assert.ok(diff > -den && diff < den, `case ${c}: ${p.member} within one sat`);
    }
  }
});

test('closing a book: a member with no rate for one of its currencies is refused (RATE_MISSING); a position beyond 21M BTC is INVALID_AMOUNT', () => {
  const book = new NetBook();
  book.add({ reference: 'R1', exporter: 'SLV', importer: 'RUS', amountMinor: 125050n, currency: 'USD' });
  book.add({ reference: 'R2', exporter: 'PAK', importer: 'RUS', amountMinor: 100n, currency: 'PKR' });
  const usd = parseLockedRate('USD', '78293.71', 'x');
  assert.equal(code(() => closePositions(book, [usd])), 'RATE_MISSING');
  const huge = new NetBook();
  huge.add({ reference: 'R1', exporter: 'SLV', importer: 'RUS', amountMinor: 10n ** 17n, currency: 'USD' });
  assert.equal(code(() => closePositions(huge, [parseLockedRate('USD', '0.01', 'x')])), 'INVALID_AMOUNT');
});
