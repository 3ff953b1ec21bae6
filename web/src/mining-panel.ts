// Mining ventures (issue #17), on the operators' page: per venture and site, the fleet, what was
// actually received vs what the forecast model expected, revenue, the modelled energy cost and the
// margin; and each distribution — the partners' parts and the transaction that paid them. The same
// figures as `soberana mining report --json` (GET /api/v1/mining/ventures). Built with the dom
// helpers only (every text through displaySafe, never innerHTML).
import { api } from './api.ts';
import { h, section, table } from './dom.ts';
import { btc, money } from './format.ts';

interface Row { period: string; siteId: string | null; fleetThs: string | null; payouts: number; actualSats: string; forecastSats: string | null; actualVsForecastBps: number | null; revenue: string | null; energyCost: string | null; margin: string | null; currency: string | null }
interface Part { partner: string; name: string; grossSats: string; feeSats: string; netSats: string; address: string }
interface Distribution { period: string; totalSats: string; feeSats: string; proposalId: number | null; proposalState: string | null; txid: string | null; parts: Part[] }
interface Venture { id: string; name: string; vaultId: string; publicSector: boolean; sites: { id: string; name: string; energySource: string; fleetThs: string; pool: string | null }[]; rows: Row[]; distributions: Distribution[] }

const cash = (v: string | null, c: string | null): string => (v === null || c === null ? '—' : money(v, c));
const pct = (bps: number | null): string => (bps === null ? '—' : `${bps >= 0 ? '+' : '−'}${(Math.abs(bps) / 100).toFixed(2)}%`);

function venturePart(v: Venture): HTMLElement[] {
  return [
    h('h3', {}, v.name),
    h('p', { class: 'muted' }, `Rewards into vault ${v.vaultId}${v.publicSector ? ' (public sector)' : ''}. Sites: ${v.sites.map((s) => `${s.name} (${s.energySource}, ${s.fleetThs} TH/s, pool ${s.pool ?? 'solo'})`).join('; ') || 'none'}. Energy cost is modelled, not metered.`),
    v.rows.length === 0
      ? h('p', { class: 'muted' }, 'No payouts seen yet (sync first).')
      : table(
        ['Month', 'Site', 'Actual', 'Forecast', 'Actual vs forecast', 'Revenue', 'Energy cost', 'Margin'],
        v.rows.map((r) => [r.period, r.siteId ?? 'unattributed', `${btc(r.actualSats)} BTC`, r.forecastSats === null ? '—' : `${btc(r.forecastSats)} BTC`, pct(r.actualVsForecastBps), cash(r.revenue, r.currency), cash(r.energyCost, r.currency), cash(r.margin, r.currency)]),
        { id: `mining-rows-${v.id}`, numeric: [2, 3, 4, 5, 6, 7] },
      ),
    ...v.distributions.map((d) => h('div', { class: 'mining-distribution', 'data-period': d.period },
      h('p', {}, `Distribution of ${d.period}: ${btc(d.totalSats)} BTC, fee ${btc(d.feeSats)} BTC from the total; proposal ${d.proposalId ?? '—'} (${d.proposalState ?? '—'})`, d.txid ? h('span', {}, ', transaction ', h('code', { class: 'txid', 'data-txid': d.txid }, d.txid)) : null),
      table(['Partner', 'Gross', 'Fee', 'Paid', 'To'], d.parts.map((p) => [`${p.partner} — ${p.name}`, `${btc(p.grossSats)} BTC`, `${btc(p.feeSats)} BTC`, `${btc(p.netSats)} BTC`, h('code', {}, p.address)]), { numeric: [1, 2, 3] }),
    )),
  ];
}

/** The mining ventures panel (token holders). */
export async function miningPanel(): Promise<HTMLElement> {
  const box = section('Mining ventures', 'op-mining');
  try {
    const r = await api<{ ventures: Venture[] }>('/mining/ventures', { auth: true });
    if (r.ventures.length === 0) box.append(h('p', { class: 'muted' }, 'No mining ventures. Add one with "soberana mining venture add --help".'));
    for (const v of r.ventures) box.append(...venturePart(v));
  } catch (e) {
    box.append(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
  }
  return box;
}
