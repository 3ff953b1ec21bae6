// Cancelling means something (issue #19 item 2): once a proposal's PSBT has gone out for signing,
// signatures may exist outside Soberana, so a flag cannot cancel it — the attack was a proposal
// shown "cancelled" while its transaction confirmed. It is cancelled by replacement: a proposal of
// kind `cancel` spends one of its coins back to the vault (same coin hold, the original's fee plus
// the relay minimum); when that confirms, sync marks the original `conflicted`, and the original's
// transaction can no longer be broadcast. Before export, a plain cancel still works and frees the
// coins. On the embedded regtest node, SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { cancelByReplacement, cancelProposal } from '../../src/app/cancel-proposal.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { FOREIGN, setupGovernance, signAndFinalize } from './fixtures.ts';

const regtest = useRegtestNode();

forEachEngine('cancel after signing', (t) => {
  test('a flag cancels only before export; afterwards a replacement spends a coin back and the original ends conflicted', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n, 100_000_000n] });
    const propose = async () => {
      const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
      await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
      await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
      return proposal;
    };

    // Approved, never exported: a plain cancel, and its coins are free again.
    const early = await propose();
    await assert.rejects(cancelByReplacement(g.deps, { actor: 'luis', proposalId: early.id, feeRateSatPerKvb: 2_000n }), { code: 'INVALID_STATE', message: /cancel it plainly/ });
    await cancelProposal(g.deps, { actor: 'luis', proposalId: early.id, reason: 'wrong amount' });
    assert.equal((await g.spends.coinHolds(g.vault.id)).length, 0);

    // Exported: signatures may exist; a flag is refused.
    const exported = await propose();
    await exportProposal(g.deps, { actor: 'luis', proposalId: exported.id, destination: 'usb' });
    await assert.rejects(cancelProposal(g.deps, { actor: 'luis', proposalId: exported.id }), { code: 'INVALID_STATE', message: /signatures may exist[\s\S]*--replace/ });

    // Signed: the same; cancel by replacement.
    const { txid } = await signAndFinalize(g, exported.id);
    await assert.rejects(cancelProposal(g.deps, { actor: 'luis', proposalId: exported.id }), { code: 'INVALID_STATE' });
    const original = await g.spends.proposal(exported.id);
    assert.ok(original);
    const { proposal: cancel } = await cancelByReplacement(g.deps, { actor: 'luis', proposalId: exported.id, feeRateSatPerKvb: 3_000n, reason: 'signed by mistake' });
    assert.equal(cancel.kind, 'cancel');
    assert.equal(cancel.replaces, exported.id);
    assert.equal(cancel.amountSats, 0n);
    assert.equal(cancel.inputs.length, 1);
    assert.ok(original.inputs.some((i) => i.txid === cancel.inputs[0]?.txid && i.vout === cancel.inputs[0]?.vout), 'spends one of the original\'s coins');
    assert.ok(cancel.feeSats > original.feeSats, 'pays more than the original (BIP125 rule 4)');
    const holds = await g.spends.coinHolds(g.vault.id);
    assert.ok(holds.every((h) => h.familyId === exported.id), 'the replacement shares the original\'s coin hold');
    await assert.rejects(cancelByReplacement(g.deps, { actor: 'luis', proposalId: exported.id, feeRateSatPerKvb: 3_000n }), { code: 'INVALID_STATE', message: /already cancels/ });

    await approveProposal(g.deps, { actor: 'maria', proposalId: cancel.id });
    await approveProposal(g.deps, { actor: 'pedro', proposalId: cancel.id });
    await signAndFinalize(g, cancel.id);
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: cancel.id });
    await g.node.mine(1);
    await g.sync();
    const moves = await trackProposals(g.deps, { vaultId: g.vault.id });
    assert.deepEqual(moves.map((m) => [m.proposalId, m.from, m.to]).sort(), [[cancel.id, 'broadcast', 'confirmed'], [exported.id, 'signed', 'conflicted']].sort());
    await assert.rejects(broadcastProposal(g.deps, { actor: 'luis', proposalId: exported.id }), { code: 'INVALID_STATE' });
    assert.ok(!(await g.node.chainSource().mempool()).some((m) => m.txid === txid), 'the original transaction never reached the network');
    assert.equal((await g.spends.coinHolds(g.vault.id)).length, 0);
  });
});
