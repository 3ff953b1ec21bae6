/**
 * Issue and revoke API tokens, in the audit log (issue #19): who issued which token (id, role, name)
 * to which member, and who revoked it. A token issued to a member acts in governance as that member
 * (by id) and must carry a role the member holds; a token issued to no member only reads what its
 * role allows. Approving still needs the member's own signature outside regtest, so a token an
 * administrator issues cannot approve in anyone's name.
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

/**
 * @throws NOT_FOUND (no such member), FORBIDDEN (the member does not hold the role), INVALID_ARGUMENT
 * @example await issueToken(deps, { actor: 'ana', role: 'admin' }, { name: 'maria laptop', role: 'approver', memberId: 'maria' })
 */
export async function issueToken(deps: TokenDeps, by: Issuer, input: { name: string; role: Role; memberId?: string | null | undefined }): Promise<CreatedApiToken> {
  let memberId: string | null = null;
  if (input.memberId !== undefined && input.memberId !== null && input.memberId.trim() !== '') {
    const m = await deps.spends.findMember(input.memberId.trim());
    if (!m) throw new DomainError('NOT_FOUND', `no member "${input.memberId}" (see "soberana member list")`);
    if (!m.roles.includes(input.role)) throw new DomainError('FORBIDDEN', `member ${m.id} does not hold the role ${input.role} (roles: ${m.roles.join(', ')}): a token carries a role its member holds`);
    memberId = m.id;
  }
  const atMs = deps.now();
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.issue', object: memberId === null ? 'token:unbound' : `member:${memberId}`, details: { name: input.name.trim(), role: input.role, member: memberId }, atMs });
  const t = await deps.tokens.create({ name: input.name, role: input.role, memberId });
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.issued', object: `token:${t.id}`, details: { token: t.id, name: t.name, role: t.role, member: memberId }, atMs });
  return t;
}

/** @throws NOT_FOUND, INVALID_STATE (already revoked) */
export async function revokeToken(deps: TokenDeps, by: Issuer, id: string): Promise<ApiTokenInfo> {
  const t = await deps.tokens.revoke(id);
  await deps.spends.appendAudit({ actor: by.actor, role: by.role, action: 'token.revoke', object: `token:${t.id}`, details: { token: t.id, name: t.name, role: t.role, member: t.memberId }, atMs: deps.now() });
  return t;
}
