/**
 * Mining ventures, partners, share tables, sites and distributions in the database (migration
 * 0014). Every write is one transaction with its audit entry (audit-store.ts).
 */
import { DomainError } from '../../core/errors.ts';
import type { Sats } from '../../core/money.ts';
import { DISTRIBUTION_STATES, ENERGY_SOURCES, type DistributionRecord, type DistributionState, type EnergySource, type MiningStore, type Partner, type ShareVersion, type Site, type Venture } from '../../core/mining/venture.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import type { Selectable } from 'kysely';
import type { Tables } from './schema.ts';

function energySource(text: string, where: string): EnergySource {
  if (!(ENERGY_SOURCES as readonly string[]).includes(text)) throw new DomainError('MALFORMED_DATA', `${where}: unknown energy source ${text}`);
  return text as EnergySource;
}

function distributionState(text: string, where: string): DistributionState {
  if (!(DISTRIBUTION_STATES as readonly string[]).includes(text)) throw new DomainError('MALFORMED_DATA', `${where}: unknown distribution state ${text}`);
  return text as DistributionState;
}

function stringList(text: string, where: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new DomainError('MALFORMED_DATA', `${where}: not JSON`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new DomainError('MALFORMED_DATA', `${where}: not a list of strings`);
  return v as string[];
}

const ventureOf = (r: Selectable<Tables['mining_ventures']>): Venture => ({
  id: r.id, name: r.name, vaultId: r.vault_id, publicSector: toNum(r.public_sector) === 1, createdBy: r.created_by, createdAtMs: toNum(r.created_at_ms),
});

const distributionOf = (r: Selectable<Tables['mining_distributions']>): DistributionRecord => ({
  ventureId: r.venture_id, period: r.period, state: distributionState(r.state, `distribution ${r.venture_id} ${r.period}`), proposalId: toNumOrNull(r.proposal_id),
  totalSats: toBig(r.total_sats) as Sats, feeSats: toBig(r.fee_sats) as Sats, document: r.document, claimedBy: r.claimed_by, claimedAtMs: toNum(r.claimed_at_ms), proposedAtMs: toNumOrNull(r.proposed_at_ms),
});

export class SqlMiningStore implements MiningStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async ventures(): Promise<Venture[]> {
    return (await this.#database.db.selectFrom('mining_ventures').selectAll().orderBy('id').execute()).map(ventureOf);
  }

  async venture(idOrName: string): Promise<Venture | null> {
    const r = await this.#database.db.selectFrom('mining_ventures').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).orderBy('id').executeTakeFirst();
    return r ? ventureOf(r) : null;
  }

  async addVenture(v: Venture, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('mining_ventures').select('id').where((eb) => eb.or([eb('id', '=', v.id), eb('name', '=', v.name)])).executeTakeFirst();
      if (had) throw new DomainError('ALREADY_EXISTS', `a venture "${v.name}" (${had.id}) exists already`);
      await trx.insertInto('mining_ventures').values({ id: v.id, name: v.name, vault_id: v.vaultId, public_sector: v.publicSector ? 1 : 0, created_by: v.createdBy, created_at_ms: v.createdAtMs }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async partners(ventureId: string): Promise<Partner[]> {
    const rows = await this.#database.db.selectFrom('mining_partners').selectAll().where('venture_id', '=', ventureId).orderBy('id').execute();
    return rows.map((r) => {
      const settlement = r.settlement_vault_id !== null ? { kind: 'vault' as const, vaultId: r.settlement_vault_id } : r.settlement_descriptor !== null ? { kind: 'descriptor' as const, descriptor: r.settlement_descriptor } : null;
      if (settlement === null) throw new DomainError('MALFORMED_DATA', `partner ${r.venture_id}/${r.id} has no settlement vault or descriptor`);
      return { ventureId: r.venture_id, id: r.id, name: r.name, settlement, nextIndex: toNum(r.next_index), addedBy: r.added_by, addedAtMs: toNum(r.added_at_ms) };
    });
  }

  async addPartner(p: Partner, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('mining_partners').select('id').where('venture_id', '=', p.ventureId).where('id', '=', p.id).executeTakeFirst();
      if (had) throw new DomainError('ALREADY_EXISTS', `venture ${p.ventureId} has a partner ${p.id} already`);
      await trx.insertInto('mining_partners').values({
        venture_id: p.ventureId, id: p.id, name: p.name,
        settlement_vault_id: p.settlement.kind === 'vault' ? p.settlement.vaultId : null, settlement_descriptor: p.settlement.kind === 'descriptor' ? p.settlement.descriptor : null,
        next_index: p.nextIndex, added_by: p.addedBy, added_at_ms: p.addedAtMs,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async takePartnerIndexes(ventureId: string, partnerId: string, count: number): Promise<number> {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`takePartnerIndexes: count ${count}`);
    return inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.selectFrom('mining_partners').select('next_index').where('venture_id', '=', ventureId).where('id', '=', partnerId).executeTakeFirst();
      if (!r) throw new DomainError('NOT_FOUND', `no partner ${partnerId} in venture ${ventureId}`);
      const first = toNum(r.next_index);
      await trx.updateTable('mining_partners').set({ next_index: first + count }).where('venture_id', '=', ventureId).where('id', '=', partnerId).execute();
      return first;
    });
  }

  async shareVersions(ventureId: string): Promise<ShareVersion[]> {
    const versions = await this.#database.db.selectFrom('mining_share_versions').selectAll().where('venture_id', '=', ventureId).orderBy('version').execute();
    const shares = await this.#database.db.selectFrom('mining_shares').selectAll().where('venture_id', '=', ventureId).orderBy('version').orderBy('partner_id').execute();
    return versions.map((v) => ({
      ventureId: v.venture_id, version: toNum(v.version), effectiveFrom: toNum(v.effective_from), note: v.note,
      shares: shares.filter((s) => toNum(s.version) === toNum(v.version)).map((s) => ({ partner: s.partner_id, bps: toNum(s.bps) })),
      recordedBy: v.recorded_by, recordedAtMs: toNum(v.recorded_at_ms),
    }));
  }

  async addShareVersion(v: ShareVersion, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const last = await trx.selectFrom('mining_share_versions').select(['version', 'effective_from']).where('venture_id', '=', v.ventureId).orderBy('version', 'desc').limit(1).executeTakeFirst();
      const expected = last ? toNum(last.version) + 1 : 1;
      if (v.version !== expected) throw new DomainError('ALREADY_EXISTS', `share table version ${v.version} of ${v.ventureId} is taken (next is ${expected}): someone changed it meanwhile`);
      if (last && v.effectiveFrom <= toNum(last.effective_from)) throw new DomainError('INVALID_ARGUMENT', `share table version ${v.version} must take effect after version ${expected - 1}`);
      await trx.insertInto('mining_share_versions').values({ venture_id: v.ventureId, version: v.version, effective_from: v.effectiveFrom, note: v.note, recorded_by: v.recordedBy, recorded_at_ms: v.recordedAtMs }).execute();
      for (const s of v.shares) await trx.insertInto('mining_shares').values({ venture_id: v.ventureId, version: v.version, partner_id: s.partner, bps: s.bps }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async sites(ventureId: string): Promise<Site[]> {
    const rows = await this.#database.db.selectFrom('mining_sites').selectAll().where('venture_id', '=', ventureId).orderBy('id').execute();
    return rows.map((r) => ({
      ventureId: r.venture_id, id: r.id, name: r.name, capacityKw: toBig(r.capacity_kw), energySource: energySource(r.energy_source, `site ${r.venture_id}/${r.id}`),
      tariffMinorPerMwh: toBig(r.tariff_minor_per_mwh), currency: r.currency, marketTariffMinorPerMwh: r.market_tariff_minor_per_mwh === null ? null : toBig(r.market_tariff_minor_per_mwh),
      fleetThs: toBig(r.fleet_ths), efficiencyMjPerTh: toBig(r.efficiency_mj_per_th), uptimeBps: toNum(r.uptime_bps), pool: r.pool, poolFeeBps: toNum(r.pool_fee_bps),
      poolAddresses: stringList(r.pool_addresses, `site ${r.venture_id}/${r.id} pool addresses`), addedBy: r.added_by, addedAtMs: toNum(r.added_at_ms),
    }));
  }

  async addSite(s: Site, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('mining_sites').select('id').where('venture_id', '=', s.ventureId).where('id', '=', s.id).executeTakeFirst();
      if (had) throw new DomainError('ALREADY_EXISTS', `venture ${s.ventureId} has a site ${s.id} already`);
      await trx.insertInto('mining_sites').values({
        venture_id: s.ventureId, id: s.id, name: s.name, capacity_kw: s.capacityKw, energy_source: s.energySource, tariff_minor_per_mwh: s.tariffMinorPerMwh, currency: s.currency,
        market_tariff_minor_per_mwh: s.marketTariffMinorPerMwh, fleet_ths: s.fleetThs, efficiency_mj_per_th: s.efficiencyMjPerTh, uptime_bps: s.uptimeBps, pool: s.pool,
        pool_fee_bps: s.poolFeeBps, pool_addresses: JSON.stringify(s.poolAddresses), added_by: s.addedBy, added_at_ms: s.addedAtMs,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async distributions(ventureId: string): Promise<DistributionRecord[]> {
    return (await this.#database.db.selectFrom('mining_distributions').selectAll().where('venture_id', '=', ventureId).orderBy('period').execute()).map(distributionOf);
  }

  async distribution(ventureId: string, period: string): Promise<DistributionRecord | null> {
    const r = await this.#database.db.selectFrom('mining_distributions').selectAll().where('venture_id', '=', ventureId).where('period', '=', period).executeTakeFirst();
    return r ? distributionOf(r) : null;
  }

  async claimDistribution(r: DistributionRecord, audit: AuditFields): Promise<{ record: DistributionRecord; claimed: boolean }> {
    return inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('mining_distributions').selectAll().where('venture_id', '=', r.ventureId).where('period', '=', r.period).executeTakeFirst();
      if (had) return { record: distributionOf(had), claimed: false };
      await trx.insertInto('mining_distributions').values({
        venture_id: r.ventureId, period: r.period, state: 'claimed', proposal_id: null, total_sats: r.totalSats, fee_sats: r.feeSats, document: r.document,
        claimed_by: r.claimedBy, claimed_at_ms: r.claimedAtMs, proposed_at_ms: null,
      }).execute();
      await appendAudit(trx, this.#database.engine, audit);
      return { record: { ...r, state: 'claimed', proposalId: null, proposedAtMs: null }, claimed: true };
    });
  }

  async completeDistribution(ventureId: string, period: string, proposalId: number, document: string, totalSats: Sats, feeSats: Sats, atMs: number, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.updateTable('mining_distributions').set({ state: 'proposed', proposal_id: proposalId, document, total_sats: totalSats, fee_sats: feeSats, proposed_at_ms: atMs })
        .where('venture_id', '=', ventureId).where('period', '=', period).where('state', '=', 'claimed').executeTakeFirst();
      if (r.numUpdatedRows !== 1n) throw new DomainError('INVALID_STATE', `the distribution of ${ventureId} ${period} is no longer claimed`);
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async reopenDistribution(ventureId: string, period: string, proposalId: number, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      await trx.deleteFrom('mining_distributions').where('venture_id', '=', ventureId).where('period', '=', period).where('state', '=', 'proposed').where('proposal_id', '=', proposalId).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async releaseDistribution(ventureId: string, period: string, claimedAtMs: number): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      await trx.deleteFrom('mining_distributions').where('venture_id', '=', ventureId).where('period', '=', period).where('state', '=', 'claimed').where('claimed_at_ms', '=', claimedAtMs).execute();
    });
  }
}
