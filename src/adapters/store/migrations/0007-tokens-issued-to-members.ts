import type { Migration } from '../migrator.ts';

/**
 * A token is issued TO a member, by id (issue #19): `api_tokens.member_id`. A token acts in
 * governance as that member only — never as whoever happens to share its name. Tokens from before
 * have none and act as no member (they still read what their role allows).
 */
export const m0007TokensIssuedToMembers: Migration = {
  version: 7,
  name: 'tokens-issued-to-members',
  async up(db) {
    await db.schema.alterTable('api_tokens').addColumn('member_id', 'text').execute();
  },
};
