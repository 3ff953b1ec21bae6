// Holdings over time on uPlot (docs/adr/0011-dashboard-charts-uplot.md): BTC or the currency, the
// total and each vault, over the last month, year or all of it; readable on a 390 px phone (12 px
// axis labels, few ticks, a readout that follows a finger or the arrow keys); with a text summary
// and the data as a table for screen readers. Plot coordinates are display-only numbers; every
// amount shown in text is formatted exactly from the API's strings.
//
// CSP: uPlot draws on a canvas and sizes its elements through element.style (CSSOM), which
// `style-src 'self'` allows; its stylesheet comes in through vite as a file, never a <style> tag.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { btc, compactMoney, longDate, money } from './format.ts';
import { h, setText } from './dom.ts';
import { language } from './i18n/index.ts';
import type { Holdings } from './api.ts';

const DAY_S = 86_400;

/** A point as /public/holdings sends it, with each vault's balance that day when known. */
type Point = Holdings['points'][number] & { vaults?: Array<{ vault: string; sats: string; usdCents: string | null }> };

export type ChartRange = '1m' | '1y' | 'all';
export type ChartUnit = 'btc' | 'fiat';

export interface ChartOptions {
  /** Display names of vaults by id (the legend, the readout, the table); the id otherwise. */
  readonly vaultNames?: ReadonlyMap<string, string>;
  /** Show the per-vault lines (default: when the answer has more than one vault). */
  readonly perVault?: boolean;
  readonly range?: ChartRange;
  readonly unit?: ChartUnit;
}

const TEXT = {
  en: {
    title: 'Bitcoin held over time',
    total: 'Total',
    range: 'Period',
    unit: 'Unit',
    m1: '1M',
    y1: '1Y',
    all: 'All',
    m1Long: 'last month',
    y1Long: 'last year',
    allLong: 'since the first transaction',
    none: 'No holdings yet: nothing has been received.',
    summary: (from: string, to: string, a: string, b: string) => `From ${from} to ${to}: from ${a} to ${b} BTC.`,
    table: 'Show the numbers as a table',
    date: 'Date',
    value: 'Value',
    now: 'Now',
    atPrices: (d: string) => `at ${d} prices`,
    onDay: (d: string) => `on ${d}`,
    noPrice: 'no price that day',
  },
  es: {
    title: 'Bitcoin en reserva a lo largo del tiempo',
    total: 'Total',
    range: 'Periodo',
    unit: 'Unidad',
    m1: '1M',
    y1: '1A',
    all: 'Todo',
    m1Long: 'último mes',
    y1Long: 'último año',
    allLong: 'desde la primera transacción',
    none: 'Aún no hay tenencias: no se ha recibido nada.',
    summary: (from: string, to: string, a: string, b: string) => `Del ${from} al ${to}: de ${a} a ${b} BTC.`,
    table: 'Ver los números en una tabla',
    date: 'Fecha',
    value: 'Valor',
    now: 'Ahora',
    atPrices: (d: string) => `a precios del ${d}`,
    onDay: (d: string) => `el ${d}`,
    noPrice: 'sin precio ese día',
  },
};
function tx(): (typeof TEXT)['en'] {
  return language().code.startsWith('es') ? TEXT.es : TEXT.en;
}

const PALETTE = ['#1f6feb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2'];

