// The IMF programme commitment on the public page (issue #15 item 5), in Debian's chromium: a
// register on the embedded regtest node (test/compliance/stock-fixture.ts) — coins consolidated from
// two government wallets into the reserve, a purchase into the reserve after 2025-02-26 (an alert),
// and a purchase into a treasury vault this server does not publish (an alert only counted). The
// panel says the commitment is breached in plain words, its stock and its split by class are the
// API's to the sat (the consolidation's part is zero), the stacked chart is described in words and
// its numbers are in a table, the reader steps through it from the keyboard, the listed alert links
// to the explorer and the other is only counted; nothing overflows at 1440 and 390 px, axe-core
// finds no serious violation, and the Spanish switch changes every string of the panel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { chromiumSkip } from '../helpers/chromium.ts';
import { attrs as attrsOf, axeSerious as axeOf, englishLeft, openDashboardBrowser, overflowScript, type DashboardBrowser } from '../helpers/e2e-dashboard.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { startServer } from '../../src/server/app.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { buildStockFixture, publishing, STOCK_NOW, type StockFixture } from '../compliance/stock-fixture.ts';

const skip = chromiumSkip;
const EXPLORER = 'https://explorer.example.org/regtest';
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const regtest = useRegtestNode();

let dir = '';
let db: Database;
let f: StockFixture;
let app: FastifyInstance;
let url = '';
let browser: DashboardBrowser;
let page: Page;
let problems: string[] = [];

interface Status { commitments: Array<{ id: string; status: string; openAlerts: number; resolvedAlerts: number; title: string; rule?: { kind: string; allWallets: boolean; classes: string[] } }> }
interface Stock {
  asOf: string; wallets: number; components: string[]; pointCount: number;
  points: Array<{ date: string; sats: string; byComponent: Record<string, string> }>;
  alerts: { items: Array<{ date: string; commitmentId: string; class: string; sats: string; txid: string; status: string }>; notListed: number };
}

async function json<T>(path: string): Promise<T> {
  const res = await fetch(`${url}api/v1${path}`);
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-compliance-'));
  db = await openDatabase({ url: join(dir, 'e2e.db') });
  f = await buildStockFixture(await regtest.ready(), db);
  const w = f.wallets;
  const webRoot = await ensureWebBuilt();
  ({ app, url } = await startServer(
    {
      // the treasury vault is in the register but this server does not publish it
      publicView: publishing(new SqlPublicView(db, 'regtest'), new Set([w.office.vault.id, w.chivo.vault.id, w.reserve.vault.id])),
      publicCacheMs: 0, tokens: new SqlApiTokenStore(db), vaults: f.store, compliance: { store: f.deps.compliance },
      prices: loadPriceHistory(), clock: { now: () => STOCK_NOW }, webRoot, rateLimit: null, explorerUrl: EXPLORER,
    },
    { port: 0, host: '127.0.0.1' },
  ));
  browser = await openDashboardBrowser(join(dir, 'profile'));
  page = browser.page;
  problems = browser.problems;
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await app?.close().catch(() => undefined);
  await db?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function open(size = { width: 1440, height: 900 }): Promise<void> {
  await page.setViewportSize(size);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="public"]', { timeout: 30_000 });
  await page.waitForSelector('#compliance-chart .uplot canvas', { timeout: 15_000 });
}

// Page-side checks are strings: this project's TypeScript has no DOM library for test files.
/** Every visible element that sticks out of the window or out of a container that clips or scrolls it (as public-site.e2e). */
const OVERFLOW = overflowScript();

/** The panel's visible text nodes outside translate="no" islands (titles, ids, hashes) and the chart's drawing. */
const PANEL_TEXT = `(() => {
  const out = [];
  const panel = document.querySelector('#compliance');
  const walk = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = (n.textContent || '').replace(/\\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('[translate="no"], canvas, .uplot')) continue;
    if (!el.checkVisibility()) continue;
    out.push(text);
  }
  return out;
})()`;

const axeSerious = (): Promise<string[]> => axeOf(page);

