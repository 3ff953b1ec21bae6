// Hashprice, a site's day (revenue, energy cost, margin, break-even power and BTC prices, subsidy
// cost per BTC) and a forecast across a halving, against hand computations on fixed inputs.
//
// The fixed network: difficulty D = 720·10^18 × 600 / 2^32 (exact), so the implied hashrate is
// D × 2^32 / 600 = 720 EH/s = 720·10^18 H/s exactly; fees 0.125 BTC a block; BTC at $100,000.
//
// Hashvalue (sats per TH/s per day) = (subsidy + fees) × 144 × 10^12 / 720·10^18
//   = 325,000,000 × 144 / 720,000,000 = 65 sats                      (subsidy 3.125 BTC)
// Hashprice = 65 sats × $100,000 / 10^8 = $0.065 per TH/s per day = "0.06500000" (8 places).
//
// The site: 100,000 TH/s at 20 J/TH (2 MW), uptime 90 %, pool fee 2 %, tariff $50.00/MWh,
// market tariff $80.00/MWh.
//   BTC a day   = 65 × 100,000 × 0.90 × 0.98             = 5,733,000 sats (0.05733 BTC)
//   revenue     = 5,733,000 × $100,000 / 10^8            = $5,733.00   → 573,300 cents
//   energy      = 2 MW × 0.90 × 24 h                     = 43.2 MWh
//   cost        = 43.2 × $50                             = $2,160.00   → 216,000 cents
//   margin      = 5,733 − 2,160                          = $3,573.00   → 357,300 cents
//   break-even tariff = 5,733 / 43.2                     = $132.708333… → 13,271 cents/MWh
//   break-even price  = 2,160 / 0.05733                  = $37,676.6091… → 3,767,661 cents
//   at market tariff  = 43.2 × 80 / 0.05733 = 3,456 / 0.05733 = $60,282.5746… → 6,028,257 cents
//   MWh per BTC       = 43.2 / 0.05733                   = 753.5321… → "753.532"
//   subsidy per BTC   = (80 − 50) × 753.5321…            = $22,605.9655… → 2,260,597 cents
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecast, hashprice, hashvalue, siteDay, siteHashrateThs, siteOfStored, sitePowerMw, type MiningSite, type NetworkState } from '../../src/core/mining/forecast.ts';
import { blockSubsidy, networkHashrate } from '../../src/core/mining/network.ts';
import { decimalOf, int, ratio } from '../../src/core/mining/ratio.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { Sats } from '../../src/core/money.ts';

const D = ratio(720n * 10n ** 18n * 600n, 1n << 32n);
const FEES = 12_500_000n as Sats;
const usd = { currency: 'USD', minorPerBtc: 10_000_000n, minorDigits: 2 };
const site: MiningSite = {
  name: 'fixture', currency: 'USD', minorDigits: 2, tariffPerMwh: 5_000n, marketTariffPerMwh: 8_000n,
  fleetThs: int(100_000), efficiencyJPerTh: int(20), uptimeBps: 9_000, poolFeeBps: 200,
};
const net = (height: number): NetworkState => ({ height, difficulty: D, feesPerBlock: FEES, timeMs: Date.UTC(2026, 0, 1) });

test('network hashrate implied by difficulty is difficulty × 2^32 / 600 s', () => {
  assert.equal(networkHashrate(D), 720n * 10n ** 18n);
  // 10^14 × 4,294,967,296 / 600 = 715,827,882,666,666,666,666.67 → rounded down
  assert.equal(networkHashrate(int(10n ** 14n)), 715_827_882_666_666_666_666n);
});

test('hashvalue and hashprice: (subsidy + fees) × blocks a day × price / network TH/s', () => {
  const hs = 720n * 10n ** 18n;
  assert.equal(decimalOf(hashvalue(312_500_000n as Sats, FEES, hs), 3), '65.000');
  // cents per TH/s per day: 65 × 10,000,000 / 10^8 = 6.5
  assert.deepEqual(hashprice(312_500_000n as Sats, FEES, int(10_000_000n), hs), ratio(13n, 2n));
  assert.equal(siteDay(site, net(900_000), usd).hashprice, '0.06500000');
});

test("a site's day: revenue, energy cost, margin, break-even power and BTC prices, subsidy cost per BTC", () => {
  const d = siteDay(site, net(900_000), usd);
  assert.equal(d.subsidy, 312_500_000n);
  assert.equal(d.sats, 5_733_000n);
  assert.equal(d.revenue, 573_300n);
  assert.equal(d.mwh, '43.200');
  assert.equal(d.energyCost, 216_000n);
  assert.equal(d.margin, 357_300n);
  assert.equal(d.breakEvenTariffPerMwh, 13_271n);
  assert.equal(d.breakEvenPrice, 3_767_661n);
  assert.equal(d.breakEvenPriceAtMarket, 6_028_257n);
  assert.equal(d.mwhPerBtc, '753.532');
  assert.equal(d.subsidyCostPerBtc, 2_260_597n);
});

