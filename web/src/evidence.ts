// Evidence on the public pages (issue #18 item 3): a txid or an address in full (wrapping, never
// hidden behind a hover), linked to the configured block explorer when there is one, with a copy
// button that says what it did in words. Shared by the public page and its panels (compliance,
// settlement). Built with the dom helpers only.
import { h, setText } from './dom.ts';
import { t, type MessageKey } from './i18n/index.ts';

/** The configured block explorer (public-page.ts explorerOf): the page for a transaction and for an address. */
export interface Explorer { name: string; tx(txid: string): string; address(a: string): string }

/** A button that copies `value`, saying so in words (no hover, works from the keyboard). */
export function copyButton(value: string, label: string): HTMLElement {
  const b = h('button', { type: 'button', class: 'secondary small copy', 'aria-label': label, 'data-copy': value }, t('copy'));
  b.addEventListener('click', () => {
    const done = (k: MessageKey): void => setText(b, t(k));
    if (!navigator.clipboard) return done('copy.manual');
    navigator.clipboard.writeText(value).then(() => done('copy.done'), () => done('copy.manual'));
  });
  return b;
}

/**
 * A txid or address in full, linked when an explorer is set, with a copy button.
 * @param opts.linkClass the link's class (default "explorer-link"; the panels name theirs)
 * @param opts.copyLabel the copy button's accessible name (default "Copy transaction ID …" / "Copy address …")
 */
export function evidence(kind: 'tx' | 'address', value: string, ex: Explorer | null, opts: { linkClass?: string; copyLabel?: string } = {}): HTMLElement {
  const shown = h('code', { class: kind === 'tx' ? 'hash txid' : 'hash addr', translate: 'no' }, value);
  const label = opts.copyLabel ?? (kind === 'tx' ? t('tx.copy', { id: value.slice(0, 8) }) : t('addr.copy', { id: value.slice(0, 10) }));
  const target = ex ? (kind === 'tx' ? ex.tx(value) : ex.address(value)) : null;
  return h(
    'span',
    { class: 'evidence' },
    target ? h('a', { href: target, rel: 'noopener noreferrer', target: '_blank', class: opts.linkClass ?? 'explorer-link', title: t('explorer.open', { name: ex?.name ?? '' }) }, shown) : shown,
    copyButton(value, label),
  );
}
