/**
 * Debian's chromium for the browser tests (playwright-core drives it; never a downloaded
 * browser). When it is not installed the tests are reported as skipped with the reason.
 *
 * @example
 *   test('…', { skip: chromiumSkip }, async () => { … });
 *   before(async () => { if (chromiumSkip) return; context = await launchChromium(join(dir, 'profile')); });
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** `false` when chromium is installed, else why the browser tests are skipped. */
export const chromiumSkip: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`;

/** A headless chromium with its profile in `profileDir` (close the context in an `after`). */
export function launchChromium(profileDir: string, opts: { acceptDownloads?: boolean } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    ...(opts.acceptDownloads ? { acceptDownloads: true } : {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
