// `soberana purchases|accounting|report` through the real binary on a small regtest history mined on
// real 2024 dates: a purchase record gives its lot the fiat paid, a receipt without one is valued at
// its day's price and flagged, holdings/lots/pnl/risk come out in --json (amounts as strings) and
// CSV, an import is idempotent and a bad row is one plain line, and valuing today (past the end of
// the shipped prices) says the price is old. Expected figures are computed here from the price file.
// The receipts carry no category, so their source class is "other" (a purchase record sets the
// cost, not the class).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/cli.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { deriveAddresses } from '../../src/core/bitcoin/descriptor.ts';
import { EXIT_CODE_BY_ERROR } from '../../src/cli/exit-codes.ts';
import { pdfLines } from './pdf-text.ts';

// Commands run in-process (one worker that loaded the compiled CLI once): this file tests what the
// commands print and store, not process behaviour.
const runCli = cliInProcess();

const regtest = useRegtestNode();
const dir = mkdtempSync(join(tmpdir(), 'soberana-report-cli-'));
const db = join(dir, 'books.db');
const descriptor = multisigDescriptor(2, [cosigner(81), cosigner(82), cosigner(83)]);
const utc = (day: string): number => Date.parse(`${day}T12:00:00Z`) / 1000;

/** The shipped BTC price of a day in a currency (USD by default), in cents, read straight from the file. */
function usdCents(day: string, currency = 'USD'): bigint {
  const pricesDir = join(import.meta.dirname, '..', '..', 'data', 'prices');
  const lines = readFileSync(join(pricesDir, readdirSync(pricesDir).find((f) => f.endsWith('.csv')) as string), 'utf8').split('\n');
  const col = (lines[0] as string).split(',').indexOf(`BTC_${currency}`);
  const row = lines.find((l) => l.startsWith(`${day},`)) as string;
  const [whole, frac = ''] = (row.split(',')[col] as string).split('.');
  return BigInt(whole as string) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2));
}

let env: NodeJS.ProcessEnv = {};
const cli = (...args: string[]) => runCli(['--db', db, ...args], { env });
async function json<T>(...args: string[]): Promise<T> {
  const r = await cli(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface Money { currency: string; minor: string }

test('setup: a vault receives 1.5 BTC on 2024-03-01 (a recorded purchase) and 0.5 BTC on 2024-06-03 (no record)', async () => {
  const node = await regtest.ready();
  env = { SOBERANA_NETWORK: 'regtest', SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword };
  let t = utc('2024-01-01');
  for (let i = node.height(); i < 440; i++) await node.mineBlockAt((t += 600));
  const [a0, a1] = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 2 });
  await node.fund(a0?.address ?? '', 150_000_000n, { confirm: false });
  await node.mineBlockAt(utc('2024-03-01'));
  await node.fund(a1?.address ?? '', 50_000_000n, { confirm: false });
  await node.mineBlockAt(utc('2024-06-03'));
  assert.equal((await cli('vault', 'add', '--name', 'Reserve', '--descriptor', descriptor, '--birthday', '0')).code, 0);
  const s = await cli('sync');
  assert.equal(s.code, 0, s.stderr);
});

test('purchases import is idempotent; a malformed row is refused with one line naming it and nothing is imported', async () => {
  const file = join(dir, 'purchases.csv');
  writeFileSync(file, 'date,btc,paid,currency,counterparty,source_url\n2024-03-01,1.5,90000.00,USD,Broker S.A.,https://example.org/press/1\n');
  assert.deepEqual(await json('purchases', 'import', file, '--vault', 'Reserve'), { file: 'purchases.csv', added: 1, already: 0, records: 1 });
  assert.deepEqual(await json('purchases', 'import', file, '--vault', 'Reserve'), { file: 'purchases.csv', added: 0, already: 1, records: 1 });
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'date,btc,paid,currency,counterparty,source_url\n2024-03-02,2,1.00,USD,,\n2024-13-01,1,1.00,USD,,\n');
  const r = await cli('purchases', 'import', bad);
  assert.equal(r.code, EXIT_CODE_BY_ERROR.MALFORMED_DATA);
  assert.equal(r.stderr.trim(), 'error: bad.csv row 3: "date" must be a day YYYY-MM-DD, got "2024-13-01"');
  // a file far bigger than any purchase list is refused before it is read, in one line
  const huge = join(dir, 'huge.csv');
  writeFileSync(huge, 'date,btc,paid,currency,counterparty,source_url\n');
  truncateSync(huge, 17 * 1024 * 1024);
  const h = await cli('purchases', 'import', huge);
  assert.equal(h.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT, h.stderr);
  assert.match(h.stderr.trim(), /^error: the purchases file \S+huge\.csv is 17825792 bytes, over the 16777216-byte limit$/);
  const list = await json<{ purchases: Array<{ date: string; sats: string; paid: Money | null; vaultId: string; sourceUrl: string }> }>('purchases', 'list');
  assert.deepEqual(list.purchases.map((p) => [p.date, p.sats, p.paid, p.vaultId, p.sourceUrl]), [['2024-03-01', '150000000', { currency: 'USD', minor: '9000000' }, 'reserve', 'https://example.org/press/1']]);
});

