/**
 * What the spend-governance use cases share: their dependencies, who is acting (and whether they
 * may), the active policy, and the policy context of a proposal. No clock is read here: `now`
 * comes in with the dependencies.
 */
import { DomainError } from '../core/errors.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import { evaluatePolicy } from '../core/policy/evaluate-policy.ts';
import { spendReadiness, type SpendReadiness } from '../core/policy/spend-readiness.ts';
import { priceForDecision, type BtcPriceSource, type PriceForDecision } from '../core/policy/price-source.ts';
import type { Policy, PolicyDecision } from '../core/policy/types.ts';
import { SPENDING_STATES } from '../core/spend/state-machine.ts';
import type { AuditFields, GovernanceTx, Member, MemberPermissionRole, SpendProposal, SpendStore } from '../core/spend/types.ts';
import type { Vault } from '../core/vault/types.ts';
import type { Network } from '../core/network.ts';
import { approvalSignatureProblem, approvalStatement, normalizeApprovalSignature, verifyApprovalSignature, type ApprovalStatement, type ApprovalSubject } from '../core/auth/approval-signature.ts';
import type { Approval } from '../core/policy/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import type { SpendComplianceGate } from '../core/compliance/ports.ts';

export interface GovernanceDeps {
  readonly spends: SpendStore;
  readonly vaults: VaultStore;
  /**
   * The network this Soberana runs on: approval statements name it, and outside regtest every
   * approval must be a member's signature (`--as` alone is accepted on regtest only).
   */
  readonly network: Network;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** Needed to broadcast and to estimate fee rates. */
  readonly chain?: ChainSource | undefined;
  /** The BTC/USD price for rules with a USD limit; without one such rules refuse to decide. */
  readonly prices?: BtcPriceSource | undefined;
  /** Oldest acceptable price (default two days). */
  readonly maxPriceAgeMs?: number | undefined;
  /**
   * Passkeys (the dashboard's approval keys): the relying party id new passkeys are made for, the
   * origins an approval's assertion may come from, and whether user verification is required.
   * Without it, an assertion may come from any https origin on the credential's rpId (or http on
   * localhost) — what `audit verify` and the checks before export also accept.
   */
  readonly webauthn?: WebAuthnSettings | undefined;
  /**
   * Programme commitments (compliance, issue #15): a spend the policy would allow is refused when it
   * would breach a commitment in force. Pinned by `atomically` before its transaction opens.
   */
  readonly compliance?: SpendComplianceGate | undefined;
}

/** The server's passkey settings (`webauthn.rpId`, `webauthn.origins`, `webauthn.userVerification`). */
export interface WebAuthnSettings {
  readonly rpId: string;
  readonly origins: readonly string[];
  readonly requireUserVerification?: boolean | undefined;
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
    // The compliance gate reads through the pool: it reads now, before the transaction opens.
    const compliance = deps.compliance ? await deps.compliance.pin() : undefined;
    return await deps.spends.atomically((tx: GovernanceTx) => fn({ ...deps, spends: tx.spends, vaults: tx.vaults, compliance }));
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
  spend: { vaultId: string; proposer: Member; outputs: readonly { address: string; sats: bigint }[]; totalSats: bigint; exclude: readonly number[]; memo?: string | null | undefined },
  nowMs: number,
  price: PriceForDecision,
): Promise<PolicyDecision> {
  const decision = await decideByPolicy(deps, policy, spend, nowMs, price);
  if (decision.outcome === 'deny' || !deps.compliance) return decision;
  // A programme commitment in force outranks the policy: a spend that would breach it is refused.
  const breach = await deps.compliance.check({ vaultId: spend.vaultId, outputs: spend.outputs, memo: spend.memo ?? null, nowMs });
  if (breach === null) return decision;
  return {
    outcome: 'deny', ruleId: `commitment:${breach.commitmentId}`, policyVersion: decision.policyVersion, price: decision.price,
    explanation: [...decision.explanation, `refused by ${breach.message}`],
    commitment: { id: breach.commitmentId, version: breach.commitmentVersion, message: breach.message },
  };
}

