/**
 * The database schema as Kysely types: one interface per table, with the columns exactly as the
 * migrations (0001…0009, plus the migrator's own `schema_migrations`) leave them. `Database.db`
 * is a `Kysely<Tables>`, so every repository query is checked against these names.
 *
 * Column types are what the drivers hand back on BOTH engines (docs/adr/0002):
 * - integers (`integer` and `bigint` columns): better-sqlite3 runs with `defaultSafeIntegers(true)`
 *   and returns `bigint` for every integer; `pg` returns `int8` (`bigint`) as `bigint` (a type
 *   parser is set in database.ts) but `int4` (`integer`) as `number`. So every integer reads as
 *   `bigint | number`, and repositories convert it at the boundary with `toBig` (amounts) or
 *   `toNum` (heights, counts, ids, times in ms). Writes accept either.
 * - text is `string`; columns holding JSON are text too (parsed by the repositories);
 * - a column without `not null` is `| null`.
 *
 * Migrations do NOT use these types: each one runs against the schema of its own time (see
 * `Migration.up` in migrator.ts). When a migration changes a table, change its interface here.
 */
import type { ColumnType, Generated } from 'kysely';
import type { MiningDistributionsTable, MiningPartnersTable, MiningShareVersionsTable, MiningSharesTable, MiningSitesTable, MiningVenturesTable } from './mining-schema.ts';
import type { SettlementTables } from './settlement-schema.ts';
import type { SettlementOnchainTables } from './settlement-onchain-schema.ts';

/** SQL `integer` (pg int4: number; SQLite: bigint). Read with `toNum`/`toBig`. */
export type Int = ColumnType<bigint | number, bigint | number, bigint | number>;
/** SQL `bigint` (pg int8: bigint; SQLite: bigint). Same type as `Int`: repositories never trust the driver's type (ADR 0002). */
export type Int8 = Int;
/** A nullable integer column. */
export type IntOrNull = ColumnType<bigint | number | null, bigint | number | null, bigint | number | null>;
/** An integer column the database fills in when an insert leaves it out (a default, or an id from a sequence / the rowid). */
export type IntDefault = Generated<bigint | number>;

/** The migrator's bookkeeping (migrator.ts). */
export interface SchemaMigrationsTable {
  version: Int; // integer primary key
  name: string;
  applied_at: string; // ISO-8601
}

// ---- 0001 settings ----

export interface SettingsTable {
  key: string; // primary key
  value: string;
}

// ---- 0002 vaults and sync ----

export interface VaultsTable {
  id: string; // primary key
  name: string; // unique
  kind: string; // 'descriptor' | 'addresses'
  descriptor: string | null;
  network: string;
  threshold: IntOrNull;
  birthday_height: Int;
  birthday_time: IntOrNull; // bigint, seconds
  gap_limit: Int;
  created_at: string;
}

export interface VaultKeysTable {
  vault_id: string; // primary key (vault_id, position)
  position: Int;
  fingerprint: string | null;
  origin_path: string | null;
  xpub: string | null;
  holder: string | null;
}

export interface VaultAddressesTable {
  vault_id: string; // primary key (vault_id, branch, idx)
  branch: Int; // 0 receive, 1 change
  idx: Int;
  address: string;
  script: string; // scriptPubKey hex
  used: IntDefault; // 0 | 1, default 0
  reserved: IntDefault; // 0 | 1, default 0
}

export interface VaultCheckpointsTable {
  vault_id: string; // primary key (vault_id, height)
  height: Int;
  hash: string;
}

export interface VaultTxosTable {
  vault_id: string; // primary key (vault_id, txid, vout)
  txid: string;
  vout: Int;
  value: Int8; // sats
  script: string;
  branch: Int;
  idx: Int;
  height: IntOrNull; // null: unconfirmed
  spent_txid: string | null;
  spent_height: IntOrNull; // null with spent_txid set: spent in the mempool
  frozen: IntDefault; // 0 | 1, default 0
}

