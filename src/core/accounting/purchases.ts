/**
 * Matching purchase records (what the treasury says it bought) to on-chain receipts (what its vaults
 * received). Pure. One record matches one receipt or several receipts summing to it; each receipt
 * serves at most one record; what matches nothing is reported on both sides.
 *
 * A receipt is eligible for a record when it is in the record's vault (any vault if the record names
 * none), not yet matched, and dated from `daysBefore` days before to `daysAfter` days after the record
 * (announcements come after the coins land as often as before; the record's date is the
 * announcement's, often in local time). The passes, each over every record in date order, are:
 *  1. `exact`: one receipt of exactly the record's sats (earliest first);
 *  2. `exact-several`: consecutive eligible receipts (in date order) summing exactly to it;
 *  3. `tolerance`: one receipt within the tolerance (closest, then earliest);
 *  4. `tolerance-several`: consecutive receipts whose sum is within the tolerance (closest, then earliest).
 * The tolerance is `max(toleranceSats, record.sats · tolerancePpm / 10⁶)` — by default 0.001 BTC or
 * 0.1 %, whichever is larger: an exchange's withdrawal fee taken from the delivered amount, or an
 * announcement rounded to whole bitcoin. The fiat paid covers the sats actually received.
 */
import { DomainError } from '../errors.ts';
import type { PurchaseRecord } from './types.ts';

/** A receipt output a record may match (`receiptOutputs` in cost-basis.ts lists them). */
export interface PurchaseReceipt {
  /** The lot id, `${txid}:${vout}`. */
  readonly id: string;
  readonly vaultId: string;
  readonly date: string;
  readonly sats: bigint;
}

export interface PurchaseMatchOptions {
  /** Days a receipt may come after the record's date (default 7). */
  readonly daysAfter?: number;
  /** Days a receipt may come before it (default 1). */
  readonly daysBefore?: number;
  /** Absolute tolerance floor in sats (default 100,000 = 0.001 BTC). */
  readonly toleranceSats?: bigint;
  /** Relative tolerance in millionths (default 1,000 = 0.1 %). */
  readonly tolerancePpm?: bigint;
  /** Most receipts one record may gather (default 31). */
  readonly maxParts?: number;
}

export const PURCHASE_MATCH_RULES = ['exact', 'exact-several', 'tolerance', 'tolerance-several'] as const;
export type PurchaseMatchRule = (typeof PURCHASE_MATCH_RULES)[number];

export interface PurchaseMatch {
  readonly recordId: string;
  /** In date order. */
  readonly receiptIds: readonly string[];
  readonly receiptSats: bigint;
  /** Received minus recorded sats (0 for the exact rules). */
  readonly differenceSats: bigint;
  readonly rule: PurchaseMatchRule;
}

export interface PurchaseMatching {
  readonly matches: readonly PurchaseMatch[];
  readonly unmatchedRecords: readonly PurchaseRecord[];
  readonly unmatchedReceipts: readonly PurchaseReceipt[];
}

const DAY_MS = 86_400_000;

