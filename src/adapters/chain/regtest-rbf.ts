/**
 * BIP125 replace-by-fee for the embedded regtest node. bcoin 1.0.2's mempool has no replacement:
 * it refuses any transaction that spends an output a mempool transaction already spends
 * ('bad-txns-inputs-spent'). Bitcoin Core replaces when the rules below hold, and Soberana's
 * `spend bump` relies on it, so the harness implements the core of BIP125 itself:
 *
 * 1. every directly conflicting mempool transaction signals replaceability (an input's nSequence
 *    below 0xfffffffe) — otherwise 'txn-mempool-conflict';
 * 3. the replacement pays an absolute fee at least the sum of the fees of everything it evicts
 *    (the conflicts and their descendants), and
 * 4. pays for its own relay on top: (its fee − evicted fees) ≥ 1 sat/vB × its vsize;
 * 6. its fee rate is above each conflict's — otherwise 'insufficient fee'.
 * (Rule 2, no new unconfirmed inputs, and rule 5, at most 100 evictions, are not checked.)
 *
 * How: the conflicts (with descendants) are evicted, the replacement is offered to bcoin, and its
 * fee as bcoin computed it is compared; when a rule fails, or bcoin refuses it for another reason,
 * the replacement is removed and the evicted transactions are put back.
 */
import type { BroadcastResult } from '../../core/chain/chain-source.ts';
import { submitToMempool } from './bcoin-chain-source.ts';
import type { BcoinFullNode, BcoinModule } from './bcoin-types.ts';

/** The mempool internals the replacement needs (bcoin 1.0.2, lib/mempool/mempool.js). */
interface RbfEntry {
  readonly tx: { readonly inputs: readonly { readonly sequence: number }[]; toRaw(): Buffer; hash(enc?: 'hex'): string | Buffer };
  readonly fee: number;
  readonly size: number;
}
interface RbfMempool {
  /** Hashes are hex strings in internal byte order. */
  getSpent(hash: string, index: number): RbfEntry | undefined;
  getEntry(hash: string): RbfEntry | undefined;
  evictEntry(entry: RbfEntry): void;
  getSnapshot(): string[];
}
interface RbfTx {
  readonly inputs: readonly { readonly prevout: { readonly hash: string; readonly index: number } }[];
  hash(enc: 'hex'): string;
}

/** Minimum relay fee: 1 sat/vB (rule 4). */
const INCREMENTAL_RELAY_SAT_PER_VB = 1;

/** Submit a raw transaction, replacing BIP125-signalling conflicts that it outbids. */
export async function submitWithReplacement(bcoin: BcoinModule, node: BcoinFullNode, raw: Uint8Array): Promise<BroadcastResult> {
  const mempool = node.mempool as unknown as RbfMempool;
  let tx: RbfTx;
  try {
    tx = bcoin.TX.fromRaw(Buffer.from(raw)) as unknown as RbfTx;
  } catch {
    return submitToMempool(bcoin, node, raw);
  }
  const conflicts = new Map<string, RbfEntry>();
  for (const { prevout } of tx.inputs) {
    const e = mempool.getSpent(prevout.hash, prevout.index);
    if (e) conflicts.set(String(e.tx.hash('hex')), e);
  }
  if (conflicts.size === 0) return submitToMempool(bcoin, node, raw);
  // BIP125 signalling, checked here: bcoin's isRBF() answers false for every version-2 transaction.
  if ([...conflicts.values()].some((e) => !e.tx.inputs.some((i) => i.sequence < 0xfffffffe))) return { accepted: false, reason: 'txn-mempool-conflict' };

  // Evict the conflicts and their descendants, remembering everything that left (to restore it).
  const before = new Set(mempool.getSnapshot());
  const snapshotRaw = new Map<string, Buffer>();
  for (const h of before) {
    const e = mempool.getEntry(h);
    if (e) snapshotRaw.set(h, e.tx.toRaw());
  }
  const beforeFees = new Map<string, number>();
  for (const h of before) beforeFees.set(h, mempool.getEntry(h)?.fee ?? 0);
  for (const e of conflicts.values()) mempool.evictEntry(e);
  const evicted = [...before].filter((h) => !new Set(mempool.getSnapshot()).has(h));
  const evictedFee = evicted.reduce((s, h) => s + (beforeFees.get(h) ?? 0), 0);

  const restore = async (): Promise<void> => {
    // Parents before children: resubmit in the order they were in the snapshot, twice to settle.
    for (let pass = 0; pass < 2; pass++) for (const h of evicted) await submitToMempool(bcoin, node, snapshotRaw.get(h) ?? Buffer.alloc(0));
  };
  const r = await submitToMempool(bcoin, node, raw);
  if (!r.accepted) {
    await restore();
    return r;
  }
  const entry = mempool.getEntry(tx.hash('hex'));
  const fee = entry?.fee ?? 0;
  const vsize = entry?.size ?? Number.MAX_SAFE_INTEGER;
  const outbidsRate = [...conflicts.values()].every((c) => fee / vsize > c.fee / c.size);
  if (fee < evictedFee || fee - evictedFee < INCREMENTAL_RELAY_SAT_PER_VB * vsize || !outbidsRate) {
    if (entry) mempool.evictEntry(entry);
    await restore();
    return { accepted: false, reason: `insufficient fee, rejecting replacement ${r.txid}: pays ${fee} sats for ${vsize} vB against ${evictedFee} sats evicted` };
  }
  return r;
}
