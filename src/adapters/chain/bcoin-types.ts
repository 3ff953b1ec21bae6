/**
 * The small part of bcoin@1.0.2's API that the embedded regtest node uses, typed by hand
 * (bcoin ships no type declarations). Loaded with `createRequire` so that nothing else in
 * the tree sees an untyped module. Hashes named `hash` are bcoin's internal byte order
 * (hex strings in 1.0.2); `rhash()` gives the display (RPC) order.
 */
import { createRequire } from 'node:module';

export interface BcoinChainEntry {
  readonly hash: string;
  readonly height: number;
  readonly time: number;
  readonly prevBlock: string;
  readonly merkleRoot: string;
  rhash(): string;
}

export interface BcoinInput {
  /** `hash` in bcoin's internal order (hex string in 1.0.2). */
  readonly prevout: { readonly hash: string; readonly index: number };
}

/** A spent output as bcoin's CoinView returns it. */
export interface BcoinOutput {
  readonly script: { toRaw(): Buffer };
}

export interface BcoinCoinView {
  getOutputFor(input: BcoinInput): BcoinOutput | null;
}

export interface BcoinTX {
  readonly inputs: BcoinInput[];
  readonly outputs: Array<{ readonly value: number; readonly script: { toRaw(): Buffer } }>;
  hash(enc: 'hex'): string;
  txid(): string;
  toRaw(): Buffer;
  isCoinbase(): boolean;
}

export interface BcoinBlock {
  readonly txs: BcoinTX[];
  hash(enc: 'hex'): string;
  rhash(): string;
  toRaw(): Buffer;
}

export interface BcoinCoin {
  readonly version: number;
  readonly height: number;
  readonly value: number;
  readonly coinbase: boolean;
  /** Internal byte order. */
  readonly hash: string;
  readonly index: number;
  txid(): string;
}

export interface BcoinChain {
  readonly height: number;
  readonly tip: BcoinChainEntry;
  getHash(height: number): Promise<string | null>;
  getEntry(hashOrHeight: string | number): Promise<BcoinChainEntry | null>;
  getBlock(hash: string): Promise<BcoinBlock | null>;
  /** The coins a block spent, from the node's undo data. */
  getBlockView(block: BcoinBlock): Promise<BcoinCoinView>;
  getMedianTime(prev: BcoinChainEntry): Promise<number>;
  add(block: BcoinBlock): Promise<BcoinChainEntry | null>;
  invalidate(hash: string): Promise<void>;
  getCoinsByAddress(addrs: unknown[]): Promise<BcoinCoin[]>;
}

export interface BcoinVerifyError extends Error {
  readonly type: 'VerifyError';
  readonly code: string;
  readonly reason: string;
  readonly score: number;
}

export interface BcoinMempool {
  /** The chain tip the mempool is built on (internal order). */
  readonly tip: string;
  /** Empty the mempool and rebase it on the chain tip. */
  _reset(): Promise<void>;
  addTX(tx: BcoinTX): Promise<unknown[] | null>;
  hasEntry(hash: string): boolean;
  /** Whether a mempool transaction spends this outpoint (hash in internal order). */
  isSpent(hash: string, index: number): boolean;
  getTX(hash: string): BcoinTX | null;
  getSnapshot(): string[];
  hasOrphan(hash: string): boolean;
  removeOrphan(hash: string): boolean;
}

export interface BcoinMiningAttempt {
  time: number;
}

export interface BcoinCPUJob {
  readonly attempt: BcoinMiningAttempt;
  refresh(): void;
  mineAsync(): Promise<BcoinBlock>;
}

export interface BcoinFullNode {
  readonly chain: BcoinChain;
  readonly mempool: BcoinMempool;
  readonly miner: { readonly cpu: { createJob(tip: BcoinChainEntry, address: unknown): Promise<BcoinCPUJob> } };
  readonly fees: { estimateFee(blocks: number, smart: boolean): number };
  readonly http: { address(): { address: string; port: number } };
  /** bweb's RPC method table; replacing an entry overrides a method. */
  readonly rpc: { readonly calls: Record<string, (args: unknown[], help: boolean) => Promise<unknown>> };
  /** Create the data directory (no-op in memory). */
  ensure(): Promise<void>;
  open(): Promise<void>;
  close(): Promise<void>;
  getMeta(hash: string): Promise<{ readonly tx: BcoinTX } | null>;
  getCoinsByAddress(addrs: unknown[]): Promise<BcoinCoin[]>;
  on(event: 'error', fn: (err: Error) => void): void;
}

interface AddressPrefix {
  pubkeyhash: number;
  scripthash: number;
  witnesspubkeyhash: number;
  witnessscripthash: number;
  bech32: string;
}

export interface BcoinModule {
  readonly FullNode: new (options: Record<string, unknown>) => BcoinFullNode;
  readonly TX: { fromRaw(raw: Buffer): BcoinTX };
  readonly Address: { fromString(addr: string, network: string): unknown };
  readonly networks: { readonly regtest: { addressPrefix: AddressPrefix; readonly halvingInterval: number } };
  readonly pkg: { readonly version: string };
}

let cached: BcoinModule | undefined;

/** Load bcoin once, lazily (no work at import time). */
export function loadBcoin(): BcoinModule {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = require('bcoin') as BcoinModule;
  }
  return cached;
}
