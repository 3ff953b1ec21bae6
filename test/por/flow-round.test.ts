// Proof of reserves as a governed round, on SQLite and PostgreSQL with one regtest node for the
// file: create (snapshot of the vault's confirmed coins at a block) → approvals by the policy's
// governance quorum → export → two institutions sign the exported file separately → import both →
// finalize → the proof file verifies against the node. A PSBT that could move coins (an extra
// output paying someone, the commitment input gone) is refused at import; concurrent finalizations
// produce one proof; every step is in the audit log, which still verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Psbt, address as bAddress, networks } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { setupGovernance, signAs, FOREIGN, type Governance } from '../spend/fixtures.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { rpcProofChainView } from '../../src/adapters/chain/por-rpc-view.ts';
import { approveProof, createProof, exportProof, finalizeProof, importProofSignatures, publishProof, type ProofDeps } from '../../src/app/por/proof-round.ts';
import { parseProofFile } from '../../src/core/por/proof-file.ts';
import { verifyProof } from '../../src/core/por/verify.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';

const regtest = useRegtestNode();

function proofDeps(g: Governance): ProofDeps {
  return { ...g.deps, proofs: new SqlProofStore(g.db) };
}

async function approvedRound(g: Governance, deps: ProofDeps, message = 'Reserves of the test republic') {
  const { round } = await createProof(deps, { actor: 'luis', vaults: [g.vault.name], message });
  for (const a of ['maria', 'marta', 'pedro']) await approveProof(deps, { actor: a, proofId: round.id });
  return round;
}

