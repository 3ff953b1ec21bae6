/**
 * A hand-built confirmed history written into a REAL vault store (SQLite or PostgreSQL) the way
 * sync leaves it (applyBlock, rollbackTo), for the statement, PDF and stored-ledger tests: receipts
 * into a vault, payments out with a fee and change, and a reorg (roll back, apply other blocks).
 * Not a test file itself.
 */
import { createHash } from 'node:crypto';
import { addVault } from '../../src/app/add-vault.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import type { AccountingDeps } from '../../src/app/accounting/purchases.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import type { TxCategory, Txo, VaultTransaction } from '../../src/core/vault/types.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';

export const txidOf = (label: string): string => createHash('sha256').update(label).digest('hex');
const noon = (day: string): number => Date.parse(`${day}T12:00:00Z`) / 1000;

export interface Fixture {
  readonly deps: AccountingDeps;
  readonly vaults: SqlVaultStore;
  /** A block at `height` on `day` where `vault` receives `sats` (one output, vout 0) in a transaction labelled `label`. */
  receive(vault: string, height: number, day: string, sats: bigint, label: string, category?: TxCategory | null): Promise<string>;
  /** A block where `vault` spends the given outputs: `paid` leaves, `fee` is the fee, the rest comes back as change (vout 1). */
  pay(vault: string, height: number, day: string, inputs: readonly { txid: string; vout: number; sats: bigint }[], paid: bigint, fee: bigint, label: string): Promise<string>;
  /** Roll `vault` back to `height` (what sync does on a reorg). */
  rollback(vault: string, height: number): Promise<void>;
}

export async function fixture(db: Database, names: readonly string[]): Promise<Fixture> {
  const vaults = new SqlVaultStore(db);
  let seed = 90;
  for (const name of names) {
    await addVault({ store: vaults }, { name, network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(seed++), cosigner(seed++), cosigner(seed++)]), birthday: { height: 0 }, gapLimit: 3, now: '2026-01-01T00:00:00Z' });
  }
  let clock = 1_767_225_600_000;
  const deps: AccountingDeps = { accounting: new SqlAccountingStore(db), vaults, now: () => (clock += 1000) };
  const idOf = async (vault: string): Promise<string> => {
    const v = await vaults.findVault(vault);
    if (!v) throw new TypeError(`fixture: no vault ${vault}`);
    return v.id;
  };
  const txo = (txid: string, vout: number, value: bigint, height: number): Txo => ({ txid, vout, value, script: '0014' + '11'.repeat(20), branch: 0, index: 0, height, spentTxid: null, spentHeight: null, frozen: false });
  const vtx = (txid: string, height: number, day: string, received: bigint, spent: bigint, fee: bigint | null, category: TxCategory | null): VaultTransaction => ({
    txid, height, blockHash: txidOf(`block ${height} ${txid}`), blockTime: noon(day), txIndex: 1, received, spent, fee, category, rawHex: '00',
  });
  return {
    deps, vaults,
    async receive(vault, height, day, sats, label, category = 'purchase') {
      const id = await idOf(vault);
      const txid = txidOf(label);
      await vaults.applyBlock(id, { height, hash: txidOf(`block ${height} ${label}`), time: noon(day), newTxos: [txo(txid, 0, sats, height)], spends: [], transactions: [vtx(txid, height, day, sats, 0n, null, category)], usedAddresses: [], newAddresses: [] });
      return txid;
    },
    async pay(vault, height, day, inputs, paid, fee, label) {
      const id = await idOf(vault);
      const txid = txidOf(label);
      const spent = inputs.reduce((a, i) => a + i.sats, 0n);
      const change = spent - paid - fee;
      await vaults.applyBlock(id, {
        height, hash: txidOf(`block ${height} ${label}`), time: noon(day), newTxos: change > 0n ? [txo(txid, 1, change, height)] : [],
        spends: inputs.map((i) => ({ txid: i.txid, vout: i.vout, spentTxid: txid })), transactions: [vtx(txid, height, day, change, spent, fee, 'payment')], usedAddresses: [], newAddresses: [],
      });
      return txid;
    },
    async rollback(vault, height) {
      await vaults.rollbackTo(await idOf(vault), height);
    },
  };
}
