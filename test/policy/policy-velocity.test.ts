// Rolling-window velocity: this vault's spends with atMs > now − window, plus the new one, must
// stay within the limit. A spend exactly one window ago is outside; one a millisecond later is in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import { BTC, DAY, MONDAY_10H, context } from './fixtures.ts';

const WEEK = 7 * DAY;
const policy = parsePolicy({
  version: 1,
  name: 'velocity',
  groups: ['finance'],
  allowlistDelaySeconds: 0,
  policyChange: { group: 'finance', count: 1 },
  rules: [
    { id: 'weekly', when: { velocity: { windowSeconds: 604_800, maxSats: (100n * BTC).toString() } }, then: 'allow' },
    { id: 'over', then: 'deny' },
  ],
});

test('a spend exactly one window ago is outside the window', () => {
  const d = evaluatePolicy(policy, context({ sats: 10n * BTC, recentSpends: [{ atMs: MONDAY_10H - WEEK, sats: 95n * BTC }] }));
  assert.equal(d.ruleId, 'weekly');
  assert.match(d.explanation[0] ?? '', /spent in the last 7 d 0 sats \+ this 1000000000 sats = 1000000000 sats ≤ limit 10000000000 sats/);
});

test('a spend one millisecond inside the window counts', () => {
  const d = evaluatePolicy(policy, context({ sats: 10n * BTC, recentSpends: [{ atMs: MONDAY_10H - WEEK + 1, sats: 95n * BTC }] }));
  assert.equal(d.ruleId, 'over');
  assert.equal(d.explanation[0], "rule 1 'weekly' skipped: spent in the last 7 d 9500000000 sats + this 1000000000 sats = 10500000000 sats > limit 10000000000 sats");
});

test('the new spend counts, and reaching the limit exactly is allowed', () => {
  const recent = [
    { atMs: MONDAY_10H - DAY, sats: 60n * BTC },
    { atMs: MONDAY_10H - 2 * DAY, sats: 30n * BTC },
    { atMs: MONDAY_10H - 30 * DAY, sats: 500n * BTC }, // long ago
  ];
  assert.equal(evaluatePolicy(policy, context({ sats: 10n * BTC, recentSpends: recent })).ruleId, 'weekly');
  assert.equal(evaluatePolicy(policy, context({ sats: 10n * BTC + 1n, recentSpends: recent })).ruleId, 'over');
  assert.equal(evaluatePolicy(policy, context({ sats: 101n * BTC, recentSpends: [] })).ruleId, 'over');
});

test('a spend recorded now (same millisecond) counts', () => {
  const d = evaluatePolicy(policy, context({ sats: 1n, recentSpends: [{ atMs: MONDAY_10H, sats: 100n * BTC }] }));
  assert.equal(d.ruleId, 'over');
});
