/**
 * A short-lived cache in front of the public view. The public dataset changes only when a sync
 * commits (a block every ten minutes or so), while the dashboard and the world may ask for it
 * thousands of times a second: each answer is reused for `ttlMs`, and concurrent requests for
 * the same thing share one query.
 *
 * Stale while revalidate: once an answer is older than `ttlMs`, the next request starts one
 * refresh (single flight) and, like every request until that refresh ends, gets the previous
 * answer at once; the refresh's answer is served from then on. The TTL only bounds how long a
 * change made elsewhere (a sync in another process) can go unseen, so nobody waits for it.
 * `invalidate()` is different: it says the data did change (the chain moved, see live-events.ts),
 * so the previous answers are dropped and the next request waits for a fresh one — a page that
 * has just heard "new block" never gets the old numbers. A refresh that was running when the
 * cache was invalidated is not kept. Failures are not cached (a failed refresh drops the entry, so
 * the next request asks again and sees the error if it persists).
 */
import type { Clock } from '../core/ports.ts';
import type { PublicReserveView, TransactionQuery } from '../core/transparency/public-view.ts';

const MAX_ENTRIES = 1000;

/** The view with `invalidate()`: drop every cached answer (the chain moved; see live-events.ts). */
export type CachedPublicView = PublicReserveView & { invalidate(): void };

/** A transaction query as the public route passes it: `vault` narrows to one vault (views that know it). */
export type PublicTransactionQuery = TransactionQuery & { readonly vault?: string };

interface Entry {
  /** When `value` was asked for (clock ms). */
  at: number;
  value: Promise<unknown>;
  /** Whether `value` has resolved (only a resolved answer is served stale; a pending one is shared). */
  settled: boolean;
  /** A refresh is under way while `value` is served stale. */
  refreshing: boolean;
}

export function cachedPublicView(view: PublicReserveView, ttlMs: number, clock: Clock): CachedPublicView {
  if (ttlMs <= 0) return { ...bind(view), invalidate: () => undefined };
  const entries = new Map<string, Entry>();
  let generation = 0;

  /** Keep `value` under `key` unless something newer took its place; a failure removes it. */
  function track(key: string, entry: Entry): void {
    entry.value.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
  }

  function refresh<T>(key: string, stale: Entry, load: () => Promise<T>): void {
    stale.refreshing = true;
    const gen = generation;
    const at = clock.now();
    const next = load();
    next.then(
      () => {
        // invalidated meanwhile (the answer may predate the change), or replaced: do not keep it
        if (gen !== generation || entries.get(key) !== stale) return;
        entries.set(key, { at, value: next, settled: true, refreshing: false });
      },
      () => {
        if (entries.get(key) === stale) entries.delete(key);
      },
    );
  }

  function get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit) {
      if (now - hit.at >= ttlMs && hit.settled && !hit.refreshing) refresh(key, hit, load);
      return hit.value as Promise<T>;
    }
    if (entries.size >= MAX_ENTRIES) {
      for (const [k, e] of entries) if (now - e.at >= ttlMs && !e.refreshing) entries.delete(k);
      if (entries.size >= MAX_ENTRIES) entries.clear();
    }
    const entry: Entry = { at: now, value: load(), settled: false, refreshing: false };
    entries.set(key, entry);
    track(key, entry);
    return entry.value as Promise<T>;
  }

  return {
    invalidate: () => {
      generation++;
      entries.clear();
    },
    summary: () => get('summary', () => view.summary()),
    holdings: () => get('holdings', () => view.holdings()),
    addresses: () => get('addresses', () => view.addresses()),
    transactions: (q: PublicTransactionQuery) => get(`tx:${q.limit}:${q.before ?? ''}:${q.vault ?? ''}`, () => view.transactions(q)),
    verification: () => get('verification', () => view.verification()),
  };
}

function bind(view: PublicReserveView): PublicReserveView {
  return {
    summary: () => view.summary(),
    holdings: () => view.holdings(),
    addresses: () => view.addresses(),
    transactions: (q: TransactionQuery) => view.transactions(q),
    verification: () => view.verification(),
  };
}
