/**
 * The books' input, built from the vault store: every CONFIRMED transaction of every vault, as the
 * neutral `AccountingTx` of src/core/accounting/ledger.ts.
 *
 * Each report recomputes the entries, lots and disposals from the confirmed history the sync keeps
 * (vault_transactions, vault_txos). The sync rolls a reorged block's transactions back, so a report
 * made after a reorg is the books of the chain as it now is. The ledger is also stored, append-only
 * (ledger-book.ts, `refreshLedger`): there a reorg appends reversing entries, so an auditor sees
 * what changed (see docs/accounting.md).
 */
import { Transaction } from 'bitcoinjs-lib';
import type { AccountingTx } from '../../core/accounting/ledger.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { Vault } from '../../core/vault/types.ts';

const utcDay = (sec: number): string => new Date(sec * 1000).toISOString().slice(0, 10);

/**
 * Every confirmed transaction of `vaults`, per vault. A spend whose inputs come from several of the
 * vaults gets its fee from the raw transaction (every input the alliance's: inputs − outputs), the
 * same on every vault's record; otherwise the fee the store knows (every input the vault's) or null.
 */
export async function accountingHistory(store: VaultStore, vaults: readonly Vault[]): Promise<AccountingTx[]> {
  const owned = new Map<string, bigint>(); // `${txid}:${vout}` → value, every output of the alliance
  const perVault: Array<{ vault: Vault; txs: Awaited<ReturnType<VaultStore['transactions']>>; txos: Awaited<ReturnType<VaultStore['allTxos']>> }> = [];
  for (const vault of vaults) {
    const txos = await store.allTxos(vault.id);
    for (const o of txos) owned.set(`${o.txid}:${o.vout}`, o.value);
    perVault.push({ vault, txs: await store.transactions(vault.id), txos });
  }
  const fees = new Map<string, bigint | null>();
  const feeOf = (txid: string, rawHex: string, known: bigint | null): bigint | null => {
    if (fees.has(txid)) return fees.get(txid) ?? null;
    let fee: bigint | null = known;
    if (fee === null) {
      try {
        const tx = Transaction.fromHex(rawHex);
        let inSum = 0n;
        let all = tx.ins.length > 0;
        for (const i of tx.ins) {
          const v = owned.get(`${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`);
          if (v === undefined) { all = false; break; }
          inSum += v;
        }
        if (all) fee = inSum - tx.outs.reduce((a, o) => a + BigInt(o.value), 0n);
      } catch {
        fee = null;
      }
    }
    fees.set(txid, fee);
    return fee;
  };
  const out: AccountingTx[] = [];
  for (const { vault, txs, txos } of perVault) {
    for (const t of txs) {
      if (t.height === null || t.blockTime === null) continue; // unconfirmed: not in the books
      const outputs = txos.filter((o) => o.txid === t.txid).map((o) => ({ vout: o.vout, sats: o.value })).sort((a, b) => a.vout - b.vout);
      const inputs = txos.filter((o) => o.spentTxid === t.txid).map((o) => ({ txid: o.txid, vout: o.vout, sats: o.value }));
      if (outputs.length === 0 && inputs.length === 0) continue;
      out.push({
        vaultId: vault.id, txid: t.txid, height: t.height, txIndex: t.txIndex ?? 0, date: utcDay(t.blockTime), category: t.category,
        outputs, inputs, fee: inputs.length === 0 ? null : feeOf(t.txid, t.rawHex, t.fee),
      });
    }
  }
  return out.sort((a, b) => a.height - b.height || a.txIndex - b.txIndex || a.vaultId.localeCompare(b.vaultId));
}

/** Each vault's balance at the end of each day it changed (for valuation over time). */
export function balancesByDay(history: readonly AccountingTx[], vaultIds: readonly string[]): { vaultId: string; balances: { date: string; sats: bigint }[] }[] {
  return vaultIds.map((vaultId) => {
    const byDay = new Map<string, bigint>();
    for (const t of history) {
      if (t.vaultId !== vaultId) continue;
      const d = t.outputs.reduce((a, o) => a + o.sats, 0n) - t.inputs.reduce((a, i) => a + i.sats, 0n);
      byDay.set(t.date, (byDay.get(t.date) ?? 0n) + d);
    }
    let running = 0n;
    const balances = [...byDay.keys()].sort().map((date) => ({ date, sats: (running += byDay.get(date) as bigint) }));
    return { vaultId, balances };
  });
}
