// `soberana settlement net FILE` end to end (issue #16 item 8), through the compiled CLI and no
// database: a JSON file (rates and invoices) and the same invoices as a CSV with the rates in a
// separate file (JSON or CSV) print the same positions and transfers; a repeated invoice counts once;
// every kind of bad input is refused with its stable code, the row it is on and the code's exit
// status. Expected sats are worked out here with exact fractions from the figures in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/cli.ts';
import { EXIT_CODE_BY_ERROR } from '../../src/cli/exit-codes.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

/** The CLI's main(), run in-process: this file tests what the command does, not the process. */
const cli = cliInProcess();
const dir = mkdtempSync(join(tmpdir(), 'soberana-settlement-net-'));
let n = 0;
function file(content: string, ext = 'json'): string {
  const p = join(dir, `f${++n}.${ext}`);
  writeFileSync(p, content);
  return p;
}

const RATES = [
  { currency: 'USD', btcPrice: '78293.71' },
  { currency: 'RUB', btcPrice: '7100000' },
  { currency: 'PKR', btcPrice: '22000000.33' },
];
const INVOICES = [
  { reference: 'R1', exporter: 'SLV', importer: 'RUS', amount: '1250.50', currency: 'USD' },
  { reference: 'R2', exporter: 'RUS', importer: 'PAK', amount: '90000', currency: 'RUB' },
  { reference: 'R3', exporter: 'PAK', importer: 'SLV', amount: '330', currency: 'PKR' },
];
// Exact nets (sats): SLV 125050·10^8/7829371 − 33000·10^8/2200000033 = 1595690.885…,
// RUS −125050·10^8/7829371 + 9000000·10^8/710000000 = −329585.251…, PAK = −1266105.633…
// Floors 1595690, −329586, −1266106 sum to −2: the residue of 2 goes to the largest remainders,
// SLV (.885) and RUS (.748); PAK (.366) keeps its floor.
const EXPECTED = {
  positions: [
    { member: 'PAK', sats: '-1266106' },
    { member: 'RUS', sats: '-329585' },
    { member: 'SLV', sats: '1595691' },
  ],
  transfers: [
    { from: 'PAK', to: 'SLV', sats: '1266106' },
    { from: 'RUS', to: 'SLV', sats: '329585' },
  ],
};
const CSV_HEADER = 'reference,exporter,importer,amount,currency';
const csvOf = (rows: readonly (typeof INVOICES)[number][]): string => [CSV_HEADER, ...rows.map((r) => [r.reference, r.exporter, r.importer, r.amount, r.currency].join(','))].join('\n') + '\n';

