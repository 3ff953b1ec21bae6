import type { Migration } from '../migrator.ts';

/** Key/value settings of this installation (e.g. the network it was created for). */
export const m0001Settings: Migration = {
  version: 1,
  name: 'settings',
  async up(db) {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
