/**
 * The stateless netting input (issue #16 item 8): invoices and locked rates from a file, checked
 * row by row, then netted by the same code that closes a real cycle (`NetBook`, `closePositions`,
 * `settlementTransfers`).
 *
 * Two forms:
 * - JSON: `{"rates":[{"currency":"USD","btcPrice":"78293.71"},…],
 *          "invoices":[{"reference":"R1","exporter":"SLV","importer":"RUS","amount":"1250.50","currency":"USD"},…]}`.
 *   Amounts and prices are decimal strings in the currency's units (a JSON number would go through
 *   a float, so it is refused). Other keys are ignored.
 * - CSV: a header `reference,exporter,importer,amount,currency` (any column order, extra columns
 *   ignored), one invoice per line. A CSV carries no rates: they come separately (`parseRatesText`:
 *   the JSON form `{"rates":[…]}`, or a CSV `currency,btcPrice`).
 *
 * Rows: the n-th invoice (1-based) in JSON, the n-th data row in CSV (its file line is named too).
 * Refusals, each naming the row, with a stable code:
 *   UNKNOWN_CURRENCY  a currency not in the ISO 4217 table (`CURRENCY_MINOR_DIGITS`)
 *   RATE_MISSING      an invoice currency with no rate
 *   INVALID_AMOUNT    a negative, zero, over-precise or too large amount or price
 *   SELF_INVOICE      exporter = importer
 *   REFERENCE_CONFLICT the same exporter's reference twice with different terms
 *                     (the same reference with the same terms is one invoice: idempotent)
 *   INVALID_IMPORT    a malformed file or row (missing field, bad member code, too many rows, …)
 * A reference is the exporter's: the same text from two exporters names two invoices.
 */
import { DomainError } from '../errors.ts';
import { splitCsvRow } from '../accounting/purchase-csv.ts';
import { closePositions, NetBook, settlementTransfers } from './netting.ts';
import { currencyMinorDigits, parseLockedRate, parseMinorAmount, RateTable } from './rates.ts';
import type { LockedRate, MemberCode, NetPosition, NettableInvoice, SettlementTransfer } from './types.ts';

/** Caps on a stateless input: beyond them the file is refused (INVALID_IMPORT), never half read. */
export const NET_FILE_LIMITS = {
  /** Invoices in one file. */
  maxInvoices: 1_000_000,
  /** Rates in one file. */
  maxRates: 300,
  /** Characters in a reference. */
  maxReference: 64,
} as const;

