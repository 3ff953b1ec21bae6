/**
 * The alliance's settlement, public (issue #16 item 7, "alliance view"): GET /public/settlement —
 * every cycle with its cutoff, mode and status in plain terms (settled, rescinded, open, paying in,
 * paying out), the members' net positions, the transfers netting asked for, the on-chain evidence
 * (pay-in, payout and refund txids with their confirmations), the defaulters of a rescinded cycle,
 * and the netting efficiency: gross invoice value vs value settled, and transfers saved.
 *
 * Member-state figures are public in this design (the alliance view); invoices are NOT: no invoice
 * reference, counterparty reference or single invoice amount appears — only each cycle's gross per
 * currency and its invoice count. No address either (a member's receive addresses stay its own).
 *
 * Cached like the other public answers: computed once per answer of the (cached) public view, so a
 * live event or the cache's age makes it fresh. Exists on every server (empty without a settlement
 * store), so the dashboard never meets a 404.
 */
import type { PublicReserveView } from '../../core/transparency/public-view.ts';
import type { SettlementStore, StoredCycle } from '../../core/settlement/store-port.ts';
import type { OnchainCycle, SettlementOnchainStore } from '../../core/settlement/onchain-store.ts';
import type { SpendStore } from '../../core/spend/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { allianceCycleView } from '../../app/settlement/statement.ts';
import type { ApiRoute } from '../registry.ts';
import { isoDate, satsString, txid } from '../schemas.ts';

export interface SettlementPublicDeps {
  /** The cycle store (members, cycles); without it the answer is empty. */
  readonly cycles: SettlementStore | null;
  /** The on-chain phase (pay-ins, payout, refund); without it cycles are listed without transactions. */
  readonly onchain?: SettlementOnchainStore | null | undefined;
  /** The alliance vault's transactions and tip (confirmations). */
  readonly vaults?: VaultStore | null | undefined;
  /** The payout and refund proposals (their txids). */
  readonly spends?: SpendStore | null | undefined;
  /** The (cached) public view: the key the answer is cached on. */
  readonly publicView?: PublicReserveView | undefined;
}

export const PUBLIC_SETTLEMENT_STATUSES = ['settled', 'rescinded', 'open', 'paying-in', 'paying-out', 'refunding'] as const;
export type PublicSettlementStatus = (typeof PUBLIC_SETTLEMENT_STATUSES)[number];

export interface PublicTxRef { readonly txid: string; readonly confirmations: number }

export interface PublicSettlementCycle {
  readonly id: string;
  readonly cutoff: string;
  readonly mode: 'escrow' | 'direct';
  readonly status: PublicSettlementStatus;
  readonly positions: Array<{ member: string; sats: string }>;
  readonly transfers: Array<{ from: string; to: string; sats: string }>;
  readonly payIns: Array<{ payer: string; sats: string; status: string; tx: PublicTxRef | null }>;
  readonly payout: { tx: PublicTxRef | null; payments: Array<{ member: string; sats: string }> } | null;
  readonly refund: { tx: PublicTxRef | null; payments: Array<{ member: string; sats: string }> } | null;
  readonly defaulters: string[];
  readonly invoices: number;
  readonly gross: Array<{ currency: string; minor: string }>;
  readonly grossSats: string;
  readonly settledSats: string;
  readonly nettingEfficiencyBp: number;
  readonly transfersSaved: number;
}

export interface PublicSettlementAnswer {
  readonly members: Array<{ code: string; state: string; institution: string; currency: string }>;
  readonly cycles: PublicSettlementCycle[];
  readonly totals: { cycles: number; settled: number; rescinded: number; invoices: number; gross: Array<{ currency: string; minor: string }>; grossSats: string; settledSats: string; nettingEfficiencyBp: number; transfers: number; transfersSaved: number };
}

const EMPTY: PublicSettlementAnswer = { members: [], cycles: [], totals: { cycles: 0, settled: 0, rescinded: 0, invoices: 0, gross: [], grossSats: '0', settledSats: '0', nettingEfficiencyBp: 0, transfers: 0, transfersSaved: 0 } };

function statusOf(c: StoredCycle, o: OnchainCycle | undefined): PublicSettlementStatus {
  if (c.status === 'settled') return 'settled';
  if (c.status === 'rescinded') return 'rescinded';
  if (!o) return 'open';
  return o.phase === 'collecting' ? 'paying-in' : o.phase === 'payout-proposed' ? 'paying-out' : 'refunding';
}

function grossOf(c: StoredCycle): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const g of c.gross) m.set(g.currency, (m.get(g.currency) ?? 0n) + g.receivableMinor);
  return m;
}

const grossList = (m: Map<string, bigint>): Array<{ currency: string; minor: string }> => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, minor]) => ({ currency, minor: minor.toString() }));

/**
 * The public answer, from the stores as they are.
 * @example await publicSettlementAnswer({ cycles, onchain, vaults, spends })
 */
