#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner through tsx.
// Node 20 does not expand globs, so the files are listed here and passed explicitly.
// First compiles src/ to dist/ if any source changed (scripts/build.mjs): the CLI tests run the
// compiled `bin/soberana.js`, as users do, so they must never run stale code.
// Usage: node scripts/run-tests.mjs [substring…]   (filters test files by path)
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { compile, SKIP_ENV } from './build.mjs';
import { TIMES_JSON } from './test-file-times.mjs';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['src', 'test']
  .flatMap((d) => walk(d, []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
delete process.env[SKIP_ENV]; // this run checks, whatever its caller said
try {
  await compile();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
// the usual report on stdout (spec in CI, tap otherwise), and the time each file took in test-output/
mkdirSync('test-output', { recursive: true });
// the slowest files first (wall times of earlier runs here, test-output/test-times.json, else the
// committed scripts/test-times-seed.json, ms per file from a clean run): two run at once, and a
// long file started last would run alone at the end. A file with no time yet (a new test) counts
// as the median known file: mid-run, never in the short tail where a long new file would run alone.
const known = { ...readTimes(join(import.meta.dirname, 'test-times-seed.json')), ...readTimes(TIMES_JSON) };
const knownTimes = files.map((f) => known[f]).filter((t) => typeof t === 'number').sort((a, b) => a - b);
const guess = knownTimes[Math.floor(knownTimes.length / 2)] ?? 0;
const order = [...files].sort((a, b) => (known[b] ?? guess) - (known[a] ?? guess));
// the tests (and every CLI they spawn) run this one build, even if a source is saved meanwhile
const env = { ...process.env, [SKIP_ENV]: '1' };
const runner = join(import.meta.dirname, 'run-test-files.mjs');
const r = spawnSync(process.execPath, ['--import', 'tsx', runner, ...order], { stdio: 'inherit', env });
process.exit(r.status ?? 1);

function readTimes(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
