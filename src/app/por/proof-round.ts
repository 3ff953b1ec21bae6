/**
 * Proof of reserves as a governed round (issue #14): create → approve (the policy's governance
 * quorum, signed approvals) → export the PSBT for the signers → import their partial signatures →
 * finalize into the proof file → publish. Every step runs in ONE governance transaction (reads,
 * checks and writes, with its audit entry), like the spend use cases; anything remote (the node)
 * is asked before it. `assertProofCannotMoveCoins` is checked at create, at every import and at
 * finalize: whatever a signer hands back, nothing that could move coins is ever stored.
 *
 * The quorum of a proof is the policy's `policyChange` requirement: a proof moves nothing, but it
 * is the state's public word that it controls the coins, signed by the keys that could spend them,
 * so it takes the quorum that governs the treasury itself (not a spend rule, whose conditions —
 * amount, destination, velocity — mean nothing for a proof). No signing delay.
 */
import { base64, hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import { approvalStatus } from '../../core/policy/approvals.ts';
import type { ApprovalStatus } from '../../core/policy/types.ts';
import type { Network } from '../../core/network.ts';
import type { ChainSource } from '../../core/chain/chain-source.ts';
import type { Member, SpendStore } from '../../core/spend/types.ts';
import type { Vault } from '../../core/vault/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { vaultOutput } from '../../core/bitcoin/psbt.ts';
import { cleanPsbtForSigners, mergeSignatures } from '../../core/bitcoin/psbt-import.ts';
import { assertProofCannotMoveCoins, buildProofPsbt, type ProofCommitment } from '../../core/por/build.ts';
import { combineProofPsbts, finalizeProofPsbt } from '../../core/por/finalize.ts';
import { makeProofFile, serializeProofFile } from '../../core/por/proof-file.ts';
import {
  MESSAGE_OUTPUT, assertProofTransition, challengeProblem, proofApprovalProblem, proofApprovalStatement,
  type ProofApprovalStatement, type ProofChallenge, type ProofCoin, type ProofRound, type ProofStore, type ProofTx,
} from '../../core/por/round.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { auditOf, requireActor, requirePolicy, requireVaultOf, type WebAuthnSettings } from '../governance.ts';

export interface ProofDeps {
  readonly proofs: ProofStore;
  readonly spends: SpendStore;
  readonly vaults: VaultStore;
  readonly network: Network;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** Needed to create a proof (the block and its hash). */
  readonly chain?: ChainSource | undefined;
  readonly webauthn?: WebAuthnSettings | undefined;
}

/** Uploads kept per round (a record, not a store for anything a client sends). */
export const MAX_PROOF_UPLOADS = 100;
/** How long a challenge may be answered, by default: seven days. */
export const DEFAULT_CHALLENGE_TTL_MS = 7 * 86_400_000;
/** The longest a challenge may live. */
export const MAX_CHALLENGE_TTL_MS = 90 * 86_400_000;

async function inTx<T>(deps: ProofDeps, fn: (tx: ProofDeps & ProofTx) => Promise<T>): Promise<T> {
  return deps.proofs.atomically((tx) => fn({ ...deps, proofs: tx.proofs, spends: tx.spends, vaults: tx.vaults }));
}

export async function requireRound(proofs: ProofStore, id: number): Promise<ProofRound> {
  if (!Number.isSafeInteger(id) || id < 1) throw new DomainError('INVALID_ARGUMENT', `a proof id is a positive whole number, got ${String(id)}`);
  const r = await proofs.round(id);
  if (!r) throw new DomainError('NOT_FOUND', `no proof ${id} (see "soberana por list")`);
  return r;
}

async function requireChallenge(proofs: ProofStore, id: string): Promise<ProofChallenge> {
  const c = await proofs.challenge(id.trim());
  if (!c) throw new DomainError('NOT_FOUND', `no challenge "${id}"`);
  return c;
}

function descriptorOf(v: Vault): string {
  if (v.kind !== 'descriptor' || v.descriptor === null) throw new DomainError('INVALID_STATE', `vault ${v.id} is a list of addresses, not a descriptor: no key of it can sign a proof`);
  return v.descriptor;
}

/** What every PSBT of this round must commit to: the message, the challenge's nonce, the message script. */
export async function commitmentOf(deps: { vaults: VaultStore; proofs: ProofStore; network: Network }, r: ProofRound): Promise<{ commitment: ProofCommitment & { messageScript: Uint8Array }; descriptors: string[]; challenge: ProofChallenge | null }> {
  const vaults = await Promise.all(r.vaultIds.map((id) => requireVaultOf(deps.vaults, id)));
  const descriptors = vaults.map(descriptorOf);
  const first = descriptors[0];
  if (first === undefined) throw new DomainError('MALFORMED_DATA', `proof ${r.id} names no vault`);
  const messageScript = Uint8Array.from(vaultOutput(first, deps.network, MESSAGE_OUTPUT.change ? 1 : 0, MESSAGE_OUTPUT.index).getScriptPubKey());
  const challenge = r.challengeId === null ? null : await requireChallenge(deps.proofs, r.challengeId);
  return { commitment: { message: r.message, challenge: challenge?.nonce, messageScript }, descriptors, challenge };
}

/** The coins a vault held, confirmed and unspent, once block `height` was mined (the store's view). */
export function coinsAt(vaultId: string, txos: readonly { txid: string; vout: number; value: bigint; script: string; branch: 0 | 1; index: number; height: number | null; spentHeight: number | null }[], height: number): ProofCoin[] {
  return txos
    .filter((t) => t.height !== null && t.height <= height && (t.spentHeight === null || t.spentHeight > height))
    .map((t) => ({ vaultId, txid: t.txid, vout: t.vout, value: t.value as ProofCoin['value'], script: t.script, branch: t.branch, index: t.index, height: t.height as number }))
    .sort((a, b) => (a.height - b.height) || a.txid.localeCompare(b.txid) || a.vout - b.vout);
}

export interface CreateProofInput {
  readonly actor: string | undefined;
  readonly vaults: readonly string[];
  readonly message: string;
  /** Default: the node's tip. */
  readonly atHeight?: number | undefined;
  readonly challengeId?: string | undefined;
}

/**
 * Snapshot every confirmed coin of the vaults at the block, build the proof PSBT and record the
 * round (`proposed`), audited. The vaults must be synced to the block.
 * @throws FORBIDDEN (not an operator), VAULT_NOT_FOUND, INVALID_ARGUMENT (message, height, no coins),
 *   INVALID_STATE (a vault not synced that far, an address-list vault), POLICY_DENIED (no policy),
 *   NOT_FOUND / CHALLENGE_EXPIRED / CHALLENGE_USED (the challenge), CHAIN_UNAVAILABLE
 * @example const { round } = await createProof(deps, { actor: 'luis', vaults: ['reserve'], message: 'Reserves of the Republic' })
 */
export async function createProof(deps: ProofDeps, input: CreateProofInput): Promise<{ round: ProofRound; challenge: ProofChallenge | null }> {
  if (!deps.chain) throw new DomainError('CHAIN_UNAVAILABLE', 'creating a proof needs the node (the block it speaks for)');
  if (input.vaults.length === 0) throw new DomainError('INVALID_ARGUMENT', 'name at least one vault: --vault V[,V…]');
  const tip = await deps.chain.tip();
  const height = input.atHeight ?? tip.height;
  if (!Number.isSafeInteger(height) || height < 0) throw new DomainError('INVALID_ARGUMENT', `--at-height must be a block height, got ${String(input.atHeight)}`);
  if (height > tip.height) throw new DomainError('INVALID_ARGUMENT', `block ${height} is above the node's tip (${tip.height})`);
  const blockHash = await deps.chain.blockHash(height);
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const vaults: Vault[] = [];
    for (const name of input.vaults) {
      const v = await requireVaultOf(tx.vaults, name);
      if (vaults.some((x) => x.id === v.id)) throw new DomainError('INVALID_ARGUMENT', `vault ${v.id} is named twice`);
      if (v.network !== tx.network) throw new DomainError('NETWORK_MISMATCH', `vault ${v.id} is on ${v.network}, Soberana runs on ${tx.network}`);
      descriptorOf(v);
      const cp = await tx.vaults.tipCheckpoint(v.id);
      if (!cp || cp.height < height) throw new DomainError('INVALID_STATE', `vault ${v.id} is synced to block ${cp?.height ?? 'none'}, not ${height}: run "soberana sync" first`);
      vaults.push(v);
    }
    const policy = await requirePolicy(tx.spends);
    const active = await tx.spends.activePolicy();
    let challenge: ProofChallenge | null = null;
    if (input.challengeId !== undefined) {
      challenge = await requireChallenge(tx.proofs, input.challengeId);
      const problem = challengeProblem(challenge, nowMs, null);
      if (problem) throw problem;
    }
    const coins: ProofCoin[] = [];
    for (const v of vaults) coins.push(...coinsAt(v.id, await tx.vaults.allTxos(v.id), height));
    if (coins.length === 0) throw new DomainError('INVALID_ARGUMENT', `the vault${vaults.length > 1 ? 's hold' : ' holds'} no confirmed coin at block ${height}: nothing to prove`);
    const byId = new Map(vaults.map((v) => [v.id, descriptorOf(v)]));
    const first = vaults[0] as Vault;
    const built = buildProofPsbt({
      network: tx.network,
      message: input.message,
      challenge: challenge?.nonce,
      messageOutput: { descriptor: descriptorOf(first), ...MESSAGE_OUTPUT },
      inputs: coins.map((c) => ({ descriptor: byId.get(c.vaultId) as string, txid: c.txid, vout: c.vout, value: c.value, change: c.branch === 1, index: c.index })),
    });
    // The builder checks it too; checked here again because this is what gets stored and signed.
    const messageScript = hex.decode(built.messageScript);
    assertProofCannotMoveCoins(built.psbt, { message: input.message, challenge: challenge?.nonce, messageScript });
    const round = {
      vaultIds: vaults.map((v) => v.id), message: input.message, challengeId: challenge?.id ?? null, height, blockHash, coins,
      totalSats: built.total, psbt: built.psbt, unsignedTxid: built.unsignedTxid, proposer: actor.id,
      policyVersion: active?.version ?? policy.version, requirement: policy.policyChange, createdAtMs: nowMs,
    };
    const details = { vaults: round.vaultIds, height, blockHash, coins: coins.length, totalSats: built.total, unsignedTxid: built.unsignedTxid, messageHash: built.messageHash, challenge: challenge?.id ?? null, policyVersion: round.policyVersion };
    const id = await tx.proofs.createRound(round, auditOf(actor, 'operator', 'proof.create', 'proof:new', details, nowMs));
    if (challenge) await tx.proofs.bindChallenge(challenge.id, id);
    const stored = await requireRound(tx.proofs, id);
    return { round: stored, challenge: challenge ? await requireChallenge(tx.proofs, challenge.id) : null };
  });
}

