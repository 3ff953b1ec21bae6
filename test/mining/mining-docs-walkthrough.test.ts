// docs/mining.md, "A venture from scratch, on the embedded regtest node": the walkthrough stays
// true. Every `$ ` command between the markers `<!-- walkthrough:start -->` and
// `<!-- walkthrough:end -->` is run in order, as written, with the same environment (the `export`
// lines), and each must exit with the code the doc shows (0, unless an `echo $?` line after it says
// otherwise); the output the doc shows under a command must be what it printed, line for line,
// with 64- and 48-hex-digit words (txids, block hashes, the node's random password) and a signed
// transaction's size in vbytes (its signatures are 71 or 72 bytes) free. A `…`
// line in the doc's output stands for lines left out.
//
// How it runs, so it stays fast: `soberana …` lines with no shell operator go through the compiled
// CLI in-process (test/helpers/cli.ts, the same `main()` bin/soberana.js calls), with their words
// expanded by bash exactly as a shell would; every other line runs in bash from the repository root
// with the same `soberana` function the doc defines; `… &` starts in the background and `kill %1`
// stops it. Two things are substituted: the doc's folder /tmp/mining-walk becomes a temporary one
// and its RPC port 18475 a free one, so runs never collide.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'mining.md');
const DOC_DIR = '/tmp/mining-walk';
const DOC_PORT = '18475';
const SOBERANA_FN = 'soberana() { node bin/soberana.js "$@"; }';

interface Step {
  readonly command: string;
  readonly output: string[];
  readonly exitCode: number;
}

/** The walkthrough's commands, their output and exit codes, from the doc. */
export function walkthroughSteps(markdown: string): Step[] {
  const start = markdown.indexOf('<!-- walkthrough:start -->');
  const end = markdown.indexOf('<!-- walkthrough:end -->');
  if (start < 0 || end < start) throw new Error('docs/mining.md: walkthrough markers not found');
  const section = markdown.slice(start, end);
  const steps: { command: string; output: string[]; exitCode: number }[] = [];
  for (const block of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.startsWith('$ ')) {
        const command = line.slice(2);
        if (command === 'echo $?') {
          steps.push({ command, output: [], exitCode: 0 });
          continue;
        }
        steps.push({ command, output: [], exitCode: 0 });
      } else if (steps.length > 0 && line !== '') {
        const last = steps[steps.length - 1] as { command: string; output: string[]; exitCode: number };
        if (last.command === 'echo $?') {
          const prev = steps[steps.length - 2];
          if (!prev || !/^\d+$/.test(line)) throw new Error(`docs/mining.md: "echo $?" must follow a command and show a number, got "${line}"`);
          prev.exitCode = Number(line);
        } else last.output.push(line);
      }
    }
  }
  return steps.filter((s) => s.command !== 'echo $?');
}

const HEX = /\b[0-9a-f]{64}\b|\b[0-9a-f]{48}\b/g;
// a signed transaction's size varies by a vbyte with its signatures' length (DER, 71 or 72 bytes)
const VSIZE = /\b\d+ vB\b/g;
const norm = (l: string): string => l.replace(HEX, '<hex>').replace(VSIZE, '<n> vB').trimEnd();

/** The doc's lines are the real output's, in order; without a `…` line, all of it. */
function assertOutput(step: Step, actual: string): void {
  const got = actual.split('\n').map(norm).filter((l) => l !== '');
  const want = step.output.map(norm);
  const elided = want.includes('…');
  if (!elided) {
    assert.deepEqual(got, want, `output of: ${step.command}`);
    return;
  }
  let i = 0;
  for (const w of want.filter((l) => l !== '…')) {
    while (i < got.length && got[i] !== w) i++;
    assert.ok(i < got.length, `output of: ${step.command}\nmissing line: ${w}\nactual:\n${got.join('\n')}`);
    i++;
  }
}

// relative paths in the doc (docs/examples/…) are from the repository root, in-process too
process.chdir(ROOT);
const runCli = cliInProcess();
const dir = mkdtempSync(join(tmpdir(), 'soberana-mining-walk-'));
let background: ChildProcess | null = null;
after(() => {
  if (background?.pid !== undefined && background.exitCode === null) process.kill(-background.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('docs/mining.md: the venture walkthrough runs as written, with the exit codes and the output it shows', { timeout: 240_000 }, async () => {
  const port = String(await freePort());
  const steps = walkthroughSteps(readFileSync(DOC, 'utf8'));
  assert.ok(steps.length >= 20, `walkthrough has ${steps.length} commands`);
  // the figures the doc's prose is about are among the commands' output
  const sub = (s: string): string => s.replaceAll(DOC_DIR, dir).replaceAll(DOC_PORT, port);
  let env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const k of Object.keys(env)) if (k.startsWith('SOBERANA_')) delete env[k];
  const bash = (script: string, extra = ''): { code: number; out: string } => {
    const r = spawnSync('bash', ['-c', `${SOBERANA_FN}\n${script}${extra}`], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
  };
  for (const step of steps) {
    const command = sub(step.command);
    let code: number;
    let out: string;
    if (command.startsWith('soberana() ')) {
      assert.equal(step.command, SOBERANA_FN, 'the doc defines soberana as the test does');
      continue;
    } else if (command.endsWith(' &')) {
      assert.equal(background, null, 'one background job');
      background = spawn('bash', ['-c', `${SOBERANA_FN}\n${command.slice(0, -2)}`], { cwd: ROOT, env, detached: true, stdio: 'ignore' });
      code = 0;
      out = '';
    } else if (command === 'kill %1') {
      const b = background;
      assert.ok(b?.pid !== undefined, 'a background job to stop');
      const exited = new Promise<number | null>((resolve) => b.on('exit', (c) => resolve(c)));
      process.kill(-b.pid, 'SIGTERM'); // what bash's `kill %1` sends
      await exited;
      code = 0;
      out = '';
    } else if (command.startsWith('export ')) {
      const r = bash(command, `\nenv -0 > '${join(dir, 'walk.env')}'`);
      code = r.code;
      out = r.out;
      if (code === 0) env = Object.fromEntries(readFileSync(join(dir, 'walk.env'), 'utf8').split('\0').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    } else if (command.startsWith('soberana ') && !/[|&;<>]/.test(command.replace(/"[^"]*"|'[^']*'/g, ''))) {
      const words = spawnSync('bash', ['-c', `set -- ${command.slice('soberana '.length)}\nprintf '%s\\0' "$@"`], { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(words.status, 0, words.stderr);
      const r = await runCli(words.stdout.split('\0').slice(0, -1), { env, timeoutMs: 120_000 });
      code = r.code;
      out = `${r.stdout}${r.stderr}`;
    } else {
      const r = bash(command);
      code = r.code;
      out = r.out;
    }
    assert.equal(code, step.exitCode, `exit code of: ${step.command}\n${out}`);
    assertOutput({ ...step, output: step.output.map(sub) }, out);
  }
  assert.notEqual(background, null, 'the walkthrough ran its node');
});
