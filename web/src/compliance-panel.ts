// The IMF programme commitment on the public page (issue #15 item 5): each commitment in force,
// kept or breached in plain words; the public-sector stock over time, split by class, as a stacked
// uPlot chart (with the split in words and every point as a table: the text alternative); and the
// alerts, each transaction linked to the configured explorer. Only what /public/compliance and
// /public/compliance/stock publish (the published registered wallets). Built with the dom helpers
// only (every text through displaySafe, never innerHTML); amounts formatted exactly from the API's
// strings — plot coordinates are display-only numbers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from './api.ts';
import { h, section, setText, table } from './dom.ts';
import { btc, integer, longDate } from './format.ts';
import { locale, t, tn, type MessageKey } from './i18n/index.ts';
import { evidence, type Explorer } from './evidence.ts';

export interface PublicCommitment {
  id: string;
  version: number;
  title: string;
  source: string | null;
  effectiveFrom: string;
  effectiveTo: string | null;
  status: 'kept' | 'breached';
  openAlerts: number;
  resolvedAlerts: number;
  /** The rule in structured form (newer servers): said in the page's language, the title kept as the operator's wording. */
  rule?: { kind: string; allWallets: boolean; classes: string[] };
}

export interface PublicStock {
  asOf: string;
  wallets: number;
  components: string[];
  pointCount: number;
  points: Array<{ date: string; sats: string; byComponent: Record<string, string> }>;
  alerts: {
    items: Array<{ date: string; commitmentId: string; commitmentVersion: number; class: string; sats: string; txid: string; status: 'open' | 'resolved' }>;
    notListed: number;
  };
}

/** The stock's parts in the order the API lists them (core/compliance/stock-series.ts STOCK_COMPONENTS). */
const COMPONENTS = ['register-change', 'internal-consolidation', 'external-acquisition', 'mining-reward', 'seizure', 'settlement-receipt', 'settlement-payment', 'sale', 'payment', 'fee'] as const;
const COLORS: Record<string, string> = {
  'register-change': '#8c8c8c',
  'internal-consolidation': '#0891b2',
  'external-acquisition': '#d97706',
  'mining-reward': '#059669',
  seizure: '#9333ea',
  'settlement-receipt': '#2563eb',
  'settlement-payment': '#1e40af',
  sale: '#dc2626',
  payment: '#be185d',
  fee: '#57534e',
};

function className(c: string): string {
  return (COMPONENTS as readonly string[]).includes(c) ? t(`compliance.class.${c}` as MessageKey) : c;
}

