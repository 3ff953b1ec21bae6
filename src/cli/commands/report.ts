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
import { balanceSheetStatement, computeBooks, figuresForDay, holdingsStatement, lotsStatement, movementsStatement, pnlStatement, riskStatement } from '../../app/accounting/reports.ts';
import { balanceSheetDocument, holdingsDocument, lotsDocument, movementsDocument, pnlDocument, riskDocument } from '../../app/accounting/statement-documents.ts';
import type { StatementDocument } from '../../core/accounting/statement-document.ts';
import { renderStatementPdf } from '../../adapters/report/pdf-statement.ts';
import { refreshLedger } from '../../app/accounting/ledger-book.ts';
import { writeFileSync } from 'node:fs';

const KINDS = ['holdings', 'balance', 'lots', 'pnl', 'movements', 'risk'] as const;
type Kind = (typeof KINDS)[number];

interface ReportOptions {
  at?: string;
  to?: string;
  from?: string;
  out?: string;
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
  if (!['json', 'csv', 'text', 'pdf'].includes(format)) throw new DomainError('INVALID_ARGUMENT', `--format must be json, csv or pdf (text without it), got "${opts.format}"`);
  if (format === 'pdf' && opts.out === undefined) throw new DomainError('INVALID_ARGUMENT', '--format pdf needs --out FILE (a PDF is not printed on the terminal)');
  if (opts.to !== undefined && opts.at !== undefined && opts.to !== opts.at) throw new DomainError('INVALID_ARGUMENT', `--to ${opts.to} and --at ${opts.at} name two different days: give one`);
  const at = opts.to ?? opts.at ?? today();
  const currency = opts.currency.toUpperCase();
  const given = (opts.figure ?? []).map(parseFigure);
  // National figures from the config file (accounting.figures), the latest on or before the day;
  // a --figure of the same name replaces them.
  const configured = figuresForDay(kind === 'risk' ? (ctx.config().accounting?.figures ?? []) : [], opts.to ?? opts.at ?? today());
  const figures = [...configured.figures.filter((f) => !given.some((g) => g.name.toLowerCase() === f.name.toLowerCase())), ...given];
  const figureCurrencies = [...new Set(figures.map((f) => f.amount.currency))].filter((c) => c !== currency);
  const source = opts.prices ? csvReferenceRateSource({ btcFile: opts.prices }) : shippedReferenceRates();
  const book = await loadRateBook(source, [currency, ...figureCurrencies]);
  const db = await ctx.db();
  const books = await computeBooks({ accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => Date.now(), book }, { at, vault: opts.vault, currency });
  const json = format === 'json';
  const digits = (c: string): number => minorDigitsOf(c);
  const shownVaults = books.vaults.filter((v) => books.shown.includes(v.id)).map((v) => ({ vault: v.id, name: v.name, method: v.method, methodRecorded: v.methodRecorded }));
  let document: (() => StatementDocument) | undefined;
  const print = (data: unknown, human: () => string, rows: () => string): void => {
    if (format === 'pdf') return;
    if (format === 'csv') ctx.outDocument(rows());
    else if (json) process.stdout.write(toJson(displaySafeDeep(data), 2) + '\n');
    else ctx.out(data, human);
  };
  const withNotices = (notices: readonly string[], text: string): string => [...notices.map((n) => `Notice: ${n}.`), text].join('\n');
  // The notices go to standard error too, so a CSV or JSON consumer's operator still sees them.
  if (format !== 'text') for (const n of books.notices) process.stderr.write(`Notice: ${n}.\n`);

