#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`, and before the tests): compiles src/
// to JavaScript in dist/ with tsc (tsconfig.build.json) and builds the dashboard into web/dist
// with Vite. Incremental: when no source is newer than the last build, it costs a directory walk.
// See docs/adr/0008-compile-to-javascript.md.
//   node scripts/build.mjs            compile if stale, then build the dashboard if stale
//   node scripts/build.mjs --no-web   compile only
//   node scripts/build.mjs --force    compile even if nothing changed
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
/** Written after every successful compile: its time is the time of the build. */
const STAMP = join(DIST, '.build-stamp');
const LOCK = join(ROOT, '.build-lock');
/** When "1", compile() assumes dist/ is current (see compile). */
export const SKIP_ENV = 'SOBERANA_BUILD_CHECKED';
const INPUTS = [join(ROOT, 'src'), join(ROOT, 'tsconfig.json'), join(ROOT, 'tsconfig.build.json')];

/** Newest modification time under `p` (directories count: deleting or renaming a file changes them). */
function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return p.endsWith('.test.ts') ? 0 : st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(p)) t = Math.max(t, newest(join(p, name)));
  return t;
}

/** Whether dist/ is missing or older than a source file or a tsconfig. */
export function compileStale() {
  if (!existsSync(STAMP) || !existsSync(join(DIST, 'cli', 'main.js')) || !existsSync(join(DIST, 'vendor', 'kysely.js'))) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((p) => newest(p) > built);
}

/** Is the process that took the lock still running? (unknown holder: assume so until it ages out) */
function holderAlive() {
  let pid;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    return true; // just created, pid not written yet
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** One build at a time across processes (test runs and test files may start together). */
async function withLock(fn) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // a lock left by a killed build (kill -9, Ctrl-C mid-compile): its holder is gone, or it is
      // older than five minutes
      if (!holderAlive() || Date.now() - statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`build: ${LOCK} held for five minutes; remove it if no build is running`, { cause: e });
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Compile src/ to dist/ if stale (tsc's incremental build); resolves to whether it compiled.
 * `strict` (npm run build, prepare): type errors fail the build, tsc's messages shown. Otherwise
 * (before tests, a CLI run in a source checkout): silent, and type errors do not stop it — tsc
 * still emits, and `npm run typecheck` is the gate for types, as it was when tsx ran the sources.
 */
export async function compile({ force = false, strict = false } = {}) {
  // set by scripts/run-tests.mjs for the tests it runs: it compiled once before them, and a run
  // tests that one build (a source saved mid-run must not recompile under running tests)
  if (!force && process.env[SKIP_ENV] === '1') return false;
  if (!force && !compileStale()) return false;
  return withLock(async () => {
    if (!force && !compileStale()) return false; // another process built it meanwhile
    const started = Date.now();
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: strict ? 'inherit' : 'pipe', cwd: ROOT, encoding: 'utf8' });
    // tsc exits 2 when it emitted despite type errors, 1 when it emitted nothing
    if (r.status !== 0 && (strict || r.status !== 2)) {
      throw new Error(`build: tsc failed${strict ? ' (see the errors above)' : `:\n${r.stdout ?? ''}${r.stderr ?? ''}`}`);
    }
    removeOrphans(DIST);
    await vendorKysely();
    // the stamp's time is when compiling began: a source saved during the compile stays newer
    writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
    utimesSync(STAMP, new Date(started), new Date(started));
    return true;
  });
}

/**
 * Kysely ships as ~280 ES modules, and loading them is most of a short command's start (about half
 * a second on this project's 2-core machine, against ~40 ms for the same code in one file). The
 * build bundles it into dist/vendor/kysely.js (esbuild, licence comments kept) and points the
 * compiled imports at that file. The sources and the tests import the package as usual.
 */
async function vendorKysely() {
  const out = join(DIST, 'vendor', 'kysely.js');
  const pkgJson = join(ROOT, 'node_modules', 'kysely', 'package.json');
  if (!existsSync(out) || !existsSync(pkgJson) || statSync(out).mtimeMs < statSync(pkgJson).mtimeMs) {
    const esbuild = await import('esbuild');
    const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
    const licence = readFileSync(join(ROOT, 'node_modules', 'kysely', 'LICENSE'), 'utf8').trim().split('\n').map((l) => `// ${l}`.trimEnd()).join('\n');
    await esbuild.build({
      banner: { js: `// kysely ${version}, bundled into one file by scripts/build.mjs. Its licence:\n${licence}` }, entryPoints: ['kysely'], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, legalComments: 'inline', logLevel: 'error', absWorkingDir: ROOT });
  }
  const rewrite = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (p !== join(DIST, 'vendor')) rewrite(p);
        continue;
      }
      if (!name.endsWith('.js')) continue;
      const text = readFileSync(p, 'utf8');
      if (!text.includes("'kysely'")) continue;
      let rel = relative(dir, out).split('\\').join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      writeFileSync(p, text.replace(/(from |import\()'kysely'/g, `$1'${rel}'`));
    }
  };
  rewrite(DIST);
}

/** Delete compiled files whose source is gone (tsc never deletes), so dist/ and the package match src/. */
function removeOrphans(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p !== join(DIST, 'vendor')) removeOrphans(p); // bundled third-party code has no source here
    } else if (name.endsWith('.js') && !existsSync(join(ROOT, 'src', relative(DIST, p)).replace(/\.js$/, '.ts'))) rmSync(p);
  }
}

/** Build the dashboard into web/dist if it is missing or stale (the server's own check). */
export async function buildWeb() {
  const { ensureWebBuilt } = await import(pathToFileURL(join(DIST, 'server', 'web-build.js')).href);
  await ensureWebBuilt();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  try {
    const compiled = await compile({ force: args.includes('--force'), strict: true });
    if (!args.includes('--no-web')) await buildWeb();
    if (!args.includes('--quiet')) console.error(compiled ? 'build: compiled src/ to dist/' : 'build: dist/ is up to date');
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
