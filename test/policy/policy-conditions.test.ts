// The remaining conditions, each at its boundary: time-of-day windows (also across midnight),
// share of the vault balance in basis points, amounts in US cents through a price, initiator role.
// (USD limits in full, with the price's age and the refusals: policy-usd-limit.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainError } from '../../src/core/errors.ts';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import type { Policy, RuleConditions } from '../../src/core/policy/types.ts';
import { BTC, context } from './fixtures.ts';

function onlyIf(when: Record<string, unknown>): Policy {
  return parsePolicy({
    version: 1,
    name: 'one condition',
    groups: ['finance'],
    allowlistDelaySeconds: 0,
    policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'cond', when, then: 'allow' },
      { id: 'else', then: 'deny' },
    ],
  });
}
const matches = (p: Policy, over: Parameters<typeof context>[0]): boolean => evaluatePolicy(p, context(over)).ruleId === 'cond';
const at = (h: number, m = 0, s = 0): number => Date.UTC(2026, 0, 5, h, m, s);

test('time of day: [from, to) in UTC', () => {
  const p = onlyIf({ timeOfDayUtc: { from: '08:00', to: '18:00' } });
  assert.equal(matches(p, { nowMs: at(8, 0) }), true);
  assert.equal(matches(p, { nowMs: at(7, 59, 59) }), false);
  assert.equal(matches(p, { nowMs: at(17, 59, 59) }), true);
  assert.equal(matches(p, { nowMs: at(18, 0) }), false);
});

test('time of day: a window wrapping past midnight', () => {
  const p = onlyIf({ timeOfDayUtc: { from: '22:00', to: '06:00' } });
  for (const [h, m, expected] of [[22, 0, true], [23, 59, true], [0, 0, true], [5, 59, true], [6, 0, false], [12, 0, false], [21, 59, false]] as const) {
    assert.equal(matches(p, { nowMs: at(h, m) }), expected, `${h}:${m}`);
  }
  assert.match(evaluatePolicy(p, context({ nowMs: at(12, 0) })).explanation[0] ?? '', /time 12:00 UTC is outside 22:00–06:00 UTC/);
});

test('share of balance: integer basis points, the boundary included', () => {
  const p = onlyIf({ maxShareOfBalanceBps: 250 }); // 2.5%
  const balance = 1_000n * BTC;
  assert.equal(matches(p, { sats: 25n * BTC, vaultBalanceSats: balance }), true);
  assert.equal(matches(p, { sats: 25n * BTC + 1n, vaultBalanceSats: balance }), false);
  assert.match(evaluatePolicy(p, context({ sats: 30n * BTC, vaultBalanceSats: balance })).explanation[0] ?? '', /more than 2\.5% of the vault balance 100000000000 sats/);
  assert.equal(matches(p, { sats: 1n, vaultBalanceSats: 0n }), false); // an empty vault: any spend exceeds any share
});

test('USD amount: rounded up to the cent at the given price; without a price the engine refuses', () => {
  const p = onlyIf({ maxAmountUsdCents: '1000000' }); // $10,000
  const price = { usdPerBtcCents: 6_500_000n, date: '2026-01-05', source: 'test' }; // $65,000.00 per BTC
  // 15,384,615 sats × 6,500,000 / 10^8 = 999,999.975 cents → 1,000,000 (rounded up): allowed.
  assert.equal(matches(p, { sats: 15_384_615n, price }), true);
  // One more sat: 1,000,000.04 → 1,000,001 cents: over.
  assert.equal(matches(p, { sats: 15_384_616n, price }), false);
  assert.throws(() => evaluatePolicy(p, context({ sats: 1n, price: null })), (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE');
});

test('initiator role: any of the listed roles', () => {
  const p = onlyIf({ initiatorRoles: ['treasury-operator', 'minister'] });
  assert.equal(matches(p, { proposer: { id: 'x', roles: ['minister'] } }), true);
  assert.equal(matches(p, { proposer: { id: 'x', roles: ['auditor'] } }), false);
  assert.match(evaluatePolicy(p, context({ proposer: { id: 'x', roles: [] } })).explanation[0] ?? '', /proposer x has none of the roles treasury-operator, minister/);
});

test('conditions in one rule are ANDed, and every failing one is named', () => {
  const when: Record<keyof RuleConditions, unknown> = {
    maxAmountSats: '1000',
    maxAmountUsdCents: '100',
    velocity: { windowSeconds: 3600, maxSats: '1000' },
    destinations: 'allowlisted',
    maxShareOfBalanceBps: 1,
    timeOfDayUtc: { from: '00:00', to: '01:00' },
    initiatorRoles: ['minister'],
  };
  const d = evaluatePolicy(onlyIf(when), context({ sats: 5_000n, price: { usdPerBtcCents: 10_000_000n, date: '2026-01-05', source: 'test' } }));
  assert.equal(d.ruleId, 'else');
  const reasons = (d.explanation[0] ?? '').split('; ');
  assert.equal(reasons.length, 5, d.explanation[0]); // all but the allowlist and the share (0.01% of 1,000 BTC) fail
});
