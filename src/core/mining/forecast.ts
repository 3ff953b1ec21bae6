/**
 * Mining economics of a site, and forecasts across scenarios and halvings (issue #17). Pure.
 *
 * Units (no floats anywhere):
 * - BTC amounts are sats (bigint); fiat amounts are integer minor units of a currency (cents,
 *   paisa), rounded half away from zero once, where a figure is reported.
 * - Everything else stays an exact `Ratio` until it is reported: difficulty, hashrate (TH/s),
 *   efficiency (J/TH), power (MW), energy (MWh), uptime and pool fee (basis points).
 * - Reported non-money figures are decimal strings: hashprice in major units with the currency's
 *   minor digits + 6 places (USD: 8), hashvalue in sats with 3 places, MWh and MW with 3 places.
 *
 * Model (one block at a time, in block heights, never dates):
 * - the site's expected share of each block is its running hashrate / the network hashrate implied
 *   by difficulty (difficulty × 2^32 / 600 s), at most the whole block; it gets that share of (subsidy + fees), less the
 *   pool's fee; uptime scales both the hashrate and the energy drawn (machines that are down draw
 *   nothing);
 * - a block takes the assumed interval (600 s): a period of n blocks lasts n × 600 s, and dates are
 *   estimates from the tip's time;
 * - a scenario grows difficulty by a fixed percentage at every retarget (every 2,016 blocks,
 *   compounding; −75 % to +300 %, the factor of 4 consensus allows; never below difficulty 1), moves the BTC price linearly from today's to today's × (1 + change) at the
 *   horizon's last block, and sets the fees per block;
 * - the subsidy drops at the halving HEIGHT (50 BTC >> ⌊height / 210,000⌋).
 *
 * The forecast is exact for that model: a period's revenue sums the linear price path block by
 * block (its average over the period is its value at the period's middle block). Totals add the
 * periods' exact figures rounded to 10^-6 (of a sat, a minor unit, a MWh), then round once.
 */
import { DomainError } from '../errors.ts';
import type { Sats } from '../money.ts';
import { blockSubsidy, blocksPerDay, expectedTimeOfHeight, HALVING_INTERVAL, networkHashrate, RETARGET_INTERVAL, SECONDS_PER_DAY, TARGET_BLOCK_SECONDS } from './network.ts';
import { add, bps, cmp, decimalOf, div, int, mul, ONE, ratio, roundTo, sub, type Ratio } from './ratio.ts';

const SATS_PER_BTC = 100_000_000n;
const TH = 1_000_000_000_000n;
/** Extra decimal places of a hashprice beyond the currency's minor unit. */
export const HASHPRICE_EXTRA_DIGITS = 6;
/** Per-period figures are summed in units of 10^-TOTAL_DIGITS (of a sat, a minor unit, a MWh). */
const TOTAL_DIGITS = 6;

export const ENERGY_SOURCES = ['geothermal', 'hydro', 'surplus-grid', 'nuclear', 'gas'] as const;
export type EnergySource = (typeof ENERGY_SOURCES)[number];

/** The network at the tip a forecast starts from. */
export interface NetworkState {
  /** The last block mined; the forecast starts with tip + 1. */
  readonly height: number;
  /** The difficulty of the epoch the next block is in (exact). */
  readonly difficulty: Ratio;
  /** Average fees per block, sats. */
  readonly feesPerBlock: Sats;
  /** When the tip was mined (Unix ms), for date estimates only. */
  readonly timeMs?: number;
  /** The assumed block interval, seconds; default 600. */
  readonly blockSeconds?: number;
}

/** A BTC price: minor units of `currency` per whole BTC. */
export interface BtcPrice {
  readonly currency: string;
  readonly minorPerBtc: bigint;
  /** Decimal places of the currency's minor unit (USD, PKR: 2). */
  readonly minorDigits: number;
  /** The day it is for, when known (shown, not used). */
  readonly date?: string;
}

