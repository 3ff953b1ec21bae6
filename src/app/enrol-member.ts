/**
 * One-time enrolment (issue #19): only a member's own enrolment binds a token to that member.
 *
 * An administrator issues an enrolment code for a member (by id) and a role the member holds; the
 * code is shown once and kept only as a hash, lives 24 hours unless told otherwise, and can be
 * revoked. The member redeems it once, naming their token ("maria laptop"), and gets a token bound
 * to them with that role, shown once. A second redemption, an expired, revoked or unknown code, or a
 * member who no longer holds the role, makes no token.
 *
 * Audit log (each entry commits with its change, never with the code): `token.enrolment.issue`
 * (object `member:ID`), `token.enrolment.redeem` (object `token:ID`, actor the member),
 * `token.enrolment.refused` (an attempt on a used, revoked or expired code, or a role the member
 * lost: object `member:ID`), `token.enrolment.revoke`. Details name the member, the enrolment, and
 * the token (the redeemed one; the issuer's API token in `via`). An unknown code names no member
 * and is not audited (the server rate-limits failed attempts instead).
 */
import { DomainError } from '../core/errors.ts';
import { ENROLMENT_LIFETIME, type ApiTokenStore, type CreatedApiToken, type CreatedEnrolment, type EnrolmentInfo, type EnrolmentOutcome, type EnrolmentStore, type Role } from '../core/auth/roles.ts';
import type { AuditFields, SpendStore } from '../core/spend/types.ts';
import type { Issuer } from './issue-token.ts';

export interface EnrolmentDeps {
  readonly tokens: ApiTokenStore;
  /** Members are looked up here when a code is issued. */
  readonly spends: SpendStore;
  readonly now: () => number;
  /** How the issuer reached us, copied into each entry's `details.via` (e.g. `{ token: 'tok_…' }` for the API). */
  readonly via?: Readonly<Record<string, string>>;
}

function enrolmentsOf(tokens: ApiTokenStore): EnrolmentStore {
  if (!tokens.enrolments) throw new DomainError('INVALID_STATE', 'this token store offers no enrolment codes');
  return tokens.enrolments;
}

function withVia(details: Record<string, unknown>, via: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  return via ? { ...details, via } : details;
}

function describe(e: EnrolmentInfo): Record<string, unknown> {
  return { enrolment: e.id, member: e.memberId, role: e.role, expiresAtMs: e.expiresAtMs };
}

/**
 * Issue an enrolment code for `memberId` with `role` (one the member holds), living `lifetimeMs`
 * (default 24 h, 1 minute to 30 days).
 * @throws NOT_FOUND (no such member), FORBIDDEN (the member does not hold the role), INVALID_ARGUMENT
 * @example const { code } = await issueEnrolment(deps, { actor: 'rosa', role: 'admin' }, { memberId: 'maria', role: 'approver' })
 */
export async function issueEnrolment(deps: EnrolmentDeps, by: Issuer, input: { memberId: string; role: Role; lifetimeMs?: number }): Promise<CreatedEnrolment> {
  const lifetimeMs = input.lifetimeMs ?? ENROLMENT_LIFETIME.defaultMs;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < ENROLMENT_LIFETIME.minMs || lifetimeMs > ENROLMENT_LIFETIME.maxMs) {
    throw new DomainError('INVALID_ARGUMENT', 'an enrolment code lives from 1 minute to 30 days');
  }
  const m = await deps.spends.findMember(input.memberId.trim());
  if (!m || m.id !== input.memberId.trim()) throw new DomainError('NOT_FOUND', `no member with id "${input.memberId}" (see "soberana member list")`);
  if (!m.roles.includes(input.role)) throw new DomainError('FORBIDDEN', `member ${m.id} does not hold the role ${input.role} (roles: ${m.roles.join(', ')}): a token carries a role its member holds`);
  const nowMs = deps.now();
  return enrolmentsOf(deps.tokens).issue({ memberId: m.id, role: input.role, issuedBy: by.actor, nowMs, expiresAtMs: nowMs + lifetimeMs }, (e) => ({
    actor: by.actor, role: by.role, action: 'token.enrolment.issue', object: `member:${e.memberId}`, details: withVia(describe(e), deps.via), atMs: nowMs,
  }));
}