test('report holdings --json: cost from the purchase record plus the unrecorded receipt at its day\'s price, value at the day, average cost', async () => {
  const h = await json<{ vaults: Array<{ vault: string; method: string; methodRecorded: boolean; sats: string; cost: Money; value: Money; averageCost: Money; lotsAtMarketPrice: number }>; total: { sats: string; cost: Money; value: Money; unrealisedPnl: Money }; stale: boolean; notices: string[]; purchases: { matched: number } }>('report', 'holdings', '--at', '2024-12-31');
  const cost = 9_000_000n + (usdCents('2024-06-03') * 50_000_000n) / 100_000_000n;
  const value = usdCents('2024-12-31') * 2n;
  assert.equal(h.total.sats, '200000000');
  assert.deepEqual(h.total.cost, { currency: 'USD', minor: String(cost) });
  assert.deepEqual(h.total.value, { currency: 'USD', minor: String(value) });
  assert.deepEqual(h.total.unrealisedPnl, { currency: 'USD', minor: String(value - cost) });
  assert.deepEqual(h.vaults[0]?.averageCost, { currency: 'USD', minor: String(cost / 2n) });
  assert.equal(h.vaults[0]?.method, 'fifo');
  assert.equal(h.vaults[0]?.methodRecorded, false);
  assert.equal(h.vaults[0]?.lotsAtMarketPrice, 1);
  assert.equal(h.purchases.matched, 1);
  assert.equal(h.stale, false);
  assert.deepEqual(h.notices, []);
  const before = await json<{ total: { sats: string; cost: Money } }>('report', 'holdings', '--at', '2024-04-30');
  assert.deepEqual([before.total.sats, before.total.cost.minor], ['150000000', '9000000'], 'the books at a day see only what was confirmed by then');
});

test('report holdings --currency EUR converts a purchase paid in USD at the ratio of its day\'s BTC prices, and says so', async () => {
  const h = await json<{ total: { cost: Money; value: Money }; notices: string[] }>('report', 'holdings', '--at', '2024-12-31', '--currency', 'EUR');
  const half = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);
  const recorded = half(9_000_000n * usdCents('2024-03-01', 'EUR'), usdCents('2024-03-01'));
  const market = half(usdCents('2024-06-03', 'EUR') * 50_000_000n, 100_000_000n);
  assert.deepEqual(h.total.cost, { currency: 'EUR', minor: String(recorded + market) });
  assert.deepEqual(h.total.value, { currency: 'EUR', minor: String(usdCents('2024-12-31', 'EUR') * 2n) });
  assert.deepEqual(h.notices, ["purchase records paid in USD are converted to EUR at the ratio of their day's BTC prices (BTC/EUR ÷ BTC/USD)"]);
});

test('report lots: the recorded lot names its record, the other is flagged at market price — in JSON and in CSV', async () => {
  const l = await json<{ lots: Array<{ date: string; sats: string; costOrigin: { kind: string; recordId?: string; priceDate?: string }; atMarketPrice: boolean }> }>('report', 'lots', '--at', '2024-12-31');
  assert.deepEqual(l.lots.map((x) => [x.date, x.sats, x.costOrigin.kind, x.atMarketPrice]), [['2024-03-01', '150000000', 'purchase-record', false], ['2024-06-03', '50000000', 'market-price', true]]);
  const r = await cli('report', 'lots', '--at', '2024-12-31', '--format', 'csv');
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n');
  assert.equal(rows[0], 'lot,vault,txid,vout,height,date,source,btc,sats,currency,cost,cost_origin,remaining_sats,remaining_cost');
  assert.equal(rows.length, 3);
  assert.match(rows[1] as string, /,2024-03-01,other,1\.50000000,150000000,USD,90000\.00,record pur_[0-9a-f]{16},150000000,90000\.00$/);
  assert.match(rows[2] as string, /,2024-06-03,other,0\.50000000,50000000,USD,[\d.]+,market price 2024-06-03,50000000,[\d.]+$/);
});