/** The statement an approver signs for a proof (for the CLI's --key and the API). */
export function proofStatement(network: Network, approverId: string, r: ProofRound): ProofApprovalStatement {
  return proofApprovalStatement(network, approverId, r);
}

function checkProofSignature(deps: ProofDeps, member: Member, r: ProofRound, signature: string | undefined): { signature: string | null; publicKey: string | null } {
  const key = member.publicKey ?? null;
  if (signature === undefined || signature.trim() === '') {
    if (key !== null) throw new DomainError('FORBIDDEN', `${member.id} has an approval key: the approval must be signed with it (CLI --key FILE)`);
    if (deps.network !== 'regtest') throw new DomainError('FORBIDDEN', `on ${deps.network} an approval is a signature by the member's own key: ${member.id} has none registered`);
    return { signature: null, publicKey: null };
  }
  if (key === null) throw new DomainError('FORBIDDEN', `${member.id} has no approval key registered: a signature cannot be checked`);
  const problem = proofApprovalProblem(proofStatement(deps.network, member.id, r), signature, key, { origins: deps.webauthn?.origins, requireUserVerification: deps.webauthn?.requireUserVerification });
  if (problem !== null) throw new DomainError('INVALID_SIGNATURE', `the signature does not sign the approval of proof ${r.id} (to_sign ${r.unsignedTxid}) with ${member.id}'s registered key: ${problem}`);
  return { signature: signature.trim().toLowerCase(), publicKey: key };
}

