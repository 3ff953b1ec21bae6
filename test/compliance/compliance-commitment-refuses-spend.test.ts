// A programme commitment is enforced before signing (issue #15), on the embedded regtest node and
// both engines: under "sales only from the Bitcoin Office", a proposal from the reserve that is a
// sale (its memo says so) is refused with COMMITMENT_BREACH naming the commitment, audited, and
// nothing is recorded; a payment and a transfer to another registered wallet are allowed. A
// commitment recorded after a proposal was approved stops its export for signing. Without the
// compliance gate the same sale would be accepted (the gate is what refuses); once that sale is
// signed and mined, its memo classifies it as a sale on the chain and monitoring raises the alert.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { FOREIGN, setupGovernance, signAndFinalize } from '../spend/fixtures.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { registerHistory } from '../../src/app/compliance/flows.ts';
import { monitorCommitments } from '../../src/app/compliance/commitments.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { complianceGate } from '../../src/app/compliance/spend-gate.ts';
import { addRegisterEntry } from '../../src/app/compliance/register.ts';
import { addCommitment } from '../../src/app/compliance/commitments.ts';
import { buildServer } from '../../src/server/app.ts';
import { serverDepsFor } from '../../src/server/database-deps.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';

const regtest = useRegtestNode();
/** A regtest address of the Bitcoin Office's published wallet (watch-only). */
const OFFICE = 'miB6ARJk6MhME5DduTdjAaeXYPLcADWZYD';

const commitment = (id: string, title: string, classes: string[]) => JSON.stringify({
  id, version: 1, title, effectiveFrom: '2025-02-26', source: 'IMF EFF structural benchmark (test)',
  rule: { kind: 'sales-only-from', from: ['Bitcoin Office (published)'], classes },
});