test('accounting method is recorded and the reports use it; a method that does not exist is one plain line', async () => {
  const m = await json<{ vaultId: string; method: string; setBy: string }>('accounting', 'method', '--vault', 'Reserve', 'average', '--as', 'rosa');
  assert.deepEqual([m.vaultId, m.method, m.setBy], ['reserve', 'average', 'rosa']);
  const p = await json<{ vaults: Array<{ method: string }>; realised: { pnl: Money }; unrealised: { sats: string } }>('report', 'pnl', '--at', '2024-12-31');
  assert.equal(p.vaults[0]?.method, 'average');
  assert.deepEqual(p.realised.pnl, { currency: 'USD', minor: '0' }, 'nothing was spent');
  assert.equal(p.unrealised.sats, '200000000');
  const bad = await cli('accounting', 'method', '--vault', 'Reserve', 'lifo');
  assert.equal(bad.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT);
  assert.equal(bad.stderr.trim(), 'error: unknown cost-basis method "lifo": use fifo, specific, average');
});

test('report risk --json gives the figures with their method and the plain-words sentences, including the 2022 replay', async () => {
  const r = await json<{ sats: string; value: Money; sentences: string[]; volatility: Array<{ method: string }>; valueAtRisk: unknown[] }>('report', 'risk', '--at', '2024-12-31', '--figure', 'GDP=34015000000');
  assert.equal(r.sats, '200000000');
  assert.deepEqual(r.value, { currency: 'USD', minor: String(usdCents('2024-12-31') * 2n) });
  assert.equal(r.valueAtRisk.length, 4);
  assert.ok(r.volatility.every((v) => v.method.length > 0));
  assert.ok(r.sentences.some((s) => s.startsWith("A fall like 2022's")), r.sentences.join('\n'));
  assert.ok(r.sentences.some((s) => s.includes('GDP')), 'the national figure is compared');
});

test('valuing today, past the last shipped price, says the price is old — in the text and in --json', async () => {
  const text = await cli('report', 'holdings');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Notice: valued at the BTC\/USD price of \d{4}-\d{2}-\d{2}, \d+ days old\.$/m);
  const h = await json<{ stale: boolean; notices: string[] }>('report', 'holdings');
  assert.equal(h.stale, true);
  assert.match(h.notices[0] ?? '', /^valued at the BTC\/USD price of/);
});

test('report balance and movements: --json, CSV, and a PDF (--format pdf --out) whose figures are the JSON\'s; movements read the stored ledger', async () => {
  const b = await json<{ totalAssets: { sats: string; cost: Money; value: Money }; accounts: Array<{ account: string; sats: string }>; price: { date: string } }>('report', 'balance', '--at', '2024-12-31');
  assert.equal(b.totalAssets.sats, '200000000');
  assert.deepEqual(b.accounts.map((a) => [a.account, a.sats]), [['acquisitions:other', '-200000000'], ['asset:reserve', '200000000']]);
  const m = await json<{ stored: boolean; movements: Array<{ date: string; kind: string; assetChange: string }>; opening: Array<{ sats: string }>; closing: Array<{ sats: string }> }>('report', 'movements', '--from', '2024-05-01', '--to', '2024-12-31');
  assert.equal(m.stored, true);
  assert.deepEqual(m.movements.map((x) => [x.date, x.kind, x.assetChange]), [['2024-06-03', 'receipt', '50000000']]);
  assert.deepEqual([m.opening[0]?.sats, m.closing[0]?.sats], ['150000000', '200000000']);
  const c = await cli('report', 'movements', '--to', '2024-12-31', '--format', 'csv');
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout.split('\n')[0], 'entry,txid,height,date,kind,source,reverses,account,btc,sats,asset_change_sats,currency,value_on_day,price_date,memo');
  assert.equal(c.stdout.trim().split('\n').length, 1 + 4, 'two entries of two lines each');
  const refreshed = await json<{ appended: number; total: number }>('accounting', 'refresh');
  assert.deepEqual([refreshed.appended, refreshed.total], [0, 2], 'report movements stored the ledger already');

  const pdfFile = join(dir, 'balance.pdf');
  const epoch = { SOURCE_DATE_EPOCH: '1767225600' };
  const p = await runCli(['--db', db, 'report', 'balance', '--at', '2024-12-31', '--format', 'pdf', '--out', pdfFile], { env: { ...env, ...epoch } });
  assert.equal(p.code, 0, p.stderr);
  const pdf = readFileSync(pdfFile);
  const lines = pdfLines(pdf);
  const dollars = (x: Money) => `$${(BigInt(x.minor) / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(BigInt(x.minor) % 100n).toString().padStart(2, '0')}`;
  for (const fig of [dollars(b.totalAssets.cost), dollars(b.totalAssets.value), '2.00000000', '200000000', '-200000000']) assert.ok(lines.includes(fig), `${fig} printed`);
  assert.ok(lines.some((l) => l.includes('generated 2026-01-01 00:00:00 UTC')));
  await runCli(['--db', db, 'report', 'balance', '--at', '2024-12-31', '--format', 'pdf', '--out', `${pdfFile}.2`], { env: { ...env, ...epoch } });
  assert.ok(readFileSync(`${pdfFile}.2`).equals(pdf), 'the same books and SOURCE_DATE_EPOCH give the same bytes');
  const noOut = await cli('report', 'lots', '--format', 'pdf');
  assert.equal(noOut.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT);
  assert.equal(noOut.stderr.trim(), 'error: --format pdf needs --out FILE (a PDF is not printed on the terminal)');
});

