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
