/**
 * The invoice batch a member (or the clearing house) imports: CSV with the header
 * `reference,exporter,importer,amount,currency,due` (and optionally `seller,buyer`, the trading
 * parties behind the invoice, which are screened), or JSON — `{"invoices":[…]}` or an array — of
 * objects with the same fields. Amounts are decimal strings in the currency's units ("1250.50"),
 * exactly as `soberana settlement net` reads them; `due` is YYYY-MM-DD. Pure.
 *
 * Refusals name the row (1-based data row) and carry a stable code: INVALID_ARGUMENT (a malformed
 * row or field), INVALID_AMOUNT, UNKNOWN_CURRENCY, MALFORMED_DATA (not CSV/JSON at all).
 */
import { DomainError } from '../errors.ts';
import { parseMinorAmount } from './rates.ts';
import type { NewInvoice } from './store-port.ts';

export const INVOICE_FILE_LIMITS = { maxRows: 2_000_000, maxReference: 100, maxParty: 200 } as const;

const MEMBER_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** Control characters (C0 and DEL) a reference or party name may not hold. */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
const DAY_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const REQUIRED = ['reference', 'exporter', 'importer', 'amount', 'currency', 'due'] as const;
const OPTIONAL = ['seller', 'buyer'] as const;

/** Whether `text` is a real calendar day YYYY-MM-DD (Gregorian, leap years included). */
export function isDay(text: string): boolean {
  if (!DAY_RE.test(text)) return false;
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= days;
}

function rowError(row: number | null, e: unknown): never {
  if (e instanceof DomainError) {
    const details = { ...(typeof e.details === 'object' && e.details !== null ? e.details : {}), ...(row === null ? {} : { row }) };
    throw new DomainError(e.code, row === null ? e.message : `row ${row}: ${e.message}`, details);
  }
  throw e;
}

/** Field `k` of `f`, trimmed; null when absent or empty (INVALID_ARGUMENT when required). */
function field(f: Readonly<Record<string, unknown>>, k: string, required: boolean): string | null {
  const v = f[k];
  if (v === undefined || v === null || v === '') {
    if (required) throw new DomainError('INVALID_ARGUMENT', `"${k}" is missing`);
    return null;
  }
  if (typeof v !== 'string') throw new DomainError('INVALID_ARGUMENT', `"${k}" must be a string${k === 'amount' ? ' (a decimal like "1250.50", never a JSON number)' : ''}`);
  return v.trim();
}

function party(f: Readonly<Record<string, unknown>>, k: 'seller' | 'buyer'): string | null {
  const v = field(f, k, false);
  if (v !== null && (v.length > INVOICE_FILE_LIMITS.maxParty || hasControl(v))) throw new DomainError('INVALID_ARGUMENT', `"${k}" must be at most ${INVOICE_FILE_LIMITS.maxParty} printable characters`);
  return v;
}

function checkedInvoice(f: Readonly<Record<string, unknown>>): NewInvoice {
  const reference = field(f, 'reference', true) as string;
  if (reference.length > INVOICE_FILE_LIMITS.maxReference || hasControl(reference)) throw new DomainError('INVALID_ARGUMENT', `reference must be 1 to ${INVOICE_FILE_LIMITS.maxReference} printable characters`);
  const exporter = field(f, 'exporter', true) as string;
  const importer = field(f, 'importer', true) as string;
  if (!MEMBER_RE.test(exporter)) throw new DomainError('INVALID_ARGUMENT', `"exporter" is not a member code: "${exporter.slice(0, 40)}"`);
  if (!MEMBER_RE.test(importer)) throw new DomainError('INVALID_ARGUMENT', `"importer" is not a member code: "${importer.slice(0, 40)}"`);
  if (exporter === importer) throw new DomainError('INVALID_ARGUMENT', `invoice ${reference} is from ${exporter} to itself`);
  const currency = (field(f, 'currency', true) as string).toUpperCase();
  const amountMinor = parseMinorAmount(field(f, 'amount', true) as string, currency);
  const dueDate = field(f, 'due', true) as string;
  if (!isDay(dueDate)) throw new DomainError('INVALID_ARGUMENT', `"due" must be a day as YYYY-MM-DD, got "${dueDate.slice(0, 20)}"`);
  return { reference, exporter, importer, amountMinor, currency, dueDate, seller: party(f, 'seller'), buyer: party(f, 'buyer') };
}

