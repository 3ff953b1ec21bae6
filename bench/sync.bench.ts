/**
 * `npm run bench -- sync`: end-to-end vault sync from the embedded regtest node (in-process source,
 * SQLite store), with BIP-158 filters and without them (the same source with its filters hidden),
 * in the same run. Reports blocks/s, MB of blocks downloaded and the share of blocks the filters
 * let the sync skip. The node builds each block's filter from its undo data on first request and
 * keeps it, as a node with a filter index would; the warm-up run pays that once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegtestNode } from '../src/adapters/chain/regtest-node.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { addVault } from '../src/app/add-vault.ts';
import { syncVault, type SyncSummary } from '../src/app/sync-vault.ts';
import { deriveAddresses, parseDescriptor } from '../src/core/bitcoin/descriptor.ts';
import type { ChainSource } from '../src/core/chain/chain-source.ts';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import type { Benchmark, BenchRow } from './harness.ts';
import { median } from './harness.ts';

const BLOCKS = 1_000;
const RUNS = 3;

function descriptor(): string {
  const bip32 = BIP32Factory(ecc);
  const keys = [1, 2, 3].map((i) => {
    const root = bip32.fromSeed(new Uint8Array(32).fill(100 + i), networks.testnet);
    return `[${hex.encode(root.fingerprint)}/48h/1h/0h/2h]${root.derivePath("m/48'/1'/0'/2'").neutered().toBase58()}/<0;1>/*`;
  });
  return parseDescriptor(`wsh(sortedmulti(2,${keys.join(',')}))`, { requireChecksum: false }).descriptor;
}

/** The same source with its filters hidden: what a node without a filter index offers. */
function withoutFilters(src: ChainSource): ChainSource {
  return new Proxy(src, {
    get(target, prop, receiver) {
      if (prop === 'blockFilter') return async () => null;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const bench: Benchmark = {
  name: 'sync',
  description: `vault sync over ${BLOCKS} regtest blocks (2-of-3 wsh, a payment in 1 block of 20), with and without BIP-158 filters`,
  async run(): Promise<BenchRow[]> {
    const node = await startRegtestNode();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-sync-'));
    try {
      const desc = descriptor();
      const addrs = deriveAddresses(desc, { network: 'regtest', start: 0, count: 15 });
      await node.mine(110);
      for (let i = node.height(); i < BLOCKS; i++) {
        if (i % 20 === 0) await node.fund(addrs[(i / 20) % addrs.length]?.address ?? '', 1_000_000n + BigInt(i), { confirm: false });
        await node.mine(1);
      }
      let n = 0;
      const once = async (chain: ChainSource): Promise<{ seconds: number; s: SyncSummary }> => {
        const db = await openDatabase({ url: join(dir, `run${++n}.db`) });
        try {
          const store = new SqlVaultStore(db);
          const v = await addVault({ store }, { name: 'bench', network: 'regtest', descriptor: desc, now: '2026-01-01T00:00:00Z' });
          const t0 = process.hrtime.bigint();
          const s = await syncVault({ chain, store }, v);
          return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, s };
        } finally {
          await db.close();
        }
      };
      const filtered = node.chainSource();
      const plain = withoutFilters(node.chainSource());
      await once(filtered); // warm-up: the node builds and keeps every filter
      await once(plain);
      const a: number[] = [];
      const b: number[] = [];
      let sa: SyncSummary | undefined;
      let sb: SyncSummary | undefined;
      for (let i = 0; i < RUNS; i++) {
        const x = await once(filtered);
        a.push(x.seconds);
        sa = x.s;
        const y = await once(plain);
        b.push(y.seconds);
        sb = y.s;
      }
      if (!sa || !sb) throw new RangeError('sync bench: no runs');
      const blocks = sa.blocksProcessed;
      const withRate = blocks / median(a);
      const withoutRate = blocks / median(b);
      const skippedPct = (100 * sa.blocksSkippedByFilter) / blocks;
      return [
        { name: 'sync rate, filters vs none (embedded node)', unit: 'blocks/s', ours: withRate, peer: withoutRate, peerName: 'same sync without filters', higherIsBetter: true, notes: `${blocks} blocks; ${sa.transactionsFound} transactions found` },
        { name: 'block bytes downloaded, filters vs none', unit: 'MB', ours: sa.bytesDownloaded / 1e6, peer: sb.bytesDownloaded / 1e6, peerName: 'same sync without filters', higherIsBetter: false },
        { name: 'blocks skipped by BIP-158 filters', unit: '%', ours: skippedPct, peer: 0, peerName: 'same sync without filters', higherIsBetter: true },
      ];
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
