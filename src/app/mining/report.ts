/**
 * A venture's report (issue #17): per site and period, the fleet, what it actually received (the
 * payouts sync saw), what the forecast model (core/mining/forecast.ts `siteDay`, from the network
 * state and price given) expected over the same days, the modelled energy cost and the margin;
 * and each partner's statement (its parts of every distribution, with the transaction).
 *
 * What is measured and what is modelled: payouts are measured (on chain). Energy is NOT metered
 * here: the cost is the model's (fleet × efficiency × uptime × hours × tariff). Revenue in money is
 * the actual sats valued at the price given (one price for the report). Sites whose tariff is in
 * another currency than the price get no money figures (null), only sats.
 */
import { siteDay, type BtcPrice, type MiningSite, type NetworkState } from '../../core/mining/forecast.ts';
import { int, ratio } from '../../core/mining/ratio.ts';
import { periodBounds, type Partner, type Site, type Venture } from '../../core/mining/venture.ts';
import type { Sats } from '../../core/money.ts';
import { listDistributions, planOf, type DistributeDeps } from './distribute.ts';
import { listPayouts } from './payouts.ts';

export interface SitePeriodRow {
  readonly period: string;
  readonly siteId: string | null;
  readonly fleetThs: bigint | null;
  readonly payouts: number;
  readonly actualSats: Sats;
  /** The model's sats over the period's days (null without a network state, or for unattributed payouts). */
  readonly forecastSats: Sats | null;
  /** actual − forecast, basis points of the forecast (null when there is no forecast or it is zero). */
  readonly actualVsForecastBps: number | null;
  /** Minor units of `currency` (null when the price is in another currency or no price is given). */
  readonly revenue: bigint | null;
  readonly energyCost: bigint | null;
  readonly margin: bigint | null;
  readonly currency: string | null;
}

export interface PartnerStatementRow {
  readonly partner: string;
  readonly name: string;
  readonly period: string;
  readonly grossSats: Sats;
  readonly feeSats: Sats;
  readonly netSats: Sats;
  readonly address: string;
  readonly proposalId: number | null;
  readonly proposalState: string | null;
  readonly txid: string | null;
}

export interface VentureReport {
  readonly venture: Venture;
  readonly sites: Site[];
  readonly rows: SitePeriodRow[];
  readonly statements: PartnerStatementRow[];
  readonly model: { readonly network: { height: number; feesPerBlock: Sats } | null; readonly price: BtcPrice | null };
}

/** The forecast model's view of a stored site (USD-denominated figures need a USD price). */
export function modelSite(s: Site): MiningSite {
  return {
    name: s.name, energySource: s.energySource, currency: s.currency, minorDigits: 2, tariffPerMwh: s.tariffMinorPerMwh,
    ...(s.marketTariffMinorPerMwh === null ? {} : { marketTariffPerMwh: s.marketTariffMinorPerMwh }),
    fleetThs: int(s.fleetThs), capacityMw: ratio(s.capacityKw, 1000n), efficiencyJPerTh: ratio(s.efficiencyMjPerTh, 1000n), uptimeBps: s.uptimeBps, poolFeeBps: s.poolFeeBps,
    ...(s.pool === null ? {} : { pool: s.pool }),
  };
}

/**
 * The report of a venture (all periods with payouts, or one).
 * @example const r = await ventureReport(deps, 'geo', { network, price }); r.rows.map((x) => [x.period, x.siteId, x.actualSats, x.forecastSats])
 */
export async function ventureReport(deps: DistributeDeps, ventureRef: string, model: { network: NetworkState | null; price: BtcPrice | null }, period?: string | undefined): Promise<VentureReport> {
  const view = await listPayouts(deps, ventureRef, period);
  const { venture, sites, payouts } = view;
  const groups = new Map<string, { period: string; siteId: string | null; count: number; sats: bigint }>();
  for (const p of payouts) {
    const k = `${p.period}\u0000${p.siteId ?? ''}`;
    const g = groups.get(k) ?? { period: p.period, siteId: p.siteId, count: 0, sats: 0n };
    g.count++;
    g.sats += p.sats;
    groups.set(k, g);
  }
  const rows: SitePeriodRow[] = [...groups.values()].sort((a, b) => a.period.localeCompare(b.period) || String(a.siteId).localeCompare(String(b.siteId))).map((g) => {
    const site = sites.find((s) => s.id === g.siteId) ?? null;
    const { startSec, endSec } = periodBounds(g.period);
    const days = BigInt(Math.round((endSec - startSec) / 86_400));
    const day = site !== null && model.network !== null && model.price !== null && model.price.currency === site.currency ? siteDay(modelSite(site), model.network, model.price) : null;
    const forecastSats = day === null ? null : ((day.sats * days) as Sats);
    const revenue = day === null || model.price === null ? null : (g.sats * model.price.minorPerBtc) / 100_000_000n;
    const energyCost = day === null ? null : day.energyCost * days;
    return {
      period: g.period, siteId: g.siteId, fleetThs: site?.fleetThs ?? null, payouts: g.count, actualSats: g.sats as Sats, forecastSats,
      actualVsForecastBps: forecastSats === null || forecastSats === 0n ? null : Number(((g.sats - forecastSats) * 10_000n) / forecastSats),
      revenue, energyCost, margin: revenue === null || energyCost === null ? null : revenue - energyCost, currency: day === null ? null : (model.price as BtcPrice).currency,
    };
  });
  const partners = new Map<string, Partner>((await deps.mining.partners(venture.id)).map((p) => [p.id, p]));
  const statements: PartnerStatementRow[] = [];
  for (const d of await listDistributions(deps, venture.id)) {
    if (d.record.state !== 'proposed' || (period !== undefined && d.record.period !== period)) continue;
    const plan = planOf(d.record);
    for (const part of plan.split.parts) {
      const out = plan.outputs.find((o) => o.partner === part.partner);
      statements.push({
        partner: part.partner, name: partners.get(part.partner)?.name ?? part.partner, period: d.record.period, grossSats: BigInt(part.grossSats) as Sats, feeSats: BigInt(part.feeSats) as Sats,
        netSats: BigInt(part.netSats) as Sats, address: out?.address ?? '', proposalId: d.record.proposalId, proposalState: d.proposalState, txid: d.txid,
      });
    }
  }
  return { venture, sites, rows, statements, model: { network: model.network === null ? null : { height: model.network.height, feesPerBlock: model.network.feesPerBlock }, price: model.price } };
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The report as CSV: the site rows, a blank line, the partner statements. */
export function reportCsv(r: VentureReport): string {
  const lines = [
    'venture,period,site,fleet_ths,payouts,actual_sats,forecast_sats,actual_vs_forecast_bps,currency,revenue_minor,energy_cost_minor,margin_minor',
    ...r.rows.map((x) => [r.venture.id, x.period, x.siteId ?? 'unattributed', x.fleetThs, x.payouts, x.actualSats, x.forecastSats, x.actualVsForecastBps, x.currency, x.revenue, x.energyCost, x.margin].map(csvCell).join(',')),
    '',
    'venture,period,partner,name,gross_sats,fee_sats,net_sats,address,proposal,state,txid',
    ...r.statements.map((s) => [r.venture.id, s.period, s.partner, s.name, s.grossSats, s.feeSats, s.netSats, s.address, s.proposalId, s.proposalState, s.txid].map(csvCell).join(',')),
  ];
  return lines.join('\n') + '\n';
}
