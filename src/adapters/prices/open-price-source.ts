/**
 * The configured BTC/USD price source (`prices.source` / SOBERANA_PRICE_SOURCE) and the age limit
 * the policy engine applies to it (`prices.maxAgeDays`).
 * @example
 *   const prices = openPriceSource(config.prices);
 *   const { price, priceProblem } = await priceForDecision(prices, nowMs);
 *   evaluatePolicy(policy, { …, price, priceProblem, maxPriceAgeMs: maxPriceAgeMs(config.prices) });
 */
import { assertNever } from '../../core/errors.ts';
import type { BtcPriceSource } from '../../core/policy/price-source.ts';
import { shippedPriceSource } from './history-price-source.ts';
import type { PriceConfig } from './price-config.ts';
import { referenceRateFileSource } from './reference-rate-file.ts';
import { referenceRateUrlSource } from './reference-rate-url.ts';

export interface OpenPriceSourceOptions {
  /** For a URL source; default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

export function openPriceSource(config: PriceConfig, opts: OpenPriceSourceOptions = {}): BtcPriceSource {
  const s = config.source;
  switch (s.kind) {
    case 'shipped':
      return shippedPriceSource();
    case 'file':
      return referenceRateFileSource(s.path);
    case 'url':
      return referenceRateUrlSource({ url: s.url, fetch: opts.fetch ?? globalThis.fetch, cacheMs: config.cacheSeconds * 1000 });
    default:
      return assertNever(s, 'openPriceSource: price source kind');
  }
}

export { maxPriceAgeMs } from './price-config.ts';

