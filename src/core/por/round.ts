/**
 * A proof of reserves as a governed round (issue #14): like a spend proposal, but it can never move
 * money. A round snapshots the vaults' confirmed coins at a block, carries the proof PSBT the core
 * builder made (`build.ts`), collects approvals (the policy's governance quorum, BIP340 member
 * signatures over a statement of their own domain), goes out to the signers, takes their partial
 * signatures and is finalized into a proof file. A challenge (a random nonce an auditor asked for)
 * may be bound to the round: its nonce is committed with the message (`build.ts` `committedMessage`),
 * and a challenge answers once.
 *
 *   proposed ─approve (quorum)─▶ approved ─finalize─▶ finalized ─publish─▶ (published: a flag)
 *      └──────────── cancel ───────┘
 *
 * Pure: no clock (times come in), no randomness (the store makes challenge nonces).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import { canonicalJson } from '../audit/hash-chain.ts';
import { isWebAuthnText, passkeyApprovalProblem } from '../auth/webauthn.ts';
import type { Network } from '../network.ts';
import type { Sats } from '../money.ts';
import type { Approval, ApprovalRequirement } from '../policy/types.ts';
import type { AuditFields, GovernanceTx } from '../spend/types.ts';

export const PROOF_STATES = ['proposed', 'approved', 'finalized', 'cancelled'] as const;
export type ProofState = (typeof PROOF_STATES)[number];

const TRANSITIONS: Readonly<Record<ProofState, readonly ProofState[]>> = {
  proposed: ['approved', 'cancelled'],
  approved: ['finalized', 'cancelled'],
  finalized: [],
  cancelled: [],
};

/**
 * @throws DomainError INVALID_STATE when a round may not move from `from` to `to`
 * @example assertProofTransition(3, 'proposed', 'approved') // fine
 */
export function assertProofTransition(id: number, from: ProofState, to: ProofState): void {
  if (!TRANSITIONS[from].includes(to)) throw new DomainError('INVALID_STATE', `proof ${id} is ${from}; it cannot become ${to}`);
}

/** One coin the proof covers, as the vault's store knew it at the snapshot. */
export interface ProofCoin {
  readonly vaultId: string;
  readonly txid: string;
  readonly vout: number;
  readonly value: Sats;
  /** scriptPubKey, hex. */
  readonly script: string;
  readonly branch: 0 | 1;
  readonly index: number;
  readonly height: number;
}

/** What a vault held at the snapshot and what the store reported for it when the proof was made. */
export interface ProofVaultLine {
  readonly vaultId: string;
  readonly name: string;
  readonly provenSats: Sats;
  readonly coins: number;
}

export interface ProofRound {
  readonly id: number;
  readonly vaultIds: readonly string[];
  /** The treasury's message (one line); with a challenge the proof commits to `committedMessage(message, nonce)`. */
  readonly message: string;
  readonly challengeId: string | null;
  readonly height: number;
  readonly blockHash: string;
  readonly coins: readonly ProofCoin[];
  readonly totalSats: Sats;
  readonly state: ProofState;
  /** base64: the unsigned proof PSBT, then the combination of the verified signatures imported. */
  readonly psbt: string;
  /** The txid of the unsigned `to_sign` transaction: what approvals name. */
  readonly unsignedTxid: string;
  readonly proposer: string;
  readonly policyVersion: number;
  /** Who must approve (the policy's governance quorum at creation). */
  readonly requirement: ApprovalRequirement;
  readonly exportedAtMs: number | null;
  /** The proof file (JSON text) once finalized. */
  readonly proofFile: string | null;
  readonly publishedAtMs: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type NewProofRound = Omit<ProofRound, 'id' | 'state' | 'exportedAtMs' | 'proofFile' | 'publishedAtMs' | 'updatedAtMs'>;

export interface ProofRoundUpdate {
  readonly state?: ProofState;
  readonly psbt?: string;
  readonly exportedAtMs?: number;
  readonly proofFile?: string;
  readonly publishedAtMs?: number;
}

/** An auditor's challenge: a nonce the next proof must sign, before it expires, once. */
export interface ProofChallenge {
  readonly id: string;
  /** 64 hex characters (32 random bytes). */
  readonly nonce: string;
  /** Who asked (member id, or the token's name). */
  readonly requestedBy: string;
  /** Free text from the auditor (shown through displaySafe), or null. */
  readonly note: string | null;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** The round bound to it (created with `--challenge`), or null. */
  readonly roundId: number | null;
  /** When a proof answering it was finalized; null before. */
  readonly answeredAtMs: number | null;
}

/** A partial PSBT upload kept for the record. */
export interface ProofPartialRecord {
  readonly roundId: number;
  readonly seq: number;
  readonly importedBy: string;
  readonly signatures: number;
  readonly atMs: number;
  readonly psbt: string;
}

/** The stores inside one governance transaction, with the proof rounds. */
export interface ProofTx extends GovernanceTx {
  readonly proofs: ProofStore;
}

/**
 * Persistence of proof rounds and challenges (`adapters/store/proof-store.ts`, migration 0010).
 * Every mutation takes its audit entry and commits both in one transaction holding the
 * governance write lock, like `SpendStore`.
 */
export interface ProofStore {
  /** Run `fn` in ONE governance transaction (re-entrant), with the spend and vault stores bound to it. */
  atomically<T>(fn: (tx: ProofTx) => Promise<T>): Promise<T>;
  /** The same store whose audit entries name how the actor reached it (`details.via`). */
  withAuditContext(via: Readonly<Record<string, string>>): ProofStore;

