/**
 * `npm run bench -- sync-pipeline`: vault sync over Bitcoin Core's JSON-RPC (the Core adapter)
 * against the embedded regtest node running in its own process (`soberana node start`), pipelined
 * (hashes in batched requests, the next blocks downloaded while one is scanned) vs sequential (one
 * request at a time), in the same run, alternating. Reports blocks/s and HTTP requests per block.
 * The node serves no BIP-158 filters over RPC, so every block is downloaded: the case the pipeline
 * is for. The node's process and ours share this machine's cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startRegtestNode } from '../src/adapters/chain/regtest-node.ts';
import { BitcoindChainSource } from '../src/adapters/chain/bitcoind-chain-source.ts';
import type { FetchLike } from '../src/adapters/chain/errors.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { addVault } from '../src/app/add-vault.ts';
import { DEFAULT_LOOKAHEAD, syncVaults, type SyncJobSummary } from '../src/app/sync-vaults.ts';
import { deriveAddresses, parseDescriptor } from '../src/core/bitcoin/descriptor.ts';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { compile } from '../scripts/build.mjs';
import type { Benchmark, BenchRow } from './harness.ts';
import { median } from './harness.ts';

const BLOCKS = 1_000;
const RUNS = 3;
const BIN = join(import.meta.dirname, '..', 'bin', 'soberana.js');

function descriptor(): string {
  const bip32 = BIP32Factory(ecc);
  const keys = [1, 2, 3].map((i) => {
    const root = bip32.fromSeed(new Uint8Array(32).fill(140 + i), networks.testnet);
    return `[${hex.encode(root.fingerprint)}/48h/1h/0h/2h]${root.derivePath("m/48'/1'/0'/2'").neutered().toBase58()}/<0;1>/*`;
  });
  return parseDescriptor(`wsh(sortedmulti(2,${keys.join(',')}))`, { requireChecksum: false }).descriptor;
}

/** `soberana node start` on the data directory, in its own process; resolves with its RPC details. */
function startNodeProcess(dataDir: string): Promise<{ child: ChildProcess; url: string; user: string; password: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--network', 'regtest', 'node', 'start', '--datadir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`soberana node start exited (${String(code)}) before it was ready`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let text = '';
    lines.on('line', (l) => {
      text += l;
      try {
        const info = JSON.parse(text) as { rpcUrl: string; rpcUser: string; rpcPassword: string };
        child.removeAllListeners('exit');
        resolve({ child, url: info.rpcUrl, user: info.rpcUser, password: info.rpcPassword });
      } catch {
        // the JSON spans several lines: keep reading
      }
    });
  });
}

const bench: Benchmark = {
  name: 'sync-pipeline',
  description: `vault sync over JSON-RPC from the embedded node in its own process, ${BLOCKS} blocks, pipelined (lookahead ${DEFAULT_LOOKAHEAD}, batched hashes) vs sequential`,
  async run(): Promise<BenchRow[]> {
    await compile();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-pipeline-'));
    const dataDir = join(dir, 'chain');
    const desc = descriptor();
    // Build the chain in-process, then serve it from another process.
    const builder = await startRegtestNode({ dataDir });
    try {
      const addrs = deriveAddresses(desc, { network: 'regtest', start: 0, count: 15 });
      await builder.mine(110);
      for (let i = builder.height(); i < BLOCKS; i++) {
        if (i % 5 === 0) await builder.fund(addrs[(i / 5) % addrs.length]?.address ?? '', 1_000_000n + BigInt(i), { confirm: false });
        if (i % 3 === 0) await builder.fund(builder.walletAddress, 5_000_000n, { confirm: false });
        await builder.mine(1);
      }
    } finally {
      await builder.stop();
    }
    const node = await startNodeProcess(dataDir);
    try {
      let requests = 0;
      const counting: FetchLike = (url, init) => {
        requests++;
        return (globalThis.fetch as unknown as FetchLike)(url, init);
      };
      let n = 0;
      const once = async (lookahead: number): Promise<{ seconds: number; job: SyncJobSummary; requests: number }> => {
        const db = await openDatabase({ url: join(dir, `run${++n}.db`) });
        const chain = new BitcoindChainSource({ url: node.url, user: node.user, password: node.password, rest: false, fetch: counting });
        try {
          const store = new SqlVaultStore(db);
          const v = await addVault({ store }, { name: 'bench', network: 'regtest', descriptor: desc, now: '2026-01-01T00:00:00Z' });
          const before = requests;
          const t0 = process.hrtime.bigint();
          const job = await syncVaults({ chain, store, lookahead }, [v]);
          return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, job, requests: requests - before };
        } finally {
          await chain.close();
          await db.close();
        }
      };
      await once(DEFAULT_LOOKAHEAD); // warm-up (both sides' caches)
      await once(0);
      const piped: number[] = [];
      const seq: number[] = [];
      let p: Awaited<ReturnType<typeof once>> | undefined;
      let s: Awaited<ReturnType<typeof once>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        p = await once(DEFAULT_LOOKAHEAD);
        piped.push(p.seconds);
        s = await once(0);
        seq.push(s.seconds);
      }
      if (!p || !s) throw new RangeError('sync-pipeline bench: no runs');
      if (JSON.stringify(p.job.vaults[0]?.transactionsFound) !== JSON.stringify(s.job.vaults[0]?.transactionsFound)) throw new RangeError('sync-pipeline bench: the two syncs disagree');
      const blocks = p.job.blocksWalked;
      return [
        { name: 'sync over RPC, pipelined vs sequential (embedded node, own process)', unit: 'blocks/s', ours: blocks / median(piped), peer: blocks / median(seq), peerName: 'same sync, one request at a time', higherIsBetter: true, notes: `${blocks} blocks, ${(p.job.bytesDownloaded / 1e6).toFixed(1)} MB, ${p.job.vaults[0]?.transactionsFound ?? 0} transactions found` },
        { name: 'RPC HTTP requests per block, pipelined vs sequential', unit: 'req/block', ours: p.requests / blocks, peer: s.requests / blocks, peerName: 'same sync, one request at a time', higherIsBetter: false },
      ];
    } finally {
      node.child.kill('SIGTERM');
      await new Promise((r) => node.child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