function daySec(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

function cssVar(name: string, fallback: string): string {
  const v = typeof getComputedStyle === 'function' ? getComputedStyle(document.documentElement).getPropertyValue(name).trim() : '';
  return v || fallback;
}

/** Short axis numbers: 6.1k, 250, 0.5; the currency's symbol in front for money. */
function axisNumber(v: number, unit: ChartUnit, currency: string): string {
  const abs = Math.abs(v);
  const s = abs >= 1e9 ? `${+(v / 1e9).toFixed(1)}B` : abs >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : abs >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(abs < 1 ? 4 : 1)}`;
  if (unit === 'btc') return s;
  return currency === 'USD' ? `$${s}` : `${s} ${currency}`;
}

/**
 * The step series for a range: one x per change (plus the window's start and today), the total and
 * each vault carried forward. Pure, so tests can check it without a browser.
 */
export function chartSeries(points: readonly Point[], today: string, range: ChartRange, unit: ChartUnit): { x: number[]; total: Array<number | null>; vaults: Map<string, Array<number | null>>; rows: Point[] } {
  const end = Math.max(daySec(today), points.length > 0 ? daySec(points[points.length - 1]?.date ?? today) : 0);
  const start = range === '1m' ? end - 30 * DAY_S : range === '1y' ? end - 365 * DAY_S : -Infinity;
  const vaultIds = [...new Set(points.flatMap((p) => (p.vaults ?? []).map((v) => v.vault)))];
  const num = (sats: string, cents: string | null): number | null => (unit === 'btc' ? Number(BigInt(sats)) / 1e8 : cents === null ? null : Number(BigInt(cents)) / 100);
  const x: number[] = [];
  const total: Array<number | null> = [];
  const vaults = new Map(vaultIds.map((v) => [v, [] as Array<number | null>]));
  const rows: Point[] = [];
  const push = (t: number, p: Point | null): void => {
    x.push(t);
    total.push(p ? num(p.sats, p.usdCents) : 0);
    for (const [id, ys] of vaults) {
      const v = p?.vaults?.find((q) => q.vault === id);
      ys.push(v ? num(v.sats, v.usdCents) : 0);
    }
  };
  let before: Point | null = null;
  for (const p of points) {
    const t = daySec(p.date);
    if (t < start) {
      before = p;
      continue;
    }
    if (x.length === 0 && Number.isFinite(start) && t > start) {
      push(start, before);
      if (before) rows.push(before); // the balance in force when the period starts
    }
    push(t, p);
    rows.push(p);
  }
  if (x.length === 0 && points.length > 0) {
    push(Number.isFinite(start) ? start : daySec(points[0]?.date ?? today), before);
    if (before) rows.push(before);
  }
  const last = points[points.length - 1] ?? null;
  if (x.length > 0 && (x[x.length - 1] ?? 0) < end) push(end, last);
  return { x, total, vaults, rows };
}

/**
 * The chart figure: title and summary, unit and period buttons, the plot, the readout, a legend
 * and the numbers as a table. The plot is drawn once the figure is in the page and has a width,
 * and redrawn when that width changes (rotation, resize).
 */
export function holdingsChart(data: Holdings, today: string, opts: ChartOptions = {}): HTMLElement {
  const T = tx();
  const points = data.points as Point[];
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return h('p', { class: 'muted' }, T.none);
  const vaultIds = [...new Set(points.flatMap((p) => (p.vaults ?? []).map((v) => v.vault)))];
  const perVault = opts.perVault ?? vaultIds.length > 1;
  const hasFiat = points.some((p) => p.usdCents !== null);
  const nameOf = (id: string): string => opts.vaultNames?.get(id) ?? id;
  let range: ChartRange = opts.range ?? 'all';
  let unit: ChartUnit = opts.unit === 'fiat' && hasFiat ? 'fiat' : 'btc';

  const title = h('span', { id: 'chart-title', class: 'chart-title' }, T.title);
  const desc = h('p', { id: 'chart-desc', class: 'chart-desc muted' }, T.summary(longDate(first.date), longDate(today), btc(first.sats), btc(last.sats)));
  const nowText = `${T.now}: ${btc(last.sats)} BTC${last.usdCents ? ` · ${compactMoney(BigInt(last.usdCents))} ${T.atPrices(longDate(last.date))}` : ''}`;
  const readout = h('p', { class: 'readout', id: 'chart-readout', 'aria-live': 'polite' }, nowText);
  const plotBox = h('div', { class: 'chart-plot', role: 'img', 'aria-labelledby': 'chart-title chart-desc', tabindex: '0' });

  const button = (label: string, pressed: boolean, longLabel: string): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: 'chart-btn', 'aria-pressed': String(pressed), title: longLabel, 'aria-label': `${label} (${longLabel})` }, label) as HTMLButtonElement;
    return b;
  };
  const rangeButtons: Array<[ChartRange, HTMLButtonElement]> = [
    ['1m', button(T.m1, range === '1m', T.m1Long)],
    ['1y', button(T.y1, range === '1y', T.y1Long)],
    ['all', button(T.all, range === 'all', T.allLong)],
  ];
  const unitButtons: Array<[ChartUnit, HTMLButtonElement]> = [['btc', button('BTC', unit === 'btc', 'BTC')]];
  if (hasFiat) unitButtons.push(['fiat', button(data.currency, unit === 'fiat', data.currency)]);
  const controls = h(
    'div',
    { class: 'chart-controls' },
    h('div', { role: 'group', 'aria-label': T.unit, class: 'chart-group' }, ...unitButtons.map(([, b]) => b)),
    h('div', { role: 'group', 'aria-label': T.range, class: 'chart-group' }, ...rangeButtons.map(([, b]) => b)),
  );

  const names = [T.total, ...(perVault ? vaultIds.map(nameOf) : [])];
  const colors = [cssVar('--accent', PALETTE[0] ?? '#1f6feb'), ...PALETTE.slice(1)];
  const legend = h(
    'ul',
    { class: 'chart-legend', role: 'list' },
    ...names.map((n, i) => {
      const sw = h('span', { class: 'chart-swatch', 'aria-hidden': 'true' });
      // CSSOM (element.style), which style-src 'self' allows; the page's CSS may refine .chart-swatch
      sw.style.backgroundColor = colors[i % colors.length] ?? '#888';
      sw.style.display = 'inline-block';
      sw.style.width = sw.style.height = '0.8em';
      sw.style.marginInlineEnd = '0.4em';
      sw.style.borderRadius = '2px';
      const li = h('li', {}, sw, n);
      li.style.display = 'inline-block';
      li.style.marginInlineEnd = '1em';
      return li;
    }),
  );

  legend.style.listStyle = 'none';
  legend.style.paddingInlineStart = '0';
  // the text alternative: every point of the chosen period, built when opened
  const tableBox = h('div', { class: 'table-wrap' });
  const details = h('details', { class: 'chart-table' }, h('summary', {}, T.table), tableBox);
  details.addEventListener('toggle', () => {
    if ((details as HTMLDetailsElement).open) fillTable();
  });
  function fillTable(): void {
    const s = chartSeries(points, today, range, unit);
    const head = [T.date, `${T.total} (BTC)`, ...(hasFiat ? [`${T.value} (${data.currency})`] : []), ...(perVault ? vaultIds.map((v) => `${nameOf(v)} (BTC)`) : [])];
    const table = h('table', {}, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))));
    const body = h('tbody', {});
    for (const p of [...s.rows].reverse()) {
      body.append(
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, longDate(p.date)),
          h('td', { class: 'num' }, btc(p.sats)),
          ...(hasFiat ? [h('td', { class: 'num' }, p.usdCents === null ? '—' : money(p.usdCents, data.currency))] : []),
          ...(perVault ? vaultIds.map((v) => h('td', { class: 'num' }, btc(p.vaults?.find((q) => q.vault === v)?.sats ?? '0'))) : []),
        ),
      );
    }
    table.append(body);
    tableBox.replaceChildren(table);
  }

  const fig = h('figure', { class: 'chart-box' }, h('figcaption', {}, title, desc), controls, plotBox, readout, legend, details);

  let plot: uPlot | null = null;
  let shown = chartSeries(points, today, range, unit);

  function readoutAt(idx: number | null | undefined): void {
    if (idx === null || idx === undefined) {
      setText(readout, nowText);
      return;
    }
    const t = shown.x[idx];
    if (t === undefined) return;
    // the point in force that day: the last change on or before it
    let p: Point | null = null;
    for (const q of points) if (daySec(q.date) <= t) p = q;
    const day = new Date(t * 1000).toISOString().slice(0, 10);
    if (!p) {
      setText(readout, `${longDate(day)}: 0 BTC`);
      return;
    }
    const fiat = p.usdCents ? ` (${money(p.usdCents, data.currency)} ${T.onDay(longDate(p.date))})` : '';
    const per = perVault && p.vaults ? ` · ${p.vaults.map((v) => `${nameOf(v.vault)} ${btc(v.sats)}`).join(' · ')}` : '';
    setText(readout, `${longDate(day)}: ${btc(p.sats)} BTC${fiat}${per}`);
  }

  function dataOf(s: ReturnType<typeof chartSeries>): uPlot.AlignedData {
    return [s.x, s.total, ...(perVault ? vaultIds.map((v) => s.vaults.get(v) ?? []) : [])] as uPlot.AlignedData;
  }

  function options(width: number): uPlot.Options {
    const phone = width < 480;
    const ink = cssVar('--muted', '#555');
    const grid = cssVar('--line', '#ddd');
    const font = `${phone ? 12 : 13}px system-ui, sans-serif`;
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    return {
      width,
      height: phone ? 240 : 300,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: false },
      cursor: { y: false, points: { size: 9 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: ink, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: phone ? 70 : 90 },
        {
          stroke: ink,
          font,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: phone ? 52 : 64,
          space: phone ? 36 : 44,
          values: (_u, vals) => vals.map((v) => axisNumber(v, unit, data.currency)),
        },
      ],
      series: [
        {},
        ...names.map((label, i) => ({
          label,
          stroke: colors[i % colors.length] ?? '#888',
          width: i === 0 ? 2.5 : 1.5,
          ...(i === 0 && !perVault ? { fill: cssVar('--accent-soft', 'rgba(31,111,235,0.12)') } : {}),
          ...(stepped ? { paths: stepped } : {}),
          points: { show: false },
          spanGaps: false,
        })),
      ],
      hooks: { setCursor: [(u: uPlot) => readoutAt(u.cursor.idx)] },
    };
  }

  function draw(): void {
    // the ids as they are once in the page (a caller may rename them to keep ids unique)
    plotBox.setAttribute('aria-labelledby', `${title.id} ${desc.id}`);
    const width = Math.floor(plotBox.clientWidth);
    if (width <= 0) return;
    if (plot && Math.abs(plot.width - width) < 2) return;
    plot?.destroy();
    plot = new uPlot(options(width), dataOf(shown), plotBox);
    const over = plot.over;
    over.style.touchAction = 'pan-y'; // a finger sliding sideways reads the chart; up and down still scrolls
    const follow = (ev: PointerEvent): void => {
      if (!plot) return;
      const box = over.getBoundingClientRect();
      plot.setCursor({ left: Math.max(0, Math.min(box.width, ev.clientX - box.left)), top: 10 });
    };
    over.addEventListener('pointerdown', follow);
    over.addEventListener('pointermove', (ev) => {
      if (ev.pointerType !== 'mouse') follow(ev);
    });
  }

  function update(): void {
    shown = chartSeries(points, today, range, unit);
    for (const [r, b] of rangeButtons) b.setAttribute('aria-pressed', String(r === range));
    for (const [u, b] of unitButtons) b.setAttribute('aria-pressed', String(u === unit));
    if (plot) {
      const w = plot.width;
      plot.destroy();
      plot = new uPlot(options(w), dataOf(shown), plotBox);
      plot.over.style.touchAction = 'pan-y';
    }
    readoutAt(null);
    if ((details as HTMLDetailsElement).open) fillTable();
  }
  for (const [r, b] of rangeButtons) b.addEventListener('click', () => { range = r; update(); });
  for (const [u, b] of unitButtons) b.addEventListener('click', () => { unit = u; update(); });

  // keyboard: left and right step through the changes, Home and End jump, Escape clears
  let kbIdx: number | null = null;
  plotBox.addEventListener('keydown', (ev: KeyboardEvent) => {
    if (!plot) return;
    const n = shown.x.length;
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
    plot.setCursor({ left: plot.valToPos(shown.x[kbIdx] ?? 0, 'x'), top: 10 });
    readoutAt(kbIdx);
  });

  if (typeof ResizeObserver === 'function') new ResizeObserver(() => draw()).observe(plotBox);
  else requestAnimationFrame(() => draw());
  return fig;
}
