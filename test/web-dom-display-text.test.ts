// What people read is what is true (issue #19), on the dashboard: web/src/dom.ts is the only way
// the dashboard puts text on the page, it never parses HTML, and every text node, attribute and
// status line it writes shows control, bidi-override and invisible characters as visible escapes.
// (dom.ts runs here against a minimal stand-in for `document`; the browser tests run the real page.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const WEB_SRC = join(import.meta.dirname, '..', 'web', 'src');

interface FakeText { data: string }
class FakeElement {
  readonly attrs = new Map<string, string>();
  readonly children: unknown[] = [];
  className = '';
  textContent = '';
  constructor(readonly tag: string) {}
  setAttribute(k: string, v: string): void {
    this.attrs.set(k, v);
  }
  addEventListener(): void {}
  append(...nodes: unknown[]): void {
    this.children.push(...nodes);
  }
}

interface Dom {
  h(tag: string, attrs?: Record<string, unknown>, ...children: unknown[]): FakeElement;
  s(tag: string, attrs?: Record<string, unknown>, ...children: unknown[]): FakeElement;
  setText(el: FakeElement, value: string): void;
}

async function loadDom(): Promise<Dom> {
  (globalThis as { document?: unknown }).document = {
    createElement: (tag: string) => new FakeElement(tag),
    createElementNS: (_ns: string, tag: string) => new FakeElement(tag),
    createTextNode: (data: string): FakeText => ({ data }),
  };
  // a computed specifier: the root tsconfig (no DOM types) does not follow it into web/
  return (await import(pathToFileURL(join(WEB_SRC, 'dom.ts')).href)) as Dom;
}

test('dashboard text nodes, attributes and status lines show control and bidi characters escaped', async () => {
  const { h, s, setText } = await loadDom();
  const el = h('p', { title: 'Auditor \u202eFMI', 'data-memo': 'a\u001b[2Kb' }, 'memo: settlement\u001b[1A\u001b[2K\r(FORGED)', 'احتياطي البنك المركزي', '{\n  "pretty": true\n}');
  assert.deepEqual(el.children, [{ data: 'memo: settlement\\u001b[1A\\u001b[2K\\r(FORGED)' }, { data: 'احتياطي البنك المركزي' }, { data: '{\n  "pretty": true\n}' }]);
  assert.equal(el.attrs.get('title'), 'Auditor \\u202eFMI');
  assert.equal(el.attrs.get('data-memo'), 'a\\u001b[2Kb');
  assert.equal(s('text', { 'aria-label': 'x\u2066y' }).attrs.get('aria-label'), 'x\\u2066y');
  setText(el, 'the server said: \u202egnp.exe\u0007');
  assert.equal(el.textContent, 'the server said: \\u202egnp.exe\\u0007');
});

test('the dashboard never parses HTML and writes text only through dom.ts', () => {
  for (const name of readdirSync(WEB_SRC).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(WEB_SRC, name), 'utf8');
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML|innerText)\b|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/, `${name} must build DOM with h()/setText(), not parse HTML`);
    if (name !== 'dom.ts') assert.doesNotMatch(src, /\.(textContent|nodeValue|data)\s*=/, `${name}: set text with setText() from dom.ts`);
  }
});
