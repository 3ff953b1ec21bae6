/**
 * Import purchase records from a CSV file and record each vault's cost-basis method — both audited
 * (who, when) in the same transaction as the change.
 */
import { DomainError } from '../../core/errors.ts';
import { FROM_THE_START, type AccountingStore, type CostMethodRecord } from '../../core/accounting/ports.ts';
import { parsePurchaseCsv } from '../../core/accounting/purchase-csv.ts';
import { COST_BASIS_METHODS, type CostBasisMethod, type PurchaseRecord } from '../../core/accounting/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';

export interface AccountingDeps {
  readonly accounting: AccountingStore;
  readonly vaults: VaultStore;
  readonly now: () => number;
}

export interface Actor {
  readonly actor: string;
  readonly role: string;
}

/**
 * Parse `text` and store its records (all or nothing; a record already stored is left alone).
 * A `vault` column, or `opts.vault` for every row without one, names a vault by name or id.
 * @throws MALFORMED_DATA naming the row; VAULT_NOT_FOUND naming the row and the vault
 * @example await importPurchases(deps, { actor: 'rosa', role: 'admin' }, csvText, { origin: 'purchases.csv', minorDigits: () => 2 })
 */
export async function importPurchases(
  deps: AccountingDeps,
  by: Actor,
  text: string,
  opts: { readonly origin: string; readonly minorDigits: (currency: string) => number; readonly vault?: string | undefined },
): Promise<{ readonly added: number; readonly already: number; readonly records: readonly PurchaseRecord[] }> {
  const parsed = parsePurchaseCsv(text, { origin: opts.origin, minorDigits: opts.minorDigits });
  const resolved = new Map<string, string>();
  const vaultId = async (name: string, where: string): Promise<string> => {
    let id = resolved.get(name);
    if (id === undefined) {
      const v = await deps.vaults.findVault(name);
      if (!v) throw new DomainError('VAULT_NOT_FOUND', `${where}: no vault "${name}" (see "soberana vault list")`);
      id = v.id;
      resolved.set(name, id);
    }
    return id;
  };
  const records: PurchaseRecord[] = [];
  for (const p of parsed) {
    const name = p.vault ?? opts.vault ?? null;
    const id = name === null ? null : await vaultId(name, p.vault === null ? `--vault` : `${opts.origin} row ${p.row}`);
    records.push({ id: p.id, date: p.date, sats: p.sats, paid: p.paid, counterparty: p.counterparty, sourceUrl: p.sourceUrl, vaultId: id });
  }
  if (records.length === 0) throw new DomainError('MALFORMED_DATA', `${opts.origin} has a header but no purchases`);
  const r = await deps.accounting.importPurchases(records, { actor: by.actor, role: by.role, atMs: deps.now(), source: opts.origin });
  return { ...r, records };
}

/** Parse a method name (one plain line when it is none of them). */
export function parseCostMethod(text: string): CostBasisMethod {
  const m = text.trim().toLowerCase();
  if (!(COST_BASIS_METHODS as readonly string[]).includes(m)) throw new DomainError('INVALID_ARGUMENT', `unknown cost-basis method "${text}": use ${COST_BASIS_METHODS.join(', ')}`);
  return m as CostBasisMethod;
}

/**
 * Record a vault's cost-basis method, with an audit entry naming who set it, when, the day it
 * applies from and the method it replaces. Without `effectiveFrom` it applies from the start (the
 * whole history is kept by it); with a day, from that day on, the earlier days keeping the methods
 * recorded for them.
 * @throws VAULT_NOT_FOUND; INVALID_ARGUMENT for a day that is not YYYY-MM-DD
 */
export async function setCostMethod(deps: AccountingDeps, by: Actor, vault: string, method: CostBasisMethod, effectiveFrom?: string): Promise<CostMethodRecord & { readonly previous: CostBasisMethod | null; readonly effectiveFrom: string | null }> {
  if (effectiveFrom !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(effectiveFrom) || Number.isNaN(Date.parse(`${effectiveFrom}T00:00:00Z`)))) {
    throw new DomainError('INVALID_ARGUMENT', `--from must be a day YYYY-MM-DD, got "${effectiveFrom}"`);
  }
  const v = await deps.vaults.findVault(vault);
  if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault "${vault}" (see "soberana vault list")`);
  const previous = (await deps.accounting.costMethods()).find((m) => m.vaultId === v.id)?.method ?? null;
  const atMs = deps.now();
  const record: CostMethodRecord = { vaultId: v.id, method, setBy: by.actor, setAtMs: atMs };
  await deps.accounting.setCostMethod(record, { actor: by.actor, role: by.role, action: 'accounting.method', object: `vault:${v.id}`, details: { method, previous, effectiveFrom: effectiveFrom ?? 'start' }, atMs }, effectiveFrom ?? FROM_THE_START);
  return { ...record, previous, effectiveFrom: effectiveFrom ?? null };
}
