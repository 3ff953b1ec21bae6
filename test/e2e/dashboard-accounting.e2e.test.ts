// The books on the dashboard (issue #13, done-when), in Debian's chromium (playwright-core): on
// demo-like data (El Salvador's sample purchases, one private record, a Pakistan vault) valued
// months after the last shipped price, the public page shows El Salvador's cost basis, average cost
// and value — the API's exact amounts — with the notice that the price is old, the announced
// purchases with the price paid and a source link (escaped, rel=noopener), the value over time in
// BTC and USD, and the risk in plain words ("A fall like 2022's would cost $…") with method and
// window; the private record never shows; the page fits 390 px and 1440 px without sideways
// scrolling, keeps its ids unique, and satisfies the Content-Security-Policy. An auditor sees the lots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { startServer } from '../../src/server/app.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { loadBooksFixture, PRIVATE_PURCHASE } from '../helpers/books-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`;
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const NOW = Date.parse('2026-12-01T12:00:00Z'); // 101 days after the last shipped price

interface Money { currency: string; minor: string }
interface Books {
  total: { cost: Money; value: Money; averageCost: Money; unrealisedPnl: Money };
  notices: string[];
  purchases: { listed: Array<{ sourceUrl: string }> };
  risk: { lines: Array<{ kind: string; text: string; method: string }> };
}

/** "$1,234.56" from minor units, as the dashboard must show them. */
function usd(minor: string): string {
  const v = BigInt(minor);
  const a = v < 0n ? -v : v;
  return `${v < 0n ? '−' : ''}$${(a / 100n).toLocaleString('en-US')}.${(a % 100n).toString().padStart(2, '0')}`;
}

let dir = '';
let db: Database;
let app: FastifyInstance;
let url = '';
let context: BrowserContext;
let auditorToken = '';
const problems: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-books-'));
  db = await openDatabase({ url: join(dir, 'books.db') });
  await loadBooksFixture(db);
  const tokens = new SqlApiTokenStore(db);
  auditorToken = (await tokens.create({ name: 'IMF mission', role: 'auditor' })).token;
  const webRoot = await ensureWebBuilt();
  ({ app, url } = await startServer({
    publicView: new SqlPublicView(db, 'regtest'), vaults: new SqlVaultStore(db), tokens, prices: loadPriceHistory(), clock: { now: () => NOW }, webRoot, rateLimit: null,
    accounting: { store: new SqlAccountingStore(db), rates: shippedReferenceRates() },
  }, { port: 0, host: '127.0.0.1' }));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  if (skip) return;
  await context?.close().catch(() => undefined);
  await app?.close().catch(() => undefined);
  await db?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function watch(page: Page): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

/** Sideways overflow of the page in px (0 or less: none); expressions are strings (no DOM types here). */
const overflow = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

