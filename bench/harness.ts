/**
 * The benchmark harness. Each `bench/<name>.bench.ts` default-exports a `Benchmark`; `bench/run.ts`
 * runs them, prints one table and writes `bench/results.json`. Rules: warm up first, take the
 * median of several runs, and measure the peer in the same run so the ratio is meaningful on a
 * shared, noisy machine.
 */
export interface BenchRow {
  /** What is measured, e.g. "block scan (4 mainnet blocks)". */
  readonly name: string;
  /** Unit of `ours`/`peer`, e.g. "MB/s", "addr/s", "sats", "ms p50". */
  readonly unit: string;
  readonly ours: number;
  readonly peer: number | null;
  readonly peerName: string | null;
  /** true when a bigger number is better (throughput); false for latency, fees, bytes. */
  readonly higherIsBetter: boolean;
  /** A physical limit or reference on the same bytes, e.g. SHA-256d throughput. */
  readonly reference?: { readonly name: string; readonly value: number } | null;
  /** A target the issue sets, for the table's verdict column. */
  readonly target?: number | null;
  /** Peak resident set size of the process during this benchmark, in MB. */
  readonly peakRssMb?: number | null;
  readonly notes?: string;
}

export interface Benchmark {
  /** Short name used on the command line: `npm run bench -- scan`. */
  readonly name: string;
  readonly description: string;
  run(): Promise<BenchRow[]>;
}

export interface MeasureOptions {
  readonly warmup?: number;
  readonly runs?: number;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Time `fn` (which does one unit of work of the given size) and return the median seconds per call,
 * after `warmup` untimed calls. Interleave ours and the peer's calls yourself when comparing, or
 * call this twice back to back in the same process.
 */
export async function timeMedian(fn: () => unknown, opts: MeasureOptions = {}): Promise<number> {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 7;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(samples);
}

/**
 * Compare ours and a peer on the same work, alternating the two so that noise from other processes
 * hits both alike. Returns median seconds per call of each.
 */
export async function compareMedian(ours: () => unknown, peer: () => unknown, opts: MeasureOptions = {}): Promise<{ ours: number; peer: number }> {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 7;
  for (let i = 0; i < warmup; i++) {
    await ours();
    await peer();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = process.hrtime.bigint();
    await ours();
    a.push(Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    await peer();
    b.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { ours: median(a), peer: median(b) };
}

/** Tracks peak RSS while a benchmark runs (sampled every 20 ms, plus resourceUsage's maxRSS). */
export function rssTracker(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  t.unref();
  return {
    stop() {
      clearInterval(t);
      peak = Math.max(peak, process.memoryUsage.rss());
      return Math.round(peak / 1e6);
    },
  };
}
