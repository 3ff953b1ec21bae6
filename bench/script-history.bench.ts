/**
 * `npm run bench -- script-history`: requests and bytes to sync a 20-address vault (2-of-3 wsh,
 * gap limit 20) holding 50 transactions on a 10,000-block regtest chain, over one Esplora-shaped
 * server (test/chain/esplora-shaped-server.ts, answering from the embedded node), script-history
 * sync vs the block walk, in the same run, each into its own fresh SQLite database.
 *
 * Both paths read the same server; it counts response body bytes and socket bytes (HTTP heads
 * included). The block walk's bytes grow with block size, the script history's do not, so the
 * chain must weigh something: bare regtest blocks (a coinbase: ~270 B raw) gave 32× here, where
 * mainnet blocks weigh 1–2 MB. So from height 434 (bcoin accepts witness spends from 432) every
 * block carries one filler payout (bench/filler.ts): 40 p2wpkh outputs to the bench's own
 * throwaway addresses (never the vault's) and one input whose witness holds sixteen 72-byte,
 * signature-sized items (left unverified: bcoin checks ECDSA in pure JavaScript, and signed
 * payouts made the chain take 361 s to build instead of 101 s) — about half output bytes and half
 * witness bytes, as on mainnet. Filled blocks weigh ~2.8 KB raw (2,692 B on average over all
 * 10,000 with the 433 bare ones, measured): still ~500× lighter than mainnet's.
 *
 * Scaling: ratio = blocks × (raw + other bytes per block walked) ÷ script-history bytes; the notes
 * give the measured terms. The block walk's side grows linearly with block size; the script
 * history's grows only through its merkle proofs, by one hash (67 bytes of JSON) per proof per
 * doubling of the transactions in a block. `SOBERANA_BENCH_FILLER=0` re-measures on bare blocks,
 * `=OUTPUTS,WITNESS_ITEMS` with another filler. Measured on 2026-12-02 (body bytes per block
 * walked = raw + 64 B of hash lookups; ratio):
 *   bare (`=0`)            279 B raw, 104.0 KB script history →  32.2×
 *   default (`=40,16`)   2,692 B raw, 107.3 KB script history → 250.8×
 *   `=80,32`             5,011 B raw, 107.3 KB script history → 461.9× (chain built in 385 s, load ~10)
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
import { FillerPayouts, type FillerShape } from './filler.ts';
import type { Benchmark, BenchRow } from './harness.ts';

const BLOCKS = 10_000;
const ADDRESSES = 20;
const TXS = 50;
/** Each block's filler payout (bench/filler.ts); `SOBERANA_BENCH_FILLER=OUTPUTS,WITNESS_ITEMS` changes it, `=0` leaves blocks bare. */
const FILLER = fillerShape(process.env['SOBERANA_BENCH_FILLER']);

function fillerShape(v: string | undefined): FillerShape | null {
  if (v === undefined || v === '') return { txsPerBlock: 1, outputsPerTx: 40, witnessItems: 16 };
  if (v === '0') return null;
  const m = /^(\d+),(\d+)$/.exec(v);
  if (!m) throw new RangeError(`SOBERANA_BENCH_FILLER: expected OUTPUTS,WITNESS_ITEMS (e.g. 40,16) or 0, got "${v}"`);
  return { txsPerBlock: 1, outputsPerTx: Number(m[1]), witnessItems: Number(m[2]) };
}

function descriptor(): string {
  const bip32 = BIP32Factory(ecc);
  const keys = [1, 2, 3].map((i) => {
    const root = bip32.fromSeed(new Uint8Array(32).fill(200 + i), networks.testnet);
    return `[${hex.encode(root.fingerprint)}/48h/1h/0h/2h]${root.derivePath("m/48'/1'/0'/2'").neutered().toBase58()}/<0;1>/*`;
  });
  return parseDescriptor(`wsh(sortedmulti(2,${keys.join(',')}))`, { requireChecksum: false }).descriptor;
}

function describeKinds(kinds: Record<string, { requests: number; bytes: number }>): string {
  return Object.entries(kinds).map(([k, v]) => `${k} ${v.requests}× ${(v.bytes / 1024).toFixed(1)} KB`).join('; ');
}

