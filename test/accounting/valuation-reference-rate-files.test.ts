// The reference-rate adapters: the shipped price and IMF rate files, and a treasury's own CSV files,
// give the rates valuation uses (checked against the raw file text, computed independently).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvReferenceRateSource, DEFAULT_FX_DIR, shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { DEFAULT_PRICE_FILE } from '../../src/adapters/prices/csv-price-history.ts';
import { parseFxCsv } from '../../src/adapters/prices/fx-csv.ts';
import { loadRateBook } from '../../src/core/accounting/reference-rate.ts';
import { valuationAt } from '../../src/core/accounting/valuation.ts';
import { isDomainError } from '../../src/core/errors.ts';

const priceLine = (date: string): string[] => {
  const line = readFileSync(DEFAULT_PRICE_FILE, 'utf8').split('\n').find((l) => l.startsWith(`${date},`));
  assert.ok(line, date);
  return line.split(',');
};

test('the shipped files give BTC prices in twelve currencies and IMF month-end rates for PKR and RUB', async () => {
  const src = shippedReferenceRates();
  const a = await src.available();
  assert.deepEqual(a.btc, ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'CHF', 'CNY', 'INR', 'BRL', 'KRW', 'MXN']);
  assert.deepEqual(a.fx, ['PKR', 'RUB']);
  const pkr = await src.usdRates('PKR');
  assert.equal(pkr?.frequency, 'monthly');
  assert.equal(pkr?.rows.length, 143);
  assert.equal(pkr?.rows[0]?.date, '2014-01-31');
  assert.equal(pkr?.last.date, '2025-11-30');
  const rub = await src.usdRates('RUB');
  assert.equal(rub?.last.date, '2025-09-30');
  assert.equal(await src.btcPrices('XAU'), null);
});

test('a 400 BTC reserve on 2024-01-15 in USD, JPY and PKR equals the file values multiplied by hand', async () => {
  const book = await loadRateBook(shippedReferenceRates(), ['PKR', 'JPY']);
  const holdings = [{ vaultId: 'reserve', balances: [{ date: '2021-09-07', sats: 40_000_000_000n }] }];
  const [, usdText, , , jpyText] = priceLine('2024-01-15'); // 41702.0 and 6053004.0
  assert.equal(usdText, '41702.0');
  assert.equal(valuationAt(book, holdings, '2024-01-15').total.value.minor, 400n * 4_170_200n); // $16,680,800.00
  assert.equal(jpyText, '6053004.0');
  assert.equal(valuationAt(book, holdings, '2024-01-15', 'JPY').total.value.minor, 400n * 6_053_004n); // yen have no minor unit
  // PKR: the 2023-12-31 IMF rate 281.9244 (15 days old): $41,702.00 × 281.9244 = 11,756,811.3288 PKR → 1,175,681,133 paisa
  const v = valuationAt(book, holdings, '2024-01-15', 'PKR');
  assert.equal(v.price.fx?.perUsd, '281.9244');
  assert.equal(v.price.fx?.date, '2023-12-31');
  assert.equal(v.price.minorPerBtc, 1_175_681_133n);
  assert.equal(v.total.value.minor, 470_272_453_200n);
  assert.equal(v.stale, false);
});

test('valuing today at the shipped file says how old its last price and the PKR rate are', async () => {
  const book = await loadRateBook(shippedReferenceRates(), ['PKR']);
  const holdings = [{ vaultId: 'reserve', balances: [{ date: '2021-09-07', sats: 100_000_000n }] }];
  const v = valuationAt(book, holdings, '2026-12-02', 'PKR');
  assert.deepEqual(v.notices, [
    'valued at the BTC/USD price of 2026-08-22, 102 days old',
    'converted to PKR at the rate of 2025-11-30 (280.46925 PKR per USD), 367 days old',
  ]);
});

test("a treasury's own price and daily rate files replace the shipped ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-rates-'));
  try {
    writeFileSync(join(dir, 'btc.csv'), 'Date,BTC_USD\n2026-12-01,91234.56\n2026-12-02,90000\n');
    writeFileSync(join(dir, 'sbp.csv'), 'Date,USD_PKR\n2026-12-01,280.1\n2026-12-02,280.25\n');
    const src = csvReferenceRateSource({ btcFile: join(dir, 'btc.csv'), fxFiles: [join(dir, 'sbp.csv')] });
    const book = await loadRateBook(src, ['PKR']);
    assert.equal(book.fx.get('PKR')?.frequency, 'daily');
    const holdings = [{ vaultId: 'v', balances: [{ date: '2026-01-01', sats: 250_000_000n }] }];
    const v = valuationAt(book, holdings, '2026-12-02', 'PKR');
    // $90,000.00 × 280.25 = 25,222,500.00 PKR per BTC; 2.5 BTC = 63,056,250.00 PKR
    assert.equal(v.price.minorPerBtc, 2_522_250_000n);
    assert.equal(v.total.value.minor, 6_305_625_000n);
    assert.deepEqual(v.notices, []);
    // a daily rate is stale after 3 days
    assert.deepEqual(valuationAt(book, holdings, '2026-12-06', 'PKR').notices, [
      'valued at the BTC/USD price of 2026-12-02, 4 days old',
      'converted to PKR at the rate of 2026-12-02 (280.25 PKR per USD), 4 days old',
    ]);
    await assert.rejects(loadRateBook(src, ['RUB']), (e) => isDomainError(e) && e.code === 'INVALID_ARGUMENT' && /no BTC price or US dollar rate in RUB/.test(e.message));
    const missing = csvReferenceRateSource({ btcFile: join(dir, 'nope.csv'), fxFiles: [] });
    await assert.rejects(missing.btcPrices('USD'), (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed exchange-rate files are refused with one MALFORMED_DATA line', () => {
  const bad = [
    'date,usd_pkr_pkr_per_usd\n2024-01-31,abc',
    'date,usd_pkr_pkr_per_usd\n2024-02-30,280',
    'date,usd_pkr_pkr_per_usd\n2024-01-31,280\n2024-01-31,281',
    'date,usd_pkr_pkr_per_usd\n2024-01-31,0',
    'date,rate\n2024-01-31,280',
    'when,usd_pkr\n2024-01-31,280',
    'date,usd_pkr_pkr_per_usd\n',
  ];
  for (const text of bad) assert.throws(() => parseFxCsv(text), (e) => isDomainError(e) && e.code === 'MALFORMED_DATA' && !e.message.includes('\n'), text);
  assert.deepEqual(parseFxCsv('date,rate\n2024-01-31,280.5', { currency: 'PKR' }).last.perUsd, { units: 2805n, scale: 1 });
  assert.ok(DEFAULT_FX_DIR.endsWith(join('data', 'fx')));
});
