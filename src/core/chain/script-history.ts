/**
 * Script-history sync (BDK's Esplora/Electrum approach): instead of walking blocks, ask an indexer
 * for the history of each watched script, and turn those histories into the same neutral update the
 * block walk produces — transactions grouped by the block they are anchored in, plus the mempool
 * ones — so the vault core applies them with the same code (`scanToFixedPoint`, `applyBlockScan`,
 * `matchMempool`) and the result is the block walk's, to the byte.
 *
 * This file holds the port (`ScriptHistorySource`) and the pure steps: which scripts to ask for next
 * (gap-limit discovery), how to merge the answers into blocks and mempool, how to check a merkle
 * proof against a header, and how to scan a block's matching transactions into a `ScanResult`.
 * No I/O, no clock.
 */
import { Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import { parseBlockHeader, type BlockHeaderInfo, type OutpointMatcher, type ScanResult, type ScriptMatcher } from '../bitcoin/block-scanner.ts';
import type { Branch } from '../vault/types.ts';
import type { ChainTip } from './chain-source.ts';

/** One transaction of a script's history, as the indexer reports it. */
export interface ScriptHistoryEntry {
  readonly txid: string;
  /** The serialized transaction (with witness), already checked to hash to `txid` by the adapter. */
  readonly raw: Uint8Array;
  /** Height of the block it is confirmed in; null while in the mempool. */
  readonly height: number | null;
  /** The block's hash when the indexer tells it (Esplora does, Electrum does not); null otherwise. */
  readonly blockHash: string | null;
}

/** Electrum/Esplora merkle proof: position in the block and the sibling hashes (display hex). */
export interface MerkleProof {
  readonly pos: number;
  readonly merkle: readonly string[];
}

/** Requests and bytes an adapter has used so far. */
export interface Traffic {
  readonly requests: number;
  readonly bytes: number;
}

/**
 * An indexer that answers per script (Esplora's /scripthash, Electrum's blockchain.scripthash.*).
 * Failures are DomainErrors with the ChainSource codes: CHAIN_UNAVAILABLE, CHAIN_AUTH_FAILED,
 * CHAIN_BAD_RESPONSE (malformed or self-contradicting answer), NOT_FOUND.
 */
export interface ScriptHistorySource {
  readonly endpoint: string;
  tip(): Promise<ChainTip>;
  /** Hash of the best-chain block at `height`; NOT_FOUND above the tip. */
  blockHash(height: number): Promise<string>;
  /** The 80-byte header of a block. */
  rawHeader(hash: string): Promise<Uint8Array>;
  /** Every transaction paying to or spending from `script`, confirmed and in the mempool. */
  scriptHistory(script: Uint8Array): Promise<ScriptHistoryEntry[]>;
  /** Where `txid` sits in the block at `height`. */
  merkleProof(txid: string, height: number): Promise<MerkleProof>;
  traffic(): Traffic;
  close(): Promise<void>;
}

/** A watched script and its place in the vault (branch 0 = receive, 1 = change). */
export interface ScriptSlot {
  readonly branch: Branch;
  readonly index: number;
  /** scriptPubKey, hex. */
  readonly script: string;
}

/**
 * Gap-limit discovery: which (branch, index) to fetch next. Each branch must be fetched up to
 * `gap` consecutive scripts without history after its highest script with history (the same
 * window `WatchState.ensureLookahead` keeps). `fetched[b]` is how many indexes 0..n-1 of branch b
 * have been fetched (or are known to the store), `lastUsed[b]` the highest index with history (-1).
 *
 * @example
 *   nextIndexesToFetch({ branches: [0, 1], fetched: [20, 20], lastUsed: [4, -1], gap: 20 });
 *   // → [{ branch: 0, from: 20, to: 25 }]  (indexes 20..24 on the receive branch)
 */
export function nextIndexesToFetch(p: { branches: readonly Branch[]; fetched: readonly [number, number]; lastUsed: readonly [number, number]; gap: number }): Array<{ branch: Branch; from: number; to: number }> {
  if (!Number.isInteger(p.gap) || p.gap < 1) throw new RangeError(`nextIndexesToFetch: "gap" must be a positive integer, got ${p.gap}`);
  const out: Array<{ branch: Branch; from: number; to: number }> = [];
  for (const b of p.branches) {
    const want = p.lastUsed[b] + 1 + p.gap;
    if (p.fetched[b] < want) out.push({ branch: b, from: p.fetched[b], to: want });
  }
  return out;
}

/** A block the update anchors transactions in. */
export interface AnchorBlock {
  readonly height: number;
  /** The hash the indexer named, if it named one (checked against the chain by the caller). */
  readonly claimedHash: string | null;
  readonly txs: ReadonlyArray<{ txid: string; raw: Uint8Array }>;
}

/** Per-script histories merged: confirmed transactions grouped by block, and the mempool ones. */
export interface HistoryUpdate {
  /** Ascending height; only blocks in (afterHeight, tipHeight]. */
  readonly blocks: readonly AnchorBlock[];
  readonly mempool: ReadonlyArray<{ txid: string; raw: Uint8Array }>;
  /** Confirmed above the tip the sync started from: left for the next sync. */
  readonly aboveTip: number;
}

/**
 * Merge per-script histories. A transaction seen in several histories must be reported the same
 * way each time; if two answers disagree (it was mined or reorganised between two requests) the
 * result is `{ inconsistent: txid }` and the caller asks again. Transactions confirmed at or
 * below `afterHeight` are already accounted for by the store (or, like the block walk, were not
 * watched when their block was processed) and are left out.
 *
 * @example
 *   mergeHistories([[{ txid, raw, height: 120, blockHash: h }]], { afterHeight: 100, tipHeight: 130 });
 *   // → { blocks: [{ height: 120, claimedHash: h, txs: [{ txid, raw }] }], mempool: [], aboveTip: 0 }
 */
export function mergeHistories(histories: ReadonlyArray<readonly ScriptHistoryEntry[]>, range: { afterHeight: number; tipHeight: number }): HistoryUpdate | { inconsistent: string } {
  const seen = new Map<string, ScriptHistoryEntry>();
  for (const h of histories) {
    for (const e of h) {
      const prev = seen.get(e.txid);
      if (!prev) seen.set(e.txid, e);
      else if (prev.height !== e.height || (prev.blockHash !== null && e.blockHash !== null && prev.blockHash !== e.blockHash)) return { inconsistent: e.txid };
      else if (prev.blockHash === null && e.blockHash !== null) seen.set(e.txid, e);
    }
  }
  const byHeight = new Map<number, { claimedHash: string | null; txs: Array<{ txid: string; raw: Uint8Array }> }>();
  const mempool: Array<{ txid: string; raw: Uint8Array }> = [];
  let aboveTip = 0;
  for (const e of seen.values()) {
    if (e.height === null) {
      mempool.push({ txid: e.txid, raw: e.raw });
      continue;
    }
    if (e.height <= range.afterHeight) continue;
    if (e.height > range.tipHeight) {
      aboveTip++;
      continue;
    }
    let b = byHeight.get(e.height);
    if (!b) {
      b = { claimedHash: e.blockHash, txs: [] };
      byHeight.set(e.height, b);
    } else if (b.claimedHash === null) b.claimedHash = e.blockHash;
    else if (e.blockHash !== null && e.blockHash !== b.claimedHash) return { inconsistent: e.txid };
    b.txs.push({ txid: e.txid, raw: e.raw });
  }
  const blocks = [...byHeight.entries()].sort((a, b) => a[0] - b[0]).map(([height, b]) => ({ height, claimedHash: b.claimedHash, txs: b.txs }));
  mempool.sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0));
  return { blocks, mempool, aboveTip };
}

