// Purchase records are imported from CSV exactly (BTC to the satoshi, fiat in the currency's minor
// units), El Salvador's announcements file reads as is, and a malformed row is one INVALID_IMPORT
// line naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePurchaseCsv } from '../../src/core/accounting/purchases.ts';
import { DomainError } from '../../src/core/errors.ts';

test('a purchases CSV gives records with exact sats and minor units, ids by date, optional fields null', () => {
  const { records, skipped } = parsePurchaseCsv([
    'Date,BTC,Paid,Currency,Counterparty,Source_URL,Vault',
    '2022-01-21,410,15000000,usd,"Broker, Inc.",https://example.org/a,reserve',
    '2022-01-21,0.00000001,,,,,',
    '2023-03-01,1.5,4500000,JPY,,,',
    '2023-03-02,2,12345.678,KWD,,,',
    '',
  ].join('\n'));
  assert.deepEqual(skipped, []);
  assert.deepEqual(records.map((r) => [r.id, r.sats, r.paid, r.counterparty, r.sourceUrl, r.vaultId]), [
    ['2022-01-21#1', 41_000_000_000n, { currency: 'USD', minor: 1_500_000_000n }, 'Broker, Inc.', 'https://example.org/a', 'reserve'],
    ['2022-01-21#2', 1n, null, null, null, null],
    ['2023-03-01#1', 150_000_000n, { currency: 'JPY', minor: 4_500_000n }, null, null, null],
    ['2023-03-02#1', 200_000_000n, { currency: 'KWD', minor: 12_345_678n }, null, null, null],
  ]);
});

test('El Salvador\'s announcements file imports as is: 14 purchases (7 with a reported USD cost), the programme row skipped', () => {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'data', 'sovereign', 'el_salvador_btc_purchases.csv'), 'utf8');
  const { records, skipped } = parsePurchaseCsv(text);
  assert.equal(records.length, 14);
  assert.deepEqual(skipped.map((s) => s.event), ['program_start']);
  assert.equal(records.reduce((a, r) => a + r.sats, 0n), 350_000_000_000n);
  assert.equal(records.filter((r) => r.paid !== null).length, 7);
  assert.deepEqual(records.find((r) => r.date === '2021-09-19')?.paid, { currency: 'USD', minor: 680_000_000n });
  assert.deepEqual(records.filter((r) => r.date === '2021-09-06').map((r) => r.id), ['2021-09-06#1', '2021-09-06#2']);
  assert.ok(records.every((r) => r.sourceUrl?.startsWith('http')));
});

test('a malformed row is INVALID_IMPORT naming its line', () => {
  const cases: [string, RegExp][] = [
    ['date,btc\n2022-13-01,1\n', /line 2: .*not a date/],
    ['date,btc\n2022-01-01,1.123456789\n', /line 2: .*not a BTC amount/],
    ['date,btc\n2022-01-01,0\n', /line 2: .*above 0/],
    ['date,btc,paid\n2022-01-01,1,100\n', /line 2: .*needs a currency/],
    ['date,btc,paid,currency\n2022-01-01,1,10.5,JPY\n', /line 2: .*at most 0 decimals/],
    ['date,btc,paid,currency\n2022-01-01,1,1.234,USD\n', /line 2: .*at most 2 decimals/],
    ['when,amount\n', /needs "date" and "btc"/],
    ['id,date,btc\nx,2022-01-01,1\nx,2022-01-02,1\n', /share an id/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parsePurchaseCsv(text), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_IMPORT' && re.test(e.message) && !e.message.includes('\n'), text);
  }
});
