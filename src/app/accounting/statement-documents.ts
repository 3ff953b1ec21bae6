/**
 * The statements laid out for print (PDF): each builder takes the SAME statement object that
 * `--json` and `--format csv` print (reports.ts) and formats its figures as text, so the printed
 * numbers are those of the data. The renderer (src/adapters/report/pdf-statement.ts) only places text.
 *
 * `minorDigits` gives a currency's minor-unit digits (2 for USD); the app layer does not read the
 * currency table itself.
 */
import { formatBtc } from '../../core/money.ts';
import { formatMoney } from '../../core/accounting/risk.ts';
import type { Fiat } from '../../core/accounting/types.ts';
import type { StatementColumn, StatementDocument } from '../../core/accounting/statement-document.ts';
import type { PriceUsed } from '../../core/accounting/valuation.ts';
import type { balanceSheetStatement, holdingsStatement, lotsStatement, movementsStatement, pnlStatement, riskStatement } from './reports.ts';

export type MinorDigits = (currency: string) => number;

const col = (header: string, align: 'left' | 'right', weight: number): StatementColumn => ({ header, align, weight });

/** Figures as printed: `$1,234.56`, `−$5.00`; null as "-". */
export function printedMoney(f: Fiat | null, minorDigits: MinorDigits): string {
  return f === null ? '-' : formatMoney(f, minorDigits(f.currency));
}

/** Sats as printed: "1.50000000" BTC, signed. */
export const printedBtc = (sats: bigint): string => formatBtc(sats);

function priceFact(p: PriceUsed, currency: string, minorDigits: MinorDigits): { label: string; value: string } {
  const price = printedMoney({ currency, minor: p.minorPerBtc }, minorDigits);
  const fx = p.fx === null ? '' : `, through the US dollar at ${p.fx.perUsd} ${p.fx.currency} per USD of ${p.fx.date} (${p.fx.source})`;
  return { label: 'Price', value: `BTC/${currency} ${price} of ${p.date} (source: ${p.source}${fx}); ${p.ageDays} day${p.ageDays === 1 ? '' : 's'} old${p.stale ? ' - STALE: the value is at an old price' : ''}` };
}

function vaultFact(vaults: readonly { vault: string; name: string }[]): { label: string; value: string } {
  return { label: vaults.length === 1 ? 'Vault' : 'Vaults', value: vaults.length === 0 ? 'none' : vaults.map((v) => (v.name === v.vault ? v.vault : `${v.name} (${v.vault})`)).join(', ') };
}

function methodFact(vaults: readonly { vault: string; method: string; methodRecorded: boolean }[]): { label: string; value: string } {
  return { label: 'Cost-basis method', value: vaults.length === 0 ? '-' : vaults.map((v) => `${v.vault}: ${v.method}${v.methodRecorded ? '' : ' (default)'}`).join('; ') };
}

export function holdingsDocument(h: ReturnType<typeof holdingsStatement>, minorDigits: MinorDigits): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  return {
    title: `Holdings at the end of ${h.at}`,
    facts: [vaultFact(h.vaults), { label: 'Period', value: `at the end of ${h.at} (UTC)` }, priceFact(h.price, h.currency, minorDigits), methodFact(h.vaults), { label: 'Valuation', value: h.method }],
    notices: h.notices,
    tables: [{
      heading: 'Holdings per vault',
      columns: [col('Vault', 'left', 3), col('Method', 'left', 1.6), col('BTC', 'right', 2.2), col('Cost', 'right', 2.6), col('Value', 'right', 2.6), col('Unrealised', 'right', 2.6), col('Avg cost/BTC', 'right', 2.2)],
      rows: h.vaults.map((v) => [v.name, v.method, printedBtc(v.sats), m(v.cost), m(v.value), m(v.unrealisedPnl), m(v.averageCost)]),
      total: ['Total', '', printedBtc(h.total.sats), m(h.total.cost), m(h.total.value), m(h.total.unrealisedPnl), m(h.total.averageCost)],
      empty: 'No vaults.',
    }],
    paragraphs: [`Purchase records: ${h.purchases.records}, ${h.purchases.matched} matched to receipts; ${h.purchases.receiptsWithoutRecord} receipt(s) without a record, valued at their day's market price.`],
  };
}

