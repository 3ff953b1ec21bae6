/**
 * `ChainSource` over an embedded bcoin node, in-process (no HTTP): what the regtest harness
 * hands to tests and the demo. Broadcasts go through the node's mempool so a rejection comes
 * back with bcoin's reason (its `sendrawtransaction` RPC would hide it).
 */
import type { BlockHeader, BroadcastResult, ChainSource, ChainTip, MempoolTx } from '../../core/chain/chain-source.ts';
import { DomainError } from '../../core/errors.ts';
import type { Network } from '../../core/network.ts';
import type { BcoinFullNode, BcoinModule, BcoinVerifyError } from './bcoin-types.ts';
import { assertHash, assertHeight, networkOfGenesis } from './errors.ts';
import { buildBasicFilter } from '../../core/bitcoin/bip158.ts';

/** Display order <-> bcoin's internal order (both hex). */
export function revHex(hex: string): string {
  return Buffer.from(hex, 'hex').reverse().toString('hex');
}

function isVerifyError(e: unknown): e is BcoinVerifyError {
  return typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'VerifyError';
}

/**
 * Submit a raw transaction to the node's mempool and report bcoin's verdict in Bitcoin Core's
 * words where they differ (a transaction with unknown inputs is refused, not kept as an orphan).
 */
export async function submitToMempool(bcoin: BcoinModule, node: BcoinFullNode, raw: Uint8Array): Promise<BroadcastResult> {
  let tx;
  try {
    tx = bcoin.TX.fromRaw(Buffer.from(raw));
  } catch {
    return { accepted: false, reason: 'TX decode failed' };
  }
  const hash = tx.hash('hex');
  if (node.mempool.hasEntry(hash)) return { accepted: true, txid: tx.txid() };
  try {
    const missing = await node.mempool.addTX(tx);
    if (missing && missing.length > 0) {
      if (node.mempool.hasOrphan(hash)) node.mempool.removeOrphan(hash);
      return { accepted: false, reason: 'bad-txns-inputs-missingorspent' };
    }
  } catch (e) {
    if (isVerifyError(e)) return { accepted: false, reason: e.reason };
    throw e;
  }
  return { accepted: true, txid: tx.txid() };
}

/** bcoin estimates at most this many blocks ahead (and asserts beyond); Core clamps likewise. */
export const BCOIN_MAX_FEE_TARGET = 15;

/** bcoin's smart fee estimate in satoshis per 1000 bytes, 0 when it has none; the target is clamped. */
export function bcoinFeeEstimate(node: BcoinFullNode, targetBlocks: number): number {
  return node.fees.estimateFee(Math.min(Math.max(1, targetBlocks), BCOIN_MAX_FEE_TARGET), true);
}

export class BcoinChainSource implements ChainSource {
  readonly endpoint: string;
  readonly #bcoin: BcoinModule;
  readonly #node: BcoinFullNode;
  /** Filters built so far, by block hash (a block's filter never changes); bounded. */
  readonly #filters = new Map<string, Uint8Array>();
  readonly #isOpen: () => boolean;

  constructor(bcoin: BcoinModule, node: BcoinFullNode, isOpen: () => boolean, endpoint = 'embedded regtest node (in-process)') {
    this.#bcoin = bcoin;
    this.#node = node;
    this.#isOpen = isOpen;
    this.endpoint = endpoint;
  }

  async genesisHash(): Promise<string> {
    const e = await this.#open().chain.getEntry(0);
    if (!e) throw new DomainError('CHAIN_BAD_RESPONSE', 'the embedded node has no genesis block');
    return e.rhash();
  }

  async network(): Promise<Network> {
    const g = await this.genesisHash();
    const n = networkOfGenesis(g);
    if (!n) throw new DomainError('NETWORK_MISMATCH', `the ${this.endpoint} serves an unknown chain (genesis ${g})`);
    return n;
  }

  async tip(): Promise<ChainTip> {
    const t = this.#open().chain.tip;
    return { height: t.height, hash: t.rhash() };
  }