forEachEngine('commitments enforced before signing', (t) => {
  test('a sale from the reserve is refused with the commitment named; a payment and an internal transfer are not; export stops under a later commitment', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n, 100_000_000n, 100_000_000n, 100_000_000n] });
    const compliance = new SqlComplianceStore(db);
    const cdeps = { compliance, vaults: g.vaults, now: g.clock.now };
    const by = { actor: 'rosa', role: 'admin' };
    await addVault({ store: g.vaults }, { name: 'Bitcoin Office (published)', network: 'regtest', addresses: [OFFICE], birthday: { height: regtest.node().height() }, now: '2026-01-01T00:00:00Z' });
    await addRegisterEntry(cdeps, by, { vault: g.vault.name, owner: 'Central Reserve Bank', legalBasis: 'Bitcoin Law (2021)', purpose: 'national reserve', joinedOn: '2021-09-07' });
    await addRegisterEntry(cdeps, by, { vault: 'Bitcoin Office (published)', owner: 'Bitcoin Office', legalBasis: 'Decree 2022-11', purpose: 'purchases and sales', joinedOn: '2022-11-17' });
    await addCommitment(cdeps, by, commitment('sales-office-only', 'Sales only by the Bitcoin Office', ['sale']));
    const deps: GovernanceDeps = { ...g.deps, compliance: complianceGate({ compliance, vaults: g.vaults }) };
    const propose = (memo: string, address = FOREIGN, d = deps) => proposeSpend(d, { actor: 'luis', vault: g.vault.name, payments: [{ address, sats: 50_000_000n }], feeRateSatPerKvb: 2_000n, memo });

    const before = (await g.spends.proposals(g.vault.id)).length;
    await assert.rejects(propose('Sale of 0.5 BTC to an exchange'), {
      code: 'COMMITMENT_BREACH',
      message: /^refused before signing by commitment 'sales-office-only' version 1 \("Sales only by the Bitcoin Office"\): this spend would be a sale: sale from reserve-\d+, which may not \(only from bitcoin-office-published\)$/,
    });
    assert.equal((await g.spends.proposals(g.vault.id)).length, before, 'nothing recorded');
    const denied = (await readAuditLog(db.db)).filter((e) => e.action === 'spend.propose.denied');
    assert.equal(denied.length, 1);
    assert.deepEqual((denied[0]?.details as { commitment: { id: string } }).commitment.id, 'sales-office-only');

    // The same sale through the HTTP API (the server's deps as `soberana serve` builds them): refused too.
    const server = await buildServer({ ...(await serverDepsFor(db, 'regtest', { dashboard: false })), rateLimit: null });
    try {
      const luis = (await new SqlApiTokenStore(db).create({ name: 'luis', role: 'operator', memberId: (await g.spends.members()).find((m) => m.name === 'luis')?.id ?? 'luis' })).token;
      const res = await server.inject({ method: 'POST', url: '/api/v1/proposals', headers: { authorization: `Bearer ${luis}` }, payload: { vault: g.vault.name, payments: [{ address: FOREIGN, sats: '50000000' }], feeRateSatPerVb: '2', memo: 'Sale of 0.5 BTC to an exchange' } });
      assert.equal(res.statusCode, 422, res.body);
      assert.equal(res.json().error.code, 'COMMITMENT_BREACH');
      assert.match(res.json().error.message, /commitment 'sales-office-only'/);
    } finally {
      await server.close();
    }
    assert.equal((await g.spends.proposals(g.vault.id)).length, before, 'nothing recorded through the API either');

    const pay = await propose('Payment to a supplier, invoice 42');
    assert.equal(pay.decision.outcome, 'approval', 'a payment: the policy decides as usual');
    const internal = await propose('Sale desk float moved to the Bitcoin Office', OFFICE);
    assert.notEqual(internal.decision.outcome, 'deny', 'to another registered wallet: internal, not a sale');
    const bypass = await propose('Sale of 0.5 BTC to an exchange', FOREIGN, g.deps);
    assert.equal(bypass.decision.outcome, 'approval', 'without the gate the sale would pass: the gate is what refuses');
    // Signed and broadcast without the gate (another tool): on the chain it is a sale, and monitoring says so.
    await approveProposal(g.deps, { actor: 'maria', proposalId: bypass.proposal.id });
    await approveProposal(g.deps, { actor: 'pedro', proposalId: bypass.proposal.id });
    const { txid } = await signAndFinalize(g, bypass.proposal.id);
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: bypass.proposal.id });
    await regtest.node().mineBlockAt(Math.floor(Date.now() / 1000)); // dated today: the register's wallets joined in 2021 (the node's own blocks are dated 2012)
    await g.sync();
    const flow = (await registerHistory({ ...cdeps, spends: g.spends })).flows.find((f) => f.txid === txid);
    assert.equal(flow?.class, 'sale', 'the proposal\'s memo labels its transaction');
    assert.match(flow?.reason ?? '', /labelled as a sale \(".*Sale of 0\.5 BTC to an exchange"\)/);
    assert.equal((await registerHistory(cdeps)).flows.find((f) => f.txid === txid)?.class, 'payment', 'without the memo: a payment');
    const alerts = await monitorCommitments({ ...cdeps, spends: g.spends });
    assert.deepEqual(alerts.raised.map((a) => [a.commitmentId, a.txid]), [['sales-office-only', txid]]);

    // A commitment recorded after approval: the payment may not go out for signing any more.
    await approveProposal(deps, { actor: 'maria', proposalId: pay.proposal.id });
    await approveProposal(deps, { actor: 'pedro', proposalId: pay.proposal.id });
    assert.equal((await g.spends.proposal(pay.proposal.id))?.state, 'approved');
    await addCommitment(cdeps, by, commitment('outflows-office-only', 'Every outflow through the Bitcoin Office', ['sale', 'payment']));
    await assert.rejects(exportProposal(deps, { actor: 'luis', proposalId: pay.proposal.id, destination: 'test' }), {
      code: 'COMMITMENT_BREACH',
      message: /cannot go out for signing yet: refused by commitment 'outflows-office-only' version 1 .*this spend would be a payment/,
    });
    assert.ok((await readAuditLog(db.db)).some((e) => e.action === 'spend.export.refused'), 'the refused export is audited');
  });
});
