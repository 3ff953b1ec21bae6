/**
 * The stored ledger (issue #13, item 1: "reorgs reverse entries, never edit them"). The books are
 * computed from the confirmed history the sync keeps; `refreshLedger` appends to the stored ledger
 * (migration 0012, append-only) the entries that make it describe that history now: new
 * transactions are posted, and a posting whose transaction a reorg removed (or moved, or relabelled)
 * gets a reversing entry — the old entry stays, so an auditor sees both in `report movements`.
 * One write transaction: the stored entries are read, reconciled and appended together.
 */
import { reconcileLedger } from '../../core/accounting/ledger.ts';
import type { StoredLedgerEntry } from '../../core/accounting/ports.ts';
import { accountingHistory } from './history.ts';
import type { AccountingDeps, Actor } from './purchases.ts';

export interface LedgerRefresh {
  /** Entries appended by this refresh (postings and reversals). */
  readonly appended: readonly StoredLedgerEntry[];
  readonly reversals: number;
  /** Entries stored after it. */
  readonly total: number;
  /** The tip the change was seen at (reversals are dated there). */
  readonly observedAt: { readonly height: number; readonly date: string };
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Bring the stored ledger up to date with the confirmed history (idempotent: nothing is appended
 * when it already describes it). Reversals are dated at the highest synced height and today (UTC).
 * @example const r = await refreshLedger(deps, { actor: 'cli', role: 'admin' }); r.reversals // 0
 */
export async function refreshLedger(deps: AccountingDeps, by: Actor): Promise<LedgerRefresh> {
  const vaults = await deps.vaults.listVaults();
  const history = await accountingHistory(deps.vaults, vaults);
  let height = history.reduce((a, t) => Math.max(a, t.height), 0);
  for (const v of vaults) height = Math.max(height, (await deps.vaults.tipCheckpoint(v.id))?.height ?? 0);
  const atMs = deps.now();
  const observedAt = { height, date: utcDay(atMs) };
  const r = await deps.accounting.appendLedger((stored) => reconcileLedger(stored, history, observedAt), { actor: by.actor, role: by.role, atMs });
  return { appended: r.appended, reversals: r.appended.filter((e) => e.reverses !== null).length, total: r.total, observedAt };
}