async function netJson(...args: string[]): Promise<unknown> {
  const r = await cli(['settlement', 'net', ...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Run a bad input: the exit status of its code, and the JSON error naming the code and the row. */
async function refused(code: ErrorCode, row: RegExp, args: string[]): Promise<string> {
  const r = await cli(['settlement', 'net', ...args, '--json']);
  assert.equal(r.code, EXIT_CODE_BY_ERROR[code], `${code}: ${r.stderr}${r.stdout}`);
  assert.equal(r.stdout, '');
  const err = (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, code, err.message);
  assert.match(err.message, row);
  assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
  return err.message;
}

test('settlement net FILE --json: positions within one sat of the exact nets, summing to zero, and the transfers', async () => {
  assert.deepEqual(await netJson(file(JSON.stringify({ rates: RATES, invoices: INVOICES }))), EXPECTED);
});

test('the same invoices as a CSV with --rates (JSON or CSV rates) give the same answer; a repeated invoice counts once', async () => {
  const csv = file(csvOf(INVOICES), 'csv');
  assert.deepEqual(await netJson(csv, '--rates', file(JSON.stringify({ rates: RATES }))), EXPECTED);
  assert.deepEqual(await netJson(csv, '--rates', file(`currency,btcPrice\n${RATES.map((r) => `${r.currency},${r.btcPrice}`).join('\n')}\n`, 'csv')), EXPECTED);
  // the same reference with the same terms twice (written differently: 90000 vs 90000.00) is one invoice
  const again = [...INVOICES, { ...INVOICES[1], amount: '90000.00' } as (typeof INVOICES)[number]];
  assert.deepEqual(await netJson(file(JSON.stringify({ rates: RATES, invoices: again }))), EXPECTED);
  assert.deepEqual(await netJson(file(csvOf(again), 'csv'), '--rates', file(JSON.stringify(RATES))), EXPECTED);
  // CRLF line ends, a byte-order mark, columns in another order, an extra column, a quoted reference with a comma, lower-case currency codes
  const crlf = '\uFEFFcurrency,amount,importer,exporter,reference,note\r\n' + INVOICES.map((r, i) => `${r.currency.toLowerCase()},${r.amount},${r.importer},${r.exporter},"${r.reference}, batch ${i}",x`).join('\r\n') + '\r\n';
  assert.deepEqual(await netJson(file(crlf, 'csv'), '--rates', file(JSON.stringify({ rates: RATES }))), EXPECTED);
  // rates in the file and a rates file too: ambiguous, refused
  await refused('INVALID_ARGUMENT', /rates/, [file(JSON.stringify({ rates: RATES, invoices: INVOICES })), '--rates', file(JSON.stringify({ rates: RATES }))]);
});

test('without --json: a table of positions and transfers; no invoices is nothing to settle', async () => {
  const r = await cli(['settlement', 'net', file(JSON.stringify({ rates: RATES, invoices: [...INVOICES, INVOICES[0]] }))]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Net positions \(3 invoices, 1 repeated row counted once/);
  assert.match(r.stdout, /SLV\s+1,595,691 sats\s+0\.01595691 BTC/);
  assert.match(r.stdout, /PAK\s+-1,266,106 sats\s+-0\.01266106 BTC/);
  assert.match(r.stdout, /Transfers \(2, the minimum\):\n\s+PAK\s+-> SLV\s+1,266,106 sats/);
  const empty = await cli(['settlement', 'net', file(JSON.stringify({ rates: RATES, invoices: [] }))]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /nothing to settle/);
  assert.deepEqual(await netJson(file(JSON.stringify({ rates: RATES, invoices: [] }))), { positions: [], transfers: [] });
});

test('each bad input is refused with its stable code and its row, in JSON and in CSV', async () => {
  const json = (invoices: unknown[], rates: unknown = RATES): string => file(JSON.stringify({ rates, invoices }));
  const bad = (over: Record<string, unknown>): unknown[] => [INVOICES[0], INVOICES[1], { ...INVOICES[2], ...over }];
  await refused('UNKNOWN_CURRENCY', /row 3\b.*XYZ/, [json(bad({ currency: 'XYZ' }))]);
  await refused('RATE_MISSING', /row 3\b.*no rate for EUR/, [json(bad({ currency: 'EUR', amount: '5.00' }))]);
  await refused('INVALID_AMOUNT', /row 3\b.*negative/, [json(bad({ amount: '-330' }))]);
  await refused('INVALID_AMOUNT', /row 3\b.*zero/, [json(bad({ amount: '0.00' }))]);
  await refused('INVALID_AMOUNT', /row 3\b.*over-precise.*PKR has 2 decimals/, [json(bad({ amount: '330.001' }))]);
  await refused('SELF_INVOICE', /row 3\b.*PAK invoices itself/, [json(bad({ importer: 'PAK' }))]);
  const conflict = await refused('REFERENCE_CONFLICT', /row 4\b/, [json([...INVOICES, { ...INVOICES[0], amount: '1250.51' }])]);
  assert.match(conflict, /row 1 with other terms/);
  await refused('INVALID_IMPORT', /row 3\b.*"importer" is missing/, [json(bad({ importer: undefined }))]);
  await refused('INVALID_IMPORT', /row 3\b.*"amount" must be a string/, [json(bad({ amount: 330 }))]);
  await refused('INVALID_IMPORT', /row 2\b/, [json([INVOICES[0], 'R2,RUS,PAK,90000,RUB'])]);
  await refused('INVALID_IMPORT', /not valid JSON/, [file('{"rates":[], "invoices": [')]);
  await refused('INVALID_IMPORT', /rate 2\b.*second rate for USD/, [json(INVOICES, [RATES[0], RATES[0]])]);
  await refused('INVALID_AMOUNT', /rate 1\b.*btcPrice of USD "0"/, [json(INVOICES, [{ currency: 'USD', btcPrice: '0' }, RATES[1], RATES[2]])]);
  await refused('RATE_MISSING', /no "rates"/, [file(JSON.stringify({ invoices: INVOICES }))]);

  const rates = file(JSON.stringify({ rates: RATES }));
  const csv = (rows: string[]): string => file([CSV_HEADER, ...rows].join('\n') + '\n', 'csv');
  const good = ['R1,SLV,RUS,1250.50,USD', 'R2,RUS,PAK,90000,RUB'];
  await refused('UNKNOWN_CURRENCY', /row 3 \(line 4\)/, [csv([...good, 'R3,PAK,SLV,330,XYZ']), '--rates', rates]);
  await refused('RATE_MISSING', /row 3 \(line 4\).*EUR/, [csv([...good, 'R3,PAK,SLV,330,EUR']), '--rates', rates]);
  await refused('INVALID_AMOUNT', /row 3 \(line 4\).*negative/, [csv([...good, 'R3,PAK,SLV,-330,PKR']), '--rates', rates]);
  await refused('INVALID_AMOUNT', /row 3 \(line 4\).*zero/, [csv([...good, 'R3,PAK,SLV,0,PKR']), '--rates', rates]);
  await refused('INVALID_AMOUNT', /row 3 \(line 4\).*over-precise/, [csv([...good, 'R3,PAK,SLV,330.005,PKR']), '--rates', rates]);
  await refused('SELF_INVOICE', /row 3 \(line 4\)/, [csv([...good, 'R3,PAK,PAK,330,PKR']), '--rates', rates]);
  await refused('REFERENCE_CONFLICT', /row 3 \(line 4\).*row 1/, [csv([...good, 'R1,SLV,PAK,1250.50,USD']), '--rates', rates]);
  await refused('INVALID_IMPORT', /row 3 \(line 4\).*4 fields/, [csv([...good, 'R3,PAK,SLV,330']), '--rates', rates]);
  await refused('INVALID_IMPORT', /row 3 \(line 4\).*quotes/, [csv([...good, '"R3,PAK,SLV,330,PKR']), '--rates', rates]);
  await refused('INVALID_IMPORT', /header must name/, [file('ref,from,to,amount,currency\nR1,SLV,RUS,1,USD\n', 'csv'), '--rates', rates]);
  await refused('RATE_MISSING', /separate file/, [csv(good)]);
  await refused('INVALID_ARGUMENT', /cannot read/, [join(dir, 'no-such-file.json')]);
});

test('caps: more rates than allowed are refused before netting', async () => {
  const many = Array.from({ length: 301 }, () => RATES[0]);
  await refused('INVALID_IMPORT', /more than 300 rates/, [file(JSON.stringify({ rates: many, invoices: INVOICES }))]);
});