test('at the break-even BTC price the margin is zero (to the cent); a cent per MWh either side of the break-even tariff flips its sign', () => {
  const d = siteDay(site, net(900_000), usd);
  const atPrice = siteDay(site, net(900_000), { ...usd, minorPerBtc: d.breakEvenPrice ?? 0n });
  assert.ok(atPrice.margin >= -1n && atPrice.margin <= 1n, `margin ${atPrice.margin}`);
  // the break-even tariff is rounded to the cent per MWh: over 43.2 MWh that is at most ±21.6 cents
  const atTariff = siteDay({ ...site, tariffPerMwh: d.breakEvenTariffPerMwh ?? 0n }, net(900_000), usd);
  assert.ok(atTariff.margin >= -22n && atTariff.margin <= 22n, `margin ${atTariff.margin}`);
  const centBelow = siteDay({ ...site, tariffPerMwh: (d.breakEvenTariffPerMwh ?? 0n) - 1n }, net(900_000), usd);
  const centAbove = siteDay({ ...site, tariffPerMwh: (d.breakEvenTariffPerMwh ?? 0n) + 1n }, net(900_000), usd);
  assert.ok(centBelow.margin > 0n && centAbove.margin < 0n, `${centBelow.margin} / ${centAbove.margin}`);
});

test('capacity without a fleet: the fleet fills it (10 MW at 20 J/TH = 500,000 TH/s)', () => {
  const { fleetThs: _f, ...rest } = site;
  const d = siteDay({ ...rest, capacityMw: int(10) }, net(900_000), usd);
  // 65 × 500,000 × 0.9 × 0.98 = 28,665,000 sats; 10 MW × 0.9 × 24 = 216 MWh
  assert.equal(d.sats, 28_665_000n);
  assert.equal(d.mwh, '216.000');
});

// Across the 5th halving (1,050,000), tip 1,049,000, 2,000 blocks, flat network.
// The site's share of a block = 100,000 × 10^12 × 0.9 / 720·10^18 = 1.25·10^-4; after the pool fee × 0.98.
//   before: 325,000,000 × 1.25·10^-4 × 0.98 = 39,812.5 sats a block
//   after:  168,750,000 × 1.25·10^-4 × 0.98 = 20,671.875 sats a block
// Periods (retargets at 1,048,992 and 1,050,336; halving at 1,050,000):
//   1,049,001 … 1,049,999   999 blocks × 39,812.5   = 39,772,687.5  → 39,772,688
//   1,050,000 … 1,050,335   336 blocks × 20,671.875 = 6,945,750
//   1,050,336 … 1,051,000   665 blocks × 20,671.875 = 13,746,796.875 → 13,746,797
//   total 60,465,234.375 → 60,465,234 sats
test('a forecast drops the revenue at the halving HEIGHT, period by period', () => {
  const f = forecast(site, net(1_049_000), usd, { name: 'flat', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0 }, 2_000);
  assert.deepEqual(f.periods.map((p) => [p.fromHeight, p.toHeight, p.blocks, p.subsidy, p.sats]), [
    [1_049_001, 1_049_999, 999, 312_500_000n, 39_772_688n],
    [1_050_000, 1_050_335, 336, 156_250_000n, 6_945_750n],
    [1_050_336, 1_051_000, 665, 156_250_000n, 13_746_797n],
  ]);
  assert.equal(f.totals.sats, 60_465_234n);
  assert.equal(f.halvings.length, 1);
  const h = f.halvings[0];
  assert.equal(h?.height, 1_050_000);
  assert.equal(h?.before.height, 1_049_999);
  assert.equal(h?.before.subsidy, blockSubsidy(1_049_999));
  assert.equal(h?.after.subsidy, 156_250_000n);
  // a day before: 39,812.5 × 144 = 5,733,000 sats; after: 20,671.875 × 144 = 2,976,750 sats
  assert.equal(h?.before.sats, 5_733_000n);
  assert.equal(h?.after.sats, 2_976_750n);
  // energy does not change at the halving: 2 MW × 0.9 × 2,000 blocks × 600 s / 3,600 = 600 MWh
  assert.equal(f.totals.mwh, '600.000');
  assert.equal(f.totals.energyCost, 3_000_000n); // 600 × $50
  assert.equal(f.totals.subsidyCost, 1_800_000n); // 600 × ($80 − $50)
  // the date is an estimate: 1,000 blocks × 600 s after the tip's time
  assert.equal(h?.estimatedTimeMs, Date.UTC(2026, 0, 1) + 1_000 * 600_000);
});

