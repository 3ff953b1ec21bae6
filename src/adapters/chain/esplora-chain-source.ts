/**
 * `ChainSource` over an Esplora HTTP API (the Blockstream / mempool.space shape), for an office
 * without its own node. The transport is injected (`fetch`-like), so tests replay recorded
 * answers. 429 and 5xx answers are retried with exponential backoff (honouring Retry-After,
 * capped); 404 means "not found". Esplora serves no BIP-158 filters: `blockFilter` is null.
 *
 * @example
 *   const source = new EsploraChainSource({ url: 'https://blockstream.info/api/' });
 *   const tip = await source.tip();
 */
import { Block, Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BlockHeader, BroadcastResult, ChainSource, ChainTip, MempoolTx } from '../../core/chain/chain-source.ts';
import { DomainError } from '../../core/errors.ts';
import type { Network } from '../../core/network.ts';
import { assertHash, assertHeight, badResponse, HEX64, networkOfGenesis, type FetchResponseLike } from './errors.ts';
import { EsploraScriptHistory } from './esplora-script-history.ts';
import { esploraHttp, esploraSend, type EsploraHttp, type EsploraHttpOptions } from './esplora-http.ts';

export interface EsploraChainSourceOptions extends EsploraHttpOptions {
  /** Parallel requests when reading the mempool. Default 8. */
  readonly concurrency?: number;
}


export class EsploraChainSource implements ChainSource {
  readonly endpoint: string;
  readonly #concurrency: number;
  readonly #http: EsploraHttp;
  readonly #opts: EsploraChainSourceOptions;
  #genesis: string | undefined;

  constructor(opts: EsploraChainSourceOptions) {
    this.#opts = opts;
    this.#http = esploraHttp(opts);
    this.endpoint = this.#http.endpoint;
    this.#concurrency = opts.concurrency ?? 8;
  }

