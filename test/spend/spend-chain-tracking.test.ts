// Sync follows spend proposals on the chain (issue #11: "reads never write; tracking happens in
// sync, including reorgs", and "a broadcast is recorded before the network call as broadcasting"):
// - a confirmed proposal whose block is reorged out goes back to `broadcast` with an alert, and
//   confirms again when mined;
// - a confirmed proposal whose coins a foreign, conflicting transaction spends on the winning
//   chain becomes `conflicted` with an alert, and its coins are released;
// - a crash after the node accepted the transaction but before the answer was recorded leaves
//   `broadcasting`, and sync moves it to `broadcast`;
// - a crash before the node got it: sync leaves it alone during the grace period, then moves it
//   back to `signed`, and it can be broadcast again;
// - a signed proposal's transaction broadcast outside Soberana becomes `broadcast` with an alert.
// On the embedded regtest node, SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { hex } from '@scure/base';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { trackProposals, BROADCAST_GRACE_MS } from '../../src/app/track-proposals.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { createPsbt, combinePsbts, extractTransaction, finalizePsbt } from '../../src/core/bitcoin/psbt.ts';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import { FOREIGN, setupGovernance, signAndFinalize, signAs, type Governance } from './fixtures.ts';

const regtest = useRegtestNode();

/** Propose 0.3 BTC to FOREIGN, both institutions approve, sign and finalize: a `signed` proposal. */
async function signedProposal(g: Governance): Promise<{ id: number; txid: string }> {
  const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
  await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
  await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
  const { txid } = await signAndFinalize(g, proposal.id);
  return { id: proposal.id, txid };
}

async function syncAndTrack(g: Governance) {
  await g.sync();
  return trackProposals(g.deps, { vaultId: g.vault.id });
}

async function stateOf(g: Governance, id: number): Promise<string | undefined> {
  return (await g.spends.proposal(id))?.state;
}

