// The compliance routes (issue #15) on a real regtest chain, SQLite and PostgreSQL: two published
// address lists of El Salvador registered as public wallets, the 2025 "no increase" commitment,
// a 2024 purchase (before the commitment; a person overrides it as a seizure) and a purchase on
// 2025-09-07 that breaches it. Each token-holder route answers exactly what the app functions
// (what `soberana compliance … --json` prints) answer; every role may read them, the public may
// not; the alert monitoring raises is in /compliance/alerts and in the public count, and the public
// answer names no transaction, wallet or amount; a reorg that removes the purchase resolves the
// alert and the public status goes back to "kept".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { readAuditLog } from '../../src/adapters/store/audit-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { registerHistory, type ComplianceDeps } from '../../src/app/compliance/flows.ts';
import { addRegisterEntry, listRegister } from '../../src/app/compliance/register.ts';
import { addCommitment, checkCommitments, listCommitments, monitorCommitments } from '../../src/app/compliance/commitments.ts';
import { overrideFlow } from '../../src/app/compliance/override.ts';
import { makeStatement } from '../../src/app/compliance/statement.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { ROLES, type Role } from '../../src/core/auth/roles.ts';
import { toJson } from '../../src/core/json.ts';
import { buildServer } from '../../src/server/app.ts';
import type { Vault } from '../../src/core/vault/types.ts';

const bip32 = BIP32Factory(ecc);
const at = (d: string) => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);
const NOW = Date.UTC(2025, 11, 1);
const BY = { actor: 'rosa', role: 'admin' };
const COMMITMENT = {
  id: 'imf-2025-no-accumulation', version: 1, title: 'No voluntary accumulation of bitcoin by the public sector',
  source: 'IMF Extended Fund Facility for El Salvador, approved 2025-02-26', effectiveFrom: '2025-02-26',
  rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] },
};
const READS = ['/compliance/register', '/compliance/flows', '/compliance/alerts', '/compliance/commitments', '/compliance/statement?quarter=2025Q3'];

const address = (seed: number): string => {
  const key = bip32.fromSeed(new Uint8Array(32).fill(seed), networks.testnet).derivePath("m/44'/1'/0'/0/0");
  return payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string;
};
/** The CLI's --json form: bigints as strings. */
const wire = (v: unknown): unknown => JSON.parse(toJson(v)) as unknown;

