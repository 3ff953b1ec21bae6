// Rule: a command that reads a whole file refuses one that is far too large before reading it,
// and an unreadable path, in one plain line (no stack trace, nothing read into memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputBytes, readInputFile, MAX_INPUT_FILE_BYTES } from '../src/cli/input-file.ts';
import { DomainError } from '../src/core/errors.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';
import { runCli } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'soberana-caps-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DomainError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

test('a file over the cap is refused by its size before it is read; a directory or a missing path is refused in one line', () => {
  const big = join(dir, 'big.txt');
  writeFileSync(big, '');
  truncateSync(big, MAX_INPUT_FILE_BYTES + 1);
  const e = refusal(() => readInputFile(big, 'address file'));
  assert.equal(e.code, 'INVALID_ARGUMENT');
  assert.equal(e.message, `the address file ${big} is ${MAX_INPUT_FILE_BYTES + 1} bytes, over the ${MAX_INPUT_FILE_BYTES}-byte limit`);
  assert.equal(refusal(() => readInputBytes(dir, 'PSBT file')).message, `the PSBT file ${dir} is not a file`);
  assert.match(refusal(() => readInputFile(join(dir, 'missing.json'), 'policy file')).message, /^cannot read the policy file \S+missing\.json \(ENOENT\)$/);
  const small = join(dir, 'ok.txt');
  writeFileSync(small, 'bc1q…\n');
  assert.equal(readInputFile(small, 'address file', 16), 'bc1q…\n');
  assert.equal(refusal(() => readInputFile(small, 'address file', 4)).code, 'INVALID_ARGUMENT');
});

test('the CLI: policy propose and psbt inspect refuse an oversized file with one line and the argument exit code', async () => {
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, '{');
  truncateSync(policy, 2 * 1024 * 1024);
  const p = await runCli(['policy', 'propose', policy, '--as', 'ana'], { cwd: dir, env: { SOBERANA_HOME: dir } });
  assert.equal(p.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT, p.stderr);
  assert.equal(p.stderr.trim(), `error: the policy file ${policy} is 2097152 bytes, over the 1048576-byte limit`);
  const psbt = join(dir, 'huge.psbt');
  writeFileSync(psbt, '');
  truncateSync(psbt, 3 * 1024 * 1024);
  const i = await runCli(['psbt', 'inspect', psbt], { cwd: dir, env: { SOBERANA_HOME: dir } });
  assert.equal(i.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT, i.stderr);
  assert.equal(i.stderr.trim().split('\n').length, 1, i.stderr);
  assert.match(i.stderr, /is 3145728 bytes, over the 2097152-byte limit/);
});