function daySec(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

function cssVar(name: string, fallback: string): string {
  const v = typeof getComputedStyle === 'function' ? getComputedStyle(document.documentElement).getPropertyValue(name).trim() : '';
  return v || fallback;
}

function swatch(color: string): HTMLElement {
  const sw = h('span', { class: 'chart-swatch', 'aria-hidden': 'true' });
  // CSSOM (element.style), which style-src 'self' allows
  sw.style.backgroundColor = color;
  sw.style.display = 'inline-block';
  sw.style.width = sw.style.height = '0.8em';
  sw.style.marginInlineEnd = '0.4em';
  sw.style.borderRadius = '2px';
  return sw;
}

/** A list in the page's language ("seizure and mining", "incautación y minería"). */
function listWords(items: string[]): string {
  try {
    return new Intl.ListFormat(locale(), { type: 'conjunction' }).format(items);
  } catch {
    return items.join(', ');
  }
}

/** A commitment's rule in the page's language, or null for a rule this page does not know. */
export function ruleWords(c: PublicCommitment): string | null {
  const r = c.rule;
  if (!r) return null;
  const scope = t(r.allWallets ? 'compliance.rule.scope.all' : 'compliance.rule.scope.some');
  const classes = listWords(r.classes.map((x) => className(x).toLocaleLowerCase(locale())));
  const from = longDate(c.effectiveFrom);
  switch (r.kind) {
    case 'no-increase':
      return r.classes.length > 0 ? t('compliance.rule.no-increase.except', { from, scope, classes }) : t('compliance.rule.no-increase', { from, scope });
    case 'no-acquisition':
      return t('compliance.rule.no-acquisition', { from, scope });
    case 'sales-only-from':
      return t('compliance.rule.sales-only-from', { from, classes });
    default:
      return null;
  }
}

/** The commitments in force, each kept or breached in plain words. */
function commitmentBlock(c: PublicCommitment): HTMLElement {
  const breached = c.status === 'breached';
  const said = ruleWords(c);
  return h(
    'div',
    { class: 'compliance-commitment', id: `commitment-${c.id}`, 'data-status': c.status },
    // the rule in the reader's language; the operator's own wording (data, in whatever language it was written) under it
    said === null ? h('h3', {}, h('span', { translate: 'no' }, c.title)) : h('h3', {}, said),
    said === null ? null : h('p', { class: 'muted compliance-wording' }, t('compliance.wording'), h('q', { translate: 'no' }, c.title)),
    h(
      'p',
      { class: breached ? 'notice warn compliance-status' : 'compliance-status', ...(breached ? { role: 'note' } : {}) },
      breached ? tn('compliance.breached', c.openAlerts) : t('compliance.kept'),
      c.resolvedAlerts > 0 ? ` ${tn('compliance.resolved', c.resolvedAlerts)}` : '',
    ),
    h(
      'p',
      { class: 'muted' },
      c.effectiveTo === null ? t('compliance.from', { from: longDate(c.effectiveFrom) }) : t('compliance.fromTo', { from: longDate(c.effectiveFrom), to: longDate(c.effectiveTo) }),
      c.source !== null ? h('span', {}, ` ${t('compliance.source')}`, h('span', { translate: 'no' }, c.source)) : null,
    ),
  );
}

/**
 * The series as the chart draws it: components that are never negative are stacked upward,
 * those never positive downward (each line is its stack's running top, filled to zero and painted
 * outermost first), any other is a plain line; the total is a line. Pure.
 */
export function stackedSeries(stock: PublicStock): { x: number[]; layers: Array<{ component: string; kind: 'up' | 'down' | 'line'; y: number[] }>; total: number[] } {
  const pts = stock.points;
  const x = pts.map((p) => daySec(p.date));
  const num = (s: string | undefined): number => Number(BigInt(s ?? '0')) / 1e8;
  const kindOf = (c: string): 'up' | 'down' | 'line' => {
    const vs = pts.map((p) => BigInt(p.byComponent[c] ?? '0'));
    if (vs.every((v) => v >= 0n)) return 'up';
    if (vs.every((v) => v <= 0n)) return 'down';
    return 'line';
  };
  const up = stock.components.filter((c) => kindOf(c) === 'up');
  const down = stock.components.filter((c) => kindOf(c) === 'down');
  const stack = (list: string[], kind: 'up' | 'down') => {
    const running = pts.map(() => 0);
    const out = list.map((c) => ({ component: c, kind, y: pts.map((p, i) => (running[i] = (running[i] ?? 0) + num(p.byComponent[c]))) }));
    return out.reverse(); // outermost first: the inner ones paint over it
  };
  const lines = stock.components.filter((c) => kindOf(c) === 'line').map((c) => ({ component: c, kind: 'line' as const, y: pts.map((p) => num(p.byComponent[c])) }));
  const out = { x, layers: [...stack(up, 'up'), ...stack(down, 'down'), ...lines], total: pts.map((p) => num(p.sats)) };
  // carried on to today: the stock has not changed since its last point
  const end = daySec(stock.asOf);
  if (x.length > 0 && end > (x[x.length - 1] ?? end)) {
    x.push(end);
    for (const l of out.layers) l.y.push(l.y[l.y.length - 1] ?? 0);
    out.total.push(out.total[out.total.length - 1] ?? 0);
  }
  return out;
}

/** The stock chart figure: title and description, the plot, a readout, a legend, the split in words and the table. */
function stockChart(stock: PublicStock): HTMLElement {
  const first = stock.points[0];
  const last = stock.points[stock.points.length - 1];
  if (!first || !last) return h('p', { class: 'muted', id: 'compliance-stock-none' }, t('compliance.stock.none'));
  const title = h('span', { id: 'compliance-chart-title', class: 'chart-title' }, t('compliance.stock.title'));
  const desc = h('p', { id: 'compliance-chart-desc', class: 'chart-desc muted' }, t('compliance.chart.desc', { from: longDate(first.date), to: longDate(stock.asOf), a: btc(first.sats), b: btc(last.sats) }));
  const nowText = t('compliance.chart.now', { btc: btc(last.sats) });
  const readout = h('p', { class: 'readout', id: 'compliance-chart-readout', 'aria-live': 'polite' }, nowText);
  const plotBox = h('div', { class: 'chart-plot', role: 'img', 'aria-labelledby': 'compliance-chart-title compliance-chart-desc', tabindex: '0' });
  const data = stackedSeries(stock);
  const ink = cssVar('--fg', '#1d232a');
  const legendItems = [{ label: t('compliance.chart.total'), color: ink }, ...stock.components.map((c) => ({ label: className(c), color: COLORS[c] ?? '#888' }))];
  const legend = h(
    'ul',
    { class: 'chart-legend', role: 'list' },
    ...legendItems.map((x) => {
      const li = h('li', {}, swatch(x.color), x.label);
      li.style.display = 'inline-block';
      li.style.marginInlineEnd = '1em';
      return li;
    }),
  );
  legend.style.listStyle = 'none';
  legend.style.paddingInlineStart = '0';

  // the split in words: each part's change since the first wallet joined, as at the last point
  const split = h(
    'ul',
    { id: 'compliance-split', class: 'compliance-split' },
    ...stock.components.map((c) => {
      const v = last.byComponent[c] ?? '0';
      return h('li', { 'data-component': c, 'data-sats': v }, swatch(COLORS[c] ?? '#888'), `${className(c)}: `, h('span', { class: 'num' }, `${btc(v, { sign: true })} BTC`));
    }),
  );

  // every point as a table (built when opened)
  const tableBox = h('div', { class: 'table-wrap' });
  const details = h('details', { class: 'chart-table', id: 'compliance-table' }, h('summary', {}, t('compliance.chart.table')), tableBox);
  details.addEventListener('toggle', () => {
    if (!(details as HTMLDetailsElement).open || tableBox.childElementCount > 0) return;
    const head = [t('compliance.col.date'), t('compliance.col.total'), ...stock.components.map((c) => `${className(c)} (BTC)`)];
    tableBox.replaceChildren(
      h(
        'table',
        { class: 'reflow' },
        h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...[...stock.points].reverse().map((p) =>
            h(
              'tr',
              { 'data-date': p.date },
              h('th', { scope: 'row' }, longDate(p.date)),
              h('td', { class: 'num', 'data-label': head[1] ?? '', 'data-sats': p.sats }, btc(p.sats)),
              ...stock.components.map((c, i) => h('td', { class: 'num', 'data-label': head[i + 2] ?? '' }, btc(p.byComponent[c] ?? '0', { sign: true }))),
            ),
          ),
        ),
      ),
    );
  });

  const thinned = stock.pointCount > stock.points.length ? h('p', { class: 'muted' }, t('compliance.chart.thinned', { shown: integer(stock.points.length), n: integer(stock.pointCount) })) : null;
  const fig = h(
    'figure',
    { class: 'chart-box', id: 'compliance-chart' },
    h('figcaption', {}, title, desc),
    plotBox,
    readout,
    legend,
    h('p', {}, t('compliance.chart.split')),
    split,
    thinned,
    details,
  );

  let plot: uPlot | null = null;
  function readoutAt(idx: number | null | undefined): void {
    const p = idx === null || idx === undefined ? null : stock.points[idx];
    if (!p) return setText(readout, nowText); // no point, or today (past the last change)
    const parts = stock.components.map((c) => `${className(c)} ${btc(p.byComponent[c] ?? '0', { sign: true })}`).join(' · ');
    setText(readout, `${t('compliance.chart.at', { date: longDate(p.date), btc: btc(p.sats) })}${parts ? ` · ${parts}` : ''}`);
  }
  function options(width: number): uPlot.Options {
    const phone = width < 480;
    const muted = cssVar('--muted', '#555');
    const grid = cssVar('--line', '#ddd');
    const font = `${phone ? 12 : 13}px system-ui, sans-serif`;
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    return {
      width,
      height: phone ? 240 : 300,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: false },
      cursor: { y: false, points: { size: 8 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min * 1.08), max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: muted, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: phone ? 70 : 90 },
        { stroke: muted, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: phone ? 52 : 64, space: phone ? 36 : 44, values: (_u, vals) => vals.map((v) => `${+v.toFixed(Math.abs(v) < 1 ? 4 : 1)}`) },
      ],
      series: [
        {},
        ...data.layers.map((l) => ({
          label: className(l.component),
          stroke: COLORS[l.component] ?? '#888',
          width: 1,
          ...(l.kind === 'line' ? {} : { fill: COLORS[l.component] ?? '#888', fillTo: 0 }),
          ...(stepped ? { paths: stepped } : {}),
          points: { show: false },
        })),
        { label: t('compliance.chart.total'), stroke: ink, width: 2.5, ...(stepped ? { paths: stepped } : {}), points: { show: false } },
      ],
      hooks: { setCursor: [(u: uPlot) => readoutAt(u.cursor.idx)] },
    };
  }
  const aligned = (): uPlot.AlignedData => [data.x, ...data.layers.map((l) => l.y), data.total] as uPlot.AlignedData;
  function draw(): void {
    const width = Math.floor(plotBox.clientWidth);
    if (width <= 0) return;
    if (plot && Math.abs(plot.width - width) < 2) return;
    plot?.destroy();
    plot = new uPlot(options(width), aligned(), plotBox);
    plot.over.style.touchAction = 'pan-y';
    plot.over.addEventListener('pointerdown', (ev: PointerEvent) => {
      if (!plot) return;
      const box = plot.over.getBoundingClientRect();
      plot.setCursor({ left: Math.max(0, Math.min(box.width, ev.clientX - box.left)), top: 10 });
    });
  }
  // keyboard: left and right step through the days, Home and End jump, Escape clears
  let kbIdx: number | null = null;
  plotBox.addEventListener('keydown', (ev: KeyboardEvent) => {
    if (!plot) return;
    const n = data.x.length;
    if (ev.key === 'ArrowLeft') kbIdx = Math.max(0, (kbIdx ?? n) - 1);
    else if (ev.key === 'ArrowRight') kbIdx = Math.min(n - 1, (kbIdx ?? -1) + 1);
    else if (ev.key === 'Home') kbIdx = 0;
    else if (ev.key === 'End') kbIdx = n - 1;
    else if (ev.key === 'Escape') kbIdx = null;
    else return;
    ev.preventDefault();
    if (kbIdx === null) {
      plot.setCursor({ left: -10, top: -10 });
      readoutAt(null);
      return;
    }
    plot.setCursor({ left: plot.valToPos(data.x[kbIdx] ?? 0, 'x'), top: 10 });
    readoutAt(kbIdx);
  });
  if (typeof ResizeObserver === 'function') new ResizeObserver(() => draw()).observe(plotBox);
  else requestAnimationFrame(() => draw());
  return fig;
}

