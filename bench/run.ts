/**
 * `npm run bench [-- NAME…]`: runs the benchmarks in bench/*.bench.ts (all, or those named),
 * prints one table (ours, the peer's, the ratio, the reference) and writes bench/results.json.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Benchmark, BenchRow } from './harness.ts';
import { rssTracker } from './harness.ts';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const benches: Benchmark[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: Benchmark };
  if (wanted.length === 0 || wanted.includes(mod.default.name)) benches.push(mod.default);
}
if (benches.length === 0) {
  console.error(`bench: nothing matched ${wanted.join(' ')}; available: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')}`);
  process.exit(2);
}

const results: Array<BenchRow & { bench: string }> = [];
for (const b of benches) {
  process.stderr.write(`bench: ${b.name} — ${b.description}\n`);
  const rss = rssTracker();
  const rows = await b.run();
  const peak = rss.stop();
  for (const r of rows) results.push({ bench: b.name, ...r, peakRssMb: r.peakRssMb ?? peak });
}

function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

const header = ['benchmark', 'ours', 'peer', 'peer name', 'ratio', 'reference', 'target', 'peak RSS'];
const lines = results.map((r) => {
  const ratio = r.peer ? (r.higherIsBetter ? r.ours / r.peer : r.peer / r.ours) : null;
  const target = r.target === null || r.target === undefined ? '—' : `${r.higherIsBetter ? '≥' : '≤'} ${fmt(r.target)} ${(r.higherIsBetter ? r.ours >= r.target : r.ours <= r.target) ? 'met' : 'MISSED'}`;
  return [
    r.name,
    `${fmt(r.ours)} ${r.unit}`,
    r.peer === null ? '—' : `${fmt(r.peer)} ${r.unit}`,
    r.peerName ?? '—',
    ratio === null ? '—' : `${ratio.toFixed(2)}×${r.higherIsBetter ? '' : ' (peer/ours)'}`,
    r.reference ? `${r.reference.name}: ${fmt(r.reference.value)} ${r.unit}` : '—',
    target,
    `${r.peakRssMb ?? '—'} MB`,
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
console.log(row(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const l of lines) console.log(row(l));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\n${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ratios > 1 mean Soberana is better.`);

writeFileSync(
  join(dir, 'results.json'),
  JSON.stringify({ date: new Date().toISOString(), machine: { cpu, cores: cpus().length, node: process.version }, results }, null, 2) + '\n',
);
