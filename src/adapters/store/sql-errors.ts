/**
 * What a database error means, the same on SQLite and PostgreSQL.
 *
 * @example
 *   try { await insert(); } catch (e) { if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', '…'); throw e; }
 */

/** A UNIQUE or PRIMARY KEY constraint refused a row (PostgreSQL 23505, SQLite's constraint codes). */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
