// Open data (issue #18 items 3 and 8): the CSV and JSON downloads parse and equal the JSON answers
// (SQLite and PostgreSQL), amounts in sats as integers and BTC as exact decimals; a cell that a
// spreadsheet would read as a formula is defused; the explorer setting is validated and published
// in the summary as a base URL (null when none).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { explorerSetting } from '../../src/adapters/config/explorer-config.ts';
import { csvCell, csvTable, parseCsv } from '../../src/core/transparency/csv.ts';
import { isDomainError } from '../../src/core/errors.ts';
import { formatBtc } from '../../src/core/money.ts';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { loadReserveTables } from '../helpers/load-reserve-tables.ts';
import { MemoryPublicView, sampleReserve } from '../helpers/memory-public-view.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');

async function serve(view: PublicReserveView, extra: Partial<ServerDeps> = {}): Promise<FastifyInstance> {
  const tokens = { list: async () => [] } as unknown as ServerDeps['tokens'];
  return buildServer({ publicView: view, prices: loadPriceHistory(), tokens, clock: { now: () => NOW }, webRoot: null, rateLimit: null, ...extra });
}

type Json = Record<string, unknown>;
async function get(app: FastifyInstance, url: string): Promise<{ body: string; headers: Record<string, unknown>; status: number }> {
  const r = await app.inject({ url: `/api/v1${url}` });
  return { body: r.body, headers: r.headers, status: r.statusCode };
}

/** The CSV as objects keyed by its header row (checks the header and every row's width). */
function records(text: string): Array<Record<string, string>> {
  assert.ok(text.endsWith('\r\n'), 'lines end with CRLF');
  const [header, ...rows] = parseCsv(text);
  assert.ok(header && header.length > 0, 'a header row');
  return rows.map((r) => {
    assert.equal(r.length, header.length, 'every row as wide as the header');
    return Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']));
  });
}

