/**
 * `ChainSource` over Bitcoin Core's JSON-RPC (and its REST interface for binary blocks).
 * Also serves the embedded bcoin node, whose RPC is Core-shaped; its differences are handled
 * here (error code -1 where Core says -5, `estimatesmartfee` answering `fee` instead of `feerate`,
 * no `getblockfilter`).
 *
 * @example
 *   const source = new BitcoindChainSource({ url: 'http://127.0.0.1:8332/', cookieFile: '~/.bitcoin/.cookie' });
 *   await assertChainNetwork(source, 'main');
 *   const tip = await source.tip();
 */
import { Block, Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BlockHeader, BroadcastResult, ChainSource, ChainTip, MempoolTx } from '../../core/chain/chain-source.ts';
import { DomainError } from '../../core/errors.ts';
import type { Network } from '../../core/network.ts';
import { assertHash, assertHeight, badResponse, HEX64, networkOfGenesis } from './errors.ts';
import { JsonRpcClient, RPC_CODE, RpcError, type RpcClientOptions } from './rpc-client.ts';

export interface BitcoindChainSourceOptions extends RpcClientOptions {
  /**
   * Use the REST interface (`/rest/block/<hash>.bin`, needs `-rest`) for raw blocks: `true`,
   * `false`, or `'auto'` (default: try it, fall back to RPC when the node does not serve it).
   */
  readonly rest?: boolean | 'auto';
}

/** How many `getrawtransaction` calls go in one batch when reading the mempool. */
const MEMPOOL_BATCH = 500;
/** Most calls in one batched HTTP request for hashes, headers and filters. */
const BATCH_MAX = 1000;

export class BitcoindChainSource implements ChainSource {
  /** The node's URL without credentials. */
  readonly endpoint: string;
  readonly #rpc: JsonRpcClient;
  #rest: boolean | 'auto';
  #filters: boolean | undefined;
  #genesis: string | undefined;

  constructor(opts: BitcoindChainSourceOptions) {
    this.#rpc = new JsonRpcClient(opts);
    this.endpoint = this.#rpc.endpoint;
    this.#rest = opts.rest ?? 'auto';
  }

  async genesisHash(): Promise<string> {
    if (this.#genesis === undefined) {
      const h = await this.#call('getblockhash', [0]);
      this.#genesis = this.#hash(h, 'getblockhash 0');
    }
    return this.#genesis;
  }

  async network(): Promise<Network> {
    const g = await this.genesisHash();
    const n = networkOfGenesis(g);
    if (!n) throw new DomainError('NETWORK_MISMATCH', `the node at ${this.endpoint} serves an unknown chain (genesis ${g})`);
    return n;
  }

  async tip(): Promise<ChainTip> {
    const info = await this.#call('getblockchaininfo', []);
    if (typeof info !== 'object' || info === null) throw badResponse(this.endpoint, 'getblockchaininfo is not an object');
    const o = info as { blocks?: unknown; bestblockhash?: unknown; initialblockdownload?: unknown; headers?: unknown; chain?: unknown };
    if (o.initialblockdownload === true) {
      const chain = typeof o.chain === 'string' ? `${o.chain} ` : '';
      throw new DomainError('CHAIN_SYNCING', `the node at ${this.endpoint} is still in initial block download (${chain}block ${String(o.blocks)} of ${String(o.headers)} headers); try again when it has caught up`);
    }
    if (!Number.isSafeInteger(o.blocks) || (o.blocks as number) < 0) throw badResponse(this.endpoint, 'getblockchaininfo has no block count');
    return { height: o.blocks as number, hash: this.#hash(o.bestblockhash, 'bestblockhash') };
  }

  async blockHash(height: number): Promise<string> {
    assertHeight('blockHash', height);
    try {
      return this.#hash(await this.#rpc.call('getblockhash', [height]), 'getblockhash');
    } catch (e) {
      if (e instanceof RpcError && e.code === RPC_CODE.INVALID_PARAMETER) throw new DomainError('NOT_FOUND', `no block at height ${height} on the node at ${this.endpoint} (above the tip)`);
      throw this.#map(e);
    }
  }

  async header(hash: string): Promise<BlockHeader> {
    assertHash('header', hash);
    return this.#parseHeader(await this.#lookup('getblockheader', [hash, true], `block ${hash}`), hash);
  }

  /** One JSON-RPC batch of `getblockhash` (BATCH_MAX calls per HTTP request). */
  async blockHashes(fromHeight: number, count: number): Promise<string[]> {
    assertHeight('blockHashes', fromHeight);
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`blockHashes: count must be a non-negative integer, got ${String(count)}`);
    const heights = Array.from({ length: count }, (_, i) => fromHeight + i);
    const outcomes = await this.#batchChunks(heights.map((h) => ({ method: 'getblockhash', params: [h] })));
    return outcomes.map((o, i) => {
      if (o.ok) return this.#hash(o.result, 'getblockhash');
      if (o.error.code === RPC_CODE.INVALID_PARAMETER) throw new DomainError('NOT_FOUND', `no block at height ${heights[i] ?? '?'} on the node at ${this.endpoint} (above the tip)`);
      throw this.#map(o.error);
    });
  }

