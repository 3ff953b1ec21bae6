// `soberana serve` on anything but a loopback address warns on stderr that the API is exposed
// without TLS and points to docs/deployment.md; on loopback it says nothing. The CLI check never
// listens: the database path cannot be opened, so the command fails right after the warning.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exposureWarning, isLoopbackHost } from '../../src/cli/commands/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'soberana-warn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('loopback hosts are recognised; everything else is exposed', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '[::]', '192.168.1.10', '10.0.0.5', '2001:db8::1', 'reserve.example', '128.0.0.1', '::2']) assert.equal(isLoopbackHost(h), false, h);
});

test('the warning names the host, the missing TLS and docs/deployment.md; a hop-count trust-proxy adds a caution', () => {
  assert.equal(exposureWarning('127.0.0.1', false), null);
  const w = exposureWarning('0.0.0.0', false) ?? '';
  assert.match(w, /0\.0\.0\.0/);
  assert.match(w, /without TLS/);
  assert.match(w, /docs\/deployment\.md/);
  assert.ok(!w.includes('X-Forwarded-For'));
  assert.match(exposureWarning('0.0.0.0', 1) ?? '', /--trust-proxy 1, a client that reaches this port directly can claim any address/);
  assert.match(exposureWarning('::', true) ?? '', /--trust-proxy true/);
  assert.ok(!(exposureWarning('0.0.0.0', ['10.0.0.2']) ?? '').includes('X-Forwarded-For'));
  assert.ok(existsSync(join(import.meta.dirname, '..', '..', 'docs', 'deployment.md')), 'the page it points to exists');
});

test('soberana serve --host 0.0.0.0 prints the warning on stderr; --host 127.0.0.1 does not', () => {
  const notADir = join(dir, 'file');
  writeFileSync(notADir, 'x');
  const db = join(notADir, 'x.db'); // cannot be created: the command stops before listening
  const run = (host: string) => spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'soberana.js'), 'serve', '--host', host, '--port', '0', '--no-dashboard', '--db', db, '--network', 'regtest'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SOBERANA_TRUST_PROXY: '' } });
  const exposed = run('0.0.0.0');
  assert.notEqual(exposed.status, 0, 'the database cannot be opened');
  assert.match(exposed.stderr, /^soberana serve: WARNING: serving on 0\.0\.0\.0, which is not a loopback address/m);
  assert.match(exposed.stderr, /see docs\/deployment\.md/);
  assert.equal(exposed.stdout, '', 'nothing served');
  const local = run('127.0.0.1');
  assert.notEqual(local.status, 0);
  assert.ok(!local.stderr.includes('WARNING'), local.stderr);
});