/** A member code: a letter or digit then up to 31 letters, digits, '_', '-', '.' (ISO alpha-3 by convention: SLV, PAK, RUS). */
const MEMBER_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const CURRENCY_RE = /^[A-Za-z]{3}$/;
const CSV_COLUMNS = ['reference', 'exporter', 'importer', 'amount', 'currency'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/** What a stateless input gives: the rates (undefined when the file has none) and the distinct invoices. */
export interface NetInput {
  readonly rates: readonly LockedRate[] | undefined;
  readonly invoices: readonly NettableInvoice[];
  /** Rows that repeated an invoice already given (same exporter, reference and terms): counted once. */
  readonly repeated: number;
  /** The row each invoice came from, in `invoices` order (1-based). */
  readonly rows: readonly number[];
}

/** The answer of `soberana settlement net`. */
export interface NetResult {
  readonly positions: readonly NetPosition[];
  readonly transfers: readonly SettlementTransfer[];
  readonly invoices: number;
  readonly repeated: number;
  /** Σ invoice amounts per currency, in minor units (the gross the netting replaces). */
  readonly gross: readonly { readonly currency: string; readonly minor: bigint }[];
}

const short = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}…` : s);

/** Re-throw a DomainError from a field parser with the row in front of its message and in its details. */
function atRow<T>(where: string, row: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DomainError) throw new DomainError(e.code, `${where}: ${e.message}`, { ...e.details, row });
    throw e;
  }
}

function malformed(where: string, row: number, message: string): DomainError {
  return new DomainError('INVALID_IMPORT', `${where}: ${message}`, { row });
}

/** A text field of a JSON row: a string (trimmed), else INVALID_IMPORT naming the field. */
function jsonText(obj: Record<string, unknown>, key: string, where: string, row: number, hint: string): string {
  const v = obj[key];
  if (v === undefined || v === null || v === '') throw malformed(where, row, `"${key}" is missing (${hint})`);
  if (typeof v !== 'string') throw malformed(where, row, `"${key}" must be a string${typeof v === 'number' ? ` such as "${String(v)}" (a JSON number goes through a float)` : ''}`);
  return v.trim();
}

function currencyOf(text: string, where: string, row: number): string {
  if (!CURRENCY_RE.test(text)) throw new DomainError('UNKNOWN_CURRENCY', `${where}: "${short(text)}" is not a currency code (an ISO 4217 code such as USD, PKR, RUB)`, { row, currency: text });
  const code = text.toUpperCase();
  atRow(where, row, () => currencyMinorDigits(code));
  return code;
}

class InvoiceCollector {
  readonly invoices: NettableInvoice[] = [];
  readonly rows: number[] = [];
  repeated = 0;
  readonly #byKey = new Map<string, { inv: NettableInvoice; row: number }>();
  readonly #rates: RateTable | undefined;

  constructor(rates: readonly LockedRate[] | undefined) {
    this.#rates = rates === undefined ? undefined : new RateTable(rates);
  }

  /** Check one row's fields and keep the invoice (or count it as repeated). */
  add(f: Readonly<Record<CsvColumn, string>>, where: string, row: number): void {
    if (this.invoices.length >= NET_FILE_LIMITS.maxInvoices) throw malformed(where, row, `more than ${NET_FILE_LIMITS.maxInvoices} invoices in one file`);
    const reference = f.reference;
    if (reference === '') throw malformed(where, row, '"reference" is missing (the exporter\'s invoice reference)');
    if (reference.length > NET_FILE_LIMITS.maxReference) throw malformed(where, row, `"reference" is longer than ${NET_FILE_LIMITS.maxReference} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(reference)) throw malformed(where, row, '"reference" contains a control character');
    for (const key of ['exporter', 'importer'] as const) {
      if (f[key] === '') throw malformed(where, row, `"${key}" is missing (a member code such as SLV)`);
      if (!MEMBER_RE.test(f[key])) throw malformed(where, row, `"${key}" "${short(f[key])}" is not a member code (letters, digits, _ . -; e.g. SLV)`);
    }
    if (f.currency === '') throw malformed(where, row, '"currency" is missing (an ISO 4217 code such as USD)');
    const currency = currencyOf(f.currency, where, row);
    if (f.amount === '') throw malformed(where, row, '"amount" is missing (a decimal string such as "1250.50")');
    const amountMinor = atRow(where, row, () => parseMinorAmount(f.amount, currency));
    const exporter: MemberCode = f.exporter;
    const importer: MemberCode = f.importer;
    if (exporter === importer) throw new DomainError('SELF_INVOICE', `${where}: ${exporter} invoices itself (exporter and importer must differ)`, { row, member: exporter });
    if (this.#rates !== undefined && !this.#rates.has(currency)) throw new DomainError('RATE_MISSING', `${where}: no rate for ${currency}: add {"currency":"${currency}","btcPrice":"…"} to the rates`, { row, currency });
    const inv: NettableInvoice = { reference, exporter, importer, amountMinor, currency };
    const key = `${exporter}\u0000${reference}`;
    const before = this.#byKey.get(key);
    if (before !== undefined) {
      const b = before.inv;
      if (b.importer === importer && b.amountMinor === amountMinor && b.currency === currency) {
        this.repeated++;
        return;
      }
      throw new DomainError('REFERENCE_CONFLICT', `${where}: ${exporter}'s reference "${short(reference)}" was given on row ${before.row} with other terms (importer, amount or currency): one reference, one invoice`, { row, firstRow: before.row, reference });
    }
    this.#byKey.set(key, { inv, row });
    this.invoices.push(inv);
    this.rows.push(row);
  }

  result(rates: readonly LockedRate[] | undefined): NetInput {
    return { rates, invoices: this.invoices, repeated: this.repeated, rows: this.rows };
  }
}

