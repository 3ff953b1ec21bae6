// The purchases CSV: columns by header name in any order, quoted cells, fiat to the exact minor
// unit, content ids (the same record → the same id; the n-th identical row → -n), and one line
// naming the row for each kind of malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePurchaseCsv, splitCsvRow } from '../../src/core/accounting/purchase-csv.ts';

const digits = (c: string): number => { if (c === 'JPY') return 0; if (c === 'USD') return 2; throw new RangeError(c); };
const parse = (text: string) => parsePurchaseCsv(text, { minorDigits: digits, origin: 'p.csv' });

test('columns are found by name in any order; quoted cells keep their commas and quotes', () => {
  const [r] = parse('Source_URL,currency,paid,date,btc,counterparty,vault\r\n"https://x.org/a?b=1,2",usd,1234.5,2024-01-02,0.00000001,"Broker ""B"", Inc.",Reserve\r\n');
  assert.deepEqual({ ...r, id: undefined }, { date: '2024-01-02', sats: 1n, paid: { currency: 'USD', minor: 123_450n }, counterparty: 'Broker "B", Inc.', sourceUrl: 'https://x.org/a?b=1,2', vault: 'Reserve', id: undefined, row: 2 });
  assert.deepEqual(splitCsvRow('a,"b,c",,d'), ['a', 'b,c', '', 'd']);
});

test('the id depends only on the content: the same row in another file has the same id; a repeated row gets -2', () => {
  const a = parse('date,btc,paid,currency,counterparty,source_url\n2021-09-06,200,,,,\n2021-09-06,200,,,,\n2021-09-07,150,,,,\n');
  const b = parse('date,btc,paid,currency,counterparty,source_url\n\n2021-09-07,150,,,,\n');
  assert.match(a[0]?.id ?? '', /^pur_[0-9a-f]{16}$/);
  assert.equal(a[1]?.id, `${a[0]?.id}-2`);
  assert.equal(b[0]?.id, a[2]?.id);
  assert.notEqual(a[0]?.id, a[2]?.id);
});

test('each malformed input is refused with one line naming the row', () => {
  const h = 'date,btc,paid,currency,counterparty,source_url\n';
  const cases: Array<[string, string]> = [
    ['', 'p.csv is empty: expected a header "date,btc,paid,currency,counterparty,source_url[,vault]" and one row per purchase'],
    ['date,btc,currency\n', 'p.csv row 1 (header): missing columns paid, counterparty, source_url (expected date,btc,paid,currency,counterparty,source_url[,vault])'],
    [`${h}2024-02-30,1,,,,\n`, 'p.csv row 2: "date" must be a day YYYY-MM-DD, got "2024-02-30"'],
    [`${h}2024-01-01,0,,,,\n`, 'p.csv row 2: "btc" must be more than zero'],
    [`${h}2024-01-01,1.123456789,,,,\n`, 'p.csv row 2: "btc" is not a BTC amount: "1.123456789" (write e.g. 200 or 0.5)'],
    [`${h}2024-01-01,1,100.001,USD,,\n`, 'p.csv row 2: "paid" has 3 decimals; the currency has 2'],
    [`${h}2024-01-01,1,"1,000.00",USD,,\n`, 'p.csv row 2: "paid" is not an amount: "1,000.00" (write e.g. 15000000.00, no thousands separators)'],
    [`${h}2024-01-01,1,100,,,\n`, 'p.csv row 2: "currency" must be an ISO 4217 code such as USD when "paid" is given, got ""'],
    [`${h}2024-01-01,1,100,XXX,,\n`, 'p.csv row 2: unknown currency XXX'],
    [`${h}2024-01-01,1,,,,javascript:alert(1)\n`, 'p.csv row 2: "source_url" must be an http(s) address, got "javascript:alert(1)"'],
    [`${h}2024-01-01,1,,,\n`, 'p.csv row 2: 5 cells, the header has 6'],
    [`${h}2024-01-01,1,,,"open,\n`, 'p.csv row 2: unbalanced quotes'],
  ];
  for (const [text, message] of cases) assert.throws(() => parse(text), (e: unknown) => e instanceof Error && e.message === message && (e as { code?: string }).code === 'MALFORMED_DATA', message);
  assert.deepEqual(parse(`${h}2024-01-01,1,1500,JPY,,\n`)[0]?.paid, { currency: 'JPY', minor: 1500n });
});