test("the public page shows El Salvador's cost basis, value, purchases with sources, value over time and the risk in plain words", { skip }, async () => {
  const page = await context.newPage();
  watch(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="public"] #books-body[data-vault="el-salvador"]', { timeout: 30_000 });
  const api = (await (await fetch(`${url}api/v1/public/books?vault=el-salvador`)).json()) as Books;

  // the wallet worth most comes first: El Salvador, with its cost, average cost and value to the cent
  assert.equal(await page.inputValue('#books-vault'), 'el-salvador');
  assert.equal(await page.getAttribute('#books-cost', 'data-minor'), api.total.cost.minor);
  assert.equal(await page.textContent('#books-cost'), usd(api.total.cost.minor));
  assert.equal(await page.textContent('#books-avg'), `${usd(api.total.averageCost.minor)} per bitcoin on average`);
  assert.equal(await page.textContent('#books-value'), usd(api.total.value.minor));
  assert.match((await page.textContent('#books-card-value')) ?? '', /the price of 22 Aug 2026 \(101 days old\)/);
  assert.match((await page.textContent('#books-notices')) ?? '', /Valued at the BTC\/USD price of 2026-08-22, 101 days old\./);
  assert.equal(await page.getAttribute('#books-card-pnl [data-minor]', 'data-minor'), api.total.unrealisedPnl.minor);

  // the announced purchases: price paid per bitcoin and a source link, exactly the URL, opened without the opener
  const rows = page.locator('#books-purchases-table tbody tr');
  assert.equal(await rows.count(), api.purchases.listed.length);
  assert.equal(await rows.count(), 4);
  const first = (await rows.first().textContent()) ?? '';
  assert.ok(first.includes('6 Sept 2021') || first.includes('6 Sep 2021'), first);
  assert.ok(first.includes('$19,200,000.00') && first.includes('$48,000.00'), first);
  const links = page.locator('#books-purchases-table a.source-link');
  const hrefs: Array<string | null> = [];
  for (let i = 0; i < (await links.count()); i++) {
    hrefs.push(await links.nth(i).getAttribute('href'));
    assert.match((await links.nth(i).getAttribute('rel')) ?? '', /noopener/);
  }
  assert.deepEqual(hrefs, api.purchases.listed.map((p) => p.sourceUrl));
  assert.equal(await page.locator('#books-purchases-table a[href*="<x>"]').count(), 1, 'a URL with <x> is an attribute value, never markup');
  assert.equal(await page.locator('#books-purchases-table x').count(), 0);
  const section = (await page.textContent('#books')) ?? '';
  assert.ok(!section.includes(PRIVATE_PURCHASE.counterparty), 'the private record is not on the page');
  assert.match((await page.textContent('#books-coverage')) ?? '', /1 purchase record without a public source is in the totals but not listed/);

  // value over time in BTC and in USD
  assert.ok((await page.locator('#books-chart-btc .chart-plot canvas').count()) >= 1, 'the BTC chart is drawn (uPlot canvas)');
  assert.equal(await page.locator('#books-chart-usd svg path.line').count(), 1);
  assert.match((await page.textContent('#books-usd-readout')) ?? '', new RegExp(`^1 Dec 2026: ${usd(api.total.value.minor).replace(/[$.]/g, '\\$&')} \\(`));

  // the risk in plain words: the 2022 fall first, every sentence with its method (and window)
  const fall = api.risk.lines.find((l) => l.text.startsWith("A fall like 2022's"));
  assert.ok(fall);
  assert.equal(await page.textContent('#books-risk-2022'), fall.text);
  assert.match(fall.text, /would cost \$[\d,]+\.\d\d\.$/);
  const items = page.locator('#books-risk li');
  assert.equal(await items.count(), api.risk.lines.length);
  for (const t of await items.allTextContents()) assert.match(t, / Method: .+\./);
  assert.ok((await items.allTextContents()).some((t) => /Window: 2025-08-2\d to 2026-08-22 \(365 observations\)/.test(t)));

  // every id on the page once (the two holdings charts included)
  const dupes = await page.evaluate<string[]>('(() => { const seen = new Set(), d = []; for (const e of document.querySelectorAll("[id]")) { if (seen.has(e.id)) d.push(e.id); seen.add(e.id); } return d; })()');
  assert.deepEqual(dupes, []);
  assert.ok((await overflow(page)) <= 0, 'no sideways scrolling at 1440 px');
  await page.locator('#books').screenshot({ path: join(OUT, 'dashboard-books.png') });

  // all published wallets together: both in the table
  await page.selectOption('#books-vault', '');
  await page.waitForSelector('#books-body[data-vault=""] #books-vaults-table');
  assert.equal(await page.locator('#books-vaults-table tbody tr').count(), 2);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.waitForSelector('body[data-ready="public"] #books-body[data-vault="el-salvador"]');
  assert.ok((await overflow(page)) <= 0, `the page scrolls sideways on a phone by ${await overflow(page)}px`);
  await page.locator('#books').screenshot({ path: join(OUT, 'dashboard-books-phone.png') });
  await page.close();
  assert.deepEqual(problems.splice(0), []);
});

test('an auditor sees every acquisition lot with where its cost comes from', { skip }, async () => {
  const page = await context.newPage();
  watch(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${url}#/operator`);
  await page.waitForSelector('#login-form');
  await page.fill('#token-input', auditorToken);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-ready="operator"] #op-lots-table');
  const lots = (await (await fetch(`${url}api/v1/books/lots`, { headers: { authorization: `Bearer ${auditorToken}` } })).json()) as { lots: Array<{ costOrigin: { kind: string } }> };
  assert.equal(await page.locator('#op-lots-table tbody tr').count(), lots.lots.length);
  const text = (await page.textContent('#op-lots-table')) ?? '';
  assert.match(text, /purchase record pur_/);
  assert.match(text, /market price of \d{4}-\d\d-\d\d \(no purchase record\)/);
  assert.ok((await overflow(page)) <= 0);
  await page.close();
  assert.deepEqual(problems.splice(0), []);
});
