// Holdings over time as a hand-written SVG step chart with real dates, axis labels, a title per
// point and a readout that follows the pointer. Coordinates are display-only numbers; the amounts
// shown in text are formatted exactly from the API's strings.
import { btc, compactMoney, longDate, money } from './format.ts';
import { h, s, setText } from './dom.ts';
import type { Holdings } from './api.ts';

const W = 720;
const H = 300;
const M = { top: 16, right: 16, bottom: 36, left: 64 };
const DAY = 86_400_000;

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const n = raw / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

function dateMs(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`);
}

export function holdingsChart(data: Holdings, today: string): HTMLElement {
  const points = data.points;
  if (points.length === 0) return h('p', { class: 'muted' }, 'No holdings yet: nothing has been received.');
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return h('p', {}, '');
  const t0 = dateMs(first.date) - DAY;
  const t1 = Math.max(dateMs(today), dateMs(last.date) + DAY);
  const maxBtc = Math.max(...points.map((p) => Number(BigInt(p.sats)) / 1e8), 1e-8);
  const yStep = niceStep(maxBtc, 4);
  const yMax = Math.ceil((maxBtc * 1.05) / yStep) * yStep;
  const x = (t: number): number => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
  const y = (b: number): number => H - M.bottom - (b / yMax) * (H - M.top - M.bottom);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  svg.append(s('title', { id: 'chart-title' }, 'Bitcoin held over time'));
  svg.append(
    s('desc', { id: 'chart-desc' }, `From ${longDate(first.date)} to ${longDate(today)}: from ${btc(first.sats)} to ${btc(last.sats)} BTC.`),
  );

  // y axis: BTC
  const yAxis = s('g', { class: 'axis y' });
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const yy = y(v);
    yAxis.append(s('line', { x1: M.left, x2: W - M.right, y1: yy, y2: yy, class: 'grid' }));
    yAxis.append(s('text', { x: M.left - 8, y: yy + 4, 'text-anchor': 'end' }, v >= 1000 ? `${(v / 1000).toLocaleString('en-US')}k` : v.toLocaleString('en-US')));
  }
  yAxis.append(s('text', { x: 14, y: M.top + (H - M.top - M.bottom) / 2, transform: `rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})`, 'text-anchor': 'middle', class: 'label' }, 'BTC'));
  svg.append(yAxis);

  // x axis: years, or months when the range is short
  const xAxis = s('g', { class: 'axis x' });
  xAxis.append(s('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'base' }));
  const startYear = new Date(t0).getUTCFullYear();
  const endYear = new Date(t1).getUTCFullYear();
  const ticks: Array<{ t: number; label: string }> = [];
  if (endYear - startYear >= 2) {
    const every = Math.ceil((endYear - startYear + 1) / 8);
    for (let yr = startYear + 1; yr <= endYear; yr += every) ticks.push({ t: Date.UTC(yr, 0, 1), label: String(yr) });
  } else {
    const d = new Date(Date.UTC(new Date(t0).getUTCFullYear(), new Date(t0).getUTCMonth() + 1, 1));
    const months = Math.max(1, Math.round((t1 - t0) / (30 * DAY)));
    const every = Math.ceil(months / 8);
    while (d.getTime() <= t1) {
      ticks.push({ t: d.getTime(), label: d.toLocaleDateString('en-GB', { month: 'short', year: '2-digit', timeZone: 'UTC' }) });
      d.setUTCMonth(d.getUTCMonth() + every);
    }
  }
  for (const tk of ticks) {
    const xx = x(tk.t);
    xAxis.append(s('line', { x1: xx, x2: xx, y1: H - M.bottom, y2: H - M.bottom + 5, class: 'tick' }));
    xAxis.append(s('text', { x: xx, y: H - M.bottom + 20, 'text-anchor': 'middle' }, tk.label));
  }
  svg.append(xAxis);

  // the step line and its area
  let d = `M ${x(t0)} ${y(0)}`;
  for (const p of points) {
    const xx = x(dateMs(p.date));
    d += ` H ${xx} V ${y(Number(BigInt(p.sats)) / 1e8)}`;
  }
  d += ` H ${x(t1)}`;
  svg.append(s('path', { d: `${d} V ${y(0)} Z`, class: 'area' }));
  svg.append(s('path', { d, class: 'line' }));

  for (const p of points) {
    const label = `${longDate(p.date)}: ${btc(p.sats)} BTC${p.usdCents ? ` (${money(p.usdCents, data.currency)} that day)` : ''}`;
    svg.append(s('circle', { cx: x(dateMs(p.date)), cy: y(Number(BigInt(p.sats)) / 1e8), r: 3, class: 'pt' }, s('title', {}, label)));
  }

  const marker = s('circle', { r: 5, class: 'marker', cx: -10, cy: -10 });
  svg.append(marker);
  const readout = h('p', { class: 'readout', id: 'chart-readout' }, `Now: ${btc(last.sats)} BTC${last.usdCents ? ` · ${compactMoney(BigInt(last.usdCents))} at ${longDate(last.date)} prices` : ''}`);
  svg.addEventListener('pointermove', (ev: PointerEvent) => {
    const box = svg.getBoundingClientRect();
    const px = ((ev.clientX - box.left) / box.width) * W;
    const t = t0 + ((px - M.left) / (W - M.left - M.right)) * (t1 - t0);
    let current = null as (typeof points)[number] | null;
    for (const p of points) if (dateMs(p.date) <= t) current = p;
    if (!current) return;
    marker.setAttribute('cx', String(x(dateMs(current.date))));
    marker.setAttribute('cy', String(y(Number(BigInt(current.sats)) / 1e8)));
    setText(readout, `${longDate(new Date(Math.min(t, t1)).toISOString().slice(0, 10))}: ${btc(current.sats)} BTC${current.usdCents ? ` (${money(current.usdCents, data.currency)} on ${longDate(current.date)})` : ''}`);
  });
  return h('figure', { class: 'chart-box' }, svg, readout);
}
