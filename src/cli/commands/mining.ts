/**
 * `soberana mining …` (issue #17): stateless commands for scripts and planning.
 *
 *   mining split      split a total of sats between partners by basis points, exactly
 *   mining forecast   a site's hashprice, revenue, energy cost, margin, break-evens, halvings and
 *                     subsidy cost, across scenarios, from the shipped network history
 *
 * Subcommands are a table (`MINING_SUBCOMMANDS`): a feature adds its own `mining <name> …` by
 * adding ONE line there with a `register(mining)` function from its own file. Keep that file's
 * heavy imports (stores, app layer) inside its actions (`await import(…)`) so `mining split`
 * stays quick to start.
 */
import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc, MAX_MONEY, parseAmount, type Sats } from '../../core/money.ts';
import { formatMoney } from '../../core/accounting/risk.ts';
import { crossPrice } from '../../core/accounting/valuation.ts';
import { parseDecimal } from '../../core/accounting/reference-rate.ts';
import { splitByShares, TOTAL_BPS, type Share } from '../../core/mining/split.ts';
import { blockSubsidy, expectedTimeOfHeight, networkHashrate, nextHalvings } from '../../core/mining/network.ts';
import { epochBlocks, forecast, hashprice, horizonBlocks, siteDay, siteHashrateThs, sitePowerMw, type BtcPrice, type DayFigures, type Forecast, type MiningSite, type NetworkState, type Scenario } from '../../core/mining/forecast.ts';
import { decimalOf, div, int, parseRatio } from '../../core/mining/ratio.ts';
import { registerVentureCommands } from './mining-venture.ts';

/** A `mining` subcommand group: registers its commands on the `mining` command. */
export interface MiningSubcommand {
  readonly name: string;
  readonly register: (mining: Command) => void;
}

/** Every `mining` subcommand, in `--help` order. Add one line per feature. */
export const MINING_SUBCOMMANDS: readonly MiningSubcommand[] = [
  { name: 'split', register: registerSplit },
  { name: 'forecast', register: registerForecast },
  { name: 'venture', register: registerVentureCommands }, // venture, shares, site, payouts, distribute, report (mining-venture.ts)
];

export function register(program: Command): void {
  const mining = program
    .command('mining')
    .description('mining ventures: exact splits by share, forecasts of a site across scenarios and halvings')
    .addHelpText('after', '\nSee docs/mining.md.');
  for (const s of MINING_SUBCOMMANDS) s.register(mining);
}

// ---------------------------------------------------------------- split

/**
 * A total of sats as typed: a whole, non-negative number no larger than 21 million BTC.
 * @throws DomainError INVALID_AMOUNT
 */
