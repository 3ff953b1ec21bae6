// GET /public/compliance/stock (issue #15 item 5) on a real regtest chain: the public-sector stock
// over time split by class, and the alerts as public items. The register holds four wallets, one of
// them (the treasury) not published by this server: its coins, txids, amounts and dates never reach
// the public answer — the stock counts the published wallets only, and its alert is only counted.
// The last point is the published registered wallets' balances added up; the consolidation's part
// stays zero. Publishing the treasury too lists its alert (the filter is the publication, nothing
// else). The answer is cached like the other public answers and a live event empties the cache.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { useRegtestNode } from '../helpers/regtest.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { buildServer } from '../../src/server/app.ts';
import { LiveHub } from '../../src/server/live-events.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import { monitorCommitments } from '../../src/app/compliance/commitments.ts';
import { AMOUNTS, at, buildStockFixture, publishing, STOCK_NOW, type StockFixture } from '../compliance/stock-fixture.ts';

const regtest = useRegtestNode();
let dir = '';
let db: Database;
let f: StockFixture;
const apps: FastifyInstance[] = [];

interface Stock {
  asOf: string; wallets: number; components: string[]; pointCount: number;
  points: Array<{ date: string; sats: string; byComponent: Record<string, string> }>;
  alerts: { items: Array<{ date: string; commitmentId: string; commitmentVersion: number; class: string; sats: string; txid: string; status: string }>; notListed: number };
}

async function server(over: Partial<ServerDeps> & { published: ReadonlySet<string> }): Promise<FastifyInstance> {
  const { published, ...rest } = over;
  const app = await buildServer({
    publicView: publishing(new SqlPublicView(db, 'regtest'), published), publicCacheMs: 0, prices: loadPriceHistory(), tokens: new SqlApiTokenStore(db), vaults: f.store,
    compliance: { store: f.deps.compliance }, clock: { now: () => STOCK_NOW }, webRoot: null, rateLimit: null, ...rest,
  });
  apps.push(app);
  return app;
}
const stockOf = async (app: FastifyInstance): Promise<{ body: string; json: Stock }> => {
  const res = await app.inject({ url: '/api/v1/public/compliance/stock' });
  assert.equal(res.statusCode, 200, res.body);
  return { body: res.body, json: res.json() as Stock };
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'soberana-stock-'));
  db = await openDatabase({ url: join(dir, 'stock.db') });
  f = await buildStockFixture(await regtest.ready(), db);
});
after(async () => {
  for (const a of apps) await a.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an unpublished vault in the register: its coins, txids, amounts and dates never reach the public stock answer; its alert is only counted', async () => {
  const w = f.wallets;
  const app = await server({ published: new Set([w.office.vault.id, w.chivo.vault.id, w.reserve.vault.id]) });
  const { body, json } = await stockOf(app);
  assert.equal(json.wallets, 3);
  // the stock: the published registered wallets' confirmed balances added up
  let published = 0n;
  for (const x of [w.office, w.chivo, w.reserve]) published += (await f.store.balance(x.vault.id)).confirmed;
  assert.equal(published, AMOUNTS.office + AMOUNTS.chivo - AMOUNTS.fee + AMOUNTS.purchase);
  assert.equal(json.points.at(-1)?.sats, published.toString());
  assert.equal(json.points.at(-1)?.date, '2025-09-07');
  // the consolidation does not move the stock: its own part is zero, only the fee shows
  for (const p of json.points) assert.equal(p.byComponent['internal-consolidation'] ?? '0', '0', p.date);
  const beforeIt = json.points.find((p) => p.date === '2024-03-14');
  const onIt = json.points.find((p) => p.date === '2025-08-29');
  assert.equal(BigInt(onIt?.sats ?? '0') - BigInt(beforeIt?.sats ?? '0'), -AMOUNTS.fee);
  assert.equal(onIt?.byComponent.fee, (-AMOUNTS.fee).toString());
  for (const p of json.points) assert.equal(Object.values(p.byComponent).reduce((a, v) => a + BigInt(v), 0n).toString(), p.sats, `the parts add up on ${p.date}`);
  assert.deepEqual(json.components, ['external-acquisition', 'fee']);
  // the alerts: the reserve's purchase in full; the treasury's only counted
  assert.deepEqual(json.alerts, {
    items: [{ date: '2025-09-07', commitmentId: 'imf-2025-no-accumulation', commitmentVersion: 1, class: 'external-acquisition', sats: AMOUNTS.purchase.toString(), txid: f.txids.purchase, status: 'open' }],
    notListed: 1,
  });
  assert.equal((await f.deps.compliance.alerts()).length, 2, 'two alerts are stored: the treasury\'s is real');
  for (const secret of [f.txids.treasuryFund, f.txids.treasuryPurchase, w.treasury.address, w.treasury.vault.id, w.treasury.vault.name, AMOUNTS.treasury.toString(), AMOUNTS.treasuryPurchase.toString(), (AMOUNTS.treasury + AMOUNTS.treasuryPurchase).toString(), '2025-09-10', 'Ministry of Finance']) {
    assert.ok(!body.includes(secret), `the public stock answer shows "${secret}"`);
  }
  // and the status route still names nothing
  const status = await app.inject({ url: '/api/v1/public/compliance' });
  assert.deepEqual((status.json() as { commitments: Array<{ status: string; openAlerts: number }> }).commitments.map((c) => [c.status, c.openAlerts]), [['breached', 2]]);
  assert.ok(!status.body.includes(f.txids.purchase));
});

