// Test support for the block scanner: the oracle (bitcoinjs-lib's full parse), a seeded random
// generator of segwit and legacy transactions built with bitcoinjs-lib, and block assembly.
import { readFileSync } from 'node:fs';
import { Block, Transaction } from 'bitcoinjs-lib';
import type { ScanResult } from '../../src/core/bitcoin/block-scanner.ts';

export const BLOCK_DIR = new URL('../fixtures/blocks/', import.meta.url);

export interface ManifestBlock {
  file: string;
  height: number;
  block_hash: string;
  prev_block_hash: string;
  merkle_root: string;
  nonce: number;
  bits_hex: string;
  version_hex: string;
  time_utc: string;
  tx_count: number;
}

export function loadMainnetBlocks(): Array<{ meta: ManifestBlock; raw: Uint8Array }> {
  const manifest = JSON.parse(readFileSync(new URL('blocks_manifest.json', BLOCK_DIR), 'utf8')) as { blocks: ManifestBlock[] };
  return manifest.blocks.map((meta) => ({ meta, raw: new Uint8Array(readFileSync(new URL(meta.file, BLOCK_DIR))) }));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const displayTxid = (internal: Uint8Array): string => Buffer.from(internal).reverse().toString('hex');

/** A scan result in plain comparable form (hex instead of bytes, arrays instead of a Map). */
export interface Comparable {
  header: ScanResult['header'];
  txCount: number;
  outputs: Array<{ txid: string; vout: number; value: bigint; script: string; txIndex: number }>;
  spends: ScanResult['spends'];
  transactions: Array<[string, { raw: string; txIndex: number }]>;
}

export function comparable(r: ScanResult): Comparable {
  return {
    header: r.header,
    txCount: r.txCount,
    outputs: r.outputs.map((o) => ({ ...o, script: hex(o.script) })),
    spends: r.spends,
    transactions: [...r.transactions].map(([k, v]) => [k, { raw: hex(v.raw), txIndex: v.txIndex }]),
  };
}

/** Why the oracle refused a block (it throws this, never a result). */
export class OracleRejects extends Error {}

/**
 * The oracle: bitcoinjs-lib parses the whole block; the block must re-serialize to exactly the
 * same bytes (otherwise bitcoinjs accepted something non-canonical or ignored trailing bytes, and
 * the block is malformed). Then every output whose script is watched and every input whose prevout
 * is watched is reported, in block order.
 */
export function oracleScan(raw: Uint8Array, scripts: ReadonlySet<string>, outpoints: ReadonlySet<string>): { result: Comparable; block: Block } {
  let block: Block;
  try {
    block = Block.fromBuffer(raw);
  } catch (e) {
    throw new OracleRejects(`bitcoinjs-lib: ${(e as Error).message}`);
  }
  const txs = block.transactions ?? [];
  let again: Uint8Array;
  try {
    again = block.toBuffer();
  } catch (e) {
    throw new OracleRejects(`bitcoinjs-lib cannot re-serialize: ${(e as Error).message}`);
  }
  if (Buffer.compare(Buffer.from(again), Buffer.from(raw)) !== 0) throw new OracleRejects('does not round-trip (non-canonical or trailing bytes)');
  const result: Comparable = {
    header: {
      hash: block.getId(),
      prevHash: displayTxid(block.prevHash as Uint8Array),
      merkleRoot: displayTxid(block.merkleRoot as Uint8Array),
      time: block.timestamp,
      bits: block.bits,
      nonce: block.nonce,
      version: block.version,
    },
    txCount: txs.length,
    outputs: [],
    spends: [],
    transactions: [],
  };
  txs.forEach((tx, txIndex) => {
    let txid: string | undefined;
    const id = (): string => (txid ??= tx.getId()); // hashed only when matched: keeps the oracle quick
    tx.outs.forEach((o, vout) => {
      if (scripts.size > 0 && scripts.has(hex(o.script))) result.outputs.push({ txid: id(), vout, value: o.value, script: hex(o.script), txIndex });
    });
    tx.ins.forEach((i, vin) => {
      if (outpoints.size === 0) return;
      const prevTxid = displayTxid(i.hash);
      if (outpoints.has(`${prevTxid}:${i.index}`)) result.spends.push({ txid: id(), vin, prevTxid, prevVout: i.index, txIndex });
    });
    if (txid !== undefined) result.transactions.push([txid, { raw: hex(tx.toBuffer()), txIndex }]);
  });
  return { result, block };
}

/** Deterministic PRNG (mulberry32) so every generated case can be reproduced from its seed. */
export function rng(seed: number): { int(n: number): number; bytes(n: number): Uint8Array; pick<T>(a: readonly T[]): T; chance(p: number): boolean } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    int,
    bytes: (n) => Uint8Array.from({ length: n }, () => int(256)),
    pick: <T>(a: readonly T[]): T => a[int(a.length)] as T,
    chance: (p) => next() < p,
  };
}

