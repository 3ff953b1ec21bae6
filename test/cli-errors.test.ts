// The CLI contract of the foundation: --help lists commands; user mistakes give one line on
// stderr and a stable non-zero exit code; --json errors are {error:{code,message}}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { ERROR_CODES } from '../src/core/errors.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';

const dir = mkdtempSync(join(tmpdir(), 'soberana-cli-'));
const db = join(dir, 'cli.db');

test('--help lists the commands and examples', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Commands:/);
  assert.match(r.stdout, /status/);
  assert.match(r.stdout, /Examples:/);
});

test('an unknown option is one line on stderr with exit code 2', async () => {
  const r = await runCli(['--no-such-option']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^error: unknown option '--no-such-option'/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
});

test('--json usage errors are {error:{code,message}}', async () => {
  const r = await runCli(['--json', 'nonexistent-command']);
  assert.equal(r.code, 2);
  const parsed = JSON.parse(r.stderr) as { error: { code: string; message: string } };
  assert.equal(parsed.error.code, 'USAGE');
  assert.match(parsed.error.message, /unknown command/);
});

test('a domain error (bad network in config) maps to its exit code without a stack trace', async () => {
  const r = await runCli(['status', '--db', db], { env: { SOBERANA_NETWORK: 'moonnet' } });
  assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT);
  assert.match(r.stderr, /^error: unknown network "moonnet"/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('an unreadable database location is a STORE_UNAVAILABLE error, not a crash', async () => {
  const r = await runCli(['--json', 'status', '--db', join(dir, 'no', 'such', 'dir', 'x.db')]);
  assert.equal(r.code, EXIT_CODE_BY_ERROR.STORE_UNAVAILABLE);
  const parsed = JSON.parse(r.stderr) as { error: { code: string } };
  assert.equal(parsed.error.code, 'STORE_UNAVAILABLE');
});

test('status --json reports the engine and schema version', async () => {
  const r = await runCli(['status', '--json', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { database: { engine: string; schemaVersion: number } };
  assert.equal(s.database.engine, 'sqlite');
  assert.ok(s.database.schemaVersion >= 1);
});

test('every domain error code has an exit code outside 0..2', () => {
  for (const code of ERROR_CODES) {
    const exit = EXIT_CODE_BY_ERROR[code];
    assert.ok(Number.isInteger(exit) && exit > 2, `${code} → ${exit}`);
  }
});
