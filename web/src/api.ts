// The dashboard talks only to the HTTP API. Operator calls carry the token from sessionStorage.

const TOKEN_KEY = 'soberana.token';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export async function api<T>(path: string, opts: { method?: string; body?: unknown; auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = opts.auth ? getToken() : null;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method: opts.method ?? 'GET',
    headers,
    // revalidate (ETag) every time: after a live update the browser's copy may be stale within max-age
    cache: 'no-cache',
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? `the server answered ${res.status}`);
  }
  return json as T;
}

export interface Tip { height: number; hash: string; time: number | null }
export interface Summary {
  network: string;
  tip: Tip | null;
  asOf: string;
  confirmedSats: string;
  unconfirmedSats: string;
  confirmedBtc: string;
  fiat: { currency: string; cents: string; priceCents: string; priceDate: string } | null;
  shareOf21M: { percent: string; basisPoints: string };
  vaults: Array<{ id: string; name: string; confirmedSats: string; unconfirmedSats: string; addressCount: number }>;
}
export interface Holdings { currency: string; points: Array<{ date: string; sats: string; usdCents: string | null }> }
export interface AddressRow { address: string; vault: string; kind: string; index: number; confirmedSats: string; unconfirmedSats: string; txCount: number }
export interface TxRow { txid: string; time: number | null; height: number | null; confirmations: number; category: string; netSats: string; vault: string }
export interface TxPage { items: TxRow[]; nextBefore: string | null }
export interface Verify {
  network: string;
  tip: Tip | null;
  vaults: Array<{ id: string; name: string; descriptors: string[]; addresses: string[]; threshold: number | null; keyCount: number | null }>;
  steps: Array<{ title: string; text: string; commands: string[] }>;
}
/** The audit log's head as /public/audit-head publishes it (seq 0 and 64 zeros: no entries yet). */
export interface AuditHead { seq: number; hash: string; at: string | null; entries: number }
export interface Session { role: string; tokenId: string; tokenName: string; permissions: string[] }
export interface TokenInfo { id: string; name: string; role: string; createdAt: string; revokedAt: string | null; token?: string }
export interface OpenApiDoc { paths: Record<string, Record<string, { summary?: string; 'x-permission'?: string; tags?: string[] }>> }