/** Every enrolment (never a code), oldest first. */
export async function listEnrolments(deps: Pick<EnrolmentDeps, 'tokens'>): Promise<EnrolmentInfo[]> {
  return enrolmentsOf(deps.tokens).list();
}

/**
 * Withdraw an enrolment code nobody has redeemed yet.
 * @throws NOT_FOUND, INVALID_STATE (already redeemed or revoked)
 */
export async function revokeEnrolment(deps: EnrolmentDeps, by: Issuer, id: string): Promise<EnrolmentInfo> {
  const nowMs = deps.now();
  return enrolmentsOf(deps.tokens).revoke(id.trim(), nowMs, (e) => ({
    actor: by.actor, role: by.role, action: 'token.enrolment.revoke', object: `member:${e.memberId}`, details: withVia(describe(e), deps.via), atMs: nowMs,
  }));
}

const REFUSAL: Readonly<Record<Exclude<EnrolmentOutcome, { kind: 'redeemed' | 'unknown' }>['reason'], (e: EnrolmentInfo) => DomainError>> = {
  used: (e) => new DomainError('INVALID_STATE', `this enrolment code was already used (enrolment ${e.id}); no token was made. If you did not use it, tell an administrator: someone else did`),
  revoked: (e) => new DomainError('INVALID_STATE', `this enrolment code was revoked (enrolment ${e.id}); ask an administrator for a new one`),
  expired: (e) => new DomainError('INVALID_STATE', `this enrolment code expired at ${new Date(e.expiresAtMs).toISOString()} (enrolment ${e.id}); ask an administrator for a new one`),
  role: (e) => new DomainError('FORBIDDEN', `member ${e.memberId} no longer holds the role ${e.role} (enrolment ${e.id}); no token was made`),
};

/**
 * Redeem an enrolment code: a token named `name`, bound to the code's member with the code's role,
 * shown once. The redeemer is not authenticated: the code is the credential.
 * @throws UNAUTHENTICATED (no such code), INVALID_STATE (used, revoked or expired), FORBIDDEN (the member lost the role), INVALID_ARGUMENT (name)
 * @example const t = await redeemEnrolment(deps, 'soe_…', { name: 'maria laptop' })
 */
export async function redeemEnrolment(deps: Omit<EnrolmentDeps, 'spends'>, code: string, input: { name: string }): Promise<CreatedApiToken> {
  const nowMs = deps.now();
  const audit = (o: Exclude<EnrolmentOutcome, { kind: 'unknown' }>): AuditFields =>
    o.kind === 'redeemed'
      ? { actor: o.enrolment.memberId, role: o.enrolment.role, action: 'token.enrolment.redeem', object: `token:${o.token.id}`, details: withVia({ ...describe(o.enrolment), token: o.token.id, name: o.token.name }, deps.via), atMs: nowMs }
      : { actor: `enrolment:${o.enrolment.id}`, role: 'public', action: 'token.enrolment.refused', object: `member:${o.enrolment.memberId}`, details: withVia({ ...describe(o.enrolment), reason: o.reason, token: o.enrolment.tokenId }, deps.via), atMs: nowMs };
  const { outcome, token } = await enrolmentsOf(deps.tokens).redeem(code, { name: input.name, nowMs }, audit);
  if (outcome.kind === 'unknown') throw new DomainError('UNAUTHENTICATED', 'the enrolment code is unknown: check it, or ask an administrator for a new one');
  if (outcome.kind === 'refused') throw REFUSAL[outcome.reason](outcome.enrolment);
  if (!token) throw new TypeError('redeemEnrolment: a redeemed enrolment came without its token');
  return token;
}