function dayNumber(date: string, label: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${label}: "date" expected YYYY-MM-DD, got ${date}`);
  return t / DAY_MS;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/**
 * Match records to receipts (see the module comment for the rules).
 * @example
 *   matchPurchases([{ id: 'r1', date: '2022-01-21', sats: 41_000_000_000n, paid: { currency: 'USD', minor: 1_500_000_000n }, counterparty: null, sourceUrl: null, vaultId: null }],
 *     [{ id: 'aa…:0', vaultId: 'reserve', date: '2022-01-22', sats: 41_000_000_000n }])
 *   // → { matches: [{ recordId: 'r1', receiptIds: ['aa…:0'], rule: 'exact', … }], unmatchedRecords: [], unmatchedReceipts: [] }
 */
export function matchPurchases(records: readonly PurchaseRecord[], receipts: readonly PurchaseReceipt[], opts: PurchaseMatchOptions = {}): PurchaseMatching {
  const daysAfter = opts.daysAfter ?? 7;
  const daysBefore = opts.daysBefore ?? 1;
  const tolSats = opts.toleranceSats ?? 100_000n;
  const tolPpm = opts.tolerancePpm ?? 1_000n;
  const maxParts = opts.maxParts ?? 31;
  if (!(daysAfter >= 0 && daysBefore >= 0 && tolSats >= 0n && tolPpm >= 0n && maxParts >= 1)) throw new RangeError('matchPurchases: options must not be negative');
  if (new Set(records.map((r) => r.id)).size !== records.length) throw new RangeError('matchPurchases: two records share an id');
  if (new Set(receipts.map((r) => r.id)).size !== receipts.length) throw new RangeError('matchPurchases: two receipts share an id');
  for (const r of records) if (r.sats <= 0n) throw new RangeError(`matchPurchases: record ${r.id} has no sats`);

  const recs = records.map((r) => ({ r, day: dayNumber(r.date, `record ${r.id}`) }))
    .sort((a, b) => a.day - b.day || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  const rcpts = receipts.map((r) => ({ r, day: dayNumber(r.date, `receipt ${r.id}`) }))
    .sort((a, b) => a.day - b.day || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  const used = new Set<string>();
  const done = new Map<string, PurchaseMatch>();

  const eligible = (rec: PurchaseRecord, day: number) =>
    rcpts.filter((x) => !used.has(x.r.id) && (rec.vaultId === null || x.r.vaultId === rec.vaultId) && x.day >= day - daysBefore && x.day <= day + daysAfter);

  const passes: { rule: PurchaseMatchRule; several: boolean; exact: boolean }[] = [
    { rule: 'exact', several: false, exact: true },
    { rule: 'exact-several', several: true, exact: true },
    { rule: 'tolerance', several: false, exact: false },
    { rule: 'tolerance-several', several: true, exact: false },
  ];
  for (const pass of passes) {
    for (const { r: rec, day } of recs) {
      if (done.has(rec.id)) continue;
      const tol = pass.exact ? 0n : (() => { const rel = (rec.sats * tolPpm) / 1_000_000n; return rel > tolSats ? rel : tolSats; })();
      const pool = eligible(rec, day);
      let best: { ids: string[]; sats: bigint; diff: bigint } | null = null;
      for (let i = 0; i < pool.length; i++) {
        let total = 0n;
        const ids: string[] = [];
        for (let j = i; j < pool.length && j - i < (pass.several ? maxParts : 1); j++) {
          const x = pool[j] as (typeof pool)[number];
          total += x.r.sats;
          ids.push(x.r.id);
          if (pass.several && ids.length < 2) continue;
          const diff = abs(total - rec.sats);
          if (diff <= tol && (best === null || diff < best.diff)) best = { ids: [...ids], sats: total, diff };
          if (total > rec.sats + tol) break;
        }
        if (best !== null && best.diff === 0n) break;
      }
      if (best === null) continue;
      for (const id of best.ids) used.add(id);
      done.set(rec.id, { recordId: rec.id, receiptIds: best.ids, receiptSats: best.sats, differenceSats: best.sats - rec.sats, rule: pass.rule });
    }
  }
  return {
    matches: recs.flatMap(({ r }) => { const m = done.get(r.id); return m ? [m] : []; }),
    unmatchedRecords: recs.filter(({ r }) => !done.has(r.id)).map(({ r }) => r),
    unmatchedReceipts: rcpts.filter(({ r }) => !used.has(r.id)).map(({ r }) => r),
  };
}

/** Minor-unit exponents of currencies that do not use cents (ISO 4217); every other code uses 2. */
const MINOR_EXPONENT: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** Split one CSV line; fields may be double-quoted ("" is a quote inside). */
function csvCells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim());
}

/** Header names accepted for each field (the second set reads the El Salvador announcements file). */
const COLUMNS = {
  id: ['id'],
  date: ['date', 'date_announced'],
  btc: ['btc', 'btc_amount'],
  paid: ['paid', 'reported_cost_usd'],
  currency: ['currency'],
  counterparty: ['counterparty'],
  sourceUrl: ['source_url', 'url'],
  vault: ['vault'],
  event: ['event'],
} as const;

export interface ParsedPurchases {
  readonly records: PurchaseRecord[];
  /** Rows left out: an `event` column other than `purchase` (e.g. a programme announcement). */
  readonly skipped: readonly { readonly line: number; readonly event: string }[];
}

/**
 * Purchase records from CSV text with a header row. Columns (any order, case-insensitive):
 * `date` (YYYY-MM-DD, required), `btc` (decimal BTC, required), `paid` (decimal amount, optional),
 * `currency` (ISO 4217, required with `paid` unless the column is `reported_cost_usd`),
 * `counterparty`, `source_url`, `vault`, `id` (default `${date}#${n}`, the n-th row of that date),
 * and `event` (rows whose event is not `purchase` are skipped and listed). A malformed row is
 * DomainError INVALID_IMPORT naming its line.
 * @example parsePurchaseCsv('date,btc,paid,currency\n2022-01-21,410,15000000,USD\n').records[0]?.paid // { currency: 'USD', minor: 1_500_000_000n }
 */
export function parsePurchaseCsv(text: string, origin = 'purchases file'): ParsedPurchases {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvCells(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (names: readonly string[]) => header.findIndex((h) => names.includes(h));
  const at = Object.fromEntries(Object.entries(COLUMNS).map(([k, names]) => [k, col(names)])) as Record<keyof typeof COLUMNS, number>;
  if (at.date < 0 || at.btc < 0) throw new DomainError('INVALID_IMPORT', `${origin}: the header needs "date" and "btc" columns`);
  const paidIsUsd = at.paid >= 0 && header[at.paid] === 'reported_cost_usd';
  const records: PurchaseRecord[] = [];
  const skipped: { line: number; event: string }[] = [];
  const perDate = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const line = i + 1;
    const c = csvCells(raw);
    const get = (k: keyof typeof COLUMNS) => (at[k] >= 0 ? c[at[k]] ?? '' : '');
    const bad = (what: string): never => { throw new DomainError('INVALID_IMPORT', `${origin} line ${line}: ${what}`); };
    const event = get('event');
    if (at.event >= 0 && event !== 'purchase') { skipped.push({ line, event }); continue; }
    const date = get('date');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isFinite(Date.parse(`${date}T00:00:00Z`))) bad(`"${date.slice(0, 20)}" is not a date (YYYY-MM-DD)`);
    const btc = /^(\d{1,8})(?:\.(\d{1,8}))?$/.exec(get('btc'));
    if (!btc) bad(`"${get('btc').slice(0, 20)}" is not a BTC amount`);
    const sats = BigInt((btc as RegExpExecArray)[1] ?? '0') * 100_000_000n + BigInt(((btc as RegExpExecArray)[2] ?? '').padEnd(8, '0'));
    if (sats <= 0n || sats > 2_100_000_000_000_000n) bad('the BTC amount must be above 0 and at most 21,000,000');
    let paid: PurchaseRecord['paid'] = null;
    const paidText = get('paid');
    if (paidText !== '') {
      const currency = paidIsUsd ? 'USD' : get('currency').toUpperCase();
      if (!/^[A-Z]{3}$/.test(currency)) bad('a paid amount needs a currency (ISO 4217, e.g. USD)');
      const exp = MINOR_EXPONENT[currency] ?? 2;
      const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(paidText);
      if (!m || (m[2] ?? '').length > exp) bad(`"${paidText.slice(0, 20)}" is not an amount of ${currency} (at most ${exp} decimals)`);
      const mm = m as RegExpExecArray;
      paid = { currency, minor: BigInt(mm[1] ?? '0') * 10n ** BigInt(exp) + BigInt((mm[2] ?? '').padEnd(exp, '0') || '0') };
    }
    const n = (perDate.get(date) ?? 0) + 1;
    perDate.set(date, n);
    const opt = (k: keyof typeof COLUMNS) => (get(k) === '' ? null : get(k));
    records.push({ id: opt('id') ?? `${date}#${n}`, date, sats, paid, counterparty: opt('counterparty'), sourceUrl: opt('sourceUrl'), vaultId: opt('vault') });
  }
  if (new Set(records.map((r) => r.id)).size !== records.length) throw new DomainError('INVALID_IMPORT', `${origin}: two rows share an id`);
  return { records, skipped };
}