export interface VaultTransactionsTable {
  vault_id: string; // primary key (vault_id, txid)
  txid: string;
  height: IntOrNull; // null: unconfirmed
  block_hash: string | null;
  block_time: IntOrNull; // bigint, seconds
  tx_index: IntOrNull;
  received: Int8; // sats
  spent: Int8; // sats
  fee: IntOrNull; // bigint sats; known when every input is ours
  category: string | null;
  raw: string; // hex, with witness
}

/** Migration 0015: per vault and UTC day, the net confirmed change and how many transactions made it (kept at sync). */
export interface VaultDailyTable {
  vault_id: string; // primary key (vault_id, day)
  day: Int; // block time / 86400
  net: Int8; // sats, received minus spent; may be negative
  txs: Int;
}

export interface TxCategoriesTable {
  txid: string; // primary key
  category: string;
}

export interface LabelsTable {
  type: string; // primary key (type, ref)
  ref: string;
  label: string;
  origin: string | null;
  spendable: IntOrNull; // 0 | 1 | null
}

// ---- 0003 spending (and 0005 governance integrity) ----

export interface MembersTable {
  id: string; // primary key
  name: string;
  roles: string; // JSON array
  groups: string; // JSON array
  created_at_ms: Int8;
  public_key: string | null; // 0006: BIP340 approval key, hex
}

export interface PolicyChangesTable {
  id: IntDefault; // integer primary key; PostgreSQL: a sequence (0005); SQLite: the rowid
  version: Int;
  document: string;
  proposer: string;
  state: string; // proposed | accepted | rejected
  created_at_ms: Int8;
  kind: Generated<string>; // 0006: policy | member (default policy)
}

export interface PolicyChangeApprovalsTable {
  change_id: Int; // primary key (change_id, approver); references policy_changes.id
  approver: string;
  groups: string; // JSON array: the approver's groups when approving
  at_ms: Int8;
  signature: string | null; // 0006: BIP340 signature over the approval statement
  public_key: string | null; // 0006: the key it was made with
}

export interface PoliciesTable {
  version: Int; // primary key; the highest is the active one
  document: string;
  change_id: Int; // references policy_changes.id
  activated_at_ms: Int8;
}

export interface AllowlistTable {
  vault_id: string; // primary key (vault_id, address)
  address: string;
  added_at_ms: Int8;
  added_by: string;
}

export interface SpendProposalsTable {
  id: IntDefault; // integer primary key; PostgreSQL: a sequence (0005); SQLite: the rowid
  vault_id: string;
  kind: string; // payment | bump | cpfp
  outputs: string; // JSON
  inputs: string; // JSON
  change_sats: Int8;
  change_index: IntOrNull;
  memo: string | null;
  proposer: string;
  fee_rate_kvb: Int8;
  fee_sats: Int8;
  amount_sats: Int8;
  state: string;
  psbt: string;
  unsigned_txid: string;
  txid: string | null;
  final_hex: string | null;
  replaces: IntOrNull;
  replaced_by: IntOrNull;
  parent: IntOrNull;
  policy_version: Int;
  decision: string; // JSON
  created_at_ms: Int8;
  updated_at_ms: Int8;
  exported_at_ms: IntOrNull; // bigint; added by 0005
}

export interface SpendApprovalsTable {
  proposal_id: Int; // primary key (proposal_id, approver); references spend_proposals.id
  approver: string;
  groups: string; // JSON array
  at_ms: Int8;
  signature: string | null; // 0006
  public_key: string | null; // 0006
}

export interface SpendPartialsTable {
  proposal_id: Int; // primary key (proposal_id, seq); references spend_proposals.id
  seq: Int;
  imported_by: string;
  signatures: Int;
  psbt: string;
  at_ms: Int8;
}

