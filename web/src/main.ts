// The dashboard: #/ is the public page, #/operator the pages behind a token.
import { h } from './dom.ts';
import { renderOperator } from './operator-page.ts';
import { renderPublic } from './public-page.ts';

const root = document.getElementById('app') as HTMLElement;

async function route(): Promise<void> {
  const page = location.hash.startsWith('#/operator') ? 'operator' : 'public';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  root.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    if (page === 'operator') await renderOperator(root);
    else await renderPublic(root);
    document.body.dataset.ready = page;
  } catch (e) {
    root.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load the data: ${e instanceof Error ? e.message : String(e)}`));
    document.body.dataset.ready = 'error';
  }
}

window.addEventListener('hashchange', () => void route());
void route();
