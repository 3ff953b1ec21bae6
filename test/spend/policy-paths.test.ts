// The three policy outcomes through the use cases, on the embedded regtest node and both engines:
// allow (small, allowlisted: approved at once), deny (not allowlisted: refused and audited) and
// approval required (large: no export before the quorum, nor before the signing delay has passed —
// so no signature can exist early; broadcast checks the delay again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { allowDestination } from '../../src/app/allow-destination.ts';
import { testPolicy } from '../../src/app/test-policy.ts';
import { FOREIGN, policyDoc, setupGovernance, signAndFinalize } from './fixtures.ts';

const regtest = useRegtestNode();
const LISTED = 'bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry';

const policy = policyDoc({
  allowlistDelaySeconds: 3600,
  rules: [
    { id: 'unlisted', when: { destinations: 'not-allowlisted' }, then: 'deny' },
    { id: 'small', when: { maxAmountSats: '10000000' }, then: 'allow' },
    { id: 'large', when: {}, then: { approval: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] }, signingDelaySeconds: 7200 } },
  ],
});

forEachEngine('policy paths', (t) => {
  test('deny, allow and approval-required, each as the policy says', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { policy, fund: [50_000_000n, 50_000_000n] });
    const pay = (address: string, sats: bigint) => proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address, sats }], feeRateSatPerKvb: 1_000n });

    // Deny: not on the allowlist.
    await assert.rejects(pay(FOREIGN, 5_000_000n), { code: 'POLICY_DENIED', message: /rule 'unlisted'/ });
    assert.equal((await g.spends.proposals()).length, 0);
    assert.ok((await g.spends.auditLog()).some((e) => e.action === 'spend.propose.denied' && e.actor === 'luis'));

    // Listed, but the allowlist delay (1 h) has not passed: still denied; one hour later usable.
    await assert.rejects(allowDestination(g.deps, { actor: 'luis', vault: g.vault.name, address: LISTED }), { code: 'FORBIDDEN' });
    await allowDestination(g.deps, { actor: 'ana', vault: g.vault.name, address: LISTED });
    g.clock.advance(3_599_000);
    await assert.rejects(pay(LISTED, 5_000_000n), { code: 'POLICY_DENIED' });
    g.clock.advance(1_000);

    // Allow: small → approved at once, exportable without approvals.
    const small = await pay(LISTED, 5_000_000n);
    assert.equal(small.decision.outcome, 'allow');
    assert.equal(small.proposal.state, 'approved');
    await exportProposal(g.deps, { actor: 'luis', proposalId: small.proposal.id, destination: 'x' });

    // Approval: large → proposed; export refused until the quorum and for 2 h after it.
    const large = await pay(LISTED, 30_000_000n);
    assert.equal(large.decision.outcome, 'approval');
    assert.equal(large.decision.ruleId, 'large');
    assert.equal(large.proposal.state, 'proposed');
    assert.notDeepEqual(large.proposal.inputs, small.proposal.inputs, 'a live proposal holds its coins');
    await assert.rejects(exportProposal(g.deps, { actor: 'luis', proposalId: large.proposal.id, destination: 'x' }), { code: 'APPROVAL_REQUIRED' });
    await approveProposal(g.deps, { actor: 'maria', proposalId: large.proposal.id });
    const quorumAt = g.clock.now() + 60_000;
    g.clock.set(quorumAt);
    assert.equal((await approveProposal(g.deps, { actor: 'pedro', proposalId: large.proposal.id })).state, 'approved');
    g.clock.set(quorumAt + 7_199_999);
    const explained = await testPolicy(g.deps, { proposalId: large.proposal.id });
    assert.match(explained.decision.explanation.join('\n'), /rule 3 'large' matched/);
    assert.equal(explained.readiness.ready, false);
    await assert.rejects(exportProposal(g.deps, { actor: 'luis', proposalId: large.proposal.id, destination: 'x' }), { code: 'APPROVAL_REQUIRED', message: /signing delay/ });
    assert.equal((await g.spends.proposal(large.proposal.id))?.exportedAtMs, null, 'the PSBT never left');
    assert.ok((await g.spends.auditLog()).some((e) => e.action === 'spend.export.refused' && e.object === `proposal:${large.proposal.id}`), 'the refusal is audited');
    g.clock.set(quorumAt + 7_200_000);
    await signAndFinalize(g, large.proposal.id);
    assert.equal((await g.spends.proposal(large.proposal.id))?.exportedAtMs, quorumAt + 7_200_000);
    const sent = await broadcastProposal(g.deps, { actor: 'luis', proposalId: large.proposal.id });
    assert.equal((await g.spends.proposal(large.proposal.id))?.state, 'broadcast');
    assert.ok((await g.node.chainSource().mempool()).some((m) => m.txid === sent.txid), 'in the node mempool');
  });
});
