import type { Migration } from '../migrator.ts';

/**
 * One-time enrolment codes (issue #19): only a member's own enrolment binds a token to that member.
 * An admin issues a code for a member and a role they hold; the member redeems it once, before it
 * expires, for a token bound to them. The code itself is never stored: `code_hash` is its SHA-256
 * (hex). `redeemed_at_ms`/`token_id` are set together by the one conditional update that redeems
 * it, `revoked_at_ms` when an admin withdraws it. Times are milliseconds since the Unix epoch.
 */
export const m0008TokenEnrolments: Migration = {
  version: 8,
  name: 'token-enrolments',
  async up(db) {
    await db.schema
      .createTable('token_enrolments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('member_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('issued_by', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('redeemed_at_ms', 'bigint')
      .addColumn('token_id', 'text')
      .addColumn('revoked_at_ms', 'bigint')
      .execute();
  },
};
