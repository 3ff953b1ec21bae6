/**
 * The `prices` settings: where USD-limited policy rules get the BTC/USD price and how old it may
 * be. Read by `loadConfig` from the config file's `prices` object and SOBERANA_PRICE_SOURCE:
 *
 * ```json
 * { "prices": { "source": "/srv/treasury/btc-usd.csv", "maxAgeDays": 2, "cacheSeconds": 600 } }
 * ```
 *
 * `source`: `shipped` (default; the daily history in `data/prices/`, whose last day is fixed at
 * release), a file path (a reference-rate file the treasury designates, CSV `Date,BTC_USD` or JSON,
 * re-read when it changes; relative paths are resolved against the working directory, like `db`),
 * or an http(s) URL serving the same format (its answer reused for `cacheSeconds`).
 * SOBERANA_PRICE_SOURCE, when set, replaces `prices.source`.
 */
import { resolve } from 'node:path';
import { DomainError } from '../../core/errors.ts';

export type PriceSourceSetting =
  | { readonly kind: 'shipped' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'url'; readonly url: string };

export interface PriceConfig {
  readonly source: PriceSourceSetting;
  /** A USD-limited rule refuses a price older than this many days (from 00:00 UTC of its day). */
  readonly maxAgeDays: number;
  /** How long an answer from a price URL is reused. */
  readonly cacheSeconds: number;
}

export const DEFAULT_PRICE_CONFIG: PriceConfig = { source: { kind: 'shipped' }, maxAgeDays: 2, cacheSeconds: 600 };

const KEYS = ['source', 'maxAgeDays', 'cacheSeconds'] as const;

/**
 * Read a price source setting: "shipped", an http(s) URL, or a file path.
 * @example parsePriceSourceSetting('https://treasury.example/btc-usd.csv') // { kind: 'url', url: 'https://treasury.example/btc-usd.csv' }
 * @throws DomainError INVALID_CONFIG
 */
export function parsePriceSourceSetting(text: string, label = 'config "prices.source"'): PriceSourceSetting {
  const s = text.trim();
  if (s === '') throw new DomainError('INVALID_CONFIG', `${label} must be "shipped", a file path or an http(s) URL`);
  if (s === 'shipped') return { kind: 'shipped' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new DomainError('INVALID_CONFIG', `${label} is not a valid URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DomainError('INVALID_CONFIG', `${label} must be an http(s) URL, not ${u.protocol}`);
    return { kind: 'url', url: u.href };
  }
  return { kind: 'file', path: resolve(s) };
}

/**
 * The price settings from the environment and the config file's `prices` value (undefined when absent).
 * @throws DomainError INVALID_CONFIG naming the setting
 */
export function priceConfig(env: NodeJS.ProcessEnv, fromFile: unknown): PriceConfig {
  let c: Record<string, unknown> = {};
  if (fromFile !== undefined) {
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new DomainError('INVALID_CONFIG', 'config "prices" must be an object');
    c = fromFile as Record<string, unknown>;
    for (const k of Object.keys(c)) {
      if (!(KEYS as readonly string[]).includes(k)) throw new DomainError('INVALID_CONFIG', `config "prices.${k}" is not a setting (use ${KEYS.join(', ')})`);
    }
  }
  const whole = (k: string, min: number, max: number, dflt: number): number => {
    const v = c[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new DomainError('INVALID_CONFIG', `config "prices.${k}" must be a whole number from ${min} to ${max}`);
    return v;
  };
  let source = DEFAULT_PRICE_CONFIG.source;
  if (env.SOBERANA_PRICE_SOURCE !== undefined && env.SOBERANA_PRICE_SOURCE !== '') {
    source = parsePriceSourceSetting(env.SOBERANA_PRICE_SOURCE, 'SOBERANA_PRICE_SOURCE');
  } else if (c.source !== undefined) {
    if (typeof c.source !== 'string') throw new DomainError('INVALID_CONFIG', 'config "prices.source" must be a string');
    source = parsePriceSourceSetting(c.source);
  }
  return {
    source,
    maxAgeDays: whole('maxAgeDays', 1, 366, DEFAULT_PRICE_CONFIG.maxAgeDays),
    cacheSeconds: whole('cacheSeconds', 0, 86_400, DEFAULT_PRICE_CONFIG.cacheSeconds),
  };
}

/** `maxAgeDays` in ms, for the policy context's `maxPriceAgeMs`. */
export function maxPriceAgeMs(config: PriceConfig): number {
  return config.maxAgeDays * 86_400_000;
}
