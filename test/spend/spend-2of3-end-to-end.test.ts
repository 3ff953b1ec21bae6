// Spend governance end to end on the embedded regtest node, on SQLite and PostgreSQL: a 2-of-3
// vault; propose → policy requires 1 of finance AND 1 of central-bank → two approvals → export to a
// file → two software signers each sign the exported file SEPARATELY → import both partial PSBTs →
// finalize → broadcast (policy re-evaluated) → mine → sync: the balance moves by amount + fee, the
// history shows the payment, the proposal is confirmed, and the audit log verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64 } from '@scure/base';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { importPartialPsbt } from '../../src/app/import-partial-psbt.ts';
import { finalizeProposal } from '../../src/app/finalize-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { FOREIGN, setupGovernance, signAs } from './fixtures.ts';

const regtest = useRegtestNode();

forEachEngine('spend 2-of-3 end to end', (t) => {
  test('propose, approve by two institutions, sign separately, import, finalize, broadcast, confirm', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [60_000_000n, 40_000_000n] });
    const before = await g.vaults.balance(g.vault.id);
    assert.equal(before.confirmed, 100_000_000n);

    const { proposal, decision } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 70_000_000n }], feeRateSatPerKvb: 2_000n, memo: 'settlement #1' });
    assert.equal(decision.outcome, 'approval');
    assert.equal(proposal.state, 'proposed');
    assert.equal(proposal.inputs.length, 2, 'needs both coins');
    assert.ok(proposal.changeSats > 0n && proposal.changeIndex !== null);
    assert.equal(proposal.inputs.reduce((s, i) => s + i.value, 0n), 70_000_000n + proposal.changeSats + proposal.feeSats);

    // Not approved yet: no export.
    await assert.rejects(exportProposal(g.deps, { actor: 'luis', proposalId: proposal.id, destination: 'x' }), { code: 'APPROVAL_REQUIRED' });
    g.clock.advance(60_000);
    let a = await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
    assert.equal(a.state, 'proposed');
    assert.match(a.status.missing, /central-bank/);
    g.clock.advance(60_000);
    a = await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
    assert.equal(a.state, 'approved');

    const dir = mkdtempSync(join(tmpdir(), 'soberana-spend-'));
    try {
      const file = join(dir, 'unsigned.psbt');
      const { psbt } = await exportProposal(g.deps, { actor: 'luis', proposalId: proposal.id, destination: file });
      writeFileSync(file, base64.decode(psbt));
      // Two institutions, each with only the exported file and its own key.
      writeFileSync(join(dir, 'finance.psbt'), base64.decode(signAs(g, 0, readFileSync(file))));
      writeFileSync(join(dir, 'central-bank.psbt'), base64.decode(signAs(g, 2, readFileSync(file))));

      await assert.rejects(finalizeProposal(g.deps, { actor: 'luis', proposalId: proposal.id }), { code: 'PSBT_INCOMPLETE' });
      const i1 = await importPartialPsbt(g.deps, { actor: 'luis', proposalId: proposal.id, psbt: readFileSync(join(dir, 'finance.psbt')) });
      assert.equal(i1.added, 2, 'one signature per input');
      assert.equal(i1.complete, false);
      const i2 = await importPartialPsbt(g.deps, { actor: 'luis', proposalId: proposal.id, psbt: readFileSync(join(dir, 'central-bank.psbt')) });
      assert.equal(i2.added, 2);
      assert.equal(i2.complete, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const fin = await finalizeProposal(g.deps, { actor: 'luis', proposalId: proposal.id });
    assert.equal(fin.fee, proposal.feeSats);
    assert.ok(fin.fee * 1000n >= 2_000n * BigInt(fin.vsize), 'pays at least the proposed rate');
    const b = await broadcastProposal(g.deps, { actor: 'luis', proposalId: proposal.id });
    assert.equal(b.txid, fin.txid);
    assert.equal((await g.spends.proposal(proposal.id))?.state, 'broadcast');

    await g.node.mine(1);
    await g.sync();
    const changed = await trackProposals(g.deps, { vaultId: g.vault.id });
    assert.deepEqual(changed.map((c) => [c.proposalId, c.from, c.to]), [[proposal.id, 'broadcast', 'confirmed']]);
    assert.equal((await g.spends.proposal(proposal.id))?.state, 'confirmed');

    const after = await g.vaults.balance(g.vault.id);
    assert.equal(after.confirmed, before.confirmed - 70_000_000n - fin.fee);
    assert.equal(after.unconfirmed, 0n);
    const tx = (await g.vaults.transactions(g.vault.id)).find((x) => x.txid === fin.txid);
    assert.ok(tx, 'history shows the spend');
    assert.equal(tx.height, g.node.height());
    assert.equal(tx.spent, 100_000_000n);
    assert.equal(tx.received, proposal.changeSats);
    assert.equal(tx.fee, fin.fee);
    assert.equal(tx.category, 'payment');

    const audit = await verifyAuditLog({ spends: g.spends });
    assert.equal(audit.ok, true);
    const actions = (await g.spends.auditLog()).map((e) => `${e.actor}:${e.action}`);
    for (const want of ['luis:spend.propose', 'maria:spend.approve', 'pedro:spend.approve', 'luis:spend.export', 'luis:spend.import', 'luis:spend.finalize', 'luis:spend.broadcast', 'system:spend.confirmed']) {
      assert.ok(actions.includes(want), `audit log has ${want}`);
    }
  });
});
