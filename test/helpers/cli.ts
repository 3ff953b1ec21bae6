import { execFile as execFileCb } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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

/**
 * The same CLI, run in-process: each command line goes through the compiled `main()` that
 * bin/soberana.js calls, in one worker thread that loaded it once (a new process per command
 * costs about a second of module loading). For tests of what commands do — output, exit codes,
 * stored state; tests of process behaviour (signals, the binary, `npm start`) keep `runCli`.
 * The environment is the test process's plus `opts.env`, as with `runCli`. A worker cannot change
 * directory, so there is no `cwd`: pass absolute paths.
 */
export function cliInProcess(): (args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }) => Promise<CliResult> {
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  let next = 0;
  const pending = new Map<number, (r: CliResult) => void>();
  const start = (): Promise<void> => {
    ready ??= new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('./cli-worker.mjs', import.meta.url), {
        workerData: { mainUrl: pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js')).href },
        execArgv: [], // plain JavaScript: no TypeScript loader
        stdout: true, // anything written past the capture stays out of the test report
        stderr: true,
      });
      w.on('message', (msg: { ready?: true; id?: number } & Partial<CliResult>) => {
        if (msg.ready) {
          w.unref(); // idle until the first call (ref'd while loading, so the loading is awaited)
          return resolve();
        }
        const done = pending.get(msg.id ?? -1);
        pending.delete(msg.id ?? -1);
        if (pending.size === 0) w.unref(); // idle: never keeps the test process alive
        done?.({ code: msg.code ?? 1, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '' });
      });
      const fail = (why: string): void => {
        for (const done of pending.values()) done({ code: 1, stdout: '', stderr: `the CLI worker ${why}\n` });
        pending.clear();
      };
      w.on('error', (e) => {
        reject(e);
        fail(`failed: ${e.message}`);
      });
      w.on('exit', (code) => {
        reject(new Error(`the CLI worker exited (${code})`));
        fail(`exited (${code})`);
      });
      worker = w;
    });
    return ready;
  };
  return async (args, opts = {}) => {
    await start();
    const w = worker as Worker;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    const id = ++next;
    w.ref();
    const result = new Promise<CliResult>((resolve) => pending.set(id, resolve));
    w.postMessage({ id, args: [...args], env });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CliResult>((resolve) => {
      timer = setTimeout(() => resolve({ code: 1, stdout: '', stderr: `soberana ${args.join(' ')}: no answer in ${opts.timeoutMs ?? 60_000} ms\n` }), opts.timeoutMs ?? 60_000);
      timer.unref();
    });
    try {
      return await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
