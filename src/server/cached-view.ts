/**
 * A short-lived cache in front of the public view. The public dataset changes only when a sync
 * commits (a block every ten minutes or so), while the dashboard and the world may ask for it
 * thousands of times a second: each answer is reused for `ttlMs`, and concurrent requests for
 * the same thing share one query. Failures are not cached.
 */
import type { Clock } from '../core/ports.ts';
import type { PublicReserveView, TransactionQuery } from '../core/transparency/public-view.ts';

const MAX_ENTRIES = 1000;

/** The view with `invalidate()`: drop every cached answer (the chain moved; see live-events.ts). */
export type CachedPublicView = PublicReserveView & { invalidate(): void };

export function cachedPublicView(view: PublicReserveView, ttlMs: number, clock: Clock): CachedPublicView {
  if (ttlMs <= 0) return { ...bind(view), invalidate: () => undefined };
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  function get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value as Promise<T>;
    if (entries.size >= MAX_ENTRIES) {
      for (const [k, e] of entries) if (now - e.at >= ttlMs) entries.delete(k);
      if (entries.size >= MAX_ENTRIES) entries.clear();
    }
    const value = load();
    entries.set(key, { at: now, value });
    value.catch(() => {
      if (entries.get(key)?.value === value) entries.delete(key);
    });
    return value;
  }
  return {
    invalidate: () => entries.clear(),
    summary: () => get('summary', () => view.summary()),
    holdings: () => get('holdings', () => view.holdings()),
    addresses: () => get('addresses', () => view.addresses()),
    transactions: (q: TransactionQuery) => get(`tx:${q.limit}:${q.before ?? ''}`, () => view.transactions(q)),
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
