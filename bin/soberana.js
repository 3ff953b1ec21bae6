#!/usr/bin/env node
// Entry point of the `soberana` command: runs the compiled JavaScript in dist/ (made by
// `npm run build`, which `npm ci` runs through `prepare`; see docs/adr/0008-compile-to-javascript.md).
// In a source checkout (src/ beside dist/) it first recompiles if a source changed, so a developer
// never runs stale code; an installed package has no src/ and skips that check.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
if (existsSync(new URL('src/cli/main.ts', root)) && existsSync(new URL('scripts/build.mjs', root))) {
  const { compile } = await import('../scripts/build.mjs');
  await compile();
}
const main = new URL('dist/cli/main.js', root);
if (!existsSync(main)) {
  process.stderr.write('error: soberana is not built yet: run "npm run build" (or "npm ci") in its folder\n');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
