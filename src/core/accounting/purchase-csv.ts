/**
 * Purchase records from CSV (issue #13, item 2). Pure: text in, records out.
 *
 * The file has a header naming its columns (any order, case-insensitive):
 *   date, btc, paid, currency, counterparty, source_url [, vault]
 * `date` is YYYY-MM-DD (UTC); `btc` a positive BTC amount (at most 8 decimals); `paid` the fiat paid
 * in `currency` as a plain decimal ("15000000.00") or empty when not known (then `currency` may be
 * empty too); `counterparty`, `source_url` and `vault` may be empty. Quoted cells ("a, b") and ""
 * escapes are read as in RFC 4180; a cell may not span lines.
 *
 * A malformed row refuses the whole file with one line naming the row (`row 4: …`), so an import is
 * all or nothing. Each record's id is derived from its content — `pur_` and the first 16 hex digits
 * of SHA-256 over the normalised fields — so the same record imported twice is stored once; the n-th
 * identical row of one file (two equal purchases on one day) gets `-n` appended.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { DomainError } from '../errors.ts';
import { parseBtc } from '../money.ts';
import type { PurchaseRecord } from './types.ts';

export const PURCHASE_CSV_COLUMNS = ['date', 'btc', 'paid', 'currency', 'counterparty', 'source_url', 'vault'] as const;
const REQUIRED = ['date', 'btc', 'paid', 'currency', 'counterparty', 'source_url'] as const;
const ALIASES: Readonly<Record<string, string>> = { fiat_paid: 'paid', paid_fiat: 'paid', url: 'source_url', source: 'source_url', 'source url': 'source_url', 'fiat paid': 'paid' };
const MAX_CELL = 2000;
const MAX_ROWS = 100_000;

/** A record as the file gives it: `vault` is the vault's name or id as written (resolved by the app). */
export type ParsedPurchase = Omit<PurchaseRecord, 'vaultId'> & { readonly vault: string | null; readonly row: number };

/** Split one CSV line into cells (RFC 4180 quoting, no line breaks inside cells). */
export function splitCsvRow(line: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { cell += '"'; i += 2; continue; }
          i++;
          break;
        }
        cell += line[i];
        i++;
      }
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const j = line.indexOf(',', i);
      cell = j < 0 ? line.slice(i) : line.slice(i, j);
      if (cell.includes('"')) return null;
      i = j < 0 ? line.length : j;
    }
    cells.push(cell.trim());
    if (i >= line.length) return cells;
    i++; // the comma
  }
}

function fiatMinor(text: string, digits: number, where: string): bigint {
  const m = /^(\d{1,18})(?:\.(\d+))?$/.exec(text.replace(/_/g, ''));
  if (!m) throw new DomainError('MALFORMED_DATA', `${where}: "paid" is not an amount: "${short(text)}" (write e.g. 15000000.00, no thousands separators)`);
  const frac = m[2] ?? '';
  if (frac.length > digits) throw new DomainError('MALFORMED_DATA', `${where}: "paid" has ${frac.length} decimals; the currency has ${digits}`);
  return BigInt(m[1] as string) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
}

