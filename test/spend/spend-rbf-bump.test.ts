// RBF bump: `bumpFee` makes a new proposal (kind bump, replacing the original) that goes through
// approval and a new signing round; broadcast, it replaces the original in the node's mempool, the
// original becomes `replaced`, and after mining the bump is confirmed. Also CPFP from change.
//
// NOTE: bcoin 1.0.2's mempool does not implement BIP125 replacement (it refuses any conflict with
// 'bad-txns-inputs-spent'). The embedded regtest harness adds it (src/adapters/chain/regtest-rbf.ts:
// a conflicting transaction replaces mempool transactions that all signal RBF when it pays more in
// absolute fee and fee rate, plus 1 sat/vB for its own relay). This test exercises replacement
// through that harness code over the node's RPC (sendrawtransaction), not bcoin's own mempool logic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@scure/base';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { bumpFee } from '../../src/app/bump-fee.ts';
import { cpfpFromChange } from '../../src/app/cpfp-from-change.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { FOREIGN, setupGovernance, signAndFinalize, type Governance } from './fixtures.ts';

const regtest = useRegtestNode();

async function approveAndSend(g: Governance, id: number): Promise<string> {
  await approveProposal(g.deps, { actor: 'maria', proposalId: id });
  await approveProposal(g.deps, { actor: 'pedro', proposalId: id });
  await signAndFinalize(g, id);
  return (await broadcastProposal(g.deps, { actor: 'luis', proposalId: id })).txid;
}

forEachEngine('spend RBF bump', (t) => {
  test('the bump replaces the original in the mempool, then confirms', async () => {
    const node = regtest.node();
    const g = await setupGovernance(node, await t.open(), { chain: node.rpcChainSource(), fund: [20_000_000n] });
    const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 5_000_000n }], feeRateSatPerKvb: 1_000n });
    const oldTxid = await approveAndSend(g, proposal.id);
    const mempool = async () => new Set((await node.chainSource().mempool()).map((m) => m.txid));
    assert.ok((await mempool()).has(oldTxid));
    const oldRaw = (await g.spends.proposal(proposal.id))?.finalHex ?? '';

    await assert.rejects(bumpFee(g.deps, { actor: 'luis', proposalId: proposal.id, feeRateSatPerKvb: 1_000n }), { code: 'INVALID_ARGUMENT' }, 'the rate must go up');
    const bump = await bumpFee(g.deps, { actor: 'luis', proposalId: proposal.id, feeRateSatPerKvb: 5_000n });
    assert.equal(bump.proposal.kind, 'bump');
    assert.equal(bump.proposal.replaces, proposal.id);
    assert.equal(bump.proposal.state, 'proposed', 'a new approval and signing round');
    assert.deepEqual(bump.proposal.inputs, proposal.inputs);
    assert.ok(bump.proposal.feeSats > proposal.feeSats);
    assert.equal(bump.proposal.changeSats, proposal.changeSats - (bump.proposal.feeSats - proposal.feeSats));
    await assert.rejects(bumpFee(g.deps, { actor: 'luis', proposalId: proposal.id, feeRateSatPerKvb: 6_000n }), { code: 'INVALID_STATE' }, 'one pending bump at a time');

    const newTxid = await approveAndSend(g, bump.proposal.id);
    const pool = await mempool();
    assert.ok(pool.has(newTxid), 'the bump is in the mempool');
    assert.ok(!pool.has(oldTxid), 'the original left the mempool');
    assert.equal((await g.spends.proposal(proposal.id))?.state, 'replaced');
    assert.equal((await g.spends.proposal(proposal.id))?.replacedBy, bump.proposal.id);

    // The original cannot come back: it pays less than what it would evict.
    const again = await g.deps.chain.broadcast(hex.decode(oldRaw));
    assert.equal(again.accepted, false);
    assert.match(again.accepted ? '' : again.reason, /insufficient fee/);

    await node.mine(1);
    await g.sync();
    await trackProposals(g.deps, { vaultId: g.vault.id });
    assert.equal((await g.spends.proposal(bump.proposal.id))?.state, 'confirmed');
    const bal = await g.vaults.balance(g.vault.id);
    assert.equal(bal.confirmed, 20_000_000n - 5_000_000n - bump.proposal.feeSats);
  });

  test('CPFP: a child spends the change of a broadcast proposal; both confirm', async () => {
    const node = regtest.node();
    const g = await setupGovernance(node, await t.open(), { chain: node.rpcChainSource(), fund: [20_000_000n] });
    const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 5_000_000n }], feeRateSatPerKvb: 1_000n });
    const parentTxid = await approveAndSend(g, proposal.id);
    const child = await cpfpFromChange(g.deps, { actor: 'luis', proposalId: proposal.id, feeRateSatPerKvb: 10_000n });
    assert.equal(child.proposal.kind, 'cpfp');
    assert.equal(child.proposal.parent, proposal.id);
    assert.deepEqual(child.proposal.inputs.map((i) => i.txid), [parentTxid]);
    assert.equal(child.proposal.amountSats, 0n);
    const childTxid = await approveAndSend(g, child.proposal.id);
    const pool = new Set((await node.chainSource().mempool()).map((m) => m.txid));
    assert.ok(pool.has(parentTxid) && pool.has(childTxid));
    await node.mine(1);
    await g.sync();
    await trackProposals(g.deps, { vaultId: g.vault.id });
    assert.equal((await g.spends.proposal(proposal.id))?.state, 'confirmed');
    assert.equal((await g.spends.proposal(child.proposal.id))?.state, 'confirmed');
    const bal = await g.vaults.balance(g.vault.id);
    assert.equal(bal.confirmed, 20_000_000n - 5_000_000n - proposal.feeSats - child.proposal.feeSats);
  });
});
