/**
 * Price sources over a daily history already in memory: the shipped file (the default; its last
 * day is fixed at release, so a USD-limited rule refuses once it is older than the age limit — the
 * point: nobody governs a live reserve with a stale bundled price by accident) or any other
 * `PriceHistory`.
 */
import { basename } from 'node:path';
import type { BtcPriceSource } from '../../core/policy/price-source.ts';
import type { PriceHistory } from '../../core/transparency/public-view.ts';
import { DEFAULT_PRICE_FILE, loadPriceHistory } from './csv-price-history.ts';
import { quoteAt } from './reference-rates.ts';

/** The latest day on or before now in `history`. */
export function historyPriceSource(history: PriceHistory, description: string): BtcPriceSource {
  return { description, latest: async (nowMs) => quoteAt(history, nowMs, description) };
}

/** The daily history shipped in `data/prices/`, loaded on first use. */
export function shippedPriceSource(file: string = DEFAULT_PRICE_FILE): BtcPriceSource {
  const description = `shipped daily history ${basename(file)}`;
  let history: PriceHistory | null = null;
  return {
    description,
    latest: async (nowMs) => {
      history ??= loadPriceHistory(file);
      return quoteAt(history, nowMs, description);
    },
  };
}
