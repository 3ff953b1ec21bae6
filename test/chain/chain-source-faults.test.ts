/**
 * Chain-source faults, each a clear DomainError naming the cause: an unreachable node, wrong
 * credentials (user/password and cookie file), a node of another network, a node still syncing,
 * a node that restarts mid-way, malformed answers, timeouts, 429/5xx backoff; plus the Bitcoin
 * Core paths the embedded node cannot exercise (REST blocks, getblockfilter, batch partial errors).
 *
 * A node of another network, a syncing node and malformed answers are simulated by a tiny local
 * HTTP JSON-RPC server in this file (fakeRpc): it serves, e.g., testnet's genesis hash. The Esplora
 * faults use a scripted fetch.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { GENESIS_HASH } from '../../src/core/network.ts';
import { BitcoindChainSource } from '../../src/adapters/chain/bitcoind-chain-source.ts';
import { EsploraChainSource } from '../../src/adapters/chain/esplora-chain-source.ts';
import { assertChainNetwork, openChainSource } from '../../src/adapters/chain/open-chain-source.ts';
import type { FetchInit, FetchLike, FetchResponseLike } from '../../src/adapters/chain/errors.ts';
import { startRegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { freePort } from '../helpers/net.ts';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(isDomainError(e), `expected DomainError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected DomainError ${code}, but the call succeeded`);
}

type RpcRequest = { method: string; params: unknown[]; id: number };
type Reply = { status?: number; body: string | Uint8Array; contentType?: string } | 'hang';

interface FakeRpc {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

/** A tiny local HTTP server answering JSON-RPC (and REST GETs) with a scripted handler. */
async function fakeRpc(handle: (req: { method: string; url: string; rpc: RpcRequest | RpcRequest[] | null }) => Reply): Promise<FakeRpc> {
  const hits: string[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let rpc: RpcRequest | RpcRequest[] | null;
      try {
        rpc = text ? (JSON.parse(text) as RpcRequest | RpcRequest[]) : null;
      } catch {
        rpc = null;
      }
      hits.push(req.method === 'GET' ? `GET ${req.url ?? ''}` : Array.isArray(rpc) ? `batch ${rpc.map((r) => r.method).join(',')}` : (rpc?.method ?? '?'));
      const reply = handle({ method: req.method ?? 'GET', url: req.url ?? '/', rpc });
      if (reply === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (id: number, result: unknown): Reply => ({ body: JSON.stringify({ result, error: null, id }) });
const fail = (id: number, code: number, message: string, status = 500): Reply => ({ status, body: JSON.stringify({ result: null, error: { code, message }, id }) });
const single = (rpc: RpcRequest | RpcRequest[] | null): RpcRequest => {
  if (!rpc || Array.isArray(rpc)) throw new Error('expected a single call');
  return rpc;
};

/** A syntactically valid transaction (never broadcast), for mempool answers. */
function sampleTx(n: number): Transaction {
  const tx = new Transaction();
  tx.addInput(new Uint8Array(32).fill(n), 0);
  tx.addOutput(new Uint8Array([0x51]), 1000n);
  return tx;
}

describe('Bitcoin Core RPC adapter faults', () => {
  const regtest = useRegtestNode();

  test('an unreachable node is CHAIN_UNAVAILABLE, naming the address, after bounded retries', async () => {
    const port = await freePort();
    const source = new BitcoindChainSource({ url: `http://127.0.0.1:${port}/`, user: 'u', password: 'p', retries: 2, retryDelayMs: 10 });
    const e = await rejectsWith(source.tip(), 'CHAIN_UNAVAILABLE');
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused`));
  });

  test('a wrong password is CHAIN_AUTH_FAILED, and the password never shows in the message', async () => {
    const node = regtest.node();
    const source = new BitcoindChainSource({ url: node.rpcUrl, user: node.rpcUser, password: 'wrong-password-123' });
    const e = await rejectsWith(source.tip(), 'CHAIN_AUTH_FAILED');
    assert.doesNotMatch(e.message, /wrong-password-123/);
    const inUrl = new URL(node.rpcUrl);
    inUrl.username = 'soberana';
    inUrl.password = 'also-wrong';
    const e2 = await rejectsWith(new BitcoindChainSource({ url: inUrl.toString() }).tip(), 'CHAIN_AUTH_FAILED');
    assert.doesNotMatch(e2.message, /also-wrong/);
  });

  test('cookie-file auth works; a wrong or missing cookie is CHAIN_AUTH_FAILED', async () => {
    const node = regtest.node();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-cookie-'));
    try {
      const cookie = join(dir, '.cookie');
      writeFileSync(cookie, `__cookie__:${node.rpcPassword}`);
      const tip = await new BitcoindChainSource({ url: node.rpcUrl, cookieFile: cookie }).tip();
      assert.equal(tip.height, node.height());
      writeFileSync(cookie, '__cookie__:nope');
      await rejectsWith(new BitcoindChainSource({ url: node.rpcUrl, cookieFile: cookie }).tip(), 'CHAIN_AUTH_FAILED');
      const e = await rejectsWith(new BitcoindChainSource({ url: node.rpcUrl, cookieFile: join(dir, 'missing') }).tip(), 'CHAIN_AUTH_FAILED');
      assert.match(e.message, /cookie file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a node of another network is refused with a message saying which (fake server serving testnet\'s genesis)', async () => {
    const srv = await fakeRpc(({ rpc }) => {
      const r = single(rpc);
      return r.method === 'getblockhash' ? ok(r.id, GENESIS_HASH.test) : fail(r.id, -32601, 'Method not found');
    });
    try {
      const source = new BitcoindChainSource({ url: srv.url, user: 'u', password: 'p' });
      const e = await rejectsWith(assertChainNetwork(source, 'regtest'), 'NETWORK_MISMATCH');
      assert.equal(e.message, `the node at ${srv.url} serves testnet but the vault is on regtest`);
      assert.equal(await source.network(), 'test');
    } finally {
      await srv.close();
    }
    const odd = await fakeRpc(({ rpc }) => ok(single(rpc).id, '11'.repeat(32)));
    try {
      const source = new BitcoindChainSource({ url: odd.url });
      const e = await rejectsWith(assertChainNetwork(source, 'main'), 'NETWORK_MISMATCH');
      assert.match(e.message, /serves an unknown chain \(genesis 1111.*\) but the vault is on mainnet/);
      await rejectsWith(source.network(), 'NETWORK_MISMATCH');
    } finally {
      await odd.close();
    }
  });

  test('a node in initial block download or warming up is CHAIN_SYNCING', async () => {
    let warm = true;
    const srv = await fakeRpc(({ rpc }) => {
      const r = single(rpc);
      if (warm) return fail(r.id, -28, 'Loading block index…');
      return ok(r.id, { chain: 'main', blocks: 100, headers: 800_000, bestblockhash: 'cd'.repeat(32), initialblockdownload: true });
    });
    try {
      const source = new BitcoindChainSource({ url: srv.url });
      await rejectsWith(source.tip(), 'CHAIN_SYNCING');
      warm = false;
      const e = await rejectsWith(source.tip(), 'CHAIN_SYNCING');
      assert.match(e.message, /initial block download.*100 of 800000/);
    } finally {
      await srv.close();
    }
  });

  test('a node that restarts mid-way: unavailable while down, served again after, and retries bridge a quick restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-restart-'));
    const port = await freePort();
    try {
      let node = await startRegtestNode({ dataDir: dir, port });
      await node.mine(3);
      const password = node.rpcPassword;
      const source = new BitcoindChainSource({ url: node.rpcUrl, user: node.rpcUser, password, retries: 1, retryDelayMs: 10 });
      const tip = await source.tip();
      await node.stop();
      await rejectsWith(source.tip(), 'CHAIN_UNAVAILABLE');
      node = await startRegtestNode({ dataDir: dir, port, rpcPassword: password });
      assert.deepEqual(await source.tip(), tip, 'the same source reconnects to the restarted node');
      await node.stop();
      // A restart that completes within the retry budget is invisible to the caller.
      const patient = new BitcoindChainSource({ url: node.rpcUrl, user: node.rpcUser, password, retries: 6, retryDelayMs: 100 });
      const restarting = (async () => {
        await new Promise((r) => setTimeout(r, 150));
        node = await startRegtestNode({ dataDir: dir, port, rpcPassword: password });
      })();
      assert.deepEqual(await patient.tip(), tip);
      await restarting;
      await node.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a restarted node with a rotated cookie is followed (the cookie is re-read after a 401)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-cookie-restart-'));
    const port = await freePort();
    try {
      const cookie = join(dir, '.cookie');
      let node = await startRegtestNode({ dataDir: join(dir, 'node'), port, rpcPassword: 'first-cookie-password' });
      writeFileSync(cookie, '__cookie__:first-cookie-password');
      const source = new BitcoindChainSource({ url: node.rpcUrl, cookieFile: cookie });
      const tip = await source.tip();
      await node.stop();
      node = await startRegtestNode({ dataDir: join(dir, 'node'), port, rpcPassword: 'second-cookie-password' });
      writeFileSync(cookie, '__cookie__:second-cookie-password');
      try {
        assert.deepEqual(await source.tip(), tip);
      } finally {
        await node.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('malformed answers are CHAIN_BAD_RESPONSE', async () => {
    let mode = 'not-json';
    const srv = await fakeRpc(({ method, rpc }) => {
      if (method === 'GET') return { status: 404, body: 'Not found', contentType: 'text/plain' };
      const r = single(rpc);
      switch (mode) {
        case 'not-json':
          return { body: 'this is not json{', contentType: 'text/plain' };
        case 'wrong-types':
          return ok(r.id, { blocks: 'many', bestblockhash: 42 });
        case 'wrong-block':
          // A real block (regtest genesis), but not the one asked for.
          return ok(r.id, genesisHex);
        case 'wrong-id':
          return ok(r.id + 1000, 5);
        default:
          return ok(r.id, null);
      }
    });
    const genesisHex = bytesToHex(await regtest.node().chainSource().rawBlock(GENESIS_HASH.regtest));
    try {
      const source = new BitcoindChainSource({ url: srv.url });
      await rejectsWith(source.tip(), 'CHAIN_BAD_RESPONSE');
      mode = 'wrong-types';
      await rejectsWith(source.tip(), 'CHAIN_BAD_RESPONSE');
      mode = 'wrong-block';
      const e = await rejectsWith(source.rawBlock('ab'.repeat(32)), 'CHAIN_BAD_RESPONSE');
      assert.match(e.message, /asked for block abab.*got 0f9188/);
      mode = 'wrong-id';
      await rejectsWith(source.blockHash(1), 'CHAIN_BAD_RESPONSE');
    } finally {
      await srv.close();
    }
  });

  test('5xx without a JSON-RPC body is retried, then CHAIN_UNAVAILABLE; Core\'s HTTP 500 with an error body is an answer', async () => {
    let jsonError = false;
    const srv = await fakeRpc(({ rpc }) => (jsonError ? fail(single(rpc).id, -8, 'Block height out of range') : { status: 503, body: 'Service Unavailable', contentType: 'text/plain' }));
    try {
      const source = new BitcoindChainSource({ url: srv.url, retries: 2, retryDelayMs: 5 });
      await rejectsWith(source.tip(), 'CHAIN_UNAVAILABLE');
      assert.equal(srv.hits.length, 3, 'one try and two retries');
      jsonError = true;
      srv.hits.length = 0;
      await rejectsWith(source.blockHash(999), 'NOT_FOUND');
      assert.equal(srv.hits.length, 1, 'a node error is not retried');
    } finally {
      await srv.close();
    }
  });

  test('a node that does not answer in time is CHAIN_UNAVAILABLE, saying so', async () => {
    const srv = await fakeRpc(() => 'hang');
    try {
      const source = new BitcoindChainSource({ url: srv.url, timeoutMs: 150 });
      const e = await rejectsWith(source.tip(), 'CHAIN_UNAVAILABLE');
      assert.match(e.message, /did not answer within 150 ms/);
    } finally {
      await srv.close();
    }
  });

  test('mempool reads raw transactions in one batch, skipping those gone meanwhile', async () => {
    const a = sampleTx(1);
    const b = sampleTx(2);
    const srv = await fakeRpc(({ rpc }) => {
      if (Array.isArray(rpc)) {
        return { body: JSON.stringify(rpc.map((r) => (r.params[0] === a.getId() ? { result: a.toHex(), error: null, id: r.id } : { result: null, error: { code: -5, message: 'No such mempool transaction' }, id: r.id }))) };
      }
      const r = single(rpc);
      return ok(r.id, [a.getId(), b.getId()]);
    });
    try {
      const pool = await new BitcoindChainSource({ url: srv.url }).mempool();
      assert.deepEqual(pool.map((t) => [t.txid, bytesToHex(t.raw)]), [[a.getId(), a.toHex()]]);
      assert.deepEqual(srv.hits, ['getrawmempool', 'batch getrawtransaction,getrawtransaction']);
    } finally {
      await srv.close();
    }
  });

  test('REST serves raw blocks when enabled; "auto" falls back to RPC once when it is not', async () => {
    const genesis = await regtest.node().chainSource().rawBlock(GENESIS_HASH.regtest);
    let rest = true;
    const srv = await fakeRpc(({ method, url, rpc }) => {
      if (method === 'GET') return rest && url === `/rest/block/${GENESIS_HASH.regtest}.bin` ? { body: genesis, contentType: 'application/octet-stream' } : { status: 404, body: 'Not found', contentType: 'text/plain' };
      return ok(single(rpc).id, bytesToHex(genesis));
    });
    try {
      const withRest = new BitcoindChainSource({ url: srv.url, rest: true });
      assert.equal(bytesToHex(await withRest.rawBlock(GENESIS_HASH.regtest)), bytesToHex(genesis));
      assert.deepEqual(srv.hits, [`GET /rest/block/${GENESIS_HASH.regtest}.bin`]);
      rest = false;
      srv.hits.length = 0;
      const auto = new BitcoindChainSource({ url: srv.url });
      await auto.rawBlock(GENESIS_HASH.regtest);
      await auto.rawBlock(GENESIS_HASH.regtest);
      assert.deepEqual(srv.hits, [`GET /rest/block/${GENESIS_HASH.regtest}.bin`, 'getblock', 'getblock']);
    } finally {
      await srv.close();
    }
    // Against the embedded node (no REST), "auto" still returns the block.
    const viaNode = new BitcoindChainSource({ url: regtest.node().rpcUrl, user: regtest.node().rpcUser, password: regtest.node().rpcPassword });
    assert.equal(bytesToHex(await viaNode.rawBlock(GENESIS_HASH.regtest)), bytesToHex(genesis));
  });

  test('getblockfilter is used when the node has it; without it the filter is null and not asked again', async () => {
    let has = true;
    const srv = await fakeRpc(({ rpc }) => {
      const r = single(rpc);
      return has ? ok(r.id, { filter: '017fa880', header: 'ee'.repeat(32) }) : fail(r.id, -32601, 'Method not found', 404);
    });
    try {
      assert.equal(bytesToHex((await new BitcoindChainSource({ url: srv.url }).blockFilter('ab'.repeat(32))) as Uint8Array), '017fa880');
      has = false;
      srv.hits.length = 0;
      const source = new BitcoindChainSource({ url: srv.url });
      assert.equal(await source.blockFilter('ab'.repeat(32)), null);
      assert.equal(await source.blockFilter('cd'.repeat(32)), null);
      assert.equal(srv.hits.length, 1);
    } finally {
      await srv.close();
    }
  });

  test('the configuration picks the adapter', () => {
    assert.ok(openChainSource({ kind: 'bitcoind', url: 'http://127.0.0.1:8332/' }) instanceof BitcoindChainSource);
    assert.ok(openChainSource({ kind: 'esplora', url: 'https://blockstream.info/api' }) instanceof EsploraChainSource);
    assert.throws(() => openChainSource({ kind: 'bitcoind', url: 'ftp://x' }), (e: unknown) => isDomainError(e) && e.code === 'INVALID_CONFIG');
  });
});

/** A fetch that answers from a script and counts calls. */
function scriptedFetch(answer: (url: string, init: FetchInit, n: number) => { status: number; body: string; headers?: Record<string, string> } | Error): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const f = (url: string, init: FetchInit): Promise<FetchResponseLike> => {
    calls.push(`${init.method} ${url}`);
    const a = answer(url, init, calls.length);
    if (a instanceof Error) return Promise.reject(a);
    const bytes = Buffer.from(a.body);
    return Promise.resolve({
      status: a.status,
      headers: { get: (n: string) => a.headers?.[n.toLowerCase()] ?? null },
      text: () => Promise.resolve(a.body),
      arrayBuffer: () => Promise.resolve(new Uint8Array(bytes).buffer),
    });
  };
  return Object.assign(f, { calls });
}

describe('Esplora adapter faults', () => {
  const base = 'https://esplora.example/api/';

  test('429 is retried after Retry-After, then succeeds', async () => {
    const f = scriptedFetch((_u, _i, n) => (n === 1 ? { status: 429, body: 'Too Many Requests', headers: { 'retry-after': '0' } } : { status: 200, body: GENESIS_HASH.main }));
    const source = new EsploraChainSource({ url: base, fetch: f, retryDelayMs: 5 });
    assert.equal(await source.blockHash(0), GENESIS_HASH.main);
    assert.equal(f.calls.length, 2);
  });

  test('persistent 5xx is CHAIN_UNAVAILABLE after bounded retries', async () => {
    const f = scriptedFetch(() => ({ status: 502, body: 'Bad Gateway' }));
    const source = new EsploraChainSource({ url: base, fetch: f, retries: 3, retryDelayMs: 1 });
    const e = await rejectsWith(source.tip(), 'CHAIN_UNAVAILABLE');
    assert.match(e.message, /HTTP 502 after 4 attempts/);
    assert.equal(f.calls.length, 4);
  });

  test('a refused broadcast returns bitcoind\'s reason relayed by Esplora', async () => {
    const f = scriptedFetch(() => ({ status: 400, body: 'sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met, 100 < 141"}' }));
    const source = new EsploraChainSource({ url: base, fetch: f });
    assert.deepEqual(await source.broadcast(sampleTx(3).toBuffer()), { accepted: false, reason: 'min relay fee not met, 100 < 141' });
    assert.deepEqual(f.calls, [`POST ${base}tx`]);
  });

  test('malformed answers are CHAIN_BAD_RESPONSE; another network is refused by name', async () => {
    const f = scriptedFetch((url) => (url.endsWith('/block-height/0') ? { status: 200, body: GENESIS_HASH.signet } : { status: 200, body: '{"id": 5' }));
    const source = new EsploraChainSource({ url: base, fetch: f });
    await rejectsWith(source.header('ab'.repeat(32)), 'CHAIN_BAD_RESPONSE');
    const e = await rejectsWith(assertChainNetwork(source, 'regtest'), 'NETWORK_MISMATCH');
    assert.equal(e.message, `the node at ${base} serves signet but the vault is on regtest`);
  });

  test('an unreachable API is CHAIN_UNAVAILABLE after retries', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const f = scriptedFetch(() => refused);
    const e = await rejectsWith(new EsploraChainSource({ url: base, fetch: f, retries: 2, retryDelayMs: 1 }).tip(), 'CHAIN_UNAVAILABLE');
    assert.match(e.message, /connection refused/);
    assert.equal(f.calls.length, 3);
  });

  test('fee estimates follow Esplora\'s targets (largest target not above ours)', async () => {
    const f = scriptedFetch(() => ({ status: 200, body: '{"2": 30.5, "6": 12.25, "144": 1.0}' }));
    const source = new EsploraChainSource({ url: base, fetch: f });
    assert.equal(await source.estimateFeeRate(1), null);
    assert.equal(await source.estimateFeeRate(5), 30.5);
    assert.equal(await source.estimateFeeRate(6), 12.25);
    assert.equal(await source.estimateFeeRate(1000), 1.0);
  });
});

