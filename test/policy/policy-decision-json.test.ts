// A decision read back from the store is the decision that was stored: toJson → parse round trip,
// decisions stored before the outcome union (requirement null, no price) still read, and anything
// malformed is refused with MALFORMED_DATA naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainError } from '../../src/core/errors.ts';
import { toJson } from '../../src/core/json.ts';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { parsePolicyDecision } from '../../src/core/policy/parse-decision.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import type { PolicyDecision, PriceQuote } from '../../src/core/policy/types.ts';
import { BTC, context, examplePolicy } from './fixtures.ts';

const QUOTE: PriceQuote = { usdPerBtcCents: 6_500_000n, date: '2026-01-05', source: 'url https://rates.example/btc-usd.csv' };

const readBack = (d: PolicyDecision): PolicyDecision => parsePolicyDecision(JSON.parse(toJson(d)) as unknown);

function decisions(): PolicyDecision[] {
  const usd = parsePolicy({
    version: 4, name: 'usd', groups: ['finance', 'board'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
    rules: [
      { id: 'small-usd', when: { maxAmountUsdCents: '100000' }, then: 'allow' },
      { id: 'mid-usd', when: { maxAmountUsdCents: '100000000' }, then: { approval: { any: [{ all: [{ group: 'finance', count: 2 }, { group: 'board', count: 1 }] }, { group: 'board', count: 3 }] }, signingDelaySeconds: 3600 } },
    ],
  });
  return [
    evaluatePolicy(examplePolicy(), context({ sats: 50_000_000n })), // approval, no price
    evaluatePolicy(examplePolicy(), context({ sats: 101n * BTC })), // deny by a rule
    evaluatePolicy(usd, context({ sats: 1_000n, price: QUOTE })), // allow with a price
    evaluatePolicy(usd, context({ sats: 10n * BTC, price: QUOTE })), // approval with a price and a delay
    evaluatePolicy(usd, context({ sats: 100n * BTC, price: QUOTE })), // no rule matched: deny, ruleId null
  ];
}

test('every kind of decision survives toJson and parsePolicyDecision unchanged', () => {
  const all = decisions();
  assert.deepEqual(all.map((d) => `${d.outcome}:${d.ruleId}:${d.price === null ? 'no price' : 'price'}`), [
    'approval:small-office-hours:no price',
    'deny:above-limits:no price',
    'allow:small-usd:price',
    'approval:mid-usd:price',
    'deny:null:price',
  ]);
  for (const d of all) {
    assert.deepEqual(readBack(d), d);
    assert.deepEqual(parsePolicyDecision(toJson(d)), d, 'the JSON text itself is accepted too');
  }
  // bigints travel as strings, as everywhere else
  assert.match(toJson(all[2]), /"usdPerBtcCents":"6500000"/);
});

test('a decision stored before the outcome union reads as the new shape', () => {
  const legacyAllow = { outcome: 'allow', policyVersion: 2, ruleId: 'small', requirement: null, signingDelaySeconds: 0, explanation: ["rule 1 'small' matched: no conditions → allow"] };
  assert.deepEqual(parsePolicyDecision(legacyAllow), { outcome: 'allow', policyVersion: 2, ruleId: 'small', explanation: legacyAllow.explanation, price: null });
  const legacyDeny = { outcome: 'deny', policyVersion: 2, ruleId: null, requirement: null, signingDelaySeconds: 0, explanation: ['no rule matched → deny'] };
  assert.deepEqual(parsePolicyDecision(legacyDeny), { outcome: 'deny', policyVersion: 2, ruleId: null, explanation: legacyDeny.explanation, price: null });
  const legacyApproval = {
    outcome: 'approval', policyVersion: 2, ruleId: 'big', requirement: { kind: 'group', group: 'finance', count: 2 }, signingDelaySeconds: 86400, explanation: ['…'],
  };
  assert.deepEqual(parsePolicyDecision(legacyApproval), { ...legacyApproval, price: null });
});

test('malformed decisions are refused with MALFORMED_DATA, one line naming the field', () => {
  const good = JSON.parse(toJson(decisions()[3])) as Record<string, unknown>;
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [], /^stored policy decision: expected an object$/],
    ['not JSON text', '{"outcome":', /^stored policy decision: not JSON/],
    ['unknown outcome', { ...good, outcome: 'maybe' }, /outcome: expected "allow", "deny" or "approval", got "maybe"/],
    ['unknown field', { ...good, approvedBy: 'x' }, /approvedBy: unknown field/],
    ['version zero', { ...good, policyVersion: 0 }, /policyVersion: expected a whole number from 1, got 0/],
    ['version as string', { ...good, policyVersion: '4' }, /policyVersion: expected a whole number/],
    ['approval without rule', { ...good, ruleId: null }, /ruleId: missing/],
    ['allow without rule', { outcome: 'allow', policyVersion: 1, ruleId: null, explanation: ['x'] }, /ruleId: missing/],
    ['bad rule id', { ...good, ruleId: 'Big Rule' }, /ruleId: expected a rule id or null/],
    ['no explanation', { ...good, explanation: [] }, /explanation: expected a non-empty list/],
    ['explanation not strings', { ...good, explanation: ['a', 3] }, /explanation\[1\]: expected a string, got 3/],
    ['approval without requirement', { ...good, requirement: null }, /requirement: missing/],
    ['requirement of unknown kind', { ...good, requirement: { kind: 'some', of: [] } }, /requirement\.kind: expected "group", "all" or "any", got "some"/],
    ['requirement count zero', { ...good, requirement: { kind: 'group', group: 'finance', count: 0 } }, /requirement\.count: expected a whole number from 1 to 100, got 0/],
    ['nested requirement broken', { ...good, requirement: { kind: 'any', of: [{ kind: 'group', group: 'finance' }] } }, /requirement\.of\[0\]\.count: expected/],
    ['empty all', { ...good, requirement: { kind: 'all', of: [] } }, /requirement\.of: expected a non-empty list/],
    ['negative delay', { ...good, signingDelaySeconds: -1 }, /signingDelaySeconds: expected a whole number of seconds/],
    ['missing delay', { ...good, signingDelaySeconds: undefined }, /signingDelaySeconds: expected a whole number of seconds from 0 to \d+, got nothing/],
    ['deny with a requirement', { outcome: 'deny', policyVersion: 1, ruleId: 'x', requirement: { kind: 'group', group: 'finance', count: 1 }, explanation: ['x'] }, /requirement: a deny decision has no requirement/],
    ['allow with a delay', { outcome: 'allow', policyVersion: 1, ruleId: 'x', signingDelaySeconds: 60, explanation: ['x'] }, /signingDelaySeconds: an allow decision has no signing delay, got 60/],
    ['price as a float', { ...good, price: { ...(good.price as object), usdPerBtcCents: 65000.5 } }, /price\.usdPerBtcCents: expected a whole number of US cents as a string, got 65000\.5/],
    ['price zero', { ...good, price: { ...(good.price as object), usdPerBtcCents: '0' } }, /price\.usdPerBtcCents: expected a positive price/],
    ['price date not a day', { ...good, price: { ...(good.price as object), date: '2026-02-30' } }, /price\.date: expected a day as YYYY-MM-DD, got "2026-02-30"/],
    ['price without source', { ...good, price: { usdPerBtcCents: '1', date: '2026-01-05' } }, /price\.source: expected a non-empty string, got nothing/],
    ['price with extra field', { ...good, price: { ...(good.price as object), currency: 'EUR' } }, /price\.currency: unknown field/],
    ['price not an object', { ...good, price: '6500000' }, /price: expected an object or null/],
  ];
  for (const [name, doc, pattern] of cases) {
    assert.throws(
      () => parsePolicyDecision(doc),
      (e) => isDomainError(e) && e.code === 'MALFORMED_DATA' && pattern.test(e.message) && !e.message.includes('\n'),
      name,
    );
  }
});

test('the caller may name the decision in the message', () => {
  assert.throws(() => parsePolicyDecision(null, "proposal 12's policy decision"), { code: 'MALFORMED_DATA', message: "proposal 12's policy decision: expected an object" });
});
