// `soberana serve` through the real binary: the dashboard at /, under its Content-Security-Policy,
// and the API on an empty database (an empty reserve, not an error).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'soberana-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('serve prints its URL, serves the dashboard with a strict CSP and the API, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'soberana.js'), 'serve', '--port', '0', '--json', '--db', join(dir, 's.db'), '--network', 'regtest'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 120_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"dashboard": "([^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  try {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    assert.ok(!/<script>/.test(html) && !/<style>/.test(html), 'no inline script or style');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const summary = (await (await fetch(`${url}api/v1/public/summary`)).json()) as { network: string; confirmedSats: string; vaults: unknown[] };
    assert.deepEqual([summary.network, summary.confirmedSats, summary.vaults.length], ['regtest', '0', 0]);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
