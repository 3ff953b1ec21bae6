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
import type { AuditFields } from '../spend/types.ts';

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
  'tokens.manage', // create, list and revoke API tokens, issue and revoke enrolment codes
  'tokens.enrol', // redeem a one-time enrolment code for a token bound to its member (the code is the credential)
  'settlement.read', // alliance settlement: members, invoices, positions, cycles, statements (a member state's token: its own only)
  'settlement.write', // a member state submits its invoices, confirms or disputes those it owes
  'settlement.close', // close a settlement cycle at a cutoff (rates locked, positions netted)
  'settlement.screen', // the compliance officer releases or rejects a screening hold
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The permission matrix. A `Record` over every principal: a new role without a row fails to
 * compile. Operators run the office, approvers form the quorum, auditors (and the IMF) read
 * everything but change nothing, the admin manages access.
 *
 * Alliance settlement splits the same way: a member state's token (an operator token bound to its
 * API identity) submits and confirms, the admin closes a cycle, an approver — never the member that
 * submitted — decides screening holds, and the auditor reads.
 */
export const PERMISSION_MATRIX: Readonly<Record<Principal, readonly Permission[]>> = {
  public: ['public.read', 'tokens.enrol'],
  admin: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'policy.read', 'policy.write', 'members.read', 'audit.read', 'tokens.manage', 'tokens.enrol', 'settlement.read', 'settlement.close'],
  operator: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'proposals.create', 'proposals.execute', 'policy.read', 'members.read', 'tokens.enrol', 'settlement.read', 'settlement.write'],
  approver: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'proposals.approve', 'policy.read', 'policy.approve', 'members.read', 'tokens.enrol', 'settlement.read', 'settlement.screen'],
  auditor: ['public.read', 'session.read', 'reserve.read', 'proposals.read', 'policy.read', 'members.read', 'audit.read', 'tokens.enrol', 'settlement.read'],
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
 *
 * `create` with a `memberId` is the store-level path for fixtures and tests: the transports (CLI,
 * API) never bind a token to a member that way — only the member's enrolment does (`enrolments`).
 */
export interface ApiTokenStore {
  create(input: { name: string; role: Role; memberId?: string | null }): Promise<CreatedApiToken>;
  list(): Promise<ApiTokenInfo[]>;
  /** Revoke by id; NOT_FOUND when no such token, INVALID_STATE when already revoked. */
  revoke(id: string): Promise<ApiTokenInfo>;
  authenticate(secret: string): Promise<ApiTokenInfo | null>;
  /** One-time enrolment codes; absent in a store that offers none (the enrolment routes are then not served). */
  readonly enrolments?: EnrolmentStore;
}

/** An enrolment code's record: for whom, which role, and what became of it (never the code itself). */
export interface EnrolmentInfo {
  /** `enr_` and 12 hex digits. */
  readonly id: string;
  readonly memberId: string;
  readonly role: Role;
  /** Who issued it (a member id, or a label such as `cli` / `token:tok_…`). */
  readonly issuedBy: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly redeemedAtMs: number | null;
  /** The token the redemption made. */
  readonly tokenId: string | null;
  readonly revokedAtMs: number | null;
}

/** A freshly issued enrolment: the code is in `code`, shown once and never stored. */
export interface CreatedEnrolment extends EnrolmentInfo {
  readonly code: string;
}

/** What a redemption attempt found, for its audit entry. `unknown` (no such code) is never audited: it names no member. */
export type EnrolmentOutcome =
  | { readonly kind: 'redeemed'; readonly enrolment: EnrolmentInfo; readonly token: ApiTokenInfo }
  | { readonly kind: 'refused'; readonly reason: 'used' | 'revoked' | 'expired' | 'role'; readonly enrolment: EnrolmentInfo; readonly memberRoles: readonly string[] | null }
  | { readonly kind: 'unknown' };

/**
 * Where enrolment codes live. Each change commits with its audit entry in one transaction; a code
 * is stored only as a hash. `redeem` decides in that one transaction, by a conditional update, so
 * of two redemptions of one code exactly one makes a token.
 */
export interface EnrolmentStore {
  /** Store a new code; `audit` builds the entry from the record (it never sees the code). */
  issue(input: { memberId: string; role: Role; issuedBy: string; nowMs: number; expiresAtMs: number }, audit: (e: EnrolmentInfo) => AuditFields): Promise<CreatedEnrolment>;
  /** Every enrolment, oldest first. */
  list(): Promise<EnrolmentInfo[]>;
  /** Withdraw a code not yet redeemed. NOT_FOUND when none, INVALID_STATE when already redeemed or revoked. */
  revoke(id: string, nowMs: number, audit: (e: EnrolmentInfo) => AuditFields): Promise<EnrolmentInfo>;
  /**
   * Redeem `code` for a token named `name`, bound to the code's member with its role, when the code
   * is neither used, revoked nor expired at `nowMs` and the member still holds the role. `audit` is
   * called for a redemption and for a refusal (the refusal's entry commits, no token is made); the
   * outcome is returned with the new token's secret when redeemed.
   */
  redeem(code: string, input: { name: string; nowMs: number }, audit: (o: Exclude<EnrolmentOutcome, { kind: 'unknown' }>) => AuditFields): Promise<{ outcome: EnrolmentOutcome; token: CreatedApiToken | null }>;
}

/** What state an enrolment is in at `nowMs` (a code expires at `expiresAtMs`, exclusive). */
export function enrolmentState(e: EnrolmentInfo, nowMs: number): 'pending' | 'redeemed' | 'revoked' | 'expired' {
  if (e.redeemedAtMs !== null) return 'redeemed';
  if (e.revokedAtMs !== null) return 'revoked';
  if (nowMs >= e.expiresAtMs) return 'expired';
  return 'pending';
}

/** Shortest and longest life of an enrolment code, and the default (24 h). */
export const ENROLMENT_LIFETIME = { minMs: 60_000, maxMs: 30 * 86_400_000, defaultMs: 86_400_000 } as const;

/**
 * Parse how long an enrolment code lives, as typed (`--expires 24h`): a whole number of minutes,
 * hours or days (`30m`, `24h`, `7d`), from 1 minute to 30 days.
 * @example parseEnrolmentLifetime('24h') === 86_400_000
 */
export function parseEnrolmentLifetime(text: string): number {
  const m = /^([0-9]{1,6}) *(m|min|h|d)$/i.exec(text.trim());
  const unit = m?.[2]?.toLowerCase();
  const ms = m ? Number(m[1]) * (unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000) : NaN;
  if (!(ms >= ENROLMENT_LIFETIME.minMs && ms <= ENROLMENT_LIFETIME.maxMs)) {
    throw new DomainError('INVALID_ARGUMENT', `an enrolment code lives from 1 minute to 30 days, written like 30m, 24h or 7d (got "${text}")`);
  }
  return ms;
}
