/**
 * `ScriptHistorySource` over an Esplora HTTP API (Blockstream/esplora API.md): per-script history
 * through `/scripthash/:hash/txs` (+ `/txs/chain/:last_seen_txid` pages of 25), merkle proofs through
 * `/tx/:txid/merkle-proof`, headers through `/block/:hash/header`. No block and no mempool listing
 * is ever downloaded. Each transaction is rebuilt from Esplora's JSON (version, inputs, witnesses,
 * outputs, locktime) and must hash to the txid the server named, so a server cannot slip in bytes
 * that differ from what it claims. Requests run at most `concurrency` at a time, each with a timeout,
 * retried on 429/5xx/connection failures; requests and body bytes are counted.
 *
 * @example
 *   const src = new EsploraScriptHistory({ url: 'https://blockstream.info/api/' });
 *   const history = await src.scriptHistory(script);
 */
import { Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { ChainTip } from '../../core/chain/chain-source.ts';
import type { MerkleProof, ScriptHistoryEntry, ScriptHistorySource, Traffic } from '../../core/chain/script-history.ts';
import { DomainError } from '../../core/errors.ts';
import { assertHash, assertHeight, badResponse, HEX64 } from './errors.ts';
import { esploraHttp, esploraSend, type EsploraHttp, type EsploraHttpOptions } from './esplora-http.ts';

export interface EsploraScriptHistoryOptions extends EsploraHttpOptions {
  /** Requests in flight at most. Default 8. */
  readonly concurrency?: number;
}

/** Esplora's page size for confirmed history. */
const CHAIN_PAGE = 25;
/** Pages per script at most (25 × 4000 = 100,000 transactions): a server paging forever is refused. */
const MAX_PAGES = 4000;

export class EsploraScriptHistory implements ScriptHistorySource {
  readonly endpoint: string;
  readonly #concurrency: number;
  readonly #http: EsploraHttp;
  readonly #waiting: Array<() => void> = [];
  #active = 0;
  #requests = 0;
  #bytes = 0;
  #closed = false;

  constructor(opts: EsploraScriptHistoryOptions) {
    this.#http = esploraHttp(opts);
    this.endpoint = this.#http.endpoint;
    const c = opts.concurrency ?? 8;
    if (!Number.isInteger(c) || c < 1 || c > 64) throw new RangeError(`EsploraScriptHistory: concurrency must be 1..64, got ${c}`);
    this.#concurrency = c;
  }

  traffic(): Traffic {
    return { requests: this.#requests, bytes: this.#bytes };
  }

  async tip(): Promise<ChainTip> {
    const text = await this.#text('blocks/tip/height', 'the tip height');
    const height = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(height)) throw badResponse(this.endpoint, 'blocks/tip/height is not a height');
    // The hash at that height: height and hash always belong together.
    return { height, hash: await this.blockHash(height) };
  }

  async blockHash(height: number): Promise<string> {
    assertHeight('blockHash', height);
    return this.#hash(await this.#text(`block-height/${height}`, `block at height ${height}`), `block-height/${height}`);
  }

  async rawHeader(hash: string): Promise<Uint8Array> {
    assertHash('rawHeader', hash);
    const text = await this.#text(`block/${hash}/header`, `block ${hash}`);
    if (!/^[0-9a-f]{160}$/.test(text)) throw badResponse(this.endpoint, `block/${hash}/header is not an 80-byte header`);
    return hexToBytes(text);
  }

  async merkleProof(txid: string, height: number): Promise<MerkleProof> {
    assertHash('merkleProof', txid);
    assertHeight('merkleProof', height);
    const j = await this.#json(`tx/${txid}/merkle-proof`, `transaction ${txid}`);
    const o = (typeof j === 'object' && j !== null ? j : {}) as { block_height?: unknown; merkle?: unknown; pos?: unknown };
    if (!Number.isSafeInteger(o.pos) || (o.pos as number) < 0 || !Array.isArray(o.merkle) || o.merkle.length > 32 || !o.merkle.every((h) => typeof h === 'string' && HEX64.test(h))) {
      throw badResponse(this.endpoint, `tx/${txid}/merkle-proof is not a merkle proof`);
    }
    if (o.block_height !== height) throw badResponse(this.endpoint, `tx/${txid}/merkle-proof is for height ${String(o.block_height)}, the history said ${height}`);
    return { pos: o.pos as number, merkle: o.merkle as string[] };
  }

  async scriptHistory(script: Uint8Array): Promise<ScriptHistoryEntry[]> {
    if (!(script instanceof Uint8Array)) throw new TypeError('scriptHistory: "script" expected Uint8Array');
    // Esplora's scripthash: SHA-256 of the scriptPubKey, in natural byte order.
    const sh = bytesToHex(sha256(script));
    const first = await this.#txList(`scripthash/${sh}/txs`);
    const out: ScriptHistoryEntry[] = [];
    const ids = new Set<string>();
    const add = (e: ScriptHistoryEntry, path: string) => {
      if (ids.has(e.txid)) throw badResponse(this.endpoint, `${path} lists ${e.txid} twice`);
      ids.add(e.txid);
      out.push(e);
    };
    for (const e of first) add(e, `scripthash/${sh}/txs`);
    let page = first.filter((e) => e.height !== null);
    for (let n = 0; page.length >= CHAIN_PAGE; n++) {
      if (n >= MAX_PAGES) throw badResponse(this.endpoint, `scripthash/${sh}/txs/chain pages without end`);
      const last = page[page.length - 1] as ScriptHistoryEntry;
      const path = `scripthash/${sh}/txs/chain/${last.txid}`;
      page = await this.#txList(path);
      if (page.some((e) => e.height === null)) throw badResponse(this.endpoint, `${path} lists an unconfirmed transaction`);
      for (const e of page) add(e, path);
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#http.inflight) c.abort();
    this.#http.inflight.clear();
    for (const w of this.#waiting.splice(0)) w();
  }

  async #txList(path: string): Promise<ScriptHistoryEntry[]> {
    const j = await this.#json(path, 'script history');
    if (!Array.isArray(j)) throw badResponse(this.endpoint, `${path} is not a list`);
    return j.map((t, i) => this.#entry(t, `${path}[${i}]`));
  }

  /** Rebuild the transaction from Esplora's JSON; it must hash to the txid the server named. */
  #entry(t: unknown, where: string): ScriptHistoryEntry {
    const bad = (what: string) => badResponse(this.endpoint, `${where}: ${what}`);
    if (typeof t !== 'object' || t === null) throw bad('not an object');
    const o = t as { txid?: unknown; version?: unknown; locktime?: unknown; vin?: unknown; vout?: unknown; status?: unknown };
    if (typeof o.txid !== 'string' || !HEX64.test(o.txid)) throw bad('no txid');
    if (!Number.isSafeInteger(o.version) || !Number.isSafeInteger(o.locktime) || !Array.isArray(o.vin) || !Array.isArray(o.vout) || o.vin.length === 0) throw bad('not a transaction');
    const tx = new Transaction();
    tx.version = o.version as number;
    tx.locktime = o.locktime as number;
    try {
      for (const [i, v] of (o.vin as unknown[]).entries()) {
        const x = v as { txid?: unknown; vout?: unknown; scriptsig?: unknown; witness?: unknown; sequence?: unknown };
        if (typeof x.txid !== 'string' || !HEX64.test(x.txid) || !Number.isSafeInteger(x.vout) || typeof x.scriptsig !== 'string' || !Number.isSafeInteger(x.sequence)) throw bad(`input ${i} is malformed`);
        tx.addInput(hexToBytes(x.txid).reverse(), x.vout as number, x.sequence as number, hexToBytes(x.scriptsig));
        const w = x.witness ?? [];
        if (!Array.isArray(w) || !w.every((s) => typeof s === 'string')) throw bad(`input ${i} has a malformed witness`);
        if (w.length) tx.setWitness(i, w.map((s: string) => hexToBytes(s)));
      }
      for (const [i, v] of (o.vout as unknown[]).entries()) {
        const x = v as { scriptpubkey?: unknown; value?: unknown };
        if (typeof x.scriptpubkey !== 'string' || !Number.isSafeInteger(x.value) || (x.value as number) < 0) throw bad(`output ${i} is malformed`);
        tx.addOutput(hexToBytes(x.scriptpubkey), BigInt(x.value as number));
      }
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw bad('does not rebuild into a transaction');
    }
    if (tx.getId() !== o.txid) throw bad(`the transaction described hashes to ${tx.getId()}, not ${o.txid}`);
    const s = (o.status ?? {}) as { confirmed?: unknown; block_height?: unknown; block_hash?: unknown };
    if (s.confirmed === false) return { txid: o.txid, raw: Uint8Array.from(tx.toBuffer()), height: null, blockHash: null };
    if (s.confirmed !== true || !Number.isSafeInteger(s.block_height) || (s.block_height as number) < 0 || typeof s.block_hash !== 'string' || !HEX64.test(s.block_hash)) throw bad('malformed status');
    return { txid: o.txid, raw: Uint8Array.from(tx.toBuffer()), height: s.block_height as number, blockHash: s.block_hash };
  }

  async #text(path: string, what: string): Promise<string> {
    return (await this.#get(path, what)).trim();
  }

  async #json(path: string, what: string): Promise<unknown> {
    const text = await this.#get(path, what);
    try {
      return JSON.parse(text);
    } catch {
      throw badResponse(this.endpoint, `${path} is not JSON`);
    }
  }

  async #get(path: string, what: string): Promise<string> {
    await this.#acquire();
    try {
      this.#requests++;
      const { status, value: body } = await esploraSend(this.#http, 'GET', path, undefined, async (res) => {
        // The body is read under the same timeout as the answer's head.
        const b = new Uint8Array(await res.arrayBuffer());
        this.#bytes += b.length;
        return b;
      });
      if (status === 200) return new TextDecoder().decode(body);
      if (status === 404) throw new DomainError('NOT_FOUND', `${what} not found at the Esplora API at ${this.endpoint}`);
      if (status === 401 || status === 403) throw new DomainError('CHAIN_AUTH_FAILED', `the Esplora API at ${this.endpoint} refused access (HTTP ${status})`);
      throw badResponse(this.endpoint, `${path} answered HTTP ${status}`);
    } finally {
      this.#release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#closed) throw new DomainError('CHAIN_UNAVAILABLE', `the request to the Esplora API at ${this.endpoint} was cancelled (the source was closed)`);
    if (this.#active < this.#concurrency) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#closed) throw new DomainError('CHAIN_UNAVAILABLE', `the request to the Esplora API at ${this.endpoint} was cancelled (the source was closed)`);
    this.#active++;
  }

  #release(): void {
    this.#active--;
    this.#waiting.shift()?.();
  }

  #hash(v: unknown, what: string): string {
    if (typeof v !== 'string' || !HEX64.test(v)) throw badResponse(this.endpoint, `${what} is not a 64-character hex hash`);
    return v;
  }
}