/** A mining site (issue #17 item 2). */
export interface MiningSite {
  readonly name: string;
  readonly energySource?: EnergySource;
  /** ISO 4217 code of the tariff (and of every money figure of the site's forecast). */
  readonly currency: string;
  readonly minorDigits: number;
  /** What the site pays, minor units per MWh. */
  readonly tariffPerMwh: bigint;
  /** The market tariff, minor units per MWh: above `tariffPerMwh`, the difference is a subsidy the treasury bears. */
  readonly marketTariffPerMwh?: bigint;
  /** Installed fleet hashrate, TH/s. Without it: capacity (MW) / efficiency. */
  readonly fleetThs?: Ratio;
  /** The site's power capacity, MW; the fleet may not draw more. */
  readonly capacityMw?: Ratio;
  /** Joules per terahash (W per TH/s). */
  readonly efficiencyJPerTh: Ratio;
  /** Share of the time the fleet runs, basis points (9,500 = 95 %). */
  readonly uptimeBps: number;
  /** The pool's fee, basis points of the reward. */
  readonly poolFeeBps: number;
  readonly pool?: string;
}

/** A scenario of the network and market. */
export interface Scenario {
  readonly name: string;
  /** Difficulty change at every retarget, basis points, compounding (300 = +3 % per 2,016 blocks); −7,500 … 30,000. */
  readonly difficultyGrowthBpsPerEpoch: number;
  /** BTC price change over the whole horizon, basis points, linear in blocks (−3,000 = falls to 70 % at the end). */
  readonly priceChangeBps: number;
  /** Fees per block, sats; default the network state's average. */
  readonly feesPerBlock?: Sats;
}

export const FLAT_SCENARIO: Scenario = { name: 'flat', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0 };

function checkBps(v: number, label: string, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new DomainError('INVALID_ARGUMENT', `${label} must be whole basis points from ${min} to ${max}, got ${String(v)}`);
}
const positive = (r: Ratio): boolean => r.num > 0n;

/**
 * Check a site: a user's mistake is a DomainError INVALID_ARGUMENT naming the field.
 * @throws DomainError INVALID_ARGUMENT
 */
export function checkSite(site: MiningSite): void {
  if (site.name.trim() === '') throw new DomainError('INVALID_ARGUMENT', 'the site has no name');
  if (!/^[A-Z]{3}$/.test(site.currency)) throw new DomainError('INVALID_ARGUMENT', `the site's currency must be an ISO 4217 code like USD or PKR, got "${site.currency.slice(0, 10)}"`);
  if (!Number.isSafeInteger(site.minorDigits) || site.minorDigits < 0 || site.minorDigits > 4) throw new RangeError(`"minorDigits" must be 0…4, got ${String(site.minorDigits)}`);
  if (site.tariffPerMwh < 0n) throw new DomainError('INVALID_ARGUMENT', 'the tariff per MWh must not be negative');
  if (site.marketTariffPerMwh !== undefined && site.marketTariffPerMwh < 0n) throw new DomainError('INVALID_ARGUMENT', 'the market tariff per MWh must not be negative');
  if (!positive(site.efficiencyJPerTh)) throw new DomainError('INVALID_ARGUMENT', 'the efficiency (J/TH) must be positive');
  if (site.fleetThs === undefined && site.capacityMw === undefined) throw new DomainError('INVALID_ARGUMENT', 'give the fleet hashrate (TH/s) or the site capacity (MW)');
  if (site.fleetThs !== undefined && !positive(site.fleetThs)) throw new DomainError('INVALID_ARGUMENT', 'the fleet hashrate (TH/s) must be positive');
  if (site.capacityMw !== undefined && !positive(site.capacityMw)) throw new DomainError('INVALID_ARGUMENT', 'the site capacity (MW) must be positive');
  checkBps(site.uptimeBps, 'uptime', 0, 10_000);
  checkBps(site.poolFeeBps, 'the pool fee', 0, 10_000);
  if (site.fleetThs !== undefined && site.capacityMw !== undefined && cmp(sitePowerMw(site), site.capacityMw) > 0) {
    throw new DomainError('INVALID_ARGUMENT', `the fleet draws ${decimalOf(sitePowerMw(site), 3)} MW (TH/s × J/TH), more than the site's capacity of ${decimalOf(site.capacityMw, 3)} MW`);
  }
}

