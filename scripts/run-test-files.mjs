// The test process of scripts/run-tests.mjs (run it through that script, which compiles first):
//   node --import tsx scripts/run-test-files.mjs <file>…
// Runs the files with node:test's run() in the order given — run-tests.mjs puts the slowest first,
// so the two slots do not end with one long file running alone — whereas `node --test` sorts
// them by name. Each file gets its own process, which inherits this one's `--import tsx`.
// Reports as `node --test` does: TAP (spec under CI) on stdout, the time per file in test-output/.
import { createWriteStream } from 'node:fs';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fileTimes from './test-file-times.mjs';

const files = process.argv.slice(2);
const concurrency = Number(process.env.SOBERANA_TEST_CONCURRENCY ?? 2);
const stream = run({ files, concurrency });
stream.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) process.exitCode = 1;
});
stream.compose(process.env.CI ? new spec() : tap).pipe(process.stdout);
stream.compose(fileTimes).pipe(createWriteStream('test-output/test-times.txt'));
