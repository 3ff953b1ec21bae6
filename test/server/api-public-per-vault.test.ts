// Issue #18: the public holdings answer is the total series only (small, so it serves fast), each
// vault's series is GET /public/holdings?vault=ID (its balance on each day of the total series),
// GET /public/transactions?vault=ID pages one vault's transactions, and each vault in the summary
// says whether its figures are illustrative (a vault setting). SQLite, the real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlPublicView, setVaultIllustrative } from '../../src/adapters/store/public-view-sql.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { loadReserveTables } from '../helpers/load-reserve-tables.ts';
import { sampleReserve } from '../helpers/memory-public-view.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
let dir: string;
let db: Database;
let app: FastifyInstance;
const reserve = sampleReserve({ extra: 300, seed: 23 });

type Series = { currency: string; vault?: string; points: Array<{ date: string; sats: string; usdCents: string | null; vaults?: unknown }> };
type Tx = { txid: string; vault: string };

async function get<T>(url: string): Promise<{ status: number; json: T; etag: string }> {
  const r = await app.inject({ url: `/api/v1${url}` });
  return { status: r.statusCode, json: JSON.parse(r.body) as T, etag: String(r.headers.etag) };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'soberana-per-vault-'));
  db = await openDatabase({ url: join(dir, 'v.db') });
  await loadReserveTables(db, reserve);
  // the public cache off: every call reaches the view
  app = await buildServer({ publicView: new SqlPublicView(db, 'regtest'), tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => NOW }, webRoot: null, rateLimit: null, publicCacheMs: 0 });
});

after(async () => {
  await app?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the total series carries no per-vault arrays; each vault series adds up, day by day, to the total', async () => {
  const total = await get<Series>('/public/holdings');
  assert.equal(total.status, 200);
  assert.ok(total.json.points.length > 100);
  assert.ok(total.json.points.every((p) => p.vaults === undefined), 'the total answer stays small');
  const vaults = reserve.vaults.map((v) => v.id);
  const series = new Map<string, Series>();
  for (const v of vaults) {
    const r = await get<Series>(`/public/holdings?vault=${v}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.vault, v);
    assert.notEqual(r.etag, total.etag);
    series.set(v, r.json);
  }
  // the balance of each vault in force on a date is its last point on or before it
  const at = (s: Series, date: string): bigint => {
    let x = 0n;
    for (const p of s.points) if (p.date <= date) x = BigInt(p.sats);
    return x;
  };
  for (const p of total.json.points) {
    const sum = vaults.reduce((acc, v) => acc + at(series.get(v) as Series, p.date), 0n);
    assert.equal(sum, BigInt(p.sats), `the vaults add up to the total on ${p.date}`);
  }
  for (const s of series.values()) {
    // a point on every day of the total series from the vault's first transaction on
    const first = s.points[0]?.date ?? '';
    assert.deepEqual(s.points.map((p) => p.date), total.json.points.map((p) => p.date).filter((d) => d >= first));
    assert.ok(s.points.every((p) => p.usdCents === null || /^\d+$/.test(p.usdCents)));
  }
  const unknown = await app.inject({ url: '/api/v1/public/holdings?vault=no-such-vault' });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /NOT_FOUND/);
  assert.equal((await app.inject({ url: '/api/v1/public/holdings?vault=%3Cscript%3E' })).statusCode, 400);
});

test('transactions ?vault= pages exactly that vault\'s transactions, in the same order as the whole list', async () => {
  const all: Tx[] = [];
  let before: string | null = null;
  do {
    const page: { json: { items: Tx[]; nextBefore: string | null } } = await get(`/public/transactions?limit=500${before ? `&before=${before}` : ''}`);
    all.push(...page.json.items);
    before = page.json.nextBefore;
  } while (before);
  for (const v of reserve.vaults.map((x) => x.id)) {
    const got: Tx[] = [];
    let next: string | null = null;
    do {
      const page: { status: number; json: { items: Tx[]; nextBefore: string | null } } = await get(`/public/transactions?limit=40&vault=${v}${next ? `&before=${next}` : ''}`);
      assert.equal(page.status, 200);
      got.push(...page.json.items);
      next = page.json.nextBefore;
    } while (next);
    assert.deepEqual(got.map((x) => x.txid), all.filter((x) => x.vault === v).map((x) => x.txid), v);
    assert.ok(got.length > 0);
  }
});

test('each vault in the summary says whether its figures are illustrative', async () => {
  const flags = async () => Object.fromEntries((await get<{ vaults: Array<{ id: string; illustrative: boolean }> }>('/public/summary')).json.vaults.map((v) => [v.id, v.illustrative]));
  assert.deepEqual(await flags(), { 'el-salvador': false, pakistan: false });
  await setVaultIllustrative(db, 'pakistan', true);
  assert.deepEqual(await flags(), { 'el-salvador': false, pakistan: true });
});
