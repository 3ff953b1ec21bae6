import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { toJson } from '../../core/json.ts';
import { displaySafeDeep } from '../../core/text/display-text.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { formatMoney, type NationalFigure } from '../../core/accounting/risk.ts';
import { loadRateBook } from '../../core/accounting/reference-rate.ts';
import type { Fiat } from '../../core/accounting/types.ts';
import { csvReferenceRateSource, shippedReferenceRates } from '../../adapters/prices/csv-reference-rates.ts';
import { minorDigitsOf } from '../../adapters/prices/fx-csv.ts';
import { SqlAccountingStore } from '../../adapters/store/accounting-store.ts';
import { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import { computeBooks, holdingsStatement, lotsStatement, pnlStatement, riskStatement } from '../../app/accounting/reports.ts';

const KINDS = ['holdings', 'lots', 'pnl', 'risk'] as const;
type Kind = (typeof KINDS)[number];

interface ReportOptions {
  at?: string;
  from?: string;
  vault?: string;
  currency: string;
  format?: string;
  prices?: string;
  figure?: string[];
}

/** One CSV cell (RFC 4180). */
function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csv = (header: readonly string[], rows: readonly (readonly unknown[])[]): string => [header, ...rows].map((r) => r.map(cell).join(',')).join('\n');

/** Minor units as a plain decimal ("123.45"), for CSV cells a spreadsheet reads exactly. */
function decimal(f: Fiat): string {
  const d = minorDigitsOf(f.currency);
  const neg = f.minor < 0n;
  const a = (neg ? -f.minor : f.minor).toString().padStart(d + 1, '0');
  return `${neg ? '-' : ''}${d === 0 ? a : `${a.slice(0, a.length - d)}.${a.slice(a.length - d)}`}`;
}

const money = (f: Fiat | null): string => (f === null ? '-' : formatMoney(f, minorDigitsOf(f.currency)));

/** `NAME=AMOUNT[:CURRENCY]` → a national figure, e.g. `GDP=34015000000` (whole units, USD). */
function parseFigure(text: string): NationalFigure {
  const m = /^([^=]{1,60})=(\d{1,18}(?:\.\d{1,2})?)(?::([A-Za-z]{3}))?$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `--figure expects NAME=AMOUNT[:CURRENCY], e.g. GDP=34015000000, got "${text}"`);
  const currency = (m[3] ?? 'USD').toUpperCase();
  const [whole, frac = ''] = (m[2] as string).split('.');
  const d = minorDigitsOf(currency);
  return { name: (m[1] as string).trim(), amount: { currency, minor: BigInt(whole as string) * 10n ** BigInt(d) + BigInt(frac.padEnd(d, '0').slice(0, d) || '0') }, minorDigits: d };
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function run(ctx: CliContext, kind: Kind, opts: ReportOptions): Promise<void> {
  const format = opts.format ?? (ctx.json ? 'json' : 'text');
  if (!['json', 'csv', 'text'].includes(format)) throw new DomainError('INVALID_ARGUMENT', `--format must be json or csv (text without it), got "${opts.format}"`);
  const currency = opts.currency.toUpperCase();
  const figures = (opts.figure ?? []).map(parseFigure);
  const source = opts.prices ? csvReferenceRateSource({ btcFile: opts.prices }) : shippedReferenceRates();
  const book = await loadRateBook(source, [currency]);
  const db = await ctx.db();
  const books = await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => Date.now(), book }, { at: opts.at ?? today(), vault: opts.vault, currency });
  const json = format === 'json';
  const print = (data: unknown, human: () => string, rows: () => string): void => {
    if (format === 'csv') ctx.outDocument(rows());
    else if (json) process.stdout.write(toJson(displaySafeDeep(data), 2) + '\n');
    else ctx.out(data, human);
  };
  const withNotices = (notices: readonly string[], text: string): string => [...notices.map((n) => `Notice: ${n}.`), text].join('\n');
  // The notices go to standard error too, so a CSV or JSON consumer's operator still sees them.
  if (format !== 'text') for (const n of books.notices) process.stderr.write(`Notice: ${n}.\n`);

  if (kind === 'holdings') {
    const h = holdingsStatement(books);
    print({ report: 'holdings', ...h }, () => withNotices(h.notices, [
      `Holdings at the end of ${h.at}, valued at the ${currency} price of ${h.price.date}:`,
      ...h.vaults.map((v) => `  ${v.name}: ${formatBtc(v.sats)} BTC, cost ${money(v.cost)}${v.lotsAtMarketPrice > 0 ? ` (${v.lotsAtMarketPrice} lot${v.lotsAtMarketPrice === 1 ? '' : 's'} at the day's market price: no fiat amount on record)` : ''}, worth ${money(v.value)}, unrealised ${money(v.unrealisedPnl)}, average cost ${money(v.averageCost)} per BTC, method ${v.method}${v.methodRecorded ? '' : ' (default)'}`),
      `  Total: ${formatBtc(h.total.sats)} BTC, cost ${money(h.total.cost)}, worth ${money(h.total.value)}, unrealised ${money(h.total.unrealisedPnl)}, average cost ${money(h.total.averageCost)} per BTC`,
      `Purchase records: ${h.purchases.records}, ${h.purchases.matched} matched to receipts; ${h.purchases.receiptsWithoutRecord} receipt${h.purchases.receiptsWithoutRecord === 1 ? '' : 's'} without a record.`,
    ].join('\n')), () => csv(
      ['date', 'vault', 'method', 'btc', 'sats', 'currency', 'cost', 'value', 'unrealised_pnl', 'average_cost_per_btc', 'lots_at_market_price', 'price_date', 'stale'],
      [...h.vaults.map((v) => [h.at, v.vault, v.method, formatBtc(v.sats), v.sats, currency, decimal(v.cost), decimal(v.value), decimal(v.unrealisedPnl), v.averageCost ? decimal(v.averageCost) : '', v.lotsAtMarketPrice, h.price.date, h.stale]),
        [h.at, 'TOTAL', '', formatBtc(h.total.sats), h.total.sats, currency, decimal(h.total.cost), decimal(h.total.value), decimal(h.total.unrealisedPnl), h.total.averageCost ? decimal(h.total.averageCost) : '', '', h.price.date, h.stale]],
    ));
  } else if (kind === 'lots') {
    const l = lotsStatement(books);
    print({ report: 'lots', ...l }, () => withNotices(l.notices, l.lots.length === 0 ? `No lots at the end of ${l.at}.` : [
      `Lots at the end of ${l.at} (${currency}):`,
      ...l.lots.map((x) => `  ${x.date} ${x.vault} ${x.id}: ${formatBtc(x.sats)} BTC ${x.source}, cost ${money(x.cost)} (${x.costOrigin.kind === 'purchase-record' ? `purchase record ${x.costOrigin.recordId}` : x.costOrigin.kind === 'market-price' ? `market price of ${x.costOrigin.priceDate}: no purchase record` : `moved from ${x.costOrigin.fromVaultId}`}), left ${formatBtc(x.remainingSats)} BTC costing ${money(x.remainingCost)}`),
    ].join('\n')), () => csv(
      ['lot', 'vault', 'txid', 'vout', 'height', 'date', 'source', 'btc', 'sats', 'currency', 'cost', 'cost_origin', 'remaining_sats', 'remaining_cost'],
      l.lots.map((x) => [x.id, x.vault, x.txid, x.vout, x.height, x.date, x.source, formatBtc(x.sats), x.sats, currency, decimal(x.cost), x.costOrigin.kind === 'purchase-record' ? `record ${x.costOrigin.recordId}` : x.costOrigin.kind === 'market-price' ? `market price ${x.costOrigin.priceDate}` : `transfer from ${x.costOrigin.fromLotId}`, x.remainingSats, decimal(x.remainingCost)]),
    ));
  } else if (kind === 'pnl') {
    const p = pnlStatement(books, opts.from);
    print({ report: 'pnl', ...p }, () => withNotices(p.notices, [
      `Profit and loss ${p.from === null ? 'to' : `from ${p.from} to`} the end of ${p.at} (${currency}):`,
      `  Realised on payments out: proceeds ${money(p.realised.proceeds)}, cost ${money(p.realised.cost)}, P&L ${money(p.realised.pnl)}`,
      `  Fees (expensed at cost): ${money(p.realised.feesCost)} (worth ${money(p.realised.feesValue)} on their days)`,
      `  Unrealised at the price of ${p.price.date}: ${formatBtc(p.unrealised.sats)} BTC, cost ${money(p.unrealised.cost)}, worth ${money(p.unrealised.value)}, P&L ${money(p.unrealised.pnl)}`,
    ].join('\n')), () => csv(
      ['from', 'to', 'vault', 'method', 'currency', 'realised_proceeds', 'realised_cost', 'realised_pnl', 'fees_cost', 'sats', 'cost', 'value', 'unrealised_pnl'],
      [...p.vaults.map((v) => [p.from ?? '', p.at, v.vault, v.method, currency, '', '', '', '', v.sats, decimal(v.cost), decimal(v.value), decimal(v.unrealisedPnl)]),
        [p.from ?? '', p.at, 'TOTAL', '', currency, decimal(p.realised.proceeds), decimal(p.realised.cost), decimal(p.realised.pnl), decimal(p.realised.feesCost), p.unrealised.sats, decimal(p.unrealised.cost), decimal(p.unrealised.value), decimal(p.unrealised.pnl)]],
    ));
  } else {
    const r = riskStatement(books, figures);
    const report = { ...r.report, stress: r.report.stress.map((s) => ({ ...s, path: undefined, pathDays: s.path.length })) };
    print({ report: 'risk', vaults: books.shown, ...report, sentences: r.sentences, notices: r.notices }, () => withNotices(r.notices, r.sentences.join('\n')), () => csv(
      ['as_of', 'figure', 'name', 'window_from', 'window_to', 'currency', 'amount', 'fraction', 'method'],
      [
        ...r.report.volatility.map((v) => [r.report.asOf, 'volatility', `${v.window.days} days`, v.window.from, v.window.to, '', '', v.annualised, v.method]),
        ...r.report.valueAtRisk.flatMap((v) => [
          [r.report.asOf, 'VaR', `${v.confidence * 100}% ${v.horizonDays} day`, v.window.from, v.window.to, v.var.currency, decimal(v.var), v.varFraction, v.method],
          [r.report.asOf, 'expected shortfall', `${v.confidence * 100}% ${v.horizonDays} day`, v.window.from, v.window.to, v.es.currency, decimal(v.es), v.esFraction, v.method],
        ]),
        ...r.report.stress.map((s) => [r.report.asOf, 'stress', s.name, s.window !== null && 'from' in s.window ? s.window.from : '', s.window !== null && 'to' in s.window ? s.window.to : '', s.loss.currency, decimal(s.loss), s.worstChange, s.method]),
        ...r.report.shares.map((s) => [r.report.asOf, 'share', s.figure.name, '', '', s.value.currency, decimal(s.value), s.percent, s.method]),
      ],
    ));
  }
}

export function register(program: Command): void {
  const report = program
    .command('report')
    .description('statements from the books kept from the chain: holdings, lots, P&L, risk (recomputed from the confirmed history each time)')
    .addHelpText('after', '\nAmounts in --json are strings of sats and of minor units (cents). Valuing at an old price says so.\nPDF output is not available yet: print the text or open the CSV.\n\nExamples:\n  $ soberana report holdings --at 2025-12-31 --json\n  $ soberana report lots --vault "El Salvador Reserve" --format csv > lots.csv\n  $ soberana report pnl --from 2025-01-01 --at 2025-12-31\n  $ soberana report risk --figure GDP=34015000000');
  for (const kind of KINDS) {
    const c = report
      .command(kind)
      .description({ holdings: 'what each vault holds, what it cost and what it is worth', lots: 'every acquisition lot, its cost and where the cost comes from', pnl: 'realised and unrealised profit and loss', risk: 'volatility, value at risk, stress scenarios and drawdown, in plain words' }[kind])
      .option('--at <day>', 'the books at the end of this day, YYYY-MM-DD (default: today, UTC)')
      .option('--vault <vault>', 'only this vault (id or name)')
      .option('--currency <code>', 'reporting currency (risk is always in USD)', 'USD')
      .option('--format <format>', 'json or csv (default: text, or json with --json)')
      .option('--prices <file>', 'a BTC price CSV to value with instead of the shipped data/prices file');
    if (kind === 'pnl') c.option('--from <day>', 'realised P&L from this day (default: since the start)');
    if (kind === 'risk') c.option('--figure <name=amount>', 'compare with a national figure, e.g. GDP=34015000000 or debt=30000000000:USD (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
    c.action(action(async (ctx, opts: ReportOptions) => run(ctx, kind, opts)));
  }
}
