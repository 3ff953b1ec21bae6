/**
 * The books over HTTP (issue #13, item 6): what the reserve cost, what it is worth, what it could
 * lose — the same figures as `soberana report holdings|lots|pnl|risk --json`, computed by the same
 * functions (src/app/accounting/reports.ts) over the same stores.
 *
 * Public (no token, cached, rate limited): `GET /public/books`, a summary of the published vaults
 * (the vaults the public view shows): BTC held, cost basis, average cost, value at a dated price
 * (saying when the price is old), unrealised P&L, the purchases that were announced with a public
 * source, value over time, and the risk in plain words with the method and window of each figure.
 * Purchase records without a source URL are counted in the totals but not listed; lots, their
 * transactions, realised P&L and anything of a vault the public view does not show are for token
 * holders only (`reserve.read`): `GET /books/holdings|lots|pnl|risk?vault=&at=`.
 *
 * Amounts are strings (sats; fiat in minor units with its currency). Ratios that are not money
 * (volatility, VaR as a fraction) are numbers, as in the CLI's JSON.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { toJson } from '../../core/json.ts';
import { formatBtc, SATS_PER_BTC } from '../../core/money.ts';
import type { Clock } from '../../core/ports.ts';
import type { AccountingStore } from '../../core/accounting/ports.ts';
import { addDays, daysBetween, loadRateBook, type RateBook, type ReferenceRateSource } from '../../core/accounting/reference-rate.ts';
import type { RiskReport, RiskWindow } from '../../core/accounting/risk.ts';
import { coded, type CodedSentence } from '../../core/text/coded-sentence.ts';
import type { Fiat } from '../../core/accounting/types.ts';
import { valuationAt } from '../../core/accounting/valuation.ts';
import type { PublicReserveView } from '../../core/transparency/public-view.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { balancesByDay } from '../../app/accounting/history.ts';
import { computeBooks, holdingsStatement, lotsStatement, pnlStatement, riskStatement, type Books } from '../../app/accounting/reports.ts';
import type { ApiRoute } from '../registry.ts';
import { centsString, isoDate, satsString, txid } from '../schemas.ts';

export interface AccountingRouteDeps {
  /** The books' stores and rates; null for a server that keeps no books (the public route then answers null). */
  readonly books: { readonly accounting: AccountingStore; readonly rates: ReferenceRateSource; readonly vaults: VaultStore } | null;
  readonly publicView: PublicReserveView;
  readonly clock: Clock;
}

/** Most points of the public value-over-time series; longer ranges are sampled every k days. */
export const MAX_SERIES_POINTS = 400;

// ---- schemas ----------------------------------------------------------------------------------

