// GET /api/v1/mining/ventures through the real Fastify app: token holders read every venture with
// its sites (the schema serializes them, amounts as strings); anonymous callers are refused; a
// server without a mining store answers an empty list (the dashboard never meets a 404).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';
import { buildServer } from '../../src/server/app.ts';
import { SqlMiningStore } from '../../src/adapters/store/mining-store.ts';
import type { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';

let api: TestApi;
let app: FastifyInstance;

before(async () => {
  api = await startTestApi();
  const mining = new SqlMiningStore(api.db);
  const vault = await addVault({ store: api.deps.vaults as SqlVaultStore }, { name: 'Venture vault', network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(61), cosigner(62), cosigner(63)]), birthday: { height: 0 }, gapLimit: 5, now: '2026-01-01T00:00:00Z' });
  const audit = { actor: 'rosa', role: 'admin', action: 'mining.test', object: 'venture:geo', details: {}, atMs: 1 };
  await mining.addVenture({ id: 'geo', name: 'Geo Venture', vaultId: vault.id, publicSector: true, createdBy: 'rosa', createdAtMs: 1 }, audit);
  await mining.addSite({
    ventureId: 'geo', id: 'tecapa', name: 'Tecapa', capacityKw: 10_000n, energySource: 'geothermal', tariffMinorPerMwh: 4_500n, currency: 'USD', marketTariffMinorPerMwh: 11_000n,
    fleetThs: 500_000n, efficiencyMjPerTh: 17_500n, uptimeBps: 9_500, pool: 'Demo Pool', poolFeeBps: 200, poolAddresses: [], addedBy: 'rosa', addedAtMs: 1,
  }, audit);
  app = await buildServer({ ...api.deps, mining: { store: mining } });
});

after(async () => {
  await app.close();
  await api.close();
});

test('token holders read the ventures with their sites; amounts and hashrates are strings', async () => {
  for (const role of ['admin', 'operator', 'approver', 'auditor'] as const) {
    const r = await app.inject({ url: '/api/v1/mining/ventures', headers: { authorization: `Bearer ${api.token[role]}` } });
    assert.equal(r.statusCode, 200, `${role}: ${r.body}`);
    const body = r.json() as { ventures: Array<{ id: string; publicSector: boolean; sites: Array<{ id: string; fleetThs: string; energySource: string }>; rows: unknown[]; distributions: unknown[] }> };
    assert.deepEqual(body.ventures.map((v) => [v.id, v.publicSector, v.sites.map((s) => [s.id, s.fleetThs, s.energySource]), v.rows, v.distributions]), [['geo', true, [['tecapa', '500000', 'geothermal']], [], []]]);
  }
});

test('anonymous callers are refused; a server without a mining store answers an empty list', async () => {
  assert.equal((await app.inject({ url: '/api/v1/mining/ventures' })).statusCode, 401);
  const r = await api.app.inject({ url: '/api/v1/mining/ventures', headers: { authorization: `Bearer ${api.token.auditor}` } });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { ventures: [] });
});
