/**
 * Add a member (a person who proposes, approves or audits). The very first member may be added
 * by anyone and must be an admin (bootstrap, audited as such); after that only an admin adds members.
 */
import { DomainError } from '../core/errors.ts';
import { MEMBER_PERMISSION_ROLES, type Member } from '../core/spend/types.ts';
import { vaultIdFromName } from '../core/vault/types.ts';
import { atomically, auditOf, requireActor, type GovernanceDeps } from './governance.ts';

export interface AddMemberInput {
  readonly actor: string | undefined;
  readonly name: string;
  /** Defaults to a slug of the name. */
  readonly id?: string | undefined;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * @throws FORBIDDEN (not an admin; or a first member who is not an admin), ALREADY_EXISTS, INVALID_ARGUMENT
 * @example await addMember(deps, { actor: undefined, name: 'Ana Ruiz', roles: ['admin'], groups: [] })
 */
export async function addMember(deps: GovernanceDeps, input: AddMemberInput): Promise<Member> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new DomainError('INVALID_ARGUMENT', 'a member needs a name of 1 to 100 characters');
  const id = input.id?.trim() || vaultIdFromName(name);
  if (!NAME_RE.test(id)) throw new DomainError('INVALID_ARGUMENT', `member id "${id}" must be lowercase letters, digits, ".", "_" or "-"`);
  for (const r of [...input.roles, ...input.groups]) {
    if (!NAME_RE.test(r)) throw new DomainError('INVALID_ARGUMENT', `role or group "${r}" must be lowercase letters, digits, ".", "_" or "-"`);
  }
  if (!input.roles.some((r) => (MEMBER_PERMISSION_ROLES as readonly string[]).includes(r))) {
    throw new DomainError('INVALID_ARGUMENT', `a member needs at least one of the roles ${MEMBER_PERMISSION_ROLES.join(', ')}`);
  }
  return atomically(deps, async (tx) => {
    const nowMs = tx.now();
    const member: Member = { id, name, roles: [...new Set(input.roles)], groups: [...new Set(input.groups)], createdAtMs: nowMs };
    const details = { id, name, roles: member.roles, groups: member.groups };
    if ((await tx.spends.members()).length === 0) {
      if (!member.roles.includes('admin')) throw new DomainError('FORBIDDEN', 'the first member must be an admin (--role admin): they add the others');
      await tx.spends.addMember(member, auditOf(member, 'bootstrap', 'member.add', `member:${id}`, details, nowMs));
      return member;
    }
    const admin = await requireActor(tx.spends, input.actor, 'admin');
    await tx.spends.addMember(member, auditOf(admin, 'admin', 'member.add', `member:${id}`, details, nowMs));
    return member;
  });
}