const money = {
  type: 'object',
  required: ['currency', 'minor'],
  properties: { currency: { type: 'string', description: 'ISO 4217 code' }, minor: centsString },
} as const;
const moneyOrNull = { ...money, type: ['object', 'null'] } as const;
const windowSchema = {
  type: ['object', 'null'],
  required: ['days', 'observations'],
  description: 'the days a figure was computed on (null: an instant figure)',
  properties: { from: isoDate, to: isoDate, days: { type: 'integer' }, observations: { type: 'integer' } },
} as const;
const priceSchema = {
  type: 'object',
  required: ['currency', 'minorPerBtc', 'date', 'ageDays', 'stale', 'source'],
  properties: {
    currency: { type: 'string' },
    minorPerBtc: { ...centsString, description: 'minor units of the currency per whole BTC' },
    date: { ...isoDate, description: 'the day of the price used (the latest on or before the books\' day)' },
    ageDays: { type: 'integer', description: 'days between the price and the books\' day' },
    stale: { type: 'boolean', description: 'the price is older than a few days: the value says so in the notices' },
    source: { type: 'string' },
  },
} as const;
/** The price a statement used (PriceUsed), with the exchange rate when through the US dollar. */
const priceUsedSchema = {
  ...priceSchema,
  required: [...priceSchema.required, 'route', 'usdMinorPerBtc', 'fx'],
  properties: {
    ...priceSchema.properties,
    route: { type: 'string', enum: ['direct', 'via-usd'] },
    usdMinorPerBtc: { ...centsString, type: ['string', 'null'] },
    fx: {
      type: ['object', 'null'],
      required: ['currency', 'perUsd', 'date', 'ageDays', 'stale', 'frequency', 'source'],
      properties: { currency: { type: 'string' }, perUsd: { type: 'string' }, date: isoDate, ageDays: { type: 'integer' }, stale: { type: 'boolean' }, frequency: { type: 'string' }, source: { type: 'string' } },
    },
  },
} as const;
const realisedSchema = {
  type: 'object',
  required: ['currency', 'proceeds', 'cost', 'pnl', 'feesCost', 'feesValue'],
  properties: { currency: { type: 'string' }, proceeds: money, cost: money, pnl: money, feesCost: money, feesValue: money },
} as const;
/** A sentence as a code and its parameters (core/text/coded-sentence.ts). */
const codedSchema = {
  type: 'object',
  required: ['code', 'params'],
  properties: { code: { type: 'string' }, params: { type: 'object', additionalProperties: true, description: 'named parameters, every value a string (days ISO, amounts in minor units with their currency)' } },
} as const;
const riskLine = {
  type: 'object',
  required: ['kind', 'text', 'method', 'window'],
  properties: {
    kind: { type: 'string', enum: ['value', 'volatility', 'value-at-risk', 'stress', 'drawdown', 'share'] },
    text: { type: 'string', description: 'one sentence in plain words' },
    method: { type: 'string', description: 'how the figure was computed' },
    window: windowSchema,
    said: { ...codedSchema, description: '`text` as a code and its parameters, for pages in other languages' },
    methodSaid: { ...codedSchema, description: '`method` as a code and its parameters' },
  },
} as const;
const vaultBooks = {
  type: 'object',
  required: ['id', 'name', 'method', 'sats', 'btc', 'cost', 'value', 'unrealisedPnl', 'averageCost', 'lotsAtMarketPrice'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    method: { type: 'string', enum: ['fifo', 'specific', 'average'], description: 'the cost-basis method the vault is kept with' },
    sats: satsString,
    btc: { type: 'string' },
    cost: money,
    value: money,
    unrealisedPnl: money,
    averageCost: { ...moneyOrNull, description: 'cost of one BTC; null with no holdings' },
    lotsAtMarketPrice: { type: 'integer', description: 'open lots without a purchase record, costed at the market price of their day' },
  },
} as const;
const totalBooks = {
  type: 'object',
  required: ['sats', 'btc', 'cost', 'value', 'unrealisedPnl', 'averageCost'],
  properties: { sats: satsString, btc: { type: 'string' }, cost: money, value: money, unrealisedPnl: money, averageCost: moneyOrNull },
} as const;
const vaultQuery = { type: 'string', minLength: 1, maxLength: 100, description: 'a vault id or name (default: every vault)' } as const;
const operatorQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vault: vaultQuery,
    at: { ...isoDate, description: 'the books at the end of this UTC day (default: today)' },
    currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'reporting currency (default USD; risk is always in USD)' },
  },
} as const;
const notices = { type: 'array', items: { type: 'string' } } as const;

// ---- wire helpers -----------------------------------------------------------------------------

/** Bigints as decimal strings, the rest unchanged (the CLI's --json form). */
function wire<T>(v: T): unknown {
  return JSON.parse(toJson(v)) as unknown;
}

const fiat = (f: Fiat): { currency: string; minor: string } => ({ currency: f.currency, minor: f.minor.toString() });

function today(clock: Clock): string {
  return new Date(clock.now()).toISOString().slice(0, 10);
}

function checkDay(day: string, field: string): void {
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new DomainError('INVALID_ARGUMENT', `querystring field "${field}" is not a real day: "${day}"`);
  }
}

/** The books restricted to `ids` (the valuation recomputed for them: it is over the shown vaults). */
function restrictTo(b: Books, ids: readonly string[]): Books {
  if (ids.length === b.shown.length && ids.every((id) => b.shown.includes(id))) return b;
  return { ...b, shown: [...ids], valuation: valuationAt(b.book, balancesByDay(b.history, ids), b.at, b.currency) };
}