const bench: Benchmark = {
  name: 'script-history',
  description: `Esplora sync of a ${ADDRESSES}-address vault with ${TXS} transactions on a ${BLOCKS.toLocaleString('en-US')}-block regtest chain: script history vs block walk (requests, bytes)`,
  async run(): Promise<BenchRow[]> {
    const node = await startRegtestNode();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-sh-'));
    const server = await startEsploraShapedServer(node.chainSource());
    try {
      let t0: number;
      const desc = descriptor();
      const addrs = deriveAddresses(desc, { network: 'regtest', start: 0, count: ADDRESSES });
      t0 = performance.now();
      await node.activateSegwit();
      const filler = FILLER ? new FillerPayouts(node, FILLER) : null;
      await filler?.fund(BLOCKS - node.height());
      // The vault's payments at evenly spaced heights over the rest of the chain, among the filler.
      const first = node.height() + 1;
      const payAt = new Map<number, number>();
      for (let i = 0; i < TXS; i++) payAt.set(first + Math.floor((i * (BLOCKS - first + 1)) / TXS), i);
      for (let h = first; h <= BLOCKS; h++) {
        const i = payAt.get(h);
        if (i !== undefined) await node.fund(addrs[i % ADDRESSES]?.address ?? '', 100_000n + BigInt(i), { confirm: false });
        await filler?.submitBlockPayouts();
        await node.mine(1);
      }
      const leftInMempool = (await node.chainSource().mempool()).length;
      if (node.height() !== BLOCKS || leftInMempool !== 0) throw new Error(`script-history bench: the chain reached ${node.height()} blocks with ${leftInMempool} transactions left unmined`);
      const buildSecs = (performance.now() - t0) / 1000;
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
      t0 = performance.now();
      const ws = await syncVault({ chain: esplora, store: walk.store }, walk.vault);
      const walkSecs = (performance.now() - t0) / 1000;
      const walkReq = server.requests.length;
      const walkBytes = server.bytesSent();
      const walkWire = server.wireBytesSent();
      const walkKinds = server.bytesByKind();
      process.stderr.write(`bench: block-walk path: ${describeKinds(walkKinds)}\n`);
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
      process.stderr.write(`bench: script-history path: ${describeKinds(server.bytesByKind())}\n`);
      const blockReads = server.requests.filter((p) => p.startsWith('block/') && !p.endsWith('/header')).length;
      await source.close();

      const [wb, lb] = [await walk.store.balance(walk.vault.id), await light.store.balance(light.vault.id)];
      if (wb.confirmed !== lb.confirmed || ws.transactionsFound !== TXS || ls.transactionsFound !== TXS || blockReads !== 0) {
        throw new Error(`script-history bench: the two syncs disagree (walk ${wb.confirmed} sats, ${ws.transactionsFound} txs; script history ${lb.confirmed} sats, ${ls.transactionsFound} txs; ${blockReads} block reads)`);
      }
      const peerName = `block walk (${BLOCKS.toLocaleString('en-US')} blocks)`;
      const blocks = ws.blocksDownloaded || 1;
      const rawPerBlock = (walkKinds['block/:x/raw']?.bytes ?? 0) / blocks;
      const otherPerBlock = (walkBytes - (walkKinds['block/:x/raw']?.bytes ?? 0)) / blocks;
      const fill = FILLER ? `from height ${first} one filler payout per block (${FILLER.outputsPerTx} p2wpkh outputs, ${FILLER.witnessItems} signature-sized witness items)` : 'bare regtest blocks (coinbase only)';
      const notes = `same server, same run; ${fill}: ${Math.round(rawPerBlock)} B raw + ${Math.round(otherPerBlock)} B of other reads per block walked (mainnet: 1–2 MB raw); ratio = blocks × (raw + other per block) ÷ script-history bytes (${(lightBytes / 1024).toFixed(1)} KB, growing with block size only through its merkle proofs)`;
      process.stderr.write(`bench: chain built in ${buildSecs.toFixed(1)} s (${filler?.payouts ?? 0} filler payouts); ${notes}\n`);
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