export async function publicSettlementAnswer(deps: SettlementPublicDeps): Promise<PublicSettlementAnswer> {
  const store = deps.cycles;
  if (!store) return EMPTY;
  const members = (await store.members()).filter((m) => m.status === 'active');
  const stored = [...(await store.cycles())].sort((a, b) => a.cutoff.localeCompare(b.cutoff) || a.seq - b.seq);
  const onchain = new Map((deps.onchain ? await deps.onchain.cycles() : []).map((o) => [o.cycleId, o]));
  // Confirmations from the alliance vaults' stored transactions and tips (what sync saw).
  const heights = new Map<string, { height: number | null; tip: number }>();
  if (deps.vaults) {
    for (const vaultId of new Set([...onchain.values()].flatMap((o) => (o.vaultId === null ? [] : [o.vaultId])))) {
      const tip = (await deps.vaults.tipCheckpoint(vaultId))?.height ?? 0;
      for (const t of await deps.vaults.transactions(vaultId)) heights.set(t.txid, { height: t.height, tip });
    }
  }
  const txRef = (id: string | null): PublicTxRef | null => {
    if (id === null) return null;
    const h = heights.get(id);
    return { txid: id, confirmations: h && h.height !== null && h.height <= h.tip ? h.tip - h.height + 1 : 0 };
  };
  const proposalTx = async (proposalId: number | null): Promise<PublicTxRef | null> => {
    if (proposalId === null || !deps.spends) return null;
    const p = await deps.spends.proposal(proposalId);
    return p?.txid ? txRef(p.txid) : null;
  };
  const cycles: PublicSettlementCycle[] = [];
  for (const c of stored) {
    const o = onchain.get(c.id);
    const view = allianceCycleView(c);
    const payIns = o && deps.onchain ? await deps.onchain.payIns(c.id) : [];
    const planned = o && deps.onchain ? await deps.onchain.transfers(c.id) : [];
    const payments = (kind: 'payout' | 'refund'): Array<{ member: string; sats: string }> => planned.filter((p) => p.kind === kind).map((p) => ({ member: p.member, sats: p.sats.toString() }));
    cycles.push({
      id: c.id,
      cutoff: c.cutoff,
      mode: c.mode,
      status: statusOf(c, o),
      positions: c.positions.map((p) => ({ member: p.member, sats: p.sats.toString() })),
      transfers: c.transfers.map((t) => ({ from: t.from, to: t.to, sats: t.sats.toString() })),
      payIns: payIns.map((p) => ({ payer: p.payer, sats: p.sats.toString(), status: p.status, tx: txRef(p.txid) })),
      payout: o && o.payoutProposalId !== null ? { tx: await proposalTx(o.payoutProposalId), payments: payments('payout') } : null,
      refund: o && o.refundProposalId !== null ? { tx: await proposalTx(o.refundProposalId), payments: payments('refund') } : null,
      defaulters: o ? [...o.defaulters] : [],
      invoices: view.invoices,
      gross: grossList(grossOf(c)),
      grossSats: view.grossSats.toString(),
      settledSats: view.settledSats.toString(),
      nettingEfficiencyBp: view.nettingEfficiencyBp,
      transfersSaved: view.transfersSaved,
    });
  }
  // Totals over the cycles that stand (a rescinded cycle's invoices are netted again elsewhere).
  const standing = stored.filter((c) => c.status !== 'rescinded');
  const views = standing.map(allianceCycleView);
  const gross = new Map<string, bigint>();
  for (const c of standing) for (const [k, v] of grossOf(c)) gross.set(k, (gross.get(k) ?? 0n) + v);
  const grossSats = views.reduce((s, v) => s + v.grossSats, 0n);
  const settledSats = views.reduce((s, v) => s + v.settledSats, 0n);
  const invoices = views.reduce((s, v) => s + v.invoices, 0);
  const transfers = views.reduce((s, v) => s + v.transfers, 0);
  return {
    members: members.map((m) => ({ code: m.code, state: m.state, institution: m.institution, currency: m.currency })),
    cycles,
    totals: {
      cycles: stored.length,
      settled: cycles.filter((c) => c.status === 'settled').length,
      rescinded: cycles.filter((c) => c.status === 'rescinded').length,
      invoices,
      gross: grossList(gross),
      grossSats: grossSats.toString(),
      settledSats: settledSats.toString(),
      nettingEfficiencyBp: grossSats === 0n ? 0 : Number(10000n - (settledSats * 10000n) / grossSats),
      transfers,
      transfersSaved: invoices - transfers,
    },
  };
}

// ---- schema -----------------------------------------------------------------------------------