/** The approvals that count now: signatures that verify with the key each member has today (unsigned: regtest only, members without a key). */
async function countedApprovals(tx: ProofDeps, r: ProofRound) {
  const members = new Map((await tx.spends.members()).map((m) => [m.id, m]));
  return (await tx.proofs.approvals(r.id)).filter((a) => {
    const m = members.get(a.approverId);
    if (!m) return false;
    const key = m.publicKey ?? null;
    if (a.signature === null || a.signature === undefined) return key === null && tx.network === 'regtest';
    return key !== null && a.publicKey === key && proofApprovalProblem(proofStatement(tx.network, m.id, r), a.signature, key, { requireUserVerification: tx.webauthn?.requireUserVerification }) === null;
  });
}

/**
 * Approve a proof. The approval that completes the quorum (the policy's governance quorum; never
 * the proposer's own) moves the round to `approved`.
 * @throws FORBIDDEN, NOT_FOUND, INVALID_STATE, ALREADY_EXISTS, INVALID_SIGNATURE
 * @example await approveProof(deps, { actor: 'maria', proofId: 1 })
 */
export async function approveProof(deps: ProofDeps, input: { actor: string | undefined; proofId: number; signature?: string | undefined }): Promise<{ status: ApprovalStatus; state: ProofRound['state'] }> {
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const approver = await requireActor(tx.spends, input.actor, 'approver');
    const r = await requireRound(tx.proofs, input.proofId);
    if (r.state !== 'proposed') throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}, not awaiting approval`);
    if ((await tx.proofs.approvals(r.id)).some((a) => a.approverId === approver.id)) throw new DomainError('ALREADY_EXISTS', `${approver.id} already approved proof ${r.id}`);
    const signed = checkProofSignature(tx, approver, r, input.signature);
    const approval = { approverId: approver.id, groups: approver.groups, atMs: nowMs, ...signed };
    const status = approvalStatus(r.requirement, [...(await countedApprovals(tx, r)), approval], r.proposer);
    if (status.satisfied) assertProofTransition(r.id, r.state, 'approved');
    const details = { groups: approver.groups, counted: approver.id !== r.proposer, quorum: status.satisfied, missing: status.missing, unsignedTxid: r.unsignedTxid, ...(signed.signature === null ? { signed: false } : { signed: true, signature: signed.signature, publicKey: signed.publicKey }) };
    await tx.proofs.addApproval(r.id, approval, status.satisfied ? { state: 'approved' } : {}, auditOf(approver, 'approver', 'proof.approve', `proof:${r.id}`, details, nowMs));
    return { status, state: status.satisfied ? 'approved' : 'proposed' };
  });
}

/**
 * The proof PSBT for the signers (base64, standard fields only). Only once approved; the approvals
 * are counted again (signatures checked with today's keys) against the round's requirement AND the
 * policy in force now. The first export is recorded (signatures may exist from then on).
 * @throws FORBIDDEN, NOT_FOUND, APPROVAL_REQUIRED, INVALID_STATE
 */
export async function exportProof(deps: ProofDeps, input: { actor: string | undefined; proofId: number; destination: string }): Promise<{ psbt: string; unsignedTxid: string }> {
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const r = await requireRound(tx.proofs, input.proofId);
    if (r.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proof ${r.id} is not approved yet: it cannot go out for signing`);
    if (r.state !== 'approved') throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}: nothing left to sign`);
    const counted = await countedApprovals(tx, r);
    const policy = await requirePolicy(tx.spends);
    for (const req of [r.requirement, policy.policyChange]) {
      const s = approvalStatus(req, counted, r.proposer);
      if (!s.satisfied) throw new DomainError('APPROVAL_REQUIRED', `proof ${r.id} cannot go out for signing: ${s.missing}`);
    }
    const audit = auditOf(actor, 'operator', 'proof.export', `proof:${r.id}`, { unsignedTxid: r.unsignedTxid, to: input.destination }, nowMs);
    if (r.exportedAtMs === null) await tx.proofs.updateRound(r.id, 'approved', { exportedAtMs: nowMs }, audit, nowMs);
    else await tx.proofs.appendAudit(audit);
    return { psbt: cleanPsbtForSigners(r.psbt), unsignedTxid: r.unsignedTxid };
  });
}

/**
 * Import a signer's partial PSBT. It must be this round's proof (`assertProofCannotMoveCoins`:
 * the commitment input, the one 0-sat OP_RETURN output, nothing else) and its signatures must
 * verify for the vault; only the verified signatures are copied in.
 * @throws FORBIDDEN, NOT_FOUND, APPROVAL_REQUIRED, INVALID_STATE, INVALID_PSBT, PSBT_MISMATCH, INVALID_SIGNATURE
 */
export async function importProofSignatures(deps: ProofDeps, input: { actor: string | undefined; proofId: number; psbt: string | Uint8Array }): Promise<{ added: number; complete: boolean }> {
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const r = await requireRound(tx.proofs, input.proofId);
    if (r.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proof ${r.id} is not approved yet: signatures are not accepted before approval`);
    if (r.state !== 'approved') throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}: it takes no more signatures`);
    if (r.exportedAtMs === null) throw new DomainError('APPROVAL_REQUIRED', `proof ${r.id} has not gone out for signing yet (por export-psbt): signatures made before are not accepted`);
    if ((await tx.proofs.partials(r.id)).length >= MAX_PROOF_UPLOADS) throw new DomainError('INVALID_STATE', `proof ${r.id} already has ${MAX_PROOF_UPLOADS} uploads recorded`);
    const { commitment, descriptors } = await commitmentOf(tx, r);
    const upload = typeof input.psbt === 'string' ? input.psbt.trim() : input.psbt;
    assertProofCannotMoveCoins(upload, commitment);
    let merged: string;
    let added: number;
    let complete = false;
    if (descriptors.length === 1) {
      const m = mergeSignatures(r.psbt, upload, { descriptor: descriptors[0] as string, network: tx.network });
      merged = m.psbt;
      added = m.added;
      complete = m.complete;
    } else {
      // Several vaults: combined, then every signature is checked by the interpreter at finalize.
      merged = combineProofPsbts([r.psbt, upload], commitment);
      added = -1;
    }
    assertProofCannotMoveCoins(merged, commitment);
    const kept = typeof upload === 'string' ? upload : base64.encode(upload);
    await tx.proofs.addPartial({ roundId: r.id, importedBy: actor.id, signatures: Math.max(added, 0), atMs: nowMs, psbt: kept }, merged,
      auditOf(actor, 'operator', 'proof.import', `proof:${r.id}`, { added, complete }, nowMs));
    return { added, complete };
  });
}

/**
 * Finalize: every input through the script interpreter (BIP-322 full), then the proof file. A
 * bound challenge must still be open (not expired, not answered by another proof); it is marked
 * answered in the same transaction. Two finalizations at once: one wins, the other finds the round
 * finalized (INVALID_STATE).
 * @throws FORBIDDEN, NOT_FOUND, APPROVAL_REQUIRED, INVALID_STATE, PSBT_INCOMPLETE, INVALID_SIGNATURE, CHALLENGE_EXPIRED, CHALLENGE_USED
 */
export async function finalizeProof(deps: ProofDeps, input: { actor: string | undefined; proofId: number; publicDescriptors?: boolean }): Promise<{ round: ProofRound; proofFile: string; txid: string }> {
  try {
    return await inTx(deps, async (tx) => {
      const nowMs = tx.now();
      const actor = await requireActor(tx.spends, input.actor, 'operator');
      const r = await requireRound(tx.proofs, input.proofId);
      if (r.state === 'proposed') throw new DomainError('APPROVAL_REQUIRED', `proof ${r.id} is not approved yet`);
      if (r.state !== 'approved') throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}, not awaiting finalization`);
      assertProofTransition(r.id, r.state, 'finalized');
      const { commitment, descriptors, challenge } = await commitmentOf(tx, r);
      if (challenge) {
        const problem = challengeProblem(challenge, nowMs, r.id);
        if (problem) throw new RefusedWithAudit(auditOf(actor, 'operator', 'proof.finalize.refused', `proof:${r.id}`, { code: problem.code, challenge: challenge.id }, nowMs), problem);
      }
      assertProofCannotMoveCoins(r.psbt, commitment);
      const fin = finalizeProofPsbt(r.psbt, { network: tx.network, descriptors, commitment });
      assertProofCannotMoveCoins(fin.psbt, commitment);
      const file = makeProofFile({
        network: tx.network, message: r.message, challenge: challenge?.nonce ?? null, block: { height: r.height, hash: r.blockHash },
        utxos: r.coins.map((c) => ({ txid: c.txid, vout: c.vout, amount: c.value, script: c.script })),
        transactions: [{ hex: fin.txHex, messageScript: hex.encode(commitment.messageScript) }],
        ...(input.publicDescriptors === false ? {} : { descriptors }),
        createdAt: new Date(nowMs).toISOString(),
      });
      const text = serializeProofFile(file);
      await tx.proofs.updateRound(r.id, 'approved', { state: 'finalized', psbt: fin.psbt, proofFile: text },
        auditOf(actor, 'operator', 'proof.finalize', `proof:${r.id}`, { txid: fin.txid, totalSats: r.totalSats, coins: r.coins.length, height: r.height, blockHash: r.blockHash, challenge: challenge?.id ?? null }, nowMs), nowMs);
      if (challenge) await tx.proofs.answerChallenge(challenge.id, r.id, nowMs);
      return { round: await requireRound(tx.proofs, r.id), proofFile: text, txid: fin.txid };
    });
  } catch (e) {
    if (e instanceof RefusedWithAudit) {
      await deps.proofs.appendAudit(e.audit);
      throw e.error;
    }
    throw e;
  }
}

