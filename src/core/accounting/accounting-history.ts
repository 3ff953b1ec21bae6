/**
 * The books' input from what the vault store keeps: per vault, `transactions(vaultId)` and
 * `allTxos(vaultId)`. Pure: an app reads the store and hands both here.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import type { Txo, VaultTransaction } from '../vault/types.ts';
import type { AccountingTx } from './ledger.ts';

export interface VaultBooksInput {
  readonly vaultId: string;
  readonly transactions: readonly VaultTransaction[];
  readonly txos: readonly Txo[];
}

/** UTC date (YYYY-MM-DD) of a block time in seconds. */
export function blockDate(blockTime: number): string {
  if (!Number.isSafeInteger(blockTime) || blockTime < 0) throw new RangeError(`blockDate: "blockTime" expected seconds, got ${blockTime}`);
  return new Date(blockTime * 1000).toISOString().slice(0, 10);
}

/**
 * The confirmed history of an alliance as `AccountingTx` records (one per vault a transaction
 * touches). Unconfirmed transactions are left out, and so is a spend that is not yet confirmed (the
 * output stays in its lot). The fee is the store's when every input was that vault's; for a spend
 * from several vaults it is computed from the raw transaction when every input is an output of the
 * alliance; otherwise it is unknown (null).
 * @example accountingHistory([{ vaultId: 'reserve', transactions: await store.transactions('reserve'), txos: await store.allTxos('reserve') }])
 */
export function accountingHistory(vaults: readonly VaultBooksInput[]): AccountingTx[] {
  const alliance = new Map<string, bigint>();
  for (const v of vaults) for (const o of v.txos) alliance.set(`${o.txid}:${o.vout}`, o.value);
  const feeCache = new Map<string, bigint | null>();
  const allianceFee = (t: VaultTransaction): bigint | null => {
    if (t.fee !== null) return t.fee;
    if (feeCache.has(t.txid)) return feeCache.get(t.txid) ?? null;
    let fee: bigint | null = null;
    if (t.rawHex) {
      const tx = Transaction.fromHex(t.rawHex);
      let inputs = 0n;
      let all = tx.ins.length > 0;
      for (const i of tx.ins) {
        const value = alliance.get(`${hex.encode(Uint8Array.from(i.hash).reverse())}:${i.index}`);
        if (value === undefined) { all = false; break; }
        inputs += value;
      }
      if (all) fee = inputs - tx.outs.reduce((a, o) => a + BigInt(o.value), 0n);
    }
    feeCache.set(t.txid, fee);
    return fee;
  };
  const out: AccountingTx[] = [];
  for (const v of vaults) {
    for (const t of v.transactions) {
      if (t.height === null || t.blockTime === null) continue;
      const outputs = v.txos.filter((o) => o.txid === t.txid).map((o) => ({ vout: o.vout, sats: o.value }));
      const inputs = v.txos.filter((o) => o.spentTxid === t.txid).map((o) => ({ txid: o.txid, vout: o.vout, sats: o.value }));
      if (outputs.length === 0 && inputs.length === 0) continue;
      out.push({ vaultId: v.vaultId, txid: t.txid, height: t.height, txIndex: t.txIndex ?? 0, date: blockDate(t.blockTime), category: t.category, outputs, inputs, fee: inputs.length > 0 ? allianceFee(t) : null });
    }
  }
  return out;
}
