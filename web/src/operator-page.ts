// Operator pages behind a token: the session, then whatever the API offers to this role.
// Sections for endpoints the server does not offer yet say so instead of pretending.
import { api, ApiError, getToken, setToken, type OpenApiDoc, type Session, type TokenInfo } from './api.ts';
import { append, h, section, setText, table } from './dom.ts';
import { auditView, policyView, proposalsView } from './governance-panels.ts';
import { lotsPanel } from './accounting-panels.ts';
import { miningPanel } from './mining-panel.ts';
import { passkeyInfo, passkeyUnavailable, registerPasskey, type PasskeyInfo } from './passkey.ts';

const AREAS: Array<{ title: string; id: string; paths: string[]; what: string }> = [
  { title: 'Vaults', id: 'op-vaults', paths: ['/api/v1/vaults'], what: 'the reserve’s wallets with their keys and balances' },
  { title: 'Spend proposals', id: 'op-proposals', paths: ['/api/v1/proposals'], what: 'proposals with their approval state, PSBT download and upload' },
  { title: 'Spending policy', id: 'op-policy', paths: ['/api/v1/policy'], what: 'the rules every spend is checked against' },
  { title: 'Audit log', id: 'op-audit', paths: ['/api/v1/audit'], what: 'the tamper-evident record of every step' },
];

function loginForm(root: HTMLElement, message: string | null): void {
  const input = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'off', placeholder: 'sob_…', required: true }) as HTMLInputElement;
  const form = h(
    'form',
    { class: 'login', id: 'login-form' },
    h('label', { for: 'token-input' }, 'Your API token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    h('p', { class: 'muted' }, 'Ask your administrator for a token ("soberana token create --role operator --name …"). It is kept only in this browser tab.'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void renderOperator(root);
  });
  root.replaceChildren(h('h1', {}, 'Operators'), form);
}

interface VaultRow {
  id: string; name: string; kind: string; network: string; threshold: number | null; syncedHeight: number | null;
  keys: Array<{ fingerprint: string | null; holder: string | null }>; confirmed: { btc: string }; unconfirmed: { sats: string; btc: string };
}

/** The vault list, in plain words: who holds the keys, how many must sign, what it holds. */
function vaultsTable(value: unknown): HTMLElement {
  const vaults = (value as { vaults: VaultRow[] }).vaults;
  if (vaults.length === 0) return h('p', { class: 'muted' }, 'No vaults yet ("soberana vault add …").');
  return table(
    ['Vault', 'Signatures to spend', 'Key holders', 'Synced to block', 'Confirmed BTC', 'Waiting'],
    vaults.map((v) => [
      h('span', {}, h('strong', {}, v.name), h('br', {}), h('code', { class: 'muted' }, v.id)),
      v.kind === 'addresses' ? 'watched addresses' : v.threshold ? `${v.threshold} of ${v.keys.length}` : `${v.keys.length} key(s)`,
      v.keys.map((k) => k.holder ?? k.fingerprint ?? '?').join(', ') || '—',
      v.syncedHeight === null ? 'not synced yet' : v.syncedHeight.toLocaleString('en-US'),
      v.confirmed.btc,
      v.unconfirmed.sats === '0' ? '—' : v.unconfirmed.btc,
    ]),
    { id: 'op-vaults-table', numeric: [3, 4, 5] },
  );
}

function genericTable(value: unknown): HTMLElement {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value as Record<string, unknown>).find(Array.isArray) : null;
  if (!Array.isArray(list)) return h('pre', { class: 'code' }, JSON.stringify(value, null, 2));
  if (list.length === 0) return h('p', { class: 'muted' }, 'Nothing yet.');
  const keys = Object.keys(list[0] as Record<string, unknown>).slice(0, 8);
  return table(keys, list.map((row) => keys.map((k) => {
    const v = (row as Record<string, unknown>)[k];
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  })));
}

