/**
 * Who may do what through the HTTP API. Pure: the server asks `can(principal, permission)`
 * before every handler, and the table-driven test walks the whole matrix.
 *
 * `public` is the caller without a token: it reads the public dataset and nothing else.
 *
 * @example
 *   can('auditor', 'audit.read') === true
 *   can('public', 'reserve.read') === false
 */
import { DomainError } from '../errors.ts';

/** Roles a token can carry. */
export const ROLES = ['admin', 'operator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** A role, or the anonymous caller. */
export type Principal = Role | 'public';
export const PRINCIPALS: readonly Principal[] = ['public', ...ROLES];

/** Every permission an endpoint can require. */
export const PERMISSIONS = [
  'public.read', // the transparency dataset: totals, holdings, addresses, transactions, verification
  'session.read', // who am I, which permissions do I hold
  'reserve.read', // operator data: vaults with descriptors and keys, utxos, labels
  'proposals.read', // spend proposals, their memos and approval state, PSBT download
  'proposals.create', // create a proposal, upload a signed PSBT
  'proposals.approve', // approve or reject a proposal
  'proposals.execute', // take the PSBT out for signing, upload signatures, finalize, broadcast, cancel
  'policy.read',
  'policy.write',
  'policy.approve', // approve a proposed policy change
  'members.read', // who proposes, approves and audits (names, roles, groups)
  'audit.read', // the tamper-evident audit log
  'tokens.manage', // create, list and revoke API tokens
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The permission matrix. A `Record` over every principal: a new role without a row fails to
 * compile. Operators run the office, approvers form the quorum, auditors (and the IMF) read
 * everything but change nothing, the admin manages access.
 */
export const PERMISSION_MATRIX: Readonly<Record<Principal, readonly Permission[]>> = {
  public: ['public.read'],
  admin: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'policy.read', 'policy.write', 'members.read', 'audit.read', 'tokens.manage'],
  operator: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'proposals.create', 'proposals.execute', 'policy.read', 'members.read'],
  approver: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'proposals.approve', 'policy.read', 'policy.approve', 'members.read'],
  auditor: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'policy.read', 'members.read', 'audit.read'],
};

/**
 * Whether `principal` holds `permission`.
 * @example can('operator', 'tokens.manage') === false
 */
export function can(principal: Principal, permission: Permission): boolean {
  return PERMISSION_MATRIX[principal].includes(permission);
}

/** Every permission a principal holds, in the order of PERMISSIONS. */
export function permissionsOf(principal: Principal): Permission[] {
  return PERMISSIONS.filter((p) => can(principal, p));
}

/**
 * Parse a role name as typed by a user (`--role operator`).
 * @example parseRole('Auditor') === 'auditor'
 */
export function parseRole(text: string): Role {
  const t = text.trim().toLowerCase();
  const r = ROLES.find((x) => x === t);
  if (!r) throw new DomainError('INVALID_ARGUMENT', `unknown role "${text}" (use ${ROLES.join(', ')})`);
  return r;
}

/** An API token as the server sees it once authenticated (never the secret itself). */
export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** ISO-8601 time of creation. */
  readonly createdAt: string;
  /** ISO-8601 time of revocation, or null while valid. */
  readonly revokedAt: string | null;
  /** The member the token is issued to (it acts in governance as that member only); null: none. */
  readonly memberId: string | null;
}

/** A freshly created token: the secret is in `token`, shown once and never stored. */
export interface CreatedApiToken extends ApiTokenInfo {
  readonly token: string;
}

/**
 * Where API tokens live. Only a hash of each secret is kept; `authenticate` returns the token's
 * record when the secret is valid and not revoked, else null.
 */
export interface ApiTokenStore {
  create(input: { name: string; role: Role; memberId?: string | null }): Promise<CreatedApiToken>;
  list(): Promise<ApiTokenInfo[]>;
  /** Revoke by id; NOT_FOUND when no such token, INVALID_STATE when already revoked. */
  revoke(id: string): Promise<ApiTokenInfo>;
  authenticate(secret: string): Promise<ApiTokenInfo | null>;
}
