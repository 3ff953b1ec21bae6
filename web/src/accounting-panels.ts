// The books on the dashboard (issue #13): what the reserve cost, what it is worth, what it could
// lose. Public: cost basis and average cost, value at a dated price (saying when the price is old),
// the announced purchases with the price paid and their source, value over time in BTC and USD,
// and the risk in plain words with the method and window of each figure. Operators: every lot.
// Amounts arrive as strings of integers and are formatted exactly (format.ts); every text and
// attribute goes through dom.ts (displaySafe), links only to http(s) sources.
import { api, type Holdings } from './api.ts';
import { holdingsChart } from './chart.ts';
import { h, s, section, setText, table } from './dom.ts';
import { btc, compactMoney, integer, longDate, money } from './format.ts';
import { hasMessage, t as tr, tn } from './i18n/index.ts';
import { saidWords, type CodedSentence } from './coded-words.ts';

interface Money { currency: string; minor: string }
interface RiskLine { kind: string; text: string; method: string; window: { from?: string; to?: string; days: number; observations: number } | null; said?: CodedSentence; methodSaid?: CodedSentence }
export interface PublicBooks {
  at: string;
  currency: string;
  price: { currency: string; minorPerBtc: string; date: string; ageDays: number; stale: boolean; source: string };
  notices: string[];
  /** The notices coded, same order (newer servers): said in the page's language. */
  noticeCodes?: CodedSentence[];
  valuationMethod: string;
  valuationMethodCode?: string;
  total: { sats: string; btc: string; cost: Money; value: Money; unrealisedPnl: Money; averageCost: Money | null };
  vaults: Array<{ id: string; name: string; method: string; sats: string; cost: Money; value: Money; unrealisedPnl: Money; averageCost: Money | null; lotsAtMarketPrice: number }>;
  purchases: {
    listed: Array<{ date: string; sats: string; paid: Money | null; pricePerBtc: Money | null; counterparty: string | null; sourceUrl: string; vault: string; matched: boolean }>;
    withheld: number;
    receiptsWithoutRecord: number;
  };
  series: { step: number; points: Array<{ date: string; sats: string; value: string | null; priceDate: string | null }> };
  risk: { asOf: string; priceDate: string; lines: RiskLine[] } | null;
}

const METHOD_WORDS = (method: string): string => (method === 'fifo' ? tr('books.method.fifo') : method === 'average' ? tr('books.method.average') : method === 'specific' ? tr('books.method.specific') : method);

const m = (f: Money | null): string => (f === null ? '—' : money(f.minor, f.currency));
const signed = (f: Money): HTMLElement => h('span', { class: BigInt(f.minor) < 0n ? 'neg' : 'pos', 'data-minor': f.minor }, `${BigInt(f.minor) > 0n ? '+' : ''}${m(f)}`);

