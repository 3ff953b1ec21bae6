/**
 * A Bitcoin-Core-style JSON-RPC client: user/password or cookie-file auth, batched calls,
 * binary GETs (for the REST interface), timeouts and bounded retries with backoff.
 *
 * Transport failures become DomainErrors (CHAIN_UNAVAILABLE, CHAIN_AUTH_FAILED,
 * CHAIN_BAD_RESPONSE); an error the node itself returns for one call is an `RpcError`
 * carrying the node's numeric code, which the adapter maps (never by message text).
 */
import { readFile } from 'node:fs/promises';
import { DomainError } from '../../core/errors.ts';
import { badResponse, redactEndpoint, sleep, transportError, type FetchLike, type FetchResponseLike } from './errors.ts';

/** Bitcoin Core's RPC error codes that the adapters branch on. */
export const RPC_CODE = {
  MISC_ERROR: -1,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  DESERIALIZATION_ERROR: -22,
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  IN_WARMUP: -28,
  METHOD_NOT_FOUND: -32601,
} as const;

/** An error the node returned for one call (the call reached the node and was refused). */
export class RpcError extends Error {
  readonly code: number;
  readonly method: string;
  constructor(method: string, code: number, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.method = method;
  }
}

export interface RpcClientOptions {
  /** e.g. http://127.0.0.1:8332/ — credentials in the URL are accepted and moved to the header. */
  readonly url: string;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Bitcoin Core's `.cookie` file (`__cookie__:<password>`); re-read after a 401 (it changes on restart). */
  readonly cookieFile?: string | undefined;
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries after a transport failure or a 5xx without a JSON-RPC body. Default 3. */
  readonly retries?: number;
  /** First backoff delay, doubled each retry. Default 150 ms. */
  readonly retryDelayMs?: number;
  readonly fetch?: FetchLike;
}

export interface RpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

/** One outcome of a batch: the result, or the node's error for that call. */
export type RpcOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: RpcError };

export class JsonRpcClient {
  /** The URL without credentials, for messages. */
  readonly endpoint: string;
  readonly #url: string;
  readonly #user: string | undefined;
  readonly #password: string | undefined;
  readonly #cookieFile: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: FetchLike;
  #cookieAuth: string | undefined;
  #nextId = 1;
  readonly #inflight = new Set<AbortController>();