/** A site as stored in whole units (the shape of the ventures store's `Site`, matched structurally). */
export interface StoredSiteFields {
  readonly name: string;
  readonly energySource: EnergySource;
  readonly currency: string;
  /** kW (1 MW = 1,000 kW). */
  readonly capacityKw: bigint;
  readonly tariffMinorPerMwh: bigint;
  readonly marketTariffMinorPerMwh: bigint | null;
  /** TH/s; 0 means "fill the capacity". */
  readonly fleetThs: bigint;
  /** Millijoules per TH (17.5 J/TH = 17,500). */
  readonly efficiencyMjPerTh: bigint;
  readonly uptimeBps: number;
  readonly poolFeeBps: number;
  readonly pool: string | null;
}

/**
 * The forecast's `MiningSite` from a stored site (checked).
 * @example siteOfStored(site, 2) // { …, capacityMw: 20 (from 20,000 kW), efficiencyJPerTh: 17.5 (from 17,500 mJ/TH) }
 * @throws DomainError INVALID_ARGUMENT as `checkSite`
 */
export function siteOfStored(s: StoredSiteFields, minorDigits: number): MiningSite {
  const site: MiningSite = {
    name: s.name, energySource: s.energySource, currency: s.currency, minorDigits,
    tariffPerMwh: s.tariffMinorPerMwh,
    ...(s.marketTariffMinorPerMwh === null ? {} : { marketTariffPerMwh: s.marketTariffMinorPerMwh }),
    ...(s.fleetThs > 0n ? { fleetThs: int(s.fleetThs) } : {}),
    ...(s.capacityKw > 0n ? { capacityMw: ratio(s.capacityKw, 1000n) } : {}),
    efficiencyJPerTh: ratio(s.efficiencyMjPerTh, 1000n),
    uptimeBps: s.uptimeBps, poolFeeBps: s.poolFeeBps,
    ...(s.pool === null ? {} : { pool: s.pool }),
  };
  checkSite(site);
  return site;
}

/**
 * The site's installed hashrate, TH/s: the fleet's, or capacity × 10^6 / efficiency.
 * @example siteHashrateThs({ …, capacityMw: int(10), efficiencyJPerTh: int(20) }) // 500,000 TH/s
 */
export function siteHashrateThs(site: MiningSite): Ratio {
  if (site.fleetThs !== undefined) return site.fleetThs;
  if (site.capacityMw === undefined) throw new RangeError('siteHashrateThs: neither fleetThs nor capacityMw');
  return div(mul(site.capacityMw, int(1_000_000)), site.efficiencyJPerTh);
}

/** The power the fleet draws while running, MW: TH/s × J/TH / 10^6. */
export function sitePowerMw(site: MiningSite): Ratio {
  return div(mul(siteHashrateThs(site), site.efficiencyJPerTh), int(1_000_000));
}

/** The network's state for the block at `height` under a scenario (what a period or a day is computed from). */
interface BlockState {
  readonly height: number;
  readonly subsidy: Sats;
  readonly feesPerBlock: Sats;
  readonly difficulty: Ratio;
  readonly networkHs: bigint;
  /** Minor units per BTC (exact: a point of the linear path). */
  readonly price: Ratio;
}

