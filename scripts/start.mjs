#!/usr/bin/env node
// `npm start`: the newcomer's entry point — runs `soberana demo` (embedded regtest node, El Salvador's
// replayed reserve, a Pakistan vault, the dashboard). Arguments pass through: `npm start -- --reset`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', 'bin', 'soberana.js');
const r = spawnSync(process.execPath, [bin, 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