function sha256d(b: Uint8Array): Uint8Array {
  return sha256(sha256(b));
}

function reversedHex(b: Uint8Array): string {
  return hex.encode(Uint8Array.from(b).reverse());
}

/** The txid of a serialized transaction (display hex). Throws MALFORMED_DATA if it does not parse. */
export function txidOf(raw: Uint8Array): string {
  try {
    return Transaction.fromBuffer(raw).getId();
  } catch {
    throw new DomainError('MALFORMED_DATA', 'the bytes are not a transaction');
  }
}

/**
 * The merkle root (display hex) a proof leads to from `txid` (Electrum's `get_merkle` rule:
 * bit i of `pos` says whether the sibling at level i is on the left).
 *
 * @example
 *   merkleRootOf(coinbaseTxid, { pos: 0, merkle: [] }) === coinbaseTxid; // a block with one tx
 */
export function merkleRootOf(txid: string, proof: MerkleProof): string {
  if (!Number.isSafeInteger(proof.pos) || proof.pos < 0) throw new RangeError(`merkleRootOf: "pos" must be a non-negative integer, got ${proof.pos}`);
  let cur = hex.decode(txid).reverse();
  let pos = proof.pos;
  for (const s of proof.merkle) {
    const sib = hex.decode(s).reverse();
    const pair = new Uint8Array(64);
    if (pos & 1) {
      pair.set(sib, 0);
      pair.set(cur, 32);
    } else {
      pair.set(cur, 0);
      pair.set(sib, 32);
    }
    cur = sha256d(pair);
    pos = Math.floor(pos / 2);
  }
  // A position beyond the tree's width would prove nothing.
  if (pos !== 0) return '';
  return reversedHex(cur);
}

