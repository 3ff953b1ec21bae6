// The dashboard shows the audit log's head in "How to verify this yourself", small: its number,
// the start and end of its hash, its time and the count, the command that checks it, and a button
// copying it as SEQ:HASH — the same head /api/v1/public/audit-head publishes. In Debian's chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../helpers/chromium.ts';
import type { FastifyInstance } from 'fastify';
import { startServer } from '../../src/server/app.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { loadReserveTables } from '../helpers/load-reserve-tables.ts';
import { sampleReserve } from '../helpers/memory-public-view.ts';

const skip = chromiumSkip;
const NOW = Date.parse('2026-08-21T12:00:00Z');

let dir = '';
let db: Database;
let app: FastifyInstance;
let url = '';
let context: BrowserContext;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-head-'));
  db = await openDatabase({ url: join(dir, 'e2e.db') });
  await loadReserveTables(db, sampleReserve({ extra: 2 }));
  const spends = new SqlSpendStore(db);
  for (let i = 1; i <= 3; i++) await spends.appendAudit({ actor: 'ana', role: 'operator', action: 'spend.propose', object: `proposal:${i}`, details: { memo: 'private memo' }, atMs: NOW + i * 60_000 });
  const webRoot = await ensureWebBuilt();
  ({ app, url } = await startServer(
    { publicView: new SqlPublicView(db, 'regtest'), vaults: new SqlVaultStore(db), governance: { spends, network: 'regtest' }, tokens: new SqlApiTokenStore(db), prices: loadPriceHistory(), clock: { now: () => NOW }, webRoot, rateLimit: null },
    { port: 0, host: '127.0.0.1' },
  ));
  context = await launchChromium(join(dir, 'profile'));
});

after(async () => {
  if (skip) return;
  await context?.close().catch(() => undefined);
  await app?.close().catch(() => undefined);
  await db?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('the public page shows the published audit head, the command that checks it, and copies it as SEQ:HASH', { skip }, async () => {
  const problems: string[] = [];
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url.replace(/\/$/, '') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="public"]', { timeout: 30_000 });

  const head = (await (await fetch(`${url}api/v1/public/audit-head`)).json()) as { seq: number; hash: string; at: string; entries: number };
  assert.deepEqual([head.seq, head.at, head.entries], [3, '2026-08-21T12:03:00.000Z', 3]);
  const text = (await page.textContent('#verify #audit-head')) ?? '';
  assert.ok(text.includes(`Audit log head: #3 ${head.hash.slice(0, 4)}…${head.hash.slice(-2)} at 2026-08-21 12:03 UTC · 3 entries`), text);
  assert.ok(!text.includes('private memo'));
  assert.equal(await page.getAttribute('#audit-head', 'data-head'), `3:${head.hash}`);
  assert.equal(await page.textContent('#audit-head-command'), `soberana audit verify --head 3:${head.hash}`);

  await page.click('#audit-head-copy');
  await page.locator('#audit-head-copy', { hasText: /Copied|Copy the line below/ }).waitFor();
  if ((await page.textContent('#audit-head-copy')) === 'Copied') {
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), `3:${head.hash}`);
  }

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.ok(overflow <= 0, `the page scrolls sideways on a phone by ${overflow}px`);
  await page.close();
  assert.deepEqual(problems, []);
});
