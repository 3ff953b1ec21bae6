// Importing a proof file made elsewhere (`por import`), on SQLite and PostgreSQL with one regtest
// node: the file must verify against the node and cover coins of our vaults; a file answering one
// of our challenges is refused when the challenge is stale (CHALLENGE_EXPIRED) or already answered
// (CHALLENGE_USED: a replayed proof), accepted — and the challenge answered — while it is open; the
// same proof twice is ALREADY_EXISTS; a tampered file is PROOF_FAILED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { policyDoc, setupGovernance, signAs, testClock, type Governance } from '../spend/fixtures.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { rpcProofChainView } from '../../src/adapters/chain/por-rpc-view.ts';
import { addMember } from '../../src/app/add-member.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { approveProof, createProof, exportProof, finalizeProof, importProofSignatures, type ProofDeps } from '../../src/app/por/proof-round.ts';
import { importProofFile } from '../../src/app/por/import-proof-file.ts';
import { verifyProof } from '../../src/core/por/verify.ts';
import type { ProofFile } from '../../src/core/por/proof-file.ts';
import type { RandomSource } from '../../src/core/ports.ts';

const regtest = useRegtestNode();
/** The same "random" bytes in two databases: one challenge id and nonce known to both. */
const fixed = (b: number): RandomSource => ({ bytes: (n) => new Uint8Array(n).fill(b) });
const audit = (atMs: number) => ({ actor: 'irene', role: 'auditor', action: 'proof.challenge', object: 'challenge:new', details: {}, atMs });

forEachEngine('proof file import', (t) => {
  test('import verifies first; stale and replayed challenges refused; an open one answered; the same proof twice refused', async () => {
    const g: Governance = await setupGovernance(regtest.node(), await t.open(), { fund: [12_000_000n] });
    const a: ProofDeps = { ...g.deps, proofs: new SqlProofStore(g.db, { random: fixed(0x42) }) };
    const ca = await a.proofs.createChallenge({ requestedBy: 'irene', note: null, createdAtMs: g.clock.now(), expiresAtMs: g.clock.now() + 3_600_000 }, audit(g.clock.now()));
    const { round } = await createProof(a, { actor: 'luis', vaults: [g.vault.id], message: 'Reserves, answered here', challengeId: ca.id });
    for (const m of ['maria', 'marta', 'pedro']) await approveProof(a, { actor: m, proofId: round.id });
    const { psbt } = await exportProof(a, { actor: 'luis', proofId: round.id, destination: 'x' });
    for (const s of [0, 2]) await importProofSignatures(a, { actor: 'luis', proofId: round.id, psbt: signAs(g, s, psbt) });
    const text = (await finalizeProof(a, { actor: 'luis', proofId: round.id })).proofFile;

    const view = rpcProofChainView({ url: g.node.rpcUrl, user: g.node.rpcUser, password: g.node.rpcPassword });
    const verify = (f: ProofFile) => verifyProof(f, view);
    try {
      // replayed where it was answered
      await assert.rejects(importProofFile(a, { actor: 'luis', text, verify }), { code: 'CHALLENGE_USED' });

      // a second Soberana watching the same vault, with the same challenge (same nonce), still open
      const clock = testClock(g.clock.now());
      const dbB = await t.open();
      const vaults = new SqlVaultStore(dbB);
      const b: ProofDeps = { spends: new SqlSpendStore(dbB), vaults, proofs: new SqlProofStore(dbB, { random: fixed(0x42) }), network: 'regtest', now: clock.now };
      const v = await addVault({ store: vaults }, { name: 'mirror', network: 'regtest', descriptor: g.vault.descriptor as string, birthday: { height: g.vault.birthdayHeight }, gapLimit: 10, now: '2026-01-01T00:00:00Z' });
      await syncVault({ chain: g.node.chainSource(), store: vaults }, v);
      await addMember(b, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
      await addMember(b, { actor: 'ana', name: 'luis', roles: ['operator'], groups: [] });
      await proposePolicy(b, { actor: 'ana', document: policyDoc() });
      const cb = await b.proofs.createChallenge({ requestedBy: 'irene', note: null, createdAtMs: clock.now(), expiresAtMs: clock.now() + 600_000 }, audit(clock.now()));
      assert.equal(cb.nonce, ca.nonce);

      // tampered: another message
      await assert.rejects(importProofFile(b, { actor: 'luis', text: text.replace('Reserves, answered here', 'Reserves, answered there'), verify }), { code: 'PROOF_FAILED' });
      // stale
      clock.advance(600_001);
      await assert.rejects(importProofFile(b, { actor: 'luis', text, verify }), { code: 'CHALLENGE_EXPIRED' });
      assert.equal((await b.proofs.rounds()).length, 0);
      // open: accepted, answered, published
      clock.set(cb.createdAtMs + 60_000);
      const r = await importProofFile(b, { actor: 'luis', text, verify, publish: true });
      assert.equal(r.round.state, 'finalized');
      assert.deepEqual(r.round.vaultIds, [v.id]);
      assert.equal(r.round.totalSats, 12_000_000n);
      assert.equal(r.round.proofFile, text);
      assert.equal((await b.proofs.latestPublished())?.id, r.round.id);
      assert.equal((await b.proofs.challenge(cb.id))?.answeredAtMs, clock.now());
      // replayed there too, and the same proof twice
      await assert.rejects(importProofFile(b, { actor: 'luis', text, verify }), { code: 'CHALLENGE_USED' });
      const plain = JSON.stringify({ ...JSON.parse(text), challenge: null });
      await assert.rejects(importProofFile(b, { actor: 'luis', text: plain, verify }), { code: 'PROOF_FAILED' }, 'without its challenge the signatures do not verify');

      // a proof with no challenge: once, not twice
      const { round: r2 } = await createProof(a, { actor: 'luis', vaults: [g.vault.id], message: 'Reserves, no challenge' });
      for (const m of ['maria', 'marta', 'pedro']) await approveProof(a, { actor: m, proofId: r2.id });
      const out2 = await exportProof(a, { actor: 'luis', proofId: r2.id, destination: 'x' });
      for (const s of [1, 2]) await importProofSignatures(a, { actor: 'luis', proofId: r2.id, psbt: signAs(g, s, out2.psbt) });
      const text2 = (await finalizeProof(a, { actor: 'luis', proofId: r2.id })).proofFile;
      assert.equal((await importProofFile(b, { actor: 'luis', text: text2, verify })).round.challengeId, null);
      await assert.rejects(importProofFile(b, { actor: 'luis', text: text2, verify }), { code: 'ALREADY_EXISTS' });
    } finally {
      view.close();
    }
  });
});
