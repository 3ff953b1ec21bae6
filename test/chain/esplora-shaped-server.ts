/**
 * A tiny HTTP server with the Esplora API's shape (Blockstream/esplora API.md: the endpoints the
 * Esplora adapter uses), answering from a ChainSource — here the embedded regtest node. It exists
 * because there is no internet in the test environment: the Esplora adapter's recorded responses
 * (test/fixtures/esplora/) were produced by it. It is a test double of the *shape*, not of Esplora's
 * behaviour under load; the shape follows API.md (block JSON fields, text hashes, hex txs, binary
 * raw blocks, POST /tx answering 400 with bitcoind's error relayed as text).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import { isDomainError } from '../../src/core/errors.ts';

export interface EsploraShapedServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Fee-estimate targets Esplora documents. */
const TARGETS = [2, 3, 4, 5, 6, 10, 20, 25, 144, 504, 1008];

export async function startEsploraShapedServer(source: ChainSource): Promise<EsploraShapedServer> {
  const server: Server = createServer((req, res) => {
    handle(source, req, res).catch((e: unknown) => {
      if (isDomainError(e) && e.code === 'NOT_FOUND') send(res, 404, 'text/plain', 'Block not found');
      else send(res, 500, 'text/plain', e instanceof Error ? e.message : String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(source: ChainSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').replace(/^\/api\//, '');
  let m: RegExpExecArray | null;
  if (req.method === 'POST' && path === 'tx') {
    const hex = (await readBody(req)).trim();
    const r = await source.broadcast(Buffer.from(hex, 'hex'));
    if (r.accepted) return send(res, 200, 'text/plain', r.txid);
    return send(res, 400, 'text/plain', `sendrawtransaction RPC error: ${JSON.stringify({ code: -26, message: r.reason })}`);
  }
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method not allowed');
  if (path === 'blocks/tip/hash') return send(res, 200, 'text/plain', (await source.tip()).hash);
  if (path === 'blocks/tip/height') return send(res, 200, 'text/plain', String((await source.tip()).height));
  if ((m = /^block-height\/(\d+)$/.exec(path))) return send(res, 200, 'text/plain', await source.blockHash(Number(m[1])));
  if ((m = /^block\/([0-9a-f]{64})$/.exec(path))) {
    const h = await source.header(m[1] as string);
    const raw = await source.rawBlock(h.hash);
    const body = { id: h.hash, height: h.height, timestamp: h.time, merkle_root: h.merkleRoot, previousblockhash: h.height === 0 ? null : h.prevHash, size: raw.length };
    return send(res, 200, 'application/json', JSON.stringify(body));
  }
  if ((m = /^block\/([0-9a-f]{64})\/raw$/.exec(path))) return send(res, 200, 'application/octet-stream', await source.rawBlock(m[1] as string));
  if ((m = /^tx\/([0-9a-f]{64})\/hex$/.exec(path))) {
    try {
      return send(res, 200, 'text/plain', Buffer.from(await source.rawTransaction(m[1] as string)).toString('hex'));
    } catch (e) {
      if (isDomainError(e) && e.code === 'NOT_FOUND') return send(res, 404, 'text/plain', 'Transaction not found');
      throw e;
    }
  }
  if (path === 'mempool/txids') return send(res, 200, 'application/json', JSON.stringify((await source.mempool()).map((t) => t.txid)));
  if (path === 'fee-estimates') {
    const out: Record<string, number> = {};
    for (const t of TARGETS) {
      const r = await source.estimateFeeRate(t);
      if (r !== null) out[String(t)] = r;
    }
    return send(res, 200, 'application/json', JSON.stringify(out));
  }
  return send(res, 404, 'text/plain', 'Not found');
}