/**
 * Hashprice: what one TH/s earns a day, in minor units of the price's currency (exact):
 * (subsidy + fees per block) × blocks per day × price / network hashrate in TH/s.
 * @example decimalOf(hashprice(312_500_000n, 25_000_000n, int(10_000_000), 700_000_000_000_000_000_000n), 6) === '6.942857' // cents per TH/s per day at 3.125 + 0.25 BTC, $100,000, 700 EH/s
 */
export function hashprice(subsidy: Sats, feesPerBlock: Sats, priceMinorPerBtc: Ratio, networkHs: bigint, blockSeconds = TARGET_BLOCK_SECONDS): Ratio {
  return mul(hashvalue(subsidy, feesPerBlock, networkHs, blockSeconds), div(priceMinorPerBtc, int(SATS_PER_BTC)));
}

/**
 * Hashvalue: the sats one TH/s earns a day (exact): (subsidy + fees) × blocks per day × 10^12 / network H/s.
 * @example decimalOf(hashvalue(312_500_000n, 25_000_000n, 700_000_000_000_000_000_000n), 3) === '69.429'
 */
export function hashvalue(subsidy: Sats, feesPerBlock: Sats, networkHs: bigint, blockSeconds = TARGET_BLOCK_SECONDS): Ratio {
  if (networkHs <= 0n) throw new RangeError('"networkHs" must be positive');
  return div(mul(int(subsidy + feesPerBlock), mul(blocksPerDay(blockSeconds), int(TH))), int(networkHs));
}

/** A site's figures over a run of blocks at one state (exact). */
interface RunRatios {
  readonly sats: Ratio;
  readonly revenue: Ratio;
  readonly mwh: Ratio;
  readonly energyCost: Ratio;
}

function run(site: MiningSite, s: BlockState, blocks: Ratio, blockSeconds: number): RunRatios {
  const up = bps(site.uptimeBps);
  // the network hashrate includes the site's: a site "larger" than the network finds every block, no more
  const raw = div(mul(mul(siteHashrateThs(site), int(TH)), up), int(s.networkHs));
  const shareOfBlock = cmp(raw, ONE) > 0 ? ONE : raw;
  const sats = mul(mul(mul(int(s.subsidy + s.feesPerBlock), shareOfBlock), sub(ONE, bps(site.poolFeeBps))), blocks);
  const revenue = div(mul(sats, s.price), int(SATS_PER_BTC));
  const hours = div(mul(blocks, int(blockSeconds)), int(3600));
  const mwh = mul(mul(sitePowerMw(site), up), hours);
  return { sats, revenue, mwh, energyCost: mul(mwh, int(site.tariffPerMwh)) };
}

/** One day of a site at one state: the figures a dashboard shows, rounded. */
export interface DayFigures {
  /** The block these figures are for. */
  readonly height: number;
  readonly subsidy: Sats;
  readonly feesPerBlock: Sats;
  /** Difficulty, 2 decimal places. */
  readonly difficulty: string;
  readonly networkHashrateHs: bigint;
  /** BTC price, minor units per BTC. */
  readonly price: bigint;
  /** Major units per TH/s per day, minorDigits + 6 places. */
  readonly hashprice: string;
  /** Sats per TH/s per day, 3 places. */
  readonly hashvalueSats: string;
  /** BTC the site earns a day after uptime and the pool fee, sats. */
  readonly sats: Sats;
  /** Minor units a day. */
  readonly revenue: bigint;
  readonly energyCost: bigint;
  readonly margin: bigint;
  /** MWh drawn a day, 3 places. */
  readonly mwh: string;
  /** The tariff at which the margin is zero, minor units per MWh (null when nothing is drawn). */
  readonly breakEvenTariffPerMwh: bigint | null;
  /** The BTC price at which the margin is zero, minor units per BTC (null when nothing is mined). */
  readonly breakEvenPrice: bigint | null;
  /** The same at the market tariff, when the site has one. */
  readonly breakEvenPriceAtMarket: bigint | null;
  /** MWh per BTC mined, 3 places (null when nothing is mined). */
  readonly mwhPerBtc: string | null;
  /** (market tariff − tariff) × MWh per BTC: what the subsidy costs the treasury per BTC mined, minor units (null without a market tariff or when nothing is mined). */
  readonly subsidyCostPerBtc: bigint | null;
}

