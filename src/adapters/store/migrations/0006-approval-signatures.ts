import type { Migration } from '../migrator.ts';

/**
 * Approvals are signatures, and approver identities are governed (issue #19):
 * - `members.public_key`: the member's BIP340 approval public key (hex), null when none;
 * - `spend_approvals` and `policy_change_approvals` keep the signature and the key it was made
 *   with (rows from before stay unsigned: they count only on regtest);
 * - `policy_changes.kind`: `policy` (a new policy version) or `member` (adding or changing a member
 *   with approval powers — same quorum, same approvals, `document` holds the member as JSON).
 */
export const m0006ApprovalSignatures: Migration = {
  version: 6,
  name: 'approval-signatures',
  async up(db) {
    await db.schema.alterTable('members').addColumn('public_key', 'text').execute();
    for (const table of ['spend_approvals', 'policy_change_approvals']) {
      await db.schema.alterTable(table).addColumn('signature', 'text').execute();
      await db.schema.alterTable(table).addColumn('public_key', 'text').execute();
    }
    await db.schema.alterTable('policy_changes').addColumn('kind', 'text', (c) => c.notNull().defaultTo('policy')).execute();
  },
};
