import type { Database } from './database.ts';
import { toNum } from './database.ts';

/** The highest applied migration version, or 0. */
export async function readSchemaVersion(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('schema_migrations')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  return row && row.v !== null ? toNum(row.v) : 0;
}