function dayFigures(site: MiningSite, s: BlockState, blockSeconds: number): DayFigures {
  const r = run(site, s, blocksPerDay(blockSeconds), blockSeconds);
  const hp = hashprice(s.subsidy, s.feesPerBlock, s.price, s.networkHs, blockSeconds);
  const btc = div(r.sats, int(SATS_PER_BTC));
  const mined = r.sats.num > 0n;
  const drawn = r.mwh.num > 0n;
  const market = site.marketTariffPerMwh;
  return {
    height: s.height,
    subsidy: s.subsidy,
    feesPerBlock: s.feesPerBlock,
    difficulty: decimalOf(s.difficulty, 2),
    networkHashrateHs: s.networkHs,
    price: roundTo(s.price),
    hashprice: decimalOf(div(hp, int(10n ** BigInt(site.minorDigits))), site.minorDigits + HASHPRICE_EXTRA_DIGITS),
    hashvalueSats: decimalOf(hashvalue(s.subsidy, s.feesPerBlock, s.networkHs, blockSeconds), 3),
    sats: roundTo(r.sats) as Sats,
    revenue: roundTo(r.revenue),
    energyCost: roundTo(r.energyCost),
    margin: roundTo(sub(r.revenue, r.energyCost)),
    mwh: decimalOf(r.mwh, 3),
    breakEvenTariffPerMwh: drawn ? roundTo(div(r.revenue, r.mwh)) : null,
    breakEvenPrice: mined ? roundTo(div(r.energyCost, btc)) : null,
    breakEvenPriceAtMarket: mined && market !== undefined ? roundTo(div(mul(r.mwh, int(market)), btc)) : null,
    mwhPerBtc: mined ? decimalOf(div(r.mwh, btc), 3) : null,
    subsidyCostPerBtc: mined && market !== undefined ? roundTo(div(mul(r.mwh, int(market - site.tariffPerMwh)), btc)) : null,
  };
}

function checkInputs(site: MiningSite, net: NetworkState, price: BtcPrice): number {
  checkSite(site);
  if (!Number.isSafeInteger(net.height) || net.height < 0) throw new DomainError('INVALID_ARGUMENT', `the tip height must be a whole number of blocks, got ${String(net.height)}`);
  if (net.difficulty.num <= 0n) throw new DomainError('INVALID_ARGUMENT', 'the difficulty must be positive');
  if (net.feesPerBlock < 0n) throw new DomainError('INVALID_AMOUNT', 'the fees per block must not be negative');
  if (price.minorPerBtc <= 0n) throw new DomainError('INVALID_ARGUMENT', 'the BTC price must be positive');
  if (price.currency !== site.currency) throw new DomainError('INVALID_ARGUMENT', `the BTC price is in ${price.currency} but the site's tariff is in ${site.currency}: give the price in ${site.currency}`);
  const blockSeconds = net.blockSeconds ?? TARGET_BLOCK_SECONDS;
  if (!Number.isSafeInteger(blockSeconds) || blockSeconds <= 0) throw new DomainError('INVALID_ARGUMENT', `the block interval must be a positive whole number of seconds, got ${String(blockSeconds)}`);
  return blockSeconds;
}

/**
 * A site's economics for one day at the network's tip (the next block's subsidy, today's
 * difficulty, fees and price).
 * @throws DomainError INVALID_ARGUMENT on a bad site, or a price in another currency than the site's tariff
 * @example siteDay(site, { height: 878_976, difficulty, feesPerBlock: 20_000_000n }, { currency: 'USD', minorPerBtc: 9_450_000_000n, minorDigits: 2 }).margin
 */
