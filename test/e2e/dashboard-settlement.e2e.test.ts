// Alliance settlement on the public page (issue #16, "the demo shows settled and rescinded cycles
// on the dashboard"), in Debian's chromium: the demo's settlement built on the embedded regtest node
// (three weekly cycles settled in escrow, one rescinded after El Salvador missed its pay-in), served
// through the server's own wiring. The panel says each cycle's status in plain words, shows the
// nets to the sat, links every pay-in / payout / refund txid to the explorer with a copy button, and
// states the netting efficiency in words; nothing overflows at 1440 and 390 px, axe-core finds no
// serious violation, and the Spanish switch translates it.
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
import { serverDepsFor } from '../../src/server/database-deps.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import type { PublicSettlementAnswer } from '../../src/server/routes/settlement-public.ts';
import { buildDemoSettlement } from '../settlement/public-settlement-fixture.ts';

const skip = chromiumSkip;
const EXPLORER = 'https://explorer.example.org/regtest';
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const regtest = useRegtestNode();

let dir = '';
let db: Database;
let app: FastifyInstance;
let url = '';
let browser: DashboardBrowser;
let page: Page;
let answer: PublicSettlementAnswer;
let problems: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-settlement-'));
  db = await openDatabase({ url: join(dir, 'e2e.db') });
  await buildDemoSettlement(await regtest.ready(), db, dir);
  ({ app, url } = await startServer({ ...(await serverDepsFor(db, 'regtest')), publicCacheMs: 0, rateLimit: null, explorerUrl: EXPLORER }, { port: 0, host: '127.0.0.1' }));
  const res = await fetch(`${url}api/v1/public/settlement`);
  assert.equal(res.status, 200);
  answer = (await res.json()) as PublicSettlementAnswer;
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
  await page.waitForSelector('#settlement .settlement-cycle', { timeout: 15_000 });
}

// Page-side checks are strings: this project's TypeScript has no DOM library for test files.
/**
 * Every visible element of the page that sticks out of the window or out of its container, and
 * whether the page scrolls sideways: the whole page, because this demo-like fixture has the long
 * settlement wallet names ("El Salvador settlement account (Banco Central de Reserva de El
 * Salvador)", the escrow's) in the members, transactions and addresses tables.
 */
const OVERFLOW = overflowScript();

const axeSerious = (): Promise<string[]> => axeOf(page);

const attrs = (selector: string, name: string): Promise<Array<string | null>> => attrsOf(page, selector, name);