/** Language-neutral text: numbers, units, punctuation only. */
function neutral(s: string): boolean {
  return s.replace(/\b(BTC|UTC|USD|sats)\b|[\d\s.,:;%+−\-–—·…()#/$@[\]"'«»“”]/gu, '') === '';
}

const attrs = (selector: string, name: string): Promise<Array<string | null>> => attrsOf(page, selector, name);

test('desktop 1440×900: the commitment breached in plain words; the stock and its split by class are the API\'s; the chart is described and in a table; the alerts are listed with explorer links', { skip }, async () => {
  const status = await json<Status>('/public/compliance');
  const stock = await json<Stock>('/public/compliance/stock');
  await open();
  // the commitment, in plain words
  const c = status.commitments[0];
  assert.ok(c);
  assert.equal(c.status, 'breached');
  assert.equal(await page.getAttribute(`#commitment-${c.id}`, 'data-status'), c.status);
  // the rule in the page's words (from the structured rule the server sends), the operator's wording under it as data
  assert.deepEqual(c.rule, { kind: 'no-increase', allWallets: true, classes: ['seizure', 'mining-reward'] });
  assert.equal(await page.textContent(`#commitment-${c.id} h3`), 'From 26 Feb 2025, the bitcoin held by the registered public wallets does not increase, except through seizure and mining.');
  assert.equal(await page.textContent(`#commitment-${c.id} .compliance-wording q`), c.title);
  assert.equal((await page.textContent(`#commitment-${c.id} .compliance-status`))?.trim(), `Breached: ${c.openAlerts} alerts are open.`);
  assert.match((await page.textContent(`#commitment-${c.id}`)) ?? '', /In force from 26 Feb 2025\. Source: IMF Extended Fund Facility/);
  // the stock now: the API's last point, to the sat
  const last = stock.points.at(-1);
  assert.ok(last);
  assert.equal(await page.getAttribute('#compliance-stock-total', 'data-sats'), last.sats);
  assert.equal(await page.textContent('#compliance-stock-total'), `${(BigInt(last.sats) / 100_000_000n).toLocaleString('en-US')}.${(BigInt(last.sats) % 100_000_000n).toString().padStart(8, '0')} BTC`);
  assert.match((await page.textContent('#compliance-stock-card')) ?? '', /in 3 registered public wallets published here/);
  // the split by class, in words: each component as the API says at the last point
  assert.deepEqual(await attrs('#compliance-split li', 'data-component'), stock.components);
  assert.deepEqual(await attrs('#compliance-split li', 'data-sats'), stock.components.map((k) => last.byComponent[k] ?? null));
  assert.ok(!stock.components.includes('internal-consolidation') || last.byComponent['internal-consolidation'] === '0', 'the consolidation moves nothing');
  assert.match((await page.textContent('#compliance-split')) ?? '', /Acquisition from outside: \+8\.21000000 BTC.*Fees: −0\.00010000 BTC/);
  // the chart is described: its plot is an image labelled by the title and the description in words
  assert.equal(await page.getAttribute('#compliance-chart .chart-plot', 'role'), 'img');
  assert.equal(await page.getAttribute('#compliance-chart .chart-plot', 'aria-labelledby'), 'compliance-chart-title compliance-chart-desc');
  assert.equal(await page.textContent('#compliance-chart-title'), 'Public-sector bitcoin over time, by class');
  assert.match((await page.textContent('#compliance-chart-desc')) ?? '', /^From 7 Sept? 2021 to 1 Dec 2025, the public-sector stock went from 0\.00000000 to 8\.20990000 BTC\.$/);
  // stepping through it from the keyboard reads each day out
  await page.focus('#compliance-chart .chart-plot');
  await page.keyboard.press('Home');
  assert.match((await page.textContent('#compliance-chart-readout')) ?? '', /^7 Sept? 2021: 0\.00000000 BTC/);
  await page.keyboard.press('End');
  assert.equal(await page.textContent('#compliance-chart-readout'), 'Now: 8.20990000 BTC', 'the chart runs on to today');
  await page.keyboard.press('ArrowLeft');
  assert.match((await page.textContent('#compliance-chart-readout')) ?? '', /^7 Sept? 2025: 8\.20990000 BTC · Acquisition from outside \+8\.21000000 · Fees −0\.00010000$/);
  // the numbers as a table: every point, newest first
  await page.click('#compliance-table summary');
  // the table is built on the details' toggle event, which fires as a task after the click
  await page.waitForSelector('#compliance-table tbody tr');
  assert.deepEqual(await attrs('#compliance-table tbody tr', 'data-date'), stock.points.map((p) => p.date).reverse());
  assert.deepEqual(await attrs('#compliance-table tbody td[data-sats]', 'data-sats'), stock.points.map((p) => p.sats).reverse());
  // the alerts: the published one listed, with an explorer link and a copy button; the other only counted
  assert.equal(stock.alerts.items.length, 1);
  const a = stock.alerts.items[0];
  assert.ok(a);
  assert.deepEqual(await page.locator('#compliance-alerts-table code.txid').allTextContents(), [a.txid]);
  assert.deepEqual(await attrs('#compliance-alerts-table a.compliance-tx-link', 'href'), [`${EXPLORER}/tx/${a.txid}`]);
  assert.deepEqual(await attrs('#compliance-alerts-table button.copy', 'data-copy'), [a.txid]);
  assert.deepEqual(await attrs('#compliance-alerts-table [data-sats]', 'data-sats'), [a.sats]);
  assert.deepEqual(await attrs('#compliance-alerts-table [data-class]', 'data-class'), [a.class]);
  assert.match((await page.textContent('#compliance-alerts-table')) ?? '', /7 Sept? 2025.*imf-2025-no-accumulation.*Acquisition from outside.*\+0\.21000000 BTC.*Open/);
  assert.equal(await page.getAttribute('#compliance-alerts-not-listed', 'data-count'), String(stock.alerts.notListed));
  assert.match((await page.textContent('#compliance-alerts-not-listed')) ?? '', /^1 alert is not listed: its transaction touches a registered wallet whose transactions this server does not publish/);
  const panel = (await page.textContent('#compliance')) ?? '';
  for (const secret of [f.txids.treasuryPurchase, f.txids.treasuryFund, f.wallets.treasury.vault.name]) assert.ok(!panel.includes(secret), `the panel shows ${secret}`);
  assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), []);
  assert.deepEqual(await axeSerious(), []);
  await page.locator('#compliance').screenshot({ path: join(OUT, 'dashboard-compliance.png') });
  assert.deepEqual(problems.splice(0), []);
});