  /**
   * The same API read per script (`/scripthash`): the light sync path, which downloads no block.
   * Same URL, transport, timeout and retry settings; its own connection limit and counters.
   */
  scriptHistorySource(): EsploraScriptHistory {
    return new EsploraScriptHistory(this.#opts);
  }

  async genesisHash(): Promise<string> {
    this.#genesis ??= await this.blockHash(0);
    return this.#genesis;
  }

  async network(): Promise<Network> {
    const g = await this.genesisHash();
    const n = networkOfGenesis(g);
    if (!n) throw new DomainError('NETWORK_MISMATCH', `the Esplora API at ${this.endpoint} serves an unknown chain (genesis ${g})`);
    return n;
  }

  async tip(): Promise<ChainTip> {
    const hash = this.#hash(await this.#text('blocks/tip/hash', 'the tip'), 'blocks/tip/hash');
    // Height from the block itself, so hash and height always belong together.
    const h = await this.header(hash);
    return { height: h.height, hash };
  }

  async blockHash(height: number): Promise<string> {
    assertHeight('blockHash', height);
    return this.#hash(await this.#text(`block-height/${height}`, `block at height ${height}`), 'block-height');
  }

  async header(hash: string): Promise<BlockHeader> {
    assertHash('header', hash);
    const j = await this.#json(`block/${hash}`, `block ${hash}`);
    if (typeof j !== 'object' || j === null) throw badResponse(this.endpoint, `block/${hash} is not an object`);
    const o = j as { id?: unknown; height?: unknown; previousblockhash?: unknown; timestamp?: unknown; merkle_root?: unknown };
    if (o.id !== hash) throw badResponse(this.endpoint, `block/${hash} describes ${String(o.id)}`);
    if (!Number.isSafeInteger(o.height) || !Number.isSafeInteger(o.timestamp)) throw badResponse(this.endpoint, `block/${hash} lacks height or timestamp`);
    const height = o.height as number;
    const prev = o.previousblockhash ?? (height === 0 ? '0'.repeat(64) : undefined);
    return { hash, height, prevHash: this.#hash(prev, 'previousblockhash'), time: o.timestamp as number, merkleRoot: this.#hash(o.merkle_root, 'merkle_root') };
  }

  async rawBlock(hash: string): Promise<Uint8Array> {
    assertHash('rawBlock', hash);
    const raw = await this.#binary(`block/${hash}/raw`, `block ${hash}`);
    let id: string;
    try {
      id = Block.fromBuffer(raw).getId();
    } catch {
      throw badResponse(this.endpoint, `block/${hash}/raw does not parse as a block`);
    }
    if (id !== hash) throw badResponse(this.endpoint, `asked for block ${hash}, got ${id}`);
    return raw;
  }

  async rawTransaction(txid: string): Promise<Uint8Array> {
    assertHash('rawTransaction', txid);
    // `/hex` rather than `/raw`: every Esplora-shaped server has it (mempool's electrum backend lacks `/raw`).
    const hex = await this.#text(`tx/${txid}/hex`, `transaction ${txid}`);
    let raw: Uint8Array;
    let id: string;
    try {
      raw = hexToBytes(hex);
      id = Transaction.fromBuffer(raw).getId();
    } catch {
      throw badResponse(this.endpoint, `tx/${txid}/hex is not a transaction`);
    }
    if (id !== txid) throw badResponse(this.endpoint, `asked for transaction ${txid}, got ${id}`);
    return raw;
  }

  async broadcast(rawTx: Uint8Array): Promise<BroadcastResult> {
    const { status, res } = await esploraSend(this.#http, 'POST', 'tx', bytesToHex(rawTx), async () => undefined);
    const text = (await res.text()).trim();
    if (status === 200) return { accepted: true, txid: this.#hash(text, 'POST tx') };
    if (status === 400) return { accepted: false, reason: rejectionReason(text) };
    throw this.#unexpected(status, 'POST tx');
  }

  async estimateFeeRate(targetBlocks: number): Promise<number | null> {
    if (!Number.isSafeInteger(targetBlocks) || targetBlocks < 1) throw new RangeError(`estimateFeeRate: target must be a positive integer, got ${String(targetBlocks)}`);
    const j = await this.#json('fee-estimates', 'fee estimates');
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw badResponse(this.endpoint, 'fee-estimates is not an object');
    // Esplora: { "<target>": sat/vB }. Use the estimate for the largest target not above ours (as BDK does).
    let best: { target: number; rate: number } | undefined;
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
      const target = Number(k);
      if (!Number.isSafeInteger(target) || typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badResponse(this.endpoint, 'fee-estimates has a malformed entry');
      if (target <= targetBlocks && (!best || target > best.target)) best = { target, rate: v };
    }
    return best ? best.rate : null;
  }

  async mempool(): Promise<MempoolTx[]> {
    const ids = await this.#json('mempool/txids', 'mempool');
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string' && HEX64.test(x))) throw badResponse(this.endpoint, 'mempool/txids is not a list of txids');
    const out: (MempoolTx | null)[] = new Array<MempoolTx | null>(ids.length).fill(null);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        const txid = ids[i] as string;
        try {
          out[i] = { txid, raw: await this.rawTransaction(txid) };
        } catch (e) {
          // Mined or replaced between the two calls.
          if (!(e instanceof DomainError && e.code === 'NOT_FOUND')) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, ids.length) }, worker));
    return out.filter((x): x is MempoolTx => x !== null);
  }

  async blockFilter(hash: string): Promise<Uint8Array | null> {
    assertHash('blockFilter', hash);
    return null;
  }

  async close(): Promise<void> {
    for (const c of this.#http.inflight) c.abort();
    this.#http.inflight.clear();
  }

  async #text(path: string, what: string): Promise<string> {
    return (await (await this.#found(path, what)).text()).trim();
  }

  async #json(path: string, what: string): Promise<unknown> {
    const text = await (await this.#found(path, what)).text();
    try {
      return JSON.parse(text);
    } catch {
      throw badResponse(this.endpoint, `${path} is not JSON`);
    }
  }

  async #binary(path: string, what: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.#found(path, what)).arrayBuffer());
  }

  async #found(path: string, what: string): Promise<FetchResponseLike> {
    const { status, res } = await esploraSend(this.#http, 'GET', path, undefined, async () => undefined);
    if (status === 200) return res;
    if (status === 404) throw new DomainError('NOT_FOUND', `${what} not found at the Esplora API at ${this.endpoint}`);
    throw this.#unexpected(status, path);
  }

  #unexpected(status: number, path: string): DomainError {
    if (status === 401 || status === 403) return new DomainError('CHAIN_AUTH_FAILED', `the Esplora API at ${this.endpoint} refused access (HTTP ${status})`);
    return badResponse(this.endpoint, `${path} answered HTTP ${status}`);
  }

  #hash(v: unknown, what: string): string {
    if (typeof v !== 'string' || !HEX64.test(v)) throw badResponse(this.endpoint, `${what} is not a 64-character hex hash`);
    return v;
  }
}

/**
 * Esplora relays bitcoind's refusal as text, e.g.
 * `sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met"}`: keep the message.
 */
export function rejectionReason(text: string): string {
  const brace = text.indexOf('{');
  if (brace >= 0) {
    try {
      const j = JSON.parse(text.slice(brace)) as { message?: unknown };
      if (typeof j.message === 'string' && j.message) return j.message;
    } catch {
      // not JSON: keep the text
    }
  }
  return text || 'rejected (no reason given)';
}