export function balanceSheetDocument(s: ReturnType<typeof balanceSheetStatement>, minorDigits: MinorDigits): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  return {
    title: `Balance sheet at the end of ${s.at}`,
    facts: [vaultFact(s.assets), { label: 'Period', value: `at the end of ${s.at} (UTC)` }, priceFact(s.price, s.currency, minorDigits), methodFact(s.assets), { label: 'Valuation', value: s.method }],
    notices: s.notices,
    tables: [
      {
        heading: 'Assets: bitcoin held per vault, at cost and at value',
        columns: [col('Account', 'left', 3.4), col('BTC', 'right', 2.2), col('Sats', 'right', 2.4), col('Cost', 'right', 2.6), col('Value', 'right', 2.6), col('Value - cost', 'right', 2.6)],
        rows: s.assets.map((a) => [`${a.name} (${a.account})`, printedBtc(a.sats), a.sats.toString(), m(a.cost), m(a.value), m(a.unrealisedPnl)]),
        total: ['Total assets', printedBtc(s.totalAssets.sats), s.totalAssets.sats.toString(), m(s.totalAssets.cost), m(s.totalAssets.value), m(s.totalAssets.unrealisedPnl)],
        empty: 'No vaults.',
      },
      {
        heading: `The ledger's accounts (whole alliance, ${s.ledger.entries} entries; debit +, credit -)`,
        columns: [col('Account', 'left', 4), col('BTC', 'right', 2.4), col('Sats', 'right', 2.6)],
        rows: s.accounts.map((a) => [a.account, printedBtc(a.sats), a.sats.toString()]),
        total: ['Sum (balanced)', printedBtc(s.accounts.reduce((x, a) => x + a.sats, 0n)), s.accounts.reduce((x, a) => x + a.sats, 0n).toString()],
        empty: 'No entries.',
      },
    ],
    paragraphs: [],
  };
}

export function lotsDocument(l: ReturnType<typeof lotsStatement>, minorDigits: MinorDigits, vaults: readonly { vault: string; name: string; method: string; methodRecorded: boolean }[]): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  const origin = (x: (typeof l.lots)[number]): string => x.costOrigin.kind === 'purchase-record' ? `record ${x.costOrigin.recordId}` : x.costOrigin.kind === 'market-price' ? `market price ${x.costOrigin.priceDate} (no record)` : `moved from ${x.costOrigin.fromVaultId}`;
  return {
    title: `Acquisition lots at the end of ${l.at}`,
    facts: [vaultFact(vaults), { label: 'Period', value: `lots created up to the end of ${l.at} (UTC)` }, { label: 'Currency', value: l.currency }, methodFact(vaults)],
    notices: l.notices,
    tables: [{
      heading: `Lots (${l.lots.length})`,
      columns: [col('Date', 'left', 1.7), col('Vault', 'left', 1.6), col('Lot', 'left', 2.6), col('Source', 'left', 1.4), col('BTC', 'right', 1.9), col('Cost', 'right', 2.2), col('Cost from', 'left', 2.6), col('Left BTC', 'right', 1.9), col('Left cost', 'right', 2.2)],
      rows: l.lots.map((x) => [x.date, x.vault, `${x.txid.slice(0, 12)}…:${x.vout}${x.id.includes('<-') ? ' (part)' : ''}`, x.source, printedBtc(x.sats), m(x.cost), origin(x), printedBtc(x.remainingSats), m(x.remainingCost)]),
      total: ['Total', '', '', '', printedBtc(l.lots.reduce((a, x) => a + x.sats, 0n)), m({ currency: l.currency, minor: l.lots.reduce((a, x) => a + x.cost.minor, 0n) }), '', printedBtc(l.lots.reduce((a, x) => a + x.remainingSats, 0n)), m({ currency: l.currency, minor: l.lots.reduce((a, x) => a + x.remainingCost.minor, 0n) })],
      empty: 'No lots.',
    }],
    paragraphs: [],
  };
}

export function pnlDocument(p: ReturnType<typeof pnlStatement>, minorDigits: MinorDigits, vaults: readonly { vault: string; name: string; methodRecorded: boolean }[]): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  return {
    title: `Profit and loss ${p.from === null ? 'to' : `from ${p.from} to`} ${p.at}`,
    facts: [vaultFact(vaults), { label: 'Period', value: p.from === null ? `from the first entry to the end of ${p.at} (UTC)` : `${p.from} to the end of ${p.at} (UTC)` }, priceFact(p.price, p.currency, minorDigits), methodFact(p.vaults.map((v) => ({ ...v, methodRecorded: vaults.find((x) => x.vault === v.vault)?.methodRecorded ?? false })))],
    notices: p.notices,
    tables: [
      {
        heading: 'Realised on payments out (fees expensed at cost, apart)',
        columns: [col('Vault', 'left', 3), col('Proceeds', 'right', 2.6), col('Cost', 'right', 2.6), col('Realised P&L', 'right', 2.6), col('Fees at cost', 'right', 2.4), col('Fees at value', 'right', 2.4)],
        rows: p.vaults.map((v) => [v.vault, m(v.realised.proceeds), m(v.realised.cost), m(v.realised.pnl), m(v.realised.feesCost), m(v.realised.feesValue)]),
        total: ['Total', m(p.realised.proceeds), m(p.realised.cost), m(p.realised.pnl), m(p.realised.feesCost), m(p.realised.feesValue)],
        empty: 'No vaults.',
      },
      {
        heading: `Unrealised at the price of ${p.price.date}`,
        columns: [col('Vault', 'left', 3), col('Method', 'left', 1.6), col('BTC', 'right', 2.2), col('Cost', 'right', 2.6), col('Value', 'right', 2.6), col('Unrealised P&L', 'right', 2.6)],
        rows: p.vaults.map((v) => [v.vault, v.method, printedBtc(v.sats), m(v.cost), m(v.value), m(v.unrealisedPnl)]),
        total: ['Total', '', printedBtc(p.unrealised.sats), m(p.unrealised.cost), m(p.unrealised.value), m(p.unrealised.pnl)],
        empty: 'No vaults.',
      },
    ],
    paragraphs: [],
  };
}

