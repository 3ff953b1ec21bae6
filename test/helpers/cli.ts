import { execFile as execFileCb } from 'node:child_process';
import { join } from 'node:path';
import { compile } from '../../scripts/build.mjs';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'soberana.js');

// The binary runs the compiled dist/: compile first if a source changed (a no-op when
// scripts/run-tests.mjs already did), so a test file run on its own never tests stale code.
await compile();

/** Run the real, compiled `soberana` binary (as a user would) and capture its output and exit code. */
export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFileCb(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
