import type { Network } from '../network.ts';

/** A block header, neutral of the backend. Hashes are hex in display (RPC) byte order. */
export interface BlockHeader {
  readonly hash: string;
  readonly height: number;
  readonly prevHash: string;
  /** Block timestamp, seconds since the Unix epoch. */
  readonly time: number;
  readonly merkleRoot: string;
}

/** The tip of the best chain. */
export interface ChainTip {
  readonly height: number;
  readonly hash: string;
}

/** Outcome of a broadcast: accepted with its txid, or rejected with the node's reason. */
export type BroadcastResult =
  | { readonly accepted: true; readonly txid: string }
  | { readonly accepted: false; readonly reason: string };

/** A transaction in the mempool, raw. */
export interface MempoolTx {
  readonly txid: string;
  readonly raw: Uint8Array;
}

/**
 * Where the chain comes from (Bitcoin Core, Esplora, the embedded regtest node).
 * Every result is neutral data; callers never ask which backend it is.
 * Failures are DomainErrors: CHAIN_UNAVAILABLE (down, timeout), CHAIN_AUTH_FAILED,
 * CHAIN_SYNCING (initial block download), CHAIN_BAD_RESPONSE (malformed answer),
 * NETWORK_MISMATCH (genesis hash of another network), NOT_FOUND (unknown block/tx).
 */
export interface ChainSource {
  /** The network this source serves, checked against its genesis block hash. */
  network(): Promise<Network>;
  genesisHash(): Promise<string>;
  tip(): Promise<ChainTip>;
  /** Hash of the best-chain block at `height`; NOT_FOUND above the tip. */
  blockHash(height: number): Promise<string>;
  header(hash: string): Promise<BlockHeader>;
  /** The raw serialized block (with witness data). */
  rawBlock(hash: string): Promise<Uint8Array>;
  /** The raw serialized transaction (with witness data). */
  rawTransaction(txid: string): Promise<Uint8Array>;
  broadcast(rawTx: Uint8Array): Promise<BroadcastResult>;
  /** Fee-rate estimate in sat/vB for confirmation within `targetBlocks`, or null if the source has none. */
  estimateFeeRate(targetBlocks: number): Promise<number | null>;
  mempool(): Promise<MempoolTx[]>;
  /** The BIP-158 basic filter of a block, or null when the backend does not serve filters. */
  blockFilter(hash: string): Promise<Uint8Array | null>;
  /**
   * Optional batched reads, for a backend that can answer many in one round trip (Bitcoin Core's
   * JSON-RPC batches). Same answers and errors as the single calls, in the order asked; a caller
   * falls back to the single calls when a source has none (see `app/block-feed.ts`).
   */
  /** Hashes of the best-chain blocks at `fromHeight` … `fromHeight + count - 1`; NOT_FOUND past the tip. */
  blockHashes?(fromHeight: number, count: number): Promise<string[]>;
  headers?(hashes: readonly string[]): Promise<BlockHeader[]>;
  /** Filters of the blocks; each null when the backend does not serve filters. */
  blockFilters?(hashes: readonly string[]): Promise<Array<Uint8Array | null>>;
  /** Release sockets/timers. */
  close(): Promise<void>;
}
