/**
 * Reference rates for valuation from CSV files (the `ReferenceRateSource` port of
 * `core/accounting/reference-rate.ts`):
 *
 * - one BTC price file with a `Date` column and one `BTC_<CUR>` column per currency (the shipped
 *   `data/prices/` file has USD and eleven others; a treasury's own file may hold just `BTC_USD`);
 * - any number of US dollar exchange-rate files (`fx-csv.ts`; the shipped `data/fx/` has the IMF's
 *   monthly PKR and RUB rates).
 *
 * Files are read on first use and kept (a valuation run reads them once); build a new source to
 * pick up a changed file. Prices are read with the policy engine's parser (`csv-price-history.ts`:
 * decimals beyond the cent are truncated) and rescaled to each currency's minor unit.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DomainError } from '../../core/errors.ts';
import type { FxSeries} from '../../core/accounting/reference-rate.ts';
import { PriceSeries, type ReferenceRateSource } from '../../core/accounting/reference-rate.ts';
import { roundDiv } from '../../core/accounting/valuation.ts';
import { DEFAULT_PRICE_FILE, parsePriceCsvRows } from './csv-price-history.ts';
import { minorDigitsOf, parseFxCsv } from './fx-csv.ts';

/** The shipped exchange-rate files' folder. */
export const DEFAULT_FX_DIR = join(import.meta.dirname, '..', '..', '..', 'data', 'fx');

/**
 * The BTC price series of one `BTC_<CUR>` column of a price CSV, in the currency's minor units.
 * @example priceSeriesFromCsv('Date,BTC_USD,BTC_JPY\n2024-01-01,42000.5,6000000.0\n', 'JPY', 'test').last.minorPerBtc === 6_000_000n
 * @throws DomainError MALFORMED_DATA
 */
export function priceSeriesFromCsv(text: string, currency: string, origin: string, minorDigits: Readonly<Record<string, number>> = {}): PriceSeries {
  const digits = minorDigitsOf(currency, minorDigits);
  const rows = parsePriceCsvRows(text, { column: `BTC_${currency}`, currency, origin }).map((r) => ({
    date: r.date,
    currency,
    minorPerBtc: digits >= 2 ? r.cents * 10n ** BigInt(digits - 2) : roundDiv(r.cents, 10n ** BigInt(2 - digits)),
  }));
  return new PriceSeries(rows, { currency, minorDigits: digits, origin });
}

/** The currencies of a price CSV's `BTC_<CUR>` columns. */
export function priceCsvCurrencies(text: string): string[] {
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return header.split(',').map((h) => /^BTC_([A-Z]{3})$/.exec(h.trim())?.[1]).filter((c): c is string => c !== undefined);
}

export interface CsvReferenceRateOptions {
  /** The BTC price CSV; default the shipped file. */
  readonly btcFile?: string;
  /** Exchange-rate CSVs; default every `.csv` in the shipped `data/fx/`. */
  readonly fxFiles?: readonly string[];
  /** Minor-unit digits for currencies outside the built-in table. */
  readonly minorDigits?: Readonly<Record<string, number>>;
  readonly description?: string;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e);
    throw new DomainError('PRICE_UNAVAILABLE', `cannot read ${what} ${file} (${why})`);
  }
}

/**
 * A reference-rate source over CSV files: the shipped ones by default, or a treasury's own.
 * @example const book = await loadRateBook(csvReferenceRateSource({ btcFile: '/srv/treasury/btc.csv', fxFiles: ['/srv/treasury/usd_pkr_sbp.csv'] }), ['PKR']);
 */
export function csvReferenceRateSource(opts: CsvReferenceRateOptions = {}): ReferenceRateSource {
  const btcFile = opts.btcFile ?? DEFAULT_PRICE_FILE;
  const fxFiles = opts.fxFiles ?? listCsv(DEFAULT_FX_DIR);
  const description = opts.description ?? `price file ${basename(btcFile)}${fxFiles.length > 0 ? ` and rate files ${fxFiles.map((f) => basename(f)).join(', ')}` : ''}`;
  let btcText: string | null = null;
  const btc = new Map<string, PriceSeries>();
  let fx: Map<string, FxSeries> | null = null;

  const btcSource = (): string => (btcText ??= read(btcFile, 'price file'));
  const fxSeries = (): Map<string, FxSeries> => {
    if (fx !== null) return fx;
    const m = new Map<string, FxSeries>();
    for (const f of fxFiles) {
      const s = parseFxCsv(read(f, 'exchange-rate file'), { origin: `exchange-rate file ${basename(f)}`, minorDigits: opts.minorDigits ?? {} });
      if (m.has(s.currency)) throw new DomainError('MALFORMED_DATA', `two exchange-rate files for ${s.currency} (${basename(f)} and ${m.get(s.currency)?.origin})`);
      m.set(s.currency, s);
    }
    fx = m;
    return m;
  };

  return {
    description,
    available: async () => ({ btc: priceCsvCurrencies(btcSource()), fx: [...fxSeries().keys()] }),
    btcPrices: async (currency) => {
      const have = btc.get(currency);
      if (have !== undefined) return have;
      const text = btcSource();
      if (!priceCsvCurrencies(text).includes(currency)) return null;
      const s = priceSeriesFromCsv(text, currency, `price file ${basename(btcFile)} (BTC_${currency})`, opts.minorDigits);
      btc.set(currency, s);
      return s;
    },
    usdRates: async (currency) => fxSeries().get(currency) ?? null,
  };
}

/** The shipped files: `data/prices/` (USD and eleven other currencies, daily) and `data/fx/` (PKR, RUB, monthly). */
export function shippedReferenceRates(): ReferenceRateSource {
  return csvReferenceRateSource({ description: `shipped files data/prices/${basename(DEFAULT_PRICE_FILE)} and data/fx/` });
}

function listCsv(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}
