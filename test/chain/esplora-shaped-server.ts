/**
 * A tiny HTTP server with the Esplora API's shape (Blockstream/esplora API.md: the endpoints the
 * Esplora adapters use), answering from a ChainSource — here the embedded regtest node. It exists
 * because there is no internet in the test environment: the Esplora adapter's recorded responses
 * (test/fixtures/esplora/) were produced by it. It is a test double of the *shape*, not of Esplora's
 * behaviour under load; the shape follows API.md (block JSON fields, text hashes, hex txs, binary
 * raw blocks, POST /tx answering 400 with bitcoind's error relayed as text).
 *
 * The script-history endpoints (`/scripthash/:hash/txs[/chain[/:last_seen_txid]|/mempool]`,
 * `/tx/:txid`, `/tx/:txid/merkle-proof`, `/block/:hash/header`) answer from an index the server
 * computes itself from the source's blocks and mempool (as electrs does from bitcoind): every
 * block is read once, the index follows reorgs by comparing its last block with the source's.
 * Transactions are described with Esplora's fields (including the asm, type and address fields a
 * real Esplora sends, so byte counts are not flattered). It counts requests and body bytes, logs
 * paths, and can be told to lie (`tamper`) for the refusal tests.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { address as btcAddress, Block, networks, script as btcScript, Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import { isDomainError } from '../../src/core/errors.ts';

/** Rewrites an answer's body (a lying or broken server); return the body unchanged to leave it. */
export type Tamper = (path: string, body: string | Uint8Array) => string | Uint8Array;

export interface EsploraShapedServer {
  readonly url: string;
  /** Paths requested (without the /api/ prefix), in order, since the last `resetStats`. */
  readonly requests: readonly string[];
  /** Response body bytes sent since the last `resetStats`. */
  bytesSent(): number;
  /** Body bytes per kind of request (the path with hashes and numbers replaced by `:x`). */
  bytesByKind(): Record<string, { requests: number; bytes: number }>;
  /** Bytes written to the sockets (HTTP heads included) since the last `resetStats`. */
  wireBytesSent(): number;
  resetStats(): void;
  setTamper(t: Tamper | null): void;
  close(): Promise<void>;
}

/** Fee-estimate targets Esplora documents. */
const TARGETS = [2, 3, 4, 5, 6, 10, 20, 25, 144, 504, 1008];

