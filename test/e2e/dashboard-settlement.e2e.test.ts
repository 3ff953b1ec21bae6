// Alliance settlement on the public page (issue #16, "the demo shows settled and rescinded cycles
// on the dashboard"), in Debian's chromium: the demo's settlement built on the embedded regtest node
// (three weekly cycles settled in escrow, one rescinded after El Salvador missed its pay-in), served
// through the server's own wiring. The panel says each cycle's status in plain words, shows the
// nets to the sat, links every pay-in / payout / refund txid to the explorer with a copy button, and
// states the netting efficiency in words; nothing overflows at 1440 and 390 px, axe-core finds no
// serious violation, and the Spanish switch translates it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { chromiumSkip, launchChromium } from '../helpers/chromium.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { startServer } from '../../src/server/app.ts';
import { serverDepsFor } from '../../src/server/database-deps.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import type { PublicSettlementAnswer } from '../../src/server/routes/settlement-public.ts';
import { buildDemoSettlement } from '../settlement/public-settlement-fixture.ts';

const skip = chromiumSkip;
const AXE = join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
const EXPLORER = 'https://explorer.example.org/regtest';
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const regtest = useRegtestNode();

let dir = '';
let db: Database;
let app: FastifyInstance;
let url = '';
let context: BrowserContext;
let page: Page;
let answer: PublicSettlementAnswer;
const problems: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-settlement-'));
  db = await openDatabase({ url: join(dir, 'e2e.db') });
  await buildDemoSettlement(await regtest.ready(), db, dir);
  ({ app, url } = await startServer({ ...(await serverDepsFor(db, 'regtest')), publicCacheMs: 0, rateLimit: null, explorerUrl: EXPLORER }, { port: 0, host: '127.0.0.1' }));
  const res = await fetch(`${url}api/v1/public/settlement`);
  assert.equal(res.status, 200);
  answer = (await res.json()) as PublicSettlementAnswer;
  context = await launchChromium(join(dir, 'profile'));
  mkdirSync(OUT, { recursive: true });
  page = await context.newPage();
  page.on('console', (m) => {
    if (/^Failed to load resource/.test(m.text())) return;
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.status() === 404 && /\/api\/v1\/public\/(proof|books)(\?|$)/.test(r.url()))) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  if (skip) return;
  await context?.close().catch(() => undefined);
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
 * Every visible element of the settlement panel that sticks out of the window or out of its
 * container, and whether the page scrolls sideways (as dashboard-compliance.e2e, scoped to this
 * panel: the other panels have their own checks).
 */
const OVERFLOW = `(() => {
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) out.push('the page scrolls sideways by ' + (root.scrollWidth - root.clientWidth) + 'px');
  for (const el of document.querySelectorAll('#settlement, #settlement *')) {
    if (el.closest('.skip, thead') || (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') || !el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > root.clientWidth + 1 || r.left < -1) out.push(name(el) + ' sticks out of the window (' + Math.round(r.left) + '..' + Math.round(r.right) + ')');
    const cs = getComputedStyle(el);
    if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) out.push(name(el) + ' cuts off or scrolls ' + (el.scrollWidth - el.clientWidth) + 'px of its content');
    const p = el.parentElement;
    if (p && p !== document.body && getComputedStyle(el).position !== 'absolute') {
      const pr = p.getBoundingClientRect();
      if (r.right > pr.right + 1.5 || r.left < pr.left - 1.5) out.push(name(el) + ' overflows its container ' + name(p));
    }
  }
  return [...new Set(out)].slice(0, 20);
})()`;

async function axeSerious(): Promise<string[]> {
  if ((await page.evaluate<string>('typeof axe')) === 'undefined') await page.evaluate(readFileSync(AXE, 'utf8'));
  const found = await page.evaluate<Array<{ id: string; impact: string; targets: string[] }>>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))`);
  return found.map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 8).join(', ')}`);
}

async function attrs(selector: string, name: string): Promise<Array<string | null>> {
  return Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
}

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
    assert.deepEqual(await axeSerious(), []);
  } finally {
    await page.selectOption('#lang-select', 'en');
    await page.waitForSelector('html[lang="en"] #settlement-title:has-text("Alliance settlement")');
  }
  assert.deepEqual(problems.splice(0), []);
});
