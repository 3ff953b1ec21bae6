/**
 * What the spend-governance use cases share: their dependencies, who is acting (and whether they
 * may), the active policy, and the policy context of a proposal. No clock is read here: `now`
 * comes in with the dependencies.
 */
import { DomainError } from '../core/errors.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import { evaluatePolicy } from '../core/policy/evaluate-policy.ts';
import type { Policy, PolicyDecision } from '../core/policy/types.ts';
import { SPENDING_STATES } from '../core/spend/state-machine.ts';
import type { AuditFields, Member, MemberPermissionRole, SpendProposal, SpendStore } from '../core/spend/types.ts';
import type { Vault } from '../core/vault/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';

export interface GovernanceDeps {
  readonly spends: SpendStore;
  readonly vaults: VaultStore;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** Needed to broadcast and to estimate fee rates. */
  readonly chain?: ChainSource | undefined;
}

/** The member acting, by id or name; FORBIDDEN when unknown or without `role`. */
export async function requireActor(spends: SpendStore, actor: string | undefined, role: MemberPermissionRole): Promise<Member> {
  if (actor === undefined || actor.trim() === '') {
    throw new DomainError('FORBIDDEN', `say who you are: --as <member> (or SOBERANA_ACTOR); this needs a member with role ${role}`);
  }
  const m = await spends.findMember(actor.trim());
  if (!m) throw new DomainError('FORBIDDEN', `no member "${actor}" (see "soberana member list")`);
  if (!m.roles.includes(role)) throw new DomainError('FORBIDDEN', `member ${m.id} does not have the role ${role} (roles: ${m.roles.join(', ') || 'none'})`);
  return m;
}

export function auditOf(actor: Member | { id: string }, role: string, action: string, object: string, details: unknown, atMs: number): AuditFields {
  return { actor: actor.id, role, action, object, details, atMs };
}

export async function requireVaultOf(vaults: VaultStore, idOrName: string): Promise<Vault> {
  const v = await vaults.findVault(idOrName);
  if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault "${idOrName}"`);
  return v;
}

export async function requirePolicy(spends: SpendStore): Promise<Policy> {
  const p = await spends.activePolicy();
  if (!p) throw new DomainError('POLICY_DENIED', 'no spending policy yet: an admin proposes the first one with "soberana policy propose FILE"');
  return p.policy;
}

export async function requireProposal(spends: SpendStore, id: number): Promise<SpendProposal> {
  if (!Number.isSafeInteger(id) || id < 1) throw new DomainError('INVALID_ARGUMENT', `a proposal id is a positive whole number, got ${String(id)}`);
  const p = await spends.proposal(id);
  if (!p) throw new DomainError('PROPOSAL_NOT_FOUND', `no spend proposal ${id}`);
  return p;
}

/**
 * Decide a spend (new or existing) under `policy` at `nowMs`. Velocity counts this vault's other
 * proposals that are approved or further (not cancelled or replaced), leaving out `exclude`
 * (the proposal itself and the one a bump replaces).
 */
export async function decideSpend(
  deps: GovernanceDeps,
  policy: Policy,
  spend: { vaultId: string; proposer: Member; outputs: readonly { address: string; sats: bigint }[]; totalSats: bigint; exclude: readonly number[] },
  nowMs: number,
): Promise<PolicyDecision> {
  const others = (await deps.spends.proposals(spend.vaultId)).filter((p) => SPENDING_STATES.includes(p.state) && !spend.exclude.includes(p.id));
  const balance = await deps.vaults.balance(spend.vaultId);
  return evaluatePolicy(policy, {
    vaultId: spend.vaultId,
    proposer: { id: spend.proposer.id, roles: spend.proposer.roles },
    outputs: spend.outputs.map((o) => ({ address: o.address, sats: o.sats })),
    totalSats: spend.totalSats,
    vaultBalanceSats: balance.confirmed,
    nowMs,
    recentSpends: others.map((p) => ({ atMs: p.createdAtMs, sats: p.amountSats })),
    allowlist: (await deps.spends.allowlist(spend.vaultId)).map((e) => ({ address: e.address, addedAtMs: e.addedAtMs })),
    usdPerBtcCents: null,
  });
}

/** The proposer as a member (a proposal always names one). */
export async function proposerOf(spends: SpendStore, p: SpendProposal): Promise<Member> {
  const m = await spends.findMember(p.proposer);
  if (!m) throw new DomainError('MALFORMED_DATA', `proposal ${p.id} names an unknown proposer ${p.proposer}`);
  return m;
}