  if (kind === 'holdings') {
    const h = holdingsStatement(books);
    document = () => holdingsDocument(h, digits);
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
    document = () => lotsDocument(l, digits, shownVaults);
    print({ report: 'lots', ...l }, () => withNotices(l.notices, l.lots.length === 0 ? `No lots at the end of ${l.at}.` : [
      `Lots at the end of ${l.at} (${currency}):`,
      ...l.lots.map((x) => `  ${x.date} ${x.vault} ${x.id}: ${formatBtc(x.sats)} BTC ${x.source}, cost ${money(x.cost)} (${x.costOrigin.kind === 'purchase-record' ? `purchase record ${x.costOrigin.recordId}` : x.costOrigin.kind === 'market-price' ? `market price of ${x.costOrigin.priceDate}: no purchase record` : `moved from ${x.costOrigin.fromVaultId}`}), left ${formatBtc(x.remainingSats)} BTC costing ${money(x.remainingCost)}`),
    ].join('\n')), () => csv(
      ['lot', 'vault', 'txid', 'vout', 'height', 'date', 'source', 'btc', 'sats', 'currency', 'cost', 'cost_origin', 'remaining_sats', 'remaining_cost'],
      l.lots.map((x) => [x.id, x.vault, x.txid, x.vout, x.height, x.date, x.source, formatBtc(x.sats), x.sats, currency, decimal(x.cost), x.costOrigin.kind === 'purchase-record' ? `record ${x.costOrigin.recordId}` : x.costOrigin.kind === 'market-price' ? `market price ${x.costOrigin.priceDate}` : `transfer from ${x.costOrigin.fromLotId}`, x.remainingSats, decimal(x.remainingCost)]),
    ));
  } else if (kind === 'pnl') {
    const p = pnlStatement(books, opts.from);
    document = () => pnlDocument(p, digits, shownVaults);
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
  } else if (kind === 'balance') {
    const s = balanceSheetStatement(books);
    document = () => balanceSheetDocument(s, digits);
    print({ report: 'balance', ...s }, () => withNotices(s.notices, [
      `Balance sheet at the end of ${s.at}, valued at the ${currency} price of ${s.price.date}:`,
      'Assets (bitcoin held), at cost and at value:',
      ...s.assets.map((a) => `  ${a.name} (${a.account}): ${formatBtc(a.sats)} BTC, cost ${money(a.cost)}, value ${money(a.value)}, value − cost ${money(a.unrealisedPnl)}, method ${a.method}${a.methodRecorded ? '' : ' (default)'}`),
      `  Total assets: ${formatBtc(s.totalAssets.sats)} BTC, cost ${money(s.totalAssets.cost)}, value ${money(s.totalAssets.value)}, value − cost ${money(s.totalAssets.unrealisedPnl)}`,
      `The ledger's accounts (whole alliance, ${s.ledger.entries} entries, balanced; debit +, credit −):`,
      ...s.accounts.map((a) => `  ${a.account}: ${formatBtc(a.sats)} BTC`),
    ].join('\n')), () => csv(
      ['date', 'section', 'account', 'name', 'method', 'btc', 'sats', 'currency', 'cost', 'value', 'value_minus_cost', 'price_date', 'stale'],
      [
        ...s.assets.map((a) => [s.at, 'assets', a.account, a.name, a.method, formatBtc(a.sats), a.sats, currency, decimal(a.cost), decimal(a.value), decimal(a.unrealisedPnl), s.price.date, s.stale]),
        [s.at, 'assets', 'TOTAL', '', '', formatBtc(s.totalAssets.sats), s.totalAssets.sats, currency, decimal(s.totalAssets.cost), decimal(s.totalAssets.value), decimal(s.totalAssets.unrealisedPnl), s.price.date, s.stale],
        ...s.accounts.map((a) => [s.at, 'ledger', a.account, '', '', formatBtc(a.sats), a.sats, '', '', '', '', '', '']),
      ],
    ));
  } else if (kind === 'movements') {
    // The stored ledger, brought up to date first (append-only: a reorg shows as reversals).
    const accountingDeps = { accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => Date.now() };
    await refreshLedger(accountingDeps, { actor: process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' });
    const m = movementsStatement(books, { from: opts.from, ledger: await accountingDeps.accounting.ledgerEntries() });
    document = () => movementsDocument(m, digits, shownVaults);
    print({ report: 'movements', ...m }, () => withNotices(m.notices, m.movements.length === 0 ? `No movements ${m.from === null ? 'to' : `from ${m.from} to`} the end of ${m.to}.` : [
      `Movements ${m.from === null ? 'to' : `from ${m.from} to`} the end of ${m.to} (${m.stored ? 'stored ledger' : 'recomputed from the chain'}):`,
      ...m.opening.map((o) => `  opening ${o.account}: ${formatBtc(o.sats)} BTC`),
      ...m.movements.map((x) => `  ${x.date} #${x.height} ${x.id} ${x.kind}${x.source === null ? '' : ` (${x.source})`}${x.reverses === null ? '' : ` reverses ${x.reverses}`}: ${x.lines.map((l) => `${l.account} ${formatBtc(l.sats)}`).join(', ')}; assets ${formatBtc(x.assetChange)} BTC${x.valueOnDay === null ? '' : ` = ${money(x.valueOnDay)} on the day`}`),
      ...m.closing.map((o) => `  closing ${o.account}: ${formatBtc(o.sats)} BTC`),
    ].join('\n')), () => csv(
      ['entry', 'txid', 'height', 'date', 'kind', 'source', 'reverses', 'account', 'btc', 'sats', 'asset_change_sats', 'currency', 'value_on_day', 'price_date', 'memo'],
      m.movements.flatMap((x) => x.lines.map((l) => [x.id, x.txid, x.height, x.date, x.kind, x.source ?? '', x.reverses ?? '', l.account, formatBtc(l.sats), l.sats, x.assetChange, currency, x.valueOnDay === null ? '' : decimal(x.valueOnDay), x.priceDate ?? '', x.memo])),
    ));
  } else {
    const r = riskStatement(books, figures);
    const notices = [...r.notices, ...configured.notices];
    document = () => riskDocument({ ...r, notices }, digits, shownVaults);
    const report = { ...r.report, stress: r.report.stress.map((s) => ({ ...s, path: undefined, pathDays: s.path.length })) };
    print({ report: 'risk', vaults: books.shown, ...report, sentences: r.sentences, notices }, () => withNotices(notices, r.sentences.join('\n')), () => csv(
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
  if (format === 'pdf' && document !== undefined) {
    const pdf = await renderStatementPdf(document(), { generatedAt: generatedAt() });
    const out = opts.out as string;
    try {
      writeFileSync(out, pdf);
    } catch (e) {
      const why = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e);
      throw new DomainError('INVALID_ARGUMENT', `cannot write the PDF to ${out} (${why})`);
    }
    ctx.out({ report: kind, file: out, bytes: pdf.length }, () => `${kind} statement written to ${out} (${pdf.length} bytes).`);
  }
}

/**
 * When the PDF says it was generated: now, or SOURCE_DATE_EPOCH (seconds) for a reproducible file
 * (the reproducible-builds convention).
 */
function generatedAt(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d{1,12}$/.test(epoch)) throw new DomainError('INVALID_ARGUMENT', `SOURCE_DATE_EPOCH must be seconds since 1970, got "${epoch}"`);
    return new Date(Number(epoch) * 1000);
  }
  return new Date();
}

export function register(program: Command): void {
  const report = program
    .command('report')
    .description('statements from the books kept from the chain: holdings, balance sheet, lots, P&L, movements, risk')
    .addHelpText('after', '\nAmounts in --json are strings of sats and of minor units (cents). Valuing at an old price says so.\nEvery report prints as text, --json, --format csv, or a PDF for officials with --format pdf --out FILE.\n\nExamples:\n  $ soberana report holdings --at 2025-12-31 --json\n  $ soberana report balance --at 2025-12-31 --format pdf --out balance-2025.pdf\n  $ soberana report movements --from 2025-01-01 --to 2025-12-31 --format csv > movements.csv\n  $ soberana report lots --vault "El Salvador Reserve" --format csv > lots.csv\n  $ soberana report pnl --from 2025-01-01 --at 2025-12-31\n  $ soberana report risk --figure GDP=34015000000');
  for (const kind of KINDS) {
    const c = report
      .command(kind)
      .description({ holdings: 'what each vault holds, what it cost and what it is worth', balance: 'the balance sheet: each vault\'s bitcoin at cost and at value, and the ledger\'s accounts', movements: 'every ledger entry of a period: txid, kind, source class, accounts; opening and closing balances', lots: 'every acquisition lot, its cost and where the cost comes from', pnl: 'realised and unrealised profit and loss', risk: 'volatility, value at risk, stress scenarios and drawdown, in plain words' }[kind])
      .option('--at <day>', 'the books at the end of this day, YYYY-MM-DD (default: today, UTC)')
      .option('--to <day>', 'the same as --at: the end of the period')
      .option('--vault <vault>', 'only this vault (id or name)')
      .option('--currency <code>', 'reporting currency (risk is always in USD)', 'USD')
      .option('--format <format>', 'json, csv or pdf (default: text, or json with --json)')
      .option('--out <file>', 'with --format pdf: the file to write')
      .option('--prices <file>', 'a BTC price CSV to value with instead of the shipped data/prices file');
    if (kind === 'pnl') c.option('--from <day>', 'realised P&L from this day (default: since the start)');
    if (kind === 'movements') c.option('--from <day>', 'entries from this day (default: since the first)');
    if (kind === 'risk') c.option('--figure <name=amount>', 'compare with a national figure, e.g. GDP=34015000000 or debt=30000000000:USD (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
    c.action(action(async (ctx, opts: ReportOptions) => run(ctx, kind, opts)));
  }
}