// Difficulty +10 % at each retarget: the third period (after 1,050,336) sees 792 EH/s:
//   168,750,000 × (100,000 × 10^12 × 0.9 / 792·10^18) × 0.98 = 826,875 / 44 = 18,792.61… sats a block
//   × 665 blocks = 12,497,088.07 → 12,497,088
// Price −50 % over the horizon, linear: the first period's middle block is 1,049,500, 500 of 2,000
// blocks in: $100,000 × (1 − 0.5 × 500 / 2,000) = $87,500.00.
test('scenarios: difficulty compounds at each retarget; the price moves linearly over the horizon', () => {
  const f = forecast(site, net(1_049_000), usd, { name: 'hard', difficultyGrowthBpsPerEpoch: 1_000, priceChangeBps: -5_000 }, 2_000);
  assert.equal(f.periods[0]?.networkHashrateHs, 720n * 10n ** 18n);
  assert.equal(f.periods[2]?.networkHashrateHs, 792n * 10n ** 18n);
  assert.equal(f.periods[2]?.sats, 12_497_088n);
  assert.equal(f.periods[0]?.averagePrice, 8_750_000n);
  // revenue of period 1 = 39,772,687.5 sats × $87,500 / 10^8 = $34,801.10 (3,480,110.15625 cents → 3,480,110)
  assert.equal(f.periods[0]?.revenue, 3_480_110n);
  assert.equal(f.end.price, 5_000_000n);
  // fees given by the scenario replace the network's average
  const g = forecast(site, net(1_049_000), usd, { name: 'nofees', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0, feesPerBlock: 0n as Sats }, 1);
  // 312,500,000 × 1.25·10^-4 × 0.98 = 38,281.25 → 38,281
  assert.equal(g.totals.sats, 38_281n);
});

test('a site cannot find more than every block; difficulty never falls below 1 (the proof-of-work limit)', () => {
  // at difficulty 1 the network is 2^32 / 600 ≈ 7.2 MH/s: the site's 10^17 H/s finds every block,
  // 10 blocks × (3.125 + 0.125 BTC) × 0.98 = 3,185,000,000 sats
  const tiny = forecast(site, { height: 900_000, difficulty: int(1), feesPerBlock: FEES }, usd, { name: 'x', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0 }, 10);
  assert.equal(tiny.totals.sats, 3_185_000_000n);
  const fall = forecast(site, net(900_000), usd, { name: 'collapse', difficultyGrowthBpsPerEpoch: -7_500, priceChangeBps: 0 }, 40 * 2016);
  assert.equal(fall.end.difficulty, '1.00');
  assert.equal(fall.end.sats, 144n * (blockSubsidy(fall.end.height) + FEES) * 98n / 100n);
});

test('a stored site (kW, mJ/TH, whole TH/s) converts exactly: 20,000 kW, 18,500 mJ/TH, no fleet → 20 MW filled at 18.5 J/TH', () => {
  const stored = { name: 's', energySource: 'geothermal' as const, currency: 'USD', capacityKw: 20_000n, tariffMinorPerMwh: 4_500n, marketTariffMinorPerMwh: null, fleetThs: 0n, efficiencyMjPerTh: 18_500n, uptimeBps: 10_000, poolFeeBps: 0, pool: null };
  const m = siteOfStored(stored, 2);
  // 20 MW × 10^6 / 18.5 J/TH = 1,081,081.08… TH/s; power back to exactly 20 MW
  assert.equal(decimalOf(siteHashrateThs(m), 2), '1081081.08');
  assert.equal(decimalOf(sitePowerMw(m), 3), '20.000');
  assert.equal(m.marketTariffPerMwh, undefined);
  assert.throws(() => siteOfStored({ ...stored, fleetThs: 2_000_000n }, 2), /the fleet draws 37\.000 MW/);
});

test('refusals: a fleet above capacity, a price in another currency, bad uptime, a zero horizon', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof DomainError, String(e));
      return `${e.code}: ${e.message}`;
    }
    return 'no error';
  };
  assert.match(code(() => siteDay({ ...site, capacityMw: int(1) }, net(1), usd)), /^INVALID_ARGUMENT: the fleet draws 2\.000 MW .* capacity of 1\.000 MW/);
  assert.match(code(() => siteDay({ ...site, currency: 'PKR' }, net(1), usd)), /^INVALID_ARGUMENT: the BTC price is in USD but the site's tariff is in PKR/);
  assert.match(code(() => siteDay({ ...site, uptimeBps: 10_001 }, net(1), usd)), /^INVALID_ARGUMENT: uptime/);
  assert.match(code(() => forecast(site, net(1), usd, { name: 'x', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: 0 }, 0)), /^INVALID_ARGUMENT: the horizon/);
  assert.match(code(() => forecast(site, net(1), usd, { name: 'x', difficultyGrowthBpsPerEpoch: 0, priceChangeBps: -10_001 }, 10)), /^INVALID_ARGUMENT: scenario "x": the price change/);
  assert.match(code(() => forecast(site, net(1), usd, { name: 'x', difficultyGrowthBpsPerEpoch: -7_501, priceChangeBps: 0 }, 10)), /^INVALID_ARGUMENT: scenario "x": the difficulty change per epoch must be whole basis points from -7500 to 30000/);
});
