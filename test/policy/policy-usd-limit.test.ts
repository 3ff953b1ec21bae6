// USD limits: the spend is valued exactly in integer cents (rounded up) at a recorded price, and a
// USD-limited rule the engine reaches refuses to decide (PRICE_UNAVAILABLE) without a recent price.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, isDomainError } from '../../src/core/errors.ts';
import { evaluatePolicy, usdCentsRoundedUp } from '../../src/core/policy/evaluate-policy.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import { DEFAULT_MAX_PRICE_AGE_MS, type Policy, type PriceQuote } from '../../src/core/policy/types.ts';
import { BTC, DAY, approvalOf, context } from './fixtures.ts';

/** Up to $1,000,000 is allowed; above it, two of finance approve. */
function usdPolicy(version = 3): Policy {
  return parsePolicy({
    version,
    name: 'usd',
    groups: ['finance'],
    allowlistDelaySeconds: 0,
    policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'up-to-1m-usd', when: { maxAmountUsdCents: '100000000' }, then: 'allow' },
      { id: 'above-1m-usd', then: { approval: { group: 'finance', count: 2 } } },
    ],
  });
}

const NOW = Date.UTC(2026, 7, 23, 10, 0); // 2026-08-23 10:00 UTC
const QUOTE: PriceQuote = { usdPerBtcCents: 7_829_371n, date: '2026-08-22', source: 'file /srv/treasury/btc-usd.csv' }; // $78,293.71

const refusal = (pattern: RegExp) => (e: unknown): boolean => {
  assert.ok(isDomainError(e), String(e));
  assert.equal(e.code, 'PRICE_UNAVAILABLE');
  assert.match(e.message, pattern);
  assert.doesNotMatch(e.message, /\n/);
  return true;
};

test('the USD value is exact integer cents, rounded up', () => {
  assert.equal(usdCentsRoundedUp(BTC, 7_829_371n), 7_829_371n);
  assert.equal(usdCentsRoundedUp(1n, 7_829_371n), 1n); // 0.078… cents → 1
  assert.equal(usdCentsRoundedUp(0n, 7_829_371n), 0n);
  // 21 million BTC at $10,000,000 each: no precision lost
  assert.equal(usdCentsRoundedUp(21_000_000n * BTC, 1_000_000_000n), 21_000_000n * 1_000_000_000n);
});

test('at or below the limit the USD rule allows; one sat above, it asks for approval; the decision records the price', () => {
  // 1,277,241,811 sats × 7,829,371 / 10^8 = 99,999,999.95… cents → 100,000,000: exactly the limit (inclusive).
  const at = evaluatePolicy(usdPolicy(), context({ sats: 1_277_241_811n, nowMs: NOW, price: QUOTE }));
  assert.equal(at.outcome, 'allow');
  assert.equal(at.ruleId, 'up-to-1m-usd');
  assert.deepEqual(at.price, QUOTE);
  assert.equal(
    at.explanation[0],
    "rule 1 'up-to-1m-usd' matched: amount 100000000 US cents at 7829371 US cents/BTC (2026-08-22, file /srv/treasury/btc-usd.csv) ≤ limit 100000000 US cents → allow",
  );
  // One sat more: 100,000,000.03 cents → 100,000,001: over.
  const over = approvalOf(evaluatePolicy(usdPolicy(), context({ sats: 1_277_241_812n, nowMs: NOW, price: QUOTE })));
  assert.equal(over.ruleId, 'above-1m-usd');
  assert.deepEqual(over.requirement, { kind: 'group', group: 'finance', count: 2 });
  assert.deepEqual(over.price, QUOTE, 'the price that skipped rule 1 is recorded too');
  assert.match(over.explanation[0] ?? '', /skipped: amount 100000001 US cents at 7829371 US cents\/BTC .* > limit 100000000 US cents$/);
  assert.equal(evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: NOW, price: QUOTE })).outcome, 'allow');
});

test('no price at all: PRICE_UNAVAILABLE naming the policy version, the rule and the age limit', () => {
  assert.throws(
    () => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: NOW, price: null })),
    refusal(/^policy version 3 rule 'up-to-1m-usd' needs a BTC\/USD price no older than 2 days; there is none — update the price source$/),
  );
  // the source's own complaint is quoted
  assert.throws(
    () => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: NOW, price: null, priceProblem: 'price source https://rates.example/btc answered HTTP 502' })),
    refusal(/there is none: price source https:\/\/rates\.example\/btc answered HTTP 502 — update the price source$/),
  );
});

test('a price 3 days old with a 2-day maximum: PRICE_UNAVAILABLE', () => {
  const now = Date.UTC(2026, 7, 25, 0, 0); // 3 days after 2026-08-22 00:00 UTC
  assert.throws(
    () => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: now, price: QUOTE, maxPriceAgeMs: 2 * DAY })),
    refusal(/^policy version 3 rule 'up-to-1m-usd' needs a BTC\/USD price no older than 2 days; the latest is from 2026-08-22 \(3 days old, file \/srv\/treasury\/btc-usd\.csv\) — update the price source$/),
  );
  // the same price passes a 7-day maximum
  assert.equal(evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: now, price: QUOTE, maxPriceAgeMs: 7 * DAY })).outcome, 'allow');
});

