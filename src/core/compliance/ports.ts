/**
 * The compliance ports: the store (implemented over SQLite and PostgreSQL in
 * src/adapters/store/compliance-store.ts) and the gate the spend governance asks before a
 * proposal may be made, exported for signing or broadcast (src/app/compliance/spend-gate.ts).
 */
import type { AuditFields } from '../spend/types.ts';
import type { Breach, Commitment } from './commitments.ts';
import type { FlowOverride, RegisterEntry } from './types.ts';

export interface StoredCommitment {
  readonly commitment: Commitment;
  readonly addedBy: string;
  readonly addedAtMs: number;
}

export interface ComplianceAlert {
  readonly commitmentId: string;
  readonly commitmentVersion: number;
  readonly txid: string;
  readonly message: string;
  readonly raisedAtMs: number;
  readonly resolvedAtMs: number | null;
  readonly resolution: string | null;
}

/** Every mutating method commits its change and its audit entry in one transaction. */
export interface ComplianceStore {
  /** Every version of every entry. */
  registerVersions(): Promise<RegisterEntry[]>;
  /** Append a version (its number is the next for the vault; ALREADY_EXISTS if taken meanwhile). */
  addRegisterVersion(entry: RegisterEntry, audit: AuditFields): Promise<void>;
  overrides(): Promise<FlowOverride[]>;
  /** Set (or replace) the override of a transaction. */
  setOverride(override: FlowOverride, audit: AuditFields): Promise<void>;
  /** Every version of every commitment. */
  commitments(): Promise<StoredCommitment[]>;
  /** ALREADY_EXISTS when this id and version is stored. */
  addCommitment(c: StoredCommitment, audit: AuditFields): Promise<void>;
  alerts(): Promise<ComplianceAlert[]>;
  /** Raise new alerts (or raise again resolved ones) and resolve others, with their audit entries, in one transaction. */
  /** Append one audit entry (a statement's hash). */
  appendAudit(audit: AuditFields): Promise<void>;
  recordAlerts(raise: readonly ComplianceAlert[], resolve: readonly { commitmentId: string; commitmentVersion: number; txid: string; atMs: number; resolution: string }[], audits: readonly AuditFields[]): Promise<void>;
}

/** A spend as the gate sees it. */
export interface ProposedSpend {
  readonly vaultId: string;
  readonly outputs: readonly { readonly address: string; readonly sats: bigint }[];
  readonly memo: string | null;
  readonly nowMs: number;
}

/**
 * Asked by the spend governance (`decideSpend`) before the policy's verdict stands: the first
 * commitment in force the spend would breach, or null. `pin()` reads what the check needs once,
 * outside any governance transaction (on SQLite a read through the pool inside one would wait for
 * itself), and returns a gate that answers from that reading.
 */
export interface SpendComplianceGate {
  pin(): Promise<SpendComplianceGate>;
  check(spend: ProposedSpend): Promise<Breach | null>;
}