  /** One JSON-RPC batch of `getblockheader` (BATCH_MAX calls per HTTP request). */
  async headers(hashes: readonly string[]): Promise<BlockHeader[]> {
    for (const h of hashes) assertHash('headers', h);
    const outcomes = await this.#batchChunks(hashes.map((h) => ({ method: 'getblockheader', params: [h, true] })));
    return outcomes.map((o, i) => {
      const hash = hashes[i] as string;
      if (o.ok) return this.#parseHeader(o.result, hash);
      throw this.#lookupError(o.error, `block ${hash}`);
    });
  }

  /** One JSON-RPC batch of `getblockfilter`; every entry null when the node serves no filters. */
  async blockFilters(hashes: readonly string[]): Promise<Array<Uint8Array | null>> {
    for (const h of hashes) assertHash('blockFilters', h);
    if (this.#filters === false || hashes.length === 0) return hashes.map(() => null);
    const outcomes = await this.#batchChunks(hashes.map((h) => ({ method: 'getblockfilter', params: [h, 'basic'] })));
    return outcomes.map((o, i) => {
      if (o.ok) {
        this.#filters = true;
        return this.#bytes((o.result as { filter?: unknown } | null)?.filter, 'getblockfilter');
      }
      return this.#filterError(o.error, hashes[i] as string);
    });
  }

  #parseHeader(h: unknown, hash: string): BlockHeader {
    if (typeof h !== 'object' || h === null) throw badResponse(this.endpoint, 'getblockheader is not an object');
    const o = h as { hash?: unknown; height?: unknown; previousblockhash?: unknown; time?: unknown; merkleroot?: unknown };
    if (o.hash !== hash) throw badResponse(this.endpoint, `getblockheader answered for ${String(o.hash)} instead of ${hash}`);
    if (!Number.isSafeInteger(o.height) || !Number.isSafeInteger(o.time)) throw badResponse(this.endpoint, 'getblockheader lacks height or time');
    const height = o.height as number;
    const prev = o.previousblockhash === undefined || o.previousblockhash === null ? (height === 0 ? '0'.repeat(64) : undefined) : o.previousblockhash;
    return {
      hash,
      height,
      prevHash: this.#hash(prev, 'previousblockhash'),
      time: o.time as number,
      merkleRoot: this.#hash(o.merkleroot, 'merkleroot'),
    };
  }

