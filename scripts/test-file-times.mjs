// A node:test reporter that writes how long each test file took (the sum of its top-level tests;
// file-level before/after hooks such as starting a node are not counted), slowest first — to see where the suite's time goes. run-tests.mjs writes it to
// test-output/test-times.txt beside the normal report.
export default async function* fileTimes(source) {
  const byFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    byFile.set(file, (byFile.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((n, [, ms]) => n + ms, 0);
  yield `# test time per file (sum of top-level tests, hooks not counted; two files run at once, so the wall time is about half the total)\n`;
  yield `# total ${(total / 1000).toFixed(1)} s over ${rows.length} files\n`;
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file.replace(process.cwd() + '/', '')}\n`;
}
