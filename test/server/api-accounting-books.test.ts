// The books over HTTP (issue #13, item 6) on both engines, on demo-like data (El Salvador's sample
// purchases, one private purchase record, one without a fiat amount, a Pakistan vault):
// - the public summary gives the same cost, value, P&L and average cost as `soberana report
//   holdings --json` on the same database, every amount a string;
// - the public sees the announced purchases (with their source) but never a record without a
//   public source, a lot, a transaction id of a lot or a disposal; the operator routes are refused
//   without a token and give lots, P&L and risk of any vault at any day to every token role;
// - the value is dated and says when its price is old; the risk comes in plain words, each
//   sentence with its method and window; long value series are sampled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { loadRateBook } from '../../src/core/accounting/reference-rate.ts';
import { toJson } from '../../src/core/json.ts';
import { computeBooks, holdingsStatement, lotsStatement, pnlStatement } from '../../src/app/accounting/reports.ts';
import { MAX_SERIES_POINTS } from '../../src/server/routes/accounting.ts';
import { importPurchases } from '../../src/app/accounting/purchases.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { runCli } from '../helpers/cli.ts';
import { loadBooksFixture, PRIVATE_PURCHASE } from '../helpers/books-fixture.ts';

const NOW = Date.parse('2026-08-21T12:00:00Z'); // the shipped prices reach 2026-08-22: a fresh price
const LATER = Date.parse('2026-12-01T12:00:00Z'); // 101 days after the last price: an old one

interface Money { currency: string; minor: string }
interface PublicBooks {
  at: string;
  currency: string;
  price: { date: string; minorPerBtc: string; ageDays: number; stale: boolean };
  notices: string[];
  total: { sats: string; btc: string; cost: Money; value: Money; unrealisedPnl: Money; averageCost: Money | null };
  vaults: Array<{ id: string; name: string; method: string; sats: string; cost: Money; value: Money; unrealisedPnl: Money; averageCost: Money | null; lotsAtMarketPrice: number }>;
  purchases: { listed: Array<{ date: string; sats: string; paid: Money | null; pricePerBtc: Money | null; counterparty: string | null; sourceUrl: string; vault: string; matched: boolean }>; withheld: number; receiptsWithoutRecord: number };
  series: { step: number; points: Array<{ date: string; sats: string; value: string | null; priceDate: string | null }> };
  risk: { asOf: string; priceDate: string; lines: Array<{ kind: string; text: string; method: string; window: { from?: string; to?: string; days: number; observations: number } | null }> } | null;
}

/** Every amount-like field in a JSON answer: a string of digits, never a number. */
function assertAmountsAreStrings(v: unknown, at = '$'): void {
  if (Array.isArray(v)) return v.forEach((x, i) => assertAmountsAreStrings(x, `${at}[${i}]`));
  if (v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    if (['sats', 'minor', 'minorPerBtc', 'remainingSats', 'value'].includes(k) && x !== null && typeof x !== 'object') {
      assert.equal(typeof x, 'string', `${at}.${k} is a string`);
      assert.match(String(x), /^-?\d+$/, `${at}.${k}`);
    }
    assertAmountsAreStrings(x, `${at}.${k}`);
  }
}

