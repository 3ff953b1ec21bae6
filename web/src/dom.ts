// A tiny helper to build DOM without innerHTML (no injection, no inline script or style).
// What people read is what is true (issue #19): every text node, attribute and status line goes
// through the core's displaySafe, so a control, bidi-override or invisible character in data is
// shown as a visible escape (\u202e), never obeyed. The API already escapes its JSON; this is the
// dashboard's own guarantee, whatever the text's origin.
import { displaySafe } from '../../src/core/text/display-text.ts';

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : displaySafe(String(v)));
  }
  append(el, children);
  return el;
}

/** A text node showing `text` safely (line breaks kept: they matter only inside <pre>). */
export function text(value: string): Text {
  return document.createTextNode(displaySafe(value, { multiline: true }));
}

/** Replace an element's content with `value`, shown safely (never innerHTML). */
export function setText(el: Element, value: string): void {
  el.textContent = displaySafe(value, { multiline: true });
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? text(c) : c);
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag: string, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, displaySafe(String(v)));
  append(el, children);
  return el;
}

/**
 * A table inside a wrapper. On a phone (style.css, table.reflow) each row becomes a card and each
 * cell shows its column's name from `data-label`, so nothing scrolls sideways or is cut off.
 */
export function table(head: string[], rows: Child[][], opts: { id?: string; numeric?: number[] } = {}): HTMLElement {
  const num = new Set(opts.numeric ?? []);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      opts.id ? { id: opts.id, class: 'reflow' } : { class: 'reflow' },
      h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', num.has(i) ? { class: 'num', scope: 'col' } : { scope: 'col' }, t)))),
      h('tbody', {}, ...rows.map((r) => tableRow(head, r, num))),
    ),
  );
}

/** One row of `table()` (for rows appended later, e.g. "show older"). */
export function tableRow(head: string[], cells: Child[], numeric: Set<number> = new Set()): HTMLElement {
  return h('tr', {}, ...cells.map((c, i) => h('td', { ...(numeric.has(i) ? { class: 'num' } : {}), 'data-label': head[i] ?? '' }, c)));
}

export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}
