// Vault sync against the embedded regtest node (real consensus code), on SQLite and PostgreSQL:
// gap-limit discovery on both branches, spends, balances equal to the node's own UTXO view,
// reorgs of depth 1 to 6 (one removing a receive, one swapping a spend for a conflicting one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, signSpend, wpkhDescriptor } from '../helpers/vault-keys.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';

const regtest = useRegtestNode();
const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

async function rpc<T>(node: RegtestNode, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(node.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${node.rpcUser}:${node.rpcPassword}`).toString('base64')}` },
    body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result: T; error: unknown };
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** The node's own view: sum of the vault's outputs that `gettxout` says are unspent (confirmed). */
async function nodeBalance(node: RegtestNode, store: SqlVaultStore, vault: Vault): Promise<bigint> {
  let sum = 0n;
  for (const t of await store.allTxos(vault.id)) {
    const r = await rpc<{ value: number } | null>(node, 'gettxout', [t.txid, t.vout, false]);
    if (r) sum += t.value;
  }
  return sum;
}

let seed = 40;

forEachEngine('vault sync on regtest', (t) => {
  async function setup(gap = 5) {
    const node = regtest.node();
    if (node.height() < 432) await node.mine(432 - node.height()); // bcoin accepts witness spends from 432
    const db = await t.open();
    const store = new SqlVaultStore(db);
    const signer = cosigner(++seed, "m/84'/1'/0'");
    const vault = await addVault({ store }, { name: `v${seed}`, network: 'regtest', descriptor: wpkhDescriptor(signer), birthday: { height: node.height() }, gapLimit: gap, now: '2026-01-01T00:00:00Z' });
    const addr = async (branch: 0 | 1, index: number) => {
      const a = (await store.addresses(vault.id)).find((x) => x.branch === branch && x.index === index);
      if (a) return a.address;
      throw new Error(`address ${branch}/${index} not derived yet`);
    };
    const sync = () => syncVault({ chain: node.chainSource(), store }, vault);
    return { node, store, signer, vault, addr, sync };
  }

  test('receives on both branches, one beyond the first gap window, then a spend: balance equals the node', async () => {
    const { node, store, signer, vault, addr, sync } = await setup(5);
    await node.fund(await addr(0, 3), 1_000_000n);
    await node.fund(await addr(1, 2), 2_000_000n);
    await node.mine(1);
    let s = await sync();
    assert.equal(s.transactionsFound, 2);
    await node.mine(5);
    s = await sync();
    assert.equal(s.blocksSkippedByFilter, 5, 'BIP-158 filters spare the download of blocks that cannot concern the vault');
    assert.equal(s.blocksDownloaded, 0);
    // index 7 lies beyond the first window (0..4) and is derived only because index 3 was used.
    await node.fund(await addr(0, 7), 3_000_000n, { confirm: true });
    s = await sync();
    assert.equal(s.transactionsFound, 1);
    let bal = await store.balance(vault.id);
    assert.equal(bal.confirmed, 6_000_000n);
    assert.equal(bal.confirmed, await nodeBalance(node, store, vault));

    // Spend two coins: 2.5M to a foreign address, change to change index 3.
    const utxos = (await store.unspentTxos(vault.id)).filter((u) => u.value !== 2_000_000n);
    const raw = signSpend(signer, utxos, [{ address: FOREIGN, value: 2_500_000n }, { address: await addr(1, 3), value: 1_490_000n }]);
    const sent = await node.submitTx(raw);
    assert.ok(sent.accepted, sent.accepted ? '' : sent.reason);
    s = await sync();
    assert.equal(s.mempoolTransactions, 1);
    bal = await store.balance(vault.id);
    assert.equal(bal.confirmed, 6_000_000n);
    assert.equal(bal.unconfirmed, 1_490_000n - 4_000_000n);
    await node.mine(1);
    await sync();
    bal = await store.balance(vault.id);
    assert.equal(bal.confirmed, 3_490_000n);
    assert.equal(bal.unconfirmed, 0n);
    assert.equal(bal.confirmed, await nodeBalance(node, store, vault));
    const spend = (await store.transactions(vault.id)).find((x) => x.spent > 0n);
    assert.equal(spend?.fee, 10_000n);
    assert.equal(spend?.category, 'payment');
  });

  test('reorgs of depth 1 to 6: a receive leaves the chain, then confirms again elsewhere', async () => {
    const { node, store, vault, addr, sync } = await setup(20);
    await node.fund(await addr(0, 0), 500_000n, { confirm: true });
    await sync();
    for (let depth = 1; depth <= 6; depth++) {
      const before = (await store.balance(vault.id)).confirmed;
      const amount = 100_000n * BigInt(depth);
      const txid = await node.fund(await addr(0, depth), amount, { confirm: false });
      const [first] = await node.mine(1);
      if (depth > 1) await node.mine(depth - 1);
      await sync();
      assert.equal((await store.balance(vault.id)).confirmed, before + amount);
      // Disconnect the last `depth` blocks: the receive goes back to the mempool (as in Core).
      await node.invalidateBlock(first ?? '');
      const s = await sync();
      assert.equal(s.reorg?.depth, depth, `reorg of depth ${depth} detected`);
      let bal = await store.balance(vault.id);
      assert.equal(bal.confirmed, before, `depth ${depth}: the receive left the confirmed balance`);
      assert.equal(bal.unconfirmed, amount, `depth ${depth}: and is pending again`);
      assert.equal(bal.confirmed, await nodeBalance(node, store, vault));
      // A longer chain confirms it again at another height: counted once.
      await node.mine(depth + 1);
      await sync();
      bal = await store.balance(vault.id);
      assert.equal(bal.confirmed, before + amount, `depth ${depth}: nothing double-counted`);
      assert.equal(bal.unconfirmed, 0n);
      assert.equal(bal.confirmed, await nodeBalance(node, store, vault));
      const tx = (await store.transactions(vault.id)).filter((x) => x.txid === txid);
      assert.equal(tx.length, 1);
    }
  });

  test('a reorg that removes a receive for good', async () => {
    const { node, store, vault, addr, sync } = await setup(20);
    await node.fund(await addr(0, 0), 700_000n, { confirm: true });
    await sync();
    const txid = await node.fund(await addr(0, 1), 300_000n, { confirm: false });
    const [blk] = await node.mine(1);
    await node.mine(1);
    await sync();
    assert.equal((await store.balance(vault.id)).confirmed, 1_000_000n);
    await node.invalidateBlock(blk ?? '', { resubmit: false });
    await node.mine(3);
    const s = await sync();
    assert.equal(s.reorg?.depth, 2);
    assert.deepEqual(await store.balance(vault.id), { confirmed: 700_000n, unconfirmed: 0n });
    assert.ok(!(await store.transactions(vault.id)).some((x) => x.txid === txid));
    assert.equal((await store.unspentTxos(vault.id)).length, 1);
  });

  test('a reorg that swaps a spend for a conflicting one', async () => {
    const { node, store, signer, vault, addr, sync } = await setup(20);
    await node.fund(await addr(0, 0), 1_000_000n, { confirm: true });
    await sync();
    const [u] = await store.unspentTxos(vault.id);
    assert.ok(u);
    const a = signSpend(signer, [u], [{ address: FOREIGN, value: 990_000n }]);
    assert.ok((await node.submitTx(a)).accepted);
    const [blockA] = await node.mine(1);
    await node.mine(2);
    await sync();
    assert.equal((await store.balance(vault.id)).confirmed, 0n);
    // The winning chain confirms a conflicting spend that pays the vault's own change address.
    await node.invalidateBlock(blockA ?? '', { resubmit: false });
    const b = signSpend(signer, [u], [{ address: await addr(1, 0), value: 995_000n }]);
    const sent = await node.submitTx(b);
    assert.ok(sent.accepted, sent.accepted ? '' : sent.reason);
    await node.mine(4);
    const s = await sync();
    assert.equal(s.reorg?.depth, 3);
    assert.equal((await store.balance(vault.id)).confirmed, 995_000n);
    const txs = await store.transactions(vault.id);
    const ids = txs.map((x) => x.txid);
    assert.ok(!ids.includes(hexTxid(a)), 'the replaced spend is gone from history');
    const swapped = txs.find((x) => x.txid === hexTxid(b));
    assert.equal(swapped?.category, 'internal consolidation');
    assert.equal(swapped?.fee, 5_000n);
    assert.equal((await store.balance(vault.id)).confirmed, await nodeBalance(node, store, vault));
  });
});

function hexTxid(raw: Uint8Array): string {
  return Transaction.fromBuffer(raw).getId();
}
