/**
 * US dollar exchange-rate files: a header row with a date column (`date` or `Date`) and one rate
 * column (units of the currency per 1 US dollar, a plain decimal kept exactly), one row per day
 * the rate is for. The shipped IMF files (`data/fx/`, see its README) name the column
 * `usd_pkr_pkr_per_usd`; a user file may name it `USD_PKR` or anything else with `currency` given.
 */
import { DomainError } from '../../core/errors.ts';
import { FxSeries, parseDecimal, type FxFrequency, type FxRate } from '../../core/accounting/reference-rate.ts';
import { isPriceDate, oneLine } from './csv-price-history.ts';

/** Decimal places of the minor unit (ISO 4217) of the currencies in the shipped files. */
export const MINOR_DIGITS: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, JPY: 0, CAD: 2, AUD: 2, CHF: 2, CNY: 2, INR: 2, BRL: 2, KRW: 0, MXN: 2, PKR: 2, RUB: 2,
};

/**
 * The minor-unit digits of `currency`, from `given` or the table above.
 * @throws DomainError INVALID_ARGUMENT for a currency in neither
 */
export function minorDigitsOf(currency: string, given: Readonly<Record<string, number>> = {}): number {
  const d = given[currency] ?? MINOR_DIGITS[currency];
  if (d === undefined) throw new DomainError('INVALID_ARGUMENT', `no minor-unit size known for ${currency}: give it (e.g. minorDigits: { ${currency}: 2 })`);
  return d;
}

export interface FxCsvOptions {
  /** ISO 4217 code; default read from the rate column's name (`usd_pkr_…` or `USD_PKR`). */
  readonly currency?: string;
  /** The rate column; default the only column besides the date. */
  readonly column?: string;
  /** Default 'monthly' when every date is a month end, else 'daily'. */
  readonly frequency?: FxFrequency;
  /** The currency's minor-unit digits, or a table of them; default the built-in table. */
  readonly minorDigits?: number | Readonly<Record<string, number>>;
  /** Names the text in messages. */
  readonly origin?: string;
}

function isMonthEnd(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.getUTCDate() === 1;
}

/**
 * Parse an exchange-rate CSV into a series.
 * @example parseFxCsv('date,usd_pkr_pkr_per_usd\n2023-12-31,281.92\n').last.perUsd // { units: 28192n, scale: 2 }
 * @throws DomainError MALFORMED_DATA naming the line
 */
export function parseFxCsv(text: string, opts: FxCsvOptions = {}): FxSeries {
  const origin = opts.origin ?? 'exchange-rate file';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const di = header.findIndex((h) => h.toLowerCase() === 'date');
  const ri = opts.column !== undefined ? header.indexOf(opts.column) : header.length === 2 ? 1 - di : -1;
  if (di < 0 || ri < 0) throw new DomainError('MALFORMED_DATA', `${origin} needs a "date" column and ${opts.column !== undefined ? `a "${opts.column}" column` : 'one rate column'}`);
  const column = header[ri] ?? '';
  const currency = opts.currency ?? /^usd_([a-z]{3})(?:_|$)/i.exec(column)?.[1]?.toUpperCase();
  if (currency === undefined) throw new DomainError('MALFORMED_DATA', `${origin}: cannot tell the currency from column "${oneLine(column)}" (name it like USD_PKR)`);
  const rows: FxRate[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] ?? '').split(',');
    const date = (cells[di] ?? '').trim();
    if (!isPriceDate(date)) throw new DomainError('MALFORMED_DATA', `${origin} line ${i + 1}: bad date "${oneLine(date)}"`);
    rows.push({ date, currency, perUsd: parseDecimal(cells[ri] ?? '', `${origin} line ${i + 1}: rate`) });
  }
  const frequency = opts.frequency ?? (rows.length > 0 && rows.every((r) => isMonthEnd(r.date)) ? 'monthly' : 'daily');
  return new FxSeries(rows, { currency, minorDigits: typeof opts.minorDigits === 'number' ? opts.minorDigits : minorDigitsOf(currency, opts.minorDigits), frequency, origin });
}
