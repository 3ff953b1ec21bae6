/**
 * An API server for tests: the real Fastify app and the real SQLite token store, with the public
 * view given by the test (by default the in-memory double, see memory-public-view.ts for why).
 * One token per role is created up front.
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
  close(): Promise<void>;
}

export async function startTestApi(opts: { view?: PublicReserveView; rateLimit?: ServerDeps['rateLimit'] } = {}): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-api-'));
  const db = await openDatabase({ url: join(dir, 'api.db') });
  const tokens = new SqlApiTokenStore(db, { clock: { now: () => TEST_NOW } });
  const token = {} as Record<Role, string>;
  for (const r of ROLES) token[r] = (await tokens.create({ name: `test ${r}`, role: r })).token;
  const deps: ServerDeps = {
    publicView: opts.view ?? new MemoryPublicView(sampleReserve({ extra: 40 })),
    prices: loadPriceHistory(),
    tokens,
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
    async close() {
      await app.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
