// Ordered rules, first match wins; each skipped rule says why; no match means deny.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { explainDecision } from '../../src/core/policy/explain.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import { BTC, MONDAY_10H, HOUR, approvalOf, context, examplePolicy } from './fixtures.ts';

test('a small payment in office hours matches rule 2 after rule 1 is skipped', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 50_000_000n }));
  assert.equal(d.outcome, 'approval');
  assert.equal(d.ruleId, 'small-office-hours');
  assert.deepEqual(d.requirement, { kind: 'group', group: 'finance', count: 1 });
  assert.equal(d.policyVersion, 1);
  assert.deepEqual(d.explanation, [
    "rule 1 'unlisted-destination' skipped: every output goes to a usable allowlisted address",
    "rule 2 'small-office-hours' matched: amount 50000000 sats ≤ limit 100000000 sats; time 10:00 UTC is inside 08:00–18:00 UTC; proposer luis has role treasury-operator → approval by 1 of finance",
  ]);
});

test('1.5 BTC skips both small-payment rules, naming the amount, and needs the weekly quorum', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 150_000_000n }));
  assert.equal(d.ruleId, 'weekly-limit-office-hours');
  assert.equal(approvalOf(d).signingDelaySeconds, 86_400);
  assert.equal(d.explanation[1], "rule 2 'small-office-hours' skipped: amount 150000000 sats > limit 100000000 sats");
  assert.equal(d.explanation[2], "rule 3 'small-after-hours' skipped: amount 150000000 sats > limit 100000000 sats");
  assert.match(d.explanation[3] ?? '', /→ approval by 2 of finance AND 1 of central-bank, then a signing delay of 1 d$/);
  assert.equal(explainDecision(d).split('\n').length, 4);
});

test('the same payment at 20:00 UTC falls through to the after-hours rule with the extra group', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 150_000_000n, nowMs: MONDAY_10H + 10 * HOUR }));
  assert.equal(d.ruleId, 'weekly-limit-after-hours');
  assert.match(d.explanation[3] ?? '', /time 20:00 UTC is outside 08:00–18:00 UTC/);
});

test('above every limit the catch-all rule denies', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 101n * BTC }));
  assert.equal(d.outcome, 'deny');
  assert.equal(d.ruleId, 'above-limits');
  assert.equal(d.explanation.at(-1), "rule 6 'above-limits' matched: no conditions → deny");
});

test('earlier rules win even when a later one would allow more', () => {
  const doc = {
    version: 1,
    name: 'order',
    groups: ['finance'],
    allowlistDelaySeconds: 0,
    policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'deny-big', when: { maxAmountSats: '1000' }, then: 'deny' },
      { id: 'allow-all', then: 'allow' },
    ],
  };
  assert.equal(evaluatePolicy(parsePolicy(doc), context({ sats: 999n })).ruleId, 'deny-big');
  assert.equal(evaluatePolicy(parsePolicy(doc), context({ sats: 1001n })).outcome, 'allow');
  const reversed = parsePolicy({ ...doc, rules: [...doc.rules].reverse() });
  assert.equal(evaluatePolicy(reversed, context({ sats: 999n })).outcome, 'allow');
});

test('when no rule matches, the spend is denied and the explanation says so', () => {
  const p = parsePolicy({
    version: 1,
    name: 'no catch-all',
    groups: ['finance'],
    allowlistDelaySeconds: 0,
    policyChange: { group: 'finance', count: 1 },
    rules: [{ id: 'tiny', when: { maxAmountSats: '1000' }, then: 'allow' }],
  });
  const d = evaluatePolicy(p, context({ sats: 5_000n }));
  assert.equal(d.outcome, 'deny');
  assert.equal(d.ruleId, null);
  assert.deepEqual(d.explanation, ["rule 1 'tiny' skipped: amount 5000 sats > limit 1000 sats", 'no rule matched → deny']);
});