export function siteDay(site: MiningSite, net: NetworkState, price: BtcPrice): DayFigures {
  const blockSeconds = checkInputs(site, net, price);
  const h = net.height + 1;
  return dayFigures(site, { height: h, subsidy: blockSubsidy(h), feesPerBlock: net.feesPerBlock, difficulty: net.difficulty, networkHs: networkHashrate(net.difficulty, blockSeconds), price: int(price.minorPerBtc) }, blockSeconds);
}

/** A run of blocks with one subsidy, one difficulty and one fee level (a retarget epoch, cut at halvings and at the horizon). */
export interface ForecastPeriod {
  /** First and last block of the period (inclusive). */
  readonly fromHeight: number;
  readonly toHeight: number;
  readonly blocks: number;
  /** Estimated start (Unix ms), when the tip's time is known. */
  readonly estimatedStartMs: number | null;
  readonly subsidy: Sats;
  readonly difficulty: string;
  readonly networkHashrateHs: bigint;
  /** Average BTC price over the period, minor units per BTC. */
  readonly averagePrice: bigint;
  readonly sats: Sats;
  readonly revenue: bigint;
  readonly energyCost: bigint;
  readonly margin: bigint;
  readonly mwh: string;
}

/** What a halving inside the horizon does to the site. */
export interface HalvingEffect {
  readonly index: number;
  readonly height: number;
  /** An estimate from the assumed interval; null without the tip's time. */
  readonly estimatedTimeMs: number | null;
  /** A day at the block before and at the halving block (same difficulty and price, the subsidy halved). */
  readonly before: DayFigures;
  readonly after: DayFigures;
}

export interface Forecast {
  readonly site: string;
  readonly currency: string;
  readonly minorDigits: number;
  readonly scenario: Scenario;
  /** First and last forecast block (tip + 1 … tip + horizon). */
  readonly fromHeight: number;
  readonly toHeight: number;
  readonly blocks: number;
  /** The horizon's length at the assumed interval, days, 3 places. */
  readonly days: string;
  readonly estimatedEndMs: number | null;
  readonly hashrateThs: string;
  readonly powerMw: string;
  /** A day at the start, and a day at the last block. */
  readonly start: DayFigures;
  readonly end: DayFigures;
  readonly halvings: readonly HalvingEffect[];
  readonly periods: readonly ForecastPeriod[];
  readonly totals: {
    readonly sats: Sats;
    readonly revenue: bigint;
    readonly energyCost: bigint;
    readonly margin: bigint;
    readonly mwh: string;
    /** (market − tariff) × MWh over the horizon; null without a market tariff. */
    readonly subsidyCost: bigint | null;
    /** Energy cost / BTC mined over the horizon (null when nothing is mined). */
    readonly costPerBtc: bigint | null;
  };
}

/**
 * The number of blocks in `days` at the assumed interval (144 a day at 600 s), rounded down.
 * @example horizonBlocks(365) === 52_560
 */
export function horizonBlocks(days: number, blockSeconds = TARGET_BLOCK_SECONDS): number {
  if (!Number.isSafeInteger(days) || days <= 0) throw new DomainError('INVALID_ARGUMENT', `the horizon must be a positive whole number of days, got ${String(days)}`);
  return Math.floor((days * SECONDS_PER_DAY) / blockSeconds);
}

/**
 * The number of blocks from a tip through the end of the `epochs`-th retarget epoch, the epoch of
 * the tip's next block counting as the first (without a tip: `epochs` × 2,016).
 * @example epochBlocks(2, 878_976) === 4_031  // blocks 878,977 … 883,007: the rest of epoch 436, then epoch 437
 * @example epochBlocks(1) === 2_016
 */
