/**
 * Bring one vault up to the chain tip: the sync job (`sync-vaults.ts`) with a single vault —
 * reorg check, then block by block from the last checkpoint (or the birthday), each block's effects
 * and its checkpoint committed in one transaction, then the mempool. Safe to kill at any moment;
 * the next call continues.
 *
 * @example
 *   const s = await syncVault({ chain, store }, vault);
 *   console.log(`${s.vault}: synced to ${s.tipHeight}, ${s.transactionsFound} transactions found`);
 */
import type { Vault } from '../core/vault/types.ts';
import { syncVaults, type SyncDeps, type SyncSummary } from './sync-vaults.ts';

export type { SyncDeps, SyncProgress, SyncSummary } from './sync-vaults.ts';

export async function syncVault(deps: SyncDeps, vault: Vault): Promise<SyncSummary> {
  const job = await syncVaults(deps, [vault]);
  const s = job.vaults[0];
  if (!s) throw new TypeError('syncVault: the job returned no summary');
  return s;
}
