// Statements per period (issue #13, item 5) on a hand-built history in a real SQLite store: the
// balance sheet foots (assets at cost and value; the ledger's accounts sum to zero), movements give
// every entry of a period with its txid, kind, source class and accounts, and opening + movements =
// closing; P&L per vault adds up to the total. The printable PDF is made from the same statement
// objects: its text, read back from the file, carries exactly the JSON's figures; a long lots table
// runs over several pages with its header repeated and every page numbered; and a fixed generation
// date gives the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { minorDigitsOf } from '../../src/adapters/prices/fx-csv.ts';
import { renderStatementPdf } from '../../src/adapters/report/pdf-statement.ts';
import { loadRateBook, type RateBook } from '../../src/core/accounting/reference-rate.ts';
import { balanceSheetStatement, computeBooks, holdingsStatement, lotsStatement, movementsStatement, pnlStatement } from '../../src/app/accounting/reports.ts';
import { balanceSheetDocument, lotsDocument, movementsDocument, printedBtc, printedMoney } from '../../src/app/accounting/statement-documents.ts';
import { importPurchases } from '../../src/app/accounting/purchases.ts';
import { DomainError } from '../../src/core/errors.ts';
import { fixture, type Fixture } from './books-fixture.ts';
import { pdfLines } from './pdf-text.ts';

const dir = mkdtempSync(join(tmpdir(), 'soberana-statements-'));
let db: Database;
let f: Fixture;
let book: RateBook;
const digits = (c: string): number => minorDigitsOf(c);
const GENERATED = new Date('2026-12-02T10:00:00Z');

