/**
 * The on-chain phase of alliance settlement in the database (migrations 0017 and 0018), over SQLite and
 * PostgreSQL. Each write is one transaction (with its audit entry where one is given).
 */
import { DomainError } from '../../core/errors.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import type { PayInStatus } from '../../core/settlement/escrow.ts';
import type { DirectPayment, DirectPaymentStatus, OnchainCycle, OnchainPhase, PlannedTransfer, ScreenedAddress, SettlementOnchainStore, SpendIntent, SpendIntentStatus, StoredPayIn } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle } from '../../core/settlement/types.ts';
import type { Sats } from '../../core/money.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import type { SettlementOnchainCyclesTable, SettlementOnchainSpendsTable, SettlementPayinsTable } from './settlement-onchain-schema.ts';
import type { Selectable } from 'kysely';

const PHASES: readonly OnchainPhase[] = ['collecting', 'payout-proposed', 'refund-proposed'];
const STATUSES: readonly PayInStatus[] = ['pending', 'seen', 'confirmed'];
const INTENT_STATUSES: readonly SpendIntentStatus[] = ['held', 'claimed', 'proposed', 'abandoned'];
const DIRECT_STATUSES: readonly DirectPaymentStatus[] = ['pending', 'seen', 'paid'];

function transfersJson(transfers: readonly PlannedTransfer[]): string {
  return JSON.stringify(transfers.map((t) => ({ kind: t.kind, member: t.member, address: t.address, sats: t.sats.toString(), feeShare: t.feeShare.toString() })));
}

