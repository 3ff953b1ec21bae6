import { sql } from 'kysely';
import type { Migration } from '../migrator.ts';

/**
 * Proof of reserves (issue #14): proofs as governed rounds that can never move money.
 * - `proof_rounds`: one proof being made (or made): the vaults, the message it signs, the block of
 *   the snapshot and its coins (JSON), the proof PSBT, the approval requirement, then the proof file
 *   (JSON text) once finalized and when it was published. Own tables, not `spend_proposals`: a
 *   proof holds no coins (a spend may take them meanwhile), pays no fee, is never broadcast, and
 *   its states are not a spend's (see core/por/round.ts).
 * - `proof_approvals`, `proof_partials`: as for spends, one approval per member, uploads kept.
 * - `proof_challenges`: an auditor's nonce, its expiry, the round bound to it and when it was
 *   answered (a challenge answers once).
 * Ids of rounds: PostgreSQL an owned sequence; SQLite the rowid. Times are ms since epoch.
 */
export const m0010ProofOfReserves: Migration = {
  version: 10,
  name: 'proof-of-reserves',
  async up(db, engine) {
    await db.schema
      .createTable('proof_rounds')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('vault_ids', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('challenge_id', 'text')
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('block_hash', 'text', (c) => c.notNull())
      .addColumn('coins', 'text', (c) => c.notNull())
      .addColumn('total_sats', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('psbt', 'text', (c) => c.notNull())
      .addColumn('unsigned_txid', 'text', (c) => c.notNull())
      .addColumn('proposer', 'text', (c) => c.notNull())
      .addColumn('policy_version', 'integer', (c) => c.notNull())
      .addColumn('requirement', 'text', (c) => c.notNull())
      .addColumn('exported_at_ms', 'bigint')
      .addColumn('proof_file', 'text')
      .addColumn('published_at_ms', 'bigint')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('proof_rounds_published').on('proof_rounds').columns(['published_at_ms']).execute();
    if (engine === 'postgres') {
      await sql.raw('create sequence proof_rounds_id_seq owned by proof_rounds.id').execute(db);
      await sql.raw("alter table proof_rounds alter column id set default nextval('proof_rounds_id_seq')").execute(db);
    }
    await db.schema
      .createTable('proof_approvals')
      .addColumn('round_id', 'integer', (c) => c.notNull().references('proof_rounds.id'))
      .addColumn('approver', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addColumn('signature', 'text')
      .addColumn('public_key', 'text')
      .addPrimaryKeyConstraint('proof_approvals_pk', ['round_id', 'approver'])
      .execute();
    await db.schema
      .createTable('proof_partials')
      .addColumn('round_id', 'integer', (c) => c.notNull().references('proof_rounds.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('signatures', 'integer', (c) => c.notNull())
      .addColumn('psbt', 'text', (c) => c.notNull())
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('proof_partials_pk', ['round_id', 'seq'])
      .execute();
    await db.schema
      .createTable('proof_challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('round_id', 'integer')
      .addColumn('answered_at_ms', 'bigint')
      .execute();
  },
};
