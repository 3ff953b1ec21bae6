/**
 * Purchase records and cost-basis methods in the database (tables `purchase_records` and
 * `vault_cost_methods`, migration 0009). Every write is one transaction with its audit entry
 * (audit-store.ts): an import either stores all its new records and the entry, or nothing.
 */
import type { Selectable } from 'kysely';
import { FROM_THE_START, type AccountingStore, type CostMethodChange, type CostMethodRecord, type StoredLedgerEntry, type StoredPurchase } from '../../core/accounting/ports.ts';
import { COST_BASIS_METHODS, type CostBasisMethod, type LedgerEntry, type PurchaseRecord } from '../../core/accounting/types.ts';
import { accountKey, assertBalanced, parseAccountKey } from '../../core/accounting/ledger.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, type Database } from './database.ts';
import type { LedgerEntriesTable, PurchaseRecordsTable, VaultCostMethodChangesTable, VaultCostMethodsTable } from './schema.ts';

function purchaseOf(r: Selectable<PurchaseRecordsTable>): StoredPurchase {
  const paid = r.paid_minor === null || r.paid_currency === null ? null : { currency: r.paid_currency, minor: toBig(r.paid_minor) };
  return {
    id: r.id, date: r.date, sats: toBig(r.sats), paid, counterparty: r.counterparty, sourceUrl: r.source_url, vaultId: r.vault_id,
    importedBy: r.imported_by, importedAtMs: toNum(r.imported_at_ms),
  };
}

function methodOf(r: Selectable<VaultCostMethodsTable>): CostMethodRecord {
  if (!(COST_BASIS_METHODS as readonly string[]).includes(r.method)) throw new RangeError(`vault_cost_methods: vault ${r.vault_id} has unknown method ${r.method}`);
  return { vaultId: r.vault_id, method: r.method as CostBasisMethod, setBy: r.set_by, setAtMs: toNum(r.set_at_ms) };
}

function entryOf(r: Selectable<LedgerEntriesTable>): StoredLedgerEntry {
  const lines = (JSON.parse(r.lines) as { account: string; sats: string }[]).map((l) => ({ account: parseAccountKey(l.account), sats: BigInt(l.sats) }));
  return { seq: toNum(r.seq), id: r.id, txid: r.txid, height: toNum(r.height), date: r.date, lines, reverses: r.reverses, memo: r.memo, recordedBy: r.recorded_by, recordedAtMs: toNum(r.recorded_at_ms) };
}

function changeOf(r: Selectable<VaultCostMethodChangesTable>): CostMethodChange {
  if (!(COST_BASIS_METHODS as readonly string[]).includes(r.method)) throw new RangeError(`vault_cost_method_changes: vault ${r.vault_id} has unknown method ${r.method}`);
  return { seq: toNum(r.seq), vaultId: r.vault_id, method: r.method as CostBasisMethod, effectiveFrom: r.effective_from, setBy: r.set_by, setAtMs: toNum(r.set_at_ms) };
}