/** A txid in full (wrapping), linked to the explorer when one is configured, with a copy button. */
function txEvidence(txid: string, ex: Explorer | null): HTMLElement {
  return evidence('tx', txid, ex, { linkClass: 'compliance-tx-link', copyLabel: t('compliance.tx.copy', { id: txid.slice(0, 8) }) });
}

/** The alerts the public may see, newest first, and how many are not listed. */
function alertsBlock(stock: PublicStock, ex: Explorer | null): HTMLElement {
  const items = stock.alerts.items;
  const head = [t('compliance.col.date'), t('compliance.col.commitment'), t('compliance.col.class'), t('compliance.col.amount'), t('compliance.col.status'), t('compliance.col.tx')];
  return h(
    'div',
    { id: 'compliance-alerts' },
    h('h3', {}, t('compliance.alerts.title')),
    items.length === 0 && stock.alerts.notListed === 0 ? h('p', { class: 'muted', id: 'compliance-alerts-none' }, t('compliance.alerts.none')) : null,
    items.length > 0
      ? table(
        head,
        items.map((a) => [
          h('span', { 'data-date': a.date }, longDate(a.date)),
          h('span', { translate: 'no' }, a.commitmentId),
          h('span', { class: 'chip', 'data-class': a.class }, className(a.class)),
          h('span', { class: BigInt(a.sats) < 0n ? 'neg' : 'pos', 'data-sats': a.sats }, `${btc(a.sats, { sign: true })} BTC`),
          h('span', { 'data-status': a.status }, a.status === 'open' ? t('compliance.alert.open') : t('compliance.alert.resolved')),
          txEvidence(a.txid, ex),
        ]),
        { id: 'compliance-alerts-table', numeric: [3] },
      )
      : null,
    stock.alerts.notListed > 0 ? h('p', { class: 'muted', id: 'compliance-alerts-not-listed', 'data-count': String(stock.alerts.notListed) }, tn('compliance.alerts.notListed', stock.alerts.notListed)) : null,
  );
}