  constructor(opts: RpcClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new DomainError('INVALID_CONFIG', `the chain RPC URL "${opts.url}" is not a valid URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DomainError('INVALID_CONFIG', `the chain RPC URL must be http:// or https://, got ${u.protocol}`);
    this.#user = opts.user ?? (u.username ? decodeURIComponent(u.username) : undefined);
    this.#password = opts.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    u.username = '';
    u.password = '';
    this.#url = u.toString();
    this.endpoint = redactEndpoint(this.#url);
    this.#cookieFile = opts.cookieFile;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#retries = opts.retries ?? 3;
    this.#retryDelayMs = opts.retryDelayMs ?? 150;
    this.#fetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  /** Call one method; the node's error becomes an `RpcError`. */
  async call(method: string, params: readonly unknown[] = []): Promise<unknown> {
    const id = this.#nextId++;
    const body = await this.#post(JSON.stringify({ jsonrpc: '1.0', id, method, params }));
    return unwrap(this.endpoint, method, body, id);
  }

  /** Call several methods in one HTTP request; outcomes are in the order of `calls`. */
  async batch(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    if (calls.length === 0) return [];
    const first = this.#nextId;
    this.#nextId += calls.length;
    const payload = calls.map((c, i) => ({ jsonrpc: '1.0', id: first + i, method: c.method, params: c.params }));
    const body = await this.#post(JSON.stringify(payload));
    if (!Array.isArray(body)) throw badResponse(this.endpoint, 'a batch call did not return an array');
    const byId = new Map<number, unknown>();
    for (const item of body) {
      if (typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'number') byId.set((item as { id: number }).id, item);
    }
    return calls.map((c, i) => {
      const item = byId.get(first + i);
      if (item === undefined) throw badResponse(this.endpoint, `the batch answer has no reply for ${c.method}`);
      try {
        return { ok: true, result: unwrap(this.endpoint, c.method, item, first + i) } as const;
      } catch (e) {
        if (e instanceof RpcError) return { ok: false, error: e } as const;
        throw e;
      }
    });
  }

  /**
   * GET a binary resource under the same host (e.g. `/rest/block/<hash>.bin`).
   * Resolves to null on 404 (resource or interface not there).
   */
  async getBinary(path: string): Promise<Uint8Array | null> {
    const url = new URL(path, this.#url).toString();
    const res = await this.#request(url, 'GET', undefined);
    if (res.status === 404) return null;
    if (res.status !== 200) throw badResponse(this.endpoint, `GET ${path} answered HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Abort requests in flight. */
  close(): void {
    for (const c of this.#inflight) c.abort();
    this.#inflight.clear();
  }

  async #post(body: string): Promise<unknown> {
    const res = await this.#request(this.#url, 'POST', body);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw badResponse(this.endpoint, `HTTP ${res.status} with a body that is not JSON`);
    }
    return json;
  }

  /** Send with auth, timeout and retries; maps 401/403 and persistent 5xx to DomainErrors. */
  async #request(url: string, method: 'GET' | 'POST', body: string | undefined): Promise<FetchResponseLike> {
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let res: FetchResponseLike;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(new DOMException('timeout', 'TimeoutError')), this.#timeoutMs);
      this.#inflight.add(ctl);
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const auth = await this.#authorization();
        if (auth) headers.authorization = auth;
        res = await this.#fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: ctl.signal });
      } catch (e) {
        if (e instanceof DomainError) throw e;
        const reason: unknown = ctl.signal.aborted ? ctl.signal.reason : e;
        // Retry only what a restart or a blip explains: the connection failing, not a timeout or close().
        if (attempt < this.#retries && !ctl.signal.aborted && isConnectionFailure(e)) {
          await sleep(this.#retryDelayMs * 2 ** attempt);
          continue;
        }
        throw transportError(this.endpoint, reason, this.#timeoutMs);
      } finally {
        clearTimeout(timer);
        this.#inflight.delete(ctl);
      }
      if (res.status === 401 || res.status === 403) {
        if (this.#cookieFile && !authRetried) {
          authRetried = true;
          this.#cookieAuth = undefined;
          continue;
        }
        throw new DomainError('CHAIN_AUTH_FAILED', `the node at ${this.endpoint} refused the RPC credentials (HTTP ${res.status})`);
      }
      if (res.status >= 500 && !(await isJsonRpcBody(res))) {
        if (attempt < this.#retries) {
          await sleep(this.#retryDelayMs * 2 ** attempt);
          continue;
        }
        throw new DomainError('CHAIN_UNAVAILABLE', `the node at ${this.endpoint} answered HTTP ${res.status} after ${attempt + 1} attempts`);
      }
      return res;
    }
  }

  async #authorization(): Promise<string | undefined> {
    if (this.#user !== undefined || this.#password !== undefined) {
      return 'Basic ' + Buffer.from(`${this.#user ?? ''}:${this.#password ?? ''}`).toString('base64');
    }
    if (this.#cookieFile) {
      if (this.#cookieAuth === undefined) {
        let cookie: string;
        try {
          cookie = (await readFile(this.#cookieFile, 'utf8')).trim();
        } catch {
          throw new DomainError('CHAIN_AUTH_FAILED', `cannot read the RPC cookie file ${this.#cookieFile} (is the node running, and may this user read its data directory?)`);
        }
        if (!cookie.includes(':')) throw new DomainError('CHAIN_AUTH_FAILED', `the RPC cookie file ${this.#cookieFile} is not in user:password form`);
        this.#cookieAuth = 'Basic ' + Buffer.from(cookie).toString('base64');
      }
      return this.#cookieAuth;
    }
    return undefined;
  }
}

/** undici reports network failures as TypeError('fetch failed') with a cause; other transports throw Errors with a code. */
function isConnectionFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return (e instanceof TypeError && cause !== undefined) || typeof (e as { code?: unknown }).code === 'string' || typeof cause?.code === 'string';
}

/**
 * Bitcoin Core answers a refused call with HTTP 500 (or 404 for an unknown method) and a JSON-RPC
 * body; such an answer is the node speaking, not the transport failing. Peeks without consuming:
 * the response text is cached on the object.
 */
async function isJsonRpcBody(res: FetchResponseLike): Promise<boolean> {
  const text = await res.text();
  (res as { text: () => Promise<string> }).text = () => Promise.resolve(text);
  try {
    const j: unknown = JSON.parse(text);
    return typeof j === 'object' && j !== null && 'error' in j;
  } catch {
    return false;
  }
}

function unwrap(endpoint: string, method: string, body: unknown, id: number): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badResponse(endpoint, `${method} did not return a JSON-RPC object`);
  const o = body as { result?: unknown; error?: unknown; id?: unknown };
  if (o.id !== undefined && o.id !== null && o.id !== id) throw badResponse(endpoint, `${method} answered with id ${String(o.id)} instead of ${id}`);
  if (o.error !== undefined && o.error !== null) {
    const err = o.error as { code?: unknown; message?: unknown };
    if (typeof err !== 'object' || typeof err.code !== 'number') throw badResponse(endpoint, `${method} returned an error without a code`);
    throw new RpcError(method, err.code, typeof err.message === 'string' ? err.message : 'unknown error');
  }
  if (!('result' in o)) throw badResponse(endpoint, `${method} returned neither result nor error`);
  return o.result;
}
