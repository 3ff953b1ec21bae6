/**
 * The on-chain phase of alliance settlement in the database (migration 0017), over SQLite and
 * PostgreSQL. Each write is one transaction (with its audit entry where one is given).
 */
import { DomainError } from '../../core/errors.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import type { PayInStatus } from '../../core/settlement/escrow.ts';
import type { OnchainCycle, OnchainPhase, PlannedTransfer, SettlementOnchainStore, StoredPayIn } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle } from '../../core/settlement/types.ts';
import type { Sats } from '../../core/money.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import type { SettlementOnchainCyclesTable, SettlementPayinsTable } from './settlement-onchain-schema.ts';
import type { Selectable } from 'kysely';

const PHASES: readonly OnchainPhase[] = ['collecting', 'payout-proposed', 'refund-proposed'];
const STATUSES: readonly PayInStatus[] = ['pending', 'seen', 'confirmed'];

/** The cycle and its members as JSON (sats as strings). */
function snapshotJson(cycle: ClosedCycle, members: readonly AllianceMember[]): string {
  return JSON.stringify({
    cycle: {
      id: cycle.id, cutoff: cycle.cutoff, mode: cycle.mode,
      rates: cycle.rates.map((r) => ({ currency: r.currency, minorDigits: r.minorDigits, btcPriceMinor: r.btcPriceMinor.toString(), source: r.source })),
      positions: cycle.positions.map((p) => ({ member: p.member, sats: p.sats.toString() })),
      transfers: cycle.transfers.map((t) => ({ from: t.from, to: t.to, sats: t.sats.toString() })),
    },
    members: members.map((m) => ({ code: m.code, state: m.state, institution: m.institution, currency: m.currency, receiveDescriptor: m.receiveDescriptor })),
  });
}

interface SnapshotJson {
  cycle: { id: string; cutoff: string; mode: 'escrow' | 'direct'; rates: { currency: string; minorDigits: number; btcPriceMinor: string; source: string }[]; positions: { member: string; sats: string }[]; transfers: { from: string; to: string; sats: string }[] };
  members: AllianceMember[];
}

function parseSnapshot(text: string, where: string): { cycle: ClosedCycle; members: AllianceMember[] } {
  try {
    const s = JSON.parse(text) as SnapshotJson;
    return {
      cycle: {
        id: s.cycle.id, cutoff: s.cycle.cutoff, mode: s.cycle.mode,
        rates: s.cycle.rates.map((r) => ({ ...r, btcPriceMinor: BigInt(r.btcPriceMinor) })),
        positions: s.cycle.positions.map((p) => ({ member: p.member, sats: BigInt(p.sats) })),
        transfers: s.cycle.transfers.map((t) => ({ from: t.from, to: t.to, sats: BigInt(t.sats) as Sats })),
      },
      members: s.members,
    };
  } catch (e) {
    throw new DomainError('MALFORMED_DATA', `${where}: the stored cycle does not parse (${e instanceof Error ? e.message : String(e)})`);
  }
}

function cycleFromRow(r: Selectable<SettlementOnchainCyclesTable>): OnchainCycle {
  const where = `settlement cycle ${r.cycle_id}`;
  if (!(PHASES as readonly string[]).includes(r.phase)) throw new DomainError('MALFORMED_DATA', `${where}: unknown phase ${r.phase}`);
  if (r.mode !== 'escrow' && r.mode !== 'direct') throw new DomainError('MALFORMED_DATA', `${where}: unknown mode ${r.mode}`);
  const snap = parseSnapshot(r.cycle, where);
  return {
    cycleId: r.cycle_id, mode: r.mode, vaultId: r.vault_id, confirmations: toNum(r.confirmations), deadlineHeight: toNumOrNull(r.deadline_height),
    cycle: snap.cycle, members: snap.members, phase: r.phase as OnchainPhase, payoutProposalId: toNumOrNull(r.payout_proposal_id), refundProposalId: toNumOrNull(r.refund_proposal_id),
    defaulters: JSON.parse(r.defaulters) as string[], openedBy: r.opened_by, openedAtMs: toNum(r.opened_at_ms), updatedAtMs: toNum(r.updated_at_ms),
  };
}

function payInFromRow(r: Selectable<SettlementPayinsTable>): StoredPayIn {
  if (!(STATUSES as readonly string[]).includes(r.status)) throw new DomainError('MALFORMED_DATA', `pay-in of ${r.payer} in cycle ${r.cycle_id}: unknown status ${r.status}`);
  return {
    cycleId: r.cycle_id, payer: r.payer, address: r.address, addressIndex: toNum(r.address_index), sats: toBig(r.sats), status: r.status as PayInStatus,
    txid: r.txid, vout: toNumOrNull(r.vout), height: toNumOrNull(r.height), confirmations: toNum(r.confirmations), updatedAtMs: toNum(r.updated_at_ms),
  };
}

