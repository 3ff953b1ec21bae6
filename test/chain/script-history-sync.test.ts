// Script-history sync (Esplora /scripthash over the Esplora-shaped server, whose index is computed
// from the embedded regtest node's blocks) against the block walk over the same node, on SQLite and
// PostgreSQL: the two leave the same balances, UTXOs, history (mempool included); gap-limit
// discovery past a gap; a reorg detected through the anchors' block hashes and reversed; a lying
// or malformed server refused with CHAIN_BAD_RESPONSE and nothing lost; and no block or mempool
// listing downloaded on this path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { networks } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, signSpend, wpkhDescriptor } from '../helpers/vault-keys.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { createServer } from 'node:http';
import { EsploraChainSource } from '../../src/adapters/chain/esplora-chain-source.ts';
import { EsploraScriptHistory } from '../../src/adapters/chain/esplora-script-history.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { syncVaultByScriptHistory } from '../../src/app/sync-by-script-history.ts';
import { deriverFor } from '../../src/app/vault-deriver.ts';
import { isDomainError } from '../../src/core/errors.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import { startEsploraShapedServer, type EsploraShapedServer } from './esplora-shaped-server.ts';

const regtest = useRegtestNode();
const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
let server: EsploraShapedServer;

before(async () => {
  const node = await regtest.ready();
  if (node.height() < 432) await node.mine(432 - node.height()); // bcoin accepts witness spends from 432
  server = await startEsploraShapedServer(node.chainSource());
});
after(async () => {
  await server?.close();
});

/** Everything a person reads from a vault, in a stable order. */
async function view(store: SqlVaultStore, vault: Vault) {
  const byId = <T extends { txid: string }>(a: T, b: T) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0);
  const byOutpoint = <T extends { txid: string; vout: number }>(a: T, b: T) => byId(a, b) || a.vout - b.vout;
  return {
    balance: await store.balance(vault.id),
    unspent: (await store.unspentTxos(vault.id)).sort(byOutpoint),
    txos: (await store.allTxos(vault.id)).sort(byOutpoint),
    history: (await store.transactions(vault.id)).sort(byId),
    used: (await store.addresses(vault.id)).filter((a) => a.used).map((a) => `${a.branch}/${a.index}`).sort(),
  };
}

let seed = 60;