forEachEngine('proof of reserves round', (t) => {
  test('create, approve by quorum, export, two separate signatures, finalize: the proof verifies against the node', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [60_000_000n, 40_000_000n] });
    const deps = proofDeps(g);
    const { round } = await createProof(deps, { actor: 'luis', vaults: [g.vault.name], message: 'Reserves of the test republic' });
    assert.equal(round.state, 'proposed');
    assert.equal(round.coins.length, 2);
    assert.equal(round.totalSats, 100_000_000n);
    assert.equal(round.height, g.node.height());

    await assert.rejects(exportProof(deps, { actor: 'luis', proofId: round.id, destination: 'x' }), { code: 'APPROVAL_REQUIRED' });
    await assert.rejects(approveProof(deps, { actor: 'luis', proofId: round.id }), { code: 'FORBIDDEN' }, 'an operator is not an approver');
    let a = await approveProof(deps, { actor: 'maria', proofId: round.id });
    assert.equal(a.state, 'proposed');
    await assert.rejects(approveProof(deps, { actor: 'maria', proofId: round.id }), { code: 'ALREADY_EXISTS' });
    a = await approveProof(deps, { actor: 'marta', proofId: round.id });
    assert.equal(a.state, 'proposed', 'the governance quorum also needs the central bank');
    a = await approveProof(deps, { actor: 'pedro', proofId: round.id });
    assert.equal(a.state, 'approved');

    const { psbt } = await exportProof(deps, { actor: 'luis', proofId: round.id, destination: 'unsigned.psbt' });
    await assert.rejects(finalizeProof(deps, { actor: 'luis', proofId: round.id }), { code: 'PSBT_INCOMPLETE' });
    const i1 = await importProofSignatures(deps, { actor: 'luis', proofId: round.id, psbt: signAs(g, 0, psbt) });
    assert.equal(i1.complete, false);
    assert.equal(i1.added, 3, 'the commitment input and both coins');
    const i2 = await importProofSignatures(deps, { actor: 'luis', proofId: round.id, psbt: signAs(g, 2, psbt) });
    assert.equal(i2.complete, true);

    const fin = await finalizeProof(deps, { actor: 'luis', proofId: round.id });
    assert.equal(fin.round.state, 'finalized');
    const file = parseProofFile(fin.proofFile);
    assert.equal(file.total, 100_000_000n);
    assert.equal(file.block.height, round.height);
    assert.deepEqual(file.descriptors, [g.vault.descriptor]);

    const view = rpcProofChainView({ url: g.node.rpcUrl, user: g.node.rpcUser, password: g.node.rpcPassword });
    try {
      const v = await verifyProof(file, view);
      assert.deepEqual(v.failures, []);
      assert.equal(v.ok, true);
      assert.equal(v.provenTotal, 100_000_000n);
    } finally {
      view.close();
    }

    const published = await publishProof(deps, { actor: 'luis', proofId: round.id });
    assert.ok(published.publishedAtMs !== null);
    assert.equal((await deps.proofs.latestPublished())?.id, round.id);

    assert.equal((await verifyAuditLog({ spends: g.spends })).ok, true);
    const actions = (await g.spends.auditLog()).map((e) => `${e.actor}:${e.action}`);
    for (const want of ['luis:proof.create', 'maria:proof.approve', 'marta:proof.approve', 'pedro:proof.approve', 'luis:proof.export', 'luis:proof.import', 'luis:proof.finalize', 'luis:proof.publish']) {
      assert.ok(actions.includes(want), `audit log has ${want}`);
    }
  });

  test('a PSBT that could move coins is refused at import: an extra output paying someone, the commitment input removed', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [50_000_000n] });
    const deps = proofDeps(g);
    const round = await approvedRound(g, deps);
    const { psbt } = await exportProof(deps, { actor: 'luis', proofId: round.id, destination: 'x' });

    // An extra spendable output: 0.4 BTC to an address that is not the vault's.
    const extra = Psbt.fromBase64(psbt);
    extra.addOutput({ script: bAddress.toOutputScript(FOREIGN, networks.regtest), value: 40_000_000n });
    await assert.rejects(importProofSignatures(deps, { actor: 'luis', proofId: round.id, psbt: signAs(g, 0, extra.toBase64()) }), { code: 'INVALID_PSBT' });

    // The commitment input gone: the coins alone, which would be a spend.
    const bare = Psbt.fromBase64(psbt);
    const spend = new Psbt({ network: networks.regtest });
    spend.setVersion(2);
    bare.txInputs.forEach((inp, i) => {
      if (i === 0) return;
      const d = bare.data.inputs[i];
      spend.addInput({ hash: inp.hash, index: inp.index, sequence: inp.sequence, ...(d?.witnessUtxo ? { witnessUtxo: d.witnessUtxo } : {}), ...(d?.witnessScript ? { witnessScript: d.witnessScript } : {}) });
    });
    spend.addOutput({ script: Uint8Array.of(0x6a), value: 0n });
    await assert.rejects(importProofSignatures(deps, { actor: 'luis', proofId: round.id, psbt: spend.toBase64() }), { code: 'INVALID_PSBT' });

    // Nothing was stored: the round's PSBT still has no signature.
    const after = await deps.proofs.round(round.id);
    assert.equal(after?.psbt, round.psbt);
    assert.equal((await deps.proofs.partials(round.id)).length, 0);
  });

  test('two finalizations at the same moment produce one proof', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [30_000_000n] });
    const deps = proofDeps(g);
    const round = await approvedRound(g, deps);
    const { psbt } = await exportProof(deps, { actor: 'luis', proofId: round.id, destination: 'x' });
    for (const s of [0, 1]) await importProofSignatures(deps, { actor: 'luis', proofId: round.id, psbt: signAs(g, s, psbt) });
    const other = { ...deps, proofs: new SqlProofStore(g.db) };
    const results = await Promise.allSettled([finalizeProof(deps, { actor: 'luis', proofId: round.id }), finalizeProof(other, { actor: 'luis', proofId: round.id })]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1, 'exactly one finalization');
    assert.equal(refused.length, 1);
    assert.equal((refused[0]?.reason as { code?: string }).code, 'INVALID_STATE');
    const finalized = (await g.spends.auditLog()).filter((e) => e.action === 'proof.finalize');
    assert.equal(finalized.length, 1, 'one finalize entry in the audit log');
  });
});
