import { sql } from 'kysely';
import type { Migration } from '../migrator.ts';

/**
 * Governance integrity (issue #11):
 * - `proposal_coins`: the coins a live proposal holds, one row per coin, primary key (txid, vout),
 *   so no two live proposals can hold one coin. A fee bump holds the same coins as the proposal it
 *   replaces: rows carry the `family_id` (the first proposal of a replacement chain) and the bump
 *   joins its family instead of competing with it. Rows go when the family has no live proposal.
 * - ids from real sequences: PostgreSQL gets an owned sequence as the default of
 *   `spend_proposals.id` and `policy_changes.id`; on SQLite an `integer primary key` is the rowid,
 *   which the engine assigns itself when the insert leaves it out.
 * - `spend_proposals.exported_at_ms`: when the PSBT first left for the signers (signatures may exist
 *   from then on).
 * Existing live proposals' coins are copied in.
 */
export const m0005GovernanceIntegrity: Migration = {
  version: 5,
  name: 'governance-integrity',
  async up(db, engine) {
    await db.schema
      .createTable('proposal_coins')
      .addColumn('txid', 'text', (c) => c.notNull())
      .addColumn('vout', 'integer', (c) => c.notNull())
      .addColumn('vault_id', 'text', (c) => c.notNull())
      .addColumn('family_id', 'integer', (c) => c.notNull())
      .addColumn('proposal_id', 'integer', (c) => c.notNull().references('spend_proposals.id'))
      .addPrimaryKeyConstraint('proposal_coins_pk', ['txid', 'vout'])
      .execute();
    await db.schema.createIndex('proposal_coins_family').on('proposal_coins').column('family_id').execute();
    await db.schema.alterTable('spend_proposals').addColumn('exported_at_ms', 'bigint').execute();
    if (engine === 'postgres') {
      for (const table of ['spend_proposals', 'policy_changes']) {
        const seq = `${table}_id_seq`;
        await sql.raw(`create sequence ${seq} owned by ${table}.id`).execute(db);
        await sql.raw(`select setval('${seq}', coalesce((select max(id) from ${table}), 0) + 1, false)`).execute(db);
        await sql.raw(`alter table ${table} alter column id set default nextval('${seq}')`).execute(db);
      }
    }
    // Copy the coins of live proposals (oldest first, so a bump joins its original's family).
    const rows = (await db.selectFrom('spend_proposals').select(['id', 'vault_id', 'inputs', 'replaces', 'state']).orderBy('id').execute()) as {
      id: unknown; vault_id: string; inputs: string; replaces: unknown; state: string;
    }[];
    const family = new Map<number, number>();
    const live = new Set(['proposed', 'approved', 'signed', 'broadcast']);
    const held = new Set<string>();
    for (const r of rows) {
      const id = Number(r.id);
      const replaces = r.replaces === null ? null : Number(r.replaces);
      const fam = replaces !== null ? (family.get(replaces) ?? replaces) : id;
      family.set(id, fam);
      if (!live.has(r.state)) continue;
      for (const i of JSON.parse(r.inputs) as { txid: string; vout: number }[]) {
        const key = `${i.txid}:${i.vout}`;
        if (held.has(key)) continue; // the same family's bump, or an old double hold: the first keeps it
        held.add(key);
        await db.insertInto('proposal_coins').values({ txid: i.txid, vout: i.vout, vault_id: r.vault_id, family_id: fam, proposal_id: id }).execute();
      }
    }
  },
};
