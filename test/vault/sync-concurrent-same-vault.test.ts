// Two syncs of the same vault at once — a second `soberana sync` while `soberana serve` follows
// the chain — both finish, and the store holds exactly what one sync gives: every write of a
// block commits whole or not at all, the loser of a race on the same block gets the typed
// concurrent-sync conflict (not "UNIQUE constraint failed"), reloads from the store and goes on.
// Two separate database handles on one database, as two processes have; SQLite and PostgreSQL;
// the embedded regtest node.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveAddresses } from '../../src/core/bitcoin/descriptor.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, wpkhDescriptor } from '../helpers/vault-keys.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { isConcurrentSync, type VaultStore } from '../../src/core/vault/vault-store.ts';
import { DomainError } from '../../src/core/errors.ts';

const regtest = useRegtestNode();
const descriptor = wpkhDescriptor(cosigner(231, "m/84'/1'/0'"));
let paid = 0n;

before(async () => {
  const node = await regtest.ready();
  await node.mine(101);
  const addrs = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 12 });
  // A payment in most of 40 blocks: many block writes for two walkers to race on.
  for (let i = 0; i < 40; i++) {
    if (i % 4 !== 3) {
      const sats = 10_000n + BigInt(i);
      await node.fund(addrs[i % addrs.length]?.address ?? '', sats);
      paid += sats;
    }
    await node.mine(1);
  }
});

/** Counts the conflicts a store raises, passing everything through. */
function counting(store: VaultStore, seen: { conflicts: number }): VaultStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (e) {
          if (isConcurrentSync(e)) seen.conflicts++;
          throw e;
        }
      };
    },
  });
}

forEachEngine('two syncs of one vault at once', (ctx) => {
  test('both finish and the store holds what one sync gives; a lost race is a typed conflict, retried', async (t) => {
    const node = regtest.node();
    const url = await ctx.url();
    const dbA = await openDatabase({ url });
    const dbB = await openDatabase({ url });
    try {
      const v = await addVault({ store: new SqlVaultStore(dbA) }, { name: 'Raced vault', network: 'regtest', descriptor, birthday: { height: 100 }, now: '2026-01-01T00:00:00Z' });
      const seen = { conflicts: 0 };
      const a = counting(new SqlVaultStore(dbA), seen);
      const b = counting(new SqlVaultStore(dbB), seen);
      const vault = (await a.findVault(v.id)) ?? v;
      const [ja, jb] = await Promise.all([
        syncVaults({ chain: node.chainSource(), store: a, lookahead: 1 }, [vault]),
        syncVaults({ chain: node.chainSource(), store: b, lookahead: 1 }, [vault]),
      ]);
      assert.equal(ja.tipHeight, node.height());
      assert.equal(jb.tipHeight, node.height());
      const store = new SqlVaultStore(dbA);
      assert.equal((await store.balance(v.id)).confirmed, paid, 'every payment counted once');
      assert.equal((await store.transactions(v.id)).length, 30, 'thirty transactions, none doubled');
      // What the race left is what a fresh single sync gives.
      const dbC = await ctx.open();
      const single = new SqlVaultStore(dbC);
      const v2 = await addVault({ store: single }, { name: 'Raced vault', network: 'regtest', descriptor, birthday: { height: 100 }, now: '2026-01-01T00:00:00Z' });
      await syncVaults({ chain: node.chainSource(), store: single }, [v2]);
      const strip = (txs: Awaited<ReturnType<VaultStore['transactions']>>) => txs.map((t) => ({ ...t, vaultId: '' }));
      assert.deepEqual(strip(await store.transactions(v.id)), strip(await single.transactions(v2.id)));
      assert.deepEqual(await store.balance(v.id), await single.balance(v2.id));
      t.diagnostic(`${ctx.engine}: ${seen.conflicts} conflict(s) seen and retried`);
    } finally {
      await dbA.close();
      await dbB.close();
    }
  });
});

test('the conflict is a typed, retryable domain error, not a database message', () => {
  const e = new DomainError('INVALID_STATE', 'x', { reason: 'concurrent-sync' });
  assert.ok(isConcurrentSync(e));
  assert.ok(!isConcurrentSync(new DomainError('INVALID_STATE', 'x')));
  assert.ok(!isConcurrentSync(new Error('UNIQUE constraint failed')));
});
