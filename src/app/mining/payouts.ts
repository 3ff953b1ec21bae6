/**
 * A venture's payouts as sync stored them: the venture vault's transactions, recognised and
 * attributed by core/mining/payouts.ts. Reads only (run `soberana sync` first).
 */
import { recognisePayouts, type Payout } from '../../core/mining/payouts.ts';
import { assertPeriod, type MiningStore, type Site, type Venture } from '../../core/mining/venture.ts';
import { DomainError } from '../../core/errors.ts';
import type { Vault } from '../../core/vault/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { requireVenture } from './ventures.ts';

export interface PayoutsView {
  readonly venture: Venture;
  readonly vault: Vault;
  readonly sites: Site[];
  /** Oldest first; only `period`'s when one was asked for. */
  readonly payouts: Payout[];
  /** The vault's synced tip height (coinbase maturity is counted from it), or null before the first sync. */
  readonly tipHeight: number | null;
}

/**
 * The venture's payouts (of one period when given).
 * @throws NOT_FOUND, INVALID_ARGUMENT (period), MALFORMED_DATA (the venture's vault is gone)
 * @example (await listPayouts(deps, 'geo', '2026-11')).payouts.map((p) => [p.txid, p.sats, p.siteId])
 */
export async function listPayouts(deps: { mining: MiningStore; vaults: VaultStore }, ventureRef: string, period?: string | undefined): Promise<PayoutsView> {
  if (period !== undefined) assertPeriod(period);
  const venture = await requireVenture(deps.mining, ventureRef);
  const vault = await deps.vaults.findVault(venture.vaultId);
  if (!vault) throw new DomainError('MALFORMED_DATA', `venture ${venture.id} names vault ${venture.vaultId}, which no longer exists`);
  const sites = await deps.mining.sites(venture.id);
  const txLabels = new Map<string, string[]>();
  const addressLabels = new Map<string, string[]>();
  for (const l of await deps.vaults.labels()) {
    const into = l.type === 'tx' ? txLabels : l.type === 'addr' ? addressLabels : null;
    if (into) into.set(l.ref, [...(into.get(l.ref) ?? []), l.label]);
  }
  const all = recognisePayouts({ network: vault.network, transactions: await deps.vaults.transactions(vault.id), txos: await deps.vaults.allTxos(vault.id), sites, txLabels, addressLabels });
  const tip = await deps.vaults.tipCheckpoint(vault.id);
  return { venture, vault, sites, payouts: period === undefined ? all : all.filter((p) => p.period === period), tipHeight: tip?.height ?? null };
}
