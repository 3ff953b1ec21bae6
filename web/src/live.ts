// Live updates (issue #18 item 4): the server's stream GET /api/v1/public/events says when the
// chain moved (`block`) or unconfirmed transactions to a vault changed (`mempool`); it carries no
// reserve data, so the page refetches the public routes (whose cache the server has just emptied).
// EventSource reconnects on its own after a dropped connection; when the server refused the stream
// (closed for good: too many subscribers, an older server) we try again later, more slowly each time.

export interface LiveMove { kind: 'block' | 'mempool' | 'tip'; height: number; hash: string; time: number }
export type LiveState = 'connecting' | 'live' | 'retrying' | 'unsupported';

export const EVENTS_URL = '/api/v1/public/events';

export interface LiveOptions {
  /** A block or mempool change: refetch and redraw. Several within `debounceMs` are one call. */
  onMove: (m: LiveMove) => void;
  /** The stream's state, for the indicator. */
  onState?: (s: LiveState, last: LiveMove | null) => void;
  debounceMs?: number;
}

/** Subscribe; returns the function that stops it. */
export function startLive(opts: LiveOptions): () => void {
  if (typeof EventSource === 'undefined') {
    opts.onState?.('unsupported', null);
    return () => undefined;
  }
  let source: EventSource | null = null;
  let stopped = false;
  let retryMs = 5000;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let debounce: ReturnType<typeof setTimeout> | null = null;
  let pending: LiveMove | null = null;
  let last: LiveMove | null = null;

  const parse = (e: MessageEvent): LiveMove | null => {
    try {
      const d = JSON.parse(String(e.data)) as Partial<LiveMove>;
      return typeof d.height === 'number' && typeof d.hash === 'string' ? { kind: d.kind ?? 'tip', height: d.height, hash: d.hash, time: typeof d.time === 'number' ? d.time : 0 } : null;
    } catch {
      return null;
    }
  };
  const move = (e: MessageEvent): void => {
    const m = parse(e);
    if (!m) return;
    last = m;
    opts.onState?.('live', last);
    pending = m;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      const p = pending;
      pending = null;
      if (p && !stopped) opts.onMove(p);
    }, opts.debounceMs ?? 250);
  };

  const connect = (): void => {
    if (stopped) return;
    opts.onState?.('connecting', last);
    const s = new EventSource(EVENTS_URL);
    source = s;
    s.addEventListener('open', () => {
      retryMs = 5000;
      opts.onState?.('live', last);
    });
    s.addEventListener('tip', (e) => {
      const m = parse(e as MessageEvent);
      // a reconnect after a missed block: the tip differs from the last one seen, so redraw
      if (m && last && m.hash !== last.hash) move(e as MessageEvent);
      else if (m) {
        last = m;
        opts.onState?.('live', last);
      }
    });
    s.addEventListener('block', (e) => move(e as MessageEvent));
    s.addEventListener('mempool', (e) => move(e as MessageEvent));
    s.addEventListener('error', () => {
      if (stopped) return;
      if (s.readyState === EventSource.CLOSED) {
        // refused (not just dropped): the browser will not retry by itself
        opts.onState?.('retrying', last);
        s.close();
        retryTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 5 * 60_000);
      } else {
        opts.onState?.('retrying', last); // the browser reconnects after the server's `retry:`
      }
    });
  };
  connect();
  return () => {
    stopped = true;
    source?.close();
    if (retryTimer) clearTimeout(retryTimer);
    if (debounce) clearTimeout(debounce);
  };
}
