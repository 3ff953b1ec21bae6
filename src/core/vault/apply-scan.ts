import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import type { ScanResult } from '../bitcoin/block-scanner.ts';
import type { Txo, VaultAddress, VaultTransaction, TxCategory, Branch } from './types.ts';
import { outpointKey, type WatchState } from './watch-state.ts';

/** Everything one block changes for one vault; persisted atomically with its checkpoint. */
export interface BlockChanges {
  readonly height: number;
  readonly hash: string;
  readonly time: number;
  readonly newTxos: readonly Txo[];
  readonly spends: ReadonlyArray<{ txid: string; vout: number; spentTxid: string }>;
  readonly transactions: readonly VaultTransaction[];
  readonly usedAddresses: ReadonlyArray<{ branch: Branch; index: number }>;
  readonly newAddresses: readonly VaultAddress[];
}

/** The vault's view of the mempool; replaces the previous one atomically. */
export interface MempoolChanges {
  readonly newTxos: readonly Txo[];
  readonly spends: ReadonlyArray<{ txid: string; vout: number; spentTxid: string }>;
  readonly transactions: readonly VaultTransaction[];
  readonly usedAddresses: ReadonlyArray<{ branch: Branch; index: number }>;
  readonly newAddresses: readonly VaultAddress[];
}

/**
 * Grow the watch set until a scan of the block is stable: outputs to lookahead addresses extend
 * the gap window, and outputs created in this block may be spent later in the same block.
 * `scan` is the block scanner bound to the raw block. Returns the final scan and the addresses
 * derived on the way.
 */
export function scanToFixedPoint(state: WatchState, scan: () => ScanResult): { result: ScanResult; newAddresses: VaultAddress[] } {
  const newAddresses: VaultAddress[] = [];
  const tentative = new Set<string>();
  for (let pass = 0; ; pass++) {
    if (pass > 1000) throw new RangeError('scanToFixedPoint: no fixed point after 1000 passes');
    const result = scan();
    let changed = false;
    for (const o of result.outputs) {
      const key = outpointKey(o.txid, o.vout);
      if (!tentative.has(key) && !state.unspent.has(key)) {
        tentative.add(key);
        state.outpoints.add(o.txid, o.vout);
        changed = true;
      }
      const slot = state.byScript.get(hex.encode(o.script));
      if (slot && state.markUsed(slot)) {
        newAddresses.push(...state.ensureLookahead());
        changed = true;
      }
    }
    if (!changed) return { result, newAddresses };
  }
}

interface Matched {
  txIndex: number | null;
  raw: Uint8Array;
  outputs: Txo[];
  spent: Txo[];
}

function inferCategory(received: bigint, spent: bigint, allOutputsOurs: boolean): TxCategory {
  if (spent === 0n) return 'receipt';
  return allOutputsOurs ? 'internal consolidation' : 'payment';
}

function buildTransactions(
  state: WatchState,
  matched: Map<string, Matched>,
  known: Map<string, Txo>,
  at: { height: number | null; hash: string | null; time: number | null },
): VaultTransaction[] {
  const txs: VaultTransaction[] = [];
  for (const [txid, m] of matched) {
    const received = m.outputs.reduce((s, o) => s + o.value, 0n);
    const spent = m.spent.reduce((s, o) => s + o.value, 0n);
    const tx = Transaction.fromBuffer(m.raw);
    let inputSum = 0n;
    let allInputsOurs = true;
    for (const input of tx.ins) {
      const prev = known.get(outpointKey(hex.encode(Uint8Array.from(input.hash).reverse()), input.index));
      if (!prev) {
        allInputsOurs = false;
        break;
      }
      inputSum += prev.value;
    }
    const outputSum = tx.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    const allOutputsOurs = tx.outs.every((o) => state.byScript.has(hex.encode(o.script)));
    txs.push({
      txid,
      height: at.height,
      blockHash: at.hash,
      blockTime: at.time,
      txIndex: m.txIndex,
      received,
      spent,
      fee: allInputsOurs && tx.ins.length > 0 ? inputSum - outputSum : null,
      category: inferCategory(received, spent, allOutputsOurs),
      rawHex: hex.encode(m.raw),
    });
  }
  return txs;
}

/**
 * Apply a stable block scan to the watch state and return the changes to persist.
 * Mutates `state` (unspent set, used marks) to match what the store will hold after commit.
 */
