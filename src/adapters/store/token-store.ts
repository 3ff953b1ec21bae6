/**
 * API tokens in the database (table `api_tokens`, migration 0004). A token is `sob_` followed by
 * 32 random bytes in base64url; only the SHA-256 of the whole string is stored, so the secret can
 * be shown once and never again. Lookup is by hash, so no secret is ever compared in the clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../core/errors.ts';
import { ROLES, type ApiTokenInfo, type ApiTokenStore, type CreatedApiToken, type Role } from '../../core/auth/roles.ts';
import type { Clock, RandomSource } from '../../core/ports.ts';
import type { Selectable } from 'kysely';
import type { Database } from './database.ts';
import type { ApiTokensTable } from './schema.ts';

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

  constructor(database: Database, opts: { clock?: Clock; random?: RandomSource } = {}) {
    this.#database = database;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? systemRandom;
  }

  async create(input: { name: string; role: Role; memberId?: string | null }): Promise<CreatedApiToken> {
    const name = input.name.trim();
    if (name === '' || name.length > NAME_MAX || [...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')) {
      throw new DomainError('INVALID_ARGUMENT', `a token name must be 1 to ${NAME_MAX} printable characters`);
    }
    if (!ROLES.includes(input.role)) throw new TypeError(`token create: unknown role ${String(input.role)}`);
    const secretBytes = this.#random.bytes(32);
    if (secretBytes.length !== 32) throw new RangeError('token create: random source returned the wrong length');
    const token = TOKEN_PREFIX + Buffer.from(secretBytes).toString('base64url');
    const id = 'tok_' + Buffer.from(this.#random.bytes(6)).toString('hex');
    const createdAt = new Date(this.#clock.now()).toISOString();
    await this.#database.db
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

function toInfo(r: TokenRow): ApiTokenInfo {
  const role = ROLES.find((x) => x === r.role);
  if (!role) throw new DomainError('MALFORMED_DATA', `API token ${r.id} has an unknown role "${r.role}"`);
  return { id: r.id, name: r.name, role, createdAt: r.created_at, revokedAt: r.revoked_at, memberId: r.member_id };
}
