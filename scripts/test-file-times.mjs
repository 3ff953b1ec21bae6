// A node:test reporter that writes how long each test file took, slowest first — to see where the
// suite's time goes. run-tests.mjs writes it to test-output/test-times.txt beside the normal report,
// and merges the wall times into test-output/test-times.json, which it reads to start the slowest
// files first.
//
// Two figures per file:
//   wall   the file's own process, start to exit: loading, hooks (starting a node or a cluster),
//          tests, teardown — what the file costs the suite;
//   tests  the sum of its top-level tests (a describe counts with its hooks).
//
// Attribution: node:test gives each event the `file` where the test was *declared*, so the
// describe that test/helpers/engines.ts declares for each engine would be charged to engines.ts.
// The runner forwards one test file's events at a time (a file's report is buffered until the
// files before it are reported), so an event declared outside a test file belongs to the test
// file whose events came just before it — for forEachEngine, the tests inside the describe.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const TEST_FILE = /\.test\.[cm]?[jt]s$/;
export const TIMES_JSON = 'test-output/test-times.json';

export default async function* fileTimes(source) {
  const tests = new Map();
  const wall = new Map();
  let current; // the test file whose events are being forwarded
  for await (const event of source) {
    const data = event.data ?? {};
    const { file, nesting } = data;
    if (!file) continue;
    // the per-file process itself (name = its path): its events are not buffered, so they do not
    // say which file is being forwarded; its `test:complete` carries the file's wall time
    const fileLevel = nesting === 0 && typeof data.name === 'string' && resolve(data.name) === file;
    if (fileLevel) {
      if (event.type === 'test:complete' && data.details?.duration_ms !== undefined) wall.set(file, data.details.duration_ms);
      continue;
    }
    if (TEST_FILE.test(file)) current = file;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (nesting !== 0) continue;
    const owner = TEST_FILE.test(file) ? file : (current ?? file);
    tests.set(owner, (tests.get(owner) ?? 0) + (data.details?.duration_ms ?? 0));
  }
  const files = new Set([...tests.keys(), ...wall.keys()]);
  const rows = [...files].map((f) => ({ file: f.replace(process.cwd() + '/', ''), wall: wall.get(f), tests: tests.get(f) ?? 0 }));
  rows.sort((a, b) => (b.wall ?? b.tests) - (a.wall ?? a.tests));
  const sum = (k) => rows.reduce((n, r) => n + (r[k] ?? 0), 0);
  const s = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(1)).padStart(7);
  yield `# time per test file, slowest first: wall = the file's process from start to exit (loading, hooks, tests);\n`;
  yield `# tests = sum of its top-level tests. Files run two at a time, so the suite takes about half the wall total.\n`;
  yield `# total wall ${(sum('wall') / 1000).toFixed(1)} s, tests ${(sum('tests') / 1000).toFixed(1)} s over ${rows.length} files\n`;
  yield `#  wall s  tests s  file\n`;
  for (const r of rows) yield `${s(r.wall)}  ${s(r.tests)}  ${r.file}\n`;
  mergeWallTimes(rows);
}

/** Keep the latest wall time of every file ever run (a run of a few files updates only those). */
function mergeWallTimes(rows) {
  let known = {};
  try {
    known = JSON.parse(readFileSync(TIMES_JSON, 'utf8'));
  } catch {
    // first run, or a broken file: start again
  }
  for (const r of rows) if (r.wall !== undefined) known[r.file] = Math.round(r.wall);
  const tmp = `${TIMES_JSON}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(known, null, 1) + '\n');
    renameSync(tmp, TIMES_JSON);
  } catch {
    // the times are a hint for scheduling; never fail a test run over them
  }
}
