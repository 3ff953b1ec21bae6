/**
 * The published proof as the public sees it: the newest published round, what it proves against
 * what the reserve reports now, the gap in plain words, and the one command that checks it.
 * A read: nothing is written.
 */
import { formatBtc, type Sats } from '../../core/money.ts';
import { explainGap, type ProofRound, type ProofStore, type ProofVaultLine } from '../../core/por/round.ts';

export interface PublishedProof {
  readonly id: number;
  readonly publishedAtMs: number;
  readonly createdAtMs: number;
  readonly block: { readonly height: number; readonly hash: string };
  readonly message: string;
  /** The auditor's challenge it answers, or null. */
  readonly challengeId: string | null;
  readonly challengeNonce: string | null;
  readonly vaults: readonly ProofVaultLine[];
  readonly provenSats: Sats;
  readonly reportedSats: Sats;
  readonly gapSats: bigint;
  readonly coversAll: boolean;
  readonly explanation: string;
  /** The proof file's name for downloads. */
  readonly fileName: string;
  /** The exact command that verifies it against a node. */
  readonly verifyCommand: string;
}

/** The name a proof's file is offered under. */
export function proofFileName(id: number): string {
  return `proof-of-reserves-${id}.json`;
}

/**
 * The verify command printed for the public: with the node URL the operator gives (the demo gives
 * its own node's), else a placeholder the reader replaces with their node.
 */
export function verifyCommandFor(id: number, nodeUrl: string | null | undefined): string {
  return `soberana por verify ${proofFileName(id)} --node ${nodeUrl ?? '<your node\'s RPC URL>'}`;
}

/**
 * @param reported the holdings the reserve reports now, vault by vault (the public summary)
 * @example const p = await latestPublishedProof({ proofs, reported: async () => [...], verifyNodeUrl: null })
 */
export async function latestPublishedProof(deps: { proofs: ProofStore; reported: () => Promise<readonly { vaultId: string; name: string; sats: Sats }[]>; verifyNodeUrl?: string | null | undefined }): Promise<{ proof: PublishedProof; round: ProofRound } | null> {
  const r = await deps.proofs.latestPublished();
  if (r === null || r.publishedAtMs === null) return null;
  const reported = await deps.reported();
  const names = new Map(reported.map((v) => [v.vaultId, v.name]));
  const vaults: ProofVaultLine[] = r.vaultIds.map((id) => {
    const coins = r.coins.filter((c) => c.vaultId === id);
    return { vaultId: id, name: names.get(id) ?? id, provenSats: coins.reduce((s, c) => s + c.value, 0n) as Sats, coins: coins.length };
  });
  const gap = explainGap(vaults, reported, r.height, formatBtc);
  const challenge = r.challengeId === null ? null : await deps.proofs.challenge(r.challengeId);
  return {
    round: r,
    proof: {
      id: r.id, publishedAtMs: r.publishedAtMs, createdAtMs: r.createdAtMs, block: { height: r.height, hash: r.blockHash }, message: r.message,
      challengeId: r.challengeId, challengeNonce: challenge?.nonce ?? null, vaults,
      provenSats: gap.provenSats, reportedSats: gap.reportedSats, gapSats: gap.gapSats, coversAll: gap.coversAll, explanation: gap.explanation,
      fileName: proofFileName(r.id), verifyCommand: verifyCommandFor(r.id, deps.verifyNodeUrl),
    },
  };
}