export function epochBlocks(epochs: number, tipHeight = -1): number {
  if (!Number.isSafeInteger(epochs) || epochs <= 0) throw new DomainError('INVALID_ARGUMENT', `the horizon must be a positive whole number of epochs, got ${String(epochs)}`);
  if (!Number.isSafeInteger(tipHeight) || tipHeight < -1) throw new RangeError(`"tipHeight" must be a height or -1, got ${String(tipHeight)}`);
  return (Math.floor((tipHeight + 1) / RETARGET_INTERVAL) + epochs) * RETARGET_INTERVAL - 1 - tipHeight;
}

/** The largest horizon a forecast takes: 64 halvings' worth of blocks is far beyond any use. */
export const MAX_HORIZON_BLOCKS = 4 * HALVING_INTERVAL;

function checkScenario(s: Scenario): void {
  if (s.name.trim() === '') throw new DomainError('INVALID_ARGUMENT', 'a scenario has no name');
  // consensus bounds a retarget to a factor of 4 either way
  checkBps(s.difficultyGrowthBpsPerEpoch, `scenario "${s.name}": the difficulty change per epoch`, -7_500, 30_000);
  checkBps(s.priceChangeBps, `scenario "${s.name}": the price change`, -10_000, 1_000_000);
  if (s.feesPerBlock !== undefined && s.feesPerBlock < 0n) throw new DomainError('INVALID_AMOUNT', `scenario "${s.name}": the fees per block must not be negative`);
}

/**
 * Forecast a site over the next `horizon` blocks under a scenario: per period (retarget epochs,
 * cut at halving heights), totals, and the effect of each halving crossed.
 * @throws DomainError INVALID_ARGUMENT (site, scenario, horizon, price currency), INVALID_AMOUNT (negative fees)
 * @example forecast(site, net, price, { name: 'hard', difficultyGrowthBpsPerEpoch: 300, priceChangeBps: 0 }, horizonBlocks(365)).totals.margin
 */
