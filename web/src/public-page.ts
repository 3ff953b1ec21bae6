// The public transparency page: totals, value, share of 21M, holdings chart, addresses,
// transactions and how to verify it all yourself.
import { api, type AddressRow, type AuditHead, type Holdings, type Summary, type TxPage, type TxRow, type Verify } from './api.ts';
import { holdingsChart } from './chart.ts';
import { booksSection } from './accounting-panels.ts';
import { proofSection } from './proof-panel.ts';
import { h, section, setText, table } from './dom.ts';
import { btc, dateTime, longDate, money, sats, shortId } from './format.ts';

const CATEGORY_TEXT: Record<string, string> = {
  purchase: 'Purchase',
  mining: 'Mining',
  seizure: 'Seizure',
  'internal consolidation': 'Moved between reserve wallets',
  settlement: 'Trade settlement',
  payment: 'Payment',
  receipt: 'Receipt',
  donation: 'Donation',
  unknown: 'Not yet classified',
};

function card(label: string, value: Node | string, sub: Node | string | null, id: string): HTMLElement {
  return h('div', { class: 'card', id }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub muted' }, sub) : null);
}

function txRows(items: TxRow[], vaultNames: Map<string, string>): HTMLElement[][] {
  return items.map((t) => [
    h('span', { title: t.time === null ? '' : String(t.time) }, dateTime(t.time)),
    h('span', { class: `chip cat-${t.category.replace(/\s+/g, '-')}` }, CATEGORY_TEXT[t.category] ?? t.category),
    h('span', { class: BigInt(t.netSats) < 0n ? 'neg' : 'pos' }, `${btc(t.netSats, { sign: true })} BTC`),
    h('span', {}, t.height === null ? 'pending' : `${t.confirmations.toLocaleString('en-US')}`),
    h('span', {}, vaultNames.get(t.vault) ?? t.vault),
    h('code', { title: t.txid, class: 'txid' }, shortId(t.txid)),
  ]);
}

/**
 * The audit log's head, small, for anyone to keep: "Audit log head: #221 3fa9…c2 at …" and a button
 * that copies it as SEQ:HASH, the form `soberana audit verify --head` takes.
 */
function auditHeadBlock(head: AuditHead | null): HTMLElement | null {
  if (!head) return null;
  if (head.seq === 0) return h('p', { class: 'muted audit-head', id: 'audit-head' }, 'Audit log head: the governance audit log has no entries yet.');
  const line = `${head.seq}:${head.hash}`;
  const copy = h('button', { type: 'button', class: 'secondary small', id: 'audit-head-copy', title: 'copy as SEQ:HASH' }, 'Copy');
  copy.addEventListener('click', () => {
    const done = (text: string): void => {
      setText(copy, text);
    };
    if (!navigator.clipboard) return done('Copy the line below');
    navigator.clipboard.writeText(line).then(() => done('Copied'), () => done('Copy the line below'));
  });
  const when = head.at ? ` at ${head.at.slice(0, 16).replace('T', ' ')} UTC` : '';
  return h(
    'div',
    { class: 'audit-head', id: 'audit-head', 'data-head': line },
    h('p', {}, 'Audit log head: ', h('code', { title: head.hash }, `#${head.seq} ${head.hash.slice(0, 4)}…${head.hash.slice(-2)}`), `${when} · ${head.entries.toLocaleString('en-US')} entries `, copy),
    h(
      'p',
      { class: 'muted' },
      'Every governance action (spend proposals, approvals, policy changes) is written to a hash-chained audit log; this head covers all of it. Keep a copy: auditors check the log still holds it, so no entry can later be cut, rewritten or wiped unseen.',
    ),
    h('pre', { class: 'code' }, h('code', { id: 'audit-head-command' }, `soberana audit verify --head ${line}`)),
  );
}

export async function renderPublic(root: HTMLElement): Promise<void> {
  const booksPending = booksSection(); // the books (cost, value, risk), fetched alongside; null when the server keeps none
  const proofPending = proofSection(); // the newest published proof of reserves; null when the server offers none
  const [summary, holdings, addresses, txs, verify, auditHead] = await Promise.all([
    api<Summary>('/public/summary'),
    api<Holdings>('/public/holdings'),
    api<{ addresses: AddressRow[] }>('/public/addresses'),
    api<TxPage>('/public/transactions?limit=25'),
    api<Verify>('/public/verify'),
    // the page stands without it (an older server)
    api<AuditHead>('/public/audit-head').catch(() => null),
  ]);
  const vaultNames = new Map(summary.vaults.map((v) => [v.id, v.name]));
  const pending = BigInt(summary.unconfirmedSats);

  const cards = h(
    'div',
    { class: 'cards' },
    card('Bitcoin held', h('span', { id: 'total-btc', 'data-sats': summary.confirmedSats }, `${btc(summary.confirmedSats)} BTC`), `${sats(summary.confirmedSats)} sats (satoshis)`, 'card-total'),
    card(
      'Value in US dollars',
      h('span', { id: 'total-usd' }, summary.fiat ? money(summary.fiat.cents, summary.fiat.currency) : 'no price available'),
      summary.fiat ? `at ${money(summary.fiat.priceCents, summary.fiat.currency)} per bitcoin on ${longDate(summary.fiat.priceDate)}` : null,
      'card-usd',
    ),
    card('Share of all bitcoin', h('span', { id: 'share-21m' }, `${summary.shareOf21M.percent} %`), 'of the 21 million that will ever exist', 'card-share'),
    card(
      'Last checked block',
      h('span', { id: 'tip-height' }, summary.tip ? summary.tip.height.toLocaleString('en-US') : 'not synced yet'),
      `${summary.network === 'main' ? 'Bitcoin main network' : `${summary.network} network`}${pending !== 0n ? ` · ${btc(summary.unconfirmedSats, { sign: true })} BTC waiting for confirmation` : ''}`,
      'card-tip',
    ),
  );

  const vaults = section(
    'Reserve wallets',
    'vaults',
    table(
      ['Wallet', 'Bitcoin held', 'Addresses'],
      summary.vaults.map((v) => [v.name, `${btc(v.confirmedSats)} BTC`, String(v.addressCount)]),
      { id: 'vaults-table', numeric: [1, 2] },
    ),
  );

  const chart = section('Holdings over time', 'holdings', holdingsChart(holdings, summary.asOf));

  const addr = section(
    `Every address (${addresses.addresses.length})`,
    'addresses',
    h('p', { class: 'muted' }, 'Each address below is on the public blockchain: look it up in any block explorer or your own node.'),
    table(
      ['Address', 'Wallet', 'Balance', 'Transactions'],
      addresses.addresses.map((a) => [h('code', { class: 'addr' }, a.address), vaultNames.get(a.vault) ?? a.vault, `${btc(a.confirmedSats)} BTC`, String(a.txCount)]),
      { id: 'addresses-table', numeric: [2, 3] },
    ),
  );

  const txTable = table(['When', 'What', 'Amount', 'Confirmations', 'Wallet', 'Transaction'], txRows(txs.items, vaultNames), { id: 'tx-table', numeric: [2, 3] });
  const more = h('button', { type: 'button', class: 'secondary', id: 'tx-more' }, 'Show older transactions');
  let next = txs.nextBefore;
  more.hidden = next === null;
  more.addEventListener('click', () => {
    if (!next) return;
    more.setAttribute('disabled', '');
    void api<TxPage>(`/public/transactions?limit=25&before=${encodeURIComponent(next)}`).then((page) => {
      const body = txTable.querySelector('tbody');
      for (const r of txRows(page.items, vaultNames)) body?.append(h('tr', {}, ...r.map((c, i) => h('td', i === 2 || i === 3 ? { class: 'num' } : {}, c))));
      next = page.nextBefore;
      more.hidden = next === null;
      more.removeAttribute('disabled');
    });
  });
  const transactions = section('Transactions', 'transactions', txTable, more);

  const howTo = section(
    'How to verify this yourself',
    'verify',
    h('p', {}, 'You do not have to trust this page. The reserve’s wallets are public: anyone running a Bitcoin node can recompute every number above.'),
    ...verify.vaults.map((v) =>
      h(
        'div',
        { class: 'vault-pub' },
        h('h3', {}, v.name, v.threshold && v.keyCount ? h('span', { class: 'muted' }, ` · ${v.threshold} of ${v.keyCount} signatures needed to spend`) : null),
        v.descriptors.length ? h('p', { class: 'muted' }, 'Wallet description (output descriptor):') : null,
        ...v.descriptors.map((d) => h('pre', { class: 'code' }, h('code', {}, d))),
        v.addresses.length ? h('p', { class: 'muted' }, `Watched addresses: ${v.addresses.length}`) : null,
      ),
    ),
    h('ol', { class: 'steps' }, ...verify.steps.map((st) => h('li', {}, h('strong', {}, st.title), h('p', {}, st.text), ...st.commands.map((c) => h('pre', { class: 'code' }, h('code', {}, c)))))),
    verify.tip ? h('p', { class: 'muted' }, `These figures are as of block ${verify.tip.height.toLocaleString('en-US')} (${verify.tip.hash}).`) : null,
    auditHeadBlock(auditHead),
  );

  const books = await booksPending;
  const proof = await proofPending;
  root.replaceChildren(h('h1', {}, 'What the reserve holds'), cards, ...(proof ? [proof] : []), chart, ...(books ? [books] : []), vaults, transactions, addr, howTo);
}
