/**
 * A daily BTC price history loaded from a CSV (`Date,BTC_USD,…`, any row order), kept as
 * integer minor units (cents). The default file ships in `data/prices/` (see its README for origin
 * and licence).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../core/errors.ts';
import { dayStartMs } from '../../core/policy/price-source.ts';
import type { DailyPrice, PriceHistory } from '../../core/transparency/public-view.ts';

export const DEFAULT_PRICE_FILE = join(
  import.meta.dirname, '..', '..', '..', 'data', 'prices', 'btc_fiat_daily_bitstamp_first_minute_2012-01-01_2026-08-22.csv',
);

const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const PRICE_RE = /^(\d{1,12})(?:\.(\d{1,2})\d*)?$/;

/**
 * Parse a decimal price into cents, exactly (extra decimals beyond cents are truncated;
 * the shipped file has at most two).
 * @example priceToCents('78293.71') === 7829371n
 */
export function priceToCents(text: string): bigint {
  const m = PRICE_RE.exec(text.trim());
  if (!m) throw new DomainError('MALFORMED_DATA', `not a price: "${text}"`);
  return BigInt(m[1] ?? '0') * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** A calendar day as YYYY-MM-DD that exists (no 2024-02-30). */
export function isPriceDate(date: string): boolean {
  return DATE_RE.test(date) && dayStartMs(date) !== null;
}

export interface PriceParseOptions {
  /** The price column; default BTC_USD. */
  column?: string;
  /** ISO-4217 code of the column's currency; default USD. */
  currency?: string;
  /** Names the text in messages, e.g. "reference rate file /srv/btc-usd.csv"; default "price file". */
  origin?: string;
}

/**
 * Build a price history from CSV text with a header row; `column` names the price column. Line
 * breaks, quotes and stray spaces in a value make it malformed (one-line MALFORMED_DATA message
 * naming the line).
 */
export function parsePriceCsv(text: string, opts: PriceParseOptions = {}): PriceHistory {
  return historyFromRows(parsePriceCsvRows(text, opts), opts.currency ?? 'USD', opts.origin ?? 'price file');
}

/**
 * The rows of a price CSV as parsed by `parsePriceCsv` (file order, not checked for duplicate days),
 * for callers that need the whole series (valuation and risk).
 * @example parsePriceCsvRows('Date,BTC_EUR\n2024-01-01,38000.5', { column: 'BTC_EUR' }) // [{ date: '2024-01-01', cents: 3800050n }]
 * @throws DomainError MALFORMED_DATA
 */
export function parsePriceCsvRows(text: string, opts: PriceParseOptions = {}): DailyPrice[] {
  const column = opts.column ?? 'BTC_USD';
  const origin = opts.origin ?? 'price file';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const di = header.findIndex((h) => h.toLowerCase() === 'date');
  const pi = header.indexOf(column);
  if (di < 0 || pi < 0) throw new DomainError('MALFORMED_DATA', `${origin} has no "Date" and "${column}" columns`);
  const rows: DailyPrice[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] ?? '').split(',');
    const date = (cells[di] ?? '').trim();
    if (!isPriceDate(date)) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: bad date "${oneLine(date)}"`);
    const price = cells[pi] ?? '';
    if (!PRICE_RE.test(price.trim())) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: not a price: "${oneLine(price)}"`);
    rows.push({ date, cents: priceToCents(price) });
  }
  return rows;
}

/** A history from rows in any order; MALFORMED_DATA when there are none or two share a day. */
export function historyFromRows(rows: readonly DailyPrice[], currency: string, origin = 'price file'): PriceHistory {
  const sorted = [...rows].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.date === sorted[i - 1]?.date) throw new DomainError('MALFORMED_DATA', `${origin} has two rows for ${sorted[i]?.date}`);
  }
  if (sorted.length === 0) throw new DomainError('MALFORMED_DATA', `${origin} has no rows`);
  return new SortedPriceHistory(sorted, currency);
}

/** A value quoted in a message: one line, at most 40 characters. */
export function oneLine(s: string): string {
  const t = s.replace(/[\r\n\t]+/g, ' ');
  return t.length > 40 ? `${t.slice(0, 37)}…` : t;
}

/** Load the shipped (or another) price file. */
export function loadPriceHistory(file: string = DEFAULT_PRICE_FILE, opts: PriceParseOptions = {}): PriceHistory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('NOT_FOUND', `cannot read price file ${file}`);
  }
  return parsePriceCsv(text, opts);
}

class SortedPriceHistory implements PriceHistory {
  readonly currency: string;
  readonly first: DailyPrice;
  readonly last: DailyPrice;
  readonly #rows: readonly DailyPrice[];

  constructor(rows: readonly DailyPrice[], currency: string) {
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last) throw new DomainError('MALFORMED_DATA', 'price file has no rows');
    this.#rows = rows;
    this.first = first;
    this.last = last;
    this.currency = currency;
  }

  onOrBefore(date: string): DailyPrice | null {
    // binary search for the last row with row.date <= date
    let lo = 0;
    let hi = this.#rows.length - 1;
    let found: DailyPrice | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const row = this.#rows[mid] as DailyPrice;
      if (row.date <= date) {
        found = row;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
