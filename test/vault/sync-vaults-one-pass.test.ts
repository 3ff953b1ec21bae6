// One walk over the chain for every vault (sync-vaults.ts) gives exactly what a separate sync of
// each vault gives — balances, UTXOs (spent and unspent), history, addresses, checkpoints — with
// the vaults starting at different heights, after a reorg, and after `soberana sync` is killed
// with SIGKILL in the middle of the walk; on SQLite and PostgreSQL. The pipelined block feed gives
// what the sequential one gives, over the Core RPC adapter and in-process. All on the embedded
// regtest node; the history holds payments on both branches, past the first gap window, a
// transaction touching two vaults in one block, and spends.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveAddresses } from '../../src/core/bitcoin/descriptor.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { cosigner, signSpend, wpkhDescriptor, type TestCosigner } from '../helpers/vault-keys.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { syncVaults, type SyncProgress } from '../../src/app/sync-vaults.ts';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import type { Txo, Vault } from '../../src/core/vault/types.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';

const regtest = useRegtestNode();
// the sync run to the end after the kills is about what it leaves, not the process: one worker
// loads the CLI once for both engines (the killed syncs are real processes)
const cli = cliInProcess();
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'soberana.js');
const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const GAP = 5;
const signers = [cosigner(201, "m/84'/1'/0'"), cosigner(202, "m/84'/1'/0'"), cosigner(203, "m/84'/1'/0'")];
const NAMES = ['Treasury A', 'Treasury B', 'Treasury C'];
const descriptors = signers.map((s) => wpkhDescriptor(s));
const scratchDir = mkdtempSync(join(tmpdir(), 'soberana-one-pass-'));
/** Heights where the history's phases end (vaults are synced to them to start the walk at different heights). */
const marks: number[] = [];
/** The kill test's vaults' birthday: below the history (block 432 on), well above genesis. */
const KILL_BIRTHDAY = 400;

