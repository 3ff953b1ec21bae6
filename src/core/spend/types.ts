/**
 * Spend governance: members, spend proposals and their lifecycle, policy versions and changes,
 * the destination allowlist, and the port that persists them with their audit entries.
 *
 * Every mutating method of `SpendStore` takes the audit entry that describes it and commits the
 * change and the entry in ONE database transaction: a state change without its audit row (or the
 * reverse) never exists.
 */
import type { AuditEntry } from '../audit/hash-chain.ts';
import type { Approval, Policy, PolicyDecision } from '../policy/types.ts';
import type { ProposalId, Txid, VaultId } from '../ids.ts';
import type { Sats } from '../money.ts';
import type { VaultStore } from '../vault/vault-store.ts';

/** Roles that grant permissions in the CLI; members may hold other roles too (named by policies). */
export const MEMBER_PERMISSION_ROLES = ['admin', 'operator', 'approver', 'auditor'] as const;
export type MemberPermissionRole = (typeof MEMBER_PERMISSION_ROLES)[number];

export interface Member {
  readonly id: string;
  readonly name: string;
  /** e.g. ['operator', 'treasury-operator']: the permission roles, plus any a policy names. */
  readonly roles: readonly string[];
  /** Approver groups, e.g. ['finance'] or ['central-bank']. */
  readonly groups: readonly string[];
  readonly createdAtMs: number;
  /** The member's BIP340 approval public key (hex); their approvals must be signed with it. Null: none registered. */
  readonly publicKey?: string | null;
}

export const SPEND_STATES = ['proposed', 'approved', 'signed', 'broadcasting', 'broadcast', 'confirmed', 'cancelled', 'replaced', 'conflicted'] as const;
export type SpendState = (typeof SPEND_STATES)[number];

/**
 * What kind of transaction a proposal builds. `cancel` spends one coin of a proposal that may
 * already be signed back to the vault, so that its transaction can never confirm.
 */
export const SPEND_KINDS = ['payment', 'bump', 'cpfp', 'cancel'] as const;
export type SpendKind = (typeof SPEND_KINDS)[number];

export interface ProposalOutput {
  readonly address: string;
  readonly sats: Sats;
  /** Pays one of our own vaults (an internal consolidation, not a payment). */
  readonly internal: boolean;
  /** The vault it pays, when internal. */
  readonly internalVault: string | null;
}

export interface ProposalInput {
  readonly txid: Txid;
  readonly vout: number;
  readonly value: Sats;
  readonly branch: 0 | 1;
  readonly index: number;
}

export interface SpendProposal {
  readonly id: ProposalId;
  readonly vaultId: VaultId;
  readonly kind: SpendKind;
  readonly outputs: readonly ProposalOutput[];
  readonly inputs: readonly ProposalInput[];
  /** Change back to the vault (0n when none) and its change-branch index. */
  readonly changeSats: Sats;
  readonly changeIndex: number | null;
  readonly memo: string | null;
  readonly proposer: string;
  /** sat per 1000 vB. */
  readonly feeRateSatPerKvb: bigint;
  readonly feeSats: Sats;
  /** Sum of `outputs` (payments and internal transfers; not change). */
  readonly amountSats: Sats;
  readonly state: SpendState;
  /** base64; the unsigned PSBT at first, then the combination of every imported partial PSBT. */
  readonly psbt: string;
  readonly unsignedTxid: Txid;
  /** Set when finalized. */
  readonly txid: Txid | null;
  readonly finalHex: string | null;
  /** A bump names the proposal it replaces; a CPFP child names its parent. */
  readonly replaces: ProposalId | null;
  readonly replacedBy: ProposalId | null;
  readonly parent: ProposalId | null;
  readonly policyVersion: number;
  /** When the PSBT first left Soberana for the signers (signatures may exist from then on); null before. */
  readonly exportedAtMs: number | null;
  /** The decision at proposal time (outcome, rule, requirement, signing delay, explanation, price). */
  readonly decision: PolicyDecision;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface PartialPsbtRecord {
  readonly proposalId: ProposalId;
  readonly seq: number;
  readonly importedBy: string;
  readonly signatures: number;
  readonly atMs: number;
  readonly psbt: string;
}

export interface PolicyVersionRecord {
  readonly version: number;
  readonly policy: Policy;
  /** The document as given (JSON text). */
  readonly document: string;
  readonly activatedAtMs: number;
  readonly changeId: number;
}

export const POLICY_CHANGE_STATES = ['proposed', 'accepted', 'rejected'] as const;
export type PolicyChangeState = (typeof POLICY_CHANGE_STATES)[number];

/** A governed change: a new policy version, or a member with approval powers added or changed (same quorum). */
export type GovernanceChangeKind = 'policy' | 'member';

export interface PolicyChangeRecord {
  readonly id: number;
  readonly kind: GovernanceChangeKind;
  readonly version: number;
  readonly document: string;
  readonly proposer: string;
  readonly state: PolicyChangeState;
  readonly createdAtMs: number;
  readonly approvals: readonly Approval[];
}

export interface AllowlistEntry {
  readonly vaultId: string;
  readonly address: string;
  readonly addedAtMs: number;
  readonly addedBy: string;
}

/** The audit entry that accompanies a change (seq, previous hash and hash are the store's job). */
export interface AuditFields {
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly object: string;
  readonly details: unknown;
  readonly atMs: number;
}

export type NewProposal = Omit<SpendProposal, 'id' | 'replacedBy' | 'txid' | 'finalHex' | 'updatedAtMs' | 'exportedAtMs'>;

/** Fields a state change may set along with the state. */
export interface ProposalUpdate {
  readonly state?: SpendState;
  readonly psbt?: string;
  readonly txid?: Txid;
  readonly finalHex?: string;
  readonly replacedBy?: ProposalId;
  readonly exportedAtMs?: number;
}

/** A coin held by a live proposal (no other proposal may spend it). */
export interface CoinHold {
  readonly txid: Txid;
  readonly vout: number;
  readonly proposalId: ProposalId;
  /** The first proposal of its replacement chain (a bump holds its original's coins). */
  readonly familyId: ProposalId;
}

/** The stores as seen inside one governance transaction. */
export interface GovernanceTx {
  readonly spends: SpendStore;
  readonly vaults: VaultStore;
}

/**
 * Persistence of spend governance (SQLite and PostgreSQL: src/adapters/store/spend-store.ts).
 * Mutations take their audit entry and commit both atomically.
 */
export interface SpendStore {
  /**
   * Run `fn` in ONE database transaction holding the governance write lock: every read it makes
   * through `tx` sees what earlier transactions committed, and every change it makes (with its
   * audit entries) commits together or not at all. Re-entrant: called on a store that is already
   * inside a transaction, it runs `fn` in that same transaction.
   */
  atomically<T>(fn: (tx: GovernanceTx) => Promise<T>): Promise<T>;
  /**
   * The same store, whose every audit entry also names how the actor reached it (`details.via`,
   * e.g. `{ token: 'tok_…' }` for the API): each row says which member and which token acted.
   */
  withAuditContext(via: Readonly<Record<string, string>>): SpendStore;