test('desktop 1440×900: settled and rescinded cycles in plain words, nets to the sat, txids linked to the explorer, netting efficiency in words', { skip }, async () => {
  await open();
  assert.equal(await page.textContent('#settlement-title'), 'Alliance settlement');
  assert.deepEqual((await attrs('#settlement .settlement-cycle', 'data-status')).sort(), answer.cycles.map((c) => c.status).sort());
  assert.match((await page.textContent('#settlement-totals')) ?? '', /^Cycles settled: 3; rescinded: 1\. \$[\d,]+\.\d\d of invoices settled by \d transfers? instead of \d+ \(netting efficiency \d+\.\d\d%\)\.$/);
  const settled = answer.cycles.find((c) => c.status === 'settled');
  const rescinded = answer.cycles.find((c) => c.status === 'rescinded');
  assert.ok(settled && rescinded);
  // a settled cycle: status, nets, txids
  const s = `#settlement-cycle-${settled.id}`;
  assert.match((await page.textContent(`${s} .settlement-status`)) ?? '', /^Settled: every pay-in arrived/);
  assert.match((await page.textContent(`${s} .settlement-efficiency`)) ?? '', /of invoices settled by \d transfers? instead of 4 \(netting efficiency/);
  assert.deepEqual(await attrs(`#settlement-nets-${settled.id} [data-sats]`, 'data-sats'), settled.positions.map((p) => p.sats));
  const txids = [...settled.payIns.map((p) => p.tx?.txid), settled.payout?.tx?.txid];
  assert.deepEqual(await page.locator(`#settlement-tx-${settled.id} code.txid`).allTextContents(), txids);
  assert.deepEqual(await attrs(`#settlement-tx-${settled.id} a.settlement-tx-link`, 'href'), txids.map((x) => `${EXPLORER}/tx/${x ?? ''}`));
  assert.deepEqual(await attrs(`#settlement-tx-${settled.id} button.copy`, 'data-copy'), txids);
  assert.match((await page.textContent(`${s} .settlement-transfers`)) ?? '', /(Pakistan|El Salvador|Russia) pays (Pakistan|El Salvador|Russia): \d+\.\d{8} BTC/);
  // the rescinded cycle: who missed the pay-in, who was refunded
  const r = `#settlement-cycle-${rescinded.id}`;
  assert.equal(await page.getAttribute(`${r} .settlement-status`, 'role'), 'note');
  assert.equal((await page.textContent(`${r} .settlement-status`))?.trim(), 'Rescinded: El Salvador missed the pay-in deadline, so nobody was paid. The pay-in of Pakistan was refunded in one transaction. The invoices are netted again without El Salvador.');
  assert.match((await page.textContent(`${r} .settlement-efficiency`)) ?? '', /^Nothing was settled: the 4 invoices of this cycle/);
  assert.equal(await page.getAttribute(`#settlement-tx-${rescinded.id} [data-missing]`, 'data-missing'), 'SLV');
  assert.ok((await page.locator(`#settlement-tx-${rescinded.id} code.txid`).allTextContents()).includes(rescinded.refund?.tx?.txid ?? '?'), 'the refund txid is shown');
  const panel = (await page.textContent('#settlement')) ?? '';
  assert.doesNotMatch(panel, /ILLUSTRATIVE-/, 'no invoice reference');
  assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), []);
  assert.deepEqual(await axeSerious(), []);
  await page.locator('#settlement').screenshot({ path: join(OUT, 'dashboard-settlement.png') });
  assert.deepEqual(problems.splice(0), []);
});

test('phone 390×844: the panel fits, its tables become cards, no serious accessibility violation', { skip }, async () => {
  await open({ width: 390, height: 844 });
  assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), []);
  assert.deepEqual(await axeSerious(), []);
  await page.locator('#settlement').screenshot({ path: join(OUT, 'dashboard-settlement-phone.png') });
  assert.deepEqual(problems.splice(0), []);
});

test('the Spanish switch translates the panel', { skip }, async () => {
  await open();
  try {
    await page.selectOption('#lang-select', 'es');
    await page.waitForSelector('html[lang="es"] body[data-ready="public"] #settlement-title:has-text("Liquidación de la alianza")');
    const rescinded = answer.cycles.find((c) => c.status === 'rescinded');
    assert.match((await page.textContent(`#settlement-cycle-${rescinded?.id ?? '?'} .settlement-status`)) ?? '', /^Rescindido: El Salvador no depositó a tiempo/);
    assert.match((await page.textContent('#settlement-totals')) ?? '', /^Ciclos liquidados: 3; rescindidos: 1\..*en facturas liquidados con \d transferencias? en lugar de \d+/);
    // the whole page: no English left but data (wallets' and member states' names, cycle ids), at both widths
    const summary = (await (await fetch(`${url}api/v1/public/summary`)).json()) as { vaults: Array<{ name: string }> };
    const data = [...summary.vaults.map((v) => v.name), ...answer.members.map((m) => m.state), ...answer.cycles.map((c) => c.id)];
    assert.deepEqual(await englishLeft(page, data), [], 'English left on the Spanish page at 1440 px');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await englishLeft(page, data), [], 'English left on the Spanish page at 390 px');
    assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), [], 'nothing overflows in Spanish at 390 px');
    await page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(await page.evaluate<string[]>(OVERFLOW), [], 'nothing overflows in Spanish at 1440 px');
    assert.deepEqual(await axeSerious(), []);
  } finally {
    await page.selectOption('#lang-select', 'en');
    await page.waitForSelector('html[lang="en"] #settlement-title:has-text("Alliance settlement")');
  }
  assert.deepEqual(problems.splice(0), []);
});