test('accounting method --from applies from that day on; the earlier days keep theirs', async () => {
  const r = await json<{ method: string; effectiveFrom: string; previous: string }>('accounting', 'method', '--vault', 'Reserve', 'fifo', '--from', '2024-05-01');
  assert.deepEqual([r.method, r.effectiveFrom, r.previous], ['fifo', '2024-05-01', 'average']);
  const before = await json<{ vaults: Array<{ method: string }> }>('report', 'holdings', '--at', '2024-04-30');
  const after = await json<{ vaults: Array<{ method: string }>; notices: string[] }>('report', 'holdings', '--at', '2024-12-31');
  assert.deepEqual([before.vaults[0]?.method, after.vaults[0]?.method], ['average', 'fifo']);
  assert.ok(after.notices.includes('vault reserve changed its cost-basis method: average from the start, fifo from 2024-05-01'), after.notices.join('\n'));
  const list = await json<{ changes: Array<{ method: string; effectiveFrom: string }> }>('accounting', 'methods');
  assert.deepEqual(list.changes.map((c) => [c.method, c.effectiveFrom]), [['average', '0001-01-01'], ['fifo', '2024-05-01']]);
});

test('national figures from the config file: the latest on or before the report day; a bad figure is one plain line', async () => {
  const config = join(dir, 'soberana.config.json');
  writeFileSync(config, JSON.stringify({ accounting: { figures: [
    { name: 'GDP', amount: '34015000000', currency: 'USD', date: '2023-12-31', source: 'IMF WEO' },
    { name: 'GDP', amount: '35000000000', currency: 'USD', date: '2024-12-31' },
    { name: 'debt', amount: '30000000000.50', currency: 'USD', date: '2025-06-30' },
  ] } }));
  const r = await json<{ shares: Array<{ figure: { name: string; amount: Money; period: string; source?: string } }>; notices: string[] }>('--config', config, 'report', 'risk', '--at', '2024-12-31');
  assert.deepEqual(r.shares.map((s) => [s.figure.name, s.figure.amount.minor, s.figure.period]), [['GDP', '3500000000000', '2024-12-31']]);
  assert.ok(r.notices.includes('debt (USD) is configured only for 2025-06-30, after 2024-12-31: not compared'), r.notices.join('\n'));
  const earlier = await json<{ shares: Array<{ figure: { amount: Money; source?: string } }> }>('--config', config, 'report', 'risk', '--at', '2024-06-30');
  assert.deepEqual(earlier.shares.map((s) => [s.figure.amount.minor, s.figure.source]), [['3401500000000', 'IMF WEO']]);
  const flag = await json<{ shares: Array<{ figure: { amount: Money } }> }>('--config', config, 'report', 'risk', '--at', '2024-12-31', '--figure', 'GDP=1000');
  assert.deepEqual(flag.shares.map((s) => s.figure.amount.minor), ['100000'], '--figure replaces the configured figure of the same name');
  writeFileSync(config, JSON.stringify({ accounting: { figures: [{ name: 'GDP', amount: 34015000000, currency: 'USD', date: '2024-12-31' }] } }));
  const bad = await cli('--config', config, 'report', 'risk', '--at', '2024-12-31');
  assert.equal(bad.code, EXIT_CODE_BY_ERROR.INVALID_CONFIG);
  assert.equal(bad.stderr.trim(), 'error: config "accounting.figures[0].amount" must be a decimal string in whole USD with at most 2 decimals, such as "34015000000"');
});
