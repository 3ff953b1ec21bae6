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
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { chromiumSkip } from '../helpers/chromium.ts';
import { englishLeft, openDashboardBrowser, overflowing, type DashboardBrowser } from '../helpers/e2e-dashboard.ts';

const skip = chromiumSkip;
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const NOW = Date.parse('2026-12-01T12:00:00Z'); // 101 days after the last shipped price

interface Money { currency: string; minor: string }
interface Books {
  total: { cost: Money; value: Money; averageCost: Money; unrealisedPnl: Money };
  notices: string[];
  purchases: { listed: Array<{ sourceUrl: string }> };
  risk: { lines: Array<{ kind: string; text: string; method: string; said: { code: string; params: Record<string, string> } }> };
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
let browser: DashboardBrowser;
let auditorToken = '';

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
  browser = await openDashboardBrowser(join(dir, 'profile'));
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await app?.close().catch(() => undefined);
  await db?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});


test("the public page shows El Salvador's cost basis, value, purchases with sources, value over time and the risk in plain words", { skip }, async () => {
  const page = browser.page;
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
  assert.match((await page.textContent('#books-notices')) ?? '', /Valued at the BTC\/USD price of 22 Aug 2026, 101 days old\./);
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
  // said by the page from the code the server sends beside its English: the same fall, days and loss to the cent
  assert.equal(fall.said.code, 'risk.replay.2022');
  const [, pct = '', from = '', to = ''] = /\((−\d+)% from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)\)/.exec(fall.text) ?? [];
  const day = (iso: string): string => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  assert.equal(await page.textContent('#books-risk-2022'), `A fall like 2022’s (${pct}% from ${day(from)} to ${day(to)}) would cost ${usd(fall.said.params.loss ?? '?')}.`);
  assert.ok(fall.text.endsWith(`would cost ${usd(fall.said.params.loss ?? '?')}.`), 'the code carries the English sentence\'s loss');
  const items = page.locator('#books-risk li');
  assert.equal(await items.count(), api.risk.lines.length);
  for (const t of await items.allTextContents()) assert.match(t, / Method: .+\./);
  assert.ok((await items.allTextContents()).some((t) => /Window: 2\d Aug 2025 to 22 Aug 2026 \(365 observations\)/.test(t)));

  // every id on the page once (the two holdings charts included)
  const dupes = await page.evaluate<string[]>('(() => { const seen = new Set(), d = []; for (const e of document.querySelectorAll("[id]")) { if (seen.has(e.id)) d.push(e.id); seen.add(e.id); } return d; })()');
  assert.deepEqual(dupes, []);
  assert.deepEqual(await overflowing(page), [], 'nothing overflows at 1440 px');
  await page.locator('#books').screenshot({ path: join(OUT, 'dashboard-books.png') });

  // all published wallets together: both in the table
  await page.selectOption('#books-vault', '');
  await page.waitForSelector('#books-body[data-vault=""] #books-vaults-table');
  assert.equal(await page.locator('#books-vaults-table tbody tr').count(), 2);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.waitForSelector('body[data-ready="public"] #books-body[data-vault="el-salvador"]');
  assert.deepEqual(await overflowing(page), [], 'nothing overflows at 390 px');
  await page.locator('#books').screenshot({ path: join(OUT, 'dashboard-books-phone.png') });
  assert.deepEqual(browser.problems.splice(0), []);
});

test('in Spanish the books say everything in Spanish, the server\'s notices, valuation method and risk sentences included (1440 and 390 px)', { skip }, async () => {
  const page = browser.page;
  const names = ((await (await fetch(`${url}api/v1/public/summary`)).json()) as { vaults: Array<{ name: string }> }).vaults.map((v) => v.name);
  try {
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(url);
      await page.waitForSelector('body[data-ready="public"] #books-body[data-vault="el-salvador"]', { timeout: 30_000 });
      await page.selectOption('#lang-select', 'es');
      await page.waitForSelector('html[lang="es"] body[data-ready="public"] #books-body[data-vault="el-salvador"]');
      // The page sets lang first and re-renders after: wait for the re-rendered books (the clean-clone
      // run at accb8d4 read the whole page in English at 390 px, between the two).
      for (let i = 0; i < 300; i++) {
        if (((await page.textContent('#books-notices')) ?? '').includes('Valorado') && !(await page.innerText('body')).includes('What the alliance')) break;
        await page.waitForTimeout(100);
      }
      assert.deepEqual(await englishLeft(page, names), [], `English left on the Spanish page at ${width} px`);
      assert.match((await page.textContent('#books-notices')) ?? '', /Valorado al precio BTC\/USD del 22 ago 2026, con 101 días de antigüedad\./);
      assert.match((await page.textContent('#books-risk-2022')) ?? '', /^Una caída como la de 2022 \(−\d+ % del \d+ nov 2021 al \d+ nov 2022\) costaría USD\s[\d,]+\.\d\d\.$/);
      assert.deepEqual(await overflowing(page), [], `nothing overflows in Spanish at ${width} px`);
      await page.evaluate(`localStorage.setItem('soberana.lang', 'en')`);
    }
  } finally {
    await page.evaluate(`localStorage.setItem('soberana.lang', 'en')`);
  }
  assert.deepEqual(browser.problems.splice(0), []);
});

test('an auditor sees every acquisition lot with where its cost comes from', { skip }, async () => {
  const page = await browser.context.newPage();
  browser.watch(page);
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
  assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')) <= 0);
  await page.close();
  assert.deepEqual(browser.problems.splice(0), []);
});
