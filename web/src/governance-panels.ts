// Operator panels for spend governance, in plain words: proposals with what they are waiting for
// (approve, PSBT download and upload, finalize, broadcast, cancel — each offered only to a role that
// may do it), the policy in force, and the audit log with its verification.
import { api, ApiError, getToken, type Session } from './api.ts';
import { h, setText } from './dom.ts';
import { table } from './dom.ts';
import { approveWithPasskey, type PasskeyInfo } from './passkey.ts';

interface Amount { sats: string; btc: string }
export interface ProposalWire {
  id: number; vaultId: string; kind: string; state: string; memo: string | null; proposer: string;
  outputs: Array<{ address: string; btc: string; internal: boolean; internalVault: string | null }>;
  amount: Amount; fee: Amount; feeRateSatPerVb: string; createdAt: string; txid: string | null; unsignedTxid: string;
  approvals: Array<{ approverId: string; groups: string[]; at: string; signedWith?: string | null }>;
  approval: { outcome: string; rule: string | null; required: string | null; satisfied: boolean; summary: string };
}

const STATE_WORDS: Record<string, string> = {
  proposed: 'waiting for approvals',
  approved: 'approved — waiting for signatures',
  signed: 'signed — ready to broadcast',
  broadcast: 'broadcast — waiting for a block',
  confirmed: 'confirmed in a block',
  cancelled: 'cancelled',
  replaced: 'replaced by a higher-fee version',
};

const when = (iso: string): string => iso.slice(0, 16).replace('T', ' ') + ' UTC';

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** A PSBT file as the API takes it: binary (magic "psbt\xff") → base64; text (base64 or hex) as is. */
export function psbtFileToText(bytes: Uint8Array): string {
  const magic = [0x70, 0x73, 0x62, 0x74, 0xff];
  if (magic.every((b, i) => bytes[i] === b)) return bytesToBase64(bytes);
  return new TextDecoder().decode(bytes).trim();
}