/** Append-only and hash-chained (audit-store.ts). */
export interface AuditLogTable {
  seq: Int; // integer primary key, written explicitly
  actor: string;
  role: string;
  action: string;
  object: string;
  details: string; // canonical JSON
  at_ms: Int8;
  prev_hash: string;
  hash: string;
}

// ---- 0004 API tokens ----

export interface ApiTokensTable {
  id: string; // primary key
  name: string;
  role: string;
  token_hash: string; // unique; SHA-256 hex of the secret
  created_at: string;
  revoked_at: string | null;
  member_id: string | null; // 0007: the member the token is issued to
}

// ---- 0008 token enrolments ----

/** One-time enrolment codes (token-store.ts): only the hash of a code is kept. */
export interface TokenEnrolmentsTable {
  id: string; // primary key, enr_ + 12 hex
  member_id: string;
  role: string;
  code_hash: string; // unique; SHA-256 hex of the code
  issued_by: string;
  created_at_ms: Int8;
  expires_at_ms: Int8;
  redeemed_at_ms: IntOrNull;
  token_id: string | null; // the token the redemption made
  revoked_at_ms: IntOrNull;
}

// ---- 0005 governance integrity ----

export interface ProposalCoinsTable {
  txid: string; // primary key (txid, vout)
  vout: Int;
  vault_id: string;
  family_id: Int; // the first proposal of the replacement chain
  proposal_id: Int; // references spend_proposals.id
}

// ---- 0009 accounting ----

/** Purchase records imported from CSV (accounting-store.ts); id derived from the content. */
export interface PurchaseRecordsTable {
  id: string; // primary key, pur_ + 16 hex (+ -n for the n-th identical row of one file)
  date: string; // YYYY-MM-DD
  sats: Int8;
  paid_minor: IntOrNull; // null with paid_currency when no fiat amount is known
  paid_currency: string | null;
  counterparty: string | null;
  source_url: string | null;
  vault_id: string | null; // null: any vault
  imported_by: string;
  imported_at_ms: Int8;
}

/** Each vault's cost-basis method (fifo, specific, average) and who set it when. */
export interface VaultCostMethodsTable {
  vault_id: string; // primary key
  method: string;
  set_by: string;
  set_at_ms: Int8;
}

// ---- 0012 accounting ledger ----

/** The stored double-entry ledger, append-only (accounting-store.ts): a reorg appends reversals. */
export interface LedgerEntriesTable {
  seq: Int; // primary key, order of appending
  id: string; // unique: txid, txid#n, id~reversal@height
  txid: string;
  height: Int;
  date: string; // YYYY-MM-DD
  lines: string; // JSON [{ account, sats (string) }]
  reverses: string | null; // the id of the entry this one negates
  memo: string;
  recorded_by: string;
  recorded_at_ms: Int8;
}

/** Every cost-basis method recorded for a vault, with the day it applies from. */
export interface VaultCostMethodChangesTable {
  seq: Int; // primary key
  vault_id: string;
  method: string;
  effective_from: string; // YYYY-MM-DD
  set_by: string;
  set_at_ms: Int8;
}

// ---- 0011 compliance ----

/** The register of public wallets: every version of every entry (compliance-store.ts). */
export interface ComplianceRegisterTable {
  vault_id: string; // primary key (vault_id, version)
  version: Int;
  owner: string;
  legal_basis: string;
  purpose: string;
  joined_on: string; // YYYY-MM-DD
  left_on: string | null;
  recorded_by: string;
  recorded_at_ms: Int8;
}

/** A person's classification of a transaction, keyed by txid (survives reorgs). */
export interface ComplianceOverridesTable {
  txid: string; // primary key
  class: string;
  reason: string;
  set_by: string;
  set_at_ms: Int8;
}

/** Programme commitments: every version (canonical JSON document). */
export interface ComplianceCommitmentsTable {
  id: string; // primary key (id, version)
  version: Int;
  document: string;
  added_by: string;
  added_at_ms: Int8;
}