async function tokensPanel(): Promise<HTMLElement> {
  const box = section('API tokens', 'op-tokens');
  const render = async (fresh: TokenInfo | null): Promise<void> => {
    const { tokens } = await api<{ tokens: TokenInfo[] }>('/tokens', { auth: true });
    const name = h('input', { type: 'text', id: 'new-token-name', placeholder: 'who holds it', required: true, maxlength: 100 }) as HTMLInputElement;
    const role = h('select', { id: 'new-token-role' }, ...['operator', 'approver', 'auditor', 'admin'].map((r) => h('option', { value: r }, r))) as HTMLSelectElement;
    const form = h('form', { class: 'inline' }, name, role, h('button', { type: 'submit' }, 'Create token'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void api<TokenInfo>('/tokens', { method: 'POST', auth: true, body: { name: name.value, role: role.value } }).then((t) => render(t));
    });
    box.replaceChildren();
    append(box, [
      h('h2', { id: 'op-tokens-title' }, 'API tokens'),
      fresh?.token ? h('div', { class: 'notice', role: 'status' }, h('p', {}, `New token for “${fresh.name}” (${fresh.role}). Copy it now — it will not be shown again:`), h('pre', { class: 'code' }, h('code', { id: 'fresh-token' }, fresh.token))) : null,
      table(
        ['Id', 'Name', 'Role', 'Created', 'State', ''],
        tokens.map((t) => {
          const btn = t.revokedAt ? null : (h('button', { type: 'button', class: 'secondary small' }, 'Revoke') as HTMLButtonElement);
          btn?.addEventListener('click', () => void api(`/tokens/${t.id}`, { method: 'DELETE', auth: true }).then(() => render(null)));
          return [t.id, t.name, t.role, t.createdAt.slice(0, 16).replace('T', ' '), t.revokedAt ? 'revoked' : 'active', btn];
        }),
      ),
      form,
    ]);
  };
  await render(null);
  return box;
}

const KEY_WORDS: Record<string, string> = {
  passkey: 'a passkey (approve from this dashboard with “Approve with passkey”)',
  bip340: 'a key file on the command line (soberana … --key FILE)',
};

/** An approver's own approval key: which kind is registered, and registering a passkey (a change the quorum approves). */
function approvalKeyPanel(info: PasskeyInfo): HTMLElement {
  const status = h('p', { class: 'op-status', role: 'status', id: 'passkey-status' });
  const unavailable = passkeyUnavailable(info);
  const button = h('button', { type: 'button', class: 'secondary small', id: 'passkey-register', disabled: unavailable !== null }, info.approvalKey === 'passkey' ? 'Replace my passkey' : 'Register a passkey') as HTMLButtonElement;
  button.addEventListener('click', () => {
    button.disabled = true;
    setText(status, 'Follow your browser’s prompt to make a passkey…');
    status.className = 'op-status';
    registerPasskey(info).then(
      (r) => {
        // No re-render: this line is what the person needs to read (the change shows under the policy after a reload).
        setText(status, `Proposed as member change ${r.changeId}: your passkey becomes your approval key once the quorum approves it (${r.requirement}; your own approval does not count).`);
        status.setAttribute('data-change', String(r.changeId));
      },
      (e: unknown) => {
        setText(status, e instanceof Error ? e.message : String(e));
        status.className = 'op-status error';
        button.disabled = false;
      },
    );
  });
  return section(
    'Your approval key',
    'op-approval-key',
    h('p', { id: 'approval-key-kind', 'data-kind': info.approvalKey ?? 'none' }, info.approvalKey ? `You approve with ${KEY_WORDS[info.approvalKey] ?? info.approvalKey}.` : 'You have no approval key yet: outside the test network your approvals must be signed.'),
    h('p', { class: 'muted' }, `A passkey is made and kept by your device (security key, phone or computer) for ${info.rpId}; Soberana stores only its public key. Binding it to you is a member change that the quorum approves, so nobody holding your token alone can replace your key.`),
    unavailable ? h('p', { class: 'muted' }, unavailable) : null,
    h('div', { class: 'actions' }, button),
    status,
  );
}

