/**
 * The statements (issue #13, item 5): holdings, lots, P&L and risk of the alliance's vaults at a
 * day, computed from the confirmed history (history.ts), the stored purchase records and methods,
 * and a rate book (the shipped price files by default). Nothing here writes: each report is the
 * books recomputed (see history.ts for why, and what a reorg does); `movementsStatement` can read the
 * stored ledger instead (ledger-book.ts). Balance sheet, movements per period, and every statement's
 * printable layout (statement-documents.ts) come from the same objects as the JSON and CSV.
 *
 * A vault with no recorded method is kept FIFO and the report says "fifo (default)"; a vault whose
 * method changed over time uses, on each day, the method recorded for it (`methodSchedule`).
 */
import { DomainError } from '../../core/errors.ts';
import { accountKey, assertBalanced, buildLedger, ledgerBalances, type AccountingTx } from '../../core/accounting/ledger.ts';
import { computeCostBasis, realisedPnl, receiptOutputs, unrealisedPnl, type CostBasis, type PriceOnDay } from '../../core/accounting/cost-basis.ts';
import { matchPurchases, type PurchaseMatching } from '../../core/accounting/purchases.ts';
import type { RateBook } from '../../core/accounting/reference-rate.ts';
import { riskReport, riskSentences, type NationalFigure, type RiskReport } from '../../core/accounting/risk.ts';
import type { CostBasisMethod, Fiat, LedgerEntry } from '../../core/accounting/types.ts';
import { roundDiv, valuationAt, type Valuation } from '../../core/accounting/valuation.ts';
import { FROM_THE_START, type CostMethodChange, type StoredPurchase } from '../../core/accounting/ports.ts';
import type { Vault } from '../../core/vault/types.ts';
import { SATS_PER_BTC } from '../../core/money.ts';
import { coded, type CodedSentence } from '../../core/text/coded-sentence.ts';
import { accountingHistory, balancesByDay } from './history.ts';
import type { AccountingDeps } from './purchases.ts';

export interface BooksOptions {
  /** The books at the end of this UTC day (default: today). */
  readonly at: string;
  /** Only this vault in the statement (the books are still computed over every vault: transfers). */
  readonly vault?: string | undefined;
  /** Reporting currency (default USD). Purchase records paid in another currency are refused. */
  readonly currency?: string | undefined;
}