function parseRateList(list: unknown, origin: string): LockedRate[] {
  if (!Array.isArray(list)) throw new DomainError('INVALID_IMPORT', `${origin}: "rates" must be a list of {"currency","btcPrice"}`);
  if (list.length > NET_FILE_LIMITS.maxRates) throw new DomainError('INVALID_IMPORT', `${origin}: more than ${NET_FILE_LIMITS.maxRates} rates`);
  const rates: LockedRate[] = [];
  const rowOf = new Map<string, number>();
  list.forEach((r: unknown, i) => {
    const row = i + 1;
    const where = `${origin} rate ${row}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw malformed(where, row, 'a rate is an object {"currency":"USD","btcPrice":"78293.71"}');
    const obj = r as Record<string, unknown>;
    const currency = currencyOf(jsonText(obj, 'currency', where, row, 'an ISO 4217 code such as USD'), where, row);
    const price = jsonText(obj, 'btcPrice', where, row, 'the price of one BTC in that currency, e.g. "78293.71"');
    rates.push(rateAt(currency, price, where, row, rowOf));
  });
  return rates;
}

function rateAt(currency: string, price: string, where: string, row: number, rowOf: Map<string, number>): LockedRate {
  const first = rowOf.get(currency);
  if (first !== undefined) throw malformed(where, row, `a second rate for ${currency} (the first is rate ${first}): one price per currency`);
  rowOf.set(currency, row);
  return atRow(where, row, () => parseLockedRate(currency, price, where));
}

function parseJsonText(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DomainError('INVALID_IMPORT', `${origin} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Rates given on their own: the JSON form `{"rates":[{"currency":"USD","btcPrice":"78293.71"},…]}`
 * (or just the list), or a CSV with the header `currency,btcPrice`.
 * @throws DomainError UNKNOWN_CURRENCY, INVALID_AMOUNT, INVALID_IMPORT naming the rate's row
 */
export function parseRatesText(text: string, origin = 'rates file'): LockedRate[] {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    const doc = parseJsonText(t, origin);
    return parseRateList(Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).rates : undefined, origin);
  }
  const lines = t.split(/\r?\n/);
  const header = (splitCsvRow(lines[0] ?? '') ?? []).map((h) => h.toLowerCase());
  const ci = header.indexOf('currency');
  const pi = header.indexOf('btcprice');
  if (ci < 0 || pi < 0) throw new DomainError('INVALID_IMPORT', `${origin}: a rates CSV needs the header currency,btcPrice (or give the JSON form {"rates":[…]})`);
  const rates: LockedRate[] = [];
  const rowOf = new Map<string, number>();
  let row = 0;
  for (let li = 1; li < lines.length; li++) {
    if ((lines[li] ?? '').trim() === '') continue;
    row++;
    const where = `${origin} rate ${row} (line ${li + 1})`;
    if (row > NET_FILE_LIMITS.maxRates) throw malformed(where, row, `more than ${NET_FILE_LIMITS.maxRates} rates`);
    const cells = splitCsvRow(lines[li] ?? '');
    if (cells === null || cells.length !== header.length) throw malformed(where, row, `expected ${header.length} fields (${header.join(',')})`);
    const currencyText = cells[ci] ?? '';
    if (currencyText === '') throw malformed(where, row, '"currency" is missing');
    rates.push(rateAt(currencyOf(currencyText, where, row), cells[pi] ?? '', where, row, rowOf));
  }
  return rates;
}

/**
 * The JSON form: rates (optional here) and invoices.
 * @throws DomainError with the codes listed at the top of this file, naming the row
 */
export function parseNetJson(text: string, origin = 'input'): NetInput {
  const doc = parseJsonText(text.replace(/^\uFEFF/, ''), origin);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DomainError('INVALID_IMPORT', `${origin}: expected an object {"rates":[…],"invoices":[…]}`);
  const obj = doc as Record<string, unknown>;
  const rates = obj.rates === undefined ? undefined : parseRateList(obj.rates, origin);
  const list = obj.invoices;
  if (!Array.isArray(list)) throw new DomainError('INVALID_IMPORT', `${origin}: "invoices" must be a list of {"reference","exporter","importer","amount","currency"}`);
  if (list.length > NET_FILE_LIMITS.maxInvoices) throw new DomainError('INVALID_IMPORT', `${origin}: ${list.length} invoices, more than ${NET_FILE_LIMITS.maxInvoices} in one file`);
  const c = new InvoiceCollector(rates);
  list.forEach((r: unknown, i) => {
    const row = i + 1;
    const where = `${origin} row ${row}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw malformed(where, row, 'an invoice is an object {"reference","exporter","importer","amount","currency"}');
    const o = r as Record<string, unknown>;
    const fields = {} as Record<CsvColumn, string>;
    for (const key of CSV_COLUMNS) {
      const v = o[key];
      if (v !== undefined && v !== null && typeof v !== 'string') throw malformed(where, row, `"${key}" must be a string${typeof v === 'number' ? ` such as "${String(v)}" (a JSON number goes through a float)` : ''}`);
      fields[key] = (v ?? '').trim();
    }
    c.add(fields, where, row);
  });
  return c.result(rates);
}

/**
 * The CSV form: invoices only (rates come from `parseRatesText`, checked here when given).
 * @throws DomainError with the codes listed at the top of this file, naming the row and line
 */
export function parseInvoiceCsv(text: string, origin = 'input', rates?: readonly LockedRate[]): NetInput {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (splitCsvRow(lines[0] ?? '') ?? []).map((h) => h.toLowerCase());
  const index = {} as Record<CsvColumn, number>;
  for (const col of CSV_COLUMNS) {
    index[col] = header.indexOf(col);
    if (index[col] < 0) throw new DomainError('INVALID_IMPORT', `${origin}: the header must name the columns ${CSV_COLUMNS.join(',')} (missing "${col}")`);
  }
  const c = new InvoiceCollector(rates);
  let row = 0;
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li] ?? '';
    if (line.trim() === '') continue;
    row++;
    const where = `${origin} row ${row} (line ${li + 1})`;
    const cells = splitCsvRow(line);
    if (cells === null) throw malformed(where, row, 'unbalanced quotes');
    if (cells.length !== header.length) throw malformed(where, row, `${cells.length} fields, the header has ${header.length}`);
    const fields = {} as Record<CsvColumn, string>;
    for (const col of CSV_COLUMNS) fields[col] = cells[index[col]] ?? '';
    c.add(fields, where, row);
  }
  return c.result(rates);
}

/**
 * Read a stateless input, JSON or CSV (told apart by the first character: `{` is JSON). Rates come
 * from the file (JSON) or from `ratesText` — exactly one of the two.
 * @throws DomainError RATE_MISSING when no rates are given at all; INVALID_ARGUMENT when both are; else as the parsers
 */
export function parseNetInput(text: string, opts: { origin?: string; ratesText?: string; ratesOrigin?: string } = {}): NetInput {
  const origin = opts.origin ?? 'input';
  const external = opts.ratesText === undefined ? undefined : parseRatesText(opts.ratesText, opts.ratesOrigin ?? 'rates file');
  const isJson = text.replace(/^\uFEFF/, '').trimStart().startsWith('{');
  if (isJson) {
    const peek = parseNetJson(text, origin);
    if (peek.rates !== undefined && external !== undefined) throw new DomainError('INVALID_ARGUMENT', `${origin} has its own rates and a rates file was given too: give the rates once`);
    if (peek.rates === undefined && external === undefined) throw new DomainError('RATE_MISSING', `${origin} has no "rates": add {"rates":[{"currency":"USD","btcPrice":"…"}]} or give a rates file`);
    if (external === undefined) return peek;
    // the rates come from outside: check each invoice currency has one, naming the first row without
    const table = new RateTable(external);
    peek.invoices.forEach((inv, i) => {
      if (!table.has(inv.currency)) throw new DomainError('RATE_MISSING', `${origin} row ${peek.rows[i]}: no rate for ${inv.currency} in ${opts.ratesOrigin ?? 'the rates file'}`, { row: peek.rows[i], currency: inv.currency });
    });
    return { ...peek, rates: external };
  }
  if (external === undefined) throw new DomainError('RATE_MISSING', `${origin} is a CSV of invoices: give the rates in a separate file (JSON {"rates":[…]} or CSV currency,btcPrice)`);
  return parseInvoiceCsv(text, origin, external);
}

/**
 * Net a stateless input with the cycle-close code: a NetBook of the invoices, positions at the
 * locked rates, then the transfers.
 * @throws DomainError RATE_MISSING when the input has no rates
 */
export function netInput(input: NetInput): NetResult {
  if (input.rates === undefined) throw new DomainError('RATE_MISSING', 'no rates given');
  const book = new NetBook();
  for (const inv of input.invoices) book.add(inv);
  const positions = closePositions(book, input.rates);
  const transfers = settlementTransfers(positions);
  const snap = book.snapshot();
  return { positions, transfers, invoices: input.invoices.length, repeated: input.repeated, gross: snap.gross };
}
