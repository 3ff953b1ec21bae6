// Crash safety of the sync (each block's effects and its checkpoint commit in one transaction):
// `soberana sync` is killed with SIGKILL at random points, at least 10 times mid-sync, on SQLite
// and PostgreSQL; the final UTXO set equals that of a clean, uninterrupted sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { deriveAddresses } from '../../src/core/bitcoin/descriptor.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';

const regtest = useRegtestNode();
// `vault add` and the final sync are about what the commands do, not the process: run in one
// worker that loads the CLI once (the killed syncs are real processes, below)
const cli = cliInProcess();
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'soberana.js');
const descriptor = multisigDescriptor(2, [cosigner(71), cosigner(72), cosigner(73)]);


/** Add `blocks` blocks, paying the vault on both branches in most of them. */
async function grow(node: RegtestNode, blocks: number, rand: () => number): Promise<void> {
  const recv = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 15 });
  const change = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 15, change: true });
  for (let i = 0; i < blocks; i++) {
    if (rand() < 0.7) {
      const pick = rand() < 0.7 ? recv : change;
      const a = pick[Math.floor(rand() * pick.length)];
      if (a) await node.fund(a.address, BigInt(10_000 + Math.floor(rand() * 5_000_000)), { confirm: false });
    }
    await node.mine(1);
  }
}

function envFor(node: RegtestNode, db: string): NodeJS.ProcessEnv {
  return { SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword, SOBERANA_DB: db, SOBERANA_NETWORK: 'regtest' };
}

/**
 * Start `soberana sync` and SIGKILL it as soon as the database shows it has committed up to
 * `killAt` (polled every few ms, so the kill lands at a random point of the work after that
 * commit). Resolves to whether the process was still running when killed.
 */
function syncAndKillAt(env: NodeJS.ProcessEnv, watch: Watch, killAt: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sync', '--json'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    const poll = async (): Promise<void> => {
      try {
        for (;;) {
          if (exited) return resolve(false);
          if ((await watch.height()) >= killAt) {
            child.kill('SIGKILL');
            child.on('close', () => resolve(true));
            return;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      } catch (e) {
        child.kill('SIGKILL');
        reject(e as Error);
      }
    };
    void poll();
  });
}

async function utxoSet(url: string): Promise<string[]> {
  const db = await openDatabase({ url });
  try {
    const store = new SqlVaultStore(db);
    const [v] = await store.listVaults();
    if (!v) return [];
    const u = await store.unspentTxos(v.id);
    return u.filter((x) => x.spentTxid === null).map((x) => `${x.txid}:${x.vout}:${x.value}:${x.height}`).sort();
  } finally {
    await db.close();
  }
}

/** The vault's committed height, read through one connection opened for the whole test (opened
 * without migrating: it only reads), not one per poll — on PostgreSQL each new connection is a
 * new server process, which took CPU from the sync being watched. The vault is looked up once:
 * each poll is then one query (the tip checkpoint), not three. */
interface Watch {
  height(): Promise<number>;
  close(): Promise<void>;
}

async function watchVault(url: string): Promise<Watch> {
  const db = await openDatabase({ url, migrate: false });
  const store = new SqlVaultStore(db);
  const [v] = await store.listVaults();
  if (!v) {
    await db.close();
    throw new Error('sync crash: the vault is not in the database');
  }
  return { height: async () => (await store.tipCheckpoint(v.id))?.height ?? -1, close: () => db.close() };
}

forEachEngine('sync crash safety', (t) => {
  test('SIGKILL at random points during sync, at least 10 times, leaves a state the next sync completes exactly', { timeout: 600_000 }, async () => {
    const node = regtest.node();
    const rand = seededRandom(t.engine === 'sqlite' ? 1 : 2);
    if (node.height() < 120) await grow(node, 120 - node.height(), rand);
    const url = await t.url();
    const add = await cli(['vault', 'add', '--name', 'crash', '--descriptor', descriptor, '--gap', '20'], { env: envFor(node, url) });
    assert.equal(add.code, 0, add.stderr);
    let midSync = 0;
    const watch = await watchVault(url);
    try {
      for (let round = 0; midSync < 10 && round < 40; round++) {
        const before = await watch.height();
        if (node.height() - before < 3) await grow(node, 30, rand);
        const tip = node.height();
        const killAt = before + 1 + Math.floor(rand() * (tip - before - 1));
        const killed = await syncAndKillAt(envFor(node, url), watch, killAt);
        const after = await watch.height();
        if (killed && after < tip) midSync++;
      }
    } finally {
      await watch.close();
    }
    assert.ok(midSync >= 10, `only ${midSync} kills landed mid-sync`);
    const final = await cli(['sync', '--json'], { env: envFor(node, url), timeoutMs: 300_000 });
    assert.equal(final.code, 0, final.stderr);

    // A clean, uninterrupted sync of the same vault into a fresh database.
    const cleanUrl = await t.url();
    const clean = await openDatabase({ url: cleanUrl });
    try {
      const store = new SqlVaultStore(clean);
      const v = await addVault({ store }, { name: 'crash', network: 'regtest', descriptor, gapLimit: 20, now: '2026-01-01T00:00:00Z' });
      await syncVault({ chain: node.chainSource(), store }, v);
    } finally {
      await clean.close();
    }
    const expected = await utxoSet(cleanUrl);
    assert.ok(expected.length > 20, 'the history is not trivial');
    assert.deepEqual(await utxoSet(url), expected);
  });
});