export async function startEsploraShapedServer(source: ChainSource): Promise<EsploraShapedServer> {
  const index = new ScriptIndex(source);
  const requests: string[] = [];
  let bytes = 0;
  let byKind: Record<string, { requests: number; bytes: number }> = {};
  let tamper: Tamper | null = null;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/api\//, '');
    requests.push(path);
    const send: Send = (status, type, body) => {
      const out = tamper && status === 200 ? tamper(path, body) : body;
      const n = typeof out === 'string' ? Buffer.byteLength(out) : out.length;
      bytes += n;
      const kind = path.replace(/[0-9a-f]{64}/g, ':x').replace(/\/\d+$/, '/:n');
      const k = (byKind[kind] ??= { requests: 0, bytes: 0 });
      k.requests++;
      k.bytes += n;
      res.writeHead(status, { 'content-type': type });
      res.end(out);
    };
    handle(source, index, path, req, send).catch((e: unknown) => {
      if (isDomainError(e) && e.code === 'NOT_FOUND') send(404, 'text/plain', 'Block not found');
      else send(500, 'text/plain', e instanceof Error ? e.message : String(e));
    });
  });
  const sockets = new Set<Socket>();
  let closedWire = 0;
  let wireBase = 0;
  const wire = () => closedWire + [...sockets].reduce((n, so) => n + so.bytesWritten, 0);
  server.on('connection', (so: Socket) => {
    sockets.add(so);
    so.on('close', () => {
      closedWire += so.bytesWritten;
      sockets.delete(so);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    requests,
    bytesSent: () => bytes,
    bytesByKind: () => ({ ...byKind }),
    wireBytesSent: () => wire() - wireBase,
    resetStats: () => {
      requests.length = 0;
      bytes = 0;
      byKind = {};
      wireBase = wire();
    },
    setTamper: (t) => {
      tamper = t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Send = (status: number, type: string, body: string | Uint8Array) => void;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(source: ChainSource, index: ScriptIndex, path: string, req: IncomingMessage, send: Send): Promise<void> {
  let m: RegExpExecArray | null;
  if (req.method === 'POST' && path === 'tx') {
    const hex = (await readBody(req)).trim();
    const r = await source.broadcast(Buffer.from(hex, 'hex'));
    if (r.accepted) return send(200, 'text/plain', r.txid);
    return send(400, 'text/plain', `sendrawtransaction RPC error: ${JSON.stringify({ code: -26, message: r.reason })}`);
  }
  if (req.method !== 'GET') return send(405, 'text/plain', 'Method not allowed');
  if (path === 'blocks/tip/hash') return send(200, 'text/plain', (await source.tip()).hash);
  if (path === 'blocks/tip/height') return send(200, 'text/plain', String((await source.tip()).height));
  if ((m = /^block-height\/(\d+)$/.exec(path))) return send(200, 'text/plain', await source.blockHash(Number(m[1])));
  if ((m = /^block\/([0-9a-f]{64})$/.exec(path))) {
    const h = await source.header(m[1] as string);
    const raw = await source.rawBlock(h.hash);
    const body = { id: h.hash, height: h.height, timestamp: h.time, merkle_root: h.merkleRoot, previousblockhash: h.height === 0 ? null : h.prevHash, size: raw.length };
    return send(200, 'application/json', JSON.stringify(body));
  }
  if ((m = /^block\/([0-9a-f]{64})\/raw$/.exec(path))) return send(200, 'application/octet-stream', await source.rawBlock(m[1] as string));
  if ((m = /^tx\/([0-9a-f]{64})\/hex$/.exec(path))) {
    try {
      return send(200, 'text/plain', Buffer.from(await source.rawTransaction(m[1] as string)).toString('hex'));
    } catch (e) {
      if (isDomainError(e) && e.code === 'NOT_FOUND') return send(404, 'text/plain', 'Transaction not found');
      throw e;
    }
  }
  if (path === 'mempool/txids') return send(200, 'application/json', JSON.stringify((await source.mempool()).map((t) => t.txid)));
  if (path === 'fee-estimates') {
    const out: Record<string, number> = {};
    for (const t of TARGETS) {
      const r = await source.estimateFeeRate(t);
      if (r !== null) out[String(t)] = r;
    }
    return send(200, 'application/json', JSON.stringify(out));
  }
  if ((m = /^block\/([0-9a-f]{64})\/header$/.exec(path))) return send(200, 'text/plain', bytesToHex((await source.rawBlock(m[1] as string)).subarray(0, 80)));
  if ((m = /^scripthash\/([0-9a-f]{64})\/txs(\/chain(?:\/([0-9a-f]{64}))?|\/mempool)?$/.exec(path))) {
    const [, sh, sub, last] = m as unknown as [string, string, string | undefined, string | undefined];
    await index.refresh();
    const chain = index.history(sh as string);
    const page = (after: string | undefined): Array<Record<string, unknown>> | null => {
      let from = 0;
      if (after !== undefined) {
        const i = chain.indexOf(after);
        if (i < 0) return null;
        from = i + 1;
      }
      return chain.slice(from, from + CHAIN_PAGE).map((txid) => index.describe(txid));
    };
    if (sub === '/mempool') return send(200, 'application/json', JSON.stringify((await index.mempoolOf(sh as string)).slice(0, MEMPOOL_MAX)));
    if (sub === undefined) return send(200, 'application/json', JSON.stringify([...(await index.mempoolOf(sh as string)).slice(0, MEMPOOL_MAX), ...(page(undefined) ?? [])]));
    const p = page(last);
    if (p === null) return send(400, 'text/plain', 'Invalid last_seen_txid');
    return send(200, 'application/json', JSON.stringify(p));
  }
  if ((m = /^tx\/([0-9a-f]{64})\/merkle-proof$/.exec(path))) {
    await index.refresh();
    const proof = index.merkleProof(m[1] as string);
    if (!proof) return send(404, 'text/plain', 'Transaction not found');
    return send(200, 'application/json', JSON.stringify(proof));
  }
  if ((m = /^tx\/([0-9a-f]{64})$/.exec(path))) {
    await index.refresh();
    const d = index.has(m[1] as string) ? index.describe(m[1] as string) : await index.describeMempool(m[1] as string);
    if (!d) return send(404, 'text/plain', 'Transaction not found');
    return send(200, 'application/json', JSON.stringify(d));
  }
  return send(404, 'text/plain', 'Not found');
}

/** Esplora's page of confirmed history, and its cap on mempool entries per script. */
const CHAIN_PAGE = 25;
const MEMPOOL_MAX = 50;

interface IndexedTx {
  readonly tx: Transaction;
  readonly height: number;
  readonly blockHash: string;
  readonly blockTime: number;
  readonly pos: number;
  readonly scripthashes: readonly string[];
}

interface Out {
  readonly scripthash: string;
  readonly script: Uint8Array;
  readonly value: bigint;
}

function scripthash(script: Uint8Array): string {
  return bytesToHex(sha256(script));
}

function outKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

function prevTxid(input: { hash: Uint8Array }): string {
  return bytesToHex(Uint8Array.from(input.hash).reverse());
}

function isCoinbase(tx: Transaction): boolean {
  return tx.ins.length === 1 && (tx.ins[0] as { hash: Uint8Array }).hash.every((b) => b === 0);
}

function scriptType(s: Uint8Array): string {
  if (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) return 'v0_p2wpkh';
  if (s.length === 34 && s[0] === 0x00 && s[1] === 0x20) return 'v0_p2wsh';
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) return 'v1_p2tr';
  if (s.length === 25 && s[0] === 0x76) return 'p2pkh';
  if (s.length === 23 && s[0] === 0xa9) return 'p2sh';
  if (s[0] === 0x6a) return 'op_return';
  return 'unknown';
}

/** The scripthash index: history per script over the source's best chain, following reorgs. */
class ScriptIndex {
  readonly #source: ChainSource;
  readonly #hashes: string[] = [];
  readonly #blockTxids = new Map<string, string[]>();
  readonly #txs = new Map<string, IndexedTx>();
  readonly #history = new Map<string, string[]>();
  readonly #outs = new Map<string, Out>();
  #lock: Promise<void> = Promise.resolve();

  constructor(source: ChainSource) {
    this.#source = source;
  }

  refresh(): Promise<void> {
    const run = this.#lock.then(() => this.#refresh());
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #refresh(): Promise<void> {
    const tip = await this.#source.tip();
    // Disconnect blocks no longer on the best chain.
    while (this.#hashes.length > 0) {
      const h = this.#hashes.length - 1;
      if (h <= tip.height && (await this.#source.blockHash(h)) === this.#hashes[h]) break;
      this.#disconnect(this.#hashes.pop() as string);
    }
    for (let h = this.#hashes.length; h <= tip.height; h++) {
      const hash = await this.#source.blockHash(h);
      this.#connect(h, hash, Block.fromBuffer(Buffer.from(await this.#source.rawBlock(hash))));
      this.#hashes.push(hash);
    }
  }

  #connect(height: number, hash: string, block: Block): void {
    const txids: string[] = [];
    (block.transactions ?? []).forEach((tx, pos) => {
      const txid = tx.getId();
      txids.push(txid);
      const shs = new Set<string>();
      tx.outs.forEach((o, vout) => {
        const script = Uint8Array.from(o.script);
        const sh = scripthash(script);
        this.#outs.set(outKey(txid, vout), { scripthash: sh, script, value: BigInt(o.value) });
        shs.add(sh);
      });
      if (!isCoinbase(tx)) for (const i of tx.ins) {
        const prev = this.#outs.get(outKey(prevTxid(i), i.index));
        if (prev) shs.add(prev.scripthash);
      }
      for (const sh of shs) {
        const list = this.#history.get(sh) ?? [];
        list.unshift(txid); // newest first
        this.#history.set(sh, list);
      }
      this.#txs.set(txid, { tx, height, blockHash: hash, blockTime: block.timestamp, pos, scripthashes: [...shs] });
    });
    this.#blockTxids.set(hash, txids);
  }

  #disconnect(hash: string): void {
    for (const txid of this.#blockTxids.get(hash) ?? []) {
      const t = this.#txs.get(txid);
      for (const sh of t?.scripthashes ?? []) this.#history.set(sh, (this.#history.get(sh) ?? []).filter((x) => x !== txid));
      this.#txs.delete(txid);
    }
    this.#blockTxids.delete(hash);
  }

  has(txid: string): boolean {
    return this.#txs.has(txid);
  }

  /** Confirmed history of a scripthash, newest first (by height, then position, descending). */
  history(sh: string): string[] {
    return this.#history.get(sh) ?? [];
  }

  async #mempool(): Promise<{ txs: Transaction[]; outs: Map<string, Out> }> {
    const txs = (await this.#source.mempool()).map((m) => Transaction.fromBuffer(Buffer.from(m.raw)));
    const outs = new Map<string, Out>();
    for (const tx of txs) tx.outs.forEach((o, vout) => {
      const script = Uint8Array.from(o.script);
      outs.set(outKey(tx.getId(), vout), { scripthash: scripthash(script), script, value: BigInt(o.value) });
    });
    return { txs, outs };
  }

  async mempoolOf(sh: string): Promise<Array<Record<string, unknown>>> {
    const { txs, outs } = await this.#mempool();
    return txs
      .filter((tx) => tx.outs.some((o) => scripthash(Uint8Array.from(o.script)) === sh) || tx.ins.some((i) => (this.#outs.get(outKey(prevTxid(i), i.index)) ?? outs.get(outKey(prevTxid(i), i.index)))?.scripthash === sh))
      .map((tx) => this.#json(tx, { confirmed: false }, outs));
  }

  async describeMempool(txid: string): Promise<Record<string, unknown> | null> {
    const { txs, outs } = await this.#mempool();
    const tx = txs.find((t) => t.getId() === txid);
    return tx ? this.#json(tx, { confirmed: false }, outs) : null;
  }

  describe(txid: string): Record<string, unknown> {
    const t = this.#txs.get(txid);
    if (!t) throw new Error(`describe: ${txid} is not indexed`);
    return this.#json(t.tx, { confirmed: true, block_height: t.height, block_hash: t.blockHash, block_time: t.blockTime }, new Map());
  }

  /** Electrum's get_merkle shape: sibling hashes in display hex, bottom up. */
  merkleProof(txid: string): { block_height: number; merkle: string[]; pos: number } | null {
    const t = this.#txs.get(txid);
    if (!t) return null;
    let level: Uint8Array[] = (this.#blockTxids.get(t.blockHash) ?? []).map((id) => Uint8Array.from(Buffer.from(id, 'hex').reverse()));
    const merkle: string[] = [];
    let pos = t.pos;
    while (level.length > 1) {
      if (level.length % 2 === 1) level.push(level[level.length - 1] as Uint8Array);
      merkle.push(bytesToHex(Uint8Array.from(level[pos ^ 1] as Uint8Array).reverse()));
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(sha256(sha256(Uint8Array.from([...(level[i] as Uint8Array), ...(level[i + 1] as Uint8Array)]))));
      level = next;
      pos = Math.floor(pos / 2);
    }
    return { block_height: t.height, merkle, pos: t.pos };
  }

  #json(tx: Transaction, status: Record<string, unknown>, mempoolOuts: Map<string, Out>): Record<string, unknown> {
    const coinbase = isCoinbase(tx);
    const outJson = (o: { script: Uint8Array; value: bigint }) => {
      let addr: string | undefined;
      try {
        addr = btcAddress.fromOutputScript(o.script, networks.regtest);
      } catch {
        addr = undefined;
      }
      return { scriptpubkey: bytesToHex(o.script), scriptpubkey_asm: btcScript.toASM(o.script), scriptpubkey_type: scriptType(o.script), ...(addr ? { scriptpubkey_address: addr } : {}), value: Number(o.value) };
    };
    let inSum = 0n;
    let allKnown = !coinbase;
    const vin = tx.ins.map((i) => {
      const prev = coinbase ? undefined : (this.#outs.get(outKey(prevTxid(i), i.index)) ?? mempoolOuts.get(outKey(prevTxid(i), i.index)));
      if (prev) inSum += prev.value;
      else allKnown = false;
      return {
        txid: prevTxid(i),
        vout: i.index,
        prevout: prev ? outJson(prev) : null,
        scriptsig: bytesToHex(i.script),
        scriptsig_asm: i.script.length ? btcScript.toASM(i.script) : '',
        witness: i.witness.map((w) => bytesToHex(w)),
        is_coinbase: coinbase,
        sequence: i.sequence,
      };
    });
    const outSum = tx.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    return {
      txid: tx.getId(),
      version: tx.version,
      locktime: tx.locktime,
      vin,
      vout: tx.outs.map((o) => outJson({ script: Uint8Array.from(o.script), value: BigInt(o.value) })),
      size: tx.byteLength(),
      weight: tx.weight(),
      fee: allKnown ? Number(inSum - outSum) : 0,
      status,
    };
  }
}