forEachEngine('script-history sync', (t) => {
  /** The same vault in two databases: one synced by the block walk, one by script history. */
  async function setup(gap: number, birthday?: { time: number }) {
    const node = regtest.node();
    const signer = cosigner(++seed, "m/84'/1'/0'");
    const make = async () => {
      const store = new SqlVaultStore(await t.open());
      const vault = await addVault({ store }, { name: `sh${seed}`, network: 'regtest', descriptor: wpkhDescriptor(signer), birthday: birthday ?? { height: node.height() }, gapLimit: gap, now: '2026-01-01T00:00:00Z' });
      return { store, vault };
    };
    const walk = await make();
    const light = await make();
    const source = new EsploraChainSource({ url: server.url, retries: 0 }).scriptHistorySource();
    const deriver = deriverFor(light.vault);
    assert.ok(deriver);
    const addr = (branch: 0 | 1, index: number) => deriver.derive(branch, index).address;
    const syncLight = async () => {
      server.resetStats();
      const s = await syncVaultByScriptHistory({ source, store: light.store }, light.vault);
      const blockish = server.requests.filter((p) => /^block\/[0-9a-f]{64}(\/raw)?$/.test(p) || p.startsWith('mempool'));
      assert.deepEqual(blockish, [], 'no block and no mempool listing downloaded on the script-history path');
      return s;
    };
    const assertSame = async (when: string) => {
      await syncVault({ chain: node.chainSource(), store: walk.store }, walk.vault);
      assert.deepEqual(await view(light.store, light.vault), await view(walk.store, walk.vault), `script history equals the block walk ${when}`);
    };
    return { node, signer, walk, light, source, addr, syncLight, assertSame };
  }

  test('script-history sync equals the block walk: receives on both branches, a spend with change, several in one block, mempool chains', async () => {
    const { node, signer, light, addr, syncLight, assertSame } = await setup(5);
    await node.fund(addr(0, 0), 1_000_000n);
    await node.fund(addr(0, 3), 2_000_000n);
    await node.fund(addr(1, 1), 3_000_000n);
    await node.mine(1);
    await node.mine(3);
    let s = await syncLight();
    assert.equal(s.transactionsFound, 3);
    assert.equal(s.blocksDownloaded, 0);
    assert.ok(s.requests > 0 && s.bytesDownloaded > 0, 'requests and bytes are counted');
    await assertSame('after three receives in one block');

    // A spend of two coins with change to change index 4, and in the mempool: a receive and a child spending its output.
    const utxos = (await light.store.unspentTxos(light.vault.id)).filter((u) => u.value !== 3_000_000n);
    const spend = signSpend(signer, utxos, [{ address: FOREIGN, value: 2_000_000n }, { address: addr(1, 4), value: 990_000n }]);
    assert.ok((await node.submitTx(spend)).accepted);
    await node.mine(2);
    const memTxid = await node.fund(addr(0, 6), 400_000n, { confirm: false });
    const child = signSpend(signer, [{ txid: memTxid, vout: await voutOf(node, memTxid, addr(0, 6)), value: 400_000n, branch: 0, index: 6, script: deriverFor(light.vault)?.derive(0, 6).script ?? '' }], [{ address: addr(1, 7), value: 390_000n }]);
    const sent = await node.submitTx(child);
    assert.ok(sent.accepted, sent.accepted ? '' : sent.reason);
    s = await syncLight();
    assert.equal(s.mempoolTransactions, 2);
    await assertSame('with a confirmed spend and a mempool chain');
    const bal = await light.store.balance(light.vault.id);
    assert.deepEqual(bal, { confirmed: 3_990_000n, unconfirmed: 390_000n });

    // The mempool confirms; a second sync only adds it.
    await node.mine(1);
    s = await syncLight();
    assert.equal(s.transactionsFound, 2);
    assert.equal(s.mempoolTransactions, 0);
    await assertSame('after the mempool chain confirmed');
  });

  test('gap-limit discovery past a gap: each used script opens the next window, a payment beyond the gap stays unseen', async () => {
    const { node, light, addr, syncLight, assertSame } = await setup(3);
    // Stored window 0..2; 2 opens 3..5; 5 opens 6..8; 8 opens 9..11; 15 lies beyond three unused (9, 10, 11) ... and more.
    await node.fund(addr(0, 2), 100_000n);
    await node.fund(addr(0, 5), 200_000n);
    await node.mine(1);
    await node.fund(addr(0, 8), 300_000n);
    await node.fund(addr(1, 2), 400_000n);
    await node.fund(addr(0, 15), 900_000n);
    await node.mine(1);
    const s = await syncLight();
    assert.equal(s.transactionsFound, 4);
    assert.ok(s.scriptsQueried >= 12 + 6, `receive 0..11 and change 0..5 were asked for (asked ${s.scriptsQueried})`);
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 1_000_000n);
    await assertSame('after discovery past the gap');
  });

  test('a reorg is detected through the anchors and reversed: a receive leaves the chain, then confirms again once', async () => {
    const { node, light, addr, syncLight, assertSame } = await setup(5);
    await node.fund(addr(0, 0), 500_000n, { confirm: true });
    await syncLight();
    const txid = await node.fund(addr(0, 1), 250_000n, { confirm: false });
    const [blk] = await node.mine(1);
    const blkHeight = node.height();
    await node.mine(2);
    await syncLight();
    await assertSame('before the reorg');
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 750_000n);
    // Disconnect the block that holds the receive: it goes back to the mempool.
    await node.invalidateBlock(blk ?? '');
    const s = await syncLight();
    assert.ok(s.reorg, 'the reorg is detected');
    assert.ok(s.reorg.forkHeight < blkHeight, `rolled back below the disconnected block (fork ${s.reorg.forkHeight}, block ${blkHeight})`);
    assert.deepEqual(await light.store.balance(light.vault.id), { confirmed: 500_000n, unconfirmed: 250_000n });
    await assertSame('after the reorg');
    // A longer chain confirms it again.
    await node.mine(4);
    await syncLight();
    assert.deepEqual(await light.store.balance(light.vault.id), { confirmed: 750_000n, unconfirmed: 0n });
    assert.equal((await light.store.transactions(light.vault.id)).filter((x) => x.txid === txid).length, 1);
    await assertSame('after the receive confirmed again');
  });

  test('a sync that dies between two blocks resumes where it stopped, and either path continues the other', async () => {
    const { node, light, addr, syncLight, assertSame } = await setup(5);
    for (const [i, sats] of [[0, 100_000n], [1, 200_000n], [2, 300_000n]] as const) {
      await node.fund(addr(0, i), sats);
      await node.mine(2);
    }
    // The store fails on the second block's commit, as a process killed there would stop.
    let commits = 0;
    const dying = new Proxy(light.store, {
      get(target, prop, receiver) {
        if (prop === 'applyBlock') {
          return async (...args: Parameters<SqlVaultStore['applyBlock']>) => {
            if (++commits === 2) throw new Error('killed');
            return target.applyBlock(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await assert.rejects(syncVaultByScriptHistory({ source: new EsploraScriptHistory({ url: server.url }), store: dying }, light.vault), /killed/);
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 100_000n, 'the first block is committed whole, nothing after it');
    await syncLight();
    await assertSame('after resuming');
    // The block walk continues a vault the script history synced, and the other way round.
    await node.fund(addr(0, 3), 400_000n);
    await node.mine(1);
    await syncVault({ chain: node.chainSource(), store: light.store }, light.vault);
    await assertSame('after a block walk on the script-history vault');
    await node.fund(addr(1, 0), 500_000n);
    await node.mine(1);
    await syncLight();
    await assertSame('after script history again');
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 1_500_000n);
  });

  test('a birthday given as a date resolves to the same height on both paths (median-time-past, a day earlier)', async () => {
    const node = regtest.node();
    const tipTime = parseHeaderTime(await node.chainSource().rawBlock(await node.chainSource().blockHash(node.height())));
    const { light, walk, addr, syncLight, assertSame } = await setup(5, { time: tipTime });
    await node.fund(addr(0, 0), 123_000n, { confirm: true });
    await syncLight();
    await assertSame('with a birthday by date');
    const [l, w] = [await light.store.findVault(light.vault.id), await walk.store.findVault(walk.vault.id)];
    assert.ok(l && w && l.birthdayTime === null);
    assert.equal(l.birthdayHeight, w.birthdayHeight);
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 123_000n);
  });

  test('a server of another network is refused with NETWORK_MISMATCH before anything is written', async () => {
    const { light, source } = await setup(5);
    await assert.rejects(syncVaultByScriptHistory({ source, store: light.store }, { ...light.vault, network: 'test' }), (e: unknown) => isDomainError(e) && e.code === 'NETWORK_MISMATCH');
    assert.equal(await light.store.tipCheckpoint(light.vault.id), null);
  });

  test('a lying or malformed server is refused with CHAIN_BAD_RESPONSE and nothing is lost', async () => {
    const { node, light, addr, syncLight, assertSame } = await setup(5);
    await node.fund(addr(0, 0), 600_000n, { confirm: true });
    await syncLight();
    const before = await view(light.store, light.vault);
    const tipBefore = await light.store.tipCheckpoint(light.vault.id);
    await node.fund(addr(0, 1), 700_000n, { confirm: true });
    const lies: Array<[string, (path: string, body: string | Uint8Array) => string | Uint8Array]> = [
      ['a transaction whose output value was changed (it no longer hashes to its txid)', (p, b) => (p.startsWith('scripthash/') && typeof b === 'string' ? b.replace('"value":700000', '"value":7000000') : b)],
      ['a merkle proof that does not lead to the header', (p, b) => (p.endsWith('/merkle-proof') && typeof b === 'string' ? b.replace(/"pos":(\d+)/, (_m, n: string) => `"pos":${Number(n) + 1}`) : b)],
      ['a header that does not hash to its block', (p, b) => (p.endsWith('/header') && typeof b === 'string' ? `${b.slice(0, 150)}0000000000` : b)],
      ['a history that is not JSON', (p, b) => (p.startsWith('scripthash/') ? '<html>busy</html>' : b)],
      ['a transaction anchored in a block the best chain does not have', (p, b) => (p.startsWith('scripthash/') && typeof b === 'string' ? b.replace(/"block_hash":"[0-9a-f]{64}"/g, `"block_hash":"${'ab'.repeat(32)}"`) : b)],
    ];
    for (const [what, lie] of lies) {
      server.setTamper(lie);
      try {
        await assert.rejects(syncLight(), (e: unknown) => isDomainError(e) && e.code === 'CHAIN_BAD_RESPONSE', what);
      } finally {
        server.setTamper(null);
      }
      assert.deepEqual(await view(light.store, light.vault), before, `${what}: nothing changed`);
      assert.deepEqual(await light.store.tipCheckpoint(light.vault.id), tipBefore, `${what}: the checkpoint did not move`);
    }
    await syncLight();
    assert.equal((await light.store.balance(light.vault.id)).confirmed, 1_300_000n);
    await assertSame('after the honest answer');
  });
});

function parseHeaderTime(rawBlock: Uint8Array): number {
  return new DataView(rawBlock.buffer, rawBlock.byteOffset).getUint32(68, true);
}

async function voutOf(node: ReturnType<typeof regtest.node>, txid: string, address: string): Promise<number> {
  const { Transaction, address: addrLib } = await import('bitcoinjs-lib');
  const tx = Transaction.fromBuffer(Buffer.from(await node.chainSource().rawTransaction(txid)));
  const script = addrLib.toOutputScript(address, networks.regtest);
  const i = tx.outs.findIndex((o) => Buffer.compare(Buffer.from(o.script), Buffer.from(script)) === 0);
  assert.ok(i >= 0);
  return i;
}

test('the adapter maps failures to the ChainSource codes and keeps at most `concurrency` requests in flight', async () => {
  let inflight = 0;
  let peak = 0;
  let mode: 'slow' | 'forbidden' | 'hang' = 'slow';
  const http = createServer((_req, res) => {
    if (mode === 'forbidden') return void res.writeHead(403).end('no');
    if (mode === 'hang') return; // never answers
    inflight++;
    peak = Math.max(peak, inflight);
    setTimeout(() => {
      inflight--;
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    }, 20);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  try {
    const src = new EsploraScriptHistory({ url: `http://127.0.0.1:${port}/api/`, concurrency: 3, timeoutMs: 300, retries: 0 });
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => src.scriptHistory(new Uint8Array([0, 20, i]))));
    assert.ok(got.every((h) => h.length === 0));
    assert.equal(peak, 3, 'bounded concurrency');
    assert.deepEqual(src.traffic(), { requests: 20, bytes: 40 });
    mode = 'forbidden';
    await assert.rejects(src.tip(), (e: unknown) => isDomainError(e) && e.code === 'CHAIN_AUTH_FAILED');
    mode = 'hang';
    await assert.rejects(src.blockHash(1), (e: unknown) => isDomainError(e) && e.code === 'CHAIN_UNAVAILABLE' && /did not answer within 300 ms/.test(e.message));
    await src.close();
  } finally {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
  // A port nothing listens on (never used by this process's connection pool).
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const freePort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const refused = new EsploraScriptHistory({ url: `http://127.0.0.1:${freePort}/api/`, retries: 0 });
  await assert.rejects(refused.tip(), (e: unknown) => isDomainError(e) && e.code === 'CHAIN_UNAVAILABLE' && /connection refused/.test(e.message));
});
