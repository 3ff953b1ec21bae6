/**
 * The compliance register, overrides, commitments and alerts in the database (migration 0011).
 * Every write is one transaction with its audit entry (audit-store.ts).
 */
import { DomainError } from '../../core/errors.ts';
import { canonicalJson } from '../../core/audit/hash-chain.ts';
import { parseCommitment } from '../../core/compliance/commitments.ts';
import type { ComplianceAlert, ComplianceStore, StoredCommitment } from '../../core/compliance/ports.ts';
import { FLOW_CLASSES, type FlowClass, type FlowOverride, type RegisterEntry } from '../../core/compliance/types.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toNum, toNumOrNull, type Database } from './database.ts';

function flowClass(text: string, where: string): FlowClass {
  if (!(FLOW_CLASSES as readonly string[]).includes(text)) throw new DomainError('MALFORMED_DATA', `${where}: unknown flow class ${text}`);
  return text as FlowClass;
}

export class SqlComplianceStore implements ComplianceStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async registerVersions(): Promise<RegisterEntry[]> {
    const rows = await this.#database.db.selectFrom('compliance_register').selectAll().orderBy('vault_id').orderBy('version').execute();
    return rows.map((r) => ({
      vaultId: r.vault_id, version: toNum(r.version), owner: r.owner, legalBasis: r.legal_basis, purpose: r.purpose, joinedOn: r.joined_on, leftOn: r.left_on,
      recordedBy: r.recorded_by, recordedAtMs: toNum(r.recorded_at_ms),
    }));
  }

  async addRegisterVersion(e: RegisterEntry, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const last = await trx.selectFrom('compliance_register').select('version').where('vault_id', '=', e.vaultId).orderBy('version', 'desc').limit(1).executeTakeFirst();
      const expected = last ? toNum(last.version) + 1 : 1;
      if (e.version !== expected) throw new DomainError('ALREADY_EXISTS', `register entry ${e.vaultId} version ${e.version} is taken (next is ${expected}): someone changed it meanwhile`);
      await trx.insertInto('compliance_register').values({
        vault_id: e.vaultId, version: e.version, owner: e.owner, legal_basis: e.legalBasis, purpose: e.purpose, joined_on: e.joinedOn, left_on: e.leftOn,
        recorded_by: e.recordedBy, recorded_at_ms: e.recordedAtMs,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async overrides(): Promise<FlowOverride[]> {
    const rows = await this.#database.db.selectFrom('compliance_overrides').selectAll().orderBy('txid').execute();
    return rows.map((r) => ({ txid: r.txid, class: flowClass(r.class, `override of ${r.txid}`), reason: r.reason, setBy: r.set_by, setAtMs: toNum(r.set_at_ms) }));
  }

  async setOverride(o: FlowOverride, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      await trx.deleteFrom('compliance_overrides').where('txid', '=', o.txid).execute();
      await trx.insertInto('compliance_overrides').values({ txid: o.txid, class: o.class, reason: o.reason, set_by: o.setBy, set_at_ms: o.setAtMs }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async commitments(): Promise<StoredCommitment[]> {
    const rows = await this.#database.db.selectFrom('compliance_commitments').selectAll().orderBy('id').orderBy('version').execute();
    return rows.map((r) => {
      let commitment;
      try {
        commitment = parseCommitment(r.document);
      } catch (e) {
        throw new DomainError('MALFORMED_DATA', `stored commitment ${r.id} version ${toNum(r.version)} does not parse: ${e instanceof Error ? e.message : String(e)}`);
      }
      return { commitment, addedBy: r.added_by, addedAtMs: toNum(r.added_at_ms) };
    });
  }

  async addCommitment(c: StoredCommitment, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('compliance_commitments').select('version').where('id', '=', c.commitment.id).where('version', '=', c.commitment.version).executeTakeFirst();
      if (had) throw new DomainError('ALREADY_EXISTS', `commitment ${c.commitment.id} version ${c.commitment.version} is already recorded: give the new text the next version`);
      await trx.insertInto('compliance_commitments').values({
        id: c.commitment.id, version: c.commitment.version, document: canonicalJson(c.commitment), added_by: c.addedBy, added_at_ms: c.addedAtMs,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async alerts(): Promise<ComplianceAlert[]> {
    const rows = await this.#database.db.selectFrom('compliance_alerts').selectAll().orderBy('raised_at_ms').orderBy('txid').execute();
    return rows.map((r) => ({
      commitmentId: r.commitment_id, commitmentVersion: toNum(r.commitment_version), txid: r.txid, message: r.message, raisedAtMs: toNum(r.raised_at_ms),
      resolvedAtMs: toNumOrNull(r.resolved_at_ms), resolution: r.resolution,
    }));
  }

  async appendAudit(audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async recordAlerts(raise: readonly ComplianceAlert[], resolve: readonly { commitmentId: string; commitmentVersion: number; txid: string; atMs: number; resolution: string }[], audits: readonly AuditFields[]): Promise<void> {
    if (raise.length === 0 && resolve.length === 0 && audits.length === 0) return;
    await inWriteTransaction(this.#database, async (trx) => {
      for (const a of raise) {
        const key = (q: typeof trx) => q.deleteFrom('compliance_alerts').where('commitment_id', '=', a.commitmentId).where('commitment_version', '=', a.commitmentVersion).where('txid', '=', a.txid);
        await key(trx).execute();
        await trx.insertInto('compliance_alerts').values({
          commitment_id: a.commitmentId, commitment_version: a.commitmentVersion, txid: a.txid, message: a.message, raised_at_ms: a.raisedAtMs, resolved_at_ms: null, resolution: null,
        }).execute();
      }
      for (const r of resolve) {
        await trx.updateTable('compliance_alerts').set({ resolved_at_ms: r.atMs, resolution: r.resolution })
          .where('commitment_id', '=', r.commitmentId).where('commitment_version', '=', r.commitmentVersion).where('txid', '=', r.txid).execute();
      }
      for (const a of audits) await appendAudit(trx, this.#database.engine, a);
    });
  }
}
