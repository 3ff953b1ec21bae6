/**
 * Add a member (a person who proposes, approves or audits), or change one.
 *
 * Identity is governed (issue #19): once a spending policy is active, adding a member with
 * approval powers — the role `approver` or `admin`, or any approver group — and changing such a
 * member's roles, groups or approval key is a change that needs the quorum the policy names for
 * policy changes (`policyChange`), approved by signature like a policy change. So no single person,
 * the administrator included, can create an approver identity and use it. Members without approval
 * powers (operators, auditors) are added by an admin directly. Before the first policy, the first
 * admin sets the institution up (bootstrap, audited as such).
 */
import { DomainError } from '../core/errors.ts';
import { parseMemberPublicKey } from '../core/auth/approval-signature.ts';
import { describeRequirement } from '../core/policy/approvals.ts';
import { MEMBER_PERMISSION_ROLES, type Member } from '../core/spend/types.ts';
import { vaultIdFromName } from '../core/vault/types.ts';
import { toJson } from '../core/json.ts';
import { atomically, auditOf, requireActor, type GovernanceDeps } from './governance.ts';

export interface AddMemberInput {
  readonly actor: string | undefined;
  readonly name: string;
  /** Defaults to a slug of the name. */
  readonly id?: string | undefined;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  /** The member's approval key: BIP340 (hex, `soberana member key new` on their own machine) or a passkey credential (`webauthn:v1:{…}`). */
  readonly publicKey?: string | undefined;
}

