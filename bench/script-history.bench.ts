/**
 * `npm run bench -- script-history`: requests and bytes to sync a 20-address vault (2-of-3 wsh,
 * gap limit 20) holding 50 transactions on a 10,000-block regtest chain, over one Esplora-shaped
 * server (test/chain/esplora-shaped-server.ts, answering from the embedded node), script-history
 * sync vs the block walk, in the same run, each into its own fresh SQLite database.
 *
 * Both paths read the same server; it counts response body bytes and socket bytes (HTTP heads
 * included). Regtest blocks here hold a coinbase and, in 50 of them, one payment: about 300 bytes
 * each, where mainnet blocks weigh 1–2 MB — the block walk's bytes grow with block size, the
 * script history's do not, so on this chain the ratio is the smallest it can be.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { startRegtestNode } from '../src/adapters/chain/regtest-node.ts';
import { EsploraChainSource } from '../src/adapters/chain/esplora-chain-source.ts';
import { EsploraScriptHistory } from '../src/adapters/chain/esplora-script-history.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { addVault } from '../src/app/add-vault.ts';
import { syncVault } from '../src/app/sync-vault.ts';
import { syncVaultByScriptHistory } from '../src/app/sync-by-script-history.ts';
import { deriveAddresses, parseDescriptor } from '../src/core/bitcoin/descriptor.ts';
import { startEsploraShapedServer } from '../test/chain/esplora-shaped-server.ts';
import type { Benchmark, BenchRow } from './harness.ts';

const BLOCKS = 10_000;
const ADDRESSES = 20;
const TXS = 50;

function descriptor(): string {
  const bip32 = BIP32Factory(ecc);
  const keys = [1, 2, 3].map((i) => {
    const root = bip32.fromSeed(new Uint8Array(32).fill(200 + i), networks.testnet);
    return `[${hex.encode(root.fingerprint)}/48h/1h/0h/2h]${root.derivePath("m/48'/1'/0'/2'").neutered().toBase58()}/<0;1>/*`;
  });
  return parseDescriptor(`wsh(sortedmulti(2,${keys.join(',')}))`, { requireChecksum: false }).descriptor;
}

const bench: Benchmark = {
  name: 'script-history',
  description: `Esplora sync of a ${ADDRESSES}-address vault with ${TXS} transactions on a ${BLOCKS.toLocaleString('en-US')}-block regtest chain: script history vs block walk (requests, bytes)`,
  async run(): Promise<BenchRow[]> {
    const node = await startRegtestNode();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-sh-'));
    const server = await startEsploraShapedServer(node.chainSource());
    try {
      const desc = descriptor();
      const addrs = deriveAddresses(desc, { network: 'regtest', start: 0, count: ADDRESSES });
      const spacing = Math.floor((BLOCKS - 200) / TXS);
      await node.mine(200);
      for (let i = 0; i < TXS; i++) {
        await node.fund(addrs[i % ADDRESSES]?.address ?? '', 100_000n + BigInt(i), { confirm: false });
        await node.mine(spacing);
      }
      if (node.height() < BLOCKS) await node.mine(BLOCKS - node.height());
      // The server indexes the chain on its first scripthash request (as electrs would have beforehand).
      await fetch(`${server.url}scripthash/${'00'.repeat(32)}/txs`);

      const open = async (name: string) => {
        const store = new SqlVaultStore(await openDatabase({ url: join(dir, `${name}.db`) }));
        const vault = await addVault({ store }, { name: 'reserve', network: 'regtest', descriptor: desc, birthday: { height: 1 }, gapLimit: 20, now: '2026-01-01T00:00:00Z' });
        return { store, vault };
      };

      const walk = await open('walk');
      const esplora = new EsploraChainSource({ url: server.url });
      server.resetStats();
      let t0 = performance.now();
      const ws = await syncVault({ chain: esplora, store: walk.store }, walk.vault);
      const walkSecs = (performance.now() - t0) / 1000;
      const walkReq = server.requests.length;
      const walkBytes = server.bytesSent();
      const walkWire = server.wireBytesSent();
      await esplora.close();

      const light = await open('light');
      const source = new EsploraScriptHistory({ url: server.url });
      server.resetStats();
      t0 = performance.now();
      const ls = await syncVaultByScriptHistory({ source, store: light.store }, light.vault);
      const lightSecs = (performance.now() - t0) / 1000;
      const lightReq = server.requests.length;
      const lightBytes = server.bytesSent();
      const lightWire = server.wireBytesSent();
      const kinds = Object.entries(server.bytesByKind()).map(([k, v]) => `${k} ${v.requests}× ${(v.bytes / 1024).toFixed(1)} KB`).join('; ');
      process.stderr.write(`bench: script-history path: ${kinds}\n`);
      const blockReads = server.requests.filter((p) => p.startsWith('block/') && !p.endsWith('/header')).length;
      await source.close();

      const [wb, lb] = [await walk.store.balance(walk.vault.id), await light.store.balance(light.vault.id)];
      if (wb.confirmed !== lb.confirmed || ws.transactionsFound !== TXS || ls.transactionsFound !== TXS || blockReads !== 0) {
        throw new Error(`script-history bench: the two syncs disagree (walk ${wb.confirmed} sats, ${ws.transactionsFound} txs; script history ${lb.confirmed} sats, ${ls.transactionsFound} txs; ${blockReads} block reads)`);
      }
      const peerName = `block walk (${BLOCKS.toLocaleString('en-US')} blocks)`;
      const notes = `same server, same run; ~${Math.round(walkBytes / (ws.blocksDownloaded || 1))} B per regtest block (mainnet: 1–2 MB)`;
      return [
        { name: 'Esplora sync: response body bytes', unit: 'KB', ours: lightBytes / 1024, peer: walkBytes / 1024, peerName, higherIsBetter: false, notes },
        { name: 'Esplora sync: bytes on the wire (HTTP heads included)', unit: 'KB', ours: lightWire / 1024, peer: walkWire / 1024, peerName, higherIsBetter: false, notes },
        { name: 'Esplora sync: body bytes, block walk ÷ script history', unit: '×', ours: walkBytes / lightBytes, peer: null, peerName: null, higherIsBetter: true, target: 100, notes },
        { name: 'Esplora sync: requests', unit: 'req', ours: lightReq, peer: walkReq, peerName, higherIsBetter: false, notes: `${ls.scriptsQueried} scripts queried` },
        { name: 'Esplora sync: wall time', unit: 's', ours: lightSecs, peer: walkSecs, peerName, higherIsBetter: false },
      ];
    } finally {
      await server.close();
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
