// Rolling-window velocity through the use case (proposals recorded in the store count, cancelled
// ones do not), at its boundaries: ≤ 1 BTC per day is allowed, beyond is denied; a spend exactly
// one window ago is outside the window, one a millisecond later inside. Regtest, both engines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { cancelProposal } from '../../src/app/cancel-proposal.ts';
import { FOREIGN, T0, policyDoc, setupGovernance } from './fixtures.ts';

const regtest = useRegtestNode();
const DAY = 86_400_000;
const policy = policyDoc({
  rules: [
    { id: 'daily-limit', when: { velocity: { windowSeconds: 86_400, maxSats: '100000000' } }, then: 'allow' },
    { id: 'over-limit', when: {}, then: 'deny' },
  ],
});

forEachEngine('policy velocity window', (t) => {
  test('≤ 1 BTC per rolling day: boundaries of amount and time', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { policy, fund: [70_000_000n, 50_000_000n, 70_000_000n, 10_000_000n, 10_000_000n] });
    // force: a 1,000-sat payment would otherwise stop at the fee cap before the policy is asked.
    const pay = (sats: bigint) => proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats }], feeRateSatPerKvb: 1_000n, force: true });

    g.clock.set(T0);
    const first = await pay(60_000_000n);
    assert.equal(first.proposal.state, 'approved');
    g.clock.set(T0 + 3_600_000);
    const second = await pay(40_000_000n); // 0.6 + 0.4 = 1.0 BTC: exactly the limit
    assert.equal(second.decision.ruleId, 'daily-limit');
    await assert.rejects(pay(1_000n), { code: 'POLICY_DENIED', message: /over-limit/ }, '1 BTC + 1000 sats');

    // Cancelled proposals do not count.
    await cancelProposal(g.deps, { actor: 'luis', proposalId: second.proposal.id, reason: 'test' });
    const third = await pay(40_000_000n);
    assert.equal(third.proposal.state, 'approved');

    // One millisecond before a full day after the first: it still counts.
    g.clock.set(T0 + DAY - 1);
    await assert.rejects(pay(1_000n), { code: 'POLICY_DENIED' });
    // Exactly one day after the first: it is outside; 0.4 (third) + 0.6 = 1.0 BTC again.
    g.clock.set(T0 + DAY);
    const fourth = await pay(60_000_000n);
    assert.equal(fourth.proposal.state, 'approved');
    const d = fourth.decision.explanation.join('\n');
    assert.match(d, /spent in the last 1 d 40000000 sats \+ this 60000000 sats = 100000000 sats ≤ limit 100000000 sats/);
  });
});