type RiskKind = 'value' | 'volatility' | 'value-at-risk' | 'stress' | 'drawdown' | 'share';
type WireWindow = { from?: string; to?: string; days: number; observations: number } | null;

/**
 * Each sentence of riskSentences with the method and window of its figure. The sentences come in
 * the report's order (value, volatilities, VaRs, stress scenarios, drawdown, shares).
 */
export function explainedRisk(r: RiskReport, sentences: readonly string[]): { kind: RiskKind; text: string; method: string; window: WireWindow; said: CodedSentence; methodSaid: CodedSentence }[] {
  const w = (x: RiskWindow | { readonly days: number; readonly observations: number } | null): WireWindow => (x === null ? null : { ...x });
  const meta: { kind: RiskKind; method: string; window: WireWindow }[] = [
    { kind: 'value', method: `holdings × the BTC/USD price of ${r.price.date} (${r.price.source})`, window: null },
    ...r.volatility.map((v) => ({ kind: 'volatility' as const, method: v.method, window: w(v.window) })),
    ...r.valueAtRisk.map((v) => ({ kind: 'value-at-risk' as const, method: v.method, window: w(v.window) })),
    ...r.stress.map((s) => ({ kind: 'stress' as const, method: s.method, window: w(s.window) })),
    { kind: 'drawdown', method: r.drawdown.method, window: w(r.drawdown.window) },
    ...r.shares.map((s) => ({ kind: 'share' as const, method: s.method, window: null })),
  ];
  if (meta.length !== sentences.length) throw new RangeError(`explainedRisk: ${sentences.length} sentences for ${meta.length} figures`);
  const said = codedRisk(r);
  if (said.length !== sentences.length) throw new RangeError(`explainedRisk: ${sentences.length} sentences for ${said.length} coded ones`);
  return sentences.map((text, i) => ({ text, ...(meta[i] as (typeof meta)[number]), ...(said[i] as (typeof said)[number]) }));
}

/** A share of one as an exact-enough percentage string with `digits` decimals ("-0.767" -> "-76.7"). */
const pctText = (x: number, digits = 1): string => (x * 100).toFixed(digits);

/**
 * riskSentences (core/accounting/risk.ts) coded, in the same order, with the method of each figure:
 * what a page needs to say them in its own language. Amounts in minor units with their currency.
 */
export function codedRisk(r: RiskReport): { said: CodedSentence; methodSaid: CodedSentence }[] {
  const out: { said: CodedSentence; methodSaid: CodedSentence }[] = [];
  const value = { sats: r.sats, currency: r.value.currency, value: r.value.minor, date: r.price.date };
  out.push({ said: coded(r.price.stale ? 'risk.value.old' : 'risk.value', { ...value, days: r.price.ageDays }), methodSaid: coded('risk.method.value', { date: r.price.date, source: r.price.source }) });
  for (const v of r.volatility) out.push({ said: coded('risk.volatility', { days: v.window.days, to: v.window.to, pct: pctText(v.annualised) }), methodSaid: coded('risk.method.volatility') });
  for (const v of r.valueAtRisk) {
    const c = Math.round(v.confidence * 100);
    const p = { c, tail: 100 - c, currency: v.var.currency, var: v.var.minor, es: v.es.minor, obs: v.window.observations, from: v.window.from, to: v.window.to, horizon: v.horizonDays };
    out.push({ said: coded(v.horizonDays === 1 ? 'risk.var.day' : 'risk.var.days', p), methodSaid: coded('risk.method.var', { n: v.window.observations, horizon: v.horizonDays, c }) });
  }
  for (const s of r.stress) {
    const loss = { currency: s.loss.currency, loss: s.loss.minor };
    switch (s.kind) {
      case 'shock':
        out.push({ said: coded('risk.shock', { pct: pctText(-s.worstChange, 0), ...loss }), methodSaid: coded('risk.method.shock', { pct: pctText(s.worstChange, 0) }) });
        break;
      case 'replay': {
        const w = s.window as RiskWindow;
        const the2022 = s.name === 'a fall like 2022\'s';
        out.push({
          said: coded(the2022 ? 'risk.replay.2022' : 'risk.replay', { name: s.name, pct: pctText(s.worstChange, 0), from: w.from, to: w.to, ...loss }),
          methodSaid: coded('risk.method.replay', { from: w.from, to: w.to }),
        });
        break;
      }
      case 'path':
        out.push({ said: coded('risk.path', { name: s.name, day: s.worstDay, pct: pctText(s.worstChange), ...loss }), methodSaid: coded('risk.method.path') });
        break;
    }
  }
  const d = r.drawdown;
  const peak = { currency: 'USD', price: d.peak.minorPerBtc, date: d.peak.date };
  out.push({ said: d.fall <= 0 ? coded('risk.atPeak', peak) : coded('risk.belowPeak', { ...peak, pct: pctText(d.fall), more: d.belowPeak.minor }), methodSaid: coded('risk.method.drawdown') });
  for (const s of r.shares) {
    out.push({
      said: coded('risk.share', { pct: s.percent, name: s.figure.name, period: s.figure.period ?? '', currency: s.figure.amount.currency, amount: s.figure.amount.minor, digits: s.figure.minorDigits ?? 2 }),
      methodSaid: coded('risk.method.share'),
    });
  }
  return out;
}

