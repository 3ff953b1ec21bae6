/**
 * One HTTP request to an Esplora API with a timeout and retries (429, 5xx, connection failures;
 * `Retry-After` honoured up to a cap), shared by the block source and the script-history source.
 */
import { DomainError } from '../../core/errors.ts';
import { redactEndpoint, sleep, transportError, type FetchLike, type FetchResponseLike } from './errors.ts';

export interface EsploraHttp {
  readonly base: string;
  /** The base URL without credentials, for messages. */
  readonly endpoint: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryAfterMs: number;
  /** Requests in flight, aborted by the source's `close()`. */
  readonly inflight: Set<AbortController>;
}

/**
 * Send one request; `read` runs under the same timeout as the answer's head (reading the body
 * there bounds a server that trickles it). Resolves to the status and what `read` returned.
 * @throws CHAIN_UNAVAILABLE (down, timeout, 429/5xx after the retries)
 */
export async function esploraSend<T>(
  http: EsploraHttp,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  read: (res: FetchResponseLike) => Promise<T>,
): Promise<{ readonly status: number; readonly res: FetchResponseLike; readonly value: T }> {
  const url = new URL(path, http.base).toString();
  for (let attempt = 0; ; attempt++) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new DOMException('timeout', 'TimeoutError')), http.timeoutMs);
    http.inflight.add(ctl);
    let res: FetchResponseLike;
    let value: T;
    try {
      res = await http.fetch(url, { method, headers: body !== undefined ? { 'content-type': 'text/plain' } : {}, ...(body !== undefined ? { body } : {}), signal: ctl.signal });
      value = await read(res);
    } catch (e) {
      if (attempt < http.retries && !ctl.signal.aborted) {
        await sleep(http.retryDelayMs * 2 ** attempt);
        continue;
      }
      throw transportError(http.endpoint, ctl.signal.aborted ? ctl.signal.reason : e, http.timeoutMs);
    } finally {
      clearTimeout(timer);
      http.inflight.delete(ctl);
    }
    if (res.status === 429 || res.status >= 500) {
      if (attempt < http.retries) {
        await sleep(retryDelay(http, res, attempt));
        continue;
      }
      if (res.status === 429) throw new DomainError('CHAIN_UNAVAILABLE', `the Esplora API at ${http.endpoint} keeps rate-limiting us (HTTP 429 after ${attempt + 1} attempts)`);
      throw new DomainError('CHAIN_UNAVAILABLE', `the Esplora API at ${http.endpoint} answered HTTP ${res.status} after ${attempt + 1} attempts`);
    }
    return { status: res.status, res, value };
  }
}

/** Exponential backoff, or the server's Retry-After when it asks for longer (capped). */
function retryDelay(http: EsploraHttp, res: FetchResponseLike, attempt: number): number {
  const backoff = http.retryDelayMs * 2 ** attempt;
  const ra = res.headers.get('retry-after');
  const secs = ra === null ? NaN : Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(Math.max(secs * 1000, backoff), http.maxRetryAfterMs);
  return backoff;
}

/** Connection settings both Esplora sources take. */
export interface EsploraHttpOptions {
  /** Base URL of the API, e.g. https://mempool.space/api/ (a trailing slash is added if missing). */
  readonly url: string;
  readonly fetch?: FetchLike | undefined;
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Retries after 429, 5xx or a connection failure. Default 4. */
  readonly retries?: number | undefined;
  /** First backoff delay, doubled each retry. Default 250 ms. */
  readonly retryDelayMs?: number | undefined;
  /** Cap on a server's Retry-After. Default 10 s. */
  readonly maxRetryAfterMs?: number | undefined;
}

/**
 * Check the base URL (http or https; a trailing slash added) and fill the defaults: 30 s timeout,
 * 4 retries from 250 ms, Retry-After honoured up to 10 s.
 * @throws INVALID_CONFIG for a URL that is not http(s)
 */
export function esploraHttp(opts: EsploraHttpOptions): EsploraHttp {
  let u: URL;
  try {
    u = new URL(opts.url);
  } catch {
    throw new DomainError('INVALID_CONFIG', `the Esplora URL "${opts.url}" is not a valid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DomainError('INVALID_CONFIG', `the Esplora URL must be http:// or https://, got ${u.protocol}`);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  const base = u.toString();
  return {
    base,
    endpoint: redactEndpoint(base),
    fetch: opts.fetch ?? (globalThis.fetch as unknown as FetchLike),
    timeoutMs: opts.timeoutMs ?? 30_000,
    retries: opts.retries ?? 4,
    retryDelayMs: opts.retryDelayMs ?? 250,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 10_000,
    inflight: new Set<AbortController>(),
  };
}
