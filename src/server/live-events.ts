/**
 * Live updates for the public page (issue #18 item 4): `GET /api/v1/public/events` is a
 * server-sent-events stream that says "the chain moved" (a new block, a reorg, or a change in the
 * unconfirmed transactions touching a published vault). It carries no reserve data — only the tip —
 * so a page that hears it refetches the public routes, whose cache the hub has just emptied. Like
 * every public route it is readable cross-origin without credentials.
 */
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../core/errors.ts';

export interface LiveEvent {
  /** `block`: the tip changed (or a reorg); `mempool`: unconfirmed transactions changed. */
  readonly kind: 'block' | 'mempool';
  readonly height: number;
  readonly hash: string;
  /** Block time of the tip, seconds since the epoch. */
  readonly time: number;
}

type Listener = (e: LiveEvent) => void;

/** Fan-out of live events to subscribers (SSE streams, the public cache). */
export class LiveHub {
  readonly #listeners = new Set<Listener>();
  #external = 0;
  #last: LiveEvent | null = null;

  constructor(readonly maxSubscribers = 5000) {
    if (!Number.isSafeInteger(maxSubscribers) || maxSubscribers < 1) throw new RangeError(`LiveHub: maxSubscribers must be a positive integer, got ${maxSubscribers}`);
  }

  /** The latest event, sent first to a new stream so it knows the tip at once. */
  get last(): LiveEvent | null {
    return this.#last;
  }

  /** Live streams (internal listeners such as the public cache not counted). */
  get subscribers(): number {
    return this.#external;
  }

  publish(e: LiveEvent): void {
    this.#last = e;
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // a broken subscriber never stops the others (its stream's close handler unsubscribes it)
      }
    }
  }

  /** Subscribe; returns the unsubscribe function. Internal listeners (the cache) bypass the cap. */
  subscribe(l: Listener, opts: { internal?: boolean } = {}): () => void {
    if (!opts.internal && this.#external >= this.maxSubscribers) throw new DomainError('RATE_LIMITED', 'too many live-update subscribers right now; poll the public routes instead (they carry ETags)');
    const own: Listener = (e) => l(e); // a fresh identity: the same function subscribed twice is two subscriptions
    this.#listeners.add(own);
    if (!opts.internal) this.#external++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#listeners.delete(own);
      if (!opts.internal) this.#external--;
    };
  }
}

/** One SSE frame. Data is JSON on one line (no newline can end the field early). */
export function sseFrame(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const LIVE_EVENTS_URL = '/api/v1/public/events';

/** Register the stream; heartbeats every `heartbeatMs` keep proxies from closing an idle stream. */
export function registerLiveEvents(app: FastifyInstance, hub: LiveHub, opts: { heartbeatMs?: number } = {}): void {
  const heartbeatMs = opts.heartbeatMs ?? 25_000;
  const open = new Set<() => void>();
  // Streams never end by themselves: end them when the server closes, or close() would wait forever.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get(LIVE_EVENTS_URL, async (req, reply) => {
    if (req.headers.authorization !== undefined) throw new DomainError('INVALID_ARGUMENT', 'the live-update stream is public: send it without an Authorization header');
    let unsubscribe: () => void = () => undefined;
    const send = (chunk: string): void => {
      if (!reply.raw.writableEnded) reply.raw.write(chunk);
    };
    unsubscribe = hub.subscribe((e) => send(sseFrame(e.kind, e, `${e.height}:${e.hash}`)));
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
      connection: 'keep-alive',
    });
    send('retry: 5000\n\n');
    if (hub.last) send(sseFrame('tip', hub.last));
    const beat = setInterval(() => send(': ping\n\n'), heartbeatMs);
    beat.unref();
    const close = (): void => {
      clearInterval(beat);
      unsubscribe();
      open.delete(end);
    };
    const end = (): void => {
      close();
      reply.raw.end();
    };
    open.add(end);
    req.raw.on('close', close);
    reply.raw.on('close', close);
    reply.raw.on('error', close);
  });
}