forEachEngine('the books over HTTP', (t) => {
  let db: Database;
  let url = '';
  let app: FastifyInstance;
  let later: FastifyInstance;
  let token = '';
  let deps: ServerDeps;
  before(async () => {
    url = await t.url();
    db = await openDatabase({ url });
    await loadBooksFixture(db);
    const tokens = new SqlApiTokenStore(db);
    token = (await tokens.create({ name: 'books auditor', role: 'auditor' })).token;
    deps = {
      publicView: new SqlPublicView(db, 'regtest'), vaults: new SqlVaultStore(db), tokens, prices: loadPriceHistory(), clock: { now: () => NOW }, webRoot: null, rateLimit: null, publicCacheMs: 0,
      accounting: { store: new SqlAccountingStore(db), rates: shippedReferenceRates() },
    };
    app = await buildServer(deps);
    later = await buildServer({ ...deps, clock: { now: () => LATER } });
  });
  after(async () => {
    await app?.close();
    await later?.close();
    await db?.close();
  });

  const get = async <T>(server: FastifyInstance, path: string, auth = false): Promise<{ status: number; body: string; json: T }> => {
    const res = await server.inject({ url: `/api/v1${path}`, headers: auth ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.body, json: res.json() as T };
  };

  test('the public summary gives the cost, value, P&L and average cost of `soberana report holdings --json`, amounts as strings', async () => {
    const { status, json: b } = await get<PublicBooks>(app, '/public/books');
    assert.equal(status, 200);
    assert.equal(b.at, '2026-08-21');
    const cli = await runCli(['--db', url, 'report', 'holdings', '--at', '2026-08-21', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const h = JSON.parse(cli.stdout) as { total: { sats: string; cost: Money; value: Money; unrealisedPnl: Money; averageCost: Money }; vaults: Array<{ vault: string; method: string; sats: string; cost: Money; value: Money; averageCost: Money; lotsAtMarketPrice: number }>; price: { date: string; minorPerBtc: string } };
    assert.deepEqual({ sats: b.total.sats, cost: b.total.cost, value: b.total.value, pnl: b.total.unrealisedPnl, avg: b.total.averageCost }, { sats: h.total.sats, cost: h.total.cost, value: h.total.value, pnl: h.total.unrealisedPnl, avg: h.total.averageCost });
    assert.deepEqual(b.vaults.map((v) => [v.id, v.method, v.sats, v.cost, v.value, v.averageCost, v.lotsAtMarketPrice]), h.vaults.map((v) => [v.vault, v.method, v.sats, v.cost, v.value, v.averageCost, v.lotsAtMarketPrice]));
    assert.deepEqual([b.price.date, b.price.minorPerBtc], [h.price.date, h.price.minorPerBtc]);
    assert.equal(b.vaults.find((v) => v.id === 'el-salvador')?.method, 'average');
    assert.equal(BigInt(b.total.unrealisedPnl.minor), BigInt(b.total.value.minor) - BigInt(b.total.cost.minor));
    assertAmountsAreStrings(b);
    // a fresh price: no notice about its age
    assert.equal(b.price.stale, false);
    assert.ok(!b.notices.some((n) => /days old/.test(n)), b.notices.join('\n'));
  });

  test('one published vault: its own books; an unknown vault is 404', async () => {
    const { json: b } = await get<PublicBooks>(app, '/public/books?vault=Pakistan%20strategic%20reserve');
    const books = await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => NOW, book: await loadRateBook(shippedReferenceRates(), ['USD']) }, { at: '2026-08-21', vault: 'pakistan' });
    const h = holdingsStatement(books);
    assert.deepEqual(b.vaults.map((v) => v.id), ['pakistan']);
    assert.equal(b.total.sats, h.total.sats.toString());
    assert.equal(b.total.cost.minor, h.total.cost.minor.toString());
    assert.deepEqual(b.purchases.listed, [], 'Pakistan has no purchase records');
    const missing = await get<{ error: { code: string } }>(app, '/public/books?vault=nowhere');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'VAULT_NOT_FOUND');
  });

  test('the public sees the announced purchases with their source, never a private record, a lot or a disposal', async () => {
    const { body, json: b } = await get<PublicBooks>(app, '/public/books');
    assert.deepEqual(b.purchases.listed.map((p) => [p.date, p.sats, p.paid?.minor ?? null, p.sourceUrl, p.matched]), [
      ['2021-09-06', '40000000000', '1920000000', 'https://example.org/es/first-400', true],
      ['2021-09-19', '15000000000', '680000000', 'https://example.org/es/150?src=a&b=<x>', true],
      ['2021-12-04', '15000000000', null, 'https://example.org/es/dip', true],
      ['2022-05-09', '50000000000', '1520000000', 'https://example.org/es/500', true],
    ]);
    // price paid per BTC: 19,200,000.00 / 400 = 48,000.00
    assert.deepEqual(b.purchases.listed[0]?.pricePerBtc, { currency: 'USD', minor: '4800000' });
    assert.equal(b.purchases.withheld, 1, 'the record without a public source is counted, not listed');
    assert.ok(!body.includes(PRIVATE_PURCHASE.counterparty), 'the private counterparty is not in the public answer');
    assert.ok(!body.includes(PRIVATE_PURCHASE.paidMinor.toString()), 'nor its amount');
    // operator-only detail: lot ids and their transaction ids, record ids, who imported them
    const lots = lotsStatement(await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => NOW, book: await loadRateBook(shippedReferenceRates(), ['USD']) }, { at: '2026-08-21' }));
    assert.ok(lots.lots.length > 20);
    for (const l of lots.lots) assert.ok(!body.includes(l.txid), `lot ${l.id} is not public`);
    for (const k of ['"lots"', '"disposals"', '"recordId"', '"importedBy"', 'rosa', 'pur_']) assert.ok(!body.includes(k), `${k} is not public`);
    // while an auditor sees the private record's lot and its cost
    const op = await get<{ lots: Array<{ date: string; costOrigin: { kind: string }; cost: Money }> }>(app, '/books/lots?vault=el-salvador&at=2026-08-21', true);
    assert.equal(op.status, 200);
    const priv = op.json.lots.find((l) => l.date === PRIVATE_PURCHASE.date);
    assert.equal(priv?.costOrigin.kind, 'purchase-record');
    assert.ok(priv && BigInt(priv.cost.minor) > 0n);
    assertAmountsAreStrings(op.json);
  });

  test('the operator routes need a token; any role reads holdings, lots, P&L and risk of any vault at any day', async () => {
    for (const path of ['/books/holdings', '/books/lots', '/books/pnl', '/books/risk']) {
      const anon = await get<{ error: { code: string } }>(app, path);
      assert.equal(anon.status, 401, path);
      assert.equal(anon.json.error.code, 'UNAUTHENTICATED');
    }
    const books = await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => NOW, book: await loadRateBook(shippedReferenceRates(), ['USD']) }, { at: '2024-12-31', vault: 'el-salvador' });
    const holdings = await get<unknown>(app, '/books/holdings?vault=el-salvador&at=2024-12-31', true);
    assert.equal(holdings.status, 200);
    assert.deepEqual(holdings.json, JSON.parse(toJson(holdingsStatement(books))), 'the same statement as the report, field for field');
    const lots = await get<unknown>(app, '/books/lots?vault=el-salvador&at=2024-12-31', true);
    assert.deepEqual(lots.json, JSON.parse(toJson(lotsStatement(books))), 'the lots statement, field for field');
    const pnl = await get<{ at: string; from: string; realised: { pnl: Money } }>(app, '/books/pnl?at=2024-12-31&from=2022-01-01', true);
    assert.equal(pnl.status, 200);
    assert.deepEqual([pnl.json.at, pnl.json.from], ['2024-12-31', '2022-01-01']);
    const all = await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => NOW, book: await loadRateBook(shippedReferenceRates(), ['USD']) }, { at: '2024-12-31' });
    assert.deepEqual(pnl.json, JSON.parse(toJson(pnlStatement(all, '2022-01-01'))), 'the P&L statement, field for field');
    assertAmountsAreStrings(pnl.json);
    const risk = await get<{ asOf: string; sats: string; lines: Array<{ text: string; method: string }> }>(app, '/books/risk?vault=pakistan&at=2025-12-31', true);
    assert.equal(risk.status, 200);
    assert.equal(risk.json.asOf, '2025-12-31');
    assert.ok(risk.json.lines.length >= 10 && risk.json.lines.every((l) => l.method.length > 0));
    const bad = await get<{ error: { code: string; message: string } }>(app, '/books/lots?at=2024-02-30', true);
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /"at" is not a real day/);
    assert.equal((await get<unknown>(app, '/books/lots?vault=nowhere', true)).status, 404);
  });

  test('a server that keeps no books answers null on the public route and offers no operator books routes', async () => {
    const { accounting: _none, ...without } = deps;
    const bare = await buildServer(without);
    try {
      const pub = await bare.inject({ url: '/api/v1/public/books' });
      assert.deepEqual([pub.statusCode, pub.body], [200, 'null']);
      const op = await bare.inject({ url: '/api/v1/books/lots', headers: { authorization: `Bearer ${token}` } });
      assert.equal(op.statusCode, 404);
    } finally {
      await bare.close();
    }
  });

  test('a vault the public view does not publish stays out of the public books, while token holders read it', async () => {
    const view = new SqlPublicView(db, 'regtest');
    const onlyElSalvador: PublicReserveView = {
      summary: async () => { const x = await view.summary(); return { ...x, vaults: x.vaults.filter((v) => v.id === 'el-salvador') }; },
      holdings: () => view.holdings(), addresses: () => view.addresses(), transactions: (q) => view.transactions(q), verification: () => view.verification(),
    };
    const partial = await buildServer({ ...deps, publicView: onlyElSalvador });
    try {
      const all = await partial.inject({ url: '/api/v1/public/books' });
      const b = all.json() as PublicBooks;
      const es = (await get<PublicBooks>(app, '/public/books?vault=el-salvador')).json;
      assert.deepEqual(b.vaults.map((v) => v.id), ['el-salvador']);
      assert.deepEqual([b.total.sats, b.total.cost, b.total.value], [es.total.sats, es.total.cost, es.total.value], 'the totals are the published vault\'s');
      assert.deepEqual(b.series.points.at(-1)?.sats, es.total.sats);
      assert.ok(!all.body.includes('pakistan') && !all.body.includes('Pakistan'), 'nothing of the unpublished vault');
      assert.equal((await partial.inject({ url: '/api/v1/public/books?vault=pakistan' })).statusCode, 404);
      const op = await partial.inject({ url: '/api/v1/books/holdings?vault=pakistan', headers: { authorization: `Bearer ${token}` } });
      assert.equal(op.statusCode, 200);
    } finally {
      await partial.close();
    }
  });

  test('the value is dated; valuing months after the last price says how old it is, in the notices and the risk sentence', async () => {
    const { json: b } = await get<PublicBooks>(later, '/public/books');
    assert.equal(b.at, '2026-12-01');
    assert.deepEqual([b.price.date, b.price.ageDays, b.price.stale], ['2026-08-22', 101, true]);
    assert.ok(b.notices.includes('valued at the BTC/USD price of 2026-08-22, 101 days old'), b.notices.join('\n'));
    assert.match(b.risk?.lines[0]?.text ?? '', /at the BTC\/USD price of 2026-08-22 \(101 days old\)\.$/);
  });

  test('the risk in plain words: each sentence with its method and window, the 2022 fall among them', async () => {
    const { json: b } = await get<PublicBooks>(app, '/public/books?vault=el-salvador');
    const lines = b.risk?.lines ?? [];
    assert.deepEqual([...new Set(lines.map((l) => l.kind))], ['value', 'volatility', 'value-at-risk', 'stress', 'drawdown']);
    for (const l of lines) assert.ok(l.text.length > 20 && l.method.length > 20, JSON.stringify(l));
    const fall = lines.find((l) => l.text.startsWith("A fall like 2022's"));
    assert.ok(fall, lines.map((l) => l.text).join('\n'));
    assert.match(fall.text, /would cost \$[\d,]+\.\d\d\.$/);
    assert.ok(fall.window?.from && fall.window.to && fall.window.from >= '2021-01-01' && fall.window.to <= '2022-12-31', JSON.stringify(fall.window));
    const year = lines.find((l) => l.kind === 'volatility' && l.window?.days === 365);
    assert.deepEqual([year?.window?.from, year?.window?.to, year?.window?.observations], ['2025-08-21', '2026-08-21', 365]);
  });

  test('the public answer is cached like the other public routes: reused while the public view is, recomputed after', async () => {
    let now = NOW;
    const cached = await buildServer({ ...deps, publicCacheMs: 60_000, clock: { now: () => now } });
    try {
      const ask = async (): Promise<PublicBooks> => (await cached.inject({ url: '/api/v1/public/books?vault=pakistan' })).json() as PublicBooks;
      assert.deepEqual((await ask()).purchases.listed, []);
      const csv = 'date,btc,paid,currency,counterparty,source_url,vault\n2025-07-15,25,2900000.00,USD,Federal Investigation Agency,https://example.org/pk/seized,pakistan\n';
      await importPurchases({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => NOW }, { actor: 'rosa', role: 'admin' }, csv, { origin: 'pk.csv', minorDigits: () => 2 });
      assert.deepEqual((await ask()).purchases.listed, [], 'the same answer while the cached view is');
      now += 60_000;
      // past the TTL a request may get the previous answer while one refresh runs (stale while revalidate,
      // src/server/cached-view.ts); the requests after it get the new one
      let listed = (await ask()).purchases.listed;
      for (let i = 0; i < 100 && listed.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        listed = (await ask()).purchases.listed;
      }
      assert.deepEqual(listed.map((p) => [p.date, p.sourceUrl]), [['2025-07-15', 'https://example.org/pk/seized']]);
    } finally {
      await cached.close();
    }
  });

  test('value over time: sampled to at most MAX_SERIES_POINTS, from the first receipt to the day, ending at the books\' total', async () => {
    const { json: b } = await get<PublicBooks>(app, '/public/books?vault=el-salvador');
    const pts = b.series.points;
    assert.ok(pts.length <= MAX_SERIES_POINTS + 1 && pts.length > 300, `${pts.length} points`);
    assert.equal(b.series.step, Math.ceil((Date.parse('2026-08-21') - Date.parse('2021-09-06') + 86_400_000) / 86_400_000 / MAX_SERIES_POINTS));
    assert.equal(pts[0]?.date, '2021-09-06');
    assert.equal(pts[0]?.sats, '40000000000');
    assert.equal(pts.at(-1)?.date, '2026-08-21');
    assert.equal(pts.at(-1)?.sats, b.total.sats);
    assert.equal(pts.at(-1)?.value, b.total.value.minor);
    for (let i = 1; i < pts.length; i++) assert.ok((pts[i]?.date ?? '') > (pts[i - 1]?.date ?? ''), 'in date order');
    // a point's value is its sats at its day's price (2021-09-06: 400 BTC)
    const p0 = loadPriceHistory().onOrBefore('2021-09-06');
    assert.equal(pts[0]?.value, String(400n * (p0?.cents ?? 0n)));
  });
});
