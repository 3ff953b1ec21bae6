// Challenge–response, on SQLite and PostgreSQL with one regtest node for the file: an auditor's
// nonce is committed in the proof answering it (the proof file names it and verifies against the
// node); a challenge answers once (replayed: CHALLENGE_USED, also while another round holds it); a
// challenge past its expiry is refused at create and at finalize (stale: CHALLENGE_EXPIRED, the
// refusal audited); cancelling a round releases its challenge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { setupGovernance, signAs, type Governance } from '../spend/fixtures.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { rpcProofChainView } from '../../src/adapters/chain/por-rpc-view.ts';
import { addMember } from '../../src/app/add-member.ts';
import { approveProof, cancelProof, createProof, exportProof, finalizeProof, importProofSignatures, requestChallengeAsMember, type ProofDeps } from '../../src/app/por/proof-round.ts';
import { parseProofFile } from '../../src/core/por/proof-file.ts';
import { committedMessage } from '../../src/core/por/build.ts';
import { verifyProof } from '../../src/core/por/verify.ts';

const regtest = useRegtestNode();

async function setup(t: { open(): Promise<Database> }): Promise<{ g: Governance; deps: ProofDeps }> {
  const g = await setupGovernance(regtest.node(), await t.open(), { fund: [20_000_000n] });
  await addMember(g.deps, { actor: 'ana', name: 'irene', roles: ['auditor'], groups: [] });
  return { g, deps: { ...g.deps, proofs: new SqlProofStore(g.db) } };
}

async function approveAndSign(g: Governance, deps: ProofDeps, id: number): Promise<void> {
  for (const a of ['maria', 'marta', 'pedro']) await approveProof(deps, { actor: a, proofId: id });
  const { psbt } = await exportProof(deps, { actor: 'luis', proofId: id, destination: 'x' });
  for (const s of [0, 2]) await importProofSignatures(deps, { actor: 'luis', proofId: id, psbt: signAs(g, s, psbt) });
}

forEachEngine('proof challenges', (t) => {
  test('the proof answering a challenge commits to its nonce and verifies; the challenge then answers no other proof', async () => {
    const { g, deps } = await setup(t);
    await assert.rejects(requestChallengeAsMember(deps, { actor: 'luis' }), { code: 'FORBIDDEN' }, 'an operator does not issue challenges');
    const c = await requestChallengeAsMember(deps, { actor: 'irene', note: 'IMF Article IV mission' });
    assert.match(c.nonce, /^[0-9a-f]{64}$/);
    const { round } = await createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'Reserves for the IMF', challengeId: c.id });
    assert.equal(round.challengeId, c.id);
    // held by round 1: a second round cannot take it
    await assert.rejects(createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'again', challengeId: c.id }), { code: 'CHALLENGE_USED' });
    await approveAndSign(g, deps, round.id);
    const fin = await finalizeProof(deps, { actor: 'luis', proofId: round.id });
    const file = parseProofFile(fin.proofFile);
    assert.equal(file.challenge, c.nonce);
    const view = rpcProofChainView({ url: g.node.rpcUrl, user: g.node.rpcUser, password: g.node.rpcPassword });
    try {
      const v = await verifyProof(file, view);
      assert.equal(v.ok, true, JSON.stringify(v.failures));
      // the same signatures under another nonce do not verify
      const other = await verifyProof({ ...file, challenge: 'f'.repeat(64) }, view);
      assert.equal(other.ok, false);
      assert.ok(other.failures.some((f) => f.field === 'message'), JSON.stringify(other.failures));
    } finally {
      view.close();
    }
    assert.ok(committedMessage('Reserves for the IMF', c.nonce).endsWith(c.nonce));
    const answered = await deps.proofs.challenge(c.id);
    assert.equal(answered?.roundId, round.id);
    assert.ok(answered?.answeredAtMs !== null);
    // replayed
    await assert.rejects(createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'replay', challengeId: c.id }), { code: 'CHALLENGE_USED' });
  });

  test('a stale challenge is refused at create and at finalize; cancelling releases a challenge', async () => {
    const { g, deps } = await setup(t);
    const c = await requestChallengeAsMember(deps, { actor: 'irene', ttlMs: 10 * 60_000 });
    const { round } = await createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'Reserves, challenge of ten minutes', challengeId: c.id });
    await approveAndSign(g, deps, round.id);
    g.clock.advance(11 * 60_000);
    await assert.rejects(finalizeProof(deps, { actor: 'luis', proofId: round.id }), { code: 'CHALLENGE_EXPIRED' });
    assert.equal((await deps.proofs.round(round.id))?.state, 'approved', 'nothing finalized');
    const refused = (await g.spends.auditLog()).filter((e) => e.action === 'proof.finalize.refused');
    assert.equal(refused.length, 1, 'the refusal is audited');
    const short = await requestChallengeAsMember(deps, { actor: 'irene', ttlMs: 60_000 });
    g.clock.advance(61_000);
    await assert.rejects(createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'late', challengeId: short.id }), { code: 'CHALLENGE_EXPIRED' });

    const c2 = await requestChallengeAsMember(deps, { actor: 'irene' });
    const { round: r2 } = await createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'first try', challengeId: c2.id });
    await cancelProof(deps, { actor: 'luis', proofId: r2.id, reason: 'wrong message' });
    const { round: r3 } = await createProof(deps, { actor: 'luis', vaults: [g.vault.id], message: 'second try', challengeId: c2.id });
    assert.equal(r3.challengeId, c2.id);
  });
});