test('setup: Reserve buys 1.5 BTC (recorded, $90,000.00), receives a 0.5 BTC donation, pays 1.2 BTC out with a 10,000-sat fee; Many receives 120 receipts', async () => {
  db = await openDatabase({ url: join(dir, 'books.db') });
  f = await fixture(db, ['Reserve', 'Many']);
  book = await loadRateBook(shippedReferenceRates(), ['USD']);
  const buy = await f.receive('Reserve', 101, '2024-03-01', 150_000_000n, 'buy');
  const gift = await f.receive('Reserve', 102, '2024-06-03', 50_000_000n, 'gift', 'donation');
  await f.pay('Reserve', 103, '2024-09-02', [{ txid: buy, vout: 0, sats: 150_000_000n }, { txid: gift, vout: 0, sats: 50_000_000n }], 120_000_000n, 10_000n, 'pay');
  for (let i = 0; i < 120; i++) await f.receive('Many', 200 + i, `2024-${String(1 + Math.floor(i / 28)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, 1_000_000n + BigInt(i) * 1_234n, `many ${i}`);
  await importPurchases(f.deps, { actor: 'rosa', role: 'admin' }, 'date,btc,paid,currency,counterparty,source_url\n2024-03-01,1.5,90000.00,USD,Broker,https://example.org/1\n', { origin: 'p.csv', minorDigits: digits, vault: 'Reserve' });
});

test('the balance sheet: each vault at cost and at value at the dated price, and the ledger\'s accounts balance to zero', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31', vault: 'Reserve' });
  const s = balanceSheetStatement(b);
  const h = holdingsStatement(b);
  assert.equal(s.assets.length, 1);
  assert.equal(s.assets[0]?.sats, 79_990_000n);
  assert.deepEqual([s.assets[0]?.cost, s.assets[0]?.value], [h.vaults[0]?.cost, h.vaults[0]?.value]);
  assert.equal(s.price.date, '2024-12-31');
  const acc = Object.fromEntries(s.accounts.map((a) => [a.account, a.sats]));
  const many = Array.from({ length: 120 }, (_, i) => 1_000_000n + BigInt(i) * 1_234n).reduce((a, x) => a + x, 0n);
  assert.equal(acc['acquisitions:purchase'], -150_000_000n - many, 'the counter-accounts are the whole alliance\'s (Many\'s receipts too)');
  assert.equal(acc['asset:many'], many);
  assert.equal(acc['acquisitions:donation'], -50_000_000n);
  assert.equal(acc['payments-out'], 120_000_000n);
  assert.equal(acc.fees, 10_000n);
  assert.equal(acc['asset:reserve'], 79_990_000n);
  assert.equal(s.accounts.reduce((a, x) => a + x.sats, 0n), 0n);
});

test('movements of a period: every entry with txid, kind, source class and accounts; opening + movements = closing', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31', vault: 'Reserve' });
  const m = movementsStatement(b, { from: '2024-06-01' });
  assert.deepEqual(m.movements.map((x) => [x.date, x.kind, x.source, x.assetChange]), [['2024-06-03', 'receipt', 'donation', 50_000_000n], ['2024-09-02', 'payment', null, -120_010_000n]]);
  assert.deepEqual(m.opening, [{ vault: 'reserve', account: 'asset:reserve', sats: 150_000_000n }]);
  assert.deepEqual(m.closing, [{ vault: 'reserve', account: 'asset:reserve', sats: 79_990_000n }]);
  assert.deepEqual(m.movements[1]?.lines, [{ account: 'asset:reserve', sats: -120_010_000n }, { account: 'fees', sats: 10_000n }, { account: 'payments-out', sats: 120_000_000n }]);
  assert.ok((m.movements[1]?.valueOnDay?.minor ?? 0n) < 0n, 'an outflow is valued negative');
  assert.throws(() => movementsStatement(b, { from: '2025-01-01' }), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT');
});

test('P&L of a period: realised per vault sums to the total; fees expensed apart', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31' });
  const p = pnlStatement(b, '2024-01-01');
  assert.equal(p.vaults.reduce((a, v) => a + v.realised.pnl.minor, 0n), p.realised.pnl.minor);
  assert.ok(p.realised.feesCost.minor > 0n);
  const before = pnlStatement(b, '2024-10-01');
  assert.equal(before.realised.proceeds.minor, 0n, 'the payment of 2024-09-02 is outside a period from 2024-10-01');
});

test('the balance sheet PDF carries exactly the JSON figures, the dated price and its source, the method and the period', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31' });
  const s = balanceSheetStatement(b);
  const pdf = await renderStatementPdf(balanceSheetDocument(s, digits), { generatedAt: GENERATED });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = pdfLines(pdf);
  const all = text.join('\n');
  for (const a of s.assets) {
    const row = text.filter((l) => l.includes(`(${a.account})`) || l === printedMoney(a.cost, digits));
    assert.ok(row.length > 0, a.account);
    for (const fig of [printedBtc(a.sats), a.sats.toString(), printedMoney(a.cost, digits), printedMoney(a.value, digits)]) assert.ok(text.includes(fig.replace('−', '-')), `${a.account}: ${fig} printed`);
  }
  for (const fig of [printedMoney(s.totalAssets.cost, digits), printedMoney(s.totalAssets.value, digits), printedMoney(s.totalAssets.unrealisedPnl, digits)]) assert.ok(text.includes(fig.replace('−', '-')), `total ${fig} printed`);
  for (const a of s.accounts) assert.ok(text.includes(a.sats.toString()), `${a.account} ${a.sats}`);
  assert.match(all, /Balance sheet at the end of 2024-12-31/);
  assert.match(all, new RegExp(`BTC/USD \\$[\\d,.]+ of ${s.price.date} \\(source: `));
  assert.match(all, /Cost-basis method: /);
  assert.match(all, /reserve: fifo \(default\)/);
  assert.match(all, /Page 1 of 1/);
  assert.match(all, /generated 2026-12-02 10:00:00 UTC/);
  const again = await renderStatementPdf(balanceSheetDocument(s, digits), { generatedAt: GENERATED });
  assert.ok(pdf.equals(again), 'a fixed generation date gives the same bytes');
  const later = await renderStatementPdf(balanceSheetDocument(s, digits), { generatedAt: new Date('2026-12-03T10:00:00Z') });
  assert.ok(!pdf.equals(later));
});

test('a long lots table runs over several pages: header repeated, every page numbered, every lot and the total printed', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31', vault: 'Many' });
  const l = lotsStatement(b);
  assert.equal(l.lots.length, 120);
  const vaults = b.vaults.filter((v) => b.shown.includes(v.id)).map((v) => ({ vault: v.id, name: v.name, method: v.method, methodRecorded: v.methodRecorded }));
  const pdf = await renderStatementPdf(lotsDocument(l, digits, vaults), { generatedAt: GENERATED, compress: false });
  const text = pdfLines(pdf);
  const pages = text.filter((t) => /^Page \d+ of \d+$/.test(t));
  assert.ok(pages.length >= 3, `${pages.length} pages`);
  assert.deepEqual(pages, pages.map((_, i) => `Page ${i + 1} of ${pages.length}`));
  assert.equal(text.filter((t) => t === 'Lots (120) (continued)').length, pages.length - 1, 'the table\'s heading and header start each further page');
  assert.equal(text.filter((t) => t === 'Left cost').length, pages.length);
  for (const x of l.lots) assert.ok(text.includes(printedMoney(x.cost, digits)) && text.includes(printedBtc(x.sats)), x.id);
  const totalSats = l.lots.reduce((a, x) => a + x.sats, 0n);
  assert.ok(text.includes(printedBtc(totalSats)));
  // the compressed file says the same
  const compressed = pdfLines(await renderStatementPdf(lotsDocument(l, digits, vaults), { generatedAt: GENERATED }));
  assert.deepEqual(compressed, text);
});

test('the movements PDF lists each entry with its txid and lines', async () => {
  const b = await computeBooks({ ...f.deps, book }, { at: '2024-12-31', vault: 'Reserve' });
  const m = movementsStatement(b, {});
  const text = pdfLines(await renderStatementPdf(movementsDocument(m, digits, [{ vault: 'reserve', name: 'Reserve' }]), { generatedAt: GENERATED })).join(''); // a wrapped cell continues on the next line
  for (const x of m.movements) assert.ok(text.includes(x.id), x.id);
  assert.match(text, /payments-out: 120000000/);
});

test('teardown', async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});
