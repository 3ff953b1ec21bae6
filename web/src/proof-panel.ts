// The public proof of reserves (issue #14): the newest published proof — when and at which block,
// what it proves against what the reserve reports, the gap in plain words (a proof that covers
// less says so), the proof file to download and the exact command that checks it against your own
// node. Built with the dom helpers only (every text through displaySafe, never innerHTML).
import { api } from './api.ts';
import { h, section } from './dom.ts';
import { btc, integer, longDate } from './format.ts';
import { t, tn } from './i18n/index.ts';

export interface PublishedProof {
  id: number;
  publishedAt: string;
  createdAt: string;
  block: { height: number; hash: string };
  message: string;
  challengeId: string | null;
  challengeNonce: string | null;
  vaults: { id: string; name: string; provenSats: string; coins: number }[];
  provenSats: string;
  provenBtc: string;
  reportedSats: string;
  reportedBtc: string;
  gapSats: string;
  coversAll: boolean;
  explanation: string;
  /** The holdings reported now, vault by vault (newer servers): the gap is then said in the page's language. */
  reportedVaults?: { id: string; name: string; sats: string }[];
  fileName: string;
  fileUrl: string;
  verifyCommand: string;
}

function figure(label: string, value: string, id: string, sub: string | null = null): HTMLElement {
  return h('div', { class: 'card', id }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub muted' }, sub) : null);
}

/**
 * The gap between the proof and the holdings reported now, in the page's language: the same facts
 * as the server's English `explanation` (core/por/round.ts explainGap), from the vaults proven and
 * the vaults reported. Null when the server sends no per-vault holdings (the English is shown).
 */
export function gapWords(proof: PublishedProof): string | null {
  const reported = proof.reportedVaults;
  if (!reported) return null;
  const height = integer(proof.block.height);
  const gap = BigInt(proof.gapSats);
  const covered = new Set(proof.vaults.map((v) => v.id));
  const missing = reported.filter((r) => !covered.has(r.id) && BigInt(r.sats) > 0n);
  if (gap <= 0n && missing.length === 0) {
    return gap < 0n ? t('proof.gap.allMore', { reported: btc(proof.reportedSats), more: btc((-gap).toString()), height }) : t('proof.gap.all', { reported: btc(proof.reportedSats) });
  }
  const words = [t('proof.gap.less', { proven: btc(proof.provenSats), reported: btc(proof.reportedSats), gap: btc((gap > 0n ? gap : 0n).toString()) })];
  if (missing.length > 0) words.push(tn('proof.gap.missing', missing.length, { list: missing.map((m) => t('proof.gap.item', { name: m.name, btc: btc(m.sats) })).join(', ') }));
  for (const p of proof.vaults) {
    const r = reported.find((x) => x.id === p.id);
    if (r && BigInt(r.sats) > BigInt(p.provenSats)) words.push(t('proof.gap.since', { name: p.name, btc: btc((BigInt(r.sats) - BigInt(p.provenSats)).toString()), height }));
  }
  return words.join(' ');
}

/** The panel for `proof`, or the plain statement that none is published. */
export function proofPanel(proof: PublishedProof | null): HTMLElement {
  if (proof === null) {
    return section(
      t('proof.title'),
      'proof',
      h('p', { id: 'proof-none' }, t('proof.none')),
    );
  }
  const gap = BigInt(proof.gapSats);
  const said = gapWords(proof);
  return section(
    t('proof.title'),
    'proof',
    h('p', {}, t('proof.intro', { date: longDate(proof.publishedAt.slice(0, 10)), height: integer(proof.block.height) })),
    h(
      'div',
      { class: 'cards' },
      figure(t('proof.proven'), `${btc(proof.provenSats)} BTC`, 'proof-proven', t('proof.atBlock', { height: integer(proof.block.height) })),
      figure(t('proof.reported'), `${btc(proof.reportedSats)} BTC`, 'proof-reported', t('proof.reported.sub')),
      figure(t('proof.gap'), gap > 0n ? t('proof.gap.value', { btc: btc(proof.gapSats) }) : t('proof.gap.none'), 'proof-gap-figure', gap > 0n ? t('proof.gap.sub') : null),
    ),
    h('p', { class: proof.coversAll ? 'proof-gap' : 'proof-gap warn', id: 'proof-gap', role: proof.coversAll ? undefined : 'note', ...(said === null ? { lang: 'en' } : {}) }, said ?? proof.explanation),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'proof-vaults', class: 'reflow' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('proof.col.wallet')), h('th', { scope: 'col', class: 'num' }, t('proof.proven')), h('th', { scope: 'col', class: 'num' }, t('proof.col.coins')))),
        h('tbody', {}, ...proof.vaults.map((v) => h('tr', {}, h('td', { 'data-label': t('proof.col.wallet'), translate: 'no' }, v.name), h('td', { class: 'num', 'data-label': t('proof.proven') }, `${btc(v.provenSats)} BTC`), h('td', { class: 'num', 'data-label': t('proof.col.coins') }, integer(v.coins))))),
      ),
    ),
    h('p', { class: 'muted' }, t('proof.message'), h('q', { id: 'proof-message', translate: 'no' }, proof.message)),
    proof.challengeId !== null ? h('p', { class: 'muted', id: 'proof-challenge' }, t('proof.challenge', { id: proof.challengeId, nonce: proof.challengeNonce ?? '?' })) : null,
    h('p', {}, h('a', { href: proof.fileUrl, download: proof.fileName, id: 'proof-download' }, t('proof.download', { file: proof.fileName }))),
    h('p', {}, t('proof.check')),
    h('pre', { class: 'code', translate: 'no' }, h('code', { id: 'proof-command' }, proof.verifyCommand)),
    h('p', { class: 'muted' }, t('proof.check.how')),
  );
}

/** Fetch the newest published proof and build its panel; null when the server offers no proofs (an older server). */
export async function proofSection(): Promise<HTMLElement | null> {
  try {
    const r = await api<{ proof: PublishedProof | null }>('/public/proof');
    return proofPanel(r.proof);
  } catch {
    return null;
  }
}