/** The chain as it was at `height`: what a node that had not yet seen the later blocks would serve. */
function asOf(chain: ChainSource, height: number): ChainSource {
  return new Proxy(chain, {
    get(target, prop, receiver) {
      if (prop === 'tip') return async () => ({ height, hash: await target.blockHash(height) });
      if (prop === 'mempool') return async () => [];
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function addAll(store: SqlVaultStore, birthday = 430): Promise<Vault[]> {
  const out: Vault[] = [];
  for (let i = 0; i < 3; i++) out.push(await addVault({ store }, { name: NAMES[i] ?? '', network: 'regtest', descriptor: descriptors[i], birthday: { height: birthday }, gapLimit: GAP, now: '2026-01-01T00:00:00Z' }));
  return out;
}

function addressOf(vault: number, branch: 0 | 1, index: number): string {
  const [a] = deriveAddresses(descriptors[vault] ?? '', { network: 'regtest', start: index, count: 1, change: branch === 1 });
  if (!a) throw new Error(`no address ${vault} ${branch}/${index}`);
  return a.address;
}

/** Each vault's unspent coins, from a scratch sync of the current chain. */
async function coins(node: RegtestNode): Promise<Txo[][]> {
  const db = await openDatabase({ url: join(scratchDir, `scratch-${node.height()}-${Math.random().toString(36).slice(2)}.db`) });
  try {
    const store = new SqlVaultStore(db);
    const vaults = await addAll(store);
    await syncVaults({ chain: node.chainSource(), store }, vaults);
    return await Promise.all(vaults.map(async (v) => (await store.unspentTxos(v.id)).filter((t) => t.spentTxid === null && t.height !== null)));
  } finally {
    await db.close();
  }
}

async function submit(node: RegtestNode, raw: Uint8Array): Promise<void> {
  const r = await node.submitTx(raw);
  assert.ok(r.accepted, r.accepted ? '' : r.reason);
}

/** The history, in three phases; `marks` records the height at the end of each. */
before(async () => {
  const node = await regtest.ready();
  await node.activateSegwit(); // bcoin accepts witness spends from height 432
  // Phase 1: receipts on both branches, one past the first gap window in the same block as the
  // payment that opens it.
  await node.fund(addressOf(0, 0, 0), 5_000_000n);
  await node.fund(addressOf(0, 1, 2), 3_000_000n);
  await node.fund(addressOf(1, 0, 1), 4_000_000n);
  await node.fund(addressOf(2, 0, 4), 2_000_000n);
  await node.fund(addressOf(2, 0, 8), 1_500_000n);
  await node.mine(1);
  await node.mine(4);
  marks.push(node.height());
  // Phase 2: A pays B and itself (change) in one transaction touching two vaults; C receives again.
  let [a] = await coins(node);
  await submit(node, signSpend(signers[0] as TestCosigner, a ?? [], [{ address: addressOf(1, 0, 3), value: 6_000_000n }, { address: addressOf(0, 1, 5), value: 1_990_000n }]));
  await node.fund(addressOf(2, 1, 0), 700_000n);
  await node.mine(1);
  await node.mine(3);
  marks.push(node.height());
  // Phase 3: B spends everything to a foreign address; A receives past its window; empty blocks.
  const [, b] = await coins(node);
  await submit(node, signSpend(signers[1] as TestCosigner, b ?? [], [{ address: FOREIGN, value: 9_900_000n }]));
  await node.fund(addressOf(0, 0, 4), 800_000n);
  await node.mine(1);
  await node.fund(addressOf(0, 0, 9), 900_000n);
  await node.mine(6);
  [a] = await coins(node);
  assert.ok((a ?? []).length >= 3, 'vault A has coins from every phase');
});

interface Snapshot {
  balance: { confirmed: bigint; unconfirmed: bigint };
  txos: string[];
  history: string[];
  /** Addresses that received coins. */
  used: string[];
  /** Every address derived (a reorg may leave a longer lookahead behind: compared only without one). */
  derived: string[];
  tip: string;
}

async function snapshot(store: SqlVaultStore, v: Vault): Promise<Snapshot> {
  const tip = await store.tipCheckpoint(v.id);
  return {
    balance: await store.balance(v.id),
    txos: (await store.allTxos(v.id)).map((t) => `${t.txid}:${t.vout} ${t.value} h${t.height} ${t.branch}/${t.index} spent:${t.spentTxid}@${t.spentHeight}`).sort(),
    history: (await store.transactions(v.id)).map((t) => `${t.txid} h${t.height} ${t.blockHash} +${t.received} -${t.spent} fee:${t.fee} ${t.category}`).sort(),
    used: (await store.addresses(v.id)).filter((a) => a.used).map((a) => `${a.branch}/${a.index} ${a.address}`).sort(),
    derived: (await store.addresses(v.id)).map((a) => `${a.branch}/${a.index} ${a.address}`).sort(),
    tip: `${tip?.height}:${tip?.hash}`,
  };
}

async function snapshots(db: Database): Promise<Record<string, Snapshot>> {
  const store = new SqlVaultStore(db);
  const out: Record<string, Snapshot> = {};
  for (const v of await store.listVaults()) out[v.name] = await snapshot(store, v);
  return out;
}

/** Three separate syncs, one vault at a time, into a fresh database: the reference. */
async function separately(open: () => Promise<Database>, chain: ChainSource, birthday = 430): Promise<Record<string, Snapshot>> {
  const db = await open();
  const store = new SqlVaultStore(db);
  for (const v of await addAll(store, birthday)) await syncVault({ chain, store }, v);
  const s = await snapshots(db);
  assert.ok(Object.values(s).every((x) => x.txos.length > 0), 'every vault has coins');
  return s;
}

function envFor(node: RegtestNode, url: string): NodeJS.ProcessEnv {
  return { ...process.env, SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword, SOBERANA_DB: url, SOBERANA_NETWORK: 'regtest' };
}

/** Lowest checkpoint of the vaults (read only): the walk is done when it is the tip. */
async function lowestCheckpoint(url: string): Promise<number> {
  const db = await openDatabase({ url, migrate: false });
  try {
    const store = new SqlVaultStore(db);
    let low = Infinity;
    for (const v of await store.listVaults()) low = Math.min(low, (await store.tipCheckpoint(v.id))?.height ?? -1);
    return low;
  } finally {
    await db.close();
  }
}

/**
 * Run `soberana sync` (all vaults) through an RPC relay that SIGKILLs it right after passing on
 * the node's answer to its `killAfter`-th `getblock`: the process dies in the middle of the walk,
 * wherever its scanning and committing are at that moment. Resolves to the signal it died of.
 */
async function syncAndKill(node: RegtestNode, url: string, killAfter: number): Promise<NodeJS.Signals | null> {
  const target = new URL(node.rpcUrl);
  let child: ChildProcess | undefined;
  let blocks = 0;
  const relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fwd = request(target, { method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
        const back: Buffer[] = [];
        up.on('data', (c: Buffer) => back.push(c));
        up.on('end', () => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          res.end(Buffer.concat(back));
          const isBlock = body.includes('"getblock"') || (req.method === 'GET' && req.url?.startsWith('/rest/block/') === true && up.statusCode === 200);
          if (isBlock && ++blocks === killAfter) child?.kill('SIGKILL');
        });
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  try {
    const addr = relay.address();
    // SOBERANA_BUILD_CHECKED: runCli's import compiled dist/ once; a CLI killed while compiling would leave the build lock behind.
    const env = { ...process.env, SOBERANA_BUILD_CHECKED: '1', SOBERANA_RPC_URL: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword, SOBERANA_DB: url, SOBERANA_NETWORK: 'regtest' };
    return await new Promise((resolve) => {
      child = spawn(process.execPath, [BIN, 'sync', '--json'], { env, stdio: 'ignore' });
      child.on('exit', (_code, signal) => resolve(signal));
    });
  } finally {
    relay.closeAllConnections();
    relay.close();
  }
}

forEachEngine('one sync walk for all vaults', (t) => {
  test('vaults at three different heights caught up in one walk equal three separate syncs; each block read once', async () => {
    const node = regtest.node();
    const chain = node.chainSource();
    const db = await t.open();
    const store = new SqlVaultStore(db);
    const [a, b, c] = await addAll(store);
    if (!a || !b || !c) throw new Error('vaults');
    // A synced to the end of phase 1, B to the end of phase 2, C never: the walk starts at C's birthday.
    await syncVault({ chain: asOf(chain, marks[0] ?? 0), store }, a);
    await syncVault({ chain: asOf(chain, marks[1] ?? 0), store }, b);
    const progress: SyncProgress[] = [];
    const job = await syncVaults({ chain, store, onProgress: (p) => progress.push(p) }, [a, b, c]);
    assert.equal(job.fromHeight, 430);
    // One progress line for the whole job: every block once, the vaults joining as the walk reaches them.
    assert.deepEqual(progress.map((p) => p.blocksDone), Array.from({ length: job.blocksWalked }, (_, i) => i + 1));
    assert.ok(progress.every((p) => p.blocksTotal === job.blocksWalked && p.vaults === 3));
    assert.deepEqual([...new Set(progress.map((p) => p.vaultsJoined))], [1, 2, 3]);
    assert.equal(progress.find((p) => p.vaultsJoined === 2)?.height, (marks[0] ?? 0) + 1);
    assert.equal(job.blocksWalked, node.height() - 430 + 1, 'each height once');
    const byName = Object.fromEntries(job.vaults.map((s) => [s.vault, s]));
    assert.equal(byName[a.name]?.fromHeight, (marks[0] ?? 0) + 1, 'A joins after its checkpoint');
    assert.equal(byName[b.name]?.fromHeight, (marks[1] ?? 0) + 1, 'B joins after its checkpoint');
    assert.equal(byName[c.name]?.blocksProcessed, job.blocksWalked);
    assert.ok(job.blocksDownloaded < byName[a.name]!.blocksDownloaded + byName[b.name]!.blocksDownloaded + byName[c.name]!.blocksDownloaded, 'blocks shared by vaults were downloaded once');
    assert.deepEqual(await snapshots(db), await separately(() => t.open(), chain));
  });

  test('after a reorg that removes payments to two vaults (vaults at different heights), one walk equals separate syncs', async () => {
    const node = regtest.node();
    const chain = node.chainSource();
    const db = await t.open();
    const store = new SqlVaultStore(db);
    const vaults = await addAll(store);
    await syncVaults({ chain, store }, vaults.slice(0, 1));
    const forkBase = node.height();
    // The doomed block pays A and B; C is synced only below it, A and B through it.
    await node.fund(addressOf(0, 0, 1), 1_111_000n);
    await node.fund(addressOf(1, 1, 1), 2_222_000n);
    const [doomed] = await node.mine(1);
    await node.mine(1);
    await syncVaults({ chain, store }, vaults.slice(0, 2));
    await syncVault({ chain: asOf(chain, forkBase - 3), store }, vaults[2] as Vault);
    await node.invalidateBlock(doomed ?? '', { resubmit: false });
    await node.fund(addressOf(2, 0, 2), 3_333_000n);
    await node.mine(3);
    const job = await syncVaults({ chain, store }, vaults);
    const byName = Object.fromEntries(job.vaults.map((s) => [s.vault, s]));
    assert.equal(byName[NAMES[0] ?? '']?.reorg?.forkHeight, forkBase);
    assert.equal(byName[NAMES[1] ?? '']?.reorg?.forkHeight, forkBase);
    assert.equal(byName[NAMES[2] ?? '']?.reorg, null, 'C never saw the doomed block');
    const expected = await separately(() => t.open(), chain);
    const actual = await snapshots(db);
    for (const name of NAMES) {
      const { derived: got, ...rest } = actual[name] as Snapshot;
      const { derived: want, ...wantRest } = expected[name] as Snapshot;
      assert.deepEqual(rest, wantRest, name);
      // Addresses derived for a block that was reorged out stay derived (a longer lookahead, unused).
      assert.ok(want.every((a) => got.includes(a)), `${name}: every address of the reference is derived`);
    }
    assert.ok(!expected[NAMES[0] ?? '']?.history.some((h) => h.includes(' +1111000 ')), 'the reorged payment is gone');
  });

  test('soberana sync killed with SIGKILL mid-walk, again and again, then run to the end, equals separate syncs', { timeout: 600_000 }, async () => {
    const node = regtest.node();
    const url = await t.url();
    const db = await openDatabase({ url });
    const store = new SqlVaultStore(db);
    // Birthday 400: B and C walk 30 empty blocks before the history (block 432 on), not the 430
    // blocks from genesis, which every killed process and reference sync would walk again for nothing.
    const vaults = await addAll(store, KILL_BIRTHDAY);
    // A starts ahead of the others (synced to the end of phase 1): B and C walk from their birthday.
    await syncVault({ chain: asOf(node.chainSource(), marks[0] ?? 0), store }, vaults[0] as Vault);
    await db.close();
    // Killed while the walk is among the vaults' blocks (pipelined: a few blocks read ahead of the scan).
    for (const height of [436, 445]) {
      const before = await lowestCheckpoint(url);
      const killAfter = height - Math.max(before, KILL_BIRTHDAY - 1); // the walk starts after the lowest checkpoint, or at the birthday
      assert.ok(killAfter > 0 && height < node.height());
      assert.equal(await syncAndKill(node, url, killAfter), 'SIGKILL', `killed at block ${height}`);
      const after = await lowestCheckpoint(url);
      assert.ok(after < node.height(), `the kill at block ${height} left the walk unfinished (lowest vault at ${after})`);
      assert.ok(after >= before, 'a vault never goes back without a reorg');
    }
    const again = await cli(['sync', '--json'], { env: envFor(node, url), timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    const out = JSON.parse(again.stdout) as { vaults: Array<{ tipHeight: number; reorg: unknown }> };
    assert.ok(out.vaults.every((v) => v.tipHeight === node.height() && v.reorg === null));
    const reopened = await openDatabase({ url });
    try {
      assert.deepEqual(await snapshots(reopened), await separately(() => t.open(), node.chainSource(), KILL_BIRTHDAY));
    } finally {
      await reopened.close();
    }
  });
});

test('pipelined reading (batched RPC, blocks read ahead) gives what sequential reading gives, over RPC and in-process', async () => {
  const node = regtest.node();
  const results: Array<Record<string, Snapshot>> = [];
  let n = 0;
  for (const [chain, lookahead] of [[node.rpcChainSource(), 0], [node.rpcChainSource(), 6], [node.chainSource(), 0], [node.chainSource(), 3]] as const) {
    const db = await openDatabase({ url: join(scratchDir, `pipe-${++n}.db`) });
    try {
      const store = new SqlVaultStore(db);
      const job = await syncVaults({ chain, store, lookahead }, await addAll(store));
      assert.equal(job.tipHeight, node.height());
      results.push(await snapshots(db));
    } finally {
      await db.close();
      await chain.close();
    }
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
});