export function applyBlockScan(
  state: WatchState,
  result: ScanResult,
  at: { height: number; hash: string; time: number },
  newAddresses: readonly VaultAddress[],
): BlockChanges {
  const matched = new Map<string, Matched>();
  const entry = (txid: string, txIndex: number): Matched => {
    let m = matched.get(txid);
    if (!m) {
      const raw = result.transactions.get(txid)?.raw;
      if (!raw) throw new TypeError(`applyBlockScan: scanner returned no raw bytes for ${txid}`);
      m = { txIndex, raw, outputs: [], spent: [] };
      matched.set(txid, m);
    }
    return m;
  };
  const known = new Map(state.unspent);
  const newTxos: Txo[] = [];
  const used: Array<{ branch: Branch; index: number }> = [];
  for (const o of result.outputs) {
    const script = hex.encode(o.script);
    const slot = state.byScript.get(script);
    if (!slot) continue; // an outpoint-only match cannot produce an output; defensive
    const txo: Txo = { txid: o.txid, vout: o.vout, value: o.value, script, branch: slot.branch, index: slot.index, height: at.height, spentTxid: null, spentHeight: null, frozen: false };
    newTxos.push(txo);
    known.set(outpointKey(o.txid, o.vout), txo);
    used.push({ branch: slot.branch, index: slot.index });
    entry(o.txid, o.txIndex).outputs.push(txo);
  }
  const spends: Array<{ txid: string; vout: number; spentTxid: string }> = [];
  for (const s of result.spends) {
    const prev = known.get(outpointKey(s.prevTxid, s.prevVout));
    if (!prev) continue; // spent an outpoint we watched tentatively but never owned
    spends.push({ txid: s.prevTxid, vout: s.prevVout, spentTxid: s.txid });
    entry(s.txid, s.txIndex).spent.push(prev);
  }
  const transactions = buildTransactions(state, matched, known, at);
  // Mutate the state to its post-commit shape.
  for (const t of newTxos) state.addUnspent(t);
  for (const s of spends) state.removeUnspent(s.txid, s.vout);
  return { height: at.height, hash: at.hash, time: at.time, newTxos, spends, transactions, usedAddresses: used, newAddresses };
}

/**
 * Match mempool transactions (raw, in any order) against the state. Chains of unconfirmed
 * transactions are followed. Does not mutate `state`'s unspent set: the mempool view is
 * replaced wholesale on every sync.
 */
export function matchMempool(state: WatchState, txs: ReadonlyArray<{ txid: string; raw: Uint8Array }>): MempoolChanges {
  const known = new Map(state.unspent);
  const parsed = txs.map((t) => ({ txid: t.txid, raw: t.raw, tx: Transaction.fromBuffer(t.raw) }));
  const matched = new Map<string, Matched>();
  const newTxos: Txo[] = [];
  const spends: Array<{ txid: string; vout: number; spentTxid: string }> = [];
  const used: Array<{ branch: Branch; index: number }> = [];
  const newAddresses: VaultAddress[] = [];
  const doneOutputs = new Set<string>();
  const doneSpends = new Set<string>();
  // Iterate to a fixed point so parent/child order in the mempool list does not matter.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of parsed) {
      p.tx.outs.forEach((o, vout) => {
        const key = outpointKey(p.txid, vout);
        if (doneOutputs.has(key)) return;
        const script = hex.encode(o.script);
        const slot = state.byScript.get(script);
        if (!slot) return;
        doneOutputs.add(key);
        const txo: Txo = { txid: p.txid, vout, value: BigInt(o.value), script, branch: slot.branch, index: slot.index, height: null, spentTxid: null, spentHeight: null, frozen: false };
        newTxos.push(txo);
        known.set(key, txo);
        used.push({ branch: slot.branch, index: slot.index });
        if (state.markUsed(slot)) newAddresses.push(...state.ensureLookahead());
        getOrAdd(matched, p.txid, p.raw).outputs.push(txo);
        changed = true;
      });
      for (const input of p.tx.ins) {
        const prevTxid = hex.encode(Uint8Array.from(input.hash).reverse());
        const key = outpointKey(prevTxid, input.index);
        if (doneSpends.has(key)) continue;
        const prev = known.get(key);
        if (!prev) continue;
        doneSpends.add(key);
        spends.push({ txid: prevTxid, vout: input.index, spentTxid: p.txid });
        getOrAdd(matched, p.txid, p.raw).spent.push(prev);
        changed = true;
      }
    }
  }
  const transactions = buildTransactions(state, matched, known, { height: null, hash: null, time: null });
  return { newTxos, spends, transactions, usedAddresses: used, newAddresses };
}

function getOrAdd(m: Map<string, Matched>, txid: string, raw: Uint8Array): Matched {
  let e = m.get(txid);
  if (!e) {
    e = { txIndex: null, raw, outputs: [], spent: [] };
    m.set(txid, e);
  }
  return e;
}

/**
 * Given the vault's checkpoints (highest first) and a lookup of the chain's hash at a height,
 * find the highest checkpoint still on the best chain. Returns null when none is (the vault
 * must resync from its birthday). Pure: the lookup is whatever the caller fetched.
 */
export function findForkPoint(checkpoints: ReadonlyArray<{ height: number; hash: string }>, chainHashAt: ReadonlyMap<number, string | null>): { height: number; hash: string } | null {
  for (const cp of checkpoints) {
    if (chainHashAt.get(cp.height) === cp.hash) return cp;
  }
  return null;
}
