#!/usr/bin/env node
// `npm start`: the newcomer's entry point. Until the demo lands this prints the status of the
// local installation and the next steps.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', 'bin', 'soberana.js');
const r = spawnSync(process.execPath, [bin, 'status', ...process.argv.slice(2)], { stdio: 'inherit' });
console.log('\nNext: "npx soberana --help" lists every command.');
process.exit(r.status ?? 1);
