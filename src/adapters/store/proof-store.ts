/**
 * Proof-of-reserves rounds and challenges in SQL (SQLite and PostgreSQL; migration 0010). Like
 * `SqlSpendStore`: every mutation and its audit entry commit in one transaction that holds the
 * governance write lock, and `atomically` runs a whole use case in one such transaction, with the
 * spend and vault stores bound to it (members, the policy and the coins are read in the same
 * transaction that records the step).
 *
 * Challenge nonces are made here (32 bytes from node:crypto, or an injected RandomSource).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import { toJson } from '../../core/json.ts';
import { sats } from '../../core/money.ts';
import type { RandomSource } from '../../core/ports.ts';
import type { Approval, ApprovalRequirement } from '../../core/policy/types.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { PROOF_STATES, type NewProofRound, type ProofChallenge, type ProofCoin, type ProofPartialRecord, type ProofRound, type ProofRoundUpdate, type ProofState, type ProofStore, type ProofTx } from '../../core/por/round.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import { SqlSpendStore } from './spend-store.ts';
import { SqlVaultStore } from './vault-store.ts';
import type { ProofChallengesTable, ProofRoundsTable, Tables } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

type Trx = Kysely<Tables>;

const systemRandom: RandomSource = { bytes: (n) => new Uint8Array(randomBytes(n)) };

function strings(text: string): string[] {
  const v = JSON.parse(text) as unknown;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new DomainError('MALFORMED_DATA', 'a stored list is not a list of strings');
  return v as string[];
}

function stateOf(v: string): ProofState {
  if ((PROOF_STATES as readonly string[]).includes(v)) return v as ProofState;
  throw new DomainError('MALFORMED_DATA', `a stored proof state "${v}" is unknown`);
}

function coinsFrom(text: string): ProofCoin[] {
  const v = JSON.parse(text) as { vaultId: string; txid: string; vout: number; value: string; script: string; branch: 0 | 1; index: number; height: number }[];
  return v.map((c) => ({ vaultId: c.vaultId, txid: c.txid, vout: c.vout, value: sats(BigInt(c.value), 'coin value'), script: c.script, branch: c.branch, index: c.index, height: c.height }));
}

function roundFromRow(r: Selectable<ProofRoundsTable>): ProofRound {
  return {
    id: toNum(r.id),
    vaultIds: strings(r.vault_ids),
    message: r.message,
    challengeId: r.challenge_id,
    height: toNum(r.height),
    blockHash: r.block_hash,
    coins: coinsFrom(r.coins),
    totalSats: sats(toBig(r.total_sats), 'total_sats'),
    state: stateOf(r.state),
    psbt: r.psbt,
    unsignedTxid: r.unsigned_txid,
    proposer: r.proposer,
    policyVersion: toNum(r.policy_version),
    requirement: JSON.parse(r.requirement) as ApprovalRequirement,
    exportedAtMs: toNumOrNull(r.exported_at_ms),
    proofFile: r.proof_file,
    publishedAtMs: toNumOrNull(r.published_at_ms),
    createdAtMs: toNum(r.created_at_ms),
    updatedAtMs: toNum(r.updated_at_ms),
  };
}

function challengeFromRow(r: Selectable<ProofChallengesTable>): ProofChallenge {
  return {
    id: r.id, nonce: r.nonce, requestedBy: r.requested_by, note: r.note, createdAtMs: toNum(r.created_at_ms), expiresAtMs: toNum(r.expires_at_ms),
    roundId: toNumOrNull(r.round_id), answeredAtMs: toNumOrNull(r.answered_at_ms),
  };
}

function updateColumns(u: ProofRoundUpdate) {
  return {
    ...(u.state !== undefined ? { state: u.state } : {}),
    ...(u.psbt !== undefined ? { psbt: u.psbt } : {}),
    ...(u.exportedAtMs !== undefined ? { exported_at_ms: BigInt(u.exportedAtMs) } : {}),
    ...(u.proofFile !== undefined ? { proof_file: u.proofFile } : {}),
    ...(u.publishedAtMs !== undefined ? { published_at_ms: BigInt(u.publishedAtMs) } : {}),
  };
}

export class SqlProofStore implements ProofStore {
  readonly #database: Database;
  readonly #bound: Trx | null;
  readonly #via: Readonly<Record<string, string>> | null;
  readonly #random: RandomSource;

  constructor(database: Database, opts: { random?: RandomSource; bound?: Trx | null; via?: Readonly<Record<string, string>> | null } = {}) {
    this.#database = database;
    this.#bound = opts.bound ?? null;
    this.#via = opts.via ?? null;
    this.#random = opts.random ?? systemRandom;
  }

  get #k(): Trx {
    return this.#bound ?? this.#database.db;
  }

  #write<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#bound ? fn(this.#bound) : inWriteTransaction(this.#database, fn);
  }

  async #mutate<T>(audit: AuditFields, fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#write(async (trx) => {
      const result = await fn(trx);
      await appendAudit(trx, this.#database.engine, this.#stamped(audit));
      return result;
    });
  }

  #stamped(audit: AuditFields): AuditFields {
    if (this.#via === null) return audit;
    const d = audit.details;
    const details = d !== null && typeof d === 'object' && !Array.isArray(d) ? { ...(d as Record<string, unknown>), via: this.#via } : { value: d ?? null, via: this.#via };
    return { ...audit, details };
  }

  #boundTo(trx: Trx): SqlProofStore {
    return new SqlProofStore(this.#database, { random: this.#random, bound: trx, via: this.#via });
  }

  atomically<T>(fn: (tx: ProofTx) => Promise<T>): Promise<T> {
    const run = (trx: Trx) => {
      const spends = new SqlSpendStore(this.#database, trx);
      return fn({ proofs: this.#boundTo(trx), spends: this.#via ? spends.withAuditContext(this.#via) : spends, vaults: new SqlVaultStore(this.#database, trx) });
    };
    return this.#bound ? run(this.#bound) : inWriteTransaction(this.#database, run);
  }

  withAuditContext(via: Readonly<Record<string, string>>): ProofStore {
    return new SqlProofStore(this.#database, { random: this.#random, bound: this.#bound, via: { ...(this.#via ?? {}), ...via } });
  }

  async createRound(r: NewProofRound, audit: AuditFields, initial?: { readonly state: 'finalized'; readonly proofFile: string }): Promise<number> {
    return this.#mutate(audit, async (trx) => {
      const inserted = await trx.insertInto('proof_rounds').values({
        vault_ids: JSON.stringify(r.vaultIds), message: r.message, challenge_id: r.challengeId, height: r.height, block_hash: r.blockHash,
        coins: toJson(r.coins), total_sats: r.totalSats, state: initial?.state ?? 'proposed', psbt: r.psbt, unsigned_txid: r.unsignedTxid, proposer: r.proposer,
        policy_version: r.policyVersion, requirement: toJson(r.requirement), exported_at_ms: null, proof_file: initial?.proofFile ?? null, published_at_ms: null,
        created_at_ms: BigInt(r.createdAtMs), updated_at_ms: BigInt(r.createdAtMs),
      }).returning('id').executeTakeFirstOrThrow();
      return toNum(inserted.id);
    });
  }

  async round(id: number): Promise<ProofRound | null> {
    const r = await this.#k.selectFrom('proof_rounds').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? roundFromRow(r) : null;
  }

  async rounds(): Promise<ProofRound[]> {
    const rows = await this.#k.selectFrom('proof_rounds').selectAll().orderBy('id', 'desc').execute();
    return rows.map(roundFromRow);
  }

  async latestPublished(): Promise<ProofRound | null> {
    const r = await this.#k.selectFrom('proof_rounds').selectAll().where('published_at_ms', 'is not', null).orderBy('published_at_ms', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? roundFromRow(r) : null;
  }

  async updateRound(id: number, expectedState: ProofState, update: ProofRoundUpdate, audit: AuditFields, atMs: number): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.updateTable('proof_rounds').set({ ...updateColumns(update), updated_at_ms: BigInt(atMs) }).where('id', '=', id).where('state', '=', expectedState).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proof ${id} is no longer ${expectedState}`);
    });
  }

  async approvals(roundId: number): Promise<Approval[]> {
    const rows = await this.#k.selectFrom('proof_approvals').selectAll().where('round_id', '=', roundId).orderBy('at_ms').execute();
    return rows.map((r) => ({ approverId: r.approver, groups: strings(r.groups), atMs: toNum(r.at_ms), signature: r.signature, publicKey: r.public_key }));
  }

  async addApproval(roundId: number, a: Approval, update: ProofRoundUpdate, audit: AuditFields): Promise<void> {
    try {
      await this.#mutate(audit, async (trx) => {
        await trx.insertInto('proof_approvals').values({ round_id: roundId, approver: a.approverId, groups: JSON.stringify(a.groups), at_ms: BigInt(a.atMs), signature: a.signature ?? null, public_key: a.publicKey ?? null }).execute();
        const u = await trx.updateTable('proof_rounds').set({ ...updateColumns(update), updated_at_ms: BigInt(a.atMs) }).where('id', '=', roundId).where('state', '=', 'proposed').executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proof ${roundId} is no longer awaiting approval`);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', `${a.approverId} already approved proof ${roundId}`);
      throw e;
    }
  }

  async addPartial(rec: Omit<ProofPartialRecord, 'seq'>, combinedPsbt: string, audit: AuditFields): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.selectFrom('proof_partials').select((eb) => eb.fn.max('seq').as('m')).where('round_id', '=', rec.roundId).executeTakeFirst();
      const seq = (toNumOrNull(r?.m) ?? 0) + 1;
      await trx.insertInto('proof_partials').values({ round_id: rec.roundId, seq, imported_by: rec.importedBy, signatures: rec.signatures, psbt: rec.psbt, at_ms: BigInt(rec.atMs) }).execute();
      const u = await trx.updateTable('proof_rounds').set({ psbt: combinedPsbt, updated_at_ms: BigInt(rec.atMs) }).where('id', '=', rec.roundId).where('state', '=', 'approved').executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proof ${rec.roundId} is no longer collecting signatures`);
    });
  }

  async partials(roundId: number): Promise<ProofPartialRecord[]> {
    const rows = await this.#k.selectFrom('proof_partials').selectAll().where('round_id', '=', roundId).orderBy('seq').execute();
    return rows.map((r) => ({ roundId: toNum(r.round_id), seq: toNum(r.seq), importedBy: r.imported_by, signatures: toNum(r.signatures), atMs: toNum(r.at_ms), psbt: r.psbt }));
  }

  async createChallenge(c: { requestedBy: string; note: string | null; createdAtMs: number; expiresAtMs: number }, audit: AuditFields): Promise<ProofChallenge> {
    const id = `ch_${hex.encode(this.#random.bytes(8))}`;
    const nonce = hex.encode(this.#random.bytes(32));
    if (!/^ch_[0-9a-f]{16}$/.test(id) || !/^[0-9a-f]{64}$/.test(nonce)) throw new RangeError('SqlProofStore: the random source gave too few bytes');
    const challenge: ProofChallenge = { id, nonce, requestedBy: c.requestedBy, note: c.note, createdAtMs: c.createdAtMs, expiresAtMs: c.expiresAtMs, roundId: null, answeredAtMs: null };
    await this.#mutate({ ...audit, object: `challenge:${id}`, details: { ...(audit.details as Record<string, unknown>), nonce, expiresAtMs: c.expiresAtMs } }, (trx) =>
      trx.insertInto('proof_challenges').values({ id, nonce, requested_by: c.requestedBy, note: c.note, created_at_ms: BigInt(c.createdAtMs), expires_at_ms: BigInt(c.expiresAtMs), round_id: null, answered_at_ms: null }).execute(),
    );
    return challenge;
  }

  async challenge(id: string): Promise<ProofChallenge | null> {
    const r = await this.#k.selectFrom('proof_challenges').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? challengeFromRow(r) : null;
  }

  async challengeByNonce(nonce: string): Promise<ProofChallenge | null> {
    const r = await this.#k.selectFrom('proof_challenges').selectAll().where('nonce', '=', nonce).executeTakeFirst();
    return r ? challengeFromRow(r) : null;
  }

  async challenges(): Promise<ProofChallenge[]> {
    const rows = await this.#k.selectFrom('proof_challenges').selectAll().orderBy('created_at_ms', 'desc').orderBy('id').execute();
    return rows.map(challengeFromRow);
  }

  async bindChallenge(challengeId: string, roundId: number): Promise<void> {
    await this.#write(async (trx) => {
      const u = await trx.updateTable('proof_challenges').set({ round_id: roundId }).where('id', '=', challengeId).where('round_id', 'is', null).where('answered_at_ms', 'is', null).executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) throw new DomainError('CHALLENGE_USED', `challenge ${challengeId} is already answered or being answered`);
    });
  }

  async answerChallenge(challengeId: string, roundId: number, atMs: number): Promise<void> {
    await this.#write(async (trx) => {
      const u = await trx.updateTable('proof_challenges').set({ round_id: roundId, answered_at_ms: BigInt(atMs) }).where('id', '=', challengeId).where('answered_at_ms', 'is', null)
        .where((eb) => eb.or([eb('round_id', 'is', null), eb('round_id', '=', roundId)])).executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) throw new DomainError('CHALLENGE_USED', `challenge ${challengeId} was answered already`);
    });
  }

  async releaseChallenge(challengeId: string, roundId: number): Promise<void> {
    await this.#write((trx) => trx.updateTable('proof_challenges').set({ round_id: null }).where('id', '=', challengeId).where('round_id', '=', roundId).where('answered_at_ms', 'is', null).execute());
  }

  async appendAudit(audit: AuditFields): Promise<void> {
    await this.#write((trx) => appendAudit(trx, this.#database.engine, this.#stamped(audit)));
  }
}
