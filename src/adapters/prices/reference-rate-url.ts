/**
 * Reference rates fetched from a URL (the same CSV or JSON as the file, see `reference-rates.ts`),
 * with an injected `fetch`. An answer is reused for `cacheMs`, counted with the `nowMs` each
 * lookup passes (no clock is read here). When a refresh fails, the last good answer is used if
 * there is one — its prices still have to pass the engine's age limit, so this never stretches how
 * old a price may be — and the failure is remembered for `retryAfterFailureMs`, so an outage costs
 * one timeout, not one per decision. Without a good answer the failure is the error:
 * PRICE_UNAVAILABLE (unreachable, timeout, HTTP error) or MALFORMED_DATA (unreadable body).
 */
import { DomainError, isDomainError } from '../../core/errors.ts';
import type { BtcPriceSource } from '../../core/policy/price-source.ts';
import type { PriceHistory } from '../../core/transparency/public-view.ts';
import { parseReferenceRates, quoteAt } from './reference-rates.ts';

export interface ReferenceRateUrlOptions {
  /**
   * http: or https: URL. User and password in it are sent as HTTP Basic authorization; they and
   * the query string never appear in messages or decisions.
   */
  readonly url: string;
  readonly fetch: typeof globalThis.fetch;
  /** How long an answer is reused; default 10 minutes. */
  readonly cacheMs?: number;
  /** Give up on a request after this long; default 10 seconds. */
  readonly timeoutMs?: number;
  /** After a failed refresh, wait this long before trying again; default 30 seconds (capped at cacheMs). */
  readonly retryAfterFailureMs?: number;
}

export const DEFAULT_PRICE_CACHE_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_AFTER_FAILURE_MS = 30_000;
/** Largest answer read. */
export const MAX_REFERENCE_RATE_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The URL as it may be shown: scheme, host and path; no user, password, query or fragment.
 * @example redactUrl('https://u:p@rates.example/btc?key=s3cret') === 'https://rates.example/btc?…'
 */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search !== '' ? '?…' : ''}`;
}

export function referenceRateUrlSource(opts: ReferenceRateUrlOptions): BtcPriceSource {
  let parsed: URL;
  try {
    parsed = new URL(opts.url);
  } catch {
    throw new RangeError(`"url" expected an http(s) URL, got ${opts.url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError(`"url" expected an http(s) URL, got ${parsed.protocol}`);
  const cacheMs = opts.cacheMs ?? DEFAULT_PRICE_CACHE_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryMs = Math.min(opts.retryAfterFailureMs ?? DEFAULT_RETRY_AFTER_FAILURE_MS, cacheMs);
  for (const [label, v] of [['cacheMs', cacheMs], ['timeoutMs', timeoutMs], ['retryAfterFailureMs', retryMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`"${label}" expected a non-negative integer of ms, got ${v}`);
  }
  const description = `price URL ${redactUrl(opts.url)}`;
  const headers: Record<string, string> = { accept: 'text/csv, application/json;q=0.9, */*;q=0.1' };
  if (parsed.username !== '' || parsed.password !== '') {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  const target = parsed.href;

  let good: { readonly history: PriceHistory; readonly atMs: number } | null = null;
  let failed: { readonly error: DomainError; readonly atMs: number } | null = null;
  let inFlight: Promise<PriceHistory> | null = null;

  const fresh = (atMs: number, nowMs: number, ttl: number): boolean => nowMs >= atMs && nowMs - atMs < ttl;

  async function download(): Promise<PriceHistory> {
    let res: Response;
    try {
      res = await opts.fetch(target, { signal: AbortSignal.timeout(timeoutMs), headers });
    } catch (e) {
      throw new DomainError('PRICE_UNAVAILABLE', `${description} cannot be reached (${reason(e)})`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new DomainError('PRICE_UNAVAILABLE', `${description} answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_REFERENCE_RATE_RESPONSE_BYTES) {
      await res.body?.cancel().catch(() => undefined);
      throw new DomainError('MALFORMED_DATA', `${description} answered more than ${MAX_REFERENCE_RATE_RESPONSE_BYTES} bytes`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new DomainError('PRICE_UNAVAILABLE', `${description} broke off its answer (${reason(e)})`);
    }
    if (text.length > MAX_REFERENCE_RATE_RESPONSE_BYTES) throw new DomainError('MALFORMED_DATA', `${description} answered more than ${MAX_REFERENCE_RATE_RESPONSE_BYTES} bytes`);
    return parseReferenceRates(text, description);
  }

  async function history(nowMs: number): Promise<PriceHistory> {
    if (good !== null && fresh(good.atMs, nowMs, cacheMs)) return good.history;
    if (failed !== null && fresh(failed.atMs, nowMs, retryMs)) {
      if (good !== null) return good.history;
      throw failed.error;
    }
    inFlight ??= download().finally(() => {
      inFlight = null;
    });
    try {
      const h = await inFlight;
      good = { history: h, atMs: nowMs };
      failed = null;
      return h;
    } catch (e) {
      if (!isDomainError(e)) throw e;
      failed = { error: e, atMs: nowMs };
      if (good !== null) return good.history;
      throw e;
    }
  }

  return { description, latest: async (nowMs) => quoteAt(await history(nowMs), nowMs, description) };
}

/** Why a request failed, in a few words: the system error code when there is one. */
function reason(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    const cause = (e as { cause?: unknown }).cause;
    if (typeof cause === 'object' && cause !== null && 'code' in cause) return String((cause as { code: unknown }).code);
    return e.message.replace(/[\r\n]+/g, ' ').replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '(url)');
  }
  return String(e);
}