/** Daily balances and values of the shown vaults from their first receipt to `at`, every `step` days. */
function valueSeries(b: Books): { step: number; points: { date: string; sats: string; value: string | null; priceDate: string | null }[] } {
  const holdings = balancesByDay(b.history, b.shown);
  const first = holdings.flatMap((h) => h.balances.map((x) => x.date)).sort()[0];
  if (first === undefined || first > b.at) return { step: 1, points: [] };
  const span = daysBetween(first, b.at);
  const step = Math.max(1, Math.ceil((span + 1) / MAX_SERIES_POINTS));
  const days: string[] = [];
  for (let i = 0; i <= span; i += step) days.push(addDays(first, i));
  if (days[days.length - 1] !== b.at) days.push(b.at);
  return {
    step,
    points: days.map((date) => {
      try {
        const v = valuationAt(b.book, holdings, date, b.currency);
        return { date, sats: v.total.sats.toString(), value: v.total.value.minor.toString(), priceDate: v.price.date };
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE')) throw e;
        const sats = holdings.reduce((a, h) => a + (h.balances.filter((x) => x.date <= date).at(-1)?.sats ?? 0n), 0n);
        return { date, sats: sats.toString(), value: null, priceDate: null };
      }
    }),
  };
}

/** One shared load per key, kept for the server's life; a failed load is forgotten (the next request retries). */
function onceByKey<T>(): (key: string, load: () => Promise<T>) => Promise<T> {
  const entries = new Map<string, Promise<T>>();
  return (key, load) => {
    const hit = entries.get(key);
    if (hit) return hit;
    const value = load();
    entries.set(key, value);
    value.catch(() => entries.delete(key));
    return value;
  };
}

// ---- routes -----------------------------------------------------------------------------------

/**
 * The books routes. Without books (`deps.books` null) only `GET /public/books` is offered and
 * answers null, so the dashboard can ask without an error on a server that keeps none.
 */