test('publishing the treasury too counts its coins and lists its alert: the filter is what the server publishes', async () => {
  const w = f.wallets;
  const { json } = await stockOf(await server({ published: new Set(Object.values(w).map((x) => x.vault.id)) }));
  assert.equal(json.wallets, 4);
  let all = 0n;
  for (const x of Object.values(w)) all += (await f.store.balance(x.vault.id)).confirmed;
  assert.equal(json.points.at(-1)?.sats, all.toString());
  assert.deepEqual(json.alerts.items.map((a) => [a.date, a.txid, a.sats]), [['2025-09-10', f.txids.treasuryPurchase, AMOUNTS.treasuryPurchase.toString()], ['2025-09-07', f.txids.purchase, AMOUNTS.purchase.toString()]]);
  assert.equal(json.alerts.notListed, 0);
});

test('a server without a compliance store answers an empty stock (the route exists everywhere)', async () => {
  const app = await server({ published: new Set(), compliance: undefined });
  const { json } = await stockOf(app);
  assert.deepEqual(json, { asOf: '2025-12-01', wallets: 0, components: [], pointCount: 0, points: [], alerts: { items: [], notListed: 0 } });
  assert.deepEqual((await app.inject({ url: '/api/v1/public/compliance' })).json(), { commitments: [] });
});

test('the answer is cached like the other public answers, and a live event empties the cache', async () => {
  const live = new LiveHub();
  const w = f.wallets;
  const app = await server({ published: new Set([w.office.vault.id, w.chivo.vault.id, w.reserve.vault.id]), publicCacheMs: 600_000, live });
  const first = await stockOf(app);
  const node = regtest.node();
  const more = await node.fund(w.reserve.address, 7_000_000n);
  const hash = await node.mineBlockAt(at('2025-09-14'));
  await f.sync();
  await monitorCommitments(f.deps);
  assert.equal((await stockOf(app)).body, first.body, 'within the cache\'s age the same answer is served');
  live.publish({ kind: 'block', height: node.height(), hash, time: at('2025-09-14') });
  const fresh = (await stockOf(app)).json;
  assert.equal(fresh.points.at(-1)?.date, '2025-09-14');
  assert.equal(BigInt(fresh.points.at(-1)?.sats ?? '0') - BigInt(first.json.points.at(-1)?.sats ?? '0'), 7_000_000n);
  assert.equal(fresh.alerts.items[0]?.txid, more);
});
