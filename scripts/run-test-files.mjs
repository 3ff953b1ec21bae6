// The test process of scripts/run-tests.mjs (run it through that script, which compiles first):
//   node --import tsx scripts/run-test-files.mjs <file>…
// Runs the files with node:test's run() in the order given — run-tests.mjs puts the slowest first,
// so the two slots do not end with one long file running alone — whereas `node --test` sorts
// them by name. Each file gets its own process, which inherits this one's `--import tsx`.
// Starts one throwaway PostgreSQL cluster for the run (the files' forEachEngine tests make their
// own databases in it: test/helpers/engines.ts) instead of one per file.
// Reports as `node --test` does: TAP (spec under CI) on stdout, the time per file in test-output/.
import { createWriteStream, readFileSync, renameSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fileTimes from './test-file-times.mjs';
import { postgresAvailability, SHARED_PG_ENV, startPostgres } from '../test/helpers/postgres.ts';

const files = process.argv.slice(2);
const concurrency = Number(process.env.SOBERANA_TEST_CONCURRENCY ?? 2);

// up to two files at once, each with a pool per open database: room for many connections
// (SOBERANA_TEST_SHARED_PG=0: one cluster per file, as when a file runs on its own)
// (worth it only when two files or more use it: a run of a few other files starts none)
const pgFiles = files.filter((f) => readFileSync(f, 'utf8').includes('forEachEngine(')).length;
const cluster = pgFiles >= 2 && postgresAvailability().ok && process.env.SOBERANA_TEST_SHARED_PG !== '0'
  ? await startPostgres({ maxConnections: 300 }).catch((e) => {
    process.stderr.write(`run-tests: no shared PostgreSQL cluster (${e instanceof Error ? e.message : String(e)}); each file starts its own\n`);
    return undefined;
  })
  : undefined;
if (cluster) process.env[SHARED_PG_ENV] = String(cluster.port); // the files' processes inherit it

const stream = run({ files, concurrency });
stream.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) process.exitCode = 1;
});
stream.compose(process.env.CI ? new spec() : tap).pipe(process.stdout);
// written aside and renamed when complete: runs that overlap do not interleave their lines
const timesFile = 'test-output/test-times.txt';
const times = stream.compose(fileTimes).pipe(createWriteStream(`${timesFile}.${process.pid}.tmp`));
try {
  await finished(times);
  renameSync(`${timesFile}.${process.pid}.tmp`, timesFile);
} finally {
  await cluster?.stop();
}
