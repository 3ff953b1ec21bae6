/**
 * Statements (issue #16 item 7): per member and cycle — every invoice (gross), the locked rates
 * with their source, the net, the transfers — as JSON or CSV; and the alliance view: gross value
 * vs value settled (the netting efficiency) and the transfers saved, per cycle. A member reads only
 * its own statement; the administrator any and the alliance view.
 */
import { DomainError } from '../../core/errors.ts';
import { SATS_PER_BTC } from '../../core/money.ts';
import type { StoredCycle, StoredInvoice } from '../../core/settlement/store-port.ts';
import type { LockedRate, SettlementTransfer } from '../../core/settlement/types.ts';
import type { SettlementActor, SettlementDeps } from './deps.ts';
import { requireMember } from './deps.ts';
import { showCycle } from './close-cycle.ts';

export interface MemberStatement {
  readonly cycle: { readonly id: string; readonly cutoff: string; readonly status: string; readonly mode: string };
  readonly member: string;
  readonly invoices: readonly { readonly reference: string; readonly exporter: string; readonly importer: string; readonly side: 'receivable' | 'payable'; readonly amountMinor: bigint; readonly currency: string; readonly due: string }[];
  readonly gross: readonly { readonly currency: string; readonly receivableMinor: bigint; readonly payableMinor: bigint; readonly invoices: number }[];
  readonly rates: readonly LockedRate[];
  /** Positive: the member receives; negative: it pays. */
  readonly netSats: bigint;
  readonly transfers: readonly SettlementTransfer[];
}

/**
 * A member's statement for a cycle.
 * @throws NOT_FOUND (cycle or member; also a member asking for another's), FORBIDDEN
 */
export async function memberStatement(deps: Pick<SettlementDeps, 'settlement'>, by: SettlementActor, cycleId: string, memberCode: string): Promise<MemberStatement> {
  if (by.member !== null && by.member !== memberCode.trim()) throw new DomainError('FORBIDDEN', `member ${by.member} reads only its own statement`);
  const member = await requireMember(deps, memberCode);
  const cycle = await showCycle(deps, cycleId);
  const invoices: StoredInvoice[] = await deps.settlement.invoices({ cycleId: cycle.id, member: member.code });
  return {
    cycle: { id: cycle.id, cutoff: cycle.cutoff, status: cycle.status, mode: cycle.mode },
    member: member.code,
    invoices: invoices.map((i) => ({ reference: i.reference, exporter: i.exporter, importer: i.importer, side: i.exporter === member.code ? 'receivable' : 'payable', amountMinor: i.amountMinor, currency: i.currency, due: i.dueDate })),
    gross: cycle.gross.filter((g) => g.member === member.code).map((g) => ({ currency: g.currency, receivableMinor: g.receivableMinor, payableMinor: g.payableMinor, invoices: g.invoices })),
    rates: cycle.rates,
    netSats: cycle.positions.find((p) => p.member === member.code)?.sats ?? 0n,
    transfers: cycle.transfers.filter((t) => t.from === member.code || t.to === member.code),
  };
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** A member statement as CSV: one `invoice` row per invoice, then `rate`, `net` and `transfer` rows. */
export function memberStatementCsv(s: MemberStatement): string {
  const rows: string[][] = [['kind', 'cycle', 'member', 'reference', 'exporter', 'importer', 'side', 'amount_minor', 'currency', 'due', 'sats', 'source']];
  for (const i of s.invoices) rows.push(['invoice', s.cycle.id, s.member, i.reference, i.exporter, i.importer, i.side, i.amountMinor.toString(), i.currency, i.due, '', '']);
  for (const r of s.rates) rows.push(['rate', s.cycle.id, s.member, '', '', '', '', r.btcPriceMinor.toString(), r.currency, s.cycle.cutoff, '', r.source]);
  rows.push(['net', s.cycle.id, s.member, '', '', '', s.netSats >= 0n ? 'receives' : 'pays', '', '', '', s.netSats.toString(), '']);
  for (const t of s.transfers) rows.push(['transfer', s.cycle.id, s.member, '', t.from, t.to, t.from === s.member ? 'pays' : 'receives', '', '', '', t.sats.toString(), '']);
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export interface AllianceCycleView {
  readonly id: string;
  readonly cutoff: string;
  readonly status: string;
  readonly mode: string;
  readonly invoices: number;
  /** Σ invoice values at the locked rates, in sats (what would move invoice by invoice). */
  readonly grossSats: bigint;
  /** Σ of the net receivers' positions: what actually moves. */
  readonly settledSats: bigint;
  /** 1 − settled / gross, in basis points (10000 = everything netted away). */
  readonly nettingEfficiencyBp: number;
  readonly transfers: number;
  /** Invoice-by-invoice payments avoided: invoices − transfers. */
  readonly transfersSaved: number;
}

/** Gross vs settled per cycle, and the totals. */
export function allianceCycleView(c: StoredCycle): AllianceCycleView {
  const byCurrency = new Map<string, bigint>();
  let twice = 0;
  for (const g of c.gross) {
    byCurrency.set(g.currency, (byCurrency.get(g.currency) ?? 0n) + g.receivableMinor);
    twice += g.invoices;
  }
  let grossSats = 0n;
  for (const [currency, minor] of byCurrency) {
    const r = c.rates.find((x) => x.currency === currency);
    if (r) grossSats += (minor * SATS_PER_BTC) / r.btcPriceMinor;
  }
  const settledSats = c.positions.reduce((s, p) => (p.sats > 0n ? s + p.sats : s), 0n);
  const invoices = twice / 2;
  return {
    id: c.id, cutoff: c.cutoff, status: c.status, mode: c.mode, invoices, grossSats, settledSats,
    nettingEfficiencyBp: grossSats === 0n ? 0 : Number(10000n - (settledSats * 10000n) / grossSats),
    transfers: c.transfers.length, transfersSaved: invoices - c.transfers.length,
  };
}

export async function allianceView(deps: Pick<SettlementDeps, 'settlement'>, by: SettlementActor): Promise<{ cycles: AllianceCycleView[]; totals: { invoices: number; grossSats: bigint; settledSats: bigint; nettingEfficiencyBp: number; transfers: number; transfersSaved: number } }> {
  if (by.member !== null) throw new DomainError('FORBIDDEN', 'the alliance view is the administrator\'s; a member reads its own statements');
  const cycles = (await deps.settlement.cycles()).filter((c) => c.status !== 'rescinded').map(allianceCycleView);
  const grossSats = cycles.reduce((s, c) => s + c.grossSats, 0n);
  const settledSats = cycles.reduce((s, c) => s + c.settledSats, 0n);
  const invoices = cycles.reduce((s, c) => s + c.invoices, 0);
  const transfers = cycles.reduce((s, c) => s + c.transfers, 0);
  return { cycles, totals: { invoices, grossSats, settledSats, nettingEfficiencyBp: grossSats === 0n ? 0 : Number(10000n - (settledSats * 10000n) / grossSats), transfers, transfersSaved: invoices - transfers } };
}
