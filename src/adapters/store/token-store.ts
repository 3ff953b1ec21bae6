/**
 * API tokens in the database (table `api_tokens`, migration 0004). A token is `sob_` followed by
 * 32 random bytes in base64url; only the SHA-256 of the whole string is stored, so the secret can
 * be shown once and never again. Lookup is by hash, so no secret is ever compared in the clear.
 *
 * Enrolment codes (table `token_enrolments`, migration 0008) likewise: `soe_` and 20 random bytes
 * in base32, stored as their SHA-256. Redeeming one is one write transaction: a conditional update
 * claims the code (unused, unrevoked, unexpired), the token is inserted and the audit entry
 * appended — all commit together, so two redemptions of one code make exactly one token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../core/errors.ts';
import { enrolmentState, ROLES, type ApiTokenInfo, type ApiTokenStore, type CreatedApiToken, type CreatedEnrolment, type EnrolmentInfo, type EnrolmentOutcome, type EnrolmentStore, type Role } from '../../core/auth/roles.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import type { Clock, RandomSource } from '../../core/ports.ts';
import type { Kysely, Selectable } from 'kysely';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toNum, toNumOrNull, type Database } from './database.ts';
import type { ApiTokensTable, Tables, TokenEnrolmentsTable } from './schema.ts';

export const TOKEN_PREFIX = 'sob_';
const TOKEN_RE = /^sob_[A-Za-z0-9_-]{43}$/;
const NAME_MAX = 100;

/** A token as read: every column but the hash. */
type TokenRow = Omit<Selectable<ApiTokensTable>, 'token_hash'>;

const systemClock: Clock = { now: () => Date.now() };
const systemRandom: RandomSource = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/** SHA-256 of the token string, hex. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class SqlApiTokenStore implements ApiTokenStore {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly enrolments: EnrolmentStore;

  constructor(database: Database, opts: { clock?: Clock; random?: RandomSource } = {}) {
    this.#database = database;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? systemRandom;
    this.enrolments = new SqlEnrolmentStore(database, this.#random, (db, input) => this.#insert(db, input));
  }

  async create(input: { name: string; role: Role; memberId?: string | null }): Promise<CreatedApiToken> {
    return this.#insert(this.#database.db, input);
  }

  /** Insert a new token through `db` (the pool, or a transaction). */
  async #insert(db: Kysely<Tables>, input: { name: string; role: Role; memberId?: string | null }): Promise<CreatedApiToken> {
    const name = checkedTokenName(input.name);
    if (!ROLES.includes(input.role)) throw new TypeError(`token create: unknown role ${String(input.role)}`);
    const secretBytes = this.#random.bytes(32);
    if (secretBytes.length !== 32) throw new RangeError('token create: random source returned the wrong length');
    const token = TOKEN_PREFIX + Buffer.from(secretBytes).toString('base64url');
    const id = 'tok_' + Buffer.from(this.#random.bytes(6)).toString('hex');
    const createdAt = new Date(this.#clock.now()).toISOString();
    await db
      .insertInto('api_tokens')
      .values({ id, name, role: input.role, token_hash: hashToken(token), created_at: createdAt, revoked_at: null, member_id: input.memberId ?? null })
      .execute();
    return { id, name, role: input.role, createdAt, revokedAt: null, memberId: input.memberId ?? null, token };
  }

  async list(): Promise<ApiTokenInfo[]> {
    const rows = await this.#database.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role', 'created_at', 'revoked_at', 'member_id'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toInfo);
  }

  async revoke(id: string): Promise<ApiTokenInfo> {
    const row = await this.#database.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role', 'created_at', 'revoked_at', 'member_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new DomainError('NOT_FOUND', `no API token with id "${id}"`);
    if (row.revoked_at !== null) throw new DomainError('INVALID_STATE', `API token "${id}" is already revoked`);
    const revokedAt = new Date(this.#clock.now()).toISOString();
    await this.#database.db.updateTable('api_tokens').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
    return toInfo({ ...row, revoked_at: revokedAt });
  }

  async authenticate(secret: string): Promise<ApiTokenInfo | null> {
    if (!TOKEN_RE.test(secret)) return null;
    const row = await this.#database.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role', 'created_at', 'revoked_at', 'member_id'])
      .where('token_hash', '=', hashToken(secret))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null) return null;
    return toInfo(row);
  }
}

