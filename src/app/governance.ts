/**
 * What the spend-governance use cases share: their dependencies, who is acting (and whether they
 * may), the active policy, and the policy context of a proposal. No clock is read here: `now`
 * comes in with the dependencies.
 */
import { DomainError } from '../core/errors.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import { evaluatePolicy } from '../core/policy/evaluate-policy.ts';
import { priceForDecision, type BtcPriceSource, type PriceForDecision } from '../core/policy/price-source.ts';
import type { Policy, PolicyDecision } from '../core/policy/types.ts';
import { SPENDING_STATES } from '../core/spend/state-machine.ts';
import type { AuditFields, GovernanceTx, Member, MemberPermissionRole, SpendProposal, SpendStore } from '../core/spend/types.ts';
import type { Vault } from '../core/vault/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';

export interface GovernanceDeps {
  readonly spends: SpendStore;
  readonly vaults: VaultStore;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** Needed to broadcast and to estimate fee rates. */
  readonly chain?: ChainSource | undefined;
  /** The BTC/USD price for rules with a USD limit; without one such rules refuse to decide. */
  readonly prices?: BtcPriceSource | undefined;
  /** Oldest acceptable price (default two days). */
  readonly maxPriceAgeMs?: number | undefined;
}

/**
 * The price a decision at `nowMs` may use (asked once, BEFORE the governance transaction: a price
 * source may be a remote file). No source configured is a reason, not an error: only a rule with
 * a USD limit needs a price, and it then refuses with this reason.
 */
export async function priceAt(deps: GovernanceDeps, nowMs: number): Promise<PriceForDecision> {
  if (!deps.prices) return { price: null, priceProblem: 'no price source is configured (prices.source)' };
  return priceForDecision(deps.prices, nowMs);
}

/**
 * Run a use case's reads, checks and writes in ONE governance transaction (see
 * `SpendStore.atomically`): `fn` gets deps whose stores are bound to it and must use only those.
 * A refusal that should be audited is thrown as `AuditedRefusal`: the transaction rolls back, then
 * the refusal's entry is appended on its own and its error thrown.
 */
export async function atomically<T>(deps: GovernanceDeps, fn: (tx: GovernanceDeps) => Promise<T>): Promise<T> {
  try {
    return await deps.spends.atomically((tx: GovernanceTx) => fn({ ...deps, spends: tx.spends, vaults: tx.vaults }));
  } catch (e) {
    if (e instanceof AuditedRefusal) {
      await deps.spends.appendAudit(e.audit);
      throw e.error;
    }
    throw e;
  }
}

/** A refusal that leaves an audit entry (a denied proposal, a broadcast refused by the policy). */
export class AuditedRefusal extends Error {
  readonly audit: AuditFields;
  readonly error: DomainError;
  constructor(audit: AuditFields, error: DomainError) {
    super(error.message);
    this.name = 'AuditedRefusal';
    this.audit = audit;
    this.error = error;
  }
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
 * Decide a spend (new or existing) under `policy` at `nowMs`, with the price from `priceAt`
 * (PRICE_UNAVAILABLE when a USD-limited rule is reached without a recent one). Velocity counts this vault's other
 * proposals that are approved or further (not cancelled or replaced), leaving out `exclude`
 * (the proposal itself and the one a bump replaces).
 */
export async function decideSpend(
  deps: GovernanceDeps,
  policy: Policy,
  spend: { vaultId: string; proposer: Member; outputs: readonly { address: string; sats: bigint }[]; totalSats: bigint; exclude: readonly number[] },
  nowMs: number,
  price: PriceForDecision,
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
    price: price.price,
    priceProblem: price.priceProblem,
    maxPriceAgeMs: deps.maxPriceAgeMs,
  });
}

/** The proposer as a member (a proposal always names one). */
export async function proposerOf(spends: SpendStore, p: SpendProposal): Promise<Member> {
  const m = await spends.findMember(p.proposer);
  if (!m) throw new DomainError('MALFORMED_DATA', `proposal ${p.id} names an unknown proposer ${p.proposer}`);
  return m;
}
