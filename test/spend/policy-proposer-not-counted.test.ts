// The proposer's own approval never counts, even when the proposer is an approver in the group the
// rule needs; through the use cases and the store, on the regtest node and both engines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { approvePolicy } from '../../src/app/approve-policy.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { FOREIGN, setupGovernance } from './fixtures.ts';

const regtest = useRegtestNode();

forEachEngine('proposer not counted', (t) => {
  test("fiona proposes and approves: her approval is recorded, not counted; maria's completes finance", async () => {
    const g = await setupGovernance(regtest.node(), await t.open());
    // A new approver is a governed change once a policy is active: the quorum approves her.
    const added = await addMember(g.deps, { actor: 'ana', name: 'fiona', roles: ['operator', 'approver'], groups: ['finance'] });
    assert.ok(added.pending);
    for (const approver of ['maria', 'marta', 'pedro']) await approvePolicy(g.deps, { actor: approver, changeId: added.pending.changeId });
    assert.ok(await g.spends.findMember('fiona'));
    const { proposal } = await proposeSpend(g.deps, { actor: 'fiona', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 10_000_000n }], feeRateSatPerKvb: 1_000n });
    assert.equal(proposal.state, 'proposed');
    let r = await approveProposal(g.deps, { actor: 'fiona', proposalId: proposal.id });
    assert.equal(r.state, 'proposed');
    r = await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
    assert.equal(r.state, 'proposed', 'central-bank is in, finance is still missing');
    assert.match(r.status.missing, /needs 1 more approval from finance/);
    assert.match(r.status.missing, /the proposer's own approval does not count/);
    r = await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
    assert.equal(r.state, 'approved');
    assert.equal((await g.spends.approvals(proposal.id)).length, 3, 'every approval is recorded');
    const fionaEntry = (await g.spends.auditLog()).find((e) => e.action === 'spend.approve' && e.actor === 'fiona');
    assert.equal((fionaEntry?.details as { counted: boolean }).counted, false);
  });
});