  members(): Promise<Member[]>;
  /** By id or name; null when unknown. */
  findMember(idOrName: string): Promise<Member | null>;
  /** ALREADY_EXISTS when the id is taken. */
  addMember(member: Member, audit: AuditFields): Promise<void>;

  activePolicy(): Promise<PolicyVersionRecord | null>;
  policyChange(id: number): Promise<PolicyChangeRecord | null>;
  policyChanges(): Promise<PolicyChangeRecord[]>;
  /** Records a proposed change and returns its id. */
  proposePolicyChange(change: { version: number; document: string; proposer: string; createdAtMs: number; kind?: GovernanceChangeKind }, audit: AuditFields): Promise<number>;
  /** Accept a member change (kind `member`): the member is added, or its name, roles, groups and key replaced. */
  applyMemberChange(changeId: number, member: Member, audit: AuditFields): Promise<void>;
  /** ALREADY_EXISTS when this approver already approved. */
  approvePolicyChange(id: number, approval: Approval, audit: AuditFields): Promise<void>;
  /** Marks the change accepted and makes its document the active policy. */
  activatePolicy(changeId: number, atMs: number, audit: AuditFields): Promise<void>;

  allowlist(vaultId: string): Promise<AllowlistEntry[]>;
  addToAllowlist(entry: AllowlistEntry, audit: AuditFields): Promise<void>;

  /**
   * Returns the new proposal's id (from the database's sequence). A live proposal holds its
   * inputs: a coin held by another family is refused (INVALID_STATE); a bump joins the family of
   * the proposal it replaces.
   */
  createProposal(p: NewProposal, audit: AuditFields): Promise<ProposalId>;
  /** The coins held by live proposals of a vault. */
  coinHolds(vaultId: string): Promise<CoinHold[]>;
  proposal(id: number): Promise<SpendProposal | null>;
  /** Newest first; optionally of one vault. */
  proposals(vaultId?: string): Promise<SpendProposal[]>;
  approvals(proposalId: number): Promise<Approval[]>;
  /** ALREADY_EXISTS when this approver already approved. */
  addApproval(proposalId: number, approval: Approval, update: ProposalUpdate, audit: AuditFields): Promise<void>;
  addPartial(record: Omit<PartialPsbtRecord, 'seq'>, combinedPsbt: string, audit: AuditFields): Promise<void>;
  partials(proposalId: number): Promise<PartialPsbtRecord[]>;
  /**
   * Change a proposal, refusing (INVALID_STATE) when its state is no longer `expectedState`
   * (another process moved it first). Coin holds follow the new state: a family with no live
   * proposal left releases its coins; a proposal that becomes live again takes them back.
   */
  updateProposal(id: number, expectedState: SpendState, update: ProposalUpdate, audit: AuditFields, atMs: number): Promise<void>;

  /** Append an entry that records no state change (e.g. a refused proposal). */
  appendAudit(audit: AuditFields): Promise<AuditEntry>;
  /** The whole log in seq order, and the head hash kept apart in `settings`. */
  auditLog(): Promise<AuditEntry[]>;
  auditHead(): Promise<{ seq: number; hash: string } | null>;
}
