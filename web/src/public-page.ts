// The public transparency site (issue #18): the alliance page (#/) shows each member's published
// reserve side by side — a total is shown only with what it adds up — and a page per member
// (#/nation/<vault id>) shows that reserve alone. One valuation at one dated price everywhere (the
// summary's), with a warning when that price is old; USD rounded in headlines with the exact figure
// a click away; BTC to 8 decimals; every block with its height and time; every txid and address a
// link to the configured explorer (none on regtest) with a copy button. Demo data on a test network
// is labelled wherever it appears. Every visible string comes from the i18n tables.
import { ApiError, type AddressRow, type AuditHead, type Summary, type TxPage, type TxRow, type Verify, type Holdings } from './api.ts';
import { holdingsChart } from './chart.ts';
import { booksSection } from './accounting-panels.ts';
import { proofSection } from './proof-panel.ts';
import { complianceSection } from './compliance-panel.ts';
import { settlementSection } from './settlement-panel.ts';
import { h, section, setText, table, tableRow } from './dom.ts';
import { copyButton, evidence, type Explorer } from './evidence.ts';
import { btc, integer, localDateTime, longDate, money, percent, roundedMoney, sats } from './format.ts';
import { t, tn, type MessageKey } from './i18n/index.ts';
import { valueInCents } from '../../src/core/transparency/public-view.ts';

/**
 * GET a public route, revalidated every time (`no-cache`): the server's answers carry ETags and a
 * max-age for other sites' polling, but a page that has just heard "new block" must not reuse the
 * browser's copy. An unchanged answer costs a 304.
 */
async function get<T>(path: string): Promise<T> {
  const res = await fetch(`/api/v1${path}`, { cache: 'no-cache' });
  const body = await res.text();
  let json: unknown = null;
  try {
    json = body ? JSON.parse(body) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `the server answered ${res.status}`);
  }
  return json as T;
}

/** A price older than this many days is flagged on the page. */
export const STALE_PRICE_DAYS = 3;

type Vault = Summary['vaults'][number] & { illustrative?: boolean; note?: string | null };
/** What the server may add to the summary (explorer: the other half of #18; illustrative: see the report). */
type PublicSummary = Omit<Summary, 'vaults'> & { explorer?: unknown; vaults: Vault[] };

export type { Explorer };