/** Parse an 80-byte header and check it hashes to `hash`; null when it does not. */
export function checkedHeader(raw: Uint8Array, hash: string): BlockHeaderInfo | null {
  if (raw.length !== 80) return null;
  const h = parseBlockHeader(raw);
  return h.hash === hash ? h : null;
}

/**
 * Scan the transactions of one block that the histories name (each with its position in the
 * block) the way the block scanner scans a whole block: outputs paying to `scripts`, inputs
 * spending `outpoints`. The result feeds `scanToFixedPoint`/`applyBlockScan` unchanged.
 */
export function scanAnchoredTransactions(
  header: BlockHeaderInfo,
  txs: ReadonlyArray<{ txid: string; raw: Uint8Array; txIndex: number }>,
  watch: { scripts: ScriptMatcher; outpoints: OutpointMatcher },
): ScanResult {
  const result: ScanResult = { header, txCount: txs.length, outputs: [], spends: [], transactions: new Map() };
  const sorted = [...txs].sort((a, b) => a.txIndex - b.txIndex);
  const prevout = new Uint8Array(36);
  const view = new DataView(prevout.buffer);
  for (const t of sorted) {
    const tx = Transaction.fromBuffer(t.raw);
    let matched = false;
    tx.outs.forEach((o, vout) => {
      const s = Uint8Array.from(o.script);
      if (watch.scripts.has(s, 0, s.length)) {
        result.outputs.push({ txid: t.txid, vout, value: BigInt(o.value), script: s, txIndex: t.txIndex });
        matched = true;
      }
    });
    if (watch.outpoints.size > 0) {
      tx.ins.forEach((input, vin) => {
        prevout.set(input.hash, 0);
        view.setUint32(32, input.index, true);
        if (watch.outpoints.has(prevout, 0)) {
          result.spends.push({ txid: t.txid, vin, prevTxid: reversedHex(Uint8Array.from(input.hash)), prevVout: input.index, txIndex: t.txIndex });
          matched = true;
        }
      });
    }
    if (matched) result.transactions.set(t.txid, { raw: t.raw, txIndex: t.txIndex });
  }
  return result;
}
