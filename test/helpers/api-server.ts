/**
 * An API server for tests: the real Fastify app, the real SQLite token store and, unless the test
 * gives another view, the real SQL public view over vault tables loaded with a sample reserve
 * (`reference` is the in-memory view of the same reserve, to compute expected values independently).
 * One token per role is created up front. The public cache is off so every call reaches the view.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, apiRoutes } from '../../src/server/app.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { ROLES, type Role } from '../../src/core/auth/roles.ts';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { loadReserveTables } from './load-reserve-tables.ts';
import { MemoryPublicView, sampleReserve } from './memory-public-view.ts';

export const TEST_NOW = Date.parse('2026-08-21T12:00:00Z');

export interface TestApi {
  app: FastifyInstance;
  deps: ServerDeps;
  db: Database;
  tokens: SqlApiTokenStore;
  /** A valid token per role. */
  token: Record<Role, string>;
  routes: ReturnType<typeof apiRoutes>;
  reference: MemoryPublicView;
  close(): Promise<void>;
}

export async function startTestApi(opts: { view?: PublicReserveView; rateLimit?: ServerDeps['rateLimit']; extra?: number } = {}): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-api-'));
  const db = await openDatabase({ url: join(dir, 'api.db') });
  const tokens = new SqlApiTokenStore(db, { clock: { now: () => TEST_NOW } });
  const token = {} as Record<Role, string>;
  for (const r of ROLES) token[r] = (await tokens.create({ name: `test ${r}`, role: r, memberId: `test-${r}` })).token; // acts as member test-<role> where a test adds it
  const reserve = sampleReserve({ extra: opts.extra ?? 40 });
  if (!opts.view) await loadReserveTables(db, reserve);
  const deps: ServerDeps = {
    publicView: opts.view ?? new SqlPublicView(db, reserve.network),
    publicCacheMs: 0,
    prices: loadPriceHistory(),
    tokens,
    vaults: new SqlVaultStore(db),
    governance: { spends: new SqlSpendStore(db), network: 'regtest' },
    accounting: { store: new SqlAccountingStore(db), rates: shippedReferenceRates() },
    proofs: { store: new SqlProofStore(db) },
    compliance: { store: new SqlComplianceStore(db) },
    clock: { now: () => TEST_NOW },
    webRoot: null,
    rateLimit: opts.rateLimit === undefined ? null : opts.rateLimit,
  };
  const app = await buildServer(deps);
  return {
    app,
    deps,
    db,
    tokens,
    token,
    routes: apiRoutes(deps),
    reference: new MemoryPublicView(reserve),
    async close() {
      await app.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