export function accountingRoutes(deps: AccountingRouteDeps): ApiRoute[] {
  const kept = deps.books;
  const books = onceByKey<RateBook>(); // the rate files, loaded once per currency (as the server loads its price history once)
  // One answer per public-view summary: the cached view hands back the same summary object until its
  // TTL ends or a new block empties it, so the books are recomputed exactly when the public data may have moved.
  const publicAnswers = new WeakMap<object, Map<string, Promise<unknown>>>();
  const publicCache = (summary: object, key: string, load: () => Promise<unknown>): Promise<unknown> => {
    let forSummary = publicAnswers.get(summary);
    if (!forSummary) publicAnswers.set(summary, (forSummary = new Map()));
    const hit = forSummary.get(key);
    if (hit) return hit;
    const value = load();
    forSummary.set(key, value);
    value.catch(() => forSummary.delete(key));
    return value;
  };
  const compute = async (opts: { at: string; vault?: string | undefined; currency: string }): Promise<Books> => {
    if (kept === null) throw new TypeError('accountingRoutes: no books to compute');
    const book = await books(opts.currency, () => loadRateBook(kept.rates, [opts.currency]));
    return computeBooks({ accounting: kept.accounting, vaults: kept.vaults, now: () => deps.clock.now(), book }, opts);
  };

  /** The operator routes' common query: the vault resolved (404 in API words), the day checked. */
  const operatorBooks = async (req: FastifyRequest): Promise<Books> => {
    const q = req.query as { vault?: string; at?: string; currency?: string; from?: string };
    const at = q.at ?? today(deps.clock);
    checkDay(at, 'at');
    if (q.from !== undefined) checkDay(q.from, 'from');
    let vault: string | undefined;
    if (q.vault !== undefined) {
      const v = await kept?.vaults.findVault(q.vault);
      if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault "${q.vault}"`);
      vault = v.id;
    }
    return compute({ at, vault, currency: (q.currency ?? 'USD').toUpperCase() });
  };

  const publicBooks = async (vaultArg: string | undefined): Promise<unknown> => {
    const at = today(deps.clock);
    const summary = await deps.publicView.summary();
    const published = summary.vaults;
    let ids = published.map((v) => v.id);
    if (vaultArg !== undefined) {
      const v = published.find((x) => x.id === vaultArg) ?? published.find((x) => x.name === vaultArg);
      if (!v) throw new DomainError('VAULT_NOT_FOUND', `no published vault "${vaultArg}"`);
      ids = [v.id];
    }
    const key = `${ids.join('\u001f')}|${at}`;
    return publicCache(summary, key, async () => {
      const b = restrictTo(await compute({ at, currency: 'USD' }), ids);
      const h = holdingsStatement(b);
      const names = new Map(published.map((v) => [v.id, v.name]));
      // A record is listed when it was announced with a source and is for (or was matched to a receipt of) a shown vault.
      const receiptVault = new Map<string, string>();
      for (const r of b.basis.lots) receiptVault.set(`${r.txid}:${r.vout}`, r.vaultId);
      const matchedVault = new Map(b.matching.matches.map((m) => [m.recordId, m.receiptIds.map((id) => receiptVault.get(id)).find((x) => x !== undefined) ?? null]));
      const ofShown = b.purchases.map((p) => ({ p, vault: p.vaultId ?? matchedVault.get(p.id) ?? null })).filter((x) => x.vault !== null && b.shown.includes(x.vault));
      const listed = ofShown.filter((x) => x.p.sourceUrl !== null && /^https?:\/\//i.test(x.p.sourceUrl));
      let risk: unknown = null;
      const riskNotices: string[] = [];
      const riskNoticeCodes: CodedSentence[] = [];
      try {
        const r = riskStatement(b);
        risk = { asOf: r.report.asOf, priceDate: r.report.price.date, lines: explainedRisk(r.report, r.sentences) };
        riskNotices.push(...r.report.notices.filter((n) => !h.notices.includes(n)));
        if (r.report.price.stale) riskNoticeCodes.push(coded('risk-measured-old-prices', { to: r.report.price.date, days: r.report.price.ageDays, asOf: r.report.asOf }));
        if (riskNoticeCodes.length !== riskNotices.length) throw new RangeError(`public books: ${riskNotices.length} risk notices for ${riskNoticeCodes.length} coded ones`);
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'PRICE_UNAVAILABLE')) throw e;
        riskNotices.push(`no risk figures: ${e.message}`);
        riskNoticeCodes.push(coded('no-risk-figures'));
      }
      return {
        at: b.at,
        currency: b.currency,
        price: { currency: h.price.currency, minorPerBtc: h.price.minorPerBtc.toString(), date: h.price.date, ageDays: h.price.ageDays, stale: h.stale, source: h.price.source },
        notices: [...h.notices, ...riskNotices],
        noticeCodes: [...b.noticeCodes, ...riskNoticeCodes],
        valuationMethod: h.method,
        valuationMethodCode: h.price.route === 'direct' ? 'valuation.direct' : 'valuation.via-usd',
        total: { sats: h.total.sats.toString(), btc: formatBtc(h.total.sats), cost: fiat(h.total.cost), value: fiat(h.total.value), unrealisedPnl: fiat(h.total.unrealisedPnl), averageCost: h.total.averageCost ? fiat(h.total.averageCost) : null },
        vaults: h.vaults.map((v) => ({
          id: v.vault, name: names.get(v.vault) ?? v.name, method: v.method, sats: v.sats.toString(), btc: formatBtc(v.sats), cost: fiat(v.cost), value: fiat(v.value),
          unrealisedPnl: fiat(v.unrealisedPnl), averageCost: v.averageCost ? fiat(v.averageCost) : null, lotsAtMarketPrice: v.lotsAtMarketPrice,
        })),
        purchases: {
          listed: listed.map(({ p, vault }) => ({
            date: p.date, sats: p.sats.toString(), btc: formatBtc(p.sats), paid: p.paid ? fiat(p.paid) : null,
            pricePerBtc: p.paid ? fiat({ currency: p.paid.currency, minor: (2n * p.paid.minor * SATS_PER_BTC + p.sats) / (2n * p.sats) }) : null,
            counterparty: p.counterparty, sourceUrl: p.sourceUrl as string, vault: vault as string, matched: matchedVault.has(p.id),
          })),
          withheld: ofShown.length - listed.length,
          receiptsWithoutRecord: h.purchases.receiptsWithoutRecord,
        },
        series: valueSeries(b),
        risk,
      };
    });
  };

  const tag = 'books';
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/public/books',
      permission: 'public.read',
      tag: 'public',
      rateLimited: true,
      summary: 'What the reserve cost, what it is worth and what it could lose: cost basis, average cost, value at a dated price, announced purchases, value over time and risk in plain words',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { vault: { ...vaultQuery, description: 'a published vault\'s id or name (default: every published vault)' } } },
        response: {
          200: {
            type: ['object', 'null'],
            description: 'null when this server keeps no books',
            required: ['at', 'currency', 'price', 'notices', 'valuationMethod', 'total', 'vaults', 'purchases', 'series', 'risk'],
            properties: {
              at: { ...isoDate, description: 'the books at the end of this UTC day (today)' },
              currency: { type: 'string' },
              price: priceSchema,
              notices: { ...notices, description: 'what the reader must know: an old price, purchases valued at market price, …' },
              noticeCodes: { type: 'array', items: codedSchema, description: 'the same notices as codes and parameters, in the same order, for pages in other languages' },
              valuationMethod: { type: 'string' },
              valuationMethodCode: { type: 'string', enum: ['valuation.direct', 'valuation.via-usd'], description: '`valuationMethod` as a code' },
              total: totalBooks,
              vaults: { type: 'array', items: vaultBooks },
              purchases: {
                type: 'object',
                required: ['listed', 'withheld', 'receiptsWithoutRecord'],
                properties: {
                  listed: {
                    type: 'array',
                    description: 'purchase records announced with a public source',
                    items: {
                      type: 'object',
                      required: ['date', 'sats', 'btc', 'paid', 'pricePerBtc', 'counterparty', 'sourceUrl', 'vault', 'matched'],
                      properties: {
                        date: isoDate, sats: satsString, btc: { type: 'string' }, paid: { ...moneyOrNull, description: 'fiat paid, null when the announcement gave none' },
                        pricePerBtc: moneyOrNull, counterparty: { type: ['string', 'null'] }, sourceUrl: { type: 'string', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
                        vault: { type: 'string' }, matched: { type: 'boolean', description: 'matched to a receipt on the chain' },
                      },
                    },
                  },
                  withheld: { type: 'integer', description: 'records without a public source: in the totals, not listed' },
                  receiptsWithoutRecord: { type: 'integer', description: 'receipts with no purchase record, costed at the market price of their day' },
                },
              },
              series: {
                type: 'object',
                required: ['step', 'points'],
                properties: {
                  step: { type: 'integer', description: 'days between points (1 = daily; longer ranges are sampled)' },
                  points: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['date', 'sats', 'value', 'priceDate'],
                      properties: { date: isoDate, sats: satsString, value: { ...centsString, type: ['string', 'null'] }, priceDate: { ...isoDate, type: ['string', 'null'] } },
                    },
                  },
                },
              },
              risk: {
                type: ['object', 'null'],
                required: ['asOf', 'priceDate', 'lines'],
                properties: { asOf: isoDate, priceDate: isoDate, lines: { type: 'array', items: riskLine } },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        return kept === null ? null : publicBooks((req.query as { vault?: string }).vault);
      },
    },
    {
      method: 'GET',
      path: '/books/holdings',
      permission: 'reserve.read',
      tag,
      summary: 'Holdings statement at a day: per vault and in total, sats, cost, value, unrealised P&L, average cost, method, purchase coverage (as "soberana report holdings --json")',
      schema: {
        querystring: operatorQuery,
        response: {
          200: {
            type: 'object',
            required: ['at', 'currency', 'vaults', 'total', 'price', 'stale', 'notices', 'method', 'purchases', 'ledger'],
            properties: {
              at: isoDate,
              currency: { type: 'string' },
              vaults: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['vault', 'name', 'method', 'methodRecorded', 'sats', 'cost', 'value', 'unrealisedPnl', 'averageCost', 'openLots', 'lotsAtMarketPrice'],
                  properties: {
                    vault: { type: 'string' }, name: { type: 'string' }, method: { type: 'string' }, methodRecorded: { type: 'boolean' }, sats: satsString,
                    cost: money, value: money, unrealisedPnl: money, averageCost: moneyOrNull, openLots: { type: 'integer' }, lotsAtMarketPrice: { type: 'integer' },
                  },
                },
              },
              total: { type: 'object', required: ['sats', 'cost', 'value', 'unrealisedPnl', 'averageCost'], properties: { sats: satsString, cost: money, value: money, unrealisedPnl: money, averageCost: moneyOrNull } },
              price: priceUsedSchema,
              stale: { type: 'boolean' },
              notices,
              method: { type: 'string' },
              purchases: {
                type: 'object',
                required: ['records', 'matched', 'unmatchedRecords', 'receiptsWithoutRecord'],
                properties: { records: { type: 'integer' }, matched: { type: 'integer' }, unmatchedRecords: { type: 'array', items: { type: 'string' } }, receiptsWithoutRecord: { type: 'integer' } },
              },
              ledger: { type: 'object', required: ['entries', 'balanced'], properties: { entries: { type: 'integer' }, balanced: { type: 'boolean' } } },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        return wire(holdingsStatement(await operatorBooks(req)));
      },
    },
    {
      method: 'GET',
      path: '/books/lots',
      permission: 'reserve.read',
      tag,
      summary: 'Every acquisition lot at a day: its transaction, source, cost and where the cost comes from, what is left of it, and the disposals (as "soberana report lots --json")',
      schema: {
        querystring: operatorQuery,
        response: {
          200: {
            type: 'object',
            required: ['at', 'currency', 'lots', 'disposals', 'notices'],
            properties: {
              at: isoDate,
              currency: { type: 'string' },
              lots: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'vault', 'txid', 'vout', 'height', 'date', 'source', 'sats', 'cost', 'costOrigin', 'atMarketPrice', 'remainingSats', 'remainingCost'],
                  properties: {
                    id: { type: 'string' }, vault: { type: 'string' }, txid, vout: { type: 'integer' }, height: { type: 'integer' }, date: isoDate, source: { type: 'string' },
                    sats: satsString, cost: money,
                    costOrigin: {
                      type: 'object',
                      required: ['kind'],
                      properties: { kind: { type: 'string', enum: ['purchase-record', 'market-price', 'transfer'] }, recordId: { type: 'string' }, priceDate: isoDate, fromVaultId: { type: 'string' }, fromLotId: { type: 'string' } },
                    },
                    atMarketPrice: { type: 'boolean' }, remainingSats: satsString, remainingCost: money,
                  },
                },
              },
              disposals: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['lotId', 'vaultId', 'txid', 'height', 'date', 'sats', 'cost', 'value', 'kind'],
                  properties: { lotId: { type: 'string' }, vaultId: { type: 'string' }, txid, height: { type: 'integer' }, date: isoDate, sats: satsString, cost: money, value: money, kind: { type: 'string', enum: ['payment', 'fee', 'transfer'] } },
                },
              },
              notices,
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        return wire(lotsStatement(await operatorBooks(req)));
      },
    },
    {
      method: 'GET',
      path: '/books/pnl',
      permission: 'reserve.read',
      tag,
      summary: 'Realised P&L (payments out; fees apart) over a period and unrealised P&L at its end (as "soberana report pnl --json")',
      schema: {
        querystring: { ...operatorQuery, properties: { ...operatorQuery.properties, from: { ...isoDate, description: 'realised P&L from this day (default: since the start)' } } },
        response: {
          200: {
            type: 'object',
            required: ['at', 'from', 'currency', 'realised', 'unrealised', 'vaults', 'price', 'notices'],
            properties: {
              at: isoDate,
              from: { ...isoDate, type: ['string', 'null'] },
              currency: { type: 'string' },
              realised: realisedSchema,
              unrealised: { type: 'object', required: ['sats', 'cost', 'value', 'pnl'], properties: { sats: satsString, cost: money, value: money, pnl: money } },
              vaults: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['vault', 'method', 'sats', 'cost', 'value', 'unrealisedPnl'],
                  properties: { vault: { type: 'string' }, method: { type: 'string' }, sats: satsString, cost: money, value: money, unrealisedPnl: money, realised: { ...realisedSchema, description: 'the vault\'s realised P&L over the period' } },
                },
              },
              price: priceUsedSchema,
              notices,
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const b = await operatorBooks(req);
        return wire(pnlStatement(b, (req.query as { from?: string }).from));
      },
    },
    {
      method: 'GET',
      path: '/books/risk',
      permission: 'reserve.read',
      tag,
      summary: 'Volatility, value at risk and expected shortfall, stress scenarios and drawdown of the holdings at a day, each with its method and window, and in plain words (as "soberana report risk --json")',
      schema: {
        querystring: operatorQuery,
        response: {
          200: {
            type: 'object',
            required: ['asOf', 'sats', 'value', 'price', 'volatility', 'valueAtRisk', 'stress', 'drawdown', 'lines', 'notices'],
            properties: {
              asOf: isoDate,
              sats: satsString,
              value: money,
              price: { type: 'object', required: ['date', 'minorPerBtc', 'ageDays', 'stale', 'source'], properties: { date: isoDate, minorPerBtc: centsString, ageDays: { type: 'integer' }, stale: { type: 'boolean' }, source: { type: 'string' } } },
              volatility: {
                type: 'array',
                items: { type: 'object', required: ['method', 'window', 'daily', 'annualised'], properties: { method: { type: 'string' }, window: windowSchema, daily: { type: 'number' }, annualised: { type: 'number' } } },
              },
              valueAtRisk: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['method', 'window', 'horizonDays', 'confidence', 'varFraction', 'esFraction', 'var', 'es'],
                  properties: { method: { type: 'string' }, window: windowSchema, horizonDays: { type: 'integer' }, confidence: { type: 'number' }, varFraction: { type: 'number' }, esFraction: { type: 'number' }, var: money, es: money },
                },
              },
              stress: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['kind', 'name', 'method', 'window', 'worstChange', 'loss', 'valueAtWorst', 'worstDay'],
                  properties: { kind: { type: 'string' }, name: { type: 'string' }, method: { type: 'string' }, window: windowSchema, worstChange: { type: 'number' }, loss: money, valueAtWorst: money, worstDay: { type: 'integer' } },
                },
              },
              drawdown: {
                type: 'object',
                required: ['method', 'window', 'peak', 'current', 'fall', 'valueAtPeak', 'belowPeak'],
                properties: {
                  method: { type: 'string' }, window: windowSchema,
                  peak: { type: 'object', required: ['date', 'minorPerBtc'], properties: { date: isoDate, minorPerBtc: centsString } },
                  current: { type: 'object', required: ['date', 'minorPerBtc'], properties: { date: isoDate, minorPerBtc: centsString } },
                  fall: { type: 'number' }, valueAtPeak: money, belowPeak: money,
                },
              },
              lines: { type: 'array', items: riskLine },
              notices,
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const r = riskStatement(await operatorBooks(req));
        return wire({ ...r.report, lines: explainedRisk(r.report, r.sentences), notices: r.notices });
      },
    },
  ];
  return kept === null ? routes.slice(0, 1) : routes;
}