/** A token name as given, trimmed; INVALID_ARGUMENT unless 1 to 100 printable characters. */
export function checkedTokenName(given: string): string {
  const name = given.trim();
  if (name === '' || name.length > NAME_MAX || [...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')) {
    throw new DomainError('INVALID_ARGUMENT', `a token name must be 1 to ${NAME_MAX} printable characters`);
  }
  return name;
}

function toInfo(r: TokenRow): ApiTokenInfo {
  const role = ROLES.find((x) => x === r.role);
  if (!role) throw new DomainError('MALFORMED_DATA', `API token ${r.id} has an unknown role "${r.role}"`);
  return { id: r.id, name: r.name, role, createdAt: r.created_at, revokedAt: r.revoked_at, memberId: r.member_id };
}

// ---- enrolment codes (migration 0008) ----

export const ENROLMENT_PREFIX = 'soe_';
const ENROLMENT_RE = /^soe_[a-z2-7]{32}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding (20 bytes → 32 characters). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31] ?? '';
  return out;
}

/**
 * An enrolment code as typed, in its one canonical form (lowercase, spaces and dashes dropped), or
 * null when it cannot be one. Only the canonical form is hashed.
 */
export function canonicalEnrolmentCode(given: string): string | null {
  const c = given.trim().toLowerCase().replace(/[\s-]/g, '');
  return ENROLMENT_RE.test(c) ? c : null;
}

type EnrolmentRow = Omit<Selectable<TokenEnrolmentsTable>, 'code_hash'>;
const ENROLMENT_COLUMNS = ['id', 'member_id', 'role', 'issued_by', 'created_at_ms', 'expires_at_ms', 'redeemed_at_ms', 'token_id', 'revoked_at_ms'] as const;

function enrolmentFromRow(r: EnrolmentRow): EnrolmentInfo {
  const role = ROLES.find((x) => x === r.role);
  if (!role) throw new DomainError('MALFORMED_DATA', `enrolment ${r.id} has an unknown role "${r.role}"`);
  return {
    id: r.id, memberId: r.member_id, role, issuedBy: r.issued_by, createdAtMs: toNum(r.created_at_ms), expiresAtMs: toNum(r.expires_at_ms),
    redeemedAtMs: toNumOrNull(r.redeemed_at_ms), tokenId: r.token_id, revokedAtMs: toNumOrNull(r.revoked_at_ms),
  };
}

/** The member's roles as stored (JSON list), or null when there is no such member. */
async function memberRoles(db: Kysely<Tables>, id: string): Promise<string[] | null> {
  const row = await db.selectFrom('members').select('roles').where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const v = JSON.parse(row.roles) as unknown;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new DomainError('MALFORMED_DATA', `member ${id} has a malformed list of roles`);
  return v as string[];
}

/** Enrolment codes in SQL; made by SqlApiTokenStore, which lends it the token insert. */
class SqlEnrolmentStore implements EnrolmentStore {
  readonly #database: Database;
  readonly #random: RandomSource;
  readonly #insertToken: (db: Kysely<Tables>, input: { name: string; role: Role; memberId: string }) => Promise<CreatedApiToken>;

  constructor(database: Database, random: RandomSource, insertToken: (db: Kysely<Tables>, input: { name: string; role: Role; memberId: string }) => Promise<CreatedApiToken>) {
    this.#database = database;
    this.#random = random;
    this.#insertToken = insertToken;
  }