export function movementsDocument(s: ReturnType<typeof movementsStatement>, minorDigits: MinorDigits, vaults: readonly { vault: string; name: string }[]): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  const sum = (xs: readonly { sats: bigint }[]) => xs.reduce((a, x) => a + x.sats, 0n);
  return {
    title: `Movements ${s.from === null ? 'to' : `from ${s.from} to`} ${s.to}`,
    facts: [vaultFact(vaults), { label: 'Period', value: s.from === null ? `from the first entry to the end of ${s.to} (UTC)` : `${s.from} to the end of ${s.to} (UTC)` }, { label: 'Ledger', value: s.stored ? 'the stored ledger: entries are appended, never edited; a reorg shows as a reversal' : 'recomputed from the confirmed history' }, { label: 'Currency', value: `${s.currency} (each movement at the BTC price of its day)` }],
    notices: s.notices,
    tables: [
      {
        heading: 'Opening and closing balances of the asset accounts',
        columns: [col('Account', 'left', 4), col('Opening BTC', 'right', 2.4), col('Closing BTC', 'right', 2.4)],
        rows: s.opening.map((o, i) => [o.account, printedBtc(o.sats), printedBtc(s.closing[i]?.sats ?? 0n)]),
        total: ['Total', printedBtc(sum(s.opening)), printedBtc(sum(s.closing))],
        empty: 'No vaults.',
      },
      {
        heading: `Entries (${s.movements.length}, of which ${s.totals.reversals} reversal${s.totals.reversals === 1 ? '' : 's'})`,
        columns: [col('Date', 'left', 1.6), col('Height', 'right', 1.1), col('Entry', 'left', 3), col('Kind', 'left', 1.4), col('Source', 'left', 1.3), col('Lines (account: sats)', 'left', 4.6), col('Assets BTC', 'right', 1.9), col('Value on day', 'right', 2.2)],
        rows: s.movements.map((x) => [x.date, String(x.height), x.reverses === null ? x.id : `${x.id} (reverses ${x.reverses})`, x.kind, x.source ?? '', x.lines.map((l) => `${l.account}: ${l.sats}`).join('; '), printedBtc(x.assetChange), m(x.valueOnDay)]),
        total: ['Total', '', '', '', '', '', printedBtc(s.totals.assetChange), ''],
        empty: 'No entries in the period.',
      },
    ],
    paragraphs: [],
  };
}

export function riskDocument(r: ReturnType<typeof riskStatement>, minorDigits: MinorDigits, vaults: readonly { vault: string; name: string }[]): StatementDocument {
  const m = (f: Fiat | null) => printedMoney(f, minorDigits);
  const rep = r.report;
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return {
    title: `Reserve risk at ${rep.asOf}`,
    facts: [vaultFact(vaults), { label: 'Holding', value: `${printedBtc(rep.sats)} BTC worth ${m(rep.value)}` }, { label: 'Price', value: `BTC/USD ${m({ currency: 'USD', minor: rep.price.minorPerBtc })} of ${rep.price.date} (source: ${rep.price.source}); ${rep.price.ageDays} day(s) old${rep.price.stale ? ' - STALE' : ''}` }],
    notices: r.notices,
    tables: [
      {
        heading: 'Volatility, value at risk, expected shortfall',
        columns: [col('Figure', 'left', 3), col('Window', 'left', 3), col('Amount', 'right', 2.6), col('Fraction', 'right', 1.6), col('Method', 'left', 5)],
        rows: [
          ...rep.volatility.map((v) => [`volatility ${v.window.days} days`, `${v.window.from} to ${v.window.to}`, '', pct(v.annualised), v.method]),
          ...rep.valueAtRisk.flatMap((v) => [
            [`VaR ${v.confidence * 100}% ${v.horizonDays} day`, `${v.window.from} to ${v.window.to}`, m(v.var), pct(v.varFraction), v.method],
            [`ES ${v.confidence * 100}% ${v.horizonDays} day`, `${v.window.from} to ${v.window.to}`, m(v.es), pct(v.esFraction), v.method],
          ]),
          ...rep.stress.map((s) => [`stress: ${s.name}`, s.window !== null && 'from' in s.window ? `${s.window.from} to ${s.window.to}` : '', m(s.loss), pct(s.worstChange), s.method]),
          ...rep.shares.map((s) => [`share of ${s.figure.name}`, '', m(s.value), s.percent, s.method]),
        ],
        total: null,
        empty: 'No figures.',
      },
    ],
    paragraphs: r.sentences,
  };
}