const member = { type: 'string', description: 'alliance member code' } as const;
const minor = { type: 'string', pattern: '^[0-9]+$', description: 'minor units of the currency, as a decimal string' } as const;
const grossItems = { type: 'array', items: { type: 'object', required: ['currency', 'minor'], properties: { currency: { type: 'string' }, minor } } } as const;
const txRefSchema = { type: ['object', 'null'], required: ['txid', 'confirmations'], properties: { txid, confirmations: { type: 'integer', minimum: 0 } } } as const;
const payments = { type: 'array', items: { type: 'object', required: ['member', 'sats'], properties: { member, sats: satsString } } } as const;
const bp = { type: 'integer', description: '1 − settled / gross, in basis points (10000 = everything netted away)' } as const;

const cycleSchema = {
  type: 'object',
  required: ['id', 'cutoff', 'mode', 'status', 'positions', 'transfers', 'payIns', 'payout', 'refund', 'defaulters', 'invoices', 'gross', 'grossSats', 'settledSats', 'nettingEfficiencyBp', 'transfersSaved'],
  properties: {
    id: { type: 'string' },
    cutoff: isoDate,
    mode: { type: 'string', enum: ['escrow', 'direct'] },
    status: { type: 'string', enum: [...PUBLIC_SETTLEMENT_STATUSES], description: 'settled: the payout confirmed; rescinded: a payer missed the pay-in deadline, pay-ins refunded; open: closed, not yet on chain; paying-in / paying-out / refunding: on chain, under way' },
    positions: { type: 'array', items: { type: 'object', required: ['member', 'sats'], properties: { member, sats: { ...satsString, description: 'net position: positive receives, negative pays' } } } },
    transfers: { type: 'array', items: { type: 'object', required: ['from', 'to', 'sats'], properties: { from: member, to: member, sats: satsString } } },
    payIns: { type: 'array', items: { type: 'object', required: ['payer', 'sats', 'status', 'tx'], properties: { payer: member, sats: satsString, status: { type: 'string', enum: ['pending', 'seen', 'confirmed'] }, tx: txRefSchema } } },
    payout: { type: ['object', 'null'], required: ['tx', 'payments'], properties: { tx: txRefSchema, payments } },
    refund: { type: ['object', 'null'], required: ['tx', 'payments'], properties: { tx: txRefSchema, payments } },
    defaulters: { type: 'array', items: member, description: 'who missed the pay-in deadline' },
    invoices: { type: 'integer', minimum: 0 },
    gross: { ...grossItems, description: 'the cycle\'s invoices added up per currency (no single invoice is published)' },
    grossSats: { ...satsString, description: 'the invoices at the locked rates: what would move invoice by invoice' },
    settledSats: { ...satsString, description: 'what moves: the net receivers\' positions added up' },
    nettingEfficiencyBp: bp,
    transfersSaved: { type: 'integer', description: 'invoices − transfers' },
  },
} as const;

const answerSchema = {
  type: 'object',
  required: ['members', 'cycles', 'totals'],
  properties: {
    members: { type: 'array', items: { type: 'object', required: ['code', 'state', 'institution', 'currency'], properties: { code: member, state: { type: 'string' }, institution: { type: 'string' }, currency: { type: 'string' } } } },
    cycles: { type: 'array', items: cycleSchema, description: 'oldest cutoff first' },
    totals: {
      type: 'object',
      required: ['cycles', 'settled', 'rescinded', 'invoices', 'gross', 'grossSats', 'settledSats', 'nettingEfficiencyBp', 'transfers', 'transfersSaved'],
      description: 'over every cycle that was not rescinded',
      properties: {
        cycles: { type: 'integer' }, settled: { type: 'integer' }, rescinded: { type: 'integer' }, invoices: { type: 'integer' }, gross: grossItems,
        grossSats: satsString, settledSats: satsString, nettingEfficiencyBp: bp, transfers: { type: 'integer' }, transfersSaved: { type: 'integer' },
      },
    },
  },
} as const;

export function settlementPublicRoutes(deps: SettlementPublicDeps): ApiRoute[] {
  // Computed once per answer of the cached public view (a new object after a live event or when old).
  const answers = new WeakMap<object, Promise<PublicSettlementAnswer>>();
  const cached = async (): Promise<PublicSettlementAnswer> => {
    const view = deps.publicView;
    if (!view) return publicSettlementAnswer(deps);
    const summary = await view.summary();
    const hit = answers.get(summary);
    if (hit) return hit;
    const value = publicSettlementAnswer(deps);
    answers.set(summary, value);
    value.catch(() => answers.delete(summary));
    return value;
  };
  return [
    {
      method: 'GET',
      path: '/public/settlement',
      permission: 'public.read',
      tag: 'settlement',
      rateLimited: true,
      summary: 'The alliance\'s settlement cycles: status (settled, rescinded, …), members\' net positions, transfers, pay-in / payout / refund txids with confirmations, defaulters, gross value vs value settled and transfers saved; no invoice is published',
      schema: { response: { 200: answerSchema } },
      async handler() {
        return deps.cycles === null ? EMPTY : cached();
      },
    },
  ];
}