export function parseTotalSats(text: string): Sats {
  const t = text.trim();
  if (!/^\d{1,16}$/.test(t)) throw new DomainError('INVALID_AMOUNT', `the total must be a whole, non-negative number of sats, got "${t.length > 30 ? `${t.slice(0, 27)}…` : t}"`);
  const v = BigInt(t);
  if (v > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', `the total ${t} sats is more than 21,000,000 BTC`);
  return v as Sats;
}

/**
 * A share list as typed: `PARTNER:BPS,…` (e.g. "LAGEO:2300,CEL:2700,PAK:5000"); names are trimmed.
 * The sum to 10,000 is checked by the split itself.
 * @throws DomainError INVALID_ARGUMENT naming the malformed entry
 */
export function parseShares(text: string): Share[] {
  if (text.trim() === '') throw new DomainError('INVALID_ARGUMENT', 'no shares given: list partners with their basis points, e.g. "LAGEO:2300,CEL:2700,PAK:5000"');
  return text.split(',').map((entry) => {
    const i = entry.lastIndexOf(':');
    const partner = i < 0 ? '' : entry.slice(0, i).trim();
    const bps = i < 0 ? '' : entry.slice(i + 1).trim();
    if (partner === '' || !/^\d{1,5}$/.test(bps)) {
      const e = entry.trim();
      throw new DomainError('INVALID_ARGUMENT', `malformed share "${e.length > 40 ? `${e.slice(0, 37)}…` : e}": write PARTNER:BASIS_POINTS, e.g. LAGEO:2300`);
    }
    return { partner, bps: Number(bps) };
  });
}

function registerSplit(mining: Command): void {
  mining
    .command('split')
    .description('split a total of sats between partners by shares in basis points, exactly: the parts sum to the total, to the sat')
    .requiredOption('--total-sats <n>', 'the total to split, a whole number of sats')
    .requiredOption('--shares <list>', `PARTNER:BPS,… in basis points summing to ${TOTAL_BPS}`)
    .addHelpText(
      'after',
      `\nEach partner gets floor(total × bps / ${TOTAL_BPS}); the sats left over go one each to the largest remainders\n(ties: the larger share, then the partner name). Refused (exit 3, one line): shares not summing to ${TOTAL_BPS}\n(INVALID_ARGUMENT), a malformed share list (INVALID_ARGUMENT), a negative or non-integer total (INVALID_AMOUNT).\n\nExample:\n  $ soberana mining split --total-sats 312500000 --shares "LAGEO:2300,CEL:2700,PAK:5000" --json`,
    )
    .action(
      action(async (ctx, opts: { totalSats: string; shares: string }) => {
        const total = parseTotalSats(opts.totalSats);
        const list = parseShares(opts.shares);
        const parts = splitByShares(total, list);
        const shares = new Map(list.map((s) => [s.partner, s.bps]));
        const width = Math.max(...parts.map((p) => p.partner.length));
        ctx.out(parts, () =>
          [
            ...parts.map((p) => `${p.partner.padEnd(width)}  ${String(shares.get(p.partner)).padStart(5)} bps  ${p.sats.toString().padStart(16)} sats  ${formatBtc(p.sats)} BTC`),
            `${'total'.padEnd(width)}  ${String(TOTAL_BPS).padStart(5)} bps  ${total.toString().padStart(16)} sats  ${formatBtc(total)} BTC`,
          ].join('\n'));
      }),
    );
}

// ---------------------------------------------------------------- forecast

interface ForecastOptions {
  site?: string;
  name?: string;
  source?: string;
  currency?: string;
  tariff?: string;
  marketTariff?: string;
  fleetThs?: string;
  capacityMw?: string;
  efficiency?: string;
  uptime?: string;
  poolFee?: string;
  pool?: string;
  days?: string;
  epochs?: string;
  scenario: string[];
  price?: string;
  usdRate?: string;
  height?: string;
  difficulty?: string;
  fees?: string;
  feeWindow?: string;
}

const repeat = (v: string, prev: string[]): string[] => [...prev, v];
const MAX_SITE_FILE_BYTES = 64 * 1024;
const DEFAULT_DAYS = 1460;
const TREND_EPOCHS = 26;

function wholeNumber(text: string, label: string, max = 10_000_000_000): number {
  const t = text.trim();
  if (!/^\d{1,11}$/.test(t) || Number(t) > max) throw new DomainError('INVALID_ARGUMENT', `${label} must be a whole number${max < 10_000_000_000 ? ` up to ${max}` : ''}, got "${t.length > 30 ? `${t.slice(0, 27)}…` : t}"`);
  return Number(t);
}

const ordinal = (n: number): string => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th'}`;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const grouped = (n: number | bigint | string): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pct = (bps: number): string => `${bps < 0 ? '−' : '+'}${decimalOf({ num: BigInt(Math.abs(bps)), den: 100n }, 2).replace(/\.?0+$/, '')}%`;
/** A decimal MWh figure with thousands grouped and no trailing zero decimals. */
const mwh = (text: string): string => {
  const [w = '', f = ''] = text.split('.');
  const frac = f.replace(/0+$/, '');
  return `${grouped(w)}${frac === '' ? '' : `.${frac}`}`;
};
const ehs = (hs: bigint): string => decimalOf({ num: hs, den: 10n ** 18n }, 1);

function registerForecast(mining: Command): void {
  mining
    .command('forecast')
    .description("a site's hashprice, revenue, energy cost, margin, break-even power and BTC prices, halvings and subsidy cost, across scenarios")
    .option('--site <file>', 'the site as a JSON file (fields: name, energySource, currency, tariffPerMwh, marketTariffPerMwh, fleetThs, capacityMw, efficiencyJPerTh, uptime, poolFee, pool); flags override it')
    .option('--name <name>', 'the site name')
    .option('--source <source>', 'energy source: geothermal, hydro, surplus-grid, nuclear, gas')
    .option('--currency <code>', 'currency of the tariffs and of every money figure, e.g. USD, PKR')
    .option('--tariff <amount>', 'what the site pays per MWh, e.g. 45.00')
    .option('--market-tariff <amount>', 'the market tariff per MWh, when the site is subsidised')
    .option('--fleet-ths <ths>', 'fleet hashrate, TH/s')
    .option('--capacity-mw <mw>', 'site capacity, MW (without --fleet-ths the fleet fills it)')
    .option('--efficiency <j-per-th>', 'fleet efficiency, J/TH, e.g. 18.5')
    .option('--uptime <percent>', 'share of the time the fleet runs, % (default 100)')
    .option('--pool-fee <percent>', "the pool's fee, % (default 0)")
    .option('--pool <name>', 'the pool')
    .option('--days <n>', `horizon in days (default ${DEFAULT_DAYS}; 144 blocks a day)`)
    .option('--epochs <n>', 'horizon in retarget epochs of 2,016 blocks, through the end of the N-th (the current one counts), instead of --days')
    .option('--scenario <spec>', 'NAME[:difficulty=+2%,price=-30%,fees=0.1] (repeat); default: flat, and trend (the last 26 retargets\' average)', repeat, [])
    .option('--price <usd>', 'BTC price in USD (default: the shipped price file on the network date)')
    .option('--usd-rate <rate>', "units of the site's currency per USD (default: the shipped rate files)")
    .option('--height <n>', 'tip height to start from (default: the last epoch in the shipped history)')
    .option('--difficulty <d>', 'difficulty (default: that of the last epoch in the shipped history)')
    .option('--fees <btc>', 'fees per block, BTC (default: the average over the fee window)')
    .option('--fee-window <days>', 'days of the shipped fee history to average (default 365)')
    .addHelpText(
      'after',
      '\nMoney is exact (sats; integer minor units). Heights, not dates, drive the subsidy: a halving takes effect at its\nheight; dates are estimates at 600 s a block. Difficulty changes at every retarget, compounding; the price moves\nlinearly to its end value over the horizon.\n\nExamples:\n  $ soberana mining forecast --site docs/examples/mining/el-salvador-geothermal.json\n  $ soberana mining forecast --name "Thar surplus" --currency PKR --tariff 23000 --market-tariff 30000 \\\n      --capacity-mw 100 --efficiency 17.5 --uptime 92 --pool-fee 2 --scenario "bear:difficulty=+2%,price=-30%" --json',
    )
    .action(action(async (ctx, opts: ForecastOptions) => runForecast(ctx, opts)));
}

async function runForecast(ctx: CliContext, opts: ForecastOptions): Promise<void> {
  const { parseSiteJson, siteFromSpec } = await import('../../adapters/mining/site-spec.ts');
  const { parseScenario } = await import('../../adapters/mining/scenario-spec.ts');
  const { latestNetwork, loadNetworkHistory, recentDifficultyGrowthBps } = await import('../../adapters/mining/network-history.ts');
  const { shippedReferenceRates } = await import('../../adapters/prices/csv-reference-rates.ts');

  const spec = opts.site === undefined ? {} : parseSiteJson(readInputFile(opts.site, 'site file', MAX_SITE_FILE_BYTES), `site file ${opts.site}`);
  const flags = { name: opts.name, energySource: opts.source, currency: opts.currency, tariffPerMwh: opts.tariff, marketTariffPerMwh: opts.marketTariff, fleetThs: opts.fleetThs, capacityMw: opts.capacityMw, efficiencyJPerTh: opts.efficiency, uptime: opts.uptime, poolFee: opts.poolFee, pool: opts.pool };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (spec as Record<string, string>)[k] = v;
  const site = siteFromSpec(spec);

  // the network: the shipped history's last epoch, unless overridden
  const history = loadNetworkHistory();
  const feeWindow = opts.feeWindow === undefined ? 365 : wholeNumber(opts.feeWindow, 'the fee window (days)', 100_000);
  const latest = latestNetwork(history, feeWindow);
  const height = opts.height === undefined ? latest.state.height : wholeNumber(opts.height, 'the height', 100_000_000);
  const net: NetworkState = {
    height,
    difficulty: opts.difficulty === undefined ? latest.state.difficulty : parseRatio(opts.difficulty, 'the difficulty'),
    feesPerBlock: opts.fees === undefined ? latest.state.feesPerBlock : parseAmount(opts.fees),
    // an estimate when the height is not the history's: 600 s a block from the last epoch's start
    timeMs: latest.epoch.timeMs + (height - latest.epoch.height) * 600_000,
  };
  if (net.difficulty.num <= 0n) throw new DomainError('INVALID_ARGUMENT', 'the difficulty must be positive');
  const networkDay = dayOf(net.timeMs as number);

  // the prices: USD from --price or the shipped file on the network's day; the site's currency through a rate
  const rates = shippedReferenceRates();
  let usd: { minorPerBtc: bigint; date: string | null };
  if (opts.price !== undefined) {
    const { parseMajor } = await import('../../adapters/mining/site-spec.ts');
    usd = { minorPerBtc: parseMajor(opts.price, 2, 'the BTC price (USD)'), date: null };
    if (usd.minorPerBtc <= 0n) throw new DomainError('INVALID_ARGUMENT', 'the BTC price must be positive');
  } else {
    const series = await rates.btcPrices('USD');
    const p = series?.onOrBefore(networkDay) ?? null;
    if (p === null) throw new DomainError('PRICE_UNAVAILABLE', `no shipped BTC/USD price on or before ${networkDay}: give --price`);
    usd = { minorPerBtc: p.minorPerBtc, date: p.date };
  }
  let price: BtcPrice = { currency: 'USD', minorPerBtc: usd.minorPerBtc, minorDigits: 2, ...(usd.date === null ? {} : { date: usd.date }) };
  let rateUsed: { perUsd: string; date: string | null; source: string } | null = null;
  if (site.currency !== 'USD') {
    let perUsd: { units: bigint; scale: number } | undefined;
    if (opts.usdRate !== undefined) {
      perUsd = parseDecimal(opts.usdRate, 'the USD rate');
      if (perUsd.units <= 0n) throw new DomainError('INVALID_ARGUMENT', 'the USD rate must be positive');
      rateUsed = { perUsd: opts.usdRate.trim(), date: null, source: '--usd-rate' };
    } else {
      const direct = opts.price === undefined ? await rates.btcPrices(site.currency) : null;
      const dp = direct?.onOrBefore(networkDay) ?? null;
      if (dp !== null) {
        price = { currency: site.currency, minorPerBtc: dp.minorPerBtc, minorDigits: site.minorDigits, date: dp.date };
      } else {
        const fx = (await rates.usdRates(site.currency))?.onOrBefore(networkDay) ?? null;
        if (fx === null) throw new DomainError('PRICE_UNAVAILABLE', `no shipped US dollar rate for ${site.currency} on or before ${networkDay}: give --usd-rate`);
        perUsd = fx.perUsd;
        rateUsed = { perUsd: decimalOf({ num: fx.perUsd.units, den: 10n ** BigInt(fx.perUsd.scale) }, fx.perUsd.scale), date: fx.date, source: 'shipped data/fx' };
      }
    }
    if (perUsd !== undefined) price = { currency: site.currency, minorPerBtc: crossPrice(usd.minorPerBtc, 2, perUsd, site.minorDigits), minorDigits: site.minorDigits, ...(usd.date === null ? {} : { date: usd.date }) };
  }

  // horizon and scenarios
  if (opts.days !== undefined && opts.epochs !== undefined) throw new DomainError('INVALID_ARGUMENT', 'give --days or --epochs, not both');
  const blocks = opts.epochs !== undefined ? epochBlocks(wholeNumber(opts.epochs, 'the horizon (epochs)', 400), height) : horizonBlocks(opts.days === undefined ? DEFAULT_DAYS : wholeNumber(opts.days, 'the horizon (days)', 5000));
  const trend = recentDifficultyGrowthBps(history.epochs, TREND_EPOCHS);
  const scenarios: Scenario[] = opts.scenario.length > 0
    ? opts.scenario.map((s) => parseScenario(s))
    : [{ name: 'flat', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0 }, { name: 'trend', difficultyGrowthBpsPerEpoch: trend, priceChangeBps: 0 }];
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new DomainError('INVALID_ARGUMENT', `two scenarios are named "${s.name}"`);
    names.add(s.name);
  }

  const today = siteDay(site, net, price);
  const next = net.height + 1;
  const hpUsd = hashprice(blockSubsidy(next), net.feesPerBlock, int(usd.minorPerBtc), networkHashrate(net.difficulty));
  const forecasts = scenarios.map((s) => forecast(site, net, price, s, blocks));
  const halvings = nextHalvings(net.height, 2).map((h) => ({ ...h, estimatedDate: dayOf(expectedTimeOfHeight(net.height, net.timeMs as number, h.height)) }));

  const json = {
    site: {
      name: site.name, energySource: site.energySource ?? null, pool: site.pool ?? null, currency: site.currency,
      tariffPerMwh: site.tariffPerMwh, marketTariffPerMwh: site.marketTariffPerMwh ?? null,
      hashrateThs: decimalOf(siteHashrateThs(site), 3), powerMw: decimalOf(sitePowerMw(site), 3), efficiencyJPerTh: decimalOf(site.efficiencyJPerTh, 3),
      capacityMw: site.capacityMw === undefined ? null : decimalOf(site.capacityMw, 3), uptimeBps: site.uptimeBps, poolFeeBps: site.poolFeeBps,
    },
    network: {
      height: net.height, estimatedDate: networkDay, difficulty: decimalOf(net.difficulty, 2), networkHashrateHs: networkHashrate(net.difficulty), feesPerBlock: net.feesPerBlock,
      feeWindow: opts.fees === undefined ? { from: latest.fees.from, to: latest.fees.to, days: latest.fees.days } : null,
      history: { epochs: history.sources.epochs, fees: history.sources.fees, lastEpochHeight: latest.epoch.height, lastEpochDate: dayOf(latest.epoch.timeMs) },
      trendDifficultyBpsPerEpoch: trend,
    },
    price: { currency: price.currency, minorPerBtc: price.minorPerBtc, date: usd.date, usdMinorPerBtc: usd.minorPerBtc, usdRate: rateUsed },
    hashpriceUsdPerThDay: decimalOf(div(hpUsd, int(100)), 8),
    start: today,
    halvings,
    // each scenario without what the top level already says (the site, the start day)
    scenarios: forecasts.map(({ site: _site, currency: _currency, minorDigits: _digits, hashrateThs: _ths, powerMw: _mw, start: _start, ...f }) => ({ ...f, estimatedEndDate: f.estimatedEndMs === null ? null : dayOf(f.estimatedEndMs) })),
  };
  ctx.out(json, () => forecastText(site, net, json, today, forecasts, halvings));
}