  /** Records a new round, `proposed` — or `finalized` with its proof file (an imported proof). */
  createRound(r: NewProofRound, audit: AuditFields, initial?: { readonly state: 'finalized'; readonly proofFile: string }): Promise<number>;
  round(id: number): Promise<ProofRound | null>;
  /** Newest first. */
  rounds(): Promise<ProofRound[]>;
  /** The newest published round, or null. */
  latestPublished(): Promise<ProofRound | null>;
  /** INVALID_STATE when the round is no longer `expectedState` (another process moved it first). */
  updateRound(id: number, expectedState: ProofState, update: ProofRoundUpdate, audit: AuditFields, atMs: number): Promise<void>;
  approvals(roundId: number): Promise<Approval[]>;
  /** ALREADY_EXISTS when this approver already approved; INVALID_STATE when the round left `proposed`. */
  addApproval(roundId: number, approval: Approval, update: ProofRoundUpdate, audit: AuditFields): Promise<void>;
  /** Keeps the upload and sets the combined PSBT; INVALID_STATE unless the round is `approved`. */
  addPartial(record: Omit<ProofPartialRecord, 'seq'>, combinedPsbt: string, audit: AuditFields): Promise<void>;
  partials(roundId: number): Promise<ProofPartialRecord[]>;

  /** Makes the nonce (32 random bytes) and the id; the caller gives the times. */
  createChallenge(c: { requestedBy: string; note: string | null; createdAtMs: number; expiresAtMs: number }, audit: AuditFields): Promise<ProofChallenge>;
  challenge(id: string): Promise<ProofChallenge | null>;
  /** The challenge with this nonce (what a proof file carries), or null. */
  challengeByNonce(nonce: string): Promise<ProofChallenge | null>;
  /** Newest first. */
  challenges(): Promise<ProofChallenge[]>;
  /** Bind a challenge to a round: CHALLENGE_USED when another round holds it already. */
  bindChallenge(challengeId: string, roundId: number): Promise<void>;
  /** Mark it answered: CHALLENGE_USED when it was answered already. */
  answerChallenge(challengeId: string, roundId: number, atMs: number): Promise<void>;
  /** Release a challenge held by a cancelled round. */
  releaseChallenge(challengeId: string, roundId: number): Promise<void>;
  appendAudit(audit: AuditFields): Promise<void>;
}

// ---- challenges ----

/**
 * The message output of a round: the first vault's first receive address signs the message (its
 * keys sign input 0, the commitment). Fixed, so that it is not stored and cannot drift.
 */
export const MESSAGE_OUTPUT = { change: false, index: 0 } as const;

/**
 * Why a challenge cannot be answered at `nowMs` by round `roundId`, as a DomainError, or null.
 * Stale: past its expiry (CHALLENGE_EXPIRED). Replayed: answered already, or held by another round
 * (CHALLENGE_USED).
 */
export function challengeProblem(c: ProofChallenge, nowMs: number, roundId: number | null): DomainError | null {
  if (c.answeredAtMs !== null) return new DomainError('CHALLENGE_USED', `challenge ${c.id} was answered already (by proof ${c.roundId ?? '?'}): ask for a new one`);
  if (c.roundId !== null && c.roundId !== roundId) return new DomainError('CHALLENGE_USED', `challenge ${c.id} is already being answered by proof ${c.roundId}`);
  if (nowMs >= c.expiresAtMs) return new DomainError('CHALLENGE_EXPIRED', `challenge ${c.id} expired at ${new Date(c.expiresAtMs).toISOString()}: ask for a new one`);
  return null;
}

// ---- approvals of a proof: their own statement, never confusable with a spend's ----

export const PROOF_APPROVAL_DOMAIN = 'soberana/proof-approval/v1';

export interface ProofApprovalStatement {
  readonly domain: typeof PROOF_APPROVAL_DOMAIN;
  readonly network: Network;
  readonly approver: string;
  readonly proofId: number;
  readonly unsignedTxid: string;
  readonly blockHash: string;
  readonly messageSha256: string;
  readonly policyVersion: number;
}

/** The statement a member signs to approve round `r`. */
export function proofApprovalStatement(network: Network, approver: string, r: Pick<ProofRound, 'id' | 'unsignedTxid' | 'blockHash' | 'message' | 'policyVersion'>): ProofApprovalStatement {
  return {
    domain: PROOF_APPROVAL_DOMAIN, network, approver, proofId: r.id, unsignedTxid: r.unsignedTxid, blockHash: r.blockHash,
    messageSha256: hex.encode(sha256(new TextEncoder().encode(r.message))), policyVersion: r.policyVersion,
  };
}

/** The 32 bytes signed: SHA-256 of the statement's canonical JSON. */
export function proofApprovalDigest(s: ProofApprovalStatement): Uint8Array {
  return sha256(new TextEncoder().encode(canonicalJson(s)));
}

/** Why `signature` does not sign `s` with the member key `publicKey` (BIP340 hex or a passkey), or null. */
export function proofApprovalProblem(s: ProofApprovalStatement, signature: string, publicKey: string, opts: { origins?: readonly string[] | undefined; requireUserVerification?: boolean | undefined } = {}): string | null {
  if (isWebAuthnText(publicKey)) {
    if (!isWebAuthnText(signature)) return 'the member\'s key is a passkey: the approval must be a passkey assertion';
    return passkeyApprovalProblem(signature, publicKey, { challenge: proofApprovalDigest(s), origins: opts.origins, requireUserVerification: opts.requireUserVerification });
  }
  const sig = signature.trim().toLowerCase();
  const key = publicKey.trim().toLowerCase();
  if (!/^[0-9a-f]{128}$/.test(sig) || !/^[0-9a-f]{64}$/.test(key)) return 'the BIP340 signature does not verify';
  try {
    return schnorr.verify(hex.decode(sig), proofApprovalDigest(s), hex.decode(key)) ? null : 'the BIP340 signature does not verify';
  } catch {
    return 'the BIP340 signature does not verify';
  }
}

// ---- the gap between what is proven and what is reported ----

export interface ProofGap {
  readonly provenSats: Sats;
  readonly reportedSats: Sats;
  /** reported − proven (negative when the proof covers more than is reported). */
  readonly gapSats: bigint;
  readonly coversAll: boolean;
  /** Plain words for the public. */
  readonly explanation: string;
}

/**
 * Compare a proof with the holdings reported now, vault by vault, in plain words. `formatBtc`
 * formats an amount (the caller's, so the core stays free of presentation choices).
 * @example explainGap(lines, reported, fmt).coversAll === false when a reporting vault is absent from the proof
 */
export function explainGap(
  proven: readonly ProofVaultLine[],
  reported: readonly { vaultId: string; name: string; sats: Sats }[],
  height: number,
  fmt: (s: bigint) => string,
): ProofGap {
  const provenSats = proven.reduce((s, v) => s + v.provenSats, 0n) as Sats;
  const reportedSats = reported.reduce((s, v) => s + v.sats, 0n) as Sats;
  const covered = new Set(proven.map((p) => p.vaultId));
  const missing = reported.filter((r) => !covered.has(r.vaultId) && r.sats > 0n);
  const words: string[] = [];
  const gap = reportedSats - provenSats;
  if (gap <= 0n && missing.length === 0) {
    words.push(`This proof covers all ${fmt(reportedSats)} BTC the reserve reports${gap < 0n ? ` (it proves ${fmt(-gap)} BTC more than is reported now: coins spent since block ${height} are still in it)` : ''}.`);
  } else {
    words.push(`This proof covers LESS than the reported holdings: it proves ${fmt(provenSats)} BTC of the ${fmt(reportedSats)} BTC reported, a gap of ${fmt(gap > 0n ? gap : 0n)} BTC.`);
    if (missing.length > 0) words.push(`Not covered: ${missing.map((m) => `${m.name} (${fmt(m.sats)} BTC)`).join(', ')} — no signature was given for ${missing.length === 1 ? 'that vault' : 'those vaults'}, so nothing here proves it is controlled.`);
    for (const p of proven) {
      const r = reported.find((x) => x.vaultId === p.vaultId);
      if (r && r.sats > p.provenSats) words.push(`${p.name}: ${fmt(r.sats - p.provenSats)} BTC more is reported now than was proven at block ${height} (coins received since, or not proven).`);
    }
  }
  return { provenSats, reportedSats, gapSats: gap, coversAll: gap <= 0n && missing.length === 0, explanation: words.join(' ') };
}
