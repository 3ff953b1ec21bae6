import type { Migration } from '../migrator.ts';

/**
 * API tokens for the HTTP server. The secret is shown once at creation; only its SHA-256
 * (hex) is stored, so a copy of the database does not give access to the API.
 */
export const m0004ApiTokens: Migration = {
  version: 4,
  name: 'api-tokens',
  async up(db) {
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
  },
};
