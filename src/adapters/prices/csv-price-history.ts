/**
 * A daily BTC price history loaded from a CSV (`Date,BTC_USD,…`, any row order), kept as
 * integer minor units (cents). The default file ships in `data/prices/` (see its README for origin
 * and licence).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../core/errors.ts';
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

/** Build a price history from CSV text with a header row; `column` names the price column. */
export function parsePriceCsv(text: string, opts: { column?: string; currency?: string } = {}): PriceHistory {
  const column = opts.column ?? 'BTC_USD';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const di = header.findIndex((h) => h.toLowerCase() === 'date');
  const pi = header.indexOf(column);
  if (di < 0 || pi < 0) throw new DomainError('MALFORMED_DATA', `price file has no "Date" and "${column}" columns`);
  const rows: DailyPrice[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] ?? '').split(',');
    const date = (cells[di] ?? '').trim();
    if (!DATE_RE.test(date)) throw new DomainError('MALFORMED_DATA', `price file line ${i + 1}: bad date "${date}"`);
    rows.push({ date, cents: priceToCents(cells[pi] ?? '') });
  }
  rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]?.date === rows[i - 1]?.date) throw new DomainError('MALFORMED_DATA', `price file has two rows for ${rows[i]?.date}`);
  }
  return new SortedPriceHistory(rows, opts.currency ?? 'USD');
}

/** Load the shipped (or another) price file. */
export function loadPriceHistory(file: string = DEFAULT_PRICE_FILE, opts: { column?: string; currency?: string } = {}): PriceHistory {
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