function card(label: string, value: Node, sub: Node | string | null, id: string): HTMLElement {
  return h('div', { class: 'card', id }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub muted' }, sub) : null);
}

/** A link to a public source, only for http(s) addresses; anything else is shown as text. */
function sourceLink(url: string): HTMLElement {
  if (!/^https?:\/\//i.test(url)) return h('span', { class: 'muted' }, url);
  let host = url;
  try {
    host = new URL(url).hostname.replace(/^www\./, '');
  } catch {
    /* shown as given */
  }
  return h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank', class: 'source-link', title: url }, host);
}

/** The BTC chart is the page's holdings chart; its ids are renamed so the page keeps unique ids. */
function btcChart(b: PublicBooks): HTMLElement {
  const data: Holdings = { currency: b.currency, points: b.series.points.map((p) => ({ date: p.date, sats: p.sats, usdCents: p.value })) };
  const fig = holdingsChart(data, b.at);
  for (const el of Array.from(fig.querySelectorAll('[id]'))) el.id = `books-${el.id}`;
  fig.querySelector('svg')?.setAttribute('aria-labelledby', 'books-chart-title books-chart-desc');
  const title = fig.querySelector('#books-chart-title');
  if (title) setText(title, tr('books.chart.btc'));
  fig.id = 'books-chart-btc';
  // the readout of the last point says which day's price it is at (the price files may end before today)
  const last = b.series.points[b.series.points.length - 1];
  const readout = fig.querySelector('#books-chart-readout');
  if (readout && last) setText(readout, `${tr('books.now', { btc: btc(last.sats) })}${last.value !== null ? ` · ${tr('books.atPriceOf', { value: compactMoney(BigInt(last.value)), date: longDate(last.priceDate ?? last.date) })}` : ''}`);
  return fig;
}

/** The value in US dollars over time: a line through the (sampled) daily values, axis in $. */
function valueChart(b: PublicBooks): HTMLElement {
  const pts = b.series.points.filter((p) => p.value !== null) as Array<{ date: string; sats: string; value: string; priceDate: string | null }>;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last) return h('p', { class: 'muted', id: 'books-chart-usd' }, tr('books.noValueHistory'));
  const W = 720;
  const H = 260;
  const M = { top: 16, right: 16, bottom: 36, left: 72 };
  const t = (d: string): number => Date.parse(`${d}T00:00:00Z`);
  const t0 = t(first.date);
  const t1 = Math.max(t(last.date), t0 + 86_400_000);
  const maxCents = pts.reduce((a, p) => (BigInt(p.value) > a ? BigInt(p.value) : a), 1n);
  const maxD = Number(maxCents) / 100;
  const raw = maxD / 4;
  const p10 = 10 ** Math.floor(Math.log10(raw));
  const step = (raw / p10 <= 1 ? 1 : raw / p10 <= 2 ? 2 : raw / p10 <= 5 ? 5 : 10) * p10;
  const yMax = Math.ceil((maxD * 1.05) / step) * step;
  const x = (ms: number): number => M.left + ((ms - t0) / (t1 - t0)) * (W - M.left - M.right);
  const y = (d: number): number => H - M.bottom - (d / yMax) * (H - M.top - M.bottom);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart books-value', role: 'img', 'aria-labelledby': 'books-usd-title books-usd-desc' });
  svg.append(s('title', { id: 'books-usd-title' }, tr('books.chart.usd', { currency: b.currency })));
  svg.append(s('desc', { id: 'books-usd-desc' }, tr('books.chart.usd.desc', { from: longDate(first.date), to: longDate(last.date), a: money(first.value, b.currency), b: money(last.value, b.currency) })));
  const axis = s('g', { class: 'axis y' });
  for (let v = 0; v <= yMax + 1e-6; v += step) {
    axis.append(s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }));
    axis.append(s('text', { x: M.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, compactMoney(BigInt(Math.round(v * 100)))));
  }
  svg.append(axis);
  const xAxis = s('g', { class: 'axis x' });
  xAxis.append(s('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'base' }));
  const y0 = new Date(t0).getUTCFullYear();
  const y1 = new Date(t1).getUTCFullYear();
  const every = Math.max(1, Math.ceil((y1 - y0 + 1) / 8));
  for (let yr = y0 + 1; yr <= y1; yr += every) {
    const xx = x(Date.UTC(yr, 0, 1));
    xAxis.append(s('line', { x1: xx, x2: xx, y1: H - M.bottom, y2: H - M.bottom + 5, class: 'tick' }));
    xAxis.append(s('text', { x: xx, y: H - M.bottom + 20, 'text-anchor': 'middle' }, String(yr)));
  }
  svg.append(xAxis);
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${x(t(p.date)).toFixed(1)} ${y(Number(BigInt(p.value)) / 100).toFixed(1)}`).join(' ');
  svg.append(s('path', { d, class: 'line' }));
  const readout = h('p', { class: 'readout', id: 'books-usd-readout' }, `${longDate(last.date)}: ${money(last.value, b.currency)} (${btc(last.sats)} BTC)`);
  const marker = s('circle', { r: 5, class: 'marker', cx: -10, cy: -10 });
  svg.append(marker);
  svg.addEventListener('pointermove', (ev: PointerEvent) => {
    const box = svg.getBoundingClientRect();
    const at = t0 + ((((ev.clientX - box.left) / box.width) * W - M.left) / (W - M.left - M.right)) * (t1 - t0);
    let cur: (typeof pts)[number] | null = null;
    for (const p of pts) if (t(p.date) <= at) cur = p;
    if (!cur) return;
    marker.setAttribute('cx', String(x(t(cur.date))));
    marker.setAttribute('cy', String(y(Number(BigInt(cur.value)) / 100)));
    setText(readout, `${longDate(cur.date)}: ${money(cur.value, b.currency)} (${btc(cur.sats)} BTC${cur.priceDate && cur.priceDate !== cur.date ? `, ${tr('books.priceOf', { date: longDate(cur.priceDate) })}` : ''})`);
  });
  return h('figure', { class: 'chart-box', id: 'books-chart-usd' }, svg, readout);
}

/** The server's sentence in the page's language when the page has words for it, else its English, declared as such. */
function serverWords(tag: string, attrs: Record<string, string>, said: string | null, english: string): HTMLElement {
  return said === null ? h(tag, { ...attrs, lang: 'en' }, english) : h(tag, attrs, said);
}

function windowWords(w: RiskLine['window']): string {
  if (w === null) return '';
  return w.from && w.to ? ` ${tr('books.window.range', { from: longDate(w.from), to: longDate(w.to), obs: tn('books.observations', w.observations) })}` : ` ${tr('books.window.days', { days: tn('books.days', w.days) })}`;
}

function riskPanel(b: PublicBooks): HTMLElement {
  if (!b.risk) return h('div', { id: 'books-risk' }, h('h3', {}, tr('books.risk.title')), h('p', { class: 'muted' }, tr('books.risk.none')));
  const lines = b.risk.lines;
  // the 2022 replay first: the figure people ask about
  const key = lines.find((l) => l.kind === 'stress' && (l.said ? l.said.code === 'risk.replay.2022' : /2022/.test(l.text)));
  return h(
    'div',
    { id: 'books-risk' },
    h('h3', {}, tr('books.risk.title')),
    key ? serverWords('p', { class: 'risk-key', id: 'books-risk-2022' }, saidWords(key.said), key.text) : null,
    h(
      'ul',
      { class: 'risk-lines' },
      ...lines.map((l) => h('li', { 'data-kind': l.kind }, serverWords('span', {}, saidWords(l.said), l.text), h('details', { class: 'risk-method muted' }, h('summary', {}, tr('books.risk.how')), ` ${tr('books.risk.method')}: `, serverWords('span', {}, saidWords(l.methodSaid), `${l.method}.`), windowWords(l.window)))),
    ),
    h('p', { class: 'muted' }, tr('books.risk.measured', { date: longDate(b.risk.priceDate) })),
  );
}

function booksBody(b: PublicBooks): HTMLElement[] {
  const t = b.total;
  const cards = h(
    'div',
    { class: 'cards' },
    card(tr('books.cost'), h('span', { id: 'books-cost', 'data-minor': t.cost.minor }, m(t.cost)), h('span', { id: 'books-avg', 'data-minor': t.averageCost?.minor ?? '' }, t.averageCost ? tr('books.avg', { avg: m(t.averageCost) }) : tr('books.nothingHeld')), 'books-card-cost'),
    card(
      tr('books.worth'),
      h('span', { id: 'books-value', 'data-minor': t.value.minor }, m(t.value)),
      `${tr('books.worth.sub', { btc: btc(t.sats), price: money(b.price.minorPerBtc, b.price.currency), date: longDate(b.price.date) })}${b.price.stale ? ` ${tr('books.old', { days: tn('books.days', b.price.ageDays) })}` : ''}`,
      'books-card-value',
    ),
    card(tr('books.pnl'), signed(t.unrealisedPnl), tr('books.pnl.sub'), 'books-card-pnl'),
  );
  const notices = b.notices.length > 0 ? h('div', { class: 'notice', role: 'note', id: 'books-notices' }, ...b.notices.map((n, i) => serverWords('p', {}, saidWords(b.noticeCodes?.[i], 'notice.'), `${n.charAt(0).toUpperCase()}${n.slice(1)}.`))) : null;
  const vaults = table(
    [tr('books.col.wallet'), tr('books.col.bitcoin'), tr('books.col.cost'), tr('books.col.avg'), tr('books.col.worth'), tr('books.col.pnl'), tr('books.col.method')],
    b.vaults.map((v) => [h('span', { translate: 'no' }, v.name), `${btc(v.sats)} BTC`, m(v.cost), m(v.averageCost), m(v.value), signed(v.unrealisedPnl), METHOD_WORDS(v.method)]),
    { id: 'books-vaults-table', numeric: [1, 2, 3, 4, 5] },
  );
  const p = b.purchases;
  const names = new Map(b.vaults.map((v) => [v.id, v.name]));
  const purchases = p.listed.length === 0
    ? h('p', { class: 'muted' }, tr('books.purchases.none'))
    : table(
      [tr('books.col.date'), tr('books.col.bitcoin'), tr('books.col.paid'), tr('books.col.price'), tr('books.col.source'), tr('books.col.chain')],
      p.listed.map((x) => [
        longDate(x.date), `${btc(x.sats)} BTC`, x.paid ? m(x.paid) : h('span', { class: 'muted' }, tr('books.notAnnounced')), m(x.pricePerBtc),
        h('span', { class: 'purchase-source' }, sourceLink(x.sourceUrl), x.counterparty ? h('span', { class: 'muted counterparty', translate: 'no' }, x.counterparty) : null),
        x.matched ? (names.size > 1 ? tr('books.receivedBy', { name: names.get(x.vault) ?? x.vault }) : tr('books.received')) : h('span', { class: 'muted' }, tr('books.notMatched')),
      ]),
      { id: 'books-purchases-table', numeric: [1, 2, 3] },
    );
  const coverage = [
    p.withheld > 0 ? tn('books.withheld', p.withheld) : '',
    p.receiptsWithoutRecord > 0 ? tn('books.unrecorded', p.receiptsWithoutRecord) : '',
  ].filter(Boolean).join(' ');
  return [
    cards,
    ...(notices ? [notices] : []),
    ...(b.vaults.length > 1 ? [vaults] : []),
    h('h3', {}, tr('books.purchases')),
    purchases,
    ...(coverage ? [h('p', { class: 'muted', id: 'books-coverage' }, coverage)] : []),
    h('h3', {}, tr('books.valueOverTime')),
    h('div', { class: 'books-charts' }, btcChart(b), valueChart(b)),
    h('p', { class: 'muted' }, b.series.step > 1 ? `${tr('books.step', { n: integer(b.series.step) })} ` : '', `${tr('books.valuation')}: `, serverWords('span', {}, b.valuationMethodCode && hasMessage(b.valuationMethodCode) ? tr(b.valuationMethodCode, { currency: b.currency }) : null, `${b.valuationMethod}.`)),
    riskPanel(b),
  ];
}

/**
 * The public books section, or null when the server does not keep books. Several published wallets:
 * a chooser, starting with the one worth most; "all wallets" adds them up.
 */
export async function booksSection(): Promise<HTMLElement | null> {
  const all = await api<PublicBooks>('/public/books').catch(() => null);
  if (!all) return null;
  const body = h('div', { id: 'books-body' });
  const box = section(tr('books.title'), 'books');
  if (all.vaults.length > 1) {
    const largest = [...all.vaults].sort((a, b) => (BigInt(b.value.minor) > BigInt(a.value.minor) ? 1 : BigInt(b.value.minor) < BigInt(a.value.minor) ? -1 : 0))[0];
    const select = h('select', { id: 'books-vault', 'aria-label': tr('books.which') }, h('option', { value: '' }, tr('books.allWallets')), ...all.vaults.map((v) => h('option', { value: v.id }, v.name))) as HTMLSelectElement;
    const show = (id: string): void => {
      body.setAttribute('aria-busy', 'true');
      const load = id === '' ? Promise.resolve(all) : api<PublicBooks>(`/public/books?vault=${encodeURIComponent(id)}`);
      void load.then(
        (b) => {
          body.replaceChildren(...booksBody(b));
          body.dataset.vault = id;
          body.removeAttribute('aria-busy');
        },
        (e: unknown) => {
          body.replaceChildren(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
          body.removeAttribute('aria-busy');
        },
      );
    };
    select.addEventListener('change', () => show(select.value));
    box.append(h('p', { class: 'books-choose' }, h('label', { for: 'books-vault' }, `${tr('books.col.wallet')}: `), select));
    if (largest) {
      select.value = largest.id;
      const first = await api<PublicBooks>(`/public/books?vault=${encodeURIComponent(largest.id)}`).catch(() => all);
      body.replaceChildren(...booksBody(first));
      body.dataset.vault = first === all ? '' : largest.id;
    }
  } else {
    body.replaceChildren(...booksBody(all));
    body.dataset.vault = all.vaults[0]?.id ?? '';
  }
  box.append(body);
  return box;
}

interface LotRow {
  id: string; vault: string; txid: string; vout: number; date: string; source: string; sats: string; cost: Money;
  costOrigin: { kind: string; recordId?: string; priceDate?: string; fromVaultId?: string }; remainingSats: string; remainingCost: Money;
}

const ORIGIN_WORDS = (o: LotRow['costOrigin']): string =>
  o.kind === 'purchase-record' ? `purchase record ${o.recordId ?? ''}` : o.kind === 'market-price' ? `market price of ${o.priceDate ?? '?'} (no purchase record)` : `moved from ${o.fromVaultId ?? '?'}`;

/** Operators: every acquisition lot, its cost and where the cost comes from, what is left of it. */
export async function lotsPanel(): Promise<HTMLElement> {
  const box = section('Books: acquisition lots', 'op-lots');
  try {
    const l = await api<{ at: string; currency: string; lots: LotRow[]; notices: string[] }>('/books/lots', { auth: true });
    box.append(
      h('p', { class: 'muted' }, `At the end of ${longDate(l.at)}, in ${l.currency}. The same as "soberana report lots --json".`),
      ...l.notices.map((n) => h('p', { class: 'notice' }, n)),
      l.lots.length === 0
        ? h('p', { class: 'muted' }, 'No lots yet: nothing has been received.')
        : table(
          ['Date', 'Wallet', 'Bitcoin', 'Source', 'Cost', 'Cost from', 'Left', 'Left at cost', 'Output'],
          l.lots.map((x) => [longDate(x.date), x.vault, `${btc(x.sats)} BTC`, x.source, m(x.cost), h('span', { class: x.costOrigin.kind === 'market-price' ? 'chip chip-wait' : 'chip' }, ORIGIN_WORDS(x.costOrigin)), `${btc(x.remainingSats)} BTC`, m(x.remainingCost), h('code', { class: 'txid', title: `${x.txid}:${x.vout}` }, `${x.txid.slice(0, 10)}…:${x.vout}`)]),
          { id: 'op-lots-table', numeric: [2, 4, 6, 7] },
        ),
    );
  } catch (e) {
    box.append(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
  }
  return box;
}