  async issue(input: { memberId: string; role: Role; issuedBy: string; nowMs: number; expiresAtMs: number }, audit: (e: EnrolmentInfo) => AuditFields): Promise<CreatedEnrolment> {
    if (!ROLES.includes(input.role)) throw new TypeError(`enrolment issue: unknown role ${String(input.role)}`);
    if (!Number.isSafeInteger(input.nowMs) || !Number.isSafeInteger(input.expiresAtMs) || input.expiresAtMs <= input.nowMs) throw new RangeError('enrolment issue: expiresAtMs must be a time after nowMs');
    const codeBytes = this.#random.bytes(20);
    if (codeBytes.length !== 20) throw new RangeError('enrolment issue: random source returned the wrong length');
    const code = ENROLMENT_PREFIX + base32(codeBytes);
    const id = 'enr_' + Buffer.from(this.#random.bytes(6)).toString('hex');
    const e: EnrolmentInfo = { id, memberId: input.memberId, role: input.role, issuedBy: input.issuedBy, createdAtMs: input.nowMs, expiresAtMs: input.expiresAtMs, redeemedAtMs: null, tokenId: null, revokedAtMs: null };
    await inWriteTransaction(this.#database, async (trx) => {
      await trx
        .insertInto('token_enrolments')
        .values({ id, member_id: e.memberId, role: e.role, code_hash: hashToken(code), issued_by: e.issuedBy, created_at_ms: BigInt(e.createdAtMs), expires_at_ms: BigInt(e.expiresAtMs), redeemed_at_ms: null, token_id: null, revoked_at_ms: null })
        .execute();
      await appendAudit(trx, this.#database.engine, audit(e));
    });
    return { ...e, code };
  }

  async list(): Promise<EnrolmentInfo[]> {
    const rows = await this.#database.db.selectFrom('token_enrolments').select(ENROLMENT_COLUMNS).orderBy('created_at_ms').orderBy('id').execute();
    return rows.map(enrolmentFromRow);
  }

  async revoke(id: string, nowMs: number, audit: (e: EnrolmentInfo) => AuditFields): Promise<EnrolmentInfo> {
    return inWriteTransaction(this.#database, async (trx) => {
      const row = await trx.selectFrom('token_enrolments').select(ENROLMENT_COLUMNS).where('id', '=', id).executeTakeFirst();
      if (!row) throw new DomainError('NOT_FOUND', `no enrolment with id "${id}" (see "soberana token enrolments")`);
      const e = enrolmentFromRow(row);
      if (e.redeemedAtMs !== null) throw new DomainError('INVALID_STATE', `enrolment ${id} was already redeemed (token ${e.tokenId ?? '?'}): revoke that token instead`);
      if (e.revokedAtMs !== null) throw new DomainError('INVALID_STATE', `enrolment ${id} is already revoked`);
      const r = await trx.updateTable('token_enrolments').set({ revoked_at_ms: BigInt(nowMs) }).where('id', '=', id).where('redeemed_at_ms', 'is', null).where('revoked_at_ms', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `enrolment ${id} changed meanwhile; look again`);
      const revoked = { ...e, revokedAtMs: nowMs };
      await appendAudit(trx, this.#database.engine, audit(revoked));
      return revoked;
    });
  }

  async redeem(code: string, input: { name: string; nowMs: number }, audit: (o: Exclude<EnrolmentOutcome, { kind: 'unknown' }>) => AuditFields): Promise<{ outcome: EnrolmentOutcome; token: CreatedApiToken | null }> {
    const name = checkedTokenName(input.name);
    const canonical = canonicalEnrolmentCode(code);
    if (canonical === null) return { outcome: { kind: 'unknown' }, token: null };
    const hash = hashToken(canonical);
    return inWriteTransaction(this.#database, async (trx) => {
      const row = await trx.selectFrom('token_enrolments').select(ENROLMENT_COLUMNS).where('code_hash', '=', hash).executeTakeFirst();
      if (!row) return { outcome: { kind: 'unknown' } as const, token: null };
      const e = enrolmentFromRow(row);
      const refuse = async (reason: 'used' | 'revoked' | 'expired' | 'role', roles: readonly string[] | null) => {
        const outcome = { kind: 'refused', reason, enrolment: e, memberRoles: roles } as const;
        await appendAudit(trx, this.#database.engine, audit(outcome));
        return { outcome, token: null };
      };
      const state = enrolmentState(e, input.nowMs);
      if (state !== 'pending') return refuse(state === 'redeemed' ? 'used' : state, null);
      const roles = await memberRoles(trx, e.memberId);
      if (roles === null || !roles.includes(e.role)) return refuse('role', roles);
      const token = await this.#insertToken(trx, { name, role: e.role, memberId: e.memberId });
      // the claim: only an unused, unrevoked, unexpired code is updated — of two redemptions, one wins
      const claimed = await trx
        .updateTable('token_enrolments')
        .set({ redeemed_at_ms: BigInt(input.nowMs), token_id: token.id })
        .where('id', '=', e.id)
        .where('redeemed_at_ms', 'is', null)
        .where('revoked_at_ms', 'is', null)
        .where('expires_at_ms', '>', BigInt(input.nowMs))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `enrolment ${e.id} was redeemed or revoked meanwhile: no token was made`);
      const redeemed = { ...e, redeemedAtMs: input.nowMs, tokenId: token.id };
      const { token: _secret, ...info } = token;
      await appendAudit(trx, this.#database.engine, audit({ kind: 'redeemed', enrolment: redeemed, token: info }));
      return { outcome: { kind: 'redeemed', enrolment: redeemed, token: info } as const, token };
    });
  }
}