export function forecast(site: MiningSite, net: NetworkState, price: BtcPrice, scenario: Scenario, horizon: number): Forecast {
  const blockSeconds = checkInputs(site, net, price);
  checkScenario(scenario);
  if (!Number.isSafeInteger(horizon) || horizon <= 0 || horizon > MAX_HORIZON_BLOCKS) throw new DomainError('INVALID_ARGUMENT', `the horizon must be 1 to ${MAX_HORIZON_BLOCKS} blocks, got ${String(horizon)}`);
  const fees = scenario.feesPerBlock ?? net.feesPerBlock;
  const first = net.height + 1;
  const last = net.height + horizon;
  const growth = bps(10_000 + scenario.difficultyGrowthBpsPerEpoch);
  // the network's difficulty is that of the next block's epoch: growth applies from the epoch after it
  const tipEpoch = Math.floor((net.height + 1) / RETARGET_INTERVAL);
  const p0 = int(price.minorPerBtc);
  const change = bps(scenario.priceChangeBps);
  // the price at (possibly fractional) height h: P0 × (1 + change × (h − tip) / horizon)
  const priceAt = (h: Ratio): Ratio => mul(p0, add(ONE, mul(change, div(sub(h, int(net.height)), int(horizon)))));
  const difficulties = new Map<number, Ratio>([[0, net.difficulty]]);
  const difficultyOf = (k: number): Ratio => {
    let d = difficulties.get(k);
    if (d === undefined) {
      d = mul(difficultyOf(k - 1), growth);
      if (cmp(d, ONE) < 0) d = ONE; // the proof-of-work limit: difficulty never falls below 1
      difficulties.set(k, d);
    }
    return d;
  };
  const stateAt = (h: number, p: Ratio): BlockState => {
    const d = difficultyOf(Math.floor(h / RETARGET_INTERVAL) - tipEpoch);
    return { height: h, subsidy: blockSubsidy(h), feesPerBlock: fees, difficulty: d, networkHs: networkHashrate(d, blockSeconds), price: p };
  };
  const timeOf = (h: number): number | null => (net.timeMs === undefined ? null : expectedTimeOfHeight(net.height, net.timeMs, h, blockSeconds));

  const periods: ForecastPeriod[] = [];
  // totals in fixed point (10^-6 of a sat, of a minor unit, of a MWh): exact sums of rationals
  // over a hundred epochs would carry thousand-digit denominators for no visible gain
  let sats = 0n;
  let revenue = 0n;
  let mwh = 0n;
  let energyCost = 0n;
  for (let a = first; a <= last; ) {
    const nextRetarget = (Math.floor(a / RETARGET_INTERVAL) + 1) * RETARGET_INTERVAL;
    const nextHalving = (Math.floor(a / HALVING_INTERVAL) + 1) * HALVING_INTERVAL;
    const b = Math.min(last, nextRetarget - 1, nextHalving - 1);
    const n = b - a + 1;
    const mid = ratio(BigInt(a + b), 2n);
    const s = stateAt(a, priceAt(mid));
    const r = run(site, s, int(n), blockSeconds);
    sats += roundTo(r.sats, TOTAL_DIGITS);
    revenue += roundTo(r.revenue, TOTAL_DIGITS);
    mwh += roundTo(r.mwh, TOTAL_DIGITS);
    energyCost += roundTo(r.energyCost, TOTAL_DIGITS);
    periods.push({
      fromHeight: a, toHeight: b, blocks: n, estimatedStartMs: timeOf(a), subsidy: s.subsidy, difficulty: decimalOf(s.difficulty, 2), networkHashrateHs: s.networkHs,
      averagePrice: roundTo(s.price), sats: roundTo(r.sats) as Sats, revenue: roundTo(r.revenue), energyCost: roundTo(r.energyCost), margin: roundTo(sub(r.revenue, r.energyCost)), mwh: decimalOf(r.mwh, 3),
    });
    a = b + 1;
  }

  const halvings: HalvingEffect[] = [];
  for (let h = (Math.floor(net.height / HALVING_INTERVAL) + 1) * HALVING_INTERVAL; h <= last; h += HALVING_INTERVAL) {
    const p = priceAt(int(h));
    halvings.push({
      index: h / HALVING_INTERVAL, height: h, estimatedTimeMs: timeOf(h),
      before: dayFigures(site, { ...stateAt(h, p), height: h - 1, subsidy: blockSubsidy(h - 1) }, blockSeconds),
      after: dayFigures(site, stateAt(h, p), blockSeconds),
    });
  }
  const market = site.marketTariffPerMwh;
  const fixed = (v: bigint): Ratio => ratio(v, 10n ** BigInt(TOTAL_DIGITS));
  const totalMwh = fixed(mwh);
  return {
    site: site.name,
    currency: site.currency,
    minorDigits: site.minorDigits,
    scenario: { ...scenario, feesPerBlock: fees },
    fromHeight: first,
    toHeight: last,
    blocks: horizon,
    days: decimalOf(ratio(BigInt(horizon * blockSeconds), BigInt(SECONDS_PER_DAY)), 3),
    estimatedEndMs: timeOf(last),
    hashrateThs: decimalOf(siteHashrateThs(site), 3),
    powerMw: decimalOf(sitePowerMw(site), 3),
    start: dayFigures(site, stateAt(first, p0), blockSeconds),
    end: dayFigures(site, stateAt(last, priceAt(int(last))), blockSeconds),
    halvings,
    periods,
    totals: {
      sats: roundTo(fixed(sats)) as Sats,
      revenue: roundTo(fixed(revenue)),
      energyCost: roundTo(fixed(energyCost)),
      margin: roundTo(fixed(revenue - energyCost)),
      mwh: decimalOf(totalMwh, 3),
      subsidyCost: market === undefined ? null : roundTo(mul(totalMwh, int(market - site.tariffPerMwh))),
      costPerBtc: sats > 0n ? roundTo(div(mul(fixed(energyCost), int(SATS_PER_BTC)), fixed(sats))) : null,
    },
  };
}
