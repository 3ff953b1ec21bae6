// The typed schema (src/adapters/store/schema.ts) matches what the migrations build, on SQLite and
// PostgreSQL: the same tables, the same columns, text vs integer, and (on PostgreSQL, which reports
// NOT NULL on primary keys too) the same nullability. EXPECTED's type is derived from `Tables`, so
// the compiler keeps it in step with schema.ts and this test keeps schema.ts in step with the
// migrations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SelectType } from 'kysely';
import { forEachEngine } from './helpers/engines.ts';
import type { Tables } from '../src/adapters/store/schema.ts';

type Kind<S> = [S] extends [string | null] ? 'text' : [S] extends [bigint | number | null] ? 'integer' : never;
type Spec<C> = `${Kind<SelectType<C>>}${null extends SelectType<C> ? ' null' : ''}`;
type Expected = { [T in keyof Tables]: { [K in keyof Tables[T]]-?: Spec<Tables[T][K]> } };

const EXPECTED: Expected = {
  schema_migrations: { version: 'integer', name: 'text', applied_at: 'text' },
  settings: { key: 'text', value: 'text' },
  vaults: {
    id: 'text', name: 'text', kind: 'text', descriptor: 'text null', network: 'text', threshold: 'integer null', birthday_height: 'integer',
    birthday_time: 'integer null', gap_limit: 'integer', created_at: 'text',
  },
  vault_keys: { vault_id: 'text', position: 'integer', fingerprint: 'text null', origin_path: 'text null', xpub: 'text null', holder: 'text null' },
  vault_addresses: { vault_id: 'text', branch: 'integer', idx: 'integer', address: 'text', script: 'text', used: 'integer', reserved: 'integer' },
  vault_checkpoints: { vault_id: 'text', height: 'integer', hash: 'text' },
  vault_txos: {
    vault_id: 'text', txid: 'text', vout: 'integer', value: 'integer', script: 'text', branch: 'integer', idx: 'integer', height: 'integer null',
    spent_txid: 'text null', spent_height: 'integer null', frozen: 'integer',
  },
  vault_transactions: {
    vault_id: 'text', txid: 'text', height: 'integer null', block_hash: 'text null', block_time: 'integer null', tx_index: 'integer null',
    received: 'integer', spent: 'integer', fee: 'integer null', category: 'text null', raw: 'text',
  },
  tx_categories: { txid: 'text', category: 'text' },
  labels: { type: 'text', ref: 'text', label: 'text', origin: 'text null', spendable: 'integer null' },
  members: { id: 'text', name: 'text', roles: 'text', groups: 'text', created_at_ms: 'integer', public_key: 'text null' },
  policy_changes: { id: 'integer', version: 'integer', document: 'text', proposer: 'text', state: 'text', created_at_ms: 'integer', kind: 'text' },
  policy_change_approvals: { change_id: 'integer', approver: 'text', groups: 'text', at_ms: 'integer', signature: 'text null', public_key: 'text null' },
  policies: { version: 'integer', document: 'text', change_id: 'integer', activated_at_ms: 'integer' },
  allowlist: { vault_id: 'text', address: 'text', added_at_ms: 'integer', added_by: 'text' },
  spend_proposals: {
    id: 'integer', vault_id: 'text', kind: 'text', outputs: 'text', inputs: 'text', change_sats: 'integer', change_index: 'integer null', memo: 'text null',
    proposer: 'text', fee_rate_kvb: 'integer', fee_sats: 'integer', amount_sats: 'integer', state: 'text', psbt: 'text', unsigned_txid: 'text',
    txid: 'text null', final_hex: 'text null', replaces: 'integer null', replaced_by: 'integer null', parent: 'integer null', policy_version: 'integer',
    decision: 'text', created_at_ms: 'integer', updated_at_ms: 'integer', exported_at_ms: 'integer null',
  },
  spend_approvals: { proposal_id: 'integer', approver: 'text', groups: 'text', at_ms: 'integer', signature: 'text null', public_key: 'text null' },
  spend_partials: { proposal_id: 'integer', seq: 'integer', imported_by: 'text', signatures: 'integer', psbt: 'text', at_ms: 'integer' },
  audit_log: {
    seq: 'integer', actor: 'text', role: 'text', action: 'text', object: 'text', details: 'text', at_ms: 'integer', prev_hash: 'text', hash: 'text',
  },
  api_tokens: { id: 'text', name: 'text', role: 'text', token_hash: 'text', created_at: 'text', revoked_at: 'text null', member_id: 'text null' },
  token_enrolments: {
    id: 'text', member_id: 'text', role: 'text', code_hash: 'text', issued_by: 'text', created_at_ms: 'integer', expires_at_ms: 'integer',
    redeemed_at_ms: 'integer null', token_id: 'text null', revoked_at_ms: 'integer null',
  },
  proposal_coins: { txid: 'text', vout: 'integer', vault_id: 'text', family_id: 'integer', proposal_id: 'integer' },
  purchase_records: {
    id: 'text', date: 'text', sats: 'integer', paid_minor: 'integer null', paid_currency: 'text null', counterparty: 'text null', source_url: 'text null',
    vault_id: 'text null', imported_by: 'text', imported_at_ms: 'integer',
  },
  vault_cost_methods: { vault_id: 'text', method: 'text', set_by: 'text', set_at_ms: 'integer' },
  proof_rounds: {
    id: 'integer', vault_ids: 'text', message: 'text', challenge_id: 'text null', height: 'integer', block_hash: 'text', coins: 'text', total_sats: 'integer', state: 'text', psbt: 'text',
    unsigned_txid: 'text', proposer: 'text', policy_version: 'integer', requirement: 'text', exported_at_ms: 'integer null', proof_file: 'text null', published_at_ms: 'integer null', created_at_ms: 'integer', updated_at_ms: 'integer',
  },
  proof_approvals: { round_id: 'integer', approver: 'text', groups: 'text', at_ms: 'integer', signature: 'text null', public_key: 'text null' },
  proof_partials: { round_id: 'integer', seq: 'integer', imported_by: 'text', signatures: 'integer', psbt: 'text', at_ms: 'integer' },
  proof_challenges: { id: 'text', nonce: 'text', requested_by: 'text', note: 'text null', created_at_ms: 'integer', expires_at_ms: 'integer', round_id: 'integer null', answered_at_ms: 'integer null' },
  compliance_register: {
    vault_id: 'text', version: 'integer', owner: 'text', legal_basis: 'text', purpose: 'text', joined_on: 'text', left_on: 'text null', recorded_by: 'text', recorded_at_ms: 'integer',
  },
  compliance_overrides: { txid: 'text', class: 'text', reason: 'text', set_by: 'text', set_at_ms: 'integer' },
  compliance_commitments: { id: 'text', version: 'integer', document: 'text', added_by: 'text', added_at_ms: 'integer' },
  compliance_alerts: {
    commitment_id: 'text', commitment_version: 'integer', txid: 'text', message: 'text', raised_at_ms: 'integer', resolved_at_ms: 'integer null', resolution: 'text null',
  },
  ledger_entries: { seq: 'integer', id: 'text', txid: 'text', height: 'integer', date: 'text', lines: 'text', reverses: 'text null', memo: 'text', recorded_by: 'text', recorded_at_ms: 'integer' },
  vault_cost_method_changes: { seq: 'integer', vault_id: 'text', method: 'text', effective_from: 'text', set_by: 'text', set_at_ms: 'integer' },
  // migration 0014: mining ventures
  mining_ventures: { id: 'text', name: 'text', vault_id: 'text', public_sector: 'integer', created_by: 'text', created_at_ms: 'integer' },
  mining_partners: { venture_id: 'text', id: 'text', name: 'text', settlement_vault_id: 'text null', settlement_descriptor: 'text null', next_index: 'integer', added_by: 'text', added_at_ms: 'integer' },
  mining_share_versions: { venture_id: 'text', version: 'integer', effective_from: 'integer', note: 'text null', recorded_by: 'text', recorded_at_ms: 'integer' },
  mining_shares: { venture_id: 'text', version: 'integer', partner_id: 'text', bps: 'integer' },
  mining_sites: {
    venture_id: 'text', id: 'text', name: 'text', capacity_kw: 'integer', energy_source: 'text', tariff_minor_per_mwh: 'integer', currency: 'text', market_tariff_minor_per_mwh: 'integer null',
    fleet_ths: 'integer', efficiency_mj_per_th: 'integer', uptime_bps: 'integer', pool: 'text null', pool_fee_bps: 'integer', pool_addresses: 'text', added_by: 'text', added_at_ms: 'integer',
  },
  mining_distributions: {
    venture_id: 'text', period: 'text', state: 'text', proposal_id: 'integer null', total_sats: 'integer', fee_sats: 'integer', document: 'text', claimed_by: 'text', claimed_at_ms: 'integer', proposed_at_ms: 'integer null',
  },
  vault_daily: { vault_id: 'text', day: 'integer', net: 'integer', txs: 'integer' },
  // migration 0013: alliance settlement
  settlement_members: { code: 'text', state: 'text', institution: 'text', currency: 'text', receive_descriptor: 'text', api_identity: 'text', status: 'text', added_by: 'text', added_at_ms: 'integer' },
  settlement_buckets: { id: 'integer', due_date: 'text', currency: 'text', cycle_id: 'text null' },
  settlement_invoices: {
    exporter: 'text', reference: 'text', importer: 'text', amount_minor: 'integer', currency: 'text', due_date: 'text', seller: 'text null', buyer: 'text null', status: 'text', bucket_id: 'integer null',
    submitted_by: 'text', submitted_at_ms: 'integer', decided_by: 'text null', decided_at_ms: 'integer null', note: 'text null',
  },
  settlement_positions: { bucket_id: 'integer', member: 'text', receivable_minor: 'integer', payable_minor: 'integer', invoices: 'integer' },
  settlement_cycles: { id: 'text', seq: 'integer', cutoff: 'text', status: 'text', mode: 'text', rates: 'text', closed_by: 'text', closed_at_ms: 'integer', note: 'text null' },
  settlement_cycle_positions: { cycle_id: 'text', member: 'text', sats: 'integer' },
  settlement_cycle_gross: { cycle_id: 'text', member: 'text', currency: 'text', receivable_minor: 'integer', payable_minor: 'integer', invoices: 'integer' },
  settlement_cycle_transfers: { cycle_id: 'text', seq: 'integer', from_member: 'text', to_member: 'text', sats: 'integer' },
  // migration 0017: settlement on chain
  settlement_onchain_cycles: {
    cycle_id: 'text', mode: 'text', vault_id: 'text null', confirmations: 'integer', deadline_height: 'integer null', cycle: 'text', phase: 'text', payout_proposal_id: 'integer null',
    refund_proposal_id: 'integer null', defaulters: 'text', opened_by: 'text', opened_at_ms: 'integer', updated_at_ms: 'integer',
  },
  settlement_payins: {
    cycle_id: 'text', payer: 'text', address: 'text', address_index: 'integer', sats: 'integer', status: 'text', txid: 'text null', vout: 'integer null', height: 'integer null',
    confirmations: 'integer', updated_at_ms: 'integer',
  },
  settlement_transfers: { cycle_id: 'text', kind: 'text', member: 'text', address: 'text', sats: 'integer', fee_share: 'integer' },
  settlement_receive_indexes: { descriptor: 'text', next_index: 'integer' },
  // migration 0018: settlement on chain — spend intents, screened receiver addresses, direct payments
  settlement_onchain_spends: {
    cycle_id: 'text', seq: 'integer', kind: 'text', tag: 'text', status: 'text', inputs: 'text', transfers: 'text', proposal_id: 'integer null', created_at_ms: 'integer', updated_at_ms: 'integer',
  },
  settlement_address_holds: { cycle_id: 'text', purpose: 'text', member: 'text', address: 'text', hold_id: 'text null', screened_at_ms: 'integer' },
  settlement_direct_payments: { cycle_id: 'text', payer: 'text', status: 'text', txid: 'text null', height: 'integer null', confirmations: 'integer', updated_at_ms: 'integer' },
  settlement_screening_lists: { version: 'integer', source: 'text', document: 'text', sha256: 'text', loaded_by: 'text', loaded_at_ms: 'integer' },
  settlement_holds: {
    id: 'text', kind: 'text', subject: 'text', matches: 'text', list_version: 'integer', status: 'text', raised_at_ms: 'integer', decided_by: 'text null', decided_at_ms: 'integer null', reason: 'text null',
  },
};

/** The declared SQL type, as the introspector names it on either engine. */
function kindOf(dataType: string): string {
  const t = dataType.toLowerCase();
  if (t === 'text') return 'text';
  if (t === 'integer' || t === 'bigint' || t === 'int4' || t === 'int8') return 'integer';
  return `unexpected ${dataType}`;
}

forEachEngine('store schema types', (t) => {
  test('Tables in schema.ts describes exactly the tables and columns the migrations create', async () => {
    const db = await t.open();
    const tables = await db.db.introspection.getTables();
    const actual: Record<string, Record<string, string>> = {};
    for (const table of tables) {
      actual[table.name] = Object.fromEntries(table.columns.map((c) => {
        // SQLite reports a single-column primary key declared without NOT NULL as nullable; only
        // PostgreSQL's nullability is compared.
        const nullable = t.engine === 'postgres' && c.isNullable ? ' null' : '';
        return [c.name, kindOf(c.dataType) + nullable];
      }));
    }
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([name, cols]) => [
      name,
      Object.fromEntries(Object.entries(cols as Record<string, string>).map(([col, spec]) => [col, t.engine === 'postgres' ? spec : spec.replace(/ null$/, '')])),
    ]));
    assert.deepEqual(actual, expected);
  });
});
