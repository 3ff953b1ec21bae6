/**
 * Import a proof file made elsewhere (another Soberana, a coordinator that ran the round itself,
 * a backup) so that it can be published. Nothing in the file is trusted: it must verify against the
 * node first (`verify`, asked before the governance transaction), every UTXO must be a coin of one
 * of our vaults, and a challenge it answers must be one of ours that is still open — a stale
 * (expired) or replayed (answered or held) challenge is refused with CHALLENGE_EXPIRED /
 * CHALLENGE_USED; the same proof twice is ALREADY_EXISTS. Recorded `finalized`, audited.
 */
import { Transaction } from 'bitcoinjs-lib';
import { DomainError } from '../../core/errors.ts';
import { parseProofFile, serializeProofFile, type ProofFile } from '../../core/por/proof-file.ts';
import type { ProofVerification } from '../../core/por/verify.ts';
import { challengeProblem, type ProofChallenge, type ProofCoin, type ProofRound } from '../../core/por/round.ts';
import type { Sats } from '../../core/money.ts';
import { auditOf, requireActor, requirePolicy } from '../governance.ts';
import { requireRound, type ProofDeps } from './proof-round.ts';

/**
 * @throws INVALID_PROOF (not a proof file), NETWORK_MISMATCH, PROOF_FAILED (does not verify, the first failure named),
 *   FORBIDDEN, INVALID_ARGUMENT (a UTXO that is no coin of ours), ALREADY_EXISTS, CHALLENGE_EXPIRED, CHALLENGE_USED
 * @example await importProofFile(deps, { actor: 'luis', text, verify: (f) => verifyProof(f, view) })
 */
export async function importProofFile(deps: ProofDeps, input: { actor: string | undefined; text: string | Uint8Array; verify: (file: ProofFile) => Promise<ProofVerification>; publish?: boolean }): Promise<{ round: ProofRound; verification: ProofVerification }> {
  const file = parseProofFile(input.text);
  if (file.network !== deps.network) throw new DomainError('NETWORK_MISMATCH', `the proof is for ${file.network}; Soberana runs on ${deps.network}`);
  const verification = await input.verify(file);
  const first = verification.failures[0];
  if (!verification.ok || first) throw new DomainError('PROOF_FAILED', `the proof does not verify: ${first?.message ?? 'not every UTXO is proven'}`);
  const tx0 = file.transactions[0];
  if (!tx0) throw new DomainError('INVALID_PROOF', 'invalid proof file: transactions: none');
  const unsignedTxid = Transaction.fromHex(tx0.hex).getId();
  return deps.proofs.atomically(async (t) => {
    const tx: ProofDeps = { ...deps, proofs: t.proofs, spends: t.spends, vaults: t.vaults };
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    let challenge: ProofChallenge | null = null;
    if (file.challenge !== null) {
      challenge = await tx.proofs.challengeByNonce(file.challenge);
      if (challenge) {
        const problem = challengeProblem(challenge, nowMs, null);
        if (problem) throw problem;
      }
    }
    const same = (await tx.proofs.rounds()).find((r) => r.unsignedTxid === unsignedTxid && r.state !== 'cancelled');
    if (same) throw new DomainError('ALREADY_EXISTS', `this proof is already recorded as proof ${same.id}`);
    const owner = new Map<string, ProofCoin>();
    for (const v of await tx.vaults.listVaults()) {
      for (const o of await tx.vaults.allTxos(v.id)) {
        if (o.height === null) continue;
        owner.set(`${o.txid}:${o.vout}`, { vaultId: v.id, txid: o.txid, vout: o.vout, value: o.value as Sats, script: o.script, branch: o.branch, index: o.index, height: o.height });
      }
    }
    const coins = file.utxos.map((u) => {
      const c = owner.get(`${u.txid}:${u.vout}`);
      if (!c) throw new DomainError('INVALID_ARGUMENT', `UTXO ${u.txid}:${u.vout} of the proof is not a coin of any vault here (add and sync the vault first)`);
      return c;
    });
    const vaultIds = [...new Set(coins.map((c) => c.vaultId))];
    const policy = await requirePolicy(tx.spends);
    const active = await tx.spends.activePolicy();
    const text = serializeProofFile(file);
    const details = { vaults: vaultIds, height: file.block.height, blockHash: file.block.hash, coins: coins.length, totalSats: verification.provenTotal, unsignedTxid, challenge: challenge?.id ?? null, imported: true };
    const id = await tx.proofs.createRound(
      { vaultIds, message: file.message, challengeId: challenge?.id ?? null, height: file.block.height, blockHash: file.block.hash, coins, totalSats: file.total, psbt: '', unsignedTxid, proposer: actor.id, policyVersion: active?.version ?? policy.version, requirement: policy.policyChange, createdAtMs: nowMs },
      auditOf(actor, 'operator', 'proof.import-file', 'proof:new', details, nowMs),
      { state: 'finalized', proofFile: text },
    );
    if (challenge) await tx.proofs.answerChallenge(challenge.id, id, nowMs);
    if (input.publish === true) await tx.proofs.updateRound(id, 'finalized', { publishedAtMs: nowMs }, auditOf(actor, 'operator', 'proof.publish', `proof:${id}`, { totalSats: file.total, height: file.block.height }, nowMs), nowMs);
    return { round: await requireRound(tx.proofs, id), verification };
  });
}
