#!/usr/bin/env node
// `npm start`: the newcomer's entry point — runs `soberana demo` (embedded regtest node, El Salvador's
// replayed reserve, a Pakistan vault, the dashboard). Arguments pass through: `npm start -- --reset`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
