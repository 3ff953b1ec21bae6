// Destination allowlist: an entry is usable only allowlistDelaySeconds after it was added, and
// every output must pay a usable entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { HOUR, MONDAY_10H, PAYEE, PAYEE2, context, examplePolicy } from './fixtures.ts';

const DELAY = 72 * HOUR; // the example policy's allowlistDelaySeconds

test('an entry added exactly 72 h ago is usable; one added a millisecond later is not', () => {
  const usable = evaluatePolicy(examplePolicy(), context({ allowlist: [{ address: PAYEE, addedAtMs: MONDAY_10H - DELAY }] }));
  assert.equal(usable.ruleId, 'small-office-hours');
  const fresh = evaluatePolicy(examplePolicy(), context({ allowlist: [{ address: PAYEE, addedAtMs: MONDAY_10H - DELAY + 1 }] }));
  assert.equal(fresh.outcome, 'deny');
  assert.equal(fresh.ruleId, 'unlisted-destination');
  assert.equal(
    fresh.explanation[0],
    `rule 1 'unlisted-destination' matched: ${PAYEE} was added at 2026-01-02T10:00:00.001Z and is usable only from 2026-01-05T10:00:00.001Z → deny`,
  );
});

test('every output must be allowlisted: one unknown address among two denies', () => {
  const outputs = [
    { address: PAYEE, sats: 10_000_000n },
    { address: PAYEE2, sats: 20_000_000n },
  ];
  const d = evaluatePolicy(examplePolicy(), context({ outputs, totalSats: 30_000_000n }));
  assert.equal(d.ruleId, 'unlisted-destination');
  assert.match(d.explanation[0] ?? '', new RegExp(`${PAYEE2} is not on the allowlist`));
  const both = evaluatePolicy(examplePolicy(), context({ outputs, totalSats: 30_000_000n, allowlist: [{ address: PAYEE, addedAtMs: 0 }, { address: PAYEE2, addedAtMs: 0 }] }));
  assert.equal(both.ruleId, 'small-office-hours');
});

test('re-adding an address does not reset its delay: the earliest entry counts', () => {
  const allowlist = [
    { address: PAYEE, addedAtMs: MONDAY_10H - HOUR },
    { address: PAYEE, addedAtMs: MONDAY_10H - 10 * DELAY },
  ];
  assert.equal(evaluatePolicy(examplePolicy(), context({ allowlist })).ruleId, 'small-office-hours');
});