/**
 * One invoice from its fields as given (strings), checked.
 * @throws DomainError INVALID_ARGUMENT, INVALID_AMOUNT, UNKNOWN_CURRENCY (with `row` in front when given)
 */
export function invoiceFromFields(f: Readonly<Record<string, unknown>>, row: number | null = null): NewInvoice {
  try {
    return checkedInvoice(f);
  } catch (e) {
    return rowError(row, e);
  }
}

/**
 * Parse an invoice batch (CSV or JSON, see above).
 * @example parseInvoiceBatch('reference,exporter,importer,amount,currency,due\nR1,SLV,RUS,1250.50,USD,2026-12-04\n')[0].amountMinor === 125050n
 */
export function parseInvoiceBatch(text: string, origin = 'invoice file'): NewInvoice[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new DomainError('MALFORMED_DATA', `${origin} is empty`);
  if (body.startsWith('{') || body.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (e) {
      throw new DomainError('MALFORMED_DATA', `${origin} is not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null && Array.isArray((doc as { invoices?: unknown }).invoices) ? (doc as { invoices: unknown[] }).invoices : null;
    if (list === null) throw new DomainError('MALFORMED_DATA', `${origin}: expected {"invoices":[…]} or an array of invoices`);
    if (list.length > INVOICE_FILE_LIMITS.maxRows) throw new DomainError('MALFORMED_DATA', `${origin} has more than ${INVOICE_FILE_LIMITS.maxRows} invoices`);
    return list.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new DomainError('INVALID_ARGUMENT', `row ${i + 1}: expected an object`, { row: i + 1 });
      for (const k of Object.keys(item)) {
        if (!(REQUIRED as readonly string[]).includes(k) && !(OPTIONAL as readonly string[]).includes(k)) throw new DomainError('INVALID_ARGUMENT', `row ${i + 1}: unknown field "${k.slice(0, 40)}"`, { row: i + 1 });
      }
      return invoiceFromFields(item as Record<string, unknown>, i + 1);
    });
  }
  const lines = body.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  for (const k of REQUIRED) if (!header.includes(k)) throw new DomainError('MALFORMED_DATA', `${origin}: the header must name ${REQUIRED.join(',')} (optionally seller,buyer); "${k}" is missing`);
  for (const h of header) if (!(REQUIRED as readonly string[]).includes(h) && !(OPTIONAL as readonly string[]).includes(h)) throw new DomainError('MALFORMED_DATA', `${origin}: unknown column "${h.slice(0, 40)}"`);
  if (lines.length - 1 > INVOICE_FILE_LIMITS.maxRows) throw new DomainError('MALFORMED_DATA', `${origin} has more than ${INVOICE_FILE_LIMITS.maxRows} rows`);
  // each field's column (the last one when a column is named twice); one fixed-shape record per row
  const [cr, ce, ci, ca, cc, cd, cs, cb] = [...REQUIRED, ...OPTIONAL].map((k) => header.lastIndexOf(k)) as [number, number, number, number, number, number, number, number];
  const out: NewInvoice[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) throw new DomainError('INVALID_ARGUMENT', `row ${i}: expected ${header.length} fields, got ${cells.length} (no commas inside fields)`, { row: i });
    const f = { reference: cells[cr], exporter: cells[ce], importer: cells[ci], amount: cells[ca], currency: cells[cc], due: cells[cd], seller: cs < 0 ? undefined : cells[cs], buyer: cb < 0 ? undefined : cells[cb] };
    out.push(invoiceFromFields(f, i));
  }
  return out;
}