export interface Books {
  readonly at: string;
  readonly currency: string;
  readonly vaults: readonly { readonly id: string; readonly name: string; readonly method: CostBasisMethod; readonly methodRecorded: boolean }[];
  readonly shown: readonly string[];
  readonly history: readonly AccountingTx[];
  readonly ledger: readonly LedgerEntry[];
  readonly purchases: readonly StoredPurchase[];
  readonly matching: PurchaseMatching;
  readonly basis: CostBasis;
  readonly valuation: Valuation;
  readonly notices: readonly string[];
  /** The same notices, coded for pages in other languages (same order). */
  readonly noticeCodes: readonly CodedSentence[];
  readonly book: RateBook;
  /** Every cost-basis method recorded, with its effective day (the vaults' `method` is the one of `at`). */
  readonly methodChanges?: readonly CostMethodChange[];
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The price of one BTC in `currency` on `date` (through USD and the rate when needed). A day the
 * price files do not reach yet takes the latest earlier price, and `late` records it so the report
 * says so (a receipt valued at an old price is flagged, never silently priced).
 */
function priceOnDay(book: RateBook, currency: string, late: Map<string, string>): PriceOnDay {
  return (date) => {
    try {
      const v = valuationAt(book, [], date, currency);
      if (v.price.date !== date) late.set(date, v.price.date);
      else if (v.price.fx?.stale) late.set(date, `${v.price.date} through the US dollar rate of ${v.price.fx.date}`);
      return { date, currency, minorPerBtc: v.price.minorPerBtc };
    } catch (e) {
      if (e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE') return null;
      throw e;
    }
  };
}

/**
 * Compute the books at `opts.at`.
 * @throws INVALID_ARGUMENT (bad day, record in another currency), VAULT_NOT_FOUND, PRICE_UNAVAILABLE
 */
export async function computeBooks(deps: AccountingDeps & { readonly book: RateBook }, opts: BooksOptions): Promise<Books> {
  if (!DAY_RE.test(opts.at) || Number.isNaN(Date.parse(`${opts.at}T00:00:00Z`))) throw new DomainError('INVALID_ARGUMENT', `--at must be a day YYYY-MM-DD, got "${opts.at}"`);
  const currency = (opts.currency ?? 'USD').toUpperCase();
  const all: Vault[] = await deps.vaults.listVaults();
  let shown = all.map((v) => v.id);
  if (opts.vault !== undefined) {
    const v = await deps.vaults.findVault(opts.vault);
    if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault "${opts.vault}" (see "soberana vault list")`);
    shown = [v.id];
  }
  const methodChanges = await deps.accounting.costMethodChanges();
  const methodOn = methodSchedule(methodChanges);
  const vaults = all.map((v) => ({ id: v.id, name: v.name, method: methodOn(v.id, opts.at) ?? 'fifo', methodRecorded: methodOn(v.id, opts.at) !== undefined }));
  const fullHistory = await accountingHistory(deps.vaults, all);
  const history = fullHistory.filter((t) => t.date <= opts.at);
  const ledger = buildLedger(history);
  assertBalanced(ledger);
  const late = new Map<string, string>();
  const converted = new Set<string>();
  const purchases = (await deps.accounting.purchases()).filter((p) => p.date <= opts.at).map((p) => {
    // A record paid in another currency the rate book has (USD always): converted at the ratio of
    // the day's BTC prices in the two currencies (the historical rate of the purchase day).
    if (p.paid === null || p.paid.currency === currency || (p.paid.currency !== 'USD' && !deps.book.btc.has(p.paid.currency) && !deps.book.fx.has(p.paid.currency))) return p;
    const to = priceOnDay(deps.book, currency, late)(p.date);
    const from = priceOnDay(deps.book, p.paid.currency, new Map())(p.date);
    if (to === null || from === null) throw new DomainError('PRICE_UNAVAILABLE', `no ${currency} and ${p.paid.currency} prices for ${p.date} to convert purchase record ${p.id}`);
    converted.add(p.paid.currency);
    return { ...p, paid: { currency, minor: roundDiv(p.paid.minor * to.minorPerBtc, from.minorPerBtc) } };
  });
  const matching = matchPurchases(purchases, receiptOutputs(history));
  const basis = computeCostBasis({
    history, methods: Object.fromEntries(vaults.map((v) => [v.id, 'fifo' as const])), methodOn, price: priceOnDay(deps.book, currency, late), currency,
    purchases: { records: purchases, matches: matching.matches }, until: opts.at,
  });
  const valuation = valuationAt(deps.book, balancesByDay(history, shown), opts.at, currency);
  const notices = [...valuation.notices];
  const noticeCodes = [...valuation.noticeCodes];
  for (const c of [...converted].sort()) {
    notices.push(`purchase records paid in ${c} are converted to ${currency} at the ratio of their day's BTC prices (BTC/${currency} ÷ BTC/${c})`);
    noticeCodes.push(coded('purchases-converted', { from: c, to: currency }));
  }
  for (const [day, used] of [...late.entries()].sort()) {
    notices.push(`the movements of ${day} are valued at the ${currency} price of ${used}, the latest the price and rate files have`);
    noticeCodes.push(coded('movements-at-latest-price', { day, currency, used }));
  }
  for (const v of vaults) {
    const changes = methodChanges.filter((c) => c.vaultId === v.id && c.effectiveFrom !== FROM_THE_START && c.effectiveFrom <= opts.at);
    if (changes.length > 0 && shown.includes(v.id)) {
      notices.push(`vault ${v.id} changed its cost-basis method: ${describeSchedule(methodChanges.filter((c) => c.vaultId === v.id), opts.at)}`);
      noticeCodes.push(coded('method-changed', { vault: v.id, name: v.name, method: v.method }));
    }
  }
  return { at: opts.at, currency, vaults, shown, history, ledger, purchases, matching, basis, valuation, notices, noticeCodes, book: deps.book, methodChanges };
}

/**
 * A vault's method on a day, from its recorded changes: among the changes effective on or before
 * the day, the one recorded last (so a method recorded without a day, from the start, replaces the
 * whole history; one with a day applies from that day on). undefined: none recorded (FIFO by default).
 */
export function methodSchedule(changes: readonly CostMethodChange[]): (vaultId: string, date: string) => CostBasisMethod | undefined {
  const by = new Map<string, CostMethodChange[]>();
  for (const c of changes) {
    const list = by.get(c.vaultId);
    if (list) list.push(c);
    else by.set(c.vaultId, [c]);
  }
  return (vaultId, date) => {
    let best: CostMethodChange | undefined;
    for (const c of by.get(vaultId) ?? []) if (c.effectiveFrom <= date && (best === undefined || c.seq > best.seq)) best = c;
    return best?.method;
  };
}

/** "fifo from the start, average from 2025-01-01" (the methods in force over time up to `at`). */
export function describeSchedule(changes: readonly CostMethodChange[], at: string): string {
  const on = methodSchedule(changes);
  const days = [...new Set([FROM_THE_START, ...changes.map((c) => c.effectiveFrom)])].filter((d) => d <= at).sort();
  const parts: string[] = [];
  let last: string | undefined;
  for (const d of days) {
    const m = on(changes[0]?.vaultId ?? '', d) ?? 'fifo';
    if (m !== last) parts.push(`${m} ${d === FROM_THE_START ? 'from the start' : `from ${d}`}`);
    last = m;
  }
  return parts.join(', ');
}

/** Average cost of one BTC (minor units), or null for no holdings. */
export function averageCost(cost: Fiat, sats: bigint): Fiat | null {
  return sats === 0n ? null : { currency: cost.currency, minor: (2n * cost.minor * SATS_PER_BTC + sats) / (2n * sats) };
}

/** Per shown vault and in total: sats, cost, value, unrealised P&L, average cost, method, purchase coverage. */
export function holdingsStatement(b: Books) {
  const price = { date: b.valuation.price.date, currency: b.currency, minorPerBtc: b.valuation.price.minorPerBtc };
  const u = unrealisedPnl({ ...b.basis, vaults: b.basis.vaults.filter((v) => b.shown.includes(v.vaultId)) }, price);
  const names = new Map(b.vaults.map((v) => [v.id, v]));
  const shownLots = b.basis.open.filter((o) => b.shown.includes(o.lot.vaultId));
  const vaults = b.shown.map((id) => {
    const v = u.vaults.find((x) => x.vaultId === id);
    const meta = names.get(id);
    const sats = v?.sats ?? 0n;
    const cost = v?.cost ?? { currency: b.currency, minor: 0n };
    const value = v?.value ?? { currency: b.currency, minor: 0n };
    const lots = shownLots.filter((o) => o.lot.vaultId === id);
    return {
      vault: id, name: meta?.name ?? id, method: meta?.method ?? 'fifo', methodRecorded: meta?.methodRecorded ?? false,
      sats, cost, value, unrealisedPnl: { currency: b.currency, minor: value.minor - cost.minor }, averageCost: averageCost(cost, sats),
      openLots: lots.length, lotsAtMarketPrice: lots.filter((o) => o.lot.costOrigin.kind === 'market-price').length,
    };
  });
  const sats = vaults.reduce((a, v) => a + v.sats, 0n);
  const cost = { currency: b.currency, minor: vaults.reduce((a, v) => a + v.cost.minor, 0n) };
  const value = { currency: b.currency, minor: vaults.reduce((a, v) => a + v.value.minor, 0n) };
  const ledgerSats = ledgerBalances(b.ledger).filter((x) => x.account.kind === 'asset' && b.shown.includes((x.account as { vaultId: string }).vaultId)).reduce((a, x) => a + x.sats, 0n);
  if (ledgerSats !== sats) throw new RangeError(`holdings: the ledger's asset accounts hold ${ledgerSats} sats, the lots ${sats}`);
  return {
    at: b.at, currency: b.currency, vaults,
    total: { sats, cost, value, unrealisedPnl: { currency: b.currency, minor: value.minor - cost.minor }, averageCost: averageCost(cost, sats) },
    price: b.valuation.price, stale: b.valuation.stale, notices: b.notices, method: b.valuation.method,
    purchases: {
      records: b.purchases.length, matched: b.matching.matches.length, unmatchedRecords: b.matching.unmatchedRecords.map((r) => r.id),
      receiptsWithoutRecord: b.matching.unmatchedReceipts.filter((r) => b.shown.includes(r.vaultId)).length,
    },
    ledger: { entries: b.ledger.length, balanced: true },
  };
}

/** Every lot of the shown vaults with what is left of it and how its cost was established. */
export function lotsStatement(b: Books) {
  const open = new Map(b.basis.open.map((o) => [o.lot.id, o]));
  const lots = b.basis.lots.filter((l) => b.shown.includes(l.vaultId)).map((l) => {
    const o = open.get(l.id);
    return {
      id: l.id, vault: l.vaultId, txid: l.txid, vout: l.vout, height: l.height, date: l.date, source: l.source, sats: l.sats, cost: l.cost,
      costOrigin: l.costOrigin, atMarketPrice: l.costOrigin.kind === 'market-price',
      remainingSats: o?.remainingSats ?? 0n, remainingCost: o?.remainingCost ?? { currency: b.currency, minor: 0n },
    };
  });
  const disposals = b.basis.disposals.filter((d) => b.shown.includes(d.vaultId));
  return { at: b.at, currency: b.currency, lots, disposals, notices: b.notices };
}

/** Realised P&L (payments out, fees apart) over [from, at] and unrealised P&L at `at`. */
export function pnlStatement(b: Books, from?: string) {
  const h = holdingsStatement(b);
  const period = from === undefined ? { to: b.at } : { from, to: b.at };
  const r = realisedPnl(b.basis.disposals.filter((d) => b.shown.includes(d.vaultId)), b.currency, period);
  return {
    at: b.at, from: from ?? null, currency: b.currency,
    realised: r,
    unrealised: { sats: h.total.sats, cost: h.total.cost, value: h.total.value, pnl: h.total.unrealisedPnl },
    vaults: h.vaults.map((v) => ({ vault: v.vault, method: v.method, sats: v.sats, cost: v.cost, value: v.value, unrealisedPnl: v.unrealisedPnl, realised: realisedPnl(b.basis.disposals.filter((d) => d.vaultId === v.vault), b.currency, period) })),
    price: h.price, notices: b.notices,
  };
}

/**
 * The risk report of the shown vaults' holdings at `at` (always in USD), and its sentences. A figure
 * in another currency is compared with the reserve valued in that currency (the rate book must have it).
 */
export function riskStatement(b: Books, figures: readonly NationalFigure[] = []): { report: RiskReport; sentences: string[]; notices: readonly string[] } {
  const sats = b.valuation.total.sats;
  const others = [...new Set(figures.map((f) => f.amount.currency))].filter((c) => c !== 'USD');
  const otherValues = others.map((c) => valuationAt(b.book, balancesByDay(b.history, b.shown), b.at, c).total.value);
  const report = riskReport({ asOf: b.at, sats, usd: b.book.usd, figures, otherValues });
  return { report, sentences: riskSentences(report), notices: [...new Set([...b.notices, ...report.notices])] };
}

/** The BTC price of `date` in the books' currency (the latest earlier one), or null when there is none. */
function dayPrice(b: Books, date: string): { date: string; currency: string; minorPerBtc: bigint } | null {
  try {
    const v = valuationAt(b.book, [], date, b.currency);
    return { date: v.price.date, currency: b.currency, minorPerBtc: v.price.minorPerBtc };
  } catch (e) {
    if (e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE') return null;
    throw e;
  }
}

/** Signed sats at a price, rounded half away from zero (the valuation rule). */
function signedValue(sats: bigint, price: { currency: string; minorPerBtc: bigint }): Fiat {
  return { currency: price.currency, minor: roundDiv(sats * price.minorPerBtc, SATS_PER_BTC) };
}

const isShownAsset = (shown: readonly string[]) => (l: LedgerEntry['lines'][number]): boolean => l.account.kind === 'asset' && shown.includes(l.account.vaultId);

/**
 * The balance sheet at the end of `b.at`: each shown vault's asset account in sats, at cost and at
 * value (the dated price), the unrealised difference, and the ledger's counter-accounts (what was
 * acquired by source class, paid out, expensed as fees — for the whole alliance, in sats). The
 * ledger balances: the asset accounts of every vault plus the counter-accounts sum to zero.
 */
export function balanceSheetStatement(b: Books) {
  const h = holdingsStatement(b);
  const balances = ledgerBalances(b.ledger);
  const total = balances.reduce((a, x) => a + x.sats, 0n);
  if (total !== 0n) throw new RangeError(`balance sheet: the ledger's accounts sum to ${total} sats`);
  return {
    at: b.at, currency: b.currency,
    assets: h.vaults.map((v) => ({
      account: `asset:${v.vault}`, vault: v.vault, name: v.name, method: v.method, methodRecorded: v.methodRecorded,
      sats: v.sats, cost: v.cost, value: v.value, unrealisedPnl: v.unrealisedPnl, lotsAtMarketPrice: v.lotsAtMarketPrice,
    })),
    totalAssets: h.total,
    /** Every account of the alliance's ledger at the day (debit > 0), in sats: assets, acquisitions, payments out, fees. */
    accounts: balances.map((x) => ({ account: x.key, kind: x.account.kind, sats: x.sats })),
    ledger: { entries: b.ledger.length, balanced: true, scope: 'alliance' as const },
    price: h.price, stale: h.stale, method: h.method, notices: b.notices,
  };
}

/** A ledger entry as `movementsStatement` reads it: the recomputed ledger, or the stored one (with when it was recorded). */
export type MovementSourceEntry = LedgerEntry & { readonly recordedAtMs?: number | null };

/** What kind of movement an entry is, from its lines. */
function movementKind(e: LedgerEntry): 'reversal' | 'receipt' | 'payment' | 'transfer' {
  if (e.reverses !== null) return 'reversal';
  if (e.lines.some((l) => l.account.kind === 'acquisitions')) return 'receipt';
  if (e.lines.some((l) => l.account.kind === 'payments-out')) return 'payment';
  return 'transfer';
}

/**
 * Every ledger entry dated within [from, at] that touches a shown vault — with its txid, kind,
 * source class (for an acquisition), every line (account, sats) and what the shown vaults' asset
 * accounts moved, valued at the day's price — plus the opening balances (before `from`) and closing
 * balances (at `at`) of the shown asset accounts: opening + movements = closing.
 * `opts.ledger` replaces the recomputed ledger (the stored one keeps reorg reversals: the auditor sees
 * the entry that was reversed and its reversal).
 */
export function movementsStatement(b: Books, opts: { readonly from?: string | undefined; readonly ledger?: readonly MovementSourceEntry[] | undefined } = {}) {
  const from = opts.from ?? null;
  if (from !== null && (!DAY_RE.test(from) || Number.isNaN(Date.parse(`${from}T00:00:00Z`)))) throw new DomainError('INVALID_ARGUMENT', `--from must be a day YYYY-MM-DD, got "${from}"`);
  if (from !== null && from > b.at) throw new DomainError('INVALID_ARGUMENT', `--from ${from} is after the end of the period ${b.at}`);
  const source: readonly MovementSourceEntry[] = (opts.ledger ?? b.ledger).filter((e) => e.date <= b.at);
  const shownAsset = isShownAsset(b.shown);
  const before = source.filter((e) => from !== null && e.date < from);
  const within = source.filter((e) => (from === null || e.date >= from) && e.lines.some(shownAsset));
  const assetBalances = (entries: readonly LedgerEntry[]) => {
    const by = new Map(b.shown.map((id) => [id, 0n]));
    for (const e of entries) for (const l of e.lines) if (l.account.kind === 'asset' && by.has(l.account.vaultId)) by.set(l.account.vaultId, (by.get(l.account.vaultId) as bigint) + l.sats);
    return b.shown.map((id) => ({ vault: id, account: `asset:${id}`, sats: by.get(id) as bigint }));
  };
  const movements = within.map((e) => {
    const assetChange = e.lines.filter(shownAsset).reduce((a, l) => a + l.sats, 0n);
    const p = dayPrice(b, e.date);
    const acq = e.lines.find((l) => l.account.kind === 'acquisitions')?.account;
    return {
      id: e.id, txid: e.txid, height: e.height, date: e.date, kind: movementKind(e),
      source: acq !== undefined && acq.kind === 'acquisitions' ? acq.source : null,
      reverses: e.reverses, memo: e.memo,
      lines: e.lines.map((l) => ({ account: accountKey(l.account), sats: l.sats })),
      assetChange, valueOnDay: p === null ? null : signedValue(assetChange, p), priceDate: p?.date ?? null,
      recordedAtMs: e.recordedAtMs ?? null,
    };
  });
  const opening = assetBalances(before);
  const closing = assetBalances(source);
  const change = movements.reduce((a, m) => a + m.assetChange, 0n);
  const sumOf = (xs: readonly { sats: bigint }[]) => xs.reduce((a, x) => a + x.sats, 0n);
  if (sumOf(opening) + change !== sumOf(closing)) throw new RangeError(`movements: opening ${sumOf(opening)} + movements ${change} ≠ closing ${sumOf(closing)} sats`);
  return {
    from, to: b.at, currency: b.currency, vaults: b.shown, stored: opts.ledger !== undefined,
    opening, movements, closing,
    totals: { entries: movements.length, reversals: movements.filter((m) => m.kind === 'reversal').length, assetChange: change },
    notices: b.notices,
  };
}

/** A national figure as configured (config file `accounting.figures`): minor units of a currency, for a day. */
export interface DatedFigure {
  readonly name: string;
  readonly currency: string;
  readonly minor: bigint;
  readonly minorDigits: number;
  readonly date: string;
  readonly source?: string | undefined;
}

/**
 * The figures to compare the reserve with on `at`: for each name and currency, the latest figure
 * dated on or before `at`. A name with only later figures is left out, and the notices say so.
 * @example figuresForDay([{ name: 'GDP', currency: 'USD', minor: 3_401_500_000_000n, minorDigits: 2, date: '2024-12-31' }], '2025-06-30').figures[0]?.period // '2024-12-31'
 */
export function figuresForDay(configured: readonly DatedFigure[], at: string): { figures: NationalFigure[]; notices: string[] } {
  const best = new Map<string, DatedFigure>();
  const later = new Map<string, DatedFigure>();
  for (const f of configured) {
    const key = `${f.name.toLowerCase()}|${f.currency}`;
    if (f.date <= at) {
      const b = best.get(key);
      if (b === undefined || f.date > b.date) best.set(key, f);
    } else if (!later.has(key) || f.date < (later.get(key) as DatedFigure).date) later.set(key, f);
  }
  const figures = [...best.values()].map((f): NationalFigure => ({ name: f.name, amount: { currency: f.currency, minor: f.minor }, minorDigits: f.minorDigits, period: f.date, ...(f.source !== undefined ? { source: f.source } : {}) }));
  const notices = [...later].filter(([k]) => !best.has(k)).map(([, f]) => `${f.name} (${f.currency}) is configured only for ${f.date}, after ${at}: not compared`);
  return { figures, notices };
}