export class SqlSettlementOnchainStore implements SettlementOnchainStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async openCycle(c: OnchainCycle, payIns: readonly StoredPayIn[], audit: AuditFields, transfers: readonly PlannedTransfer[] = []): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const had = await trx.selectFrom('settlement_onchain_cycles').select('cycle_id').where('cycle_id', '=', c.cycleId).executeTakeFirst();
      if (had) throw new DomainError('ALREADY_EXISTS', `the on-chain phase of cycle ${c.cycleId} is already open`);
      await trx.insertInto('settlement_onchain_cycles').values({
        cycle_id: c.cycleId, mode: c.mode, vault_id: c.vaultId, confirmations: c.confirmations, deadline_height: c.deadlineHeight, cycle: snapshotJson(c.cycle, c.members),
        phase: c.phase, payout_proposal_id: c.payoutProposalId, refund_proposal_id: c.refundProposalId, defaulters: JSON.stringify(c.defaulters), opened_by: c.openedBy,
        opened_at_ms: c.openedAtMs, updated_at_ms: c.updatedAtMs,
      }).execute();
      for (const p of payIns) {
        await trx.insertInto('settlement_payins').values({
          cycle_id: p.cycleId, payer: p.payer, address: p.address, address_index: p.addressIndex, sats: p.sats, status: p.status, txid: p.txid, vout: p.vout,
          height: p.height, confirmations: p.confirmations, updated_at_ms: p.updatedAtMs,
        }).execute();
      }
      for (const t of transfers) {
        await trx.insertInto('settlement_transfers').values({ cycle_id: c.cycleId, kind: t.kind, member: t.member, address: t.address, sats: t.sats, fee_share: t.feeShare }).execute();
      }
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async cycle(cycleId: string): Promise<OnchainCycle | null> {
    const r = await this.#database.db.selectFrom('settlement_onchain_cycles').selectAll().where('cycle_id', '=', cycleId).executeTakeFirst();
    return r ? cycleFromRow(r) : null;
  }

  async cycles(): Promise<OnchainCycle[]> {
    const rows = await this.#database.db.selectFrom('settlement_onchain_cycles').selectAll().orderBy('opened_at_ms').orderBy('cycle_id').execute();
    return rows.map(cycleFromRow);
  }

  async payIns(cycleId: string): Promise<StoredPayIn[]> {
    const rows = await this.#database.db.selectFrom('settlement_payins').selectAll().where('cycle_id', '=', cycleId).orderBy('payer').execute();
    return rows.map(payInFromRow);
  }

  async updatePayIns(cycleId: string, payIns: readonly StoredPayIn[], atMs: number): Promise<void> {
    if (payIns.length === 0) return;
    await inWriteTransaction(this.#database, async (trx) => {
      for (const p of payIns) {
        await trx.updateTable('settlement_payins').set({ status: p.status, txid: p.txid, vout: p.vout, height: p.height, confirmations: p.confirmations, updated_at_ms: atMs })
          .where('cycle_id', '=', cycleId).where('payer', '=', p.payer).execute();
      }
    });
  }

  async recordSpend(cycleId: string, spend: { kind: 'payout' | 'refund'; proposalId: number | null; transfers: readonly PlannedTransfer[]; defaulters: readonly string[] }, audit: AuditFields, atMs: number): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.selectFrom('settlement_onchain_cycles').select(['phase']).where('cycle_id', '=', cycleId).executeTakeFirst();
      if (!r) throw new DomainError('NOT_FOUND', `no on-chain phase for cycle ${cycleId}`);
      if (r.phase !== 'collecting') throw new DomainError('INVALID_STATE', `cycle ${cycleId} is ${r.phase}: its ${spend.kind} cannot be proposed again`);
      await trx.updateTable('settlement_onchain_cycles').set({
        phase: spend.kind === 'payout' ? 'payout-proposed' : 'refund-proposed',
        ...(spend.kind === 'payout' ? { payout_proposal_id: spend.proposalId } : { refund_proposal_id: spend.proposalId }),
        defaulters: JSON.stringify(spend.defaulters), updated_at_ms: atMs,
      }).where('cycle_id', '=', cycleId).execute();
      for (const t of spend.transfers) {
        await trx.insertInto('settlement_transfers').values({ cycle_id: cycleId, kind: t.kind, member: t.member, address: t.address, sats: t.sats, fee_share: t.feeShare }).execute();
      }
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async transfers(cycleId: string): Promise<PlannedTransfer[]> {
    const rows = await this.#database.db.selectFrom('settlement_transfers').selectAll().where('cycle_id', '=', cycleId).orderBy('kind').orderBy('member').execute();
    return rows.map((r) => ({ kind: r.kind === 'refund' ? 'refund' : 'payout', member: r.member, address: r.address, sats: toBig(r.sats), feeShare: toBig(r.fee_share) }));
  }

  async takeReceiveIndex(descriptor: string): Promise<number> {
    return inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.selectFrom('settlement_receive_indexes').select('next_index').where('descriptor', '=', descriptor).executeTakeFirst();
      const index = r ? toNum(r.next_index) : 0;
      if (r) await trx.updateTable('settlement_receive_indexes').set({ next_index: index + 1 }).where('descriptor', '=', descriptor).execute();
      else await trx.insertInto('settlement_receive_indexes').values({ descriptor, next_index: 1 }).execute();
      return index;
    });
  }
}
