/**
 * The reference-rate format a treasury designates, read from a file or a URL: either the CSV of the
 * shipped history (`Date,BTC_USD` header, one row per UTC day, any order) or JSON:
 *
 * ```json
 * { "date": "2026-12-01", "BTC_USD": "91234.56" }
 * [ { "date": "2026-11-30", "BTC_USD": "90012.00" }, { "date": "2026-12-01", "BTC_USD": "91234.56" } ]
 * ```
 *
 * Prices are decimal strings in US dollars (at most cents are kept; more decimals are truncated),
 * never JSON numbers: money is not carried as floats. Text starting with `{` or `[` is JSON,
 * anything else CSV. Every refusal is one MALFORMED_DATA line naming the origin and the place.
 */
import { DomainError } from '../../core/errors.ts';
import type { PriceQuote } from '../../core/policy/types.ts';
import { utcDay } from '../../core/policy/price-source.ts';
import type { DailyPrice, PriceHistory } from '../../core/transparency/public-view.ts';
import { historyFromRows, isPriceDate, oneLine, parsePriceCsv, priceToCents } from './csv-price-history.ts';

const PRICE_TEXT_RE = /^\d{1,12}(\.\d+)?$/;

/**
 * Parse reference rates (CSV or JSON, see above) into a USD history.
 * @param origin names the text in messages, e.g. "reference rate file /srv/treasury/btc-usd.csv"
 * @throws DomainError MALFORMED_DATA
 */
export function parseReferenceRates(text: string, origin: string): PriceHistory {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new DomainError('MALFORMED_DATA', `${origin} is empty`);
  if (!body.startsWith('{') && !body.startsWith('[')) return parsePriceCsv(body, { origin });
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new DomainError('MALFORMED_DATA', `${origin} is not valid JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
  }
  const list = Array.isArray(doc) ? doc : [doc];
  const rows: DailyPrice[] = list.map((item, i) => jsonRow(item, Array.isArray(doc) ? `${origin} item ${i + 1}` : origin));
  return historyFromRows(rows, 'USD', origin);
}

function jsonRow(item: unknown, where: string): DailyPrice {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new DomainError('MALFORMED_DATA', `${where}: expected an object like { "date": "2026-12-01", "BTC_USD": "91234.56" }`);
  const o = item as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'date' && k !== 'Date' && k !== 'BTC_USD') throw new DomainError('MALFORMED_DATA', `${where}: unknown field "${oneLine(k)}" (expected "date" and "BTC_USD")`);
  }
  const date = o.date ?? o.Date;
  if (typeof date !== 'string' || !isPriceDate(date)) throw new DomainError('MALFORMED_DATA', `${where}: "date" must be a day as "YYYY-MM-DD", got ${oneLine(JSON.stringify(date) ?? 'nothing')}`);
  const price = o.BTC_USD;
  if (typeof price !== 'string' || !PRICE_TEXT_RE.test(price)) {
    throw new DomainError('MALFORMED_DATA', `${where}: "BTC_USD" must be a decimal string of US dollars like "91234.56", got ${oneLine(JSON.stringify(price) ?? 'nothing')}`);
  }
  return { date, cents: priceToCents(price) };
}

/**
 * The quote a source gives at `nowMs`: the newest day on or before the UTC day of `nowMs`.
 * @throws DomainError MALFORMED_DATA when that day's price is zero or the history is not in USD
 */
export function quoteAt(history: PriceHistory, nowMs: number, source: string): PriceQuote | null {
  if (history.currency !== 'USD') throw new DomainError('MALFORMED_DATA', `${source} is in ${history.currency}, not USD`);
  const row = history.onOrBefore(utcDay(nowMs));
  if (row === null) return null;
  if (row.cents <= 0n) throw new DomainError('MALFORMED_DATA', `${source}: the price for ${row.date} is zero`);
  return { usdPerBtcCents: row.cents, date: row.date, source };
}