export function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

/** Header (80 random bytes) ‖ CompactSize(count) ‖ transactions. */
export function assembleBlock(header: Uint8Array, txs: readonly Uint8Array[]): Uint8Array {
  return concat([header, compactSize(txs.length), ...txs]);
}

export interface GeneratedBlock {
  raw: Uint8Array;
  /** Scripts and outpoints the generator drew from (some appear in the block, several times). */
  scriptPool: Uint8Array[];
  outpointPool: Array<{ txid: string; vout: number }>;
}

function randomScript(r: ReturnType<typeof rng>): Uint8Array {
  switch (r.int(9)) {
    case 0: return concat([Uint8Array.of(0x76, 0xa9, 0x14), r.bytes(20), Uint8Array.of(0x88, 0xac)]); // P2PKH
    case 1: return concat([Uint8Array.of(0xa9, 0x14), r.bytes(20), Uint8Array.of(0x87)]); // P2SH
    case 2: return concat([Uint8Array.of(0x00, 0x14), r.bytes(20)]); // P2WPKH
    case 3: return concat([Uint8Array.of(0x00, 0x20), r.bytes(32)]); // P2WSH
    case 4: return concat([Uint8Array.of(0x51, 0x20), r.bytes(32)]); // P2TR
    case 5: return concat([Uint8Array.of(0x6a), r.bytes(r.int(80))]); // OP_RETURN
    case 6: return new Uint8Array(0); // empty
    case 7: return r.bytes(1 + r.int(7)); // short, odd
    default: return r.bytes(250 + r.int(400)); // long: crosses the 0xfd CompactSize boundary
  }
}

/**
 * A block of random transactions built with bitcoinjs-lib: legacy and segwit (some inputs with
 * empty witnesses), 0xfd-sized scripts and input counts, values from 0 to 21M BTC, scripts and
 * outpoints reused from a pool so watch sets hit several times.
 */
export function generateBlock(seed: number, opts: { txs?: number; maxInputs?: number } = {}): GeneratedBlock {
  const r = rng(seed);
  const scriptPool = Array.from({ length: 40 }, () => randomScript(r));
  const outpointPool = Array.from({ length: 60 }, () => ({ txid: hex(r.bytes(32)), vout: r.chance(0.8) ? r.int(4) : r.int(2 ** 32) }));
  const count = opts.txs ?? 1 + r.int(25);
  const txs: Uint8Array[] = [];
  for (let t = 0; t < count; t++) {
    const tx = new Transaction();
    tx.version = r.pick([1, 2, 3]);
    tx.locktime = r.chance(0.5) ? 0 : r.int(2 ** 32);
    const nIn = r.chance(0.03) ? 253 + r.int(30) : 1 + r.int(opts.maxInputs ?? 5);
    for (let i = 0; i < nIn; i++) {
      const op = r.chance(0.5) ? r.pick(outpointPool) : { txid: hex(r.bytes(32)), vout: r.int(10) };
      tx.addInput(Buffer.from(op.txid, 'hex').reverse(), op.vout, r.int(2 ** 32), r.chance(0.3) ? new Uint8Array(0) : r.bytes(r.chance(0.05) ? 253 + r.int(200) : r.int(110)));
    }
    const nOut = r.chance(0.02) ? 0 : r.chance(0.03) ? 253 + r.int(10) : 1 + r.int(6);
    for (let o = 0; o < nOut; o++) {
      const value = r.chance(0.05) ? r.pick([0n, 2_100_000_000_000_000n, 1n]) : BigInt(r.int(2 ** 31)) * BigInt(1 + r.int(900_000));
      tx.addOutput(r.chance(0.6) ? r.pick(scriptPool) : randomScript(r), value);
    }
    if (r.chance(0.6)) {
      for (let i = 0; i < nIn; i++) {
        const items = r.chance(0.3) ? 0 : 1 + r.int(4);
        tx.setWitness(i, Array.from({ length: items }, () => r.bytes(r.chance(0.1) ? 0 : r.chance(0.05) ? 300 + r.int(300) : 1 + r.int(72))));
      }
      if (!tx.hasWitnesses()) tx.setWitness(0, [r.bytes(64)]);
    }
    txs.push(tx.toBuffer());
  }
  return { raw: assembleBlock(r.bytes(80), txs), scriptPool, outpointPool };
}