test('phone 390×844: the panel fits, its alerts become cards, no serious accessibility violation', { skip }, async () => {
  await open({ width: 390, height: 844 });
  await page.click('#compliance-table summary');
  await page.waitForSelector('#compliance-table tbody tr');
  assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), []);
  assert.equal(await page.evaluate<string>(`getComputedStyle(document.querySelector('#compliance-alerts-table td')).display`), 'flex', 'each cell is a labelled line of a card');
  assert.deepEqual(await axeSerious(), []);
  await page.locator('#compliance').screenshot({ path: join(OUT, 'dashboard-compliance-phone.png') });
  assert.deepEqual(problems.splice(0), []);
});

test('the Spanish switch changes every string of the panel and formats its numbers for Spanish', { skip }, async () => {
  await open();
  await page.click('#compliance-table summary');
  await page.waitForSelector('#compliance-table tbody tr');
  const en = await page.evaluate<string[]>(PANEL_TEXT);
  try {
    await page.selectOption('#lang-select', 'es');
    await page.waitForSelector('html[lang="es"] body[data-ready="public"] #compliance-title:has-text("Compromiso del programa con el FMI")');
    await page.waitForSelector('#compliance-chart .uplot canvas');
    await page.click('#compliance-table summary');
    await page.waitForSelector('#compliance-table tbody tr');
    const es = new Set(await page.evaluate<string[]>(PANEL_TEXT));
    const unchanged = en.filter((s) => !neutral(s) && es.has(s));
    assert.deepEqual(unchanged, [], 'strings of the panel still in English after switching to Spanish');
    assert.ok(en.length > 25, `${en.length} visible strings checked`);
    assert.match((await page.textContent('#commitment-imf-2025-no-accumulation .compliance-status')) ?? '', /^Incumplido: hay 2 alertas abiertas\./);
    assert.match((await page.textContent('#compliance-split')) ?? '', /Adquisición desde fuera: \+8\.21000000 BTC/);
    assert.match((await page.textContent('#compliance-alerts-table')) ?? '', /sept?\.? 2025/);
    assert.equal(await page.textContent('#commitment-imf-2025-no-accumulation h3'), 'Desde el 26 feb 2025, el bitcoin en las billeteras públicas registradas no aumenta, salvo por incautación y minería.');
    // the whole page, not only the panel: no English left but names (data), at both widths
    const names = (await json<{ vaults: Array<{ name: string }> }>('/public/summary')).vaults.map((v) => v.name);
    assert.deepEqual(await englishLeft(page, names), [], 'English left on the Spanish page at 1440 px');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await englishLeft(page, names), [], 'English left on the Spanish page at 390 px');
    assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), [], 'nothing overflows in Spanish at 390 px');
    await page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(await axeSerious(), []);
  } finally {
    await page.selectOption('#lang-select', 'en');
    await page.waitForSelector('html[lang="en"] #compliance-title:has-text("IMF programme commitment")');
  }
  assert.deepEqual(problems.splice(0), []);
});
