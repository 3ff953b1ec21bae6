/**
 * Books like the demo's, without a node: the sample reserve (El Salvador's 2021–2022 purchases and
 * a Pakistan vault) written into the vault tables, purchase records for the El Salvador receipts —
 * announced ones with a public source, one private (no source URL, a named counterparty) and one
 * whose fiat amount was never announced — and El Salvador kept at average cost, as the demo does.
 */
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { importPurchases, setCostMethod } from '../../src/app/accounting/purchases.ts';
import { loadReserveTables } from './load-reserve-tables.ts';
import { sampleReserve, type FakeReserve } from './memory-public-view.ts';

/** The record no one announced: in the totals, never in a public answer. */
export const PRIVATE_PURCHASE = { counterparty: 'Confidential Broker Ltd', date: '2021-10-27', paidMinor: 2_500_000_000n } as const;

export const BOOKS_PURCHASES_CSV = [
  'date,btc,paid,currency,counterparty,source_url,vault',
  '2021-09-06,400,19200000.00,USD,reported by the Government of El Salvador,https://example.org/es/first-400,el-salvador',
  '2021-09-19,150,6800000.00,USD,reported by the Government of El Salvador,https://example.org/es/150?src=a&b=<x>,el-salvador',
  `${PRIVATE_PURCHASE.date},420,25000000.00,USD,${PRIVATE_PURCHASE.counterparty},,el-salvador`,
  '2021-12-04,150,,,reported by the Government of El Salvador,https://example.org/es/dip,el-salvador',
  '2022-05-09,500,15200000.00,USD,reported by the Government of El Salvador,https://example.org/es/500,el-salvador',
].join('\n');

export async function loadBooksFixture(db: Database, opts: { extra?: number } = {}): Promise<FakeReserve> {
  const reserve = sampleReserve({ extra: opts.extra ?? 20 });
  await loadReserveTables(db, reserve);
  const deps = { accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => Date.parse('2026-08-01T00:00:00Z') };
  await importPurchases(deps, { actor: 'rosa', role: 'admin' }, BOOKS_PURCHASES_CSV, { origin: 'purchases.csv', minorDigits: () => 2 });
  await setCostMethod(deps, { actor: 'rosa', role: 'admin' }, 'el-salvador', 'average');
  return reserve;
}
