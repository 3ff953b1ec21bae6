// `npm start` on a fresh data folder: the demo builds El Salvador's replayed reserve, serves the
// dashboard and the API, and a second start reuses the data. (How long it took is printed as a
// diagnostic; speed is measured in bench/, not asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/cli.ts';

// The commands run against the demo (verify, export, import, sync, balance) are about what they
// answer, not the process: one worker loads the CLI once instead of a process per command.
const runCli = cliInProcess();
const START = join(import.meta.dirname, '..', '..', 'scripts', 'start.mjs');
const dataDir = join(mkdtempSync(join(tmpdir(), 'soberana-demo-')), 'demo');

interface DemoOut {
  url: string;
  rpc: { url: string; user: string; password: string };
  database: string;
  built: boolean;
  seconds: number;
  total: string;
  vaults: Array<{ id: string; confirmed: string }>;
  tokens: { operator: string };
  /** El Salvador's published proof of reserves (issue #14): its file and the command that verifies it. */
  proof: { id: number; file: string; verify: string; totalSats: string; height: number };
}

/** Run `npm start` (scripts/start.mjs) and resolve once it prints its JSON summary. */
function startDemo(args: string[]): Promise<{ child: ChildProcess; out: DemoOut }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [START, '--data', dataDir, '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not start within 240 s\n${stderr}`));
    }, 240_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      try {
        const out = JSON.parse(stdout) as DemoOut;
        clearTimeout(timer);
        resolve({ child, out });
      } catch {
        /* not complete yet */
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}\n${stderr}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

test('npm start builds the alliance, serves the dashboard, and a second start reuses the data', { timeout: 600_000 }, async () => {
  const first = await startDemo([]);
  try {
    process.stderr.write(`# demo cold start: ${first.out.seconds} s (built ${first.out.built})\n`);
    assert.equal(first.out.built, true);
    const es = first.out.vaults.find((v) => v.id === 'el-salvador-reserve');
    // 2,381 BTC to 2022-06-30, the 1 BTC/day programme 2022-11-18..2026-06-28 (1,319 days), +21 +1,090 +8.
    assert.equal(es?.confirmed, String((2_381n + 1_319n + 21n + 1_090n + 8n) * 100_000_000n));
    // the proof of reserves the demo published covers exactly El Salvador's confirmed coins, is
    // served on the public API, and verifies against the demo's node with the command it prints
    assert.equal(first.out.proof.totalSats, es?.confirmed);
    const served = (await (await fetch(`${first.out.url}api/v1/public/proof`)).json()) as { proof: { provenSats: string } | null };
    assert.equal(served.proof?.provenSats, es?.confirmed);
    assert.ok(first.out.proof.verify.includes(first.out.proof.file), first.out.proof.verify);
    const verified = await runCli(['por', 'verify', first.out.proof.file, '--node', first.out.rpc.url, '--rpc-user', first.out.rpc.user, '--rpc-password', first.out.rpc.password], { timeoutMs: 120_000 });
    assert.equal(verified.code, 0, verified.stderr);
    const summary = (await (await fetch(`${first.out.url}api/v1/public/summary`)).json()) as { confirmedSats: string };
    assert.equal(summary.confirmedSats, first.out.total);
    const page = await fetch(first.out.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const history = (await (await fetch(`${first.out.url}api/v1/public/holdings`)).json()) as Array<{ date: string }> | { points: Array<{ date: string }> };
    const points = Array.isArray(history) ? history : history.points;
    assert.equal(points[0]?.date, '2021-09-06', 'the history starts on the first announced purchase');
    assert.ok(existsSync(join(dataDir, 'keys')));
    const keyFiles = readdirSync(join(dataDir, 'keys')).filter((f) => f.endsWith('.json'));
    // 3 cosigners × 2 vaults, plus the single keys of the two ILLUSTRATIVE watch-only government
    // wallets (Bitcoin Office hot wallet, Chivo) the demo spends from to replay the 2025 consolidations
    assert.equal(keyFiles.length, 8);
    for (const f of keyFiles) assert.match(readFileSync(join(dataDir, 'keys', f), 'utf8'), /DEMO KEY/);

    // `soberana sync` (the CLI, over the node's RPC) on the same vault in a fresh database: five
    // years of regtest history give the same balance.
    const exported = join(dataDir, '..', 'es.caravan.json');
    const env = { SOBERANA_NETWORK: 'regtest' };
    assert.equal((await runCli(['--db', first.out.database, 'vault', 'export', 'el-salvador-reserve', '--format', 'caravan', '--out', exported], { env })).code, 0);
    const fresh = join(dataDir, '..', 'fresh.db');
    const rpcEnv = { ...env, SOBERANA_RPC_URL: first.out.rpc.url, SOBERANA_RPC_USER: first.out.rpc.user, SOBERANA_RPC_PASSWORD: first.out.rpc.password };
    assert.equal((await runCli(['--db', fresh, 'vault', 'import', exported, '--birthday', '2021-09-01'], { env })).code, 0);
    const sync = await runCli(['--db', fresh, 'sync', '--json'], { env: rpcEnv, timeoutMs: 300_000 });
    assert.equal(sync.code, 0, sync.stderr);
    const bal = JSON.parse((await runCli(['--db', fresh, 'balance', '--json'], { env })).stdout) as { total: { confirmed: { sats: string } } };
    assert.equal(bal.total.confirmed.sats, es?.confirmed);
  } finally {
    assert.equal(await stop(first.child), 0, 'Ctrl+C stops the demo cleanly');
  }
  const second = await startDemo([]);
  try {
    assert.equal(second.out.built, false, 'the second start reuses the data');
    assert.equal(second.out.total, (await (await fetch(`${second.out.url}api/v1/public/summary`)).json() as { confirmedSats: string }).confirmedSats);
  } finally {
    await stop(second.child);
  }
});