function forecastText(
  site: MiningSite,
  net: NetworkState,
  j: { network: { feeWindow: { from: string; to: string } | null; estimatedDate: string; networkHashrateHs: bigint; difficulty: string; history: { lastEpochHeight: number; lastEpochDate: string } }; price: { minorPerBtc: bigint; date: string | null; usdMinorPerBtc: bigint; usdRate: { perUsd: string; date: string | null; source: string } | null }; hashpriceUsdPerThDay: string },
  today: DayFigures,
  forecasts: readonly Forecast[],
  halvings: readonly { index: number; height: number; blocksAway: number; subsidyBefore: Sats; subsidyAfter: Sats; estimatedDate: string }[],
): string {
  const money = (minor: bigint | null): string => (minor === null ? 'n/a' : formatMoney({ currency: site.currency, minor }, site.minorDigits));
  const usd = (minor: bigint): string => formatMoney({ currency: 'USD', minor }, 2);
  const L: string[] = [];
  const extras = [site.energySource, site.pool === undefined ? undefined : `pool ${site.pool}`].filter((x) => x !== undefined).join(', ');
  L.push(`Site ${site.name}${extras === '' ? '' : ` (${extras})`}: ${grouped(decimalOf(siteHashrateThs(site), 0))} TH/s at ${decimalOf(site.efficiencyJPerTh, 2).replace(/\.?0+$/, '')} J/TH = ${decimalOf(sitePowerMw(site), 3)} MW${site.capacityMw === undefined ? '' : ` of ${decimalOf(site.capacityMw, 3)} MW capacity`}, uptime ${pct(site.uptimeBps).slice(1)}, pool fee ${pct(site.poolFeeBps).slice(1)}`);
  L.push(`  tariff ${money(site.tariffPerMwh)}/MWh${site.marketTariffPerMwh === undefined ? '' : ` (market ${money(site.marketTariffPerMwh)}/MWh: a subsidy of ${money(site.marketTariffPerMwh - site.tariffPerMwh)}/MWh)`}`);
  const atEpoch = net.height === j.network.history.lastEpochHeight ? `the last epoch in the shipped history, ${j.network.history.lastEpochDate}` : `≈ ${j.network.estimatedDate}, an estimate`;
  L.push(`Network at height ${grouped(net.height)} (${atEpoch}): difficulty ${grouped(j.network.difficulty.split('.')[0] ?? '')} ≈ ${ehs(j.network.networkHashrateHs)} EH/s; fees ${formatBtc(net.feesPerBlock)} BTC a block${j.network.feeWindow === null ? '' : ` (average ${j.network.feeWindow.from} … ${j.network.feeWindow.to})`}`);
  const rate = j.price.usdRate === null ? '' : ` × ${j.price.usdRate.perUsd} ${site.currency}/USD${j.price.usdRate.date === null ? '' : ` (${j.price.usdRate.date})`} = ${money(j.price.minorPerBtc)}`;
  L.push(`BTC price ${usd(j.price.usdMinorPerBtc)}${j.price.date === null ? ' (given)' : ` (${j.price.date})`}${rate}`);
  L.push(`Hashprice $${j.hashpriceUsdPerThDay} per TH/s per day (hashvalue ${today.hashvalueSats} sats)`);
  L.push('');
  L.push(`A day at the start (block ${grouped(today.height)}): ${formatBtc(today.sats)} BTC mined, revenue ${money(today.revenue)}, energy ${mwh(today.mwh)} MWh costing ${money(today.energyCost)}, margin ${money(today.margin)}`);
  L.push(`  break-even power price ${money(today.breakEvenTariffPerMwh)}/MWh; break-even BTC price ${money(today.breakEvenPrice)}${today.breakEvenPriceAtMarket === null ? '' : ` (${money(today.breakEvenPriceAtMarket)} at the market tariff)`}`);
  if (today.subsidyCostPerBtc !== null) L.push(`  the subsidy costs the treasury ${money(today.subsidyCostPerBtc)} per BTC mined (${mwh(today.mwhPerBtc ?? '0')} MWh per BTC × ${money((site.marketTariffPerMwh ?? 0n) - site.tariffPerMwh)}/MWh)`);
  L.push(`Next halvings: ${halvings.map((h) => `${grouped(h.height)} (${ordinal(h.index)}, in ${grouped(h.blocksAway)} blocks, ≈ ${h.estimatedDate}; ${formatBtc(h.subsidyBefore)} → ${formatBtc(h.subsidyAfter)} BTC)`).join('; ')}`);
  for (const f of forecasts) {
    const s = f.scenario;
    L.push('');
    L.push(`Scenario ${s.name}: difficulty ${pct(s.difficultyGrowthBpsPerEpoch)} per retarget, price ${pct(s.priceChangeBps)} over the horizon, fees ${formatBtc(s.feesPerBlock ?? 0n)} BTC a block`);
    L.push(`  blocks ${grouped(f.fromHeight)} … ${grouped(f.toHeight)} (${grouped(f.blocks)} blocks, ${f.days.replace(/\.000$/, '')} days, to ≈ ${f.estimatedEndMs === null ? '?' : dayOf(f.estimatedEndMs)})`);
    L.push(`  mined ${formatBtc(f.totals.sats)} BTC; revenue ${money(f.totals.revenue)}; energy ${mwh(f.totals.mwh)} MWh costing ${money(f.totals.energyCost)}; margin ${money(f.totals.margin)}`);
    L.push(`  energy cost per BTC mined ${money(f.totals.costPerBtc)}${f.totals.subsidyCost === null ? '' : `; the subsidy costs ${money(f.totals.subsidyCost)}`}`);
    for (const h of f.halvings) {
      L.push(`  at the halving, block ${grouped(h.height)} (≈ ${h.estimatedTimeMs === null ? '?' : dayOf(h.estimatedTimeMs)}): revenue a day ${money(h.before.revenue)} → ${money(h.after.revenue)}, margin a day ${money(h.before.margin)} → ${money(h.after.margin)}, break-even BTC price ${money(h.before.breakEvenPrice)} → ${money(h.after.breakEvenPrice)}`);
    }
    L.push(`  at the end (block ${grouped(f.end.height)}): hashprice ${f.end.hashprice} ${site.currency} per TH/s per day, revenue a day ${money(f.end.revenue)}, margin a day ${money(f.end.margin)}, break-even BTC price ${money(f.end.breakEvenPrice)}`);
  }
  const head = ['scenario', 'BTC mined', 'revenue', 'energy cost', 'margin', 'cost per BTC', ...(site.marketTariffPerMwh === undefined ? [] : ['subsidy cost'])];
  const rows = forecasts.map((f) => [f.scenario.name, formatBtc(f.totals.sats), money(f.totals.revenue), money(f.totals.energyCost), money(f.totals.margin), money(f.totals.costPerBtc), ...(site.marketTariffPerMwh === undefined ? [] : [money(f.totals.subsidyCost)])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  L.push('');
  L.push(line(head));
  for (const r of rows) L.push(line(r));
  return L.join('\n');
}
