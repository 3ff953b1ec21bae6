/**
 * Ports: the interfaces the pure core needs from the outside world.
 * Adapters in `src/adapters` implement them; the core never imports an adapter.
 */

/** The wall clock, injected so the core stays deterministic. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A source of randomness, injected for the same reason. */
export interface RandomSource {
  bytes(n: number): Uint8Array;
}

export type { ChainSource, ChainTip, BlockHeader, BroadcastResult, MempoolTx } from './chain/chain-source.ts';