class RefusedWithAudit extends Error {
  readonly audit: AuditFields;
  readonly error: DomainError;
  constructor(audit: AuditFields, error: DomainError) {
    super(error.message);
    this.audit = audit;
    this.error = error;
  }
}

/** Publish a finalized proof: the public dashboard shows the newest published one. */
export async function publishProof(deps: ProofDeps, input: { actor: string | undefined; proofId: number }): Promise<ProofRound> {
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const r = await requireRound(tx.proofs, input.proofId);
    if (r.state !== 'finalized') throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}: only a finalized proof is published`);
    await tx.proofs.updateRound(r.id, 'finalized', { publishedAtMs: nowMs }, auditOf(actor, 'operator', 'proof.publish', `proof:${r.id}`, { totalSats: r.totalSats, height: r.height }, nowMs), nowMs);
    return requireRound(tx.proofs, r.id);
  });
}

/** Cancel a round that is not finalized; its challenge (if any) is released for another proof. */
export async function cancelProof(deps: ProofDeps, input: { actor: string | undefined; proofId: number; reason?: string | undefined }): Promise<ProofRound> {
  return inTx(deps, async (tx) => {
    const nowMs = tx.now();
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const r = await requireRound(tx.proofs, input.proofId);
    assertProofTransition(r.id, r.state, 'cancelled');
    await tx.proofs.updateRound(r.id, r.state, { state: 'cancelled' }, auditOf(actor, 'operator', 'proof.cancel', `proof:${r.id}`, { reason: input.reason ?? null }, nowMs), nowMs);
    if (r.challengeId !== null) await tx.proofs.releaseChallenge(r.challengeId, r.id);
    return requireRound(tx.proofs, r.id);
  });
}

/**
 * An auditor asks for a challenge: a random nonce (made by the store) the next proof must sign
 * before `ttlMs` passes. Who may: a member with the auditor role (or admin), or the API's
 * auditor/admin tokens (`audit.read`).
 * @throws FORBIDDEN, INVALID_ARGUMENT (ttl, note)
 */
export async function requestChallenge(deps: ProofDeps, input: { requestedBy: string; role: string; note?: string | undefined; ttlMs?: number | undefined }): Promise<ProofChallenge> {
  const ttl = input.ttlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl < 60_000 || ttl > MAX_CHALLENGE_TTL_MS) throw new DomainError('INVALID_ARGUMENT', 'a challenge lives from one minute to 90 days');
  const note = input.note === undefined || input.note.trim() === '' ? null : input.note.trim();
  if (note !== null && note.length > 200) throw new DomainError('INVALID_ARGUMENT', 'a challenge note is at most 200 characters');
  const nowMs = deps.now();
  return deps.proofs.createChallenge({ requestedBy: input.requestedBy, note, createdAtMs: nowMs, expiresAtMs: nowMs + ttl },
    { actor: input.requestedBy, role: input.role, action: 'proof.challenge', object: 'challenge:new', details: { note }, atMs: nowMs });
}

/** For the CLI: a member with the auditor or admin role asks for a challenge. */
export async function requestChallengeAsMember(deps: ProofDeps, input: { actor: string | undefined; note?: string | undefined; ttlMs?: number | undefined }): Promise<ProofChallenge> {
  const m = await deps.spends.findMember(input.actor?.trim() ?? '');
  if (!m) return requestChallenge(deps, { ...input, requestedBy: (await requireActor(deps.spends, input.actor, 'auditor')).id, role: 'auditor' });
  const role = m.roles.includes('auditor') ? 'auditor' : m.roles.includes('admin') ? 'admin' : null;
  if (role === null) throw new DomainError('FORBIDDEN', `member ${m.id} is neither an auditor nor an admin: only they ask for challenges`);
  return requestChallenge(deps, { ...input, requestedBy: m.id, role });
}