function httpUrl(u: unknown): string | null {
  return typeof u === 'string' && /^https?:\/\/[^\s"'<>]+$/i.test(u) ? u : null;
}

function fill(template: string, key: string, value: string): string {
  return template.includes(`{${key}}`) ? template.replace(`{${key}}`, encodeURIComponent(value)) : `${template.replace(/\/$/, '')}/${encodeURIComponent(value)}`;
}

/**
 * The configured block explorer from the public summary, or null (regtest, or none configured).
 * Accepts a base URL (mempool.space style: /tx/<txid>, /address/<address>) or explicit templates.
 */
export function explorerOf(s: PublicSummary): Explorer | null {
  const e = s.explorer;
  if (e === null || e === undefined || e === false) return null;
  const o = (typeof e === 'string' ? { baseUrl: e } : e) as Record<string, unknown>;
  const base = httpUrl(o.baseUrl ?? o.url ?? o.base);
  const txT = httpUrl(o.txUrl ?? o.tx) ?? (base ? `${base.replace(/\/$/, '')}/tx/{txid}` : null);
  const adT = httpUrl(o.addressUrl ?? o.address) ?? (base ? `${base.replace(/\/$/, '')}/address/{address}` : null);
  if (!txT || !adT) return null;
  const name = typeof o.name === 'string' && o.name ? o.name : new URL(txT.replace(/\{\w+\}/g, 'x')).host;
  return { name, tx: (id) => fill(txT, 'txid', id), address: (a) => fill(adT, 'address', a) };
}

/** Whole days from `from` to `to` (ISO dates). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const CATEGORY_KEY: Record<string, MessageKey> = {
  purchase: 'cat.purchase',
  mining: 'cat.mining',
  seizure: 'cat.seizure',
  'internal consolidation': 'cat.internal',
  settlement: 'cat.settlement',
  payment: 'cat.payment',
  receipt: 'cat.receipt',
  donation: 'cat.donation',
  unknown: 'cat.unknown',
};

/** A headline amount in dollars: rounded, with the exact figure a click away (a disclosure, not a tooltip). */
function usdFigure(cents: string, currency: string, id: string): HTMLElement {
  return h(
    'span',
    { class: 'usd' },
    h('span', { class: 'usd-rounded', id: `${id}-rounded` }, roundedMoney(cents, currency)),
    h('details', { class: 'exact' }, h('summary', {}, t('usd.exact')), h('span', { id, 'data-cents': cents }, money(cents, currency))),
  );
}

function card(label: string, value: Node | string, sub: Node | string | null, id: string, extra: Node | null = null): HTMLElement {
  return h('div', { class: 'card', id }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub muted' }, sub) : null, extra);
}

function demoBadge(): HTMLElement {
  return h('span', { class: 'badge demo' }, t('demo.badge'));
}

function networkName(n: string): string {
  return n === 'main' ? t('net.main') : t('net.other', { network: n });
}

function tipLine(tip: Summary['tip']): HTMLElement {
  if (!tip) return h('span', { id: 'tip-height' }, t('tip.none'));
  return h('span', {}, h('span', { id: 'tip-height', 'data-height': String(tip.height) }, integer(tip.height)));
}

function txRows(items: TxRow[], names: Map<string, string>, ex: Explorer | null): HTMLElement[][] {
  return items.map((x) => [
    h('span', {}, x.time === null ? t('tx.pending') : localDateTime(x.time)),
    h('span', { class: `chip cat-${x.category.replace(/\s+/g, '-')}` }, t(CATEGORY_KEY[x.category] ?? 'cat.unknown')),
    h('span', { class: BigInt(x.netSats) < 0n ? 'neg' : 'pos', 'data-sats': x.netSats }, `${btc(x.netSats, { sign: true })} BTC`),
    x.height === null ? h('span', {}, t('tx.pending')) : h('span', {}, integer(x.height), h('span', { class: 'muted sub' }, ` · ${tn('tx.confirmations', x.confirmations)}`)),
    h('span', { translate: 'no', class: 'wallet-name' }, names.get(x.vault) ?? x.vault),
    evidence('tx', x.txid, ex),
  ]);
}

function auditHeadBlock(head: AuditHead | null): HTMLElement | null {
  if (!head) return null;
  if (head.seq === 0) return h('p', { class: 'muted audit-head', id: 'audit-head' }, t('audit.empty'));
  const line = `${head.seq}:${head.hash}`;
  const copy = copyButton(line, t('audit.copyLabel'));
  copy.id = 'audit-head-copy';
  const when = head.at ? t('audit.at', { at: `${head.at.slice(0, 16).replace('T', ' ')} UTC` }) : '';
  return h(
    'div',
    { class: 'audit-head', id: 'audit-head', 'data-head': line },
    h('p', {}, t('audit.head'), h('code', { title: head.hash, translate: 'no' }, `#${head.seq} ${head.hash.slice(0, 4)}…${head.hash.slice(-2)}`), `${when} · ${tn('audit.entries', head.entries)} `, copy),
    h('p', { class: 'muted' }, t('audit.explain')),
    h('pre', { class: 'code', translate: 'no' }, h('code', { id: 'audit-head-command' }, `soberana audit verify --head ${line}`)),
  );
}

/** The server's verify steps in the page's language (known steps by title; the commands are as given). */
function stepWords(st: Verify['steps'][number], network: string): { title: string; text: string; translated: boolean } {
  const known: Record<string, [MessageKey, MessageKey]> = {
    'Run your own node': ['step.node.title', 'step.node.text'],
    'Check that the addresses belong to the published vaults': ['step.derive.title', 'step.derive.text'],
    'Add up the coins yourself': ['step.scan.title', 'step.scan.text'],
    'Or use Soberana itself': ['step.soberana.title', 'step.soberana.text'],
  };
  const k = known[st.title];
  return k ? { title: t(k[0]), text: t(k[1], { network }), translated: true } : { title: st.title, text: st.text, translated: false };
}

/** A sentence whose \u0000 stands for a name: the name as data (translate="no"), the words around it translated. */
function withName(sentence: string, name: string): Array<string | HTMLElement> {
  const [before = '', after = ''] = sentence.split('\u0000');
  return [before, h('span', { translate: 'no' }, name), after];
}

export interface PublicRoute { nation: string | null }

/** "#/nation/<id>" -> that member's page; anything else public -> the alliance page. */
export function publicRouteOf(hash: string): PublicRoute {
  const m = /^#\/nation\/([^/?#]+)/.exec(hash);
  return { nation: m?.[1] ? decodeURIComponent(m[1]) : null };
}

async function transactionsFor(vault: string | null, before: string | null): Promise<TxPage> {
  const only = vault === null ? '' : `&vault=${encodeURIComponent(vault)}`;
  return get<TxPage>(`/public/transactions?limit=25${only}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
}

type HoldingsPoint = Holdings['points'][number];
type ChartPoint = HoldingsPoint & { vaults?: Array<{ vault: string; sats: string; usdCents: string | null }> };

/**
 * The total series with each vault's balance on its days (the chart's per-vault lines): the server
 * sends the total alone and each vault's series on its own (/public/holdings?vault=ID, one point per
 * day of the total from the vault's first transaction on), which this joins by date.
 */
export function withVaultSeries(total: Holdings, series: ReadonlyArray<{ vault: string; points: readonly HoldingsPoint[] }>): Holdings & { points: ChartPoint[] } {
  const byDate = series.map((s) => ({ vault: s.vault, at: new Map(s.points.map((p) => [p.date, p])) }));
  return {
    ...total,
    points: total.points.map((p) => {
      const vaults = byDate.flatMap((s) => {
        const v = s.at.get(p.date);
        return v ? [{ vault: s.vault, sats: v.sats, usdCents: v.usdCents }] : [];
      });
      return series.length > 0 ? { ...p, vaults } : p;
    }),
  };
}

async function holdingsFor(vaultIds: readonly string[]): Promise<Holdings> {
  const [total, ...each] = await Promise.all([
    get<Holdings>('/public/holdings'),
    // one series per vault when there are several (a vault with no transactions yet has none: 404)
    ...(vaultIds.length > 1 ? vaultIds.map((id) => get<Holdings>(`/public/holdings?vault=${encodeURIComponent(id)}`).catch(() => null)) : []),
  ]);
  const series = each.flatMap((s, i) => (s ? [{ vault: vaultIds[i] ?? '', points: s.points }] : []));
  return withVaultSeries(total as Holdings, series);
}

export async function renderPublic(root: HTMLElement, route: PublicRoute = { nation: null }): Promise<void> {
  const [summary, addresses, verify, auditHead] = await Promise.all([
    get<PublicSummary>('/public/summary'),
    get<{ addresses: AddressRow[] }>('/public/addresses'),
    get<Verify>('/public/verify'),
    get<AuditHead>('/public/audit-head').catch(() => null), // the page stands without it (an older server)
  ]);
  const nation = route.nation === null ? null : summary.vaults.find((v) => v.id === route.nation) ?? null;
  if (route.nation !== null && !nation) {
    root.replaceChildren(h('h1', {}, t('nation.unknown.title')), h('p', { role: 'alert', class: 'error' }, t('nation.unknown', { id: route.nation })), h('p', {}, h('a', { href: '#/' }, t('nav.alliance'))));
    return;
  }
  const alliance = nation === null;
  const many = summary.vaults.length > 1;
  const ex = explorerOf(summary);
  const compliance = alliance ? complianceSection(ex) : Promise.resolve(null); // the IMF programme commitment (issue #15): null when the server has nothing to show
  const settlement = alliance ? settlementSection(ex) : Promise.resolve(null); // alliance settlement (issue #16): null when the alliance has no cycle
  const demo = summary.network !== 'main';
  const names = new Map(summary.vaults.map((v) => [v.id, v.name]));
  const fiat = summary.fiat;
  const stale = fiat ? daysBetween(fiat.priceDate, summary.asOf) : 0;
  const priceWords = fiat ? t('price.at', { price: money(fiat.priceCents, fiat.currency), date: longDate(fiat.priceDate) }) : t('price.none');

  const [holdings, txs, books, proof] = await Promise.all([
    alliance ? holdingsFor(summary.vaults.map((v) => v.id)) : Promise.resolve(null),
    transactionsFor(nation?.id ?? null, null),
    alliance ? booksSection() : Promise.resolve(null), // null when the server keeps no books
    alliance ? proofSection() : Promise.resolve(null), // null when the server offers no proofs
  ]);

  // --- banners: demo data, the price's age
  const banners: HTMLElement[] = [];
  if (demo || summary.vaults.some((v) => v.illustrative)) {
    banners.push(h('div', { class: 'notice demo-notice', role: 'note', id: 'demo-banner' }, h('strong', {}, t('demo.title')), ' ', t('demo.text', { network: summary.network })));
  }
  if (fiat && stale > STALE_PRICE_DAYS) {
    banners.push(h('div', { class: 'notice warn', role: 'alert', id: 'price-stale' }, t('price.stale', { date: longDate(fiat.priceDate), days: integer(stale), today: longDate(summary.asOf) })));
  }

  // --- headline cards: the member alone, or the alliance with what its total adds up
  const shown = nation ? [nation] : summary.vaults;
  const totalSats = nation ? nation.confirmedSats : summary.confirmedSats;
  const totalCents = fiat ? (nation ? valueInCents(BigInt(nation.confirmedSats), BigInt(fiat.priceCents)).toString() : fiat.cents) : null;
  const addsUp = !nation && many ? t('total.addsUp', { names: summary.vaults.map((v) => v.name).join(' + ') }) : null;
  const pending = BigInt(nation ? nation.unconfirmedSats : summary.unconfirmedSats);
  const cards = h(
    'div',
    { class: 'cards' },
    card(
      !nation && many ? tn('total.sumLabel', summary.vaults.length) : t('total.label'),
      h('span', { id: 'total-btc', 'data-sats': totalSats }, `${btc(totalSats)} BTC`),
      addsUp ?? t('total.sats', { sats: sats(totalSats) }),
      'card-total',
      demo ? demoBadge() : null,
    ),
    card(t('usd.label'), fiat && totalCents ? usdFigure(totalCents, fiat.currency, 'total-usd') : h('span', { id: 'total-usd' }, t('price.none')), fiat ? priceWords : null, 'card-usd'),
    card(t('share.label'), h('span', { id: 'share-21m' }, nation ? '' : `${percent(summary.shareOf21M.percent)} %`), t('share.sub'), 'card-share'),
    card(
      t('tip.label'),
      tipLine(summary.tip),
      h('span', {}, summary.tip?.time ? h('span', { id: 'tip-time' }, localDateTime(summary.tip.time)) : null, summary.tip?.time ? ' · ' : '', networkName(summary.network), pending !== 0n ? ` · ${t('tip.pending', { btc: btc(pending.toString(), { sign: true }) })}` : ''),
      'card-tip',
    ),
  );
  if (nation) {
    // the member's share of 21M, exact to 6 decimals like the API's (truncated)
    const bp = (BigInt(nation.confirmedSats) * 100_000_000n) / 2_100_000_000_000_000n; // 1e-6 percent units
    setText(cards.querySelector('#share-21m') as Element, `${percent(`${bp / 1_000_000n}.${(bp % 1_000_000n).toString().padStart(6, '0')}`)} %`);
  }

  // --- the members side by side (the alliance page), never summed silently
  const members = !nation
    ? section(
      many ? t('members.title') : t('wallets.title'),
      'vaults',
      many ? h('p', { class: 'muted' }, t('members.explain')) : null,
      table(
        [t('col.member'), t('col.btc'), t('col.usd'), t('col.addresses'), t('col.data')],
        shown.map((v) => [
          h('a', { href: `#/nation/${encodeURIComponent(v.id)}`, class: 'member-link wallet-name', translate: 'no' }, v.name),
          h('span', { class: 'member-btc', 'data-sats': v.confirmedSats, 'data-vault': v.id }, `${btc(v.confirmedSats)} BTC`),
          fiat ? h('span', { class: 'member-usd', 'data-cents': valueInCents(BigInt(v.confirmedSats), BigInt(fiat.priceCents)).toString() }, money(valueInCents(BigInt(v.confirmedSats), BigInt(fiat.priceCents)).toString(), fiat.currency)) : t('price.none'),
          integer(v.addressCount),
          demo || v.illustrative ? demoBadge() : h('span', {}, t('data.published')),
        ]),
        { id: 'vaults-table', numeric: [1, 2, 3] },
      ),
      many && fiat ? h('p', { class: 'muted', id: 'members-price' }, t('members.valued', { price: priceWords })) : null,
    )
    : null;

  const chart = holdings ? section(t('chart.title'), 'holdings', holdingsChart(holdings, summary.asOf, { vaultNames: names }), many ? h('p', { class: 'muted' }, addsUp) : null) : null;

  // --- addresses
  const addrRows = addresses.addresses.filter((a) => !nation || a.vault === nation.id);
  const addr = section(
    tn('addr.title', addrRows.length),
    'addresses',
    h('p', { class: 'muted' }, ...(ex ? withName(t('addr.explain.explorer', { name: '\u0000' }), ex.name) : [t('addr.explain')])),
    table(
      [t('col.address'), t('col.wallet'), t('col.balance'), t('col.txs')],
      addrRows.map((a) => [evidence('address', a.address, ex), h('span', { translate: 'no', class: 'wallet-name' }, names.get(a.vault) ?? a.vault), h('span', { 'data-sats': a.confirmedSats }, `${btc(a.confirmedSats)} BTC`), integer(a.txCount)]),
      { id: 'addresses-table', numeric: [2, 3] },
    ),
  );

  // --- transactions
  const txHead = [t('col.when'), t('col.what'), t('col.amount'), t('col.block'), t('col.wallet'), t('col.tx')];
  const txTable = table(txHead, txRows(txs.items, names, ex), { id: 'tx-table', numeric: [2, 3] });
  const more = h('button', { type: 'button', class: 'secondary', id: 'tx-more' }, t('tx.more'));
  let next = txs.nextBefore;
  more.hidden = next === null;
  more.addEventListener('click', () => {
    if (!next) return;
    more.setAttribute('disabled', '');
    void transactionsFor(nation?.id ?? null, next).then((page) => {
      const body = txTable.querySelector('tbody');
      for (const r of txRows(page.items, names, ex)) body?.append(tableRow(txHead, r, new Set([2, 3])));
      next = page.nextBefore;
      more.hidden = next === null;
      more.removeAttribute('disabled');
    });
  });
  const transactions = section(t('tx.title'), 'transactions', txs.items.length === 0 ? h('p', { class: 'muted' }, t('tx.none')) : null, txTable, more);

  // --- how to verify
  const vv = verify.vaults.filter((v) => !nation || v.id === nation.id);
  const howTo = section(
    t('verify.title'),
    'verify',
    h('p', {}, t('verify.intro')),
    ...vv.map((v) =>
      h(
        'div',
        { class: 'vault-pub' },
        h('h3', {}, h('span', { translate: 'no' }, v.name), v.threshold && v.keyCount ? h('span', { class: 'muted' }, ` · ${t('verify.threshold', { m: v.threshold, n: v.keyCount })}`) : null),
        v.descriptors.length ? h('p', { class: 'muted' }, t('verify.descriptor')) : null,
        ...v.descriptors.map((d) => h('pre', { class: 'code', translate: 'no' }, h('code', {}, d))),
        v.addresses.length ? h('p', { class: 'muted' }, tn('verify.watched', v.addresses.length)) : null,
      ),
    ),
    h(
      'ol',
      { class: 'steps' },
      ...verify.steps.map((st) => {
        const w = stepWords(st, verify.network);
        return h('li', w.translated ? {} : { lang: 'en' }, h('strong', {}, w.title), h('p', {}, w.text), ...st.commands.map((c) => h('pre', { class: 'code', translate: 'no' }, h('code', {}, c))));
      }),
    ),
    verify.tip ? h('p', { class: 'muted' }, t('verify.asOf', { height: integer(verify.tip.height), time: verify.tip.time ? localDateTime(verify.tip.time) : '' }), h('code', { class: 'hash', translate: 'no' }, verify.tip.hash)) : null,
    alliance ? auditHeadBlock(auditHead) : null,
  );

  // --- open data: the same figures as files, and the API itself (readable from any site, with ETags)
  const files = ['holdings', 'transactions', 'addresses'] as const;
  const openData = alliance
    ? section(
      t('data.title'),
      'open-data',
      h('p', {}, t('data.intro')),
      h(
        'ul',
        { class: 'downloads' },
        ...files.map((f) =>
          h(
            'li',
            {},
            h('span', {}, t(`data.${f}`)),
            ' ',
            ...(['csv', 'json'] as const).map((ext) => h('a', { href: `/api/v1/public/downloads/${f}.${ext}`, download: `${f}.${ext}`, class: 'download', 'data-file': `${f}.${ext}`, translate: 'no' }, ext.toUpperCase())),
          ),
        ),
      ),
      h('p', { class: 'muted' }, t('data.api'), h('a', { href: '/api/v1/public/summary', translate: 'no' }, '/api/v1/public/summary'), ' · ', h('a', { href: '/api/v1/openapi.json', translate: 'no' }, 'OpenAPI')),
    )
    : null;

  const title = nation ? h('h1', {}, h('span', { translate: 'no' }, nation.name), demo || nation.illustrative ? demoBadge() : null) : h('h1', {}, many ? t('page.alliance') : t('page.title'));
  const crumbs = nation && many ? h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('nav.back'))) : null;
  const memberNav = many
    ? h('nav', { class: 'members-nav', 'aria-label': t('nav.members') }, h('a', { href: '#/', ...(nation ? {} : { 'aria-current': 'page' }) }, t('nav.alliance')), ...summary.vaults.map((v) => h('a', { href: `#/nation/${encodeURIComponent(v.id)}`, translate: 'no', ...(nation?.id === v.id ? { 'aria-current': 'page' } : {}) }, v.name)))
    : null;
  root.replaceChildren(
    ...[memberNav, crumbs, title, ...banners, cards, proof, members, chart, await compliance, await settlement, books, transactions, addr, openData, howTo].filter((x): x is HTMLElement => x !== null),
  );
  root.dataset.tip = summary.tip ? String(summary.tip.height) : '';
}