const short = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}…` : s);

function validDay(d: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}

/** The content id of a record (without the -n of repeated rows). */
export function purchaseContentId(r: Omit<ParsedPurchase, 'id' | 'row'>): string {
  const canonical = [r.date, r.sats.toString(), r.paid?.minor.toString() ?? '', r.paid?.currency ?? '', r.counterparty ?? '', r.sourceUrl ?? '', r.vault ?? ''].join('\u001f');
  return `pur_${bytesToHex(sha256(utf8ToBytes(canonical))).slice(0, 16)}`;
}

/**
 * Parse a purchases CSV. `minorDigits(currency)` gives the decimals of a currency's minor unit
 * (throws for an unknown one). `origin` names the file in messages.
 * @throws DomainError MALFORMED_DATA naming the row, for the first malformed row
 * @example parsePurchaseCsv('date,btc,paid,currency,counterparty,source_url\n2021-09-06,200,9400000.00,USD,,https://…\n', { minorDigits: () => 2 })
 */
export function parsePurchaseCsv(text: string, opts: { readonly minorDigits: (currency: string) => number; readonly origin?: string }): ParsedPurchase[] {
  const origin = opts.origin ?? 'purchases file';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new DomainError('MALFORMED_DATA', `${origin} is empty: expected a header "${REQUIRED.join(',')}[,vault]" and one row per purchase`);
  const header = splitCsvRow(lines[headerAt] as string)?.map((h) => { const k = h.toLowerCase(); return ALIASES[k] ?? k; });
  if (!header) throw new DomainError('MALFORMED_DATA', `${origin} row ${headerAt + 1} (header): unbalanced quotes`);
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new DomainError('MALFORMED_DATA', `${origin} row ${headerAt + 1} (header): missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${REQUIRED.join(',')}[,vault])`);
  const col = (name: string): number => header.indexOf(name);
  const seen = new Map<string, number>();
  const out: ParsedPurchase[] = [];
  for (let n = headerAt + 1; n < lines.length; n++) {
    const line = lines[n] as string;
    if (line.trim() === '') continue;
    const row = n + 1;
    const where = `${origin} row ${row}`;
    if (out.length >= MAX_ROWS) throw new DomainError('MALFORMED_DATA', `${origin}: more than ${MAX_ROWS} rows; split the file`);
    const cells = splitCsvRow(line);
    if (!cells) throw new DomainError('MALFORMED_DATA', `${where}: unbalanced quotes`);
    if (cells.length !== header.length) throw new DomainError('MALFORMED_DATA', `${where}: ${cells.length} cells, the header has ${header.length}`);
    if (cells.some((c) => c.length > MAX_CELL)) throw new DomainError('MALFORMED_DATA', `${where}: a cell longer than ${MAX_CELL} characters`);
    const cell = (name: string): string => (col(name) < 0 ? '' : (cells[col(name)] as string));
    const date = cell('date');
    if (!validDay(date)) throw new DomainError('MALFORMED_DATA', `${where}: "date" must be a day YYYY-MM-DD, got "${short(date)}"`);
    let sats: bigint;
    try {
      sats = parseBtc(cell('btc'));
    } catch {
      throw new DomainError('MALFORMED_DATA', `${where}: "btc" is not a BTC amount: "${short(cell('btc'))}" (write e.g. 200 or 0.5)`);
    }
    if (sats <= 0n) throw new DomainError('MALFORMED_DATA', `${where}: "btc" must be more than zero`);
    const paidText = cell('paid');
    const currency = cell('currency').toUpperCase();
    let paid: PurchaseRecord['paid'] = null;
    if (paidText !== '') {
      if (!/^[A-Z]{3}$/.test(currency)) throw new DomainError('MALFORMED_DATA', `${where}: "currency" must be an ISO 4217 code such as USD when "paid" is given, got "${short(cell('currency'))}"`);
      let digits: number;
      try {
        digits = opts.minorDigits(currency);
      } catch {
        throw new DomainError('MALFORMED_DATA', `${where}: unknown currency ${currency}`);
      }
      paid = { currency, minor: fiatMinor(paidText, digits, where) };
    } else if (currency !== '' && !/^[A-Z]{3}$/.test(currency)) {
      throw new DomainError('MALFORMED_DATA', `${where}: "currency" must be an ISO 4217 code such as USD, got "${short(cell('currency'))}"`);
    }
    const url = cell('source_url');
    if (url !== '' && !/^https?:\/\/[^\s]+$/i.test(url)) throw new DomainError('MALFORMED_DATA', `${where}: "source_url" must be an http(s) address, got "${short(url)}"`);
    const base = { date, sats, paid, counterparty: cell('counterparty') || null, sourceUrl: url || null, vault: cell('vault') || null };
    const cid = purchaseContentId(base);
    const k = (seen.get(cid) ?? 0) + 1;
    seen.set(cid, k);
    out.push({ ...base, id: k === 1 ? cid : `${cid}-${k}`, row });
  }
  return out;
}
