// `soberana mining split` and `mining forecast` end to end through the compiled CLI (in-process):
// --json shapes with money as strings, human output, and refusals as one line with a stable code
// and the mapped exit code (3 for bad input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { cliInProcess } from '../helpers/cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { blockSubsidy, networkHashrate } from '../../src/core/mining/network.ts';
import { hashprice } from '../../src/core/mining/forecast.ts';
import { decimalOf, div, int } from '../../src/core/mining/ratio.ts';
import { latestNetwork, loadNetworkHistory } from '../../src/adapters/mining/network-history.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';

const runCli = cliInProcess();
const dir = mkdtempSync(join(tmpdir(), 'soberana-mining-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLES = join(import.meta.dirname, '..', '..', 'docs', 'examples', 'mining');

const errorOf = (stderr: string): { code: string; message: string } => (JSON.parse(stderr) as { error: { code: string; message: string } }).error;

test('mining split --json prints [{partner, sats}] in the given order, sats as strings, summing to the total', async () => {
  const r = await runCli(['mining', 'split', '--total-sats', '312500001', '--shares', 'LAGEO:2300,CEL:2700,PAK:5000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ partner: 'LAGEO', sats: '71875000' }, { partner: 'CEL', sats: '84375000' }, { partner: 'PAK', sats: '156250001' }]);
  const human = await runCli(['mining', 'split', '--total-sats', '312500001', '--shares', ' LAGEO : 2300 , CEL:2700,PAK:5000']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^LAGEO\s+2300 bps\s+71875000 sats\s+0\.71875000 BTC$/m);
  assert.match(human.stdout, /^total\s+10000 bps\s+312500001 sats\s+3\.12500001 BTC$/m);
});

test('mining split refuses bad input with one line, a stable code and exit 3', async () => {
  const cases: [string[], string, RegExp][] = [
    [['--total-sats', '100', '--shares', 'A:5000,B:4000'], 'INVALID_ARGUMENT', /shares sum to 9000 basis points; they must sum to exactly 10000/],
    [['--total-sats', '100', '--shares', 'A:5000,B:5001'], 'INVALID_ARGUMENT', /sum to 10001/],
    [['--total-sats', '-5', '--shares', 'A:10000'], 'INVALID_AMOUNT', /whole, non-negative number of sats, got "-5"/],
    [['--total-sats', '1.5', '--shares', 'A:10000'], 'INVALID_AMOUNT', /got "1\.5"/],
    [['--total-sats', '2100000000000001', '--shares', 'A:10000'], 'INVALID_AMOUNT', /more than 21,000,000 BTC/],
    [['--total-sats', '100', '--shares', 'A5000,B:5000'], 'INVALID_ARGUMENT', /malformed share "A5000"/],
    [['--total-sats', '100', '--shares', 'A:50.5,B:9949.5'], 'INVALID_ARGUMENT', /malformed share "A:50\.5"/],
    [['--total-sats', '100', '--shares', 'A:5000,A:5000'], 'INVALID_ARGUMENT', /"A" is listed twice/],
    [['--total-sats', '100', '--shares', ''], 'INVALID_ARGUMENT', /no shares given/],
  ];
  for (const [args, code, re] of cases) {
    const j = await runCli(['mining', 'split', ...args, '--json']);
    assert.equal(j.code, EXIT.INVALID_INPUT, `${args.join(' ')}: ${j.stderr}`);
    assert.equal(j.stdout, '');
    const e = errorOf(j.stderr);
    assert.equal(e.code, code, args.join(' '));
    assert.match(e.message, re);
    const h = await runCli(['mining', 'split', ...args]);
    assert.equal(h.code, EXIT.INVALID_INPUT);
    assert.equal(h.stderr.trim().split('\n').length, 1, `one line: ${h.stderr}`);
    assert.match(h.stderr, /^error: /);
  }
  const missing = await runCli(['mining', 'split', '--total-sats', '100']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--shares/);
});

test('mining forecast --json from a site file: money as strings, the shipped network, the USD hashprice, halvings by height', async () => {
  const r = await runCli(['mining', 'forecast', '--site', join(EXAMPLES, 'el-salvador-geothermal.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(j.site.name, 'Berlín geothermal (illustrative)');
  assert.equal(j.site.tariffPerMwh, '4500');
  assert.equal(j.site.powerMw, '18.500');
  assert.equal(j.network.height, 878_976);
  // the hashprice printed is the core's on the shipped inputs: the last epoch, the year's fees, the day's price
  const l = latestNetwork(loadNetworkHistory(), 365);
  const price = loadPriceHistory().onOrBefore('2025-01-12');
  assert.equal(j.price.usdMinorPerBtc, String(price?.cents));
  const hp = hashprice(blockSubsidy(878_977), l.state.feesPerBlock, int(price?.cents ?? 0n), networkHashrate(l.state.difficulty));
  assert.equal(j.hashpriceUsdPerThDay, decimalOf(div(hp, int(100)), 8));
  assert.equal(j.network.feesPerBlock, String(l.state.feesPerBlock));
  for (const k of ['revenue', 'energyCost', 'margin', 'breakEvenPrice', 'breakEvenTariffPerMwh']) assert.match(j.start[k], /^-?\d+$/, k);
  assert.deepEqual(j.halvings.map((h: { height: number }) => h.height), [1_050_000, 1_260_000]);
  // default scenarios: flat and trend, over 1,460 days = 210,240 blocks, crossing 1,050,000
  assert.deepEqual(j.scenarios.map((s: { scenario: { name: string } }) => s.scenario.name), ['flat', 'trend']);
  const flat = j.scenarios[0];
  assert.equal(flat.blocks, 210_240);
  assert.equal(flat.halvings[0].height, 1_050_000);
  // at the halving only the subsidy changes: a day's sats scale by (1.5625 + fees) / (3.125 + fees), to the sat
  const [before, after] = [BigInt(flat.halvings[0].before.sats), BigInt(flat.halvings[0].after.sats)];
  const F = l.state.feesPerBlock;
  assert.equal(flat.halvings[0].before.subsidy, '312500000');
  assert.equal(flat.halvings[0].after.subsidy, '156250000');
  const gap = after * (312_500_000n + F) - before * (156_250_000n + F);
  assert.ok((gap < 0n ? -gap : gap) <= 312_500_000n + F, `before ${before}, after ${after}`);
  assert.equal(BigInt(flat.totals.margin), BigInt(flat.totals.revenue) - BigInt(flat.totals.energyCost));
  assert.equal(flat.totals.subsidyCost, null);
});

test('mining forecast of a subsidised PKR site: the price crossed through the shipped rate, the subsidy cost per BTC; human text', async () => {
  const args = ['mining', 'forecast', '--site', join(EXAMPLES, 'pakistan-surplus-grid.json'), '--days', '365', '--scenario', 'bear:difficulty=+2%,price=-30%,fees=0.1'];
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(j.price.currency, 'PKR');
  assert.equal(j.price.usdRate.date, '2024-12-31');
  assert.equal(j.site.marketTariffPerMwh, '3200000');
  // subsidy per BTC = (32,000 − 23,000) PKR/MWh × MWh per BTC
  const perBtc = Number(j.start.subsidyCostPerBtc) / 100;
  assert.ok(Math.abs(perBtc - 9_000 * Number(j.start.mwhPerBtc)) < 9_000 * 0.001, `${perBtc} vs ${j.start.mwhPerBtc}`);
  const bear = j.scenarios[0];
  assert.equal(bear.scenario.name, 'bear');
  assert.equal(bear.scenario.difficultyGrowthBpsPerEpoch, 200);
  assert.equal(bear.scenario.priceChangeBps, -3000);
  assert.equal(bear.scenario.feesPerBlock, '10000000');
  assert.equal(bear.halvings.length, 0); // a year from 878,976 does not reach 1,050,000
  const h = await runCli(args);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /tariff PKR 23,000\.00\/MWh \(market PKR 32,000\.00\/MWh: a subsidy of PKR 9,000\.00\/MWh\)/);
  assert.match(h.stdout, /the subsidy costs the treasury PKR [\d,]+\.\d\d per BTC mined/);
  assert.match(h.stdout, /^Scenario bear: difficulty \+2% per retarget, price −30% over the horizon, fees 0\.10000000 BTC a block$/m);
});

test('mining forecast from flags alone, with a given price and network; refusals name the field', async () => {
  const r = await runCli(['mining', 'forecast', '--name', 'Flags', '--currency', 'USD', '--tariff', '50', '--fleet-ths', '100000', '--efficiency', '20', '--uptime', '90', '--pool-fee', '2',
    '--price', '100000', '--height', '1049000', '--fees', '0.125', '--epochs', '1', '--scenario', 'flat', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(j.network.height, 1_049_000);
  // --epochs 1: through the end of the tip's epoch, 1,049,001 … 1,050,335 (the next retarget is 1,050,336)
  assert.equal(j.scenarios[0].blocks, 1_335);
  assert.equal(j.scenarios[0].toHeight, 1_050_335);
  assert.equal(j.scenarios[0].halvings[0].height, 1_050_000);
  assert.equal(j.start.mwh, '43.200'); // 2 MW × 90 % × 24 h
  assert.equal(j.start.energyCost, '216000');

  const file = join(dir, 'bad-site.json');
  const refusals: [string[], string, RegExp][] = [
    [['--name', 'X', '--currency', 'USD', '--tariff', '50', '--efficiency', '20'], 'INVALID_ARGUMENT', /give the fleet hashrate \(TH\/s\) or the site capacity \(MW\)/],
    [['--name', 'X', '--currency', 'USD', '--tariff', '50.001', '--fleet-ths', '1', '--efficiency', '20'], 'INVALID_ARGUMENT', /the tariff per MWh must be an amount with at most 2 decimals/],
    [['--name', 'X', '--currency', 'USD', '--tariff', '50', '--fleet-ths', '100000', '--capacity-mw', '1', '--efficiency', '20'], 'INVALID_ARGUMENT', /the fleet draws 2\.000 MW .* capacity of 1\.000 MW/],
    [['--name', 'X', '--currency', 'USD', '--tariff', '50', '--fleet-ths', '1', '--efficiency', '20', '--uptime', '101'], 'INVALID_ARGUMENT', /the uptime must be a percentage from 0 to 100/],
    [['--name', 'X', '--currency', 'USD', '--tariff', '50', '--fleet-ths', '1', '--efficiency', '20', '--scenario', 'x:speed=2'], 'INVALID_ARGUMENT', /scenario "x": unknown key "speed"/],
    [['--name', 'X', '--currency', 'USD', '--tariff', '50', '--fleet-ths', '1', '--efficiency', '20', '--days', '10', '--epochs', '1'], 'INVALID_ARGUMENT', /--days or --epochs, not both/],
    [['--site', file], 'INVALID_ARGUMENT', /unknown field "tarif"/],
    [['--site', join(dir, 'missing.json')], 'INVALID_ARGUMENT', /cannot read the site file/],
  ];
  writeFileSync(file, JSON.stringify({ name: 'X', currency: 'USD', tarif: '50' }));
  for (const [args, code, re] of refusals) {
    const x = await runCli(['mining', 'forecast', ...args, '--json']);
    assert.equal(x.code, EXIT.INVALID_INPUT, `${args.join(' ')}: ${x.stderr}`);
    const e = errorOf(x.stderr);
    assert.equal(e.code, code, args.join(' '));
    assert.match(e.message, re);
  }
});

/** The words of a command line as a shell splits them (double quotes only, which is what the page uses). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

test('docs/mining.md: every mining forecast and split command on the page prints what the page shows, with the exit code shown', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const page = readFileSync(join(root, 'docs', 'mining.md'), 'utf8');
  const blocks = [...page.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  let ran = 0;
  for (const b of blocks) {
    const lines = b.replace(/\n$/, '').split('\n');
    const cmd = lines[0] ?? '';
    // the stateless commands only (the ventures section's commands need a database and run in their own test)
    if (!/^\$ npx soberana mining (forecast|split) /.test(cmd)) continue;
    const echo = lines.indexOf('$ echo $?');
    const shown = (echo < 0 ? lines.slice(1) : lines.slice(1, echo)).join('\n');
    const code = echo < 0 ? 0 : Number(lines[echo + 1]);
    const args = words(cmd.slice('$ npx soberana '.length)).map((w) => (w.startsWith('docs/') ? join(root, w) : w));
    const r = await runCli(args);
    assert.equal(r.code, code, `${cmd}: ${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trimEnd(), shown, cmd);
    ran++;
  }
  assert.ok(ran >= 9, `only ${ran} commands found on the page`);
});
