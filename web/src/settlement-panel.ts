// Alliance settlement on the public page (issue #16, the alliance view): each cycle with its status
// in plain words (settled; rescinded: who missed the pay-in, what was refunded), the members' net
// positions, the transfers netting asked for, the pay-in / payout / refund transactions linked to
// the configured explorer with a copy button, and the netting efficiency in words ("$X of invoices
// settled by Y transfers instead of Z"). Only what /public/settlement publishes (no invoice). Built
// with the dom helpers only (every text through displaySafe, never innerHTML); amounts formatted
// exactly from the API's strings.
import { api } from './api.ts';
import { h, section, table } from './dom.ts';
import { btc, integer, longDate, money, percent } from './format.ts';
import { t, tn } from './i18n/index.ts';
import { evidence, type Explorer } from './evidence.ts';

interface TxRef { txid: string; confirmations: number }
interface Payments { tx: TxRef | null; payments: Array<{ member: string; sats: string }> }

export interface PublicSettlementCycle {
  id: string;
  cutoff: string;
  mode: 'escrow' | 'direct';
  status: 'settled' | 'rescinded' | 'open' | 'paying-in' | 'paying-out' | 'refunding';
  positions: Array<{ member: string; sats: string }>;
  transfers: Array<{ from: string; to: string; sats: string }>;
  payIns: Array<{ payer: string; sats: string; status: string; tx: TxRef | null }>;
  payout: Payments | null;
  refund: Payments | null;
  defaulters: string[];
  invoices: number;
  gross: Array<{ currency: string; minor: string }>;
  grossSats: string;
  settledSats: string;
  nettingEfficiencyBp: number;
  transfersSaved: number;
}

export interface PublicSettlement {
  members: Array<{ code: string; state: string; institution: string; currency: string }>;
  cycles: PublicSettlementCycle[];
  totals: { cycles: number; settled: number; rescinded: number; invoices: number; gross: Array<{ currency: string; minor: string }>; grossSats: string; settledSats: string; nettingEfficiencyBp: number; transfers: number; transfersSaved: number };
}

/** Basis points as an exact percentage string ("9612" -> "96.12"). */
function bpPercent(bp: number): string {
  const v = Math.max(0, Math.trunc(bp));
  return percent(`${Math.floor(v / 100)}.${String(v % 100).padStart(2, '0')}`);
}

/** The invoices' value in words: each currency's total, exact. */
function grossWords(gross: Array<{ currency: string; minor: string }>, grossSats: string): string {
  return gross.length === 0 ? `${btc(grossSats)} BTC` : gross.map((g) => money(g.minor, g.currency)).join(' + ');
}

/** A txid in full (wrapping), linked to the explorer when one is configured, with a copy button. */
function txEvidence(txid: string, ex: Explorer | null): HTMLElement {
  return evidence('tx', txid, ex, { linkClass: 'settlement-tx-link' });
}

function statusWords(c: PublicSettlementCycle, name: (code: string) => string): string {
  const names = (codes: string[]): string => codes.map(name).join(', ');
  switch (c.status) {
    case 'settled':
      return t('settlement.status.settled');
    case 'rescinded': {
      const refunded = c.refund?.payments.map((p) => p.member) ?? [];
      return [
        t('settlement.status.rescinded', { who: c.defaulters.length > 0 ? names(c.defaulters) : t('settlement.someone') }),
        refunded.length > 0 ? t('settlement.status.refunded', { who: names(refunded) }) : t('settlement.status.nothingRefunded'),
        c.defaulters.length > 0 ? t('settlement.status.renet', { who: names(c.defaulters) }) : '',
      ].filter((s) => s !== '').join(' ');
    }
    case 'paying-in':
      return t('settlement.status.payingIn');
    case 'paying-out':
      return t('settlement.status.payingOut');
    case 'refunding':
      return t('settlement.status.refunding');
    case 'open':
      return t('settlement.status.open');
  }
}