export interface AddMemberResult {
  readonly member: Member;
  /** Set when the change waits for the quorum: the change id (approved with `policy approve`) and what it needs. */
  readonly pending: { readonly changeId: number; readonly requirement: string } | null;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Roles and groups that take part in approvals: a member holding them is added or changed by quorum. */
export function hasApprovalPowers(m: { roles: readonly string[]; groups: readonly string[] }): boolean {
  return m.roles.includes('approver') || m.roles.includes('admin') || m.groups.length > 0;
}

function validated(input: AddMemberInput, createdAtMs: number): Member {
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
  const publicKey = input.publicKey === undefined || input.publicKey.trim() === '' ? null : parseMemberPublicKey(input.publicKey);
  return { id, name, roles: [...new Set(input.roles)], groups: [...new Set(input.groups)], createdAtMs, publicKey };
}

/**
 * @throws FORBIDDEN (not an admin; or a first member who is not an admin), ALREADY_EXISTS, INVALID_ARGUMENT
 * @example await addMember(deps, { actor: undefined, name: 'Ana Ruiz', roles: ['admin'], groups: [] })
 */
export async function addMember(deps: GovernanceDeps, input: AddMemberInput): Promise<AddMemberResult> {
  return atomically(deps, async (tx) => {
    const nowMs = tx.now();
    const member = validated(input, nowMs);
    const details = { id: member.id, name: member.name, roles: member.roles, groups: member.groups, publicKey: member.publicKey };
    if ((await tx.spends.members()).length === 0) {
      if (!member.roles.includes('admin')) throw new DomainError('FORBIDDEN', 'the first member must be an admin (--role admin): they add the others');
      await tx.spends.addMember(member, auditOf(member, 'bootstrap', 'member.add', `member:${member.id}`, details, nowMs));
      return { member, pending: null };
    }
    const admin = await requireActor(tx.spends, input.actor, 'admin');
    if (await tx.spends.findMember(member.id)) throw new DomainError('ALREADY_EXISTS', `a member with id "${member.id}" already exists`);
    return proposeOrApply(tx, admin, member, details, nowMs, 'member.add');
  });
}

/**
 * Change a member's roles, groups or approval key (e.g. a key rotation after a lost device).
 * Governed like adding one when the member has, or would get, approval powers.
 * @throws FORBIDDEN, NOT_FOUND, INVALID_ARGUMENT
 * @example await changeMember(deps, { actor: 'ana', id: 'maria', publicKey: '…' })
 */
export async function changeMember(deps: GovernanceDeps, input: { actor: string | undefined; id: string; roles?: readonly string[] | undefined; groups?: readonly string[] | undefined; publicKey?: string | undefined }): Promise<AddMemberResult> {
  return atomically(deps, async (tx) => {
    const admin = await requireActor(tx.spends, input.actor, 'admin');
    const current = await tx.spends.findMember(input.id);
    if (!current) throw new DomainError('NOT_FOUND', `no member "${input.id}"`);
    const nowMs = tx.now();
    const next = validated({
      actor: input.actor, name: current.name, id: current.id,
      roles: input.roles && input.roles.length > 0 ? input.roles : current.roles,
      groups: input.groups ?? current.groups,
      publicKey: input.publicKey ?? current.publicKey ?? undefined,
    }, current.createdAtMs);
    const details = { id: next.id, from: { roles: current.roles, groups: current.groups, publicKey: current.publicKey ?? null }, roles: next.roles, groups: next.groups, publicKey: next.publicKey };
    return proposeOrApply(tx, admin, next, details, nowMs, 'member.change', current);
  });
}

/**
 * A member proposes a new approval key for THEMSELVES — e.g. a passkey made in the dashboard
 * (`webauthn:v1:{…}`). Never immediate: the key is bound only when the quorum the policy names for
 * policy changes approves the change (the member's own approval never counts), so whoever holds the
 * member's token alone cannot replace their key. Before the first policy there is no quorum to ask:
 * the admin sets keys then (`member change --public-key`).
 * @throws FORBIDDEN (not an approver), INVALID_STATE (no policy yet), INVALID_ARGUMENT (not a key; the same key)
 * @example await proposeOwnApprovalKey(deps, { actor: 'maria', publicKey: 'webauthn:v1:{…}' })
 */
export async function proposeOwnApprovalKey(deps: GovernanceDeps, input: { actor: string | undefined; publicKey: string }): Promise<AddMemberResult & { pending: NonNullable<AddMemberResult['pending']> }> {
  return atomically(deps, async (tx) => {
    const me = await requireActor(tx.spends, input.actor, 'approver');
    const active = await tx.spends.activePolicy();
    if (active === null) throw new DomainError('INVALID_STATE', 'there is no spending policy yet, so no quorum to approve a new key: the admin sets approval keys during setup ("soberana member change <id> --public-key …")');
    const nowMs = tx.now();
    const next = validated({ actor: me.id, name: me.name, id: me.id, roles: me.roles, groups: me.groups, publicKey: input.publicKey }, me.createdAtMs);
    if (next.publicKey === (me.publicKey ?? null)) throw new DomainError('INVALID_ARGUMENT', `that key is already ${me.id}'s approval key`);
    const requirement = `policyChange of version ${active.version}: ${describeRequirement(active.policy.policyChange)}`;
    const details = { id: me.id, from: { roles: me.roles, groups: me.groups, publicKey: me.publicKey ?? null }, roles: next.roles, groups: next.groups, publicKey: next.publicKey, selfService: true, requirement };
    const changeId = await tx.spends.proposePolicyChange(
      { version: active.version, document: toJson(next), proposer: me.id, createdAtMs: nowMs, kind: 'member' },
      auditOf(me, 'approver', 'member.change.propose', `member:${me.id}`, details, nowMs),
    );
    return { member: next, pending: { changeId, requirement } };
  });
}

async function proposeOrApply(tx: GovernanceDeps, admin: Member, member: Member, details: Record<string, unknown>, nowMs: number, action: string, current?: Member): Promise<AddMemberResult> {
  const active = await tx.spends.activePolicy();
  const governed = active !== null && (hasApprovalPowers(member) || (current !== undefined && hasApprovalPowers(current)));
  if (!governed) {
    // Setting up before the first policy, or a member without approval powers: the admin does it.
    if (current === undefined) await tx.spends.addMember(member, auditOf(admin, 'admin', action, `member:${member.id}`, details, nowMs));
    else {
      const id = await tx.spends.proposePolicyChange({ version: active?.version ?? 0, document: toJson(member), proposer: admin.id, createdAtMs: nowMs, kind: 'member' }, auditOf(admin, 'admin', 'member.change.propose', `member:${member.id}`, details, nowMs));
      await tx.spends.applyMemberChange(id, member, auditOf(admin, 'admin', action, `member:${member.id}`, { ...details, changeId: id }, nowMs));
    }
    return { member, pending: null };
  }
  const requirement = `policyChange of version ${active.version}: ${describeRequirement(active.policy.policyChange)}`;
  const changeId = await tx.spends.proposePolicyChange(
    { version: active.version, document: toJson(member), proposer: admin.id, createdAtMs: nowMs, kind: 'member' },
    auditOf(admin, 'admin', `${action}.propose`, `member:${member.id}`, { ...details, requirement }, nowMs),
  );
  return { member, pending: { changeId, requirement } };
}
