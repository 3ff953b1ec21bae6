/**
 * `soberana node start` through the real binary: a foreground regtest node whose printed RPC URL
 * and credentials the Bitcoin Core RPC adapter and `soberana` itself (via SOBERANA_RPC_URL) use;
 * a configuration of another network is refused by name; SIGTERM stops it cleanly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address as btcAddress, Block, networks } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BitcoindChainSource } from '../src/adapters/chain/bitcoind-chain-source.ts';
import { runCli } from './helpers/cli.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'soberana.js');
const ADDR = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

interface NodeInfo {
  network: string;
  rpcUrl: string;
  rpcUser: string;
  rpcPassword: string;
  dataDir: string | null;
  height: number;
  mined: number;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Start `soberana node start --json …` and wait for its one JSON document. */
function startCliNode(args: string[]): Promise<{ child: ChildProcess; info: NodeInfo; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--json', 'node', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`node start printed nothing parseable in 90 s: ${out} ${err}`)), 90_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const info = JSON.parse(out) as NodeInfo;
        clearTimeout(timer);
        resolve({ child, info, stderr: () => err });
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node start exited with ${String(code)} before it was ready: ${err}`));
    });
  });
}

describe('soberana node start', () => {
  let dir = '';
  let running: Awaited<ReturnType<typeof startCliNode>> | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'soberana-cli-node-'));
    running = await startCliNode(['--datadir', join(dir, 'chain'), '--mine-to', ADDR, '--blocks', '5']);
  });

  after(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const info = (running as { info: NodeInfo }).info;
    return { SOBERANA_RPC_URL: info.rpcUrl, SOBERANA_RPC_USER: info.rpcUser, SOBERANA_RPC_PASSWORD: info.rpcPassword, SOBERANA_NETWORK: 'regtest', ...overrides };
  };

  test('prints a loopback RPC URL and credentials, having mined the blocks asked for', () => {
    const info = (running as { info: NodeInfo }).info;
    assert.equal(info.network, 'regtest');
    assert.match(info.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(info.rpcUser, 'soberana');
    assert.ok(info.rpcPassword.length >= 32);
    assert.deepEqual({ height: info.height, mined: info.mined }, { height: 5, mined: 5 });
  });

  test('the Bitcoin Core RPC adapter uses it, and the blocks pay --mine-to', async () => {
    const info = (running as { info: NodeInfo }).info;
    const source = new BitcoindChainSource({ url: info.rpcUrl, user: info.rpcUser, password: info.rpcPassword });
    try {
      assert.equal(await source.network(), 'regtest');
      const tip = await source.tip();
      assert.equal(tip.height, 5);
      const coinbase = Block.fromBuffer(await source.rawBlock(tip.hash)).transactions?.[0];
      assert.equal(bytesToHex(coinbase?.outs[0]?.script as Uint8Array), bytesToHex(btcAddress.toOutputScript(ADDR, networks.regtest)));
    } finally {
      await source.close();
    }
  });

  test('soberana itself uses it through SOBERANA_RPC_URL (node status, status)', async () => {
    const r = await runCli(['--json', 'node', 'status'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { kind: string; network: string; tip: { height: number; hash: string } };
    assert.deepEqual({ kind: s.kind, network: s.network, height: s.tip.height }, { kind: 'bitcoind', network: 'regtest', height: 5 });
    const st = await runCli(['--json', '--db', join(dir, 'status.db'), 'status'], { env: env() });
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual((JSON.parse(st.stdout) as { chain: unknown }).chain, { kind: 'bitcoind', url: (running as { info: NodeInfo }).info.rpcUrl });
  });

  test('a configuration for another network is refused, saying which', async () => {
    const r = await runCli(['--json', 'node', 'status'], { env: env({ SOBERANA_NETWORK: 'testnet' }) });
    assert.equal(r.code, 3, r.stderr);
    const e = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'NETWORK_MISMATCH');
    assert.match(e.error.message, /serves regtest but Soberana is on testnet/);
  });

  test('wrong credentials are a chain error (exit 8) that does not echo the password', async () => {
    const r = await runCli(['--json', 'node', 'status'], { env: env({ SOBERANA_RPC_PASSWORD: 'not-the-password' }) });
    assert.equal(r.code, 8);
    const e = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'CHAIN_AUTH_FAILED');
    assert.doesNotMatch(r.stderr, /not-the-password/);
  });

  test('bad options are refused before anything starts', async () => {
    const port = await runCli(['node', 'start', '--port', 'abc']);
    assert.equal(port.code, 3);
    assert.match(port.stderr, /--port must be an integer/);
    const net = await runCli(['--network', 'main', 'node', 'start']);
    assert.equal(net.code, 3);
    assert.match(net.stderr, /regtest only/);
    const help = await runCli(['node', 'start', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:/);
  });

  test('SIGTERM stops it cleanly: exit 0 and the port closed', async () => {
    const { child, info, stderr } = running as NonNullable<typeof running>;
    const port = Number(new URL(info.rpcUrl).port);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /SIGTERM: stopping the regtest node/);
    assert.equal(await portOpen(port), false);
  });
});
