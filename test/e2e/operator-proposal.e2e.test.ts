// The demo's pending proposal, in Debian's chromium (playwright-core, never a downloaded browser):
// the demo is built for real (regtest node, El Salvador's replayed purchases, members, policy, one
// 100 BTC cold-storage proposal with one approval of two); the operator signs in with the token the
// demo prints and sees the proposal with what it waits for; the approver token (the Central Reserve
// Bank) approves it from the page; the operator downloads the PSBT, two demo cosigners sign it
// separately, the operator uploads both files and finalizes. Screenshots go to test-output/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../helpers/chromium.ts';
import type { FastifyInstance } from 'fastify';
import { startServer } from '../../src/server/app.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { DEMO_MEMBERS, DEMO_PROPOSAL_MEMO, startDemo, type DemoEnvironment } from '../../src/cli/demo/build-alliance.ts';

const skip = chromiumSkip;
const OUT = join(import.meta.dirname, '..', '..', 'test-output');

let dir = '';
let env: DemoEnvironment;
let app: FastifyInstance;
let url = '';
let context: BrowserContext;
const problems: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-gov-'));
  env = await startDemo({ dataDir: join(dir, 'demo'), log: () => undefined });
  const webRoot = await ensureWebBuilt();
  ({ app, url } = await startServer(
    {
      publicView: new SqlPublicView(env.db, 'regtest'), tokens: new SqlApiTokenStore(env.db), vaults: env.store,
      governance: { spends: new SqlSpendStore(env.db), network: 'regtest', chain: env.node.chainSource() },
      prices: loadPriceHistory(), clock: { now: () => Date.now() }, webRoot, rateLimit: null,
    },
    { port: 0, host: '127.0.0.1' },
  ));
  context = await launchChromium(join(dir, 'profile'), { acceptDownloads: true });
});

after(async () => {
  if (skip) return;
  await context?.close().catch(() => undefined);
  await app?.close().catch(() => undefined);
  await env?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function watch(page: Page): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${url}#/operator`);
  await page.waitForSelector('#login-form');
  await page.fill('#token-input', token);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#session');
}

const card = '#op-proposals article[data-proposal="1"]';

test('the operator sees the demo proposal waiting for the central bank; the approver approves; PSBT out, two signatures in, finalized', { skip, timeout: 240_000 }, async () => {
  const page = await context.newPage();
  watch(page);
  await page.setViewportSize({ width: 390, height: 844 }); // a phone
  await signIn(page, env.state.tokens.operator);
  assert.equal(await page.textContent('#session-name'), DEMO_MEMBERS.operator.name);
  await page.waitForSelector(card);
  assert.equal(await page.getAttribute(card, 'data-state'), 'proposed');
  const text = (await page.textContent(card)) ?? '';
  assert.ok(text.includes(DEMO_PROPOSAL_MEMO), text);
  assert.ok(text.includes('100.00000000 BTC from el-salvador-reserve'), text);
  assert.equal(await page.textContent(`${card} .approval-state`), 'Approvals: waiting: needs 1 more approval from central-bank (requirement: 1 of finance AND 1 of central-bank)');
  assert.match((await page.textContent(`${card} .approvals`)) ?? '', /ana-ministry-of-finance \(finance/);
  assert.equal(await page.locator(`${card} [data-action="Approve"]`).count(), 0, 'an operator is not offered Approve');
  assert.ok(((await page.textContent('#op-policy')) ?? '').includes('weekly-limit'), 'the policy in force is shown');
  assert.equal(await page.locator('#op-audit #audit-verdict').count(), 0, 'an operator does not see the audit log');
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.ok(overflow <= 0, `the operator page scrolls sideways on a phone by ${overflow}px`);
  await page.screenshot({ path: join(OUT, 'operator-proposal-phone.png'), fullPage: true });

  // the Central Reserve Bank's approver approves from the page
  const approver = await context.newPage();
  watch(approver);
  await approver.setViewportSize({ width: 1280, height: 900 });
  await signIn(approver, env.state.tokens.approver);
  await approver.waitForSelector(`${card} [data-action="Approve"]`);
  await approver.click(`${card} [data-action="Approve"]`);
  await approver.waitForSelector(`${card}[data-state="approved"]`);
  assert.match((await approver.textContent(`${card} .approval-state`)) ?? '', /approved: 1 of finance AND 1 of central-bank reached/);
  await approver.close();

  // the operator takes the PSBT out, two cosigners sign separately, the files come back in
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
  await page.waitForSelector(`${card}[data-state="approved"] [data-action="Download PSBT"]`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${card} [data-action="Download PSBT"]`)]);
  assert.equal(download.suggestedFilename(), 'proposal-1.psbt');
  const unsigned = readFileSync((await download.path()) as string);
  assert.deepEqual([...unsigned.subarray(0, 5)], [0x70, 0x73, 0x62, 0x74, 0xff], 'a binary PSBT');
  const keys = join(dir, 'demo', 'keys');
  for (const [holder, after] of [['ministry-of-finance', /[1-9]\d* new signatures? verified and combined\. More signatures are needed/], ['central-reserve-bank', /[1-9]\d* new signatures? verified and combined\. All signatures are in/]] as const) {
    const key = parseExtendedPrivateKey(readFileSync(join(keys, `el-salvador-${holder}.xprv`), 'utf8'), holder);
    const signed = Buffer.from(signPsbtWithKey(new Uint8Array(unsigned), key).psbt, 'base64');
    const file = join(dir, `${holder}.psbt`);
    writeFileSync(file, signed);
    await page.setInputFiles(`${card} input[type=file]`, file);
    await page.click(`${card} form.upload button[type=submit]`);
    try {
      // generous: on a loaded CI machine verifying and combining can take a while
      await page.locator(`${card} .op-status`, { hasText: after }).waitFor({ timeout: 120_000 });
    } catch (e) {
      const shown = await page.locator(`${card} .op-status`).allTextContents().catch(() => []);
      throw new Error(`after uploading ${holder}'s signature the page said: ${JSON.stringify(shown)} (${(e as Error).message.split('\n')[0]})`, { cause: e });
    }
  }
  await page.waitForSelector(`${card} [data-action="Finalize"]`);
  await page.click(`${card} [data-action="Finalize"]`);
  await page.waitForSelector(`${card}[data-state="signed"]`);
  await page.screenshot({ path: join(OUT, 'operator-proposal-signed.png'), fullPage: true });
  await page.close();

  // the auditor (the IMF) sees every step in a log that verifies
  const auditor = await context.newPage();
  watch(auditor);
  await signIn(auditor, env.state.tokens.auditor);
  await auditor.waitForSelector('#audit-verdict');
  assert.equal(await auditor.getAttribute('#audit-verdict', 'data-ok'), 'true');
  const log = (await auditor.textContent('#op-audit-table')) ?? '';
  for (const step of ['spend.propose', 'spend.approve', 'spend.export', 'spend.import', 'spend.finalize']) assert.ok(log.includes(step), `audit shows ${step}`);
  await auditor.screenshot({ path: join(OUT, 'operator-audit.png'), fullPage: true });
  await auditor.close();
  assert.deepEqual(problems.splice(0), []);
});
