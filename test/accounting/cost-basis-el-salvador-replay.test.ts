// Replaying El Salvador's announced purchases (data/sovereign/el_salvador_btc_purchases.csv, see its
// README for sources) as on-chain receipts, matched to the announcements as purchase records, gives
// the total BTC and an average cost equal to a straightforward computation from the purchases file
// and the price file. Cost rule, on both sides: a row's `reported_cost_usd` where the press gave one,
// else the BTC amount × the day's price (data/prices/, Bitstamp, first minute of the UTC day).
// `avg_price_usd` is not used. The 1 BTC/day programme (announced 2022-11-17) is replayed as one
// 1 BTC receipt a day from 2022-11-18 to 2026-06-28, each at that day's price.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeCostBasis, receiptOutputs } from '../../src/core/accounting/cost-basis.ts';
import { matchPurchases } from '../../src/core/accounting/purchases.ts';
import type { DailyPrice, PurchaseRecord } from '../../src/core/accounting/types.ts';
import { buildLedger, ledgerBalances } from '../../src/core/accounting/ledger.ts';
import { HistoryBuilder } from '../fixtures/accounting/history.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PURCHASES = join(ROOT, 'data', 'sovereign', 'el_salvador_btc_purchases.csv');
const PRICES = join(ROOT, 'data', 'prices', 'btc_fiat_daily_bitstamp_first_minute_2012-01-01_2026-08-22.csv');
const PROGRAMME_END = '2026-06-28';

/** Split one CSV line with double-quoted fields ("" is a quote). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

function table(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const names = cells(head ?? '');
  return rows.map((r) => Object.fromEntries(cells(r).map((v, i) => [names[i] ?? `${i}`, v])));
}

// The price file, in cents, by date: "12345.67" → 1234567 (the file has at most two decimals).
const priceCents = new Map(table(PRICES).map((r) => {
  const [whole = '0', frac = ''] = (r.BTC_USD ?? '').split('.');
  return [r.Date ?? '', BigInt(whole) * 100n + BigInt(frac.padEnd(2, '0'))];
}));

interface Purchase { id: string; date: string; btc: number; reportedCostUsd: number | null; url: string }

/** The announced purchases, and the programme's daily buys. */
function purchases(): Purchase[] {
  const out: Purchase[] = [];
  table(PURCHASES).forEach((r, i) => {
    const date = r.date_announced ?? '';
    if (r.event === 'purchase') {
      out.push({ id: `es-${i + 2}`, date, btc: Number(r.btc_amount), reportedCostUsd: r.reported_cost_usd ? Number(r.reported_cost_usd) : null, url: r.source_url ?? '' });
    } else if (r.event === 'program_start') {
      for (let t = Date.parse(`${date}T00:00:00Z`) + 86_400_000; t <= Date.parse(`${PROGRAMME_END}T00:00:00Z`); t += 86_400_000) {
        const d = new Date(t).toISOString().slice(0, 10);
        out.push({ id: `es-daily-${d}`, date: d, btc: Number(r.btc_amount), reportedCostUsd: null, url: r.source_url ?? '' });
      }
    }
  });
  return out;
}

/** The straightforward computation: Σ BTC, Σ cost (reported, else BTC × the day's price), their ratio. */
function independent(list: readonly Purchase[]) {
  let btc = 0;
  let costCents = 0n;
  for (const p of list) {
    assert.ok(Number.isInteger(p.btc), 'every announced amount is whole bitcoin, so BTC × price is exact in cents');
    btc += p.btc;
    const day = priceCents.get(p.date);
    assert.ok(day !== undefined, `a price for ${p.date}`);
    costCents += p.reportedCostUsd !== null ? BigInt(Math.round(p.reportedCostUsd * 100)) : BigInt(p.btc) * day;
  }
  // Average cost per BTC in cents, nearest, halves up.
  const avg = (2n * costCents + BigInt(btc)) / (2n * BigInt(btc));
  return { btc, costCents, avg };
}

/** The replay through the books: receipts on the announced days, records matched, lots costed. */
function replay(list: readonly Purchase[]) {
  const h = new HistoryBuilder();
  list.forEach((p, i) => h.receive({ height: 700_000 + i, date: p.date }, 'purchase', [{ vaultId: 'el-salvador', sats: BigInt(p.btc) * 100_000_000n }]));
  const records: PurchaseRecord[] = list.map((p) => ({
    id: p.id, date: p.date, sats: BigInt(p.btc) * 100_000_000n,
    paid: p.reportedCostUsd === null ? null : { currency: 'USD', minor: BigInt(Math.round(p.reportedCostUsd * 100)) },
    counterparty: null, sourceUrl: p.url, vaultId: 'el-salvador',
  }));
  const txs = h.txs();
  const matching = matchPurchases(records, receiptOutputs(txs));
  const price = (date: string): DailyPrice | null => {
    const c = priceCents.get(date);
    return c === undefined ? null : { date, currency: 'USD', minorPerBtc: c };
  };
  const basis = computeCostBasis({ history: txs, methods: { 'el-salvador': 'fifo' }, price, purchases: { records, matches: matching.matches } });
  return { txs, matching, basis };
}

test('El Salvador\'s announced lump purchases (3,500 BTC) replayed as receipts: total BTC and average cost equal the independent computation', () => {
  const lumps = purchases().filter((p) => !p.id.startsWith('es-daily'));
  assert.equal(lumps.length, 14);
  const want = independent(lumps);
  assert.equal(want.btc, 3_500);
  const { matching, basis, txs } = replay(lumps);
  assert.equal(matching.matches.length, 14);
  assert.deepEqual([matching.unmatchedRecords.length, matching.unmatchedReceipts.length], [0, 0]);
  const v = basis.vaults[0];
  assert.ok(v);
  assert.equal(v.sats, BigInt(want.btc) * 100_000_000n);
  assert.equal(v.cost.minor, want.costCents);
  assert.equal((2n * v.cost.minor * 100_000_000n + v.sats) / (2n * v.sats), want.avg);
  // 7 rows carry a reported cost (purchase-record); the other 7 are at the day's price (market-price).
  const origins = basis.lots.map((l) => l.costOrigin.kind);
  assert.deepEqual([origins.filter((k) => k === 'purchase-record').length, origins.filter((k) => k === 'market-price').length], [7, 7]);
  // The ledger agrees: 3,500 BTC acquired by purchase, held in the vault.
  const ledger = Object.fromEntries(ledgerBalances(buildLedger(txs)).map((b) => [b.key, b.sats]));
  assert.deepEqual(ledger, { 'acquisitions:purchase': -350_000_000_000n, 'asset:el-salvador': 350_000_000_000n });
});

test('with the 1 BTC/day programme replayed day by day to 2026-06-28, the total and the average cost still equal the independent computation', () => {
  const all = purchases();
  const want = independent(all);
  const { matching, basis } = replay(all);
  assert.deepEqual([matching.matches.length, matching.unmatchedRecords.length, matching.unmatchedReceipts.length], [all.length, 0, 0]);
  const v = basis.vaults[0];
  assert.ok(v);
  assert.equal(v.sats, BigInt(want.btc) * 100_000_000n);
  assert.equal(v.cost.minor, want.costCents);
  const avg = (2n * v.cost.minor * 100_000_000n + v.sats) / (2n * v.sats);
  assert.equal(avg, want.avg);
  // Orders of magnitude, for the reader: 3,500 + 1,319 daily buys, and an average cost in the tens of thousands of dollars.
  assert.equal(want.btc, 3_500 + 1_319);
  assert.ok(avg > 2_000_000n && avg < 10_000_000n, `average $${Number(avg) / 100}`);
});