/** The panel for these answers, or null when there is nothing to show (no commitment, no published registered wallet). */
export function compliancePanel(commitments: PublicCommitment[], stock: PublicStock, ex: Explorer | null): HTMLElement | null {
  if (commitments.length === 0 && stock.wallets === 0) return null;
  const last = stock.points[stock.points.length - 1];
  return section(
    t('compliance.title'),
    'compliance',
    h('p', {}, t('compliance.intro')),
    ...commitments.map(commitmentBlock),
    stock.wallets > 0
      ? h(
        'div',
        { class: 'cards' },
        h(
          'div',
          { class: 'card', id: 'compliance-stock-card' },
          h('div', { class: 'card-label' }, t('compliance.stock.label')),
          h('div', { class: 'card-value' }, h('span', { id: 'compliance-stock-total', 'data-sats': last?.sats ?? '0' }, `${btc(last?.sats ?? '0')} BTC`)),
          h('div', { class: 'card-sub muted' }, tn('compliance.stock.wallets', stock.wallets)),
        ),
      )
      : null,
    stockChart(stock),
    h('p', { class: 'muted' }, t('compliance.stock.explain')),
    alertsBlock(stock, ex),
  );
}

/** Fetch the public compliance answers and build the panel; null when there is nothing to show or the server offers none. */
export async function complianceSection(ex: Explorer | null): Promise<HTMLElement | null> {
  try {
    const [status, stock] = await Promise.all([api<{ commitments: PublicCommitment[] }>('/public/compliance'), api<PublicStock>('/public/compliance/stock')]);
    return compliancePanel(status.commitments, stock, ex);
  } catch {
    return null;
  }
}
