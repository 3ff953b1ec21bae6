// Shared setup for the policy tests: the example policy from docs/ and a context builder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyJson } from '../../src/core/policy/parse-policy.ts';
import type { Policy, PolicyContext, PolicyDecision } from '../../src/core/policy/types.ts';

export const EXAMPLE_POLICY_TEXT = readFileSync(join(import.meta.dirname, '../../docs/examples/policy.json'), 'utf8');
export const examplePolicy = (): Policy => parsePolicyJson(EXAMPLE_POLICY_TEXT);

export const BTC = 100_000_000n;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Monday 5 January 2026, 10:00 UTC: office hours. */
export const MONDAY_10H = Date.UTC(2026, 0, 5, 10, 0, 0);
export const PAYEE = 'bc1qpayee0000000000000000000000000000000';
export const PAYEE2 = 'bc1qpayee2000000000000000000000000000000';

/** A 1,000 BTC vault paying a long-allowlisted address during office hours, nothing spent this week. */
export function context(over: Partial<PolicyContext> & { sats?: bigint } = {}): PolicyContext {
  const sats = over.sats ?? 50_000_000n;
  return {
    vaultId: 'reserve',
    proposer: { id: 'luis', roles: ['treasury-operator'] },
    outputs: [{ address: PAYEE, sats }],
    totalSats: sats,
    vaultBalanceSats: 1_000n * BTC,
    nowMs: MONDAY_10H,
    recentSpends: [],
    allowlist: [{ address: PAYEE, addedAtMs: MONDAY_10H - 30 * DAY }],
    price: null,
    ...over,
  };
}

/** The decision, narrowed to an approval (fails the test when it is not one). */
export function approvalOf(d: PolicyDecision): Extract<PolicyDecision, { outcome: 'approval' }> {
  if (d.outcome !== 'approval') throw new Error(`expected an approval decision, got ${d.outcome} (${d.explanation.join(' | ')})`);
  return d;
}