forEachEngine('compliance API', (t) => {
  const regtest = useRegtestNode();
  let db: Database;
  let store: SqlVaultStore;
  let deps: ComplianceDeps;
  let app: FastifyInstance;
  const token = {} as Record<Role, string>;
  const reserveAddress = address(61);
  const chivoAddress = address(62);
  let reserve: Vault;
  let chivo: Vault;
  let before2025 = '';
  let purchase = '';
  let purchaseBlock = '';
  const sync = async () => {
    await syncVaults({ chain: regtest.node().chainSource(), store }, await store.listVaults());
  };
  const get = async (url: string, role?: Role) => {
    const res = await app.inject({ url: `/api/v1${url}`, headers: role ? { authorization: `Bearer ${token[role]}` } : {} });
    return { status: res.statusCode, body: res.body, json: res.json() as Record<string, unknown> };
  };

  before(async () => {
    const node = await regtest.ready();
    let time = at('2024-01-01');
    while (node.height() < 110) await node.mineBlockAt((time += 600));
    db = await t.open();
    store = new SqlVaultStore(db);
    deps = { compliance: new SqlComplianceStore(db), vaults: store, now: () => NOW, proofs: new SqlProofStore(db) };
    reserve = await addVault({ store }, { name: 'Reserve (published)', network: 'regtest', addresses: [reserveAddress], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
    chivo = await addVault({ store }, { name: 'Chivo (published)', network: 'regtest', addresses: [chivoAddress], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
    await addRegisterEntry(deps, BY, { vault: reserve.name, owner: 'Central Reserve Bank', legalBasis: 'Bitcoin Law, Legislative Decree 57 (2021)', purpose: 'national reserve', joinedOn: '2021-09-07' });
    await addRegisterEntry(deps, BY, { vault: chivo.name, owner: 'Chivo S.A. de C.V.', legalBasis: 'Bitcoin Law (2021)', purpose: 'state wallet', joinedOn: '2021-09-07' });
    await addRegisterEntry(deps, BY, { vault: chivo.name, purpose: 'state wallet (published addresses)' }); // a second version
    await addCommitment(deps, BY, JSON.stringify(COMMITMENT));
    before2025 = await node.fund(chivoAddress, 300_000_000n);
    await node.mineBlockAt(at('2024-03-14'));
    purchase = await node.fund(reserveAddress, 21_000_000n);
    purchaseBlock = await node.mineBlockAt(at('2025-09-07'));
    await sync();
    await overrideFlow(deps, { actor: 'irene', role: 'auditor' }, before2025, 'seizure', 'Court order 123/2025, Juzgado Especializado');

    const tokens = new SqlApiTokenStore(db, { clock: { now: () => NOW } });
    for (const r of ROLES) token[r] = (await tokens.create({ name: `compliance ${r}`, role: r, memberId: `member-${r}` })).token;
    app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: store,
      compliance: { store: deps.compliance }, proofs: { store: new SqlProofStore(db) }, clock: { now: () => NOW }, webRoot: null, rateLimit: null,
    });
  });
  after(async () => {
    await app?.close();
  });

  test('no alert before monitoring runs: the public status is "kept" with no alerts', async () => {
    const pub = await get('/public/compliance');
    assert.equal(pub.status, 200);
    assert.deepEqual(pub.json, { commitments: [{ id: COMMITMENT.id, version: 1, title: COMMITMENT.title, source: COMMITMENT.source, rule: { kind: 'no-increase', allWallets: true, classes: ['seizure', 'mining-reward'] }, effectiveFrom: '2025-02-26', effectiveTo: null, status: 'kept', openAlerts: 0, resolvedAlerts: 0 }] });
    assert.deepEqual((await get('/compliance/alerts', 'auditor')).json, { open: 0, resolved: 0, alerts: [] });
  });

  test('an alert raised by monitorCommitments is in /compliance/alerts and in the public count; the public answer names no transaction, wallet or amount', async () => {
    const m = await monitorCommitments(deps);
    assert.equal(m.raised.length, 1);
    const alerts = await get('/compliance/alerts', 'auditor');
    assert.equal(alerts.status, 200);
    assert.deepEqual(alerts.json, { open: 1, resolved: 0, alerts: wire((await deps.compliance.alerts()).map((a) => ({ ...a, status: 'open' }))) });
    assert.equal((alerts.json.alerts as { txid: string }[])[0]?.txid, purchase);

    const pub = await get('/public/compliance');
    assert.deepEqual(pub.json.commitments, [{ id: COMMITMENT.id, version: 1, title: COMMITMENT.title, source: COMMITMENT.source, rule: { kind: 'no-increase', allWallets: true, classes: ['seizure', 'mining-reward'] }, effectiveFrom: '2025-02-26', effectiveTo: null, status: 'breached', openAlerts: 1, resolvedAlerts: 0 }]);
    for (const secret of [purchase, before2025, reserve.id, chivo.id, reserve.name, chivo.name, reserveAddress, chivoAddress, '21000000', 'Central Reserve Bank', 'Court order']) {
      assert.ok(!pub.body.includes(secret), `the public answer shows "${secret}"`);
    }
  });

  test('each token-holder route answers what the app functions answer', async () => {
    const register = await get('/compliance/register', 'auditor');
    const versions = await deps.compliance.registerVersions();
    assert.deepEqual(register.json, wire({ register: (await listRegister(deps)).map((r) => ({ ...r, versions: versions.filter((v) => v.vaultId === r.entry.vaultId) })) }));
    const chivoRow = (register.json.register as { entry: { vaultId: string; version: number }; versions: unknown[]; watchOnly: boolean }[]).find((r) => r.entry.vaultId === chivo.id);
    assert.equal(chivoRow?.entry.version, 2);
    assert.equal(chivoRow?.versions.length, 2);
    assert.equal(chivoRow?.watchOnly, true);

    const flows = await get('/compliance/flows', 'auditor');
    assert.deepEqual(flows.json, wire({ flows: (await registerHistory(deps)).flows }));
    const list = flows.json.flows as { txid: string; class: string; classified: { class: string } | null; stockDelta: string; reason: string }[];
    assert.deepEqual(list.map((f) => [f.txid, f.class, f.classified?.class ?? null, f.stockDelta]), [[before2025, 'seizure', 'external-acquisition', '300000000'], [purchase, 'external-acquisition', null, '21000000']]);
    assert.match(list[0]?.reason ?? '', /overridden by irene: Court order 123\/2025/);
    assert.deepEqual((await get(`/compliance/flows?vault=${encodeURIComponent(reserve.name)}`, 'operator')).json, wire({ flows: (await registerHistory(deps, { vault: reserve.name })).flows }));
    assert.equal((await get('/compliance/flows?vault=nope', 'operator')).status, 404);

    const commitments = await get('/compliance/commitments', 'auditor');
    const l = await listCommitments(deps);
    assert.deepEqual(commitments.json, wire({ commitments: l.all.map((c) => ({ ...c, inForce: true })), statuses: (await checkCommitments(deps)).statuses }));
    assert.deepEqual((commitments.json.statuses as { status: string; breaches: { txid: string }[] }[]).map((s) => [s.status, s.breaches.map((b) => b.txid)]), [['breached', [purchase]]]);
    assert.deepEqual((commitments.json.commitments as { commitment: { rule: unknown } }[])[0]?.commitment.rule, COMMITMENT.rule);
  });

  test('the statement route answers the statement makeStatement builds, and records its hash in the audit log under the token\'s member', async () => {
    const res = await get('/compliance/statement?quarter=2025Q3', 'auditor');
    assert.equal(res.status, 200, res.body);
    const expected = await makeStatement(deps, { actor: 'x', role: 'auditor' }, '2025Q3', 'json');
    assert.deepEqual(res.json, wire(expected));
    const s = res.json.statement as { reconciliation: { reconciles: boolean }; byClass: unknown; breaches: { txid: string; alert: string }[] };
    assert.equal(s.reconciliation.reconciles, true);
    // the proofs of reserves it refers to come through the route too (none published in this fixture)
    assert.deepEqual((res.json.statement as { proofs?: unknown }).proofs, []);
    assert.deepEqual(s.byClass, [{ class: 'external-acquisition', count: 1, netSats: '21000000' }]);
    assert.deepEqual(s.breaches.map((b) => [b.txid, b.alert]), [[purchase, 'open']]);
    const entry = (await readAuditLog(db.db)).find((e) => e.action === 'compliance.statement' && e.actor === 'member-auditor');
    assert.equal((entry?.details as { sha256: string } | undefined)?.sha256, res.json.sha256);
    for (const bad of ['/compliance/statement', '/compliance/statement?quarter=2025Q5', '/compliance/statement?quarter=2025Q3&x=1']) {
      const r = await get(bad, 'auditor');
      assert.equal(r.status, 400, bad);
      assert.equal((r.json.error as { code: string }).code, 'INVALID_ARGUMENT');
    }
  });

  test('every role reads the compliance routes; the public gets 401 on them and 200 on its own', async () => {
    for (const url of READS) {
      for (const r of ROLES) assert.equal((await get(url, r)).status, 200, `${r} ${url}`);
      const pub = await get(url);
      assert.equal(pub.status, 401, url);
      assert.ok(!pub.body.includes(purchase), url);
    }
    assert.equal((await get('/public/compliance')).status, 200);
  });

  test('a reorg that removes the purchase resolves the alert: the public status is "kept" again, with one resolved alert', async () => {
    const node = regtest.node();
    await node.invalidateBlock(purchaseBlock, { resubmit: false });
    await node.mineBlockAt(at('2025-09-08'));
    await sync();
    assert.equal((await monitorCommitments(deps)).resolved.length, 1);
    const alerts = await get('/compliance/alerts', 'operator');
    assert.equal(alerts.json.open, 0);
    assert.equal(alerts.json.resolved, 1);
    assert.match((alerts.json.alerts as { resolution: string }[])[0]?.resolution ?? '', /no longer on the chain \(reorg\)/);
    const pub = await get('/public/compliance');
    assert.deepEqual((pub.json.commitments as { status: string; openAlerts: number; resolvedAlerts: number }[]).map((c) => [c.status, c.openAlerts, c.resolvedAlerts]), [['kept', 0, 1]]);
  });
});