function cycleBlock(c: PublicSettlementCycle, name: (code: string) => string, ex: Explorer | null): HTMLElement {
  const rescinded = c.status === 'rescinded';
  const txHead = [t('settlement.col.what'), t('settlement.col.member'), t('settlement.col.amount'), t('settlement.col.confirmations'), t('settlement.col.tx')];
  const txRows: HTMLElement[][] = [];
  for (const p of c.payIns) {
    txRows.push([
      h('span', {}, t('settlement.tx.payIn')),
      h('span', {}, name(p.payer)),
      h('span', { 'data-sats': p.sats }, `${btc(p.sats)} BTC`),
      h('span', {}, p.tx ? integer(p.tx.confirmations) : '—'),
      p.tx ? txEvidence(p.tx.txid, ex) : h('span', { class: 'muted', 'data-missing': p.payer }, t('settlement.tx.notPaid')),
    ]);
  }
  for (const [kind, block] of [['payout', c.payout], ['refund', c.refund]] as const) {
    if (!block) continue;
    for (const [i, p] of block.payments.entries()) {
      txRows.push([
        h('span', {}, t(kind === 'payout' ? 'settlement.tx.payout' : 'settlement.tx.refund')),
        h('span', {}, name(p.member)),
        h('span', { 'data-sats': p.sats }, `${btc(p.sats)} BTC`),
        h('span', {}, block.tx ? integer(block.tx.confirmations) : '—'),
        i > 0 ? h('span', { class: 'muted' }, t('settlement.tx.same')) : block.tx ? txEvidence(block.tx.txid, ex) : h('span', { class: 'muted' }, t('settlement.tx.notSent')),
      ]);
    }
  }
  return h(
    'div',
    { class: 'settlement-cycle', id: `settlement-cycle-${c.id}`, 'data-status': c.status },
    h('h3', {}, t('settlement.cycle', { id: c.id, date: longDate(c.cutoff) })),
    h('p', { class: rescinded ? 'notice warn settlement-status' : 'settlement-status', ...(rescinded ? { role: 'note' } : {}) }, statusWords(c, name)),
    h(
      'p',
      { class: 'settlement-efficiency' },
      rescinded
        ? t('settlement.efficiency.rescinded', { gross: grossWords(c.gross, c.grossSats), n: integer(c.invoices) })
        : t('settlement.efficiency', { gross: grossWords(c.gross, c.grossSats), y: tn('settlement.transfers', c.transfers.length), z: integer(c.invoices), pct: bpPercent(c.nettingEfficiencyBp) }),
    ),
    table(
      [t('settlement.col.member'), t('settlement.col.net')],
      c.positions.map((p) => [h('span', {}, name(p.member)), h('span', { class: BigInt(p.sats) < 0n ? 'neg' : 'pos', 'data-sats': p.sats }, `${btc(p.sats, { sign: true })} BTC`)]),
      { id: `settlement-nets-${c.id}`, numeric: [1] },
    ),
    c.transfers.length > 0
      ? h('ul', { class: 'settlement-transfers' }, ...c.transfers.map((x) => h('li', {}, t('settlement.transfer', { from: name(x.from), to: name(x.to), btc: btc(x.sats) }))))
      : null,
    txRows.length > 0 ? table(txHead, txRows, { id: `settlement-tx-${c.id}`, numeric: [2, 3] }) : null,
  );
}

/** The panel for this answer, or null when the alliance has no cycle. */
export function settlementPanel(s: PublicSettlement, ex: Explorer | null): HTMLElement | null {
  if (s.cycles.length === 0) return null;
  const states = new Map(s.members.map((m) => [m.code, m.state]));
  const name = (code: string): string => states.get(code) ?? code;
  const tot = s.totals;
  return section(
    t('settlement.title'),
    'settlement',
    h('p', {}, t('settlement.intro')),
    h(
      'p',
      { id: 'settlement-totals', class: 'settlement-efficiency' },
      t('settlement.totals', { settled: integer(tot.settled), rescinded: integer(tot.rescinded) }),
      ' ',
      tot.invoices > 0 ? t('settlement.efficiency', { gross: grossWords(tot.gross, tot.grossSats), y: tn('settlement.transfers', tot.transfers), z: integer(tot.invoices), pct: bpPercent(tot.nettingEfficiencyBp) }) : '',
    ),
    ...[...s.cycles].reverse().map((c) => cycleBlock(c, name, ex)),
  );
}

/** Fetch the public settlement answer and build the panel; null when there is nothing to show or the server offers none. */
export async function settlementSection(ex: Explorer | null): Promise<HTMLElement | null> {
  try {
    return settlementPanel(await api<PublicSettlement>('/public/settlement'), ex);
  } catch {
    return null;
  }
}