function intentFromRow(r: Selectable<SettlementOnchainSpendsTable>): SpendIntent {
  const where = `settlement cycle ${r.cycle_id} spend ${r.seq}`;
  if (!(INTENT_STATUSES as readonly string[]).includes(r.status)) throw new DomainError('MALFORMED_DATA', `${where}: unknown status ${r.status}`);
  try {
    const transfers = (JSON.parse(r.transfers) as { kind: string; member: string; address: string; sats: string; feeShare: string }[])
      .map((t): PlannedTransfer => ({ kind: t.kind === 'refund' ? 'refund' : 'payout', member: t.member, address: t.address, sats: BigInt(t.sats), feeShare: BigInt(t.feeShare) }));
    return {
      cycleId: r.cycle_id, seq: toNum(r.seq), kind: r.kind === 'refund' ? 'refund' : 'payout', tag: r.tag, status: r.status as SpendIntentStatus, inputs: JSON.parse(r.inputs) as string[],
      transfers, proposalId: toNumOrNull(r.proposal_id), createdAtMs: toNum(r.created_at_ms), updatedAtMs: toNum(r.updated_at_ms),
    };
  } catch (e) {
    throw new DomainError('MALFORMED_DATA', `${where}: does not parse (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The deterministic tag of a cycle's spend: unique (cycle ids are), and written into the proposal's memo. */
export function spendIntentTag(cycleId: string, seq: number): string {
  return `settlement-intent:${cycleId}/${seq}`;
}

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

  async recordSpend(cycleId: string, spend: { kind: 'payout' | 'refund'; proposalId: number | null; transfers: readonly PlannedTransfer[]; defaulters: readonly string[]; intentSeq?: number | undefined }, audit: AuditFields, atMs: number): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      if (spend.intentSeq !== undefined) {
        const i = await trx.selectFrom('settlement_onchain_spends').select('status').where('cycle_id', '=', cycleId).where('seq', '=', spend.intentSeq).executeTakeFirst();
        if (i?.status !== 'claimed') throw new DomainError('INVALID_STATE', `spend ${spend.intentSeq} of cycle ${cycleId} is ${i?.status ?? 'unknown'}, not claimed`);
        await trx.updateTable('settlement_onchain_spends').set({ status: 'proposed', proposal_id: spend.proposalId, transfers: transfersJson(spend.transfers), updated_at_ms: atMs })
          .where('cycle_id', '=', cycleId).where('seq', '=', spend.intentSeq).execute();
      }
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

  async spendIntents(cycleId: string): Promise<SpendIntent[]> {
    const rows = await this.#database.db.selectFrom('settlement_onchain_spends').selectAll().where('cycle_id', '=', cycleId).orderBy('seq').execute();
    return rows.map(intentFromRow);
  }

  async addSpendIntent(intent: { cycleId: string; kind: 'payout' | 'refund'; status: 'held' | 'claimed'; inputs: readonly string[]; transfers: readonly PlannedTransfer[] }, screened: (seq: number) => readonly ScreenedAddress[], atMs: number, audit?: AuditFields): Promise<SpendIntent> {
    return inWriteTransaction(this.#database, async (trx) => {
      const rows = await trx.selectFrom('settlement_onchain_spends').select(['seq', 'status']).where('cycle_id', '=', intent.cycleId).execute();
      const open = rows.find((r) => r.status === 'held' || r.status === 'claimed');
      if (open) throw new DomainError('INVALID_STATE', `cycle ${intent.cycleId} already has spend ${open.seq} ${open.status}: finish it first`);
      const seq = rows.reduce((m, r) => Math.max(m, toNum(r.seq)), 0) + 1;
      const row = {
        cycle_id: intent.cycleId, seq, kind: intent.kind, tag: spendIntentTag(intent.cycleId, seq), status: intent.status, inputs: JSON.stringify(intent.inputs),
        transfers: transfersJson(intent.transfers), proposal_id: null, created_at_ms: atMs, updated_at_ms: atMs,
      };
      await trx.insertInto('settlement_onchain_spends').values(row).execute();
      for (const a of screened(seq)) {
        await trx.insertInto('settlement_address_holds').values({ cycle_id: a.cycleId, purpose: a.purpose, member: a.member, address: a.address, hold_id: a.holdId, screened_at_ms: a.screenedAtMs }).execute();
      }
      if (audit) await appendAudit(trx, this.#database.engine, audit);
      return intentFromRow(row);
    });
  }

  async updateSpendIntent(cycleId: string, seq: number, from: SpendIntentStatus, change: { status: SpendIntentStatus; transfers?: readonly PlannedTransfer[] | undefined; proposalId?: number | undefined }, atMs: number, audit?: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.selectFrom('settlement_onchain_spends').select('status').where('cycle_id', '=', cycleId).where('seq', '=', seq).executeTakeFirst();
      if (!r) throw new DomainError('NOT_FOUND', `no spend ${seq} of cycle ${cycleId}`);
      if (r.status !== from) throw new DomainError('INVALID_STATE', `spend ${seq} of cycle ${cycleId} is ${r.status}, not ${from}`);
      await trx.updateTable('settlement_onchain_spends').set({
        status: change.status, updated_at_ms: atMs,
        ...(change.transfers ? { transfers: transfersJson(change.transfers) } : {}), ...(change.proposalId !== undefined ? { proposal_id: change.proposalId } : {}),
      }).where('cycle_id', '=', cycleId).where('seq', '=', seq).execute();
      if (audit) await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async screenedAddresses(cycleId: string): Promise<ScreenedAddress[]> {
    const rows = await this.#database.db.selectFrom('settlement_address_holds').selectAll().where('cycle_id', '=', cycleId).orderBy('purpose').orderBy('member').execute();
    return rows.map((r) => ({ cycleId: r.cycle_id, purpose: r.purpose, member: r.member, address: r.address, holdId: r.hold_id, screenedAtMs: toNum(r.screened_at_ms) }));
  }

  async addScreenedAddresses(rows: readonly ScreenedAddress[]): Promise<void> {
    if (rows.length === 0) return;
    await inWriteTransaction(this.#database, async (trx) => {
      for (const a of rows) {
        await trx.insertInto('settlement_address_holds').values({ cycle_id: a.cycleId, purpose: a.purpose, member: a.member, address: a.address, hold_id: a.holdId, screened_at_ms: a.screenedAtMs }).execute();
      }
    });
  }

  async directPayments(cycleId: string): Promise<DirectPayment[]> {
    const rows = await this.#database.db.selectFrom('settlement_direct_payments').selectAll().where('cycle_id', '=', cycleId).orderBy('payer').execute();
    return rows.map((r) => {
      if (!(DIRECT_STATUSES as readonly string[]).includes(r.status)) throw new DomainError('MALFORMED_DATA', `direct payment of ${r.payer} in cycle ${r.cycle_id}: unknown status ${r.status}`);
      return { cycleId: r.cycle_id, payer: r.payer, status: r.status as DirectPaymentStatus, txid: r.txid, height: toNumOrNull(r.height), confirmations: toNum(r.confirmations), updatedAtMs: toNum(r.updated_at_ms) };
    });
  }

  async updateDirectPayments(cycleId: string, rows: readonly DirectPayment[]): Promise<void> {
    if (rows.length === 0) return;
    await inWriteTransaction(this.#database, async (trx) => {
      for (const p of rows) {
        await trx.deleteFrom('settlement_direct_payments').where('cycle_id', '=', cycleId).where('payer', '=', p.payer).execute();
        await trx.insertInto('settlement_direct_payments').values({ cycle_id: cycleId, payer: p.payer, status: p.status, txid: p.txid, height: p.height, confirmations: p.confirmations, updated_at_ms: p.updatedAtMs }).execute();
      }
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