forEachEngine('open-data downloads', (t) => {
  let app: FastifyInstance | null = null;
  after(async () => app?.close());

  test('each CSV and JSON download parses and equals the JSON answers, as an attachment with an ETag', async () => {
    const db = await t.open();
    await loadReserveTables(db, sampleReserve({ extra: 700, seed: 13 }));
    app = await serve(new SqlPublicView(db, 'regtest'), { tokens: new SqlApiTokenStore(db) });

    const holdings = JSON.parse((await get(app, '/public/holdings')).body) as { currency: string; points: Array<{ date: string; sats: string; usdCents: string | null }> };
    const addresses = JSON.parse((await get(app, '/public/addresses')).body) as { addresses: Json[] };
    const txs: Json[] = [];
    let before: string | null = null;
    do {
      const page = JSON.parse((await get(app, `/public/transactions?limit=500${before ? `&before=${before}` : ''}`)).body) as { items: Json[]; nextBefore: string | null };
      txs.push(...page.items);
      before = page.nextBefore;
    } while (before);
    assert.ok(txs.length > 500, 'more than one page of transactions');

    for (const file of ['holdings', 'transactions', 'addresses']) {
      for (const ext of ['csv', 'json']) {
        const r = await get(app, `/public/downloads/${file}.${ext}`);
        assert.equal(r.status, 200, `${file}.${ext}`);
        assert.match(String(r.headers['content-disposition']), new RegExp(`^attachment; filename="soberana-${file}-2026-12-02\\.${ext}"$`));
        assert.match(String(r.headers['content-type']), ext === 'csv' ? /^text\/csv; charset=utf-8/ : /^application\/json/);
        assert.match(String(r.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
        assert.equal(r.headers['access-control-allow-origin'], '*');
        const again: { statusCode: number } = await app.inject({ url: `/api/v1/public/downloads/${file}.${ext}`, headers: { 'if-none-match': String(r.headers.etag) } });
        assert.equal(again.statusCode, 304, 'a poller with the ETag gets 304');
      }
    }

    assert.deepEqual(JSON.parse((await get(app, '/public/downloads/holdings.json')).body), holdings);
    assert.deepEqual(JSON.parse((await get(app, '/public/downloads/addresses.json')).body), addresses);
    assert.deepEqual(JSON.parse((await get(app, '/public/downloads/transactions.json')).body), { items: txs, nextBefore: null });

    const h = records((await get(app, '/public/downloads/holdings.csv')).body);
    assert.equal(h.length, holdings.points.length);
    // per-vault columns: each vault's balance in force that day, from its own series (?vault=), '' before its first
    const vaults = (JSON.parse((await get(app, '/public/summary')).body) as { vaults: Array<{ id: string }> }).vaults.map((v) => v.id);
    assert.ok(vaults.length >= 2, 'per-vault columns');
    const series = new Map<string, Array<{ date: string; sats: string }>>();
    for (const v of vaults) series.set(v, (JSON.parse((await get(app, `/public/holdings?vault=${v}`)).body) as { points: Array<{ date: string; sats: string }> }).points);
    const inForce = (v: string, date: string): string => (series.get(v) ?? []).filter((q) => q.date <= date).at(-1)?.sats ?? '';
    h.forEach((row, i) => {
      const p = holdings.points[i];
      assert.ok(p);
      assert.equal(row.date, p.date);
      assert.equal(row.sats, p.sats);
      assert.equal(row.btc, formatBtc(BigInt(p.sats)));
      assert.equal(row.usd_cents, p.usdCents ?? '');
      for (const v of vaults) assert.equal(row[`sats_${v}`], inForce(v, p.date));
    });

    const a = records((await get(app, '/public/downloads/addresses.csv')).body);
    assert.deepEqual(
      a.map((r) => ({ address: r.address, vault: r.vault, kind: r.kind, index: Number(r.index), confirmedSats: r.confirmed_sats, unconfirmedSats: r.unconfirmed_sats, txCount: Number(r.tx_count) })),
      addresses.addresses,
    );
    for (const r of a) assert.equal(r.confirmed_btc, formatBtc(BigInt(r.confirmed_sats ?? '')));

    const tx = records((await get(app, '/public/downloads/transactions.csv')).body);
    assert.deepEqual(
      tx.map((r) => ({
        txid: r.txid,
        time: r.time === '' ? null : Date.parse(r.time ?? '') / 1000,
        height: r.height === '' ? null : Number(r.height),
        confirmations: Number(r.confirmations),
        category: r.category,
        netSats: r.net_sats,
        vault: r.vault,
      })),
      txs,
    );
    assert.ok(tx.some((r) => (r.net_sats ?? '').startsWith('-')), 'a spend keeps its minus sign: numbers are never prefixed');
    for (const r of tx) assert.equal(r.net_btc, formatBtc(BigInt(r.net_sats ?? '')));
    await app.close();
    app = null;
  });
});

test('a cell a spreadsheet would run as a formula is defused; numbers and quoting follow RFC 4180', async () => {
  for (const evil of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) assert.ok(csvCell(evil).replace(/^"/, '').startsWith("'"), JSON.stringify(evil));
  assert.equal(csvCell('-12345678'), '-12345678');
  assert.equal(csvCell(-5n), '-5');
  assert.equal(csvCell('0.00012345'), '0.00012345');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(null), '');
  const text = csvTable(['x', 'y'], [['=1+2', 'a,"b"'], [-1n, null]]);
  assert.equal(text, `x,y\r\n'=1+2,"a,""b"""\r\n-1,\r\n`);
  assert.deepEqual(parseCsv(text), [['x', 'y'], ["'=1+2", 'a,"b"'], ['-1', '']]);
  assert.throws(() => csvTable(['x'], [['a', 'b']]), RangeError);

  // through the route: a vault whose id is a formula
  const inner = new MemoryPublicView(sampleReserve({ seed: 2 }));
  const evilVault = '=HYPERLINK("http://evil.example","click")';
  const view: PublicReserveView = {
    summary: () => inner.summary(),
    holdings: () => inner.holdings(),
    addresses: async () => (await inner.addresses()).map((x) => ({ ...x, vault: evilVault })),
    transactions: (q) => inner.transactions(q),
    verification: () => inner.verification(),
  };
  const app = await serve(view);
  try {
    const body = (await app.inject({ url: '/api/v1/public/downloads/addresses.csv' })).body;
    const rows = parseCsv(body).slice(1);
    assert.ok(rows.length > 0);
    for (const r of rows) assert.equal(r[1], `'${evilVault}`);
  } finally {
    await app.close();
  }
});

test('the explorer setting: https or http on 127.0.0.1, no query; mempool.space on mainnet by default, none on the test networks', () => {
  assert.equal(explorerSetting(undefined, 'main'), 'https://mempool.space');
  for (const n of ['test', 'signet', 'regtest'] as const) assert.equal(explorerSetting(undefined, n), null);
  assert.equal(explorerSetting({ url: 'https://mempool.example.org/' }, 'regtest'), 'https://mempool.example.org');
  assert.equal(explorerSetting({ url: 'https://example.org/mempool/' }, 'main'), 'https://example.org/mempool');
  assert.equal(explorerSetting({ url: 'http://127.0.0.1:8999' }, 'regtest'), 'http://127.0.0.1:8999');
  assert.equal(explorerSetting(null, 'main'), null);
  assert.equal(explorerSetting({ url: null }, 'main'), null);
  const refused = [
    { url: 'http://mempool.space' },
    { url: 'http://localhost:8999' },
    { url: 'https://mempool.space/?ref=1' },
    { url: 'https://mempool.space/#x' },
    { url: 'https://user:pw@mempool.space' },
    { url: 'javascript:alert(1)' },
    { url: 'mempool.space' },
    { url: 42 },
    { href: 'https://mempool.space' },
    'https://mempool.space',
    [],
  ];
  for (const v of refused) assert.throws(() => explorerSetting(v, 'main'), (e) => isDomainError(e) && e.code === 'INVALID_CONFIG', JSON.stringify(v));
});

test('the summary publishes the explorer base URL: the configured one, else by network', async () => {
  const view = new MemoryPublicView(sampleReserve({ seed: 4 }));
  const network = (await view.summary()).network;
  for (const [extra, want] of [
    [{}, network === 'main' ? 'https://mempool.space' : null],
    [{ explorerUrl: 'https://explorer.example.org' }, 'https://explorer.example.org'],
    [{ explorerUrl: null }, null],
  ] as const) {
    const app = await serve(view, extra);
    try {
      const s = JSON.parse((await app.inject({ url: '/api/v1/public/summary' })).body) as { explorer: string | null };
      assert.equal(s.explorer, want);
    } finally {
      await app.close();
    }
  }
});