export async function renderOperator(root: HTMLElement): Promise<void> {
  if (!getToken()) return loginForm(root, null);
  let session: Session;
  try {
    session = await api<Session>('/session', { auth: true });
  } catch (e) {
    setToken(null);
    return loginForm(root, e instanceof ApiError ? e.message : 'could not reach the server');
  }
  const doc = await api<OpenApiDoc>('/openapi.json');
  const signOut = h('button', { type: 'button', class: 'secondary small', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    setToken(null);
    loginForm(root, null);
  });
  const who = h(
    'div',
    { class: 'session', id: 'session' },
    h('p', {}, 'Signed in as ', h('strong', { id: 'session-name' }, session.tokenName), ' with the role ', h('strong', { id: 'session-role' }, session.role), '. ', signOut),
    h('p', { class: 'muted' }, `You may: ${session.permissions.join(', ')}.`),
  );
  const panels: HTMLElement[] = [];
  let myKey: PasskeyInfo | null = null;
  if (doc.paths['/api/v1/members/me/passkey'] && session.permissions.includes('proposals.approve')) {
    try {
      myKey = await passkeyInfo();
      panels.push(approvalKeyPanel(myKey));
    } catch (e) {
      panels.push(section('Your approval key', 'op-approval-key', h('p', { class: 'error' }, e instanceof Error ? e.message : String(e))));
    }
  }
  for (const area of AREAS) {
    const offered = area.paths.filter((p) => doc.paths[p]);
    if (offered.length === 0) {
      panels.push(section(area.title, area.id, h('p', { class: 'muted' }, `This server does not offer ${area.what} yet.`)));
      continue;
    }
    const panel = section(area.title, area.id);
    for (const p of offered) {
      const op = doc.paths[p]?.get;
      if (!op || !session.permissions.includes(op['x-permission'] ?? '')) {
        panel.append(h('p', { class: 'muted' }, 'Your role may not see this.'));
        continue;
      }
      try {
        const data = await api<unknown>(p.replace('/api/v1', ''), { auth: true });
        const paths = new Set(Object.keys(doc.paths));
        const refresh = (): void => void renderOperator(root);
        panel.append(
          p === '/api/v1/vaults' ? vaultsTable(data)
            : p === '/api/v1/proposals' ? proposalsView(data, session, refresh, paths, myKey)
              : p === '/api/v1/policy' ? policyView(data, session, refresh, paths, myKey)
                : p === '/api/v1/audit' ? await auditView(data)
                  : genericTable(data),
        );
      } catch (e) {
        panel.append(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
      }
    }
    panels.push(panel);
  }
  if (doc.paths['/api/v1/books/lots'] && session.permissions.includes(doc.paths['/api/v1/books/lots']?.get?.['x-permission'] ?? '')) panels.push(await lotsPanel());
  if (doc.paths['/api/v1/mining/ventures'] && session.permissions.includes('reserve.read')) panels.push(await miningPanel()); // mining ventures (issue #17)
  if (session.permissions.includes('tokens.manage')) panels.push(await tokensPanel());
  const offeredOps = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).filter(([, op]) => session.permissions.includes(op['x-permission'] ?? '')).map(([m, op]) => [m.toUpperCase(), p, op.summary ?? '']),
  );
  panels.push(section('What this API offers you', 'op-endpoints', table(['Method', 'Path', 'What it does'], offeredOps.map((r) => r.map((c) => h('span', {}, c)))), h('p', { class: 'muted' }, h('a', { href: '/api/v1/openapi.json' }, 'The full OpenAPI description'))));
  root.replaceChildren(h('h1', {}, 'Operators'), who, ...panels);
}