  async blockHash(height: number): Promise<string> {
    assertHeight('blockHash', height);
    const chain = this.#open().chain;
    const h = height <= chain.height ? await chain.getHash(height) : null;
    if (!h) throw new DomainError('NOT_FOUND', `no block at height ${height} on the ${this.endpoint} (above the tip)`);
    return revHex(h);
  }

  async header(hash: string): Promise<BlockHeader> {
    assertHash('header', hash);
    const e = await this.#open().chain.getEntry(revHex(hash));
    if (!e) throw new DomainError('NOT_FOUND', `block ${hash} not found on the ${this.endpoint}`);
    return { hash: e.rhash(), height: e.height, prevHash: revHex(e.prevBlock), time: e.time, merkleRoot: revHex(e.merkleRoot) };
  }

  async rawBlock(hash: string): Promise<Uint8Array> {
    assertHash('rawBlock', hash);
    const b = await this.#open().chain.getBlock(revHex(hash));
    if (!b) throw new DomainError('NOT_FOUND', `block ${hash} not found on the ${this.endpoint}`);
    return new Uint8Array(b.toRaw());
  }

  async rawTransaction(txid: string): Promise<Uint8Array> {
    assertHash('rawTransaction', txid);
    const meta = await this.#open().getMeta(revHex(txid));
    if (!meta) throw new DomainError('NOT_FOUND', `transaction ${txid} not found on the ${this.endpoint}`);
    return new Uint8Array(meta.tx.toRaw());
  }

  broadcast(rawTx: Uint8Array): Promise<BroadcastResult> {
    return submitToMempool(this.#bcoin, this.#open(), rawTx);
  }

  async estimateFeeRate(targetBlocks: number): Promise<number | null> {
    if (!Number.isSafeInteger(targetBlocks) || targetBlocks < 1) throw new RangeError(`estimateFeeRate: target must be a positive integer, got ${String(targetBlocks)}`);
    const perKb = bcoinFeeEstimate(this.#open(), targetBlocks);
    return perKb > 0 ? perKb / 1000 : null;
  }

  async mempool(): Promise<MempoolTx[]> {
    const node = this.#open();
    const out: MempoolTx[] = [];
    for (const hash of node.mempool.getSnapshot()) {
      const tx = node.mempool.getTX(hash);
      if (tx) out.push({ txid: tx.txid(), raw: new Uint8Array(tx.toRaw()) });
    }
    return out;
  }

  /** bcoin 1.0.2 keeps no BIP-158 filter index. */
  /**
   * BIP-158 basic filter, built from the block and the coins it spent (the node's undo data), as a
   * node with a filter index would serve it; kept in memory once built. bcoin 1.0.2 has no filter
   * index of its own, so its RPC interface serves none.
   */
  async blockFilter(hash: string): Promise<Uint8Array | null> {
    assertHash('blockFilter', hash);
    const cached = this.#filters.get(hash);
    if (cached) return cached;
    const chain = this.#open().chain;
    const block = await chain.getBlock(revHex(hash));
    if (!block) throw new DomainError('NOT_FOUND', `block ${hash} not found on the ${this.endpoint}`);
    const view = await chain.getBlockView(block);
    const spent: Uint8Array[] = [];
    for (const tx of block.txs) {
      if (tx.isCoinbase()) continue;
      for (const input of tx.inputs) {
        const out = view.getOutputFor(input);
        if (!out) throw new DomainError('CHAIN_BAD_RESPONSE', `the ${this.endpoint} has no undo data for an input of block ${hash}`);
        spent.push(new Uint8Array(out.script.toRaw()));
      }
    }
    const filter = buildBasicFilter(new Uint8Array(block.toRaw()), spent);
    if (this.#filters.size >= 20_000) this.#filters.clear();
    this.#filters.set(hash, filter);
    return filter;
  }

  async close(): Promise<void> {
    // The node belongs to the harness; nothing to release here.
  }

  #open(): BcoinFullNode {
    if (!this.#isOpen()) throw new DomainError('CHAIN_UNAVAILABLE', `the ${this.endpoint} is stopped`);
    return this.#node;
  }
}