  async rawBlock(hash: string): Promise<Uint8Array> {
    assertHash('rawBlock', hash);
    if (this.#rest !== false) {
      const bin = await this.#rpc.getBinary(`/rest/block/${hash}.bin`);
      if (bin) return this.#checkBlock(bin, hash);
      // 404: either REST is off or the block is unknown; RPC tells which.
      const viaRpc = await this.#rawBlockRpc(hash);
      if (this.#rest === 'auto') this.#rest = false;
      return viaRpc;
    }
    return this.#rawBlockRpc(hash);
  }

  async rawTransaction(txid: string): Promise<Uint8Array> {
    assertHash('rawTransaction', txid);
    const hex = await this.#lookup('getrawtransaction', [txid, false], `transaction ${txid} (Bitcoin Core needs -txindex for confirmed transactions not in its wallet)`);
    const raw = this.#bytes(hex, 'getrawtransaction');
    let id: string;
    try {
      id = Transaction.fromBuffer(raw).getId();
    } catch {
      throw badResponse(this.endpoint, `getrawtransaction ${txid} is not a transaction`);
    }
    if (id !== txid) throw badResponse(this.endpoint, `getrawtransaction ${txid} returned transaction ${id}`);
    return raw;
  }

  async broadcast(rawTx: Uint8Array): Promise<BroadcastResult> {
    try {
      const txid = await this.#rpc.call('sendrawtransaction', [bytesToHex(rawTx)]);
      return { accepted: true, txid: this.#hash(txid, 'sendrawtransaction') };
    } catch (e) {
      if (e instanceof RpcError) {
        switch (e.code) {
          case RPC_CODE.VERIFY_REJECTED:
          case RPC_CODE.VERIFY_ERROR:
          case RPC_CODE.VERIFY_ALREADY_IN_CHAIN:
          case RPC_CODE.DESERIALIZATION_ERROR:
            return { accepted: false, reason: e.message };
          default:
            break;
        }
      }
      throw this.#map(e);
    }
  }

  async estimateFeeRate(targetBlocks: number): Promise<number | null> {
    if (!Number.isSafeInteger(targetBlocks) || targetBlocks < 1) throw new RangeError(`estimateFeeRate: target must be a positive integer, got ${String(targetBlocks)}`);
    let r: unknown;
    try {
      r = await this.#rpc.call('estimatesmartfee', [targetBlocks]);
    } catch (e) {
      if (e instanceof RpcError && e.code === RPC_CODE.METHOD_NOT_FOUND) return null;
      throw this.#map(e);
    }
    if (typeof r !== 'object' || r === null) throw badResponse(this.endpoint, 'estimatesmartfee is not an object');
    // Core: { feerate: BTC/kvB, errors?: [...] }; bcoin: { fee: BTC/kB or -1 }.
    const o = r as { feerate?: unknown; fee?: unknown };
    const btcPerKvB = o.feerate ?? o.fee;
    if (btcPerKvB === undefined) return null;
    if (typeof btcPerKvB !== 'number' || !Number.isFinite(btcPerKvB)) throw badResponse(this.endpoint, 'estimatesmartfee rate is not a number');
    if (btcPerKvB <= 0) return null;
    // BTC per 1000 vB -> sat per vB: × 1e8 / 1e3. Rounded to 0.001 sat/vB (a rate, not an amount).
    return Math.round(btcPerKvB * 1e8) / 1e3;
  }

  async mempool(): Promise<MempoolTx[]> {
    const ids = await this.#call('getrawmempool', [false]);
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string' && HEX64.test(x))) throw badResponse(this.endpoint, 'getrawmempool is not a list of txids');
    const out: MempoolTx[] = [];
    for (let i = 0; i < ids.length; i += MEMPOOL_BATCH) {
      const chunk = (ids as string[]).slice(i, i + MEMPOOL_BATCH);
      const outcomes = await this.#batch(chunk.map((txid) => ({ method: 'getrawtransaction', params: [txid, false] })));
      outcomes.forEach((o, j) => {
        const txid = chunk[j] as string;
        // A transaction can leave the mempool (mined, replaced) between the two calls.
        if (!o.ok) return;
        const raw = this.#bytes(o.result, 'getrawtransaction');
        out.push({ txid, raw });
      });
    }
    return out;
  }

  async blockFilter(hash: string): Promise<Uint8Array | null> {
    assertHash('blockFilter', hash);
    if (this.#filters === false) return null;
    let r: unknown;
    try {
      r = await this.#rpc.call('getblockfilter', [hash, 'basic']);
    } catch (e) {
      if (e instanceof RpcError) return this.#filterError(e, hash);
      throw this.#map(e);
    }
    const filter = (r as { filter?: unknown } | null)?.filter;
    this.#filters = true;
    return this.#bytes(filter, 'getblockfilter');
  }

  /** A `getblockfilter` refusal: no filters here (null), an unknown block, or a fault. */
  #filterError(e: RpcError, hash: string): null {
    if (e.code === RPC_CODE.METHOD_NOT_FOUND) {
      this.#filters = false;
      return null;
    }
    // Core without -blockfilterindex (or while the index builds) answers -1.
    if (e.code === RPC_CODE.MISC_ERROR) return null;
    if (e.code === RPC_CODE.INVALID_ADDRESS_OR_KEY) throw new DomainError('NOT_FOUND', `block ${hash} not found on the node at ${this.endpoint}`);
    throw this.#map(e);
  }

  async close(): Promise<void> {
    this.#rpc.close();
  }

  async #rawBlockRpc(hash: string): Promise<Uint8Array> {
    const hex = await this.#lookup('getblock', [hash, 0], `block ${hash}`);
    return this.#checkBlock(this.#bytes(hex, 'getblock'), hash);
  }

  /** The bytes must be a block whose header hashes to `hash`. */
  #checkBlock(raw: Uint8Array, hash: string): Uint8Array {
    let id: string;
    try {
      id = Block.fromBuffer(raw).getId();
    } catch {
      throw badResponse(this.endpoint, `block ${hash} does not parse`);
    }
    if (id !== hash) throw badResponse(this.endpoint, `asked for block ${hash}, got ${id}`);
    return raw;
  }

