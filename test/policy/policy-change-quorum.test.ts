// Changing the policy needs the quorum that the CURRENT policy names, never the proposed one's,
// never counting the proposer; and the version must go up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicyChange } from '../../src/core/policy/policy-change.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import { DomainError } from '../../src/core/errors.ts';
import { EXAMPLE_POLICY_TEXT, examplePolicy } from './fixtures.ts';

const current = examplePolicy(); // policyChange: 2 of finance AND 2 of central-bank
const lax = parsePolicy({ ...JSON.parse(EXAMPLE_POLICY_TEXT), version: 2, policyChange: { group: 'finance', count: 1 } });

test('a change that lowers its own bar still needs the current quorum', () => {
  const one = [{ approverId: 'ana', groups: ['finance'], atMs: 1 }];
  const s = evaluatePolicyChange(current, lax, one, 'luis');
  assert.equal(s.satisfied, false);
  assert.equal(s.missing, 'needs 1 more approval from finance and 2 more from central-bank');
  assert.equal(s.requirementText, 'policyChange of version 1: 2 of finance AND 2 of central-bank');
  assert.equal(s.fromVersion, 1);
  assert.equal(s.toVersion, 2);
});

test('the current quorum, without the proposer, accepts the change', () => {
  const approvals = [
    { approverId: 'luis', groups: ['finance'], atMs: 1 }, // proposer: not counted
    { approverId: 'ana', groups: ['finance'], atMs: 2 },
    { approverId: 'eva', groups: ['finance'], atMs: 3 },
    { approverId: 'ben', groups: ['central-bank'], atMs: 4 },
  ];
  assert.equal(evaluatePolicyChange(current, lax, approvals, 'luis').satisfied, false);
  const s = evaluatePolicyChange(current, lax, [...approvals, { approverId: 'rosa', groups: ['central-bank'], atMs: 5 }], 'luis');
  assert.deepEqual([s.satisfied, s.satisfiedAtMs], [true, 5]);
});

test('the proposed version must be above the current one', () => {
  const same = parsePolicy({ ...JSON.parse(EXAMPLE_POLICY_TEXT), version: 1 });
  assert.throws(
    () => evaluatePolicyChange(current, same, [], 'luis'),
    (e: unknown) => e instanceof DomainError && e.code === 'INVALID_CONFIG' && e.message.startsWith('version:'),
  );
});
