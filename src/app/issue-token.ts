/**
 * Issue and revoke API tokens, in the audit log (issue #19): who issued which token (id, role, name)
 * and who revoked it. An administrator issues tokens bound to NO member: they read what their role
 * allows and cannot act in governance. Only the member's own enrolment binds a token to a member
 * (enrol-member.ts: the admin issues a one-time code, the member redeems it), so no administrator can
 * make a token that acts as someone else. Approving still needs the member's own signature outside
 * regtest on top of that.
 *
 * Order of writes (two stores): the issue is audited BEFORE the token exists (a crash between leaves
 * an entry for a token nobody can use), and a revocation takes effect BEFORE it is audited (a crash
 * between leaves a revoked token without its entry; `token list` shows it revoked).
 */
import { DomainError } from '../core/errors.ts';
import type { ApiTokenInfo, ApiTokenStore, CreatedApiToken, Role } from '../core/auth/roles.ts';
import type { SpendStore } from '../core/spend/types.ts';

export interface TokenDeps {
  readonly tokens: ApiTokenStore;
  readonly spends: SpendStore;
  readonly now: () => number;
}

/** Who issues: a member id (API: the admin token's member; CLI: --as) or a label such as `token:tok_…` / `cli`. */
export interface Issuer {
  readonly actor: string;
  readonly role: string;
}

/** Why a token for a member is refused here, and what to do instead. */
export function enrolmentOnly(memberId: string, role: Role): DomainError {
  return new DomainError(
    'FORBIDDEN',
    `a token acts as member ${memberId} only through their own enrolment: issue an enrolment code ("soberana token enrol-code --member ${memberId} --role ${role}" or POST /api/v1/tokens/enrolments) and give it to them; they redeem it for their token`,
  );
}

/**
 * Issue a token bound to no member (it reads what its role allows; it cannot act in governance).
 * @throws FORBIDDEN (a member was named: only the member's enrolment binds a token), INVALID_ARGUMENT
 * @example await issueToken(deps, { actor: 'rosa', role: 'admin' }, { name: 'IMF mission', role: 'auditor' })
 */
export async function issueToken(deps: TokenDeps, by: Issuer, input: { name: string; role: Role; memberId?: string | null | undefined }): Promise<CreatedApiToken> {
  if (input.memberId !== undefined && input.memberId !== null && input.memberId.trim() !== '') throw enrolmentOnly(input.memberId.trim(), input.role);
  const atMs = deps.now();
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.issue', object: 'token:unbound', details: { name: input.name.trim(), role: input.role, member: null }, atMs });
  const t = await deps.tokens.create({ name: input.name, role: input.role, memberId: null });
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.issued', object: `token:${t.id}`, details: { token: t.id, name: t.name, role: t.role, member: null }, atMs });
  return t;
}

/** @throws NOT_FOUND, INVALID_STATE (already revoked) */
export async function revokeToken(deps: TokenDeps, by: Issuer, id: string): Promise<ApiTokenInfo> {
  const t = await deps.tokens.revoke(id);
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.revoke', object: `token:${t.id}`, details: { token: t.id, name: t.name, role: t.role, member: t.memberId }, atMs: deps.now() });
  return t;
}
