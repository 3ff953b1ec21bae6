/**
 * What the dashboard's browser tests share (test/e2e/dashboard-*.e2e.test.ts, public-site,
 * demo-accounting): a chromium page that records console errors, CSP refusals, failed requests and
 * page errors; the in-page overflow check; axe-core's serious violations; attributes in page order;
 * and the language check — after switching to Spanish, no English sentence is left on the page.
 * Page-side checks are strings: this project's TypeScript has no DOM library for test files.
 *
 * @example
 *   const b = await openDashboardBrowser(join(dir, 'profile'));   // in before()
 *   await b.page.goto(url);
 *   assert.deepEqual(await overflowing(b.page), []);
 *   assert.deepEqual(b.problems.splice(0), []);
 *   await b.close();                                               // in after()
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { en } from '../../web/src/i18n/en.ts';
import { es } from '../../web/src/i18n/es.ts';

const AXE = join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');

/** Requests a page may fail without it being a problem: the panels that ask and stand aside (404). */
const EXPECTED_404 = /\/api\/v1\/public\/(proof|books)(\?|$)/;

export interface DashboardBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors, CSP refusals, HTTP errors and page errors seen so far (tests splice it empty). */
  problems: string[];
  /** Record the same problems for another page of the context. */
  watch(page: Page): void;
  close(): Promise<void>;
}

/** A headless chromium with one page whose problems are recorded. */
export async function openDashboardBrowser(profileDir: string, opts: { acceptDownloads?: boolean } = {}): Promise<DashboardBrowser> {
  const context = await launchChromium(profileDir, opts);
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (/^Failed to load resource/.test(m.text())) return; // judged by URL below
      if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.status() === 404 && EXPECTED_404.test(r.url()))) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  };
  const page = await context.newPage();
  watch(page);
  return { context, page, problems, watch, close: () => context.close().catch(() => undefined) };
}

/**
 * The in-page check: every visible element (of `scope`, default the whole page) that sticks out of
 * the window, cuts off or scrolls its content, or overflows its container; and whether the page
 * scrolls sideways. Table heads are skipped (a phone hides them off-screen on purpose).
 */
export function overflowScript(scope = 'body *'): string {
  return `(() => {
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) out.push('the page scrolls sideways by ' + (root.scrollWidth - root.clientWidth) + 'px');
  for (const el of document.querySelectorAll(${JSON.stringify(scope)})) {
    if (el.closest('.skip, thead') || (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') || !el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > root.clientWidth + 1 || r.left < -1) out.push(name(el) + ' sticks out of the window (' + Math.round(r.left) + '..' + Math.round(r.right) + ')');
    const cs = getComputedStyle(el);
    if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) out.push(name(el) + ' cuts off or scrolls ' + (el.scrollWidth - el.clientWidth) + 'px of its content');
    const p = el.parentElement;
    if (p && p !== document.body && cs.position !== 'absolute') {
      const pr = p.getBoundingClientRect();
      if (r.right > pr.right + 1.5 || r.left < pr.left - 1.5) out.push(name(el) + ' overflows its container ' + name(p));
    }
  }
  return [...new Set(out)].slice(0, 20);
})()`;
}

/** What overflows on the page now (empty: nothing). */
export function overflowing(page: Page, scope?: string): Promise<string[]> {
  return page.evaluate<string[]>(overflowScript(scope));
}

/** axe-core's serious and critical violations on the whole page. */
export async function axeSerious(page: Page): Promise<string[]> {
  if ((await page.evaluate<string>('typeof axe')) === 'undefined') await page.evaluate(readFileSync(AXE, 'utf8'));
  const found = await page.evaluate<Array<{ id: string; impact: string; targets: string[] }>>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))`);
  return found.map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 8).join(', ')}`);
}

/** One attribute of every element `selector` matches, in page order. */
export async function attrs(page: Page, selector: string, name: string): Promise<Array<string | null>> {
  return Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
}

/**
 * The visible text nodes outside translate="no" islands (names, hashes, commands) and the charts'
 * own drawing, with the element that holds each.
 */
const VISIBLE_TEXT = `(() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = (n.textContent || '').replace(/\\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('[translate="no"], select, svg, canvas, .uplot')) continue;
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const lang = el.closest('[lang]');
    out.push({ text, lang: lang && lang !== document.documentElement ? lang.getAttribute('lang') : null });
  }
  return out;
})()`;

export function visibleText(page: Page): Promise<Array<{ text: string; lang: string | null }>> {
  return page.evaluate<Array<{ text: string; lang: string | null }>>(VISIBLE_TEXT);
}

const WORD = /[A-Za-z][A-Za-z’']{3,}/g;
const words = (s: string): string[] => (s.replace(/\{\w+\}/g, ' ').match(WORD) ?? []).map((w) => w.toLowerCase().replace(/[’']s?$/, ''));

/**
 * The words only the English table uses: every word of four letters or more in en.ts that no
 * Spanish string has ("the", "which", "reserve", "transactions", … — not "bitcoin", "total" or
 * "Soberana", which Spanish uses too). Built from the tables, not picked by hand: a new English
 * sentence brings its own words.
 */
export function englishOnlyWords(): Set<string> {
  const spanish = new Set(Object.values(es).flatMap(words));
  return new Set(Object.values(en).flatMap(words).filter((w) => !spanish.has(w)));
}

/**
 * The English left on the page (call it after switching to Spanish): every visible text, outside
 * translate="no" islands, that is declared lang="en" or holds a word only English uses. `data` is
 * what may stay as it is wherever it appears — names of vaults and members, ids — and is taken out
 * of each text before its words are looked at.
 */
export async function englishLeft(page: Page, data: readonly string[]): Promise<string[]> {
  const only = englishOnlyWords();
  const strip = [...data].filter((d) => d.length > 0).sort((a, b) => b.length - a.length);
  const out: string[] = [];
  for (const { text, lang } of await visibleText(page)) {
    let rest = text;
    for (const d of strip) rest = rest.split(d).join(' ');
    const english = words(rest).filter((w) => only.has(w));
    if (lang === 'en' || english.length > 0) out.push(`${lang === 'en' ? '[lang=en] ' : ''}${text.slice(0, 160)}${english.length > 0 ? `  ← ${[...new Set(english)].join(', ')}` : ''}`);
  }
  return [...new Set(out)];
}
