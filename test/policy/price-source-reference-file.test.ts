// The treasury's reference-rate file: CSV or JSON, the latest day on or before now, re-read when
// the file changes (and only then), refused in one line when malformed or unreadable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceRateFileSource } from '../../src/adapters/prices/reference-rate-file.ts';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';

const NOW = Date.UTC(2026, 11, 2, 9, 30); // 2026-12-02 09:30 UTC

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-rates-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const refused = (code: ErrorCode, pattern: RegExp) => (e: unknown): boolean =>
  isDomainError(e) && e.code === code && pattern.test(e.message) && !e.message.includes('\n');

test('a CSV file: the latest day on or before now, in exact cents, naming the file as the source', async (t) => {
  const file = join(tempDir(t), 'btc-usd.csv');
  writeFileSync(file, 'Date,BTC_USD\n2026-11-30,90012\n2026-12-01,91234.56\n2026-12-03,99999.99\n');
  const source = referenceRateFileSource(file);
  assert.deepEqual(await source.latest(NOW), { usdPerBtcCents: 9_123_456n, date: '2026-12-01', source: `reference rate file ${file}` });
  assert.equal((await source.latest(Date.UTC(2026, 11, 3)))?.date, '2026-12-03');
  assert.equal(await source.latest(Date.UTC(2026, 10, 29, 23, 59)), null, 'nothing on or before 2026-11-29');
});

test('a JSON file: one object or a list; prices are decimal strings', async (t) => {
  const dir = tempDir(t);
  const one = join(dir, 'one.json');
  writeFileSync(one, '{ "date": "2026-12-02", "BTC_USD": "91500.10" }\n');
  assert.deepEqual(await referenceRateFileSource(one).latest(NOW), { usdPerBtcCents: 9_150_010n, date: '2026-12-02', source: `reference rate file ${one}` });
  const list = join(dir, 'list.json');
  writeFileSync(list, JSON.stringify([{ date: '2026-12-01', BTC_USD: '91234.56' }, { Date: '2026-11-30', BTC_USD: '90000' }]));
  assert.equal((await referenceRateFileSource(list).latest(NOW))?.usdPerBtcCents, 9_123_456n);
});

test('the file is re-read when it changes, and only then', async (t) => {
  const file = join(tempDir(t), 'btc-usd.csv');
  writeFileSync(file, 'Date,BTC_USD\n2026-12-01,91234.56\n');
  const source = referenceRateFileSource(file);
  assert.equal((await source.latest(NOW))?.usdPerBtcCents, 9_123_456n);

  // the treasury publishes today's rate: a new modification time, so the next lookup sees it
  writeFileSync(file, 'Date,BTC_USD\n2026-12-01,91234.56\n2026-12-02,92000.00\n');
  utimesSync(file, new Date(NOW), new Date(NOW));
  assert.deepEqual(await source.latest(NOW), { usdPerBtcCents: 9_200_000n, date: '2026-12-02', source: `reference rate file ${file}` });

  // same size, same time, same inode: not re-read (proves the lookup does not parse every time)
  const before = statSync(file);
  writeFileSync(file, 'Date,BTC_USD\n2026-12-01,91234.56\n2026-12-02,93000.00\n');
  utimesSync(file, before.atime, before.mtime);
  assert.equal((await source.latest(NOW))?.usdPerBtcCents, 9_200_000n);
  utimesSync(file, new Date(NOW + 1000), new Date(NOW + 1000));
  assert.equal((await source.latest(NOW))?.usdPerBtcCents, 9_300_000n);
});

test('a malformed file is MALFORMED_DATA in one line naming the file and the place; fixing it is picked up', async (t) => {
  const file = join(tempDir(t), 'btc-usd.csv');
  const source = referenceRateFileSource(file);
  const cases: [string, RegExp][] = [
    ['Date,BTC_USD\n2026-12-01,91234.56\n2026-12-02,ninety\n', /^reference rate file .*btc-usd\.csv line 3: not a price: "ninety"$/],
    ['Date,BTC_USD\n2026-02-30,91234.56\n', /line 2: bad date "2026-02-30"$/],
    ['Day,Price\n2026-12-01,1\n', /has no "Date" and "BTC_USD" columns$/],
    ['Date,BTC_USD\n', /has no rows$/],
    ['Date,BTC_USD\n2026-12-01,1\n2026-12-01,2\n', /has two rows for 2026-12-01$/],
    ['{ "date": "2026-12-01", "BTC_USD": 91234.56 }', /: "BTC_USD" must be a decimal string of US dollars like "91234\.56", got 91234\.56$/],
    ['[{ "date": "2026-12-01", "BTC_USD": "1" }, { "date": "12/02/2026", "BTC_USD": "1" }]', /item 2: "date" must be a day as "YYYY-MM-DD", got "12\/02\/2026"$/],
    ['{ "date": "2026-12-01", "BTC_USD": "1", "EUR": "2" }', /unknown field "EUR"/],
    ['{ "date": "2026-12-01", ', /is not valid JSON \(/],
    ['', /is empty$/],
    ['Date,BTC_USD\n2026-12-01,0\n', /: the price for 2026-12-01 is zero$/],
  ];
  let n = 0;
  for (const [text, pattern] of cases) {
    writeFileSync(file, text);
    utimesSync(file, new Date(NOW + ++n * 1000), new Date(NOW + n * 1000));
    await assert.rejects(source.latest(NOW), refused('MALFORMED_DATA', pattern), text);
  }
  writeFileSync(file, 'Date,BTC_USD\n2026-12-01,91234.56\n');
  utimesSync(file, new Date(NOW + 99_000), new Date(NOW + 99_000));
  assert.equal((await source.latest(NOW))?.usdPerBtcCents, 9_123_456n);
});

test('a missing file is PRICE_UNAVAILABLE (the source cannot be read), not a crash', async (t) => {
  const file = join(tempDir(t), 'nowhere.csv');
  await assert.rejects(referenceRateFileSource(file).latest(NOW), refused('PRICE_UNAVAILABLE', /^cannot read reference rate file .*nowhere\.csv \(ENOENT\)$/));
});
