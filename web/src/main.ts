// The dashboard: #/ is the public alliance page, #/nation/<id> one member's page, #/operator the
// pages behind a token. The language switch (persisted) redraws the page; live updates (live.ts)
// redraw the public pages when a block or a transaction arrives, keeping the reader's place.
import { h, setText } from './dom.ts';
import { renderOperator } from './operator-page.ts';
import { publicRouteOf, renderPublic } from './public-page.ts';
import { initLanguage, LANGUAGES, language, setLanguage, t, type MessageKey } from './i18n/index.ts';
import { integer } from './format.ts';
import { startLive, type LiveState } from './live.ts';

const root = document.getElementById('app') as HTMLElement;
const liveStatus = document.getElementById('live-status');
const langSelect = document.getElementById('lang-select') as HTMLSelectElement | null;
let rendering: Promise<void> = Promise.resolve();
let liveState: LiveState | null = null;
let liveHeight: number | null = null;

/** The static page text (header, footer) in the current language. */
function translateStatic(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) setText(el, t(el.dataset.i18n as MessageKey));
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel as MessageKey));
  document.title = t('doc.title');
  showLive();
}

function showLive(): void {
  if (!liveStatus) return;
  liveStatus.dataset.state = liveState ?? 'off';
  if (liveState === null) return setText(liveStatus, '');
  const key: MessageKey = liveState === 'live' ? (liveHeight === null ? 'live.live' : 'live.liveAt') : liveState === 'connecting' ? 'live.connecting' : liveState === 'retrying' ? 'live.retrying' : 'live.unsupported';
  setText(liveStatus, t(key, { height: liveHeight === null ? '' : integer(liveHeight) }));
  liveStatus.title = liveState === 'live' ? t('live.live') : '';
}

function page(): 'operator' | 'public' {
  return location.hash.startsWith('#/operator') ? 'operator' : 'public';
}

/** Draw the current route. `quiet`: a redraw in place (live update, language) — no "Loading…", scroll kept. */
async function route(opts: { quiet?: boolean } = {}): Promise<void> {
  const p = page();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (a.dataset.nav === p) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const x = window.scrollX;
  const y = window.scrollY;
  if (!opts.quiet) root.replaceChildren(h('p', { class: 'muted' }, t('app.loading')));
  else root.setAttribute('aria-busy', 'true');
  try {
    if (p === 'operator') await renderOperator(root);
    else await renderPublic(root, publicRouteOf(location.hash));
    document.body.dataset.ready = p;
  } catch (e) {
    root.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('app.error', { message: e instanceof Error ? e.message : String(e) })));
    document.body.dataset.ready = 'error';
  }
  root.removeAttribute('aria-busy');
  if (opts.quiet) window.scrollTo(x, y);
}

/** One draw at a time: a live update during a draw waits for it. */
function redraw(opts: { quiet?: boolean } = {}): Promise<void> {
  rendering = rendering.then(() => route(opts));
  return rendering;
}

const lang = initLanguage();
if (langSelect) {
  langSelect.replaceChildren(...LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, translate: 'no' }, l.name)));
  langSelect.value = lang.code;
  langSelect.addEventListener('change', () => {
    setLanguage(langSelect.value);
    langSelect.value = language().code;
    translateStatic();
    void redraw({ quiet: true });
  });
}
translateStatic();

startLive({
  onMove: (m) => {
    liveHeight = m.height;
    showLive();
    if (page() === 'public') {
      void redraw({ quiet: true }).then(() => {
        document.body.dataset.liveHeight = String(m.height);
      });
    }
  },
  onState: (s, last) => {
    liveState = s;
    if (last) liveHeight = last.height;
    showLive();
  },
});

// in-page anchors (the skip link's #app) are not routes
window.addEventListener('hashchange', () => {
  if (location.hash === '' || location.hash.startsWith('#/')) void redraw();
});
void redraw();
