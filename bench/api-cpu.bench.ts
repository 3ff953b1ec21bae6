/**
 * Server CPU per request on the public routes, next to bare Fastify sending the same bytes: the
 * server runs in a child process (bench/api-cpu-server.ts) and its user+system CPU time is read
 * from /proc before and after a fixed number of requests. Unlike requests per second, this does
 * not depend on how much of the machine the other processes leave to the server and its client,
 * so on a shared two-core machine it is the steadier measure of what each request costs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Benchmark, BenchRow } from './harness.ts';
import { median } from './harness.ts';

type Autocannon = (opts: { url: string; connections: number; amount: number; headers?: Record<string, string> }) => Promise<{ non2xx: number; errors: number }>;
// autocannon ships no types; its call is small enough to describe here
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const REQUESTS = Number(process.env.BENCH_API_CPU_REQUESTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 3);
const browser = { 'accept-encoding': 'gzip, deflate, br, zstd' };
const ROUTES: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
  ['public summary', '/api/v1/public/summary', {}],
  ['public history (50 newest transactions)', '/api/v1/public/transactions?limit=50', {}],
  ['public holdings over time', '/api/v1/public/holdings', {}],
  ['public holdings over time, as a browser asks (Accept-Encoding)', '/api/v1/public/holdings', browser],
  ['public holdings over time, one vault', '/api/v1/public/holdings?vault=el-salvador', {}],
  ['public addresses', '/api/v1/public/addresses', {}],
];

/** The child's user+system CPU so far, in milliseconds (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const bench: Benchmark = {
  name: 'api-cpu',
  description: `server CPU per public request (${REQUESTS.toLocaleString('en-US')} requests a run, 10 connections, ${ROUNDS} alternated rounds) vs bare Fastify sending the same bytes`,
  async run(): Promise<BenchRow[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'api-cpu-server.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_API_CPU_ROUTES: JSON.stringify(ROUTES.map(([, p, h]) => [p, h])) },
    });
    try {
      const info = await new Promise<{ url: string; peerUrl: string; sizes: number[] }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString('utf8');
          const line = out.split('\n')[0];
          if (out.includes('\n') && line) resolve(JSON.parse(line) as { url: string; peerUrl: string; sizes: number[] });
        });
        child.on('exit', (code) => reject(new Error(`bench api-cpu: the server exited (${code})`)));
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error('bench api-cpu: no server process');
      const perRequestUs = async (url: string, headers: Record<string, string>): Promise<number> => {
        const before = cpuMs(pid);
        const r = await autocannon({ url, connections: 10, amount: REQUESTS, headers });
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`bench api-cpu: ${url} answered ${r.non2xx} non-2xx and ${r.errors} errors`);
        return ((cpuMs(pid) - before) * 1000) / REQUESTS;
      };
      const base = info.url.replace(/\/$/, '');
      const peerBase = info.peerUrl.replace(/\/$/, '');
      for (const [i, [, path, headers]] of ROUTES.entries()) {
        await autocannon({ url: `${base}${path}`, connections: 4, amount: 2000, headers });
        await autocannon({ url: `${peerBase}/same/${i}`, connections: 4, amount: 2000, headers });
      }
      await autocannon({ url: `${peerBase}/`, connections: 4, amount: 2000 });
      const rows: BenchRow[] = [];
      for (const [i, [name, path, headers]] of ROUTES.entries()) {
        const ours: number[] = [];
        const peer: number[] = [];
        const hello: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          peer.push(await perRequestUs(`${peerBase}/same/${i}`, headers));
          ours.push(await perRequestUs(`${base}${path}`, headers));
          hello.push(await perRequestUs(`${peerBase}/`, {}));
        }
        const bytes = info.sizes[i] ?? 0;
        rows.push({
          name: `${name}: server CPU per request`,
          unit: 'µs',
          ours: median(ours),
          peer: median(peer),
          peerName: `bare Fastify, same ${bytes.toLocaleString('en-US')} bytes`,
          higherIsBetter: false,
          notes: `median of ${ROUNDS} runs of ${REQUESTS} requests; ours ${ours.map((x) => x.toFixed(0)).join(', ')} µs; same bytes ${peer.map((x) => x.toFixed(0)).join(', ')} µs; a hello-world ${median(hello).toFixed(0)} µs (10 ms clock ticks: ±${(10_000 / REQUESTS).toFixed(1)} µs)`,
        });
      }
      return rows;
    } finally {
      child.kill('SIGTERM');
    }
  },
};

export default bench;
