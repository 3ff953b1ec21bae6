#!/usr/bin/env node
// `npm start`: the newcomer's entry point — runs `soberana demo` (embedded regtest node, El Salvador's
// replayed reserve, a Pakistan vault, the dashboard). Arguments pass through: `npm start -- --reset`.
// Runs the compiled code (bin/soberana.js → dist/), compiling first if a source changed since the
// last build (`npm ci` built it; an edit afterwards must not leave `npm start` running old code).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { compile } from './build.mjs';

try {
  await compile();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}

const bin = join(import.meta.dirname, '..', 'bin', 'soberana.js');
const child = spawn(process.execPath, [bin, 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl+C reaches the whole process group in a terminal; when only this process is signalled
// (a supervisor, a test), pass it on. Either way, wait for the demo to shut down cleanly.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