async function decideByPolicy(
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

/**
 * Check the approval a member gives now, and return the signature fields to store with it.
 * - a member with a registered key must sign, with that key, this very statement;
 * - a member without a key may approve unsigned on regtest only (the test and demo network).
 * @throws FORBIDDEN (unsigned where a signature is needed), INVALID_SIGNATURE (does not sign this approval with the member's key)
 */
export function checkApprovalSignature(deps: GovernanceDeps, member: Member, subject: ApprovalSubject, signature: string | undefined): { signature: string | null; publicKey: string | null } {
  const statement = approvalStatement(deps.network, member.id, subject);
  const key = member.publicKey ?? null;
  if (signature === undefined || signature.trim() === '') {
    if (key !== null) throw new DomainError('FORBIDDEN', `${member.id} has an approval key: the approval must be signed with it (CLI --key FILE; API "signature", or "assertion" for a passkey; the dashboard's "Approve with passkey")`);
    if (deps.network !== 'regtest') throw new DomainError('FORBIDDEN', `on ${deps.network} an approval is a signature by the member's own key: ${member.id} has none registered (see "soberana member key --help")`);
    return { signature: null, publicKey: null };
  }
  if (key === null) throw new DomainError('FORBIDDEN', `${member.id} has no approval key registered: a signature cannot be checked`);
  const problem = approvalSignatureProblem(statement, signature, key, { origins: deps.webauthn?.origins, requireUserVerification: deps.webauthn?.requireUserVerification });
  if (problem !== null) {
    throw new DomainError('INVALID_SIGNATURE', `the signature does not sign this approval (${describeSubject(subject)}) with ${member.id}'s registered key: ${problem}`);
  }
  return { signature: normalizeApprovalSignature(signature), publicKey: key };
}

/**
 * The approvals that count now: signed ones whose signature verifies for the statement with the
 * key the member has registered today (a passkey assertion: from any origin on the credential's
 * rpId, the configured origin list having been checked when it was given); unsigned ones only on
 * regtest and only from members with no key. Checked again before export and broadcast, so a row
 * written into the database by hand does not count.
 */
export function countedApprovals(deps: GovernanceDeps, approvals: readonly Approval[], members: ReadonlyMap<string, Member>, subject: ApprovalSubject): Approval[] {
  return approvals.filter((a) => {
    const m = members.get(a.approverId);
    if (!m) return false;
    const key = m.publicKey ?? null;
    if (a.signature === null || a.signature === undefined) return key === null && deps.network === 'regtest';
    return key !== null && a.publicKey === key && verifyApprovalSignature(approvalStatement(deps.network, m.id, subject), a.signature, key, { requireUserVerification: deps.webauthn?.requireUserVerification });
  });
}

/** The statement for a spend proposal's approvals: its unsigned transaction, under the policy version it was proposed with. */
export function spendSubject(p: SpendProposal): ApprovalSubject {
  return { kind: 'spend', proposalId: p.id, unsignedTxid: p.unsignedTxid, policyVersion: p.policyVersion };
}

/** What an approver signs for a spend proposal (for signers: the CLI's --key, a device, the API's digest route). */
export function spendStatement(deps: GovernanceDeps, approverId: string, p: SpendProposal): ApprovalStatement {
  return approvalStatement(deps.network, approverId, spendSubject(p));
}

function describeSubject(s: ApprovalSubject): string {
  return s.kind === 'spend' ? `proposal ${s.proposalId}, transaction ${s.unsignedTxid}, policy version ${s.policyVersion}` : `policy change ${s.changeId}, document ${s.documentSha256.slice(0, 16)}…, from version ${s.fromVersion}`;
}

/** Every member by id (for counting approvals). */
export async function membersById(spends: SpendStore): Promise<Map<string, Member>> {
  return new Map((await spends.members()).map((m) => [m.id, m]));
}

/**
 * May proposal `p` go out for signing / be broadcast NOW: the policy in force decides it again
 * (velocity, allowlist, time of day, price) and only the approvals whose signatures verify today
 * count toward it, signing delay included. Used by export, broadcast and `policy test`.
 */
export async function readinessNow(deps: GovernanceDeps, p: SpendProposal, nowMs: number, price: PriceForDecision): Promise<{ decision: PolicyDecision; readiness: SpendReadiness }> {
  const policy = await requirePolicy(deps.spends);
  const proposer = await proposerOf(deps.spends, p);
  const exclude = [p.id, ...(p.replaces === null ? [] : [p.replaces])];
  const decision = await decideSpend(deps, policy, { vaultId: p.vaultId, proposer, outputs: p.outputs, totalSats: p.amountSats, exclude, memo: p.memo }, nowMs, price);
  const counted = countedApprovals(deps, await deps.spends.approvals(p.id), await membersById(deps.spends), spendSubject(p));
  return { decision, readiness: spendReadiness(decision, counted, p.proposer, nowMs) };
}
