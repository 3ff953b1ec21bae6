/**
 * Mining ventures over HTTP (issue #17), for token holders (`reserve.read`):
 *   GET /mining/ventures   every venture: its vault, sites, per site and month the fleet, actual
 *                          payouts vs the forecast model, revenue, modelled energy cost and margin
 *                          (at the shipped BTC/USD price on the network history's last day), and
 *                          each distribution with its proposal's state and transaction.
 * The same figures as `soberana mining report --json` (src/app/mining/report.ts). The route exists
 * on every server (an empty list without a mining store), so the dashboard never meets a 404.
 * Amounts are strings (sats; minor units).
 */
import { toJson } from '../../core/json.ts';
import type { MiningStore } from '../../core/mining/venture.ts';
import type { BtcPrice, NetworkState } from '../../core/mining/forecast.ts';
import type { SpendStore } from '../../core/spend/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { Network } from '../../core/network.ts';
import { ventureReport } from '../../app/mining/report.ts';
import type { ApiRoute } from '../registry.ts';
import { satsString } from '../schemas.ts';

export interface MiningRouteDeps {
  readonly mining: MiningStore | null;
  readonly vaults: VaultStore | null;
  readonly spends: SpendStore | null;
  readonly network: Network;
  readonly now: () => number;
}

const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const satsOrNull = { ...satsString, type: ['string', 'null'] } as const;
const minorOrNull = { type: ['string', 'null'], pattern: '^-?[0-9]+$', description: 'minor units of `currency`, as a decimal string' } as const;

const ventureSchema = {
  type: 'object',
  required: ['id', 'name', 'vaultId', 'publicSector', 'sites', 'rows', 'distributions'],
  properties: {
    id: str, name: str, vaultId: str, publicSector: { type: 'boolean' },
    sites: { type: 'array', items: { type: 'object', required: ['id', 'name', 'energySource', 'fleetThs', 'pool'], properties: { id: str, name: str, energySource: str, fleetThs: str, capacityKw: str, pool: strOrNull, currency: str } } },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['period', 'siteId', 'actualSats', 'forecastSats', 'revenue', 'energyCost', 'margin', 'currency'],
        properties: {
          period: str, siteId: strOrNull, fleetThs: strOrNull, payouts: { type: 'integer' }, actualSats: satsString, forecastSats: satsOrNull, actualVsForecastBps: { type: ['integer', 'null'] },
          revenue: minorOrNull, energyCost: minorOrNull, margin: minorOrNull, currency: strOrNull,
        },
      },
    },
    distributions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['period', 'totalSats', 'feeSats', 'proposalId', 'proposalState', 'txid', 'parts'],
        properties: {
          period: str, totalSats: satsString, feeSats: satsString, proposalId: { type: ['integer', 'null'] }, proposalState: strOrNull, txid: strOrNull,
          parts: { type: 'array', items: { type: 'object', required: ['partner', 'netSats'], properties: { partner: str, name: str, grossSats: satsString, feeSats: satsString, netSats: satsString, address: str } } },
        },
      },
    },
  },
} as const;

/** The model the report uses: the shipped network history's last epoch and the USD price of that day (null when unavailable). */
async function model(): Promise<{ network: NetworkState | null; price: BtcPrice | null }> {
  try {
    const { latestNetwork, loadNetworkHistory } = await import('../../adapters/mining/network-history.ts');
    const { shippedReferenceRates } = await import('../../adapters/prices/csv-reference-rates.ts');
    const latest = latestNetwork(loadNetworkHistory());
    const day = new Date(latest.state.timeMs ?? 0).toISOString().slice(0, 10);
    const p = (await shippedReferenceRates().btcPrices('USD'))?.onOrBefore(day) ?? null;
    return { network: latest.state, price: p === null ? null : { currency: 'USD', minorPerBtc: p.minorPerBtc, minorDigits: 2, date: p.date } };
  } catch {
    return { network: null, price: null };
  }
}

export function miningRoutes(deps: MiningRouteDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/mining/ventures',
      permission: 'reserve.read',
      tag: 'mining',
      summary: 'Mining ventures: per site and month actual payouts vs forecast, revenue, modelled energy cost, margin; distributions with their transaction',
      schema: { response: { 200: { type: 'object', required: ['ventures'], properties: { ventures: { type: 'array', items: ventureSchema } } } } },
      async handler() {
        const { mining, vaults, spends } = deps;
        if (mining === null || vaults === null || spends === null) return { ventures: [] };
        const m = await model();
        const out = [];
        for (const v of await mining.ventures()) {
          const r = await ventureReport({ mining, vaults, spends, network: deps.network, now: deps.now }, v.id, m);
          const periods = [...new Set(r.statements.map((s) => s.period))];
          out.push({
            id: v.id, name: v.name, vaultId: v.vaultId, publicSector: v.publicSector,
            sites: r.sites.map((s) => ({ id: s.id, name: s.name, energySource: s.energySource, fleetThs: s.fleetThs, capacityKw: s.capacityKw, pool: s.pool, currency: s.currency })),
            rows: r.rows,
            distributions: (await mining.distributions(v.id)).filter((d) => d.state === 'proposed').map((d) => {
              const st = r.statements.filter((s) => s.period === d.period);
              return {
                period: d.period, totalSats: d.totalSats, feeSats: d.feeSats, proposalId: d.proposalId, proposalState: st[0]?.proposalState ?? null, txid: st[0]?.txid ?? null,
                parts: st.map((s) => ({ partner: s.partner, name: s.name, grossSats: s.grossSats, feeSats: s.feeSats, netSats: s.netSats, address: s.address })),
              };
            }).filter((d) => periods.includes(d.period) || d.parts.length === 0),
          });
        }
        return JSON.parse(toJson({ ventures: out })) as unknown;
      },
    },
  ];
}
