// A spend is ready to sign only when the policy allows it, or its quorum is complete and the
// signing delay counted from the quorum's completion has passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { spendReadiness } from '../../src/core/policy/spend-readiness.ts';
import { BTC, DAY, MONDAY_10H, approvalOf, context, examplePolicy } from './fixtures.ts';

test('weekly-limit spend: quorum, then 24 h, then ready', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 5n * BTC }));
  assert.equal(approvalOf(d).signingDelaySeconds, 86_400);
  const approvals = [
    { approverId: 'ana', groups: ['finance'], atMs: MONDAY_10H + 1_000 },
    { approverId: 'eva', groups: ['finance'], atMs: MONDAY_10H + 2_000 },
  ];
  const short = spendReadiness(d, approvals, 'luis', MONDAY_10H + DAY * 3);
  assert.deepEqual(short, { ready: false, reason: 'needs 1 more approval from central-bank', signableAtMs: null });
  const full = [...approvals, { approverId: 'ben', groups: ['central-bank'], atMs: MONDAY_10H + 3_000 }];
  const waiting = spendReadiness(d, full, 'luis', MONDAY_10H + 3_000 + DAY - 1);
  assert.equal(waiting.ready, false);
  assert.equal(waiting.signableAtMs, MONDAY_10H + 3_000 + DAY);
  assert.match(waiting.reason, /signing delay until 2026-01-06T10:00:03\.000Z/);
  assert.equal(spendReadiness(d, full, 'luis', MONDAY_10H + 3_000 + DAY).ready, true);
});

test('deny is never ready, whatever the approvals', () => {
  const d = evaluatePolicy(examplePolicy(), context({ sats: 500n * BTC }));
  const r = spendReadiness(d, [{ approverId: 'ana', groups: ['finance', 'central-bank', 'security-office'], atMs: 0 }], 'luis', MONDAY_10H);
  assert.deepEqual(r, { ready: false, reason: "denied by policy version 1 (rule 'above-limits')", signableAtMs: null });
});
