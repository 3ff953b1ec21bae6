// Policy documents are parsed strictly: every refusal is INVALID_CONFIG and names the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, parsePolicyJson } from '../../src/core/policy/parse-policy.ts';
import { DomainError } from '../../src/core/errors.ts';
import { EXAMPLE_POLICY_TEXT } from './fixtures.ts';

const example = (): Record<string, unknown> & { rules: Record<string, unknown>[] } => JSON.parse(EXAMPLE_POLICY_TEXT) as never;

test('the example policy in docs/ parses into the typed form', () => {
  const p = parsePolicyJson(EXAMPLE_POLICY_TEXT);
  assert.equal(p.version, 1);
  assert.deepEqual(p.groups, ['finance', 'central-bank', 'security-office']);
  assert.equal(p.allowlistDelaySeconds, 72 * 3600);
  assert.deepEqual(p.rules.map((r) => r.id), ['unlisted-destination', 'small-office-hours', 'small-after-hours', 'weekly-limit-office-hours', 'weekly-limit-after-hours', 'above-limits']);
  assert.equal(p.rules[1]?.when.maxAmountSats, 100_000_000n);
  assert.deepEqual(p.rules[1]?.when.timeOfDayUtc, { fromMinute: 480, toMinute: 1080 });
  assert.deepEqual(p.rules[3]?.when.velocity, { windowSeconds: 604_800, maxSats: 10_000_000_000n });
  assert.deepEqual(p.rules[0]?.then, { outcome: 'deny' });
});

const cases: [string, (d: ReturnType<typeof example>) => unknown, string][] = [
  ['not JSON', () => '{', 'policy is not valid JSON'],
  ['not an object', () => [], 'policy: expected an object'],
  ['unknown top-level field', (d) => ({ ...d, rulez: [] }), 'rulez: unknown field'],
  ['version zero', (d) => ({ ...d, version: 0 }), 'version: expected a whole number from 1'],
  ['fractional version', (d) => ({ ...d, version: 1.5 }), 'version: expected a whole number'],
  ['no groups', (d) => ({ ...d, groups: [] }), 'groups: expected a non-empty list'],
  ['duplicate group', (d) => ({ ...d, groups: ['finance', 'finance'] }), 'groups: "finance" is listed twice'],
  ['bad group name', (d) => ({ ...d, groups: ['Finance Ministry'] }), 'groups[0]: "Finance Ministry" is not a valid name'],
  ['missing policyChange', (d) => ({ ...d, policyChange: undefined }), 'policyChange: missing'],
  ['undeclared group', (d) => ({ ...d, policyChange: { group: 'treasury', count: 1 } }), 'policyChange.group: "treasury" is not one of the declared groups'],
  ['zero count', (d) => ({ ...d, policyChange: { group: 'finance', count: 0 } }), 'policyChange.count: expected a whole number from 1'],
  ['empty all', (d) => ({ ...d, policyChange: { all: [] } }), 'policyChange.all: expected a non-empty list'],
  ['no rules', (d) => ({ ...d, rules: [] }), 'rules: expected a non-empty list'],
  ['duplicate rule id', (d) => ({ ...d, rules: [d.rules[0], d.rules[0]] }), 'rules[1].id: "unlisted-destination" is used by an earlier rule'],
  ['misspelt condition', (d) => ({ ...d, rules: [{ id: 'x', when: { maxAmountSat: '1' }, then: 'deny' }] }), 'rules[0].when.maxAmountSat: unknown field'],
  ['amount as a number', (d) => ({ ...d, rules: [{ id: 'x', when: { maxAmountSats: 100000000 }, then: 'deny' }] }), 'rules[0].when.maxAmountSats: expected a whole number of sats as a string'],
  ['amount above 21M BTC', (d) => ({ ...d, rules: [{ id: 'x', when: { maxAmountSats: '2100000000000001' }, then: 'deny' }] }), 'rules[0].when.maxAmountSats: 2100000000000001 sats is more than 21 million BTC'],
  ['bad time', (d) => ({ ...d, rules: [{ id: 'x', when: { timeOfDayUtc: { from: '8:00', to: '18:00' } }, then: 'deny' }] }), 'rules[0].when.timeOfDayUtc.from: expected a UTC time as "HH:MM"'],
  ['empty window', (d) => ({ ...d, rules: [{ id: 'x', when: { timeOfDayUtc: { from: '08:00', to: '08:00' } }, then: 'deny' }] }), 'rules[0].when.timeOfDayUtc: "from" and "to" are equal'],
  ['bps above 100%', (d) => ({ ...d, rules: [{ id: 'x', when: { maxShareOfBalanceBps: 10001 }, then: 'deny' }] }), 'rules[0].when.maxShareOfBalanceBps: expected a whole number from 0 to 10000'],
  ['bad destinations', (d) => ({ ...d, rules: [{ id: 'x', when: { destinations: 'whitelisted' }, then: 'deny' }] }), 'rules[0].when.destinations: expected one of allowlisted, not-allowlisted'],
  ['zero window', (d) => ({ ...d, rules: [{ id: 'x', when: { velocity: { windowSeconds: 0, maxSats: '1' } }, then: 'deny' }] }), 'rules[0].when.velocity.windowSeconds: expected a whole number from 1'],
  ['missing then', (d) => ({ ...d, rules: [{ id: 'x' }] }), 'rules[0].then: missing'],
  ['bad outcome word', (d) => ({ ...d, rules: [{ id: 'x', then: 'approve' }] }), 'rules[0].then: expected "allow", "deny" or { "approval": … }, got "approve"'],
  ['approval without requirement', (d) => ({ ...d, rules: [{ id: 'x', then: { signingDelaySeconds: 5 } }] }), 'rules[0].then.approval: missing'],
  ['negative delay', (d) => ({ ...d, rules: [{ id: 'x', then: { approval: { group: 'finance', count: 1 }, signingDelaySeconds: -1 } }] }), 'rules[0].then.signingDelaySeconds: expected a whole number from 0'],
  ['undeclared group in a rule', (d) => ({ ...d, rules: [{ id: 'x', then: { approval: { any: [{ group: 'finance', count: 1 }, { group: 'fnance', count: 1 }] } } }] }), 'rules[0].then.approval.any[1].group: "fnance" is not one of the declared groups'],
];

for (const [name, mutate, expected] of cases) {
  test(`refused with the field named: ${name}`, () => {
    const value = mutate(example());
    const run = typeof value === 'string' ? () => parsePolicyJson(value) : () => parsePolicy(value);
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof DomainError, String(e));
      assert.equal(e.code, 'INVALID_CONFIG');
      assert.ok(e.message.startsWith(expected), `message: ${e.message}`);
      return true;
    });
  });
}

test('a requirement with too many alternatives is refused (AND of ORs multiplies)', () => {
  const or = { any: Array.from({ length: 4 }, () => ({ group: 'finance', count: 1 })) };
  const d = { ...example(), policyChange: { all: [or, or, or, or, or] } }; // 4^5 = 1024 alternatives
  assert.throws(() => parsePolicy(d), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_CONFIG' && e.message.startsWith('policyChange: too many ways'));
});