  /** A call where "not found" is an expected answer: Core says -5, bcoin -1. */
  async #lookup(method: string, params: unknown[], what: string): Promise<unknown> {
    try {
      return await this.#rpc.call(method, params);
    } catch (e) {
      if (e instanceof RpcError) throw this.#lookupError(e, what);
      throw this.#map(e);
    }
  }

  #lookupError(e: RpcError, what: string): unknown {
    if (e.code === RPC_CODE.INVALID_ADDRESS_OR_KEY || e.code === RPC_CODE.MISC_ERROR) return new DomainError('NOT_FOUND', `${what} not found on the node at ${this.endpoint}`);
    return this.#map(e);
  }

  async #call(method: string, params: unknown[]): Promise<unknown> {
    try {
      return await this.#rpc.call(method, params);
    } catch (e) {
      throw this.#map(e);
    }
  }

  async #batch(calls: { method: string; params: unknown[] }[]): ReturnType<JsonRpcClient['batch']> {
    try {
      return await this.#rpc.batch(calls);
    } catch (e) {
      throw this.#map(e);
    }
  }

  /** `#batch` in HTTP requests of at most BATCH_MAX calls, sent one after another. */
  async #batchChunks(calls: { method: string; params: unknown[] }[]): ReturnType<JsonRpcClient['batch']> {
    const out: Awaited<ReturnType<JsonRpcClient['batch']>> = [];
    for (let i = 0; i < calls.length; i += BATCH_MAX) out.push(...(await this.#batch(calls.slice(i, i + BATCH_MAX))));
    return out;
  }

  /** Node-side errors that are not an expected answer of the method. */
  #map(e: unknown): unknown {
    if (e instanceof RpcError) {
      if (e.code === RPC_CODE.IN_WARMUP) return new DomainError('CHAIN_SYNCING', `the node at ${this.endpoint} is still starting up (${e.message})`);
      return new DomainError('CHAIN_BAD_RESPONSE', `the node at ${this.endpoint} refused ${e.method} (code ${e.code}: ${e.message})`);
    }
    return e;
  }

  #hash(v: unknown, what: string): string {
    if (typeof v !== 'string' || !HEX64.test(v)) throw badResponse(this.endpoint, `${what} is not a 64-character hex hash`);
    return v;
  }

  #bytes(v: unknown, what: string): Uint8Array {
    if (typeof v !== 'string' || v.length % 2 !== 0) throw badResponse(this.endpoint, `${what} is not hex`);
    try {
      return hexToBytes(v);
    } catch {
      throw badResponse(this.endpoint, `${what} is not hex`);
    }
  }
}