test('the age is counted from 00:00 UTC of the price day; exactly the maximum is still fine', () => {
  const limit = Date.UTC(2026, 7, 24, 0, 0); // 2026-08-22 + 2 days
  assert.equal(DEFAULT_MAX_PRICE_AGE_MS, 2 * DAY);
  assert.equal(evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: limit, price: QUOTE })).outcome, 'allow');
  assert.throws(() => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: limit + 1, price: QUOTE })), refusal(/\(2 days old,/));
  assert.throws(() => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: limit + 10 * 3_600_000, price: QUOTE })), refusal(/\(2 days 10 h old,/));
});

test('ages in the message: whole days, hours under ten days, minutes under an hour', () => {
  const q = { ...QUOTE, date: '2026-08-23' };
  const msg = (nowMs: number, maxPriceAgeMs: number): string => {
    try {
      evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs, price: q, maxPriceAgeMs }));
    } catch (e) {
      return (e as Error).message;
    }
    return 'allowed';
  };
  assert.match(msg(NOW - 10 * 3_600_000 + 30 * 60_000, 0), /\(30 min old,/);
  assert.match(msg(NOW, 3_600_000), /no older than 1 h; the latest is from 2026-08-23 \(10 h old,/);
  assert.match(msg(NOW + DAY, DAY), /no older than 1 day; .*\(1 day 10 h old,/);
});

test('the message of the issue: 102 days old', () => {
  const p = parsePolicy({
    version: 3, name: 'usd', groups: ['finance'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'small', when: { maxAmountSats: '1000' }, then: 'allow' },
      { id: 'above-1m-usd', when: { maxAmountUsdCents: '100000000' }, then: 'deny' },
    ],
  });
  const shipped: PriceQuote = { usdPerBtcCents: 7_829_371n, date: '2026-08-22', source: 'shipped daily history' };
  assert.throws(
    () => evaluatePolicy(p, context({ sats: 5_000n, nowMs: Date.UTC(2026, 11, 2), price: shipped })),
    refusal(/^policy version 3 rule 'above-1m-usd' needs a BTC\/USD price no older than 2 days; the latest is from 2026-08-22 \(102 days old, shipped daily history\) — update the price source$/),
  );
});

test('a price dated after now is refused too (a source ahead of the clock is not trusted)', () => {
  assert.throws(
    () => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: Date.UTC(2026, 7, 21, 23, 59), price: QUOTE })),
    refusal(/the latest \(file \/srv\/treasury\/btc-usd\.csv\) is dated 2026-08-22, after now \(2026-08-21T23:59:00\.000Z\) — check the price source$/),
  );
});

test('a policy without USD limits never needs a price', () => {
  const p = parsePolicy({
    version: 1, name: 'sats only', groups: ['finance'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'small', when: { maxAmountSats: '1000' }, then: 'allow' },
      { id: 'rest', then: 'deny' },
    ],
  });
  for (const sats of [1n, 5_000n]) {
    const d = evaluatePolicy(p, context({ sats, nowMs: NOW, price: null }));
    assert.equal(d.price, null);
  }
  // a stale price is not looked at either, and not recorded
  assert.equal(evaluatePolicy(p, context({ sats: 1n, nowMs: NOW + 100 * DAY, price: QUOTE })).price, null);
});

test('a USD rule not reached because an earlier rule matched needs no price', () => {
  const p = parsePolicy({
    version: 1, name: 'order', groups: ['finance'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'tiny', when: { maxAmountSats: '100000' }, then: 'allow' },
      { id: 'up-to-1m-usd', when: { maxAmountUsdCents: '100000000' }, then: { approval: { group: 'finance', count: 1 } } },
      { id: 'rest', then: 'deny' },
    ],
  });
  const d = evaluatePolicy(p, context({ sats: 100_000n, nowMs: NOW, price: null }));
  assert.equal(d.ruleId, 'tiny');
  assert.equal(d.price, null);
  assert.deepEqual(d.explanation, ["rule 1 'tiny' matched: amount 100000 sats ≤ limit 100000 sats → allow"]);
  // one sat more reaches the USD rule, which then needs the price
  assert.throws(() => evaluatePolicy(p, context({ sats: 100_001n, nowMs: NOW, price: null })), refusal(/rule 'up-to-1m-usd'/));
  assert.equal(evaluatePolicy(p, context({ sats: 100_001n, nowMs: NOW, price: QUOTE })).ruleId, 'up-to-1m-usd');
});

test('a reached USD rule needs the price even when another of its conditions already fails (predictable: reaching the rule is what counts)', () => {
  const p = parsePolicy({
    version: 1, name: 'and', groups: ['finance'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'ministers-up-to-1m-usd', when: { initiatorRoles: ['minister'], maxAmountUsdCents: '100000000' }, then: 'allow' },
      { id: 'rest', then: 'deny' },
    ],
  });
  assert.throws(() => evaluatePolicy(p, context({ sats: 1n, nowMs: NOW, price: null })), (e) => e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE');
});

test('a malformed price in the context is a programmer fault, not a refusal', () => {
  const bad: unknown[] = [
    { ...QUOTE, usdPerBtcCents: 0n },
    { ...QUOTE, usdPerBtcCents: 7829371 },
    { ...QUOTE, date: '2026-02-30' },
    { ...QUOTE, source: ' ' },
    undefined,
  ];
  for (const price of bad) {
    assert.throws(() => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: NOW, price: price as PriceQuote })), (e) => e instanceof TypeError || e instanceof RangeError, String(price));
  }
  assert.throws(() => evaluatePolicy(usdPolicy(), context({ sats: 1n, nowMs: NOW, price: QUOTE, maxPriceAgeMs: -1 })), RangeError);
});