forEachEngine('spend chain tracking', (t) => {
  test('a confirmed proposal reorged out goes back to broadcast (alert), then confirms again; a conflicting foreign spend makes it conflicted', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n, 100_000_000n] });
    const a = await signedProposal(g);
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: a.id });
    const [blockA] = await g.node.mine(1);
    assert.deepEqual((await syncAndTrack(g)).map((c) => [c.proposalId, c.from, c.to]), [[a.id, 'broadcast', 'confirmed']]);
    assert.equal((await g.spends.coinHolds(g.vault.id)).length, 0, 'a confirmed proposal releases its coins');

    // Reorg: the block leaves the chain, its transaction returns to the mempool.
    await g.node.invalidateBlock(blockA ?? '', { resubmit: true });
    const reorged = await syncAndTrack(g);
    assert.equal(reorged.length, 1);
    assert.deepEqual([reorged[0]?.from, reorged[0]?.to], ['confirmed', 'broadcast']);
    assert.match(reorged[0]?.alert ?? '', /left the chain in a reorg/);
    assert.equal(await stateOf(g, a.id), 'broadcast');
    const entry = (await g.spends.auditLog()).find((e) => e.action === 'spend.reorged' && e.object === `proposal:${a.id}`);
    assert.ok(entry, 'the reorg is in the audit log');
    assert.equal(entry.actor, 'system');
    assert.deepEqual((await g.spends.coinHolds(g.vault.id)).map((h) => h.proposalId), (await g.spends.proposal(a.id))?.inputs.map(() => a.id), 'live again: it holds its coins again');

    await g.node.mine(1);
    assert.deepEqual((await syncAndTrack(g)).map((c) => [c.from, c.to]), [['broadcast', 'confirmed']]);

    // Reorg again, this time the winning chain confirms someone else's spend of the same coin.
    const p = await g.spends.proposal(a.id);
    assert.ok(p);
    const tip = (await g.node.chainSource().tip()).hash;
    await g.node.invalidateBlock(tip, { resubmit: false });
    const input = p.inputs[0];
    assert.ok(input);
    const unsigned = createPsbt({ network: 'regtest', descriptor: g.vault.descriptor as string, rbf: true, inputs: [{ txid: input.txid, vout: input.vout, value: input.value, change: input.branch === 1, index: input.index }], outputs: [{ address: 'bcrt1q6rhpng9evdsfnn833a4f4vej0asu6dk5srld6x', value: input.value - 10_000n }] });
    const signed = combinePsbts([signAs(g, 0, unsigned), signAs(g, 1, unsigned)]);
    const foreign = extractTransaction(finalizePsbt(signed, { network: 'regtest', descriptor: g.vault.descriptor as string }));
    const sent = await g.node.submitTx(hex.decode(foreign.hex));
    assert.ok(sent.accepted, sent.accepted ? '' : sent.reason);
    await g.node.mine(2);
    const conflicted = await syncAndTrack(g);
    assert.deepEqual(conflicted.map((c) => [c.proposalId, c.from, c.to]), [[a.id, 'confirmed', 'conflicted']]);
    assert.match(conflicted[0]?.alert ?? '', new RegExp(`conflicting transaction ${foreign.txid} confirmed instead`));
    assert.equal((await g.spends.coinHolds(g.vault.id)).length, 0, 'a conflicted proposal holds nothing');
    assert.equal((await verifyAuditLog({ spends: g.spends })).ok, true);
  });

  test('a crash after the node accepted, or before it got the transaction, is settled by sync; a transaction broadcast elsewhere is followed', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n, 100_000_000n, 100_000_000n] });
    const real = g.node.chainSource();
    // The process "dies" right after the node answered (the answer is never recorded)…
    const diesAfter: ChainSource = Object.assign(Object.create(real) as ChainSource, {
      broadcast: async (raw: Uint8Array) => {
        await real.broadcast(raw);
        throw new Error('simulated crash: the process died before recording the answer');
      },
    });
    // …or before the node got it.
    const diesBefore: ChainSource = Object.assign(Object.create(real) as ChainSource, {
      broadcast: async () => {
        throw new Error('simulated crash: the process died before reaching the node');
      },
    });

    const a = await signedProposal(g);
    await assert.rejects(broadcastProposal({ ...g.deps, chain: diesAfter }, { actor: 'luis', proposalId: a.id }), /simulated crash/);
    assert.equal(await stateOf(g, a.id), 'broadcasting', 'recorded before the node was asked');
    assert.deepEqual((await syncAndTrack(g)).map((c) => [c.proposalId, c.from, c.to]), [[a.id, 'broadcasting', 'broadcast']], 'the node has it: broadcast');

    const b = await signedProposal(g);
    await assert.rejects(broadcastProposal({ ...g.deps, chain: diesBefore }, { actor: 'luis', proposalId: b.id }), /simulated crash/);
    assert.equal(await stateOf(g, b.id), 'broadcasting');
    assert.deepEqual(await syncAndTrack(g), [], 'within the grace period a broadcast may still be in flight');
    g.clock.advance(BROADCAST_GRACE_MS);
    assert.deepEqual((await syncAndTrack(g)).map((c) => [c.proposalId, c.from, c.to]), [[b.id, 'broadcasting', 'signed']], 'the node never got it: signed again');
    const sent = await broadcastProposal(g.deps, { actor: 'luis', proposalId: b.id });
    assert.equal(sent.txid, b.txid);
    assert.equal(await stateOf(g, b.id), 'broadcast');

    // Signed in Soberana, broadcast by someone else: sync follows it and says so.
    const c = await signedProposal(g);
    const finalHex = (await g.spends.proposal(c.id))?.finalHex;
    assert.ok(finalHex);
    assert.ok((await g.node.submitTx(hex.decode(finalHex))).accepted);
    const seen = await syncAndTrack(g);
    assert.deepEqual(seen.map((x) => [x.proposalId, x.from, x.to]), [[c.id, 'signed', 'broadcast']]);
    assert.match(seen[0]?.alert ?? '', /Soberana did not broadcast it/);

    await g.node.mine(1);
    const confirmed = await syncAndTrack(g);
    assert.deepEqual(confirmed.map((x) => x.proposalId).sort(), [a.id, b.id, c.id].sort());
    assert.ok(confirmed.every((x) => x.to === 'confirmed'));
    assert.equal((await verifyAuditLog({ spends: g.spends })).ok, true);
  });
});