export class SqlAccountingStore implements AccountingStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async importPurchases(records: readonly PurchaseRecord[], by: { actor: string; role: string; atMs: number; source: string }): Promise<{ added: number; already: number }> {
    return inWriteTransaction(this.#database, async (trx) => {
      const ids = records.map((r) => r.id);
      if (new Set(ids).size !== ids.length) throw new RangeError('importPurchases: two records share an id');
      const existing = new Set<string>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await trx.selectFrom('purchase_records').select('id').where('id', 'in', ids.slice(i, i + 500)).execute();
        for (const r of rows) existing.add(r.id);
      }
      const fresh = records.filter((r) => !existing.has(r.id));
      for (let i = 0; i < fresh.length; i += 200) {
        await trx.insertInto('purchase_records').values(fresh.slice(i, i + 200).map((r) => ({
          id: r.id, date: r.date, sats: r.sats, paid_minor: r.paid?.minor ?? null, paid_currency: r.paid?.currency ?? null,
          counterparty: r.counterparty, source_url: r.sourceUrl, vault_id: r.vaultId, imported_by: by.actor, imported_at_ms: by.atMs,
        }))).execute();
      }
      if (fresh.length > 0) {
        await appendAudit(trx, this.#database.engine, {
          actor: by.actor, role: by.role, action: 'purchases.import', object: 'purchases',
          details: { source: by.source, added: fresh.length, already: records.length - fresh.length, ids: fresh.map((r) => r.id) }, atMs: by.atMs,
        });
      }
      return { added: fresh.length, already: records.length - fresh.length };
    });
  }

  async purchases(): Promise<StoredPurchase[]> {
    const rows = await this.#database.db.selectFrom('purchase_records').selectAll().orderBy('date').orderBy('id').execute();
    return rows.map(purchaseOf);
  }

  async setCostMethod(record: CostMethodRecord, audit: AuditFields, effectiveFrom: string = FROM_THE_START): Promise<void> {
    if (!COST_BASIS_METHODS.includes(record.method)) throw new TypeError(`setCostMethod: unknown method ${String(record.method)}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(effectiveFrom)) throw new TypeError(`setCostMethod: "effectiveFrom" expected YYYY-MM-DD, got ${effectiveFrom}`);
    await inWriteTransaction(this.#database, async (trx) => {
      await trx.deleteFrom('vault_cost_methods').where('vault_id', '=', record.vaultId).execute();
      await trx.insertInto('vault_cost_methods').values({ vault_id: record.vaultId, method: record.method, set_by: record.setBy, set_at_ms: record.setAtMs }).execute();
      const last = await trx.selectFrom('vault_cost_method_changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      await trx.insertInto('vault_cost_method_changes').values({
        seq: toNum(last?.seq ?? 0) + 1, vault_id: record.vaultId, method: record.method, effective_from: effectiveFrom, set_by: record.setBy, set_at_ms: record.setAtMs,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async costMethods(): Promise<CostMethodRecord[]> {
    const rows = await this.#database.db.selectFrom('vault_cost_methods').selectAll().orderBy('vault_id').execute();
    return rows.map(methodOf);
  }

  async costMethodChanges(): Promise<CostMethodChange[]> {
    const rows = await this.#database.db.selectFrom('vault_cost_method_changes').selectAll().orderBy('vault_id').orderBy('seq').execute();
    return rows.map(changeOf);
  }

  async ledgerEntries(): Promise<StoredLedgerEntry[]> {
    const rows = await this.#database.db.selectFrom('ledger_entries').selectAll().orderBy('seq').execute();
    return rows.map(entryOf);
  }

  async appendLedger(compute: (stored: readonly StoredLedgerEntry[]) => readonly LedgerEntry[], by: { actor: string; role: string; atMs: number }): Promise<{ appended: StoredLedgerEntry[]; total: number }> {
    return inWriteTransaction(this.#database, async (trx) => {
      const stored = (await trx.selectFrom('ledger_entries').selectAll().orderBy('seq').execute()).map(entryOf);
      const fresh = compute(stored);
      assertBalanced([...stored, ...fresh]);
      const next = stored.length === 0 ? 1 : (stored[stored.length - 1] as StoredLedgerEntry).seq + 1;
      const appended = fresh.map((e, i): StoredLedgerEntry => ({ ...e, seq: next + i, recordedBy: by.actor, recordedAtMs: by.atMs }));
      for (let i = 0; i < appended.length; i += 200) {
        await trx.insertInto('ledger_entries').values(appended.slice(i, i + 200).map((e) => ({
          seq: e.seq, id: e.id, txid: e.txid, height: e.height, date: e.date, reverses: e.reverses, memo: e.memo, recorded_by: e.recordedBy, recorded_at_ms: e.recordedAtMs,
          lines: JSON.stringify(e.lines.map((l) => ({ account: accountKey(l.account), sats: l.sats.toString() }))),
        }))).execute();
      }
      if (appended.length > 0) {
        const reversals = appended.filter((e) => e.reverses !== null);
        await appendAudit(trx, this.#database.engine, {
          actor: by.actor, role: by.role, action: 'accounting.ledger', object: 'ledger',
          details: { appended: appended.length, reversals: reversals.map((e) => e.id), from: appended[0]?.seq, to: appended[appended.length - 1]?.seq }, atMs: by.atMs,
        });
      }
      return { appended, total: stored.length + appended.length };
    });
  }
}
