/**
 * Record and replay HTTP exchanges for the Esplora adapter's contract test.
 * Exchanges are keyed by method, path (below the API base) and body; repeated requests replay
 * their answers in the recorded order (the last one repeats), so state changes such as a
 * broadcast followed by a mempool read replay faithfully.
 */
import type { FetchInit, FetchLike, FetchResponseLike } from '../../src/adapters/chain/errors.ts';

export interface RecordedExchange {
  readonly method: string;
  readonly path: string;
  readonly body: string | null;
  readonly status: number;
  readonly contentType: string | null;
  /** Response body, base64 (binary-safe). */
  readonly response: string;
}

function key(method: string, path: string, body: string | null): string {
  return `${method} ${path} ${body ?? ''}`;
}

function response(status: number, contentType: string | null, bytes: Uint8Array): FetchResponseLike {
  return {
    status,
    headers: { get: (n: string) => (n.toLowerCase() === 'content-type' ? contentType : null) },
    text: () => Promise.resolve(Buffer.from(bytes).toString('utf8')),
    arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
  };
}

/** Wrap a real fetch; every exchange under `base` is appended to `log`. */
export function recordingFetch(base: string, log: RecordedExchange[]): FetchLike {
  return async (url: string, init: FetchInit) => {
    const res = await fetch(url, init);
    const bytes = new Uint8Array(await res.arrayBuffer());
    log.push({
      method: init.method,
      path: url.startsWith(base) ? url.slice(base.length) : url,
      body: init.body ?? null,
      status: res.status,
      contentType: res.headers.get('content-type'),
      response: Buffer.from(bytes).toString('base64'),
    });
    return response(res.status, res.headers.get('content-type'), bytes);
  };
}

/** Answer from recorded exchanges; a request that was never recorded fails loudly. */
export function replayFetch(base: string, exchanges: readonly RecordedExchange[]): FetchLike {
  const queues = new Map<string, RecordedExchange[]>();
  for (const x of exchanges) {
    const k = key(x.method, x.path, x.body);
    const q = queues.get(k) ?? [];
    q.push(x);
    queues.set(k, q);
  }
  return (url: string, init: FetchInit) => {
    const path = url.startsWith(base) ? url.slice(base.length) : url;
    const q = queues.get(key(init.method, path, init.body ?? null));
    if (!q || q.length === 0) return Promise.reject(new Error(`replayFetch: no recorded answer for ${init.method} ${path}`));
    const x = (q.length > 1 ? q.shift() : q[0]) as RecordedExchange;
    return Promise.resolve(response(x.status, x.contentType, new Uint8Array(Buffer.from(x.response, 'base64'))));
  };
}
