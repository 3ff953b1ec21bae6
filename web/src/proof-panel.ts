// The public proof of reserves (issue #14): the newest published proof — when and at which block,
// what it proves against what the reserve reports, the gap in plain words (a proof that covers
// less says so), the proof file to download and the exact command that checks it against your own
// node. Built with the dom helpers only (every text through displaySafe, never innerHTML).
import { api } from './api.ts';
import { h, section } from './dom.ts';
import { btc, longDate } from './format.ts';

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
  fileName: string;
  fileUrl: string;
  verifyCommand: string;
}

function figure(label: string, value: string, id: string, sub: string | null = null): HTMLElement {
  return h('div', { class: 'card', id }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub muted' }, sub) : null);
}

/** The panel for `proof`, or the plain statement that none is published. */
export function proofPanel(proof: PublishedProof | null): HTMLElement {
  if (proof === null) {
    return section(
      'Proof of reserves',
      'proof',
      h('p', { id: 'proof-none' }, 'No proof of reserves has been published yet. The figures on this page are what the reserve reports; nothing here yet proves that it controls these coins.'),
    );
  }
  const gap = BigInt(proof.gapSats);
  return section(
    'Proof of reserves',
    'proof',
    h(
      'p',
      {},
      `Published ${longDate(proof.publishedAt.slice(0, 10))}. The reserve signed a message with the keys of its wallets, over every coin it held at block ${proof.block.height.toLocaleString('en-US')}. The signed transaction can never be mined, so making this proof moved nothing.`,
    ),
    h(
      'div',
      { class: 'cards' },
      figure('Proven', `${btc(proof.provenSats)} BTC`, 'proof-proven', `at block ${proof.block.height.toLocaleString('en-US')}`),
      figure('Reported now', `${btc(proof.reportedSats)} BTC`, 'proof-reported', 'the total shown at the top of this page'),
      figure('Gap', gap > 0n ? `${btc(proof.gapSats)} BTC not proven` : 'none', 'proof-gap-figure', gap > 0n ? 'reported but not covered by this proof' : null),
    ),
    h('p', { class: proof.coversAll ? 'proof-gap' : 'proof-gap warn', id: 'proof-gap', role: proof.coversAll ? undefined : 'note' }, proof.explanation),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'proof-vaults' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Wallet in the proof'), h('th', { scope: 'col', class: 'num' }, 'Proven'), h('th', { scope: 'col', class: 'num' }, 'Coins'))),
        h('tbody', {}, ...proof.vaults.map((v) => h('tr', {}, h('td', {}, v.name), h('td', { class: 'num' }, `${btc(v.provenSats)} BTC`), h('td', { class: 'num' }, String(v.coins))))),
      ),
    ),
    h('p', { class: 'muted' }, 'Signed message: ', h('q', { id: 'proof-message' }, proof.message)),
    proof.challengeId !== null ? h('p', { class: 'muted', id: 'proof-challenge' }, `It answers challenge ${proof.challengeId} (nonce ${proof.challengeNonce ?? '?'}), asked by an auditor: the proof could not have been made before that challenge existed.`) : null,
    h('p', {}, h('a', { href: proof.fileUrl, download: proof.fileName, id: 'proof-download' }, `Download the proof file (${proof.fileName})`)),
    h('p', {}, 'Check it yourself against your own Bitcoin node (the node must have the transaction index; add --rpc-user and --rpc-password, or put them in the URL):'),
    h('pre', { class: 'code' }, h('code', { id: 'proof-command' }, proof.verifyCommand)),
    h('p', { class: 'muted' }, 'The command reads the amounts from your node, not from the file, checks every signature and that every coin existed unspent at that block, and names anything that fails.'),
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