/** Breaches monitoring raised, per commitment version and transaction. */
export interface ComplianceAlertsTable {
  commitment_id: string; // primary key (commitment_id, commitment_version, txid)
  commitment_version: Int;
  txid: string;
  message: string;
  raised_at_ms: Int8;
  resolved_at_ms: IntOrNull;
  resolution: string | null;
}

/** Every table after the latest migration. */
// ---- 0010 proof of reserves ----

export interface ProofRoundsTable {
  id: IntDefault; // integer primary key (PostgreSQL: a sequence; SQLite: the rowid)
  vault_ids: string; // JSON array
  message: string;
  challenge_id: string | null;
  height: Int;
  block_hash: string;
  coins: string; // JSON
  total_sats: Int8;
  state: string;
  psbt: string;
  unsigned_txid: string;
  proposer: string;
  policy_version: Int;
  requirement: string; // JSON
  exported_at_ms: IntOrNull;
  proof_file: string | null;
  published_at_ms: IntOrNull;
  created_at_ms: Int8;
  updated_at_ms: Int8;
}

export interface ProofApprovalsTable {
  round_id: Int; // primary key (round_id, approver)
  approver: string;
  groups: string;
  at_ms: Int8;
  signature: string | null;
  public_key: string | null;
}

export interface ProofPartialsTable {
  round_id: Int; // primary key (round_id, seq)
  seq: Int;
  imported_by: string;
  signatures: Int;
  psbt: string;
  at_ms: Int8;
}

export interface ProofChallengesTable {
  id: string; // primary key
  nonce: string;
  requested_by: string;
  note: string | null;
  created_at_ms: Int8;
  expires_at_ms: Int8;
  round_id: IntOrNull;
  answered_at_ms: IntOrNull;
}

export interface Tables extends SettlementTables, SettlementOnchainTables {
  schema_migrations: SchemaMigrationsTable;
  // 0014 mining ventures (mining-schema.ts)
  mining_ventures: MiningVenturesTable;
  mining_partners: MiningPartnersTable;
  mining_share_versions: MiningShareVersionsTable;
  mining_shares: MiningSharesTable;
  mining_sites: MiningSitesTable;
  mining_distributions: MiningDistributionsTable;
  settings: SettingsTable;
  vaults: VaultsTable;
  vault_keys: VaultKeysTable;
  vault_addresses: VaultAddressesTable;
  vault_checkpoints: VaultCheckpointsTable;
  vault_txos: VaultTxosTable;
  vault_transactions: VaultTransactionsTable;
  tx_categories: TxCategoriesTable;
  labels: LabelsTable;
  members: MembersTable;
  policy_changes: PolicyChangesTable;
  policy_change_approvals: PolicyChangeApprovalsTable;
  policies: PoliciesTable;
  allowlist: AllowlistTable;
  spend_proposals: SpendProposalsTable;
  spend_approvals: SpendApprovalsTable;
  spend_partials: SpendPartialsTable;
  audit_log: AuditLogTable;
  api_tokens: ApiTokensTable;
  token_enrolments: TokenEnrolmentsTable;
  proposal_coins: ProposalCoinsTable;
  purchase_records: PurchaseRecordsTable;
  vault_cost_methods: VaultCostMethodsTable;
  proof_rounds: ProofRoundsTable;
  proof_approvals: ProofApprovalsTable;
  proof_partials: ProofPartialsTable;
  proof_challenges: ProofChallengesTable;
  compliance_register: ComplianceRegisterTable;
  compliance_overrides: ComplianceOverridesTable;
  compliance_commitments: ComplianceCommitmentsTable;
  compliance_alerts: ComplianceAlertsTable;
  ledger_entries: LedgerEntriesTable;
  vault_cost_method_changes: VaultCostMethodChangesTable;
  vault_daily: VaultDailyTable;
}