async function downloadPsbt(id: number): Promise<void> {
  const res = await fetch(`/api/v1/proposals/${id}/psbt?format=binary`, { headers: { authorization: `Bearer ${getToken() ?? ''}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `the server answered ${res.status}`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `proposal-${id}.psbt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that runs `fn`, saying what happens in `status`; `changes: false` for read-only actions (downloads). */
function actionButton(status: HTMLElement, refresh: () => void, label: string, fn: () => Promise<unknown>, done: string, changes = true): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary small', 'data-action': label }, label) as HTMLButtonElement;
  b.addEventListener('click', () => {
    b.disabled = true;
    setText(status, `${label}…`);
    status.className = 'op-status';
    fn().then(
      () => {
        setText(status, done);
        if (changes) refresh();
        else b.disabled = false;
      },
      (e: unknown) => {
        setText(status, e instanceof Error ? e.message : String(e));
        status.className = 'op-status error';
        b.disabled = false;
      },
    );
  });
  return b;
}

function proposalCard(p: ProposalWire, session: Session, refresh: () => void, offered: Set<string>, myKey: PasskeyInfo | null): HTMLElement {
  const may = (perm: string): boolean => session.permissions.includes(perm);
  const status = h('p', { class: 'op-status', role: 'status' });
  // `changes: false` for read-only actions (downloads): re-rendering the page after them would throw
  // away what the person is doing meanwhile, such as a file already chosen for upload.
  const run = (label: string, fn: () => Promise<unknown>, done: string, changes = true): HTMLButtonElement => actionButton(status, refresh, label, fn, done, changes);
  const actions: HTMLElement[] = [];
  if (p.state === 'proposed' && may('proposals.approve')) {
    if (myKey?.approvalKey === 'passkey' && offered.has('/api/v1/proposals/{id}/approval-statement')) {
      actions.push(run('Approve with passkey', () => approveWithPasskey(`/proposals/${p.id}/approval-statement`, `/proposals/${p.id}/approve`, myKey.userVerification), 'Approval signed with your passkey and recorded.'));
    } else {
      actions.push(run('Approve', () => api(`/proposals/${p.id}/approve`, { method: 'POST', auth: true }), 'Approval recorded.'));
    }
  }
  if ((p.state === 'approved' || p.state === 'signed') && may('proposals.execute')) {
    actions.push(run('Download PSBT', () => downloadPsbt(p.id), `Downloaded proposal-${p.id}.psbt: give it to each signer (Sparrow, Caravan, Bitcoin Core, a hardware signer).`, false));
    const b64 = h('pre', { class: 'code', hidden: true, id: `psbt-b64-${p.id}` });
    actions.push(run('Show base64', async () => {
      setText(b64, (await api<{ psbt: string }>(`/proposals/${p.id}/psbt`, { auth: true })).psbt);
      b64.hidden = false;
    }, 'The PSBT as base64 text is shown below.', false));
    actions.push(b64);
  }
  if (p.state === 'approved' && may('proposals.execute')) {
    const file = h('input', { type: 'file', accept: '.psbt,.txt,.b64,application/octet-stream,text/plain', id: `psbt-file-${p.id}`, 'aria-label': 'a signed (partial) PSBT file' }) as HTMLInputElement;
    const upload = h('form', { class: 'inline upload' }, h('label', { for: `psbt-file-${p.id}` }, 'Upload a signer’s PSBT:'), file, h('button', { type: 'submit', class: 'small' }, 'Upload'));
    upload.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = file.files?.[0];
      if (!f) {
        setText(status, 'Choose a .psbt file first.');
        return;
      }
      setText(status, 'Checking the signatures…');
      void f.arrayBuffer()
        .then((buf) => api<{ added: number; complete: boolean }>(`/proposals/${p.id}/psbt`, { method: 'POST', auth: true, body: { psbt: psbtFileToText(new Uint8Array(buf)) } }))
        .then(
          (r) => {
            setText(status, `${r.added} new signature${r.added === 1 ? '' : 's'} verified and combined. ${r.complete ? 'All signatures are in: finalize it.' : 'More signatures are needed.'}`);
            status.className = 'op-status';
          },
          (err: unknown) => {
            setText(status, err instanceof Error ? err.message : String(err));
            status.className = 'op-status error';
          },
        );
    });
    actions.push(upload);
    actions.push(run('Finalize', () => api(`/proposals/${p.id}/finalize`, { method: 'POST', auth: true }), 'Finalized: the transaction is complete.'));
  }
  if (p.state === 'signed' && may('proposals.execute') && offered.has('/api/v1/proposals/{id}/broadcast')) {
    actions.push(run('Broadcast', () => api(`/proposals/${p.id}/broadcast`, { method: 'POST', auth: true }), 'Broadcast to the network.'));
  }
  if (['proposed', 'approved', 'signed'].includes(p.state) && may('proposals.execute')) {
    actions.push(run('Cancel', () => api(`/proposals/${p.id}/cancel`, { method: 'POST', auth: true, body: { reason: 'cancelled from the dashboard' } }), 'Cancelled.'));
  }
  const waiting = p.state === 'proposed';
  return h(
    'article',
    { class: `proposal state-${p.state}`, 'data-proposal': p.id, 'data-state': p.state },
    h('h3', {}, `#${p.id} · ${p.amount.btc} BTC from ${p.vaultId}`, ' ', h('span', { class: `chip ${waiting ? 'chip-wait' : ''}` }, STATE_WORDS[p.state] ?? p.state)),
    p.memo ? h('p', { class: 'memo' }, p.memo) : null,
    h('ul', { class: 'outputs' }, ...p.outputs.map((o) => h('li', {}, `${o.btc} BTC to `, h('code', {}, o.address), o.internal ? ` (our own vault ${o.internalVault ?? ''}: an internal transfer)` : ''))),
    h('p', { class: 'muted' }, `Proposed by ${p.proposer} on ${when(p.createdAt)} · fee ${p.fee.btc} BTC at ${p.feeRateSatPerVb} sat/vB`),
    h('p', { class: `approval-state ${p.approval.satisfied ? 'pos' : ''}` }, h('strong', {}, 'Approvals: '), p.approval.summary),
    p.approvals.length ? h('p', { class: 'muted approvals' }, 'Approved by ', p.approvals.map((a) => `${a.approverId} (${a.groups.join(', ') || 'no group'}, ${when(a.at)}${a.signedWith ? `, signed with ${a.signedWith === 'passkey' ? 'a passkey' : 'a key file'}` : ''})`).join('; ')) : null,
    p.txid ? h('p', { class: 'muted' }, 'Transaction ', h('code', {}, p.txid)) : null,
    actions.length ? h('div', { class: 'actions' }, ...actions) : null,
    status,
  );
}

export function proposalsView(value: unknown, session: Session, refresh: () => void, offered: Set<string>, myKey: PasskeyInfo | null = null): HTMLElement {
  const list = (value as { proposals: ProposalWire[] }).proposals;
  if (list.length === 0) return h('p', { class: 'muted' }, 'No spend proposals. An operator proposes one with "soberana spend propose".');
  const open = list.filter((p) => ['proposed', 'approved', 'signed', 'broadcast'].includes(p.state)).length;
  return h('div', { id: 'op-proposals-list' }, h('p', {}, `${open} open, ${list.length - open} finished.`), ...list.map((p) => proposalCard(p, session, refresh, offered, myKey)));
}

interface PolicyWire {
  active: { version: number; name: string; activatedAt: string; policyChange: string; rules: Array<{ id: string; description: string | null; then: string }>; document: string } | null;
  changes: Array<{ id: number; version: number; state: string; proposer: string; createdAt: string; approvals: Array<{ approverId: string }>; document: string }>;
}

/** A pending change in plain words: a policy version, or a member change (who, roles, which kind of approval key). */
function changeWords(c: PolicyWire['changes'][number]): string {
  let doc: { id?: unknown; rules?: unknown; roles?: unknown; publicKey?: unknown } = {};
  try {
    doc = JSON.parse(c.document) as typeof doc;
  } catch {
    /* shown as a policy version */
  }
  const n = c.approvals.length;
  const approvals = `${n} approval${n === 1 ? '' : 's'}`;
  if (typeof doc.id === 'string' && Array.isArray(doc.roles) && doc.rules === undefined) {
    const key = typeof doc.publicKey === 'string' ? (doc.publicKey.startsWith('webauthn:v1:') ? 'a passkey' : 'a key file') : 'no key';
    return `Change ${c.id}: member ${doc.id} — roles ${(doc.roles as unknown[]).join(', ')}, approval key: ${key} — proposed by ${c.proposer} (${approvals})`;
  }
  return `Change ${c.id}: policy version ${c.version} by ${c.proposer} (${approvals})`;
}

function pendingChange(c: PolicyWire['changes'][number], session: Session, refresh: () => void, offered: Set<string>, myKey: PasskeyInfo | null): HTMLElement {
  const status = h('p', { class: 'op-status', role: 'status' });
  const actions: HTMLElement[] = [];
  if (session.permissions.includes('policy.approve')) {
    if (myKey?.approvalKey === 'passkey' && offered.has('/api/v1/policy/changes/{id}/approval-statement')) {
      actions.push(actionButton(status, refresh, 'Approve with passkey', () => approveWithPasskey(`/policy/changes/${c.id}/approval-statement`, `/policy/changes/${c.id}/approve`, myKey.userVerification), 'Approval signed with your passkey and recorded.'));
    } else {
      actions.push(actionButton(status, refresh, 'Approve', () => api(`/policy/changes/${c.id}/approve`, { method: 'POST', auth: true }), 'Approval recorded.'));
    }
  }
  return h('li', { 'data-change': c.id }, changeWords(c), ' ', ...actions, status);
}

export function policyView(value: unknown, session?: Session, refresh: () => void = () => undefined, offered: Set<string> = new Set(), myKey: PasskeyInfo | null = null): HTMLElement {
  const p = value as PolicyWire;
  if (!p.active) return h('p', { class: 'muted' }, 'No spending policy yet: an admin proposes the first one ("soberana policy propose FILE"). Until then nothing can be spent.');
  const a = p.active;
  const pending = p.changes.filter((c) => c.state === 'proposed');
  return h(
    'div',
    { id: 'op-policy-view' },
    h('p', {}, h('strong', {}, a.name), ` — version ${a.version}, in force since ${when(a.activatedAt)}.`),
    h('p', { class: 'muted' }, 'Rules are checked in order; the first that matches decides. The proposer’s own approval never counts.'),
    h('ol', { class: 'rules' }, ...a.rules.map((r) => h('li', {}, h('strong', {}, r.id), r.description ? `: ${r.description}` : '', h('br', {}), h('span', { class: 'muted' }, `→ ${r.then}`)))),
    h('p', {}, `Changing this policy needs ${a.policyChange}.`),
    pending.length ? h('div', { id: 'op-policy-pending' }, h('p', {}, 'Proposed changes waiting for the quorum:'), h('ul', {}, ...pending.map((c) => (session ? pendingChange(c, session, refresh, offered, myKey) : h('li', {}, changeWords(c)))))) : null,
    h('details', {}, h('summary', {}, 'The policy document'), h('pre', { class: 'code' }, a.document)),
  );
}

interface AuditWire { total: number; entries: Array<{ seq: number; actor: string; role: string; action: string; object: string; at: string; hash: string }> }
interface VerifyWire { ok: boolean; summary: string }

export async function auditView(value: unknown): Promise<HTMLElement> {
  const log = value as AuditWire;
  let verdict: HTMLElement;
  try {
    const v = await api<VerifyWire>('/audit/verify', { auth: true });
    verdict = h('p', { id: 'audit-verdict', class: v.ok ? 'pos' : 'error', 'data-ok': String(v.ok) }, v.ok ? '✔ ' : '✖ ', v.summary);
  } catch (e) {
    verdict = h('p', { id: 'audit-verdict', class: 'error' }, e instanceof Error ? e.message : String(e));
  }
  return h(
    'div',
    {},
    verdict,
    h('p', { class: 'muted' }, `Every step is chained to the one before by its hash: editing, reordering or deleting a row breaks the chain. Newest first; ${log.entries.length} of ${log.total} shown.`),
    table(['#', 'When', 'Who', 'As', 'What', 'On'], log.entries.map((e) => [String(e.seq), when(e.at), e.actor, e.role, e.action, e.object]), { id: 'op-audit-table' }),
  );
}
