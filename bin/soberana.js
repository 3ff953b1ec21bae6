#!/usr/bin/env node
// Entry point of the `soberana` command: runs the compiled JavaScript in dist/ (made by
// `npm run build`, which `npm ci` runs through `prepare`; see docs/adr/0008-compile-to-javascript.md).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('error: soberana is not built yet: run "npm run build" (or "npm ci") in its folder\n');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
