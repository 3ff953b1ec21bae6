import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DomainError } from '../../core/errors.ts';
import { parseNetwork, type Network } from '../../core/network.ts';
import { priceConfig, type PriceConfig } from '../prices/price-config.ts';
import { minorDigitsOf } from '../prices/fx-csv.ts';
import { originOnRpId, parseRpId } from '../../core/auth/webauthn-origin.ts';
import { explorerSetting } from './explorer-config.ts';

/** The settings of one Soberana installation. */
export interface Config {
  /** SQLite file path or `postgres://…` URL. */
  readonly dbUrl: string;
  readonly network: Network;
  readonly logLevel: string;
  /** Where the chain comes from; undefined until configured. */
  readonly chain: ChainConfig | undefined;
  /** Where the config was read from, if a file. */
  readonly configFile: string | undefined;
  /** The BTC/USD price source for USD-limited policy rules (file `prices`, env SOBERANA_PRICE_SOURCE; see adapters/prices/price-config.ts). */
  readonly prices: PriceConfig;
  /** The HTTP server's settings (`soberana serve`). */
  readonly server: ServerSettings;
  /** The block explorer the public page links to (file `explorer`, see explorer-config.ts); null: none. */
  readonly explorer?: string | null;
  /** The books' settings: national figures to compare the reserve with (file `accounting`). */
  readonly accounting?: AccountingSettings;
}

export type ChainConfig =
  | { readonly kind: 'bitcoind'; readonly url: string; readonly user?: string; readonly password?: string; readonly cookieFile?: string }
  | { readonly kind: 'esplora'; readonly url: string };

export interface ConfigOverrides {
  db?: string | undefined;
  network?: string | undefined;
  config?: string | undefined;
  logLevel?: string | undefined;
}

interface FileConfig {
  db?: unknown;
  network?: unknown;
  logLevel?: unknown;
  chain?: unknown;
  prices?: unknown;
  server?: unknown;
  explorer?: unknown;
  accounting?: unknown;
}

export const DEFAULT_CONFIG_FILE = 'soberana.config.json';

/**
 * Resolve the configuration: command-line flags, then environment variables
 * (SOBERANA_DB or DATABASE_URL, SOBERANA_NETWORK, SOBERANA_LOG_LEVEL, SOBERANA_RPC_URL,
 * SOBERANA_RPC_USER, SOBERANA_RPC_PASSWORD, SOBERANA_RPC_COOKIE, SOBERANA_ESPLORA_URL,
 * SOBERANA_TRUST_PROXY),
 * then the config file (--config, SOBERANA_CONFIG or ./soberana.config.json), then defaults.
 */
export function loadConfig(overrides: ConfigOverrides, env: NodeJS.ProcessEnv = process.env): Config {
  const explicit = overrides.config ?? env.SOBERANA_CONFIG;
  const path = explicit ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let file: FileConfig = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new DomainError('INVALID_CONFIG', `cannot read config file ${path}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      file = parsed as FileConfig;
    } catch {
      throw new DomainError('INVALID_CONFIG', `config file ${path} is not a JSON object`);
    }
  }
  const str = (v: unknown, label: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new DomainError('INVALID_CONFIG', `config "${label}" must be a string`);
    return v;
  };
  const dbUrl = overrides.db ?? env.SOBERANA_DB ?? env.DATABASE_URL ?? str(file.db, 'db') ?? './soberana.db';
  const network = parseNetwork(overrides.network ?? env.SOBERANA_NETWORK ?? str(file.network, 'network') ?? 'main');
  const logLevel = overrides.logLevel ?? env.SOBERANA_LOG_LEVEL ?? str(file.logLevel, 'logLevel') ?? 'warn';
  return { dbUrl, network, logLevel, chain: chainConfig(env, file.chain), configFile: path, prices: priceConfig(env, file.prices), server: serverSettings(env, file.server), explorer: explorerSetting(file.explorer, network), accounting: accountingSettings(file.accounting) };
}

function chainConfig(env: NodeJS.ProcessEnv, fromFile: unknown): ChainConfig | undefined {
  if (env.SOBERANA_RPC_URL) {
    return {
      kind: 'bitcoind',
      url: env.SOBERANA_RPC_URL,
      ...(env.SOBERANA_RPC_USER ? { user: env.SOBERANA_RPC_USER } : {}),
      ...(env.SOBERANA_RPC_PASSWORD ? { password: env.SOBERANA_RPC_PASSWORD } : {}),
      ...(env.SOBERANA_RPC_COOKIE ? { cookieFile: env.SOBERANA_RPC_COOKIE } : {}),
    };
  }
  if (env.SOBERANA_ESPLORA_URL) return { kind: 'esplora', url: env.SOBERANA_ESPLORA_URL };
  if (fromFile === undefined) return undefined;
  if (typeof fromFile !== 'object' || fromFile === null) throw new DomainError('INVALID_CONFIG', 'config "chain" must be an object');
  const c = fromFile as Record<string, unknown>;
  const url = c.url;
  if (typeof url !== 'string') throw new DomainError('INVALID_CONFIG', 'config "chain.url" must be a string');
  if (c.kind === 'esplora') return { kind: 'esplora', url };
  if (c.kind === 'bitcoind') {
    const opt = (k: string): string | undefined => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
    const user = opt('user'), password = opt('password'), cookieFile = opt('cookieFile');
    return { kind: 'bitcoind', url, ...(user ? { user } : {}), ...(password ? { password } : {}), ...(cookieFile ? { cookieFile } : {}) };
  }
  throw new DomainError('INVALID_CONFIG', 'config "chain.kind" must be "bitcoind" or "esplora"');
}

// ---- server settings (soberana serve): trust-proxy and rate limits ----

/** The HTTP server's settings from the environment and the config file's `server` object. */
export interface ServerSettings {
  /** Which proxies may set X-Forwarded-For; false (the default) ignores the header. */
  readonly trustProxy: TrustProxySetting;
  /** Allowances that replace the server's defaults, each optional; undefined keeps the defaults. */
  readonly rateLimit: RateLimitSettings | undefined;
  /**
   * Passkey (WebAuthn) settings for dashboard approvals: the relying party id (the domain people open
   * the dashboard at), the exact origins allowed, and whether user verification is required.
   * undefined: rpId "localhost" and http://localhost:<port> (loopback use only).
   */
  readonly webauthn: { readonly rpId: string; readonly origins: readonly string[]; readonly requireUserVerification: boolean } | undefined;
}

/** false, true (any peer), a hop count, or proxy addresses/CIDRs (`loopback`, `10.0.0.0/8`, …). */
export type TrustProxySetting = boolean | number | readonly string[];

export interface RateLimitSettings {
  readonly max?: number;
  readonly timeWindowMs?: number;
  readonly tokenMax?: number;
  readonly authFailureMax?: number;
  readonly authFailureWindowMs?: number;
}

const RATE_LIMIT_KEYS = ['max', 'timeWindowMs', 'tokenMax', 'authFailureMax', 'authFailureWindowMs'] as const;
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Parse a trust-proxy setting as typed (`--trust-proxy`, SOBERANA_TRUST_PROXY): `true`, `false`,
 * a hop count (`1`; `0` is false), or a comma-separated list of proxy addresses, CIDRs and the
 * names `loopback`, `linklocal`, `uniquelocal`.
 * @example parseTrustProxy('127.0.0.1, 10.0.0.0/8', '--trust-proxy') // ['127.0.0.1', '10.0.0.0/8']
 */
export function parseTrustProxy(text: string, label: string): TrustProxySetting {
  const t = text.trim();
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^\d+$/.test(t)) {
    const hops = Number(t);
    if (hops > 100) throw new DomainError('INVALID_CONFIG', `${label}: a hop count of ${t} is not plausible (use 1 for one proxy)`);
    return hops === 0 ? false : hops;
  }
  return proxyList(t.split(','), label);
}

function proxyList(items: readonly unknown[], label: string): readonly string[] {
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new DomainError('INVALID_CONFIG', `${label}: proxy addresses must be strings`);
    const a = item.trim();
    const [ip = '', prefix, extra] = a.split('/');
    const family = isIP(ip);
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!(PROXY_NAMES.has(a) || (family !== 0 && prefixOk && extra === undefined))) {
      throw new DomainError('INVALID_CONFIG', `${label}: "${a}" is not true, false, a hop count, an IP address, a CIDR (10.0.0.0/8) or loopback/linklocal/uniquelocal`);
    }
    out.push(a);
  }
  if (out.length === 0) throw new DomainError('INVALID_CONFIG', `${label}: no proxy address given`);
  return out;
}

function serverSettings(env: NodeJS.ProcessEnv, fromFile: unknown): ServerSettings {
  if (fromFile !== undefined && (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile))) {
    throw new DomainError('INVALID_CONFIG', 'config "server" must be an object');
  }
  const f = (fromFile ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(f)) {
    if (k !== 'trustProxy' && k !== 'rateLimit' && k !== 'webauthn') throw new DomainError('INVALID_CONFIG', `config "server.${k}" is not a setting (use trustProxy, rateLimit, webauthn)`);
  }
  let trustProxy: TrustProxySetting = false;
  if (env.SOBERANA_TRUST_PROXY !== undefined && env.SOBERANA_TRUST_PROXY !== '') {
    trustProxy = parseTrustProxy(env.SOBERANA_TRUST_PROXY, 'SOBERANA_TRUST_PROXY');
  } else if (typeof f.trustProxy === 'string') {
    trustProxy = parseTrustProxy(f.trustProxy, 'config "server.trustProxy"');
  } else if (typeof f.trustProxy === 'boolean') {
    trustProxy = f.trustProxy;
  } else if (typeof f.trustProxy === 'number') {
    if (!Number.isSafeInteger(f.trustProxy) || f.trustProxy < 0) throw new DomainError('INVALID_CONFIG', 'config "server.trustProxy": a hop count is a whole number');
    trustProxy = parseTrustProxy(String(f.trustProxy), 'config "server.trustProxy"');
  } else if (Array.isArray(f.trustProxy)) {
    trustProxy = proxyList(f.trustProxy, 'config "server.trustProxy"');
  } else if (f.trustProxy !== undefined) {
    throw new DomainError('INVALID_CONFIG', 'config "server.trustProxy" must be true, false, a hop count, or proxy addresses');
  }
  return { trustProxy, rateLimit: rateLimitSettings(f.rateLimit), webauthn: webauthnSettings(f.webauthn) };
}

/** `server.webauthn`: `{ "rpId": "reserve.example.org", "origins": ["https://reserve.example.org"], "userVerification": "required" }`. */
function webauthnSettings(v: unknown): ServerSettings['webauthn'] {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DomainError('INVALID_CONFIG', 'config "server.webauthn" must be an object');
  const f = v as Record<string, unknown>;
  for (const k of Object.keys(f)) {
    if (k !== 'rpId' && k !== 'origins' && k !== 'userVerification') throw new DomainError('INVALID_CONFIG', `config "server.webauthn.${k}" is not a setting (use rpId, origins, userVerification)`);
  }
  if (typeof f.rpId !== 'string') throw new DomainError('INVALID_CONFIG', 'config "server.webauthn.rpId" must be the domain the dashboard is opened at, such as "reserve.example.org"');
  let rpId: string;
  try {
    rpId = parseRpId(f.rpId);
  } catch (e) {
    throw new DomainError('INVALID_CONFIG', `config "server.webauthn.rpId": ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(f.origins) || f.origins.length === 0 || !f.origins.every((o): o is string => typeof o === 'string')) {
    throw new DomainError('INVALID_CONFIG', 'config "server.webauthn.origins" must list the dashboard\'s origins, such as ["https://reserve.example.org"]');
  }
  for (const o of f.origins) {
    if (!originOnRpId(o, rpId)) throw new DomainError('INVALID_CONFIG', `config "server.webauthn.origins": "${o}" is not an https origin on ${rpId} (http only on localhost; no path or trailing slash)`);
  }
  if (f.userVerification !== undefined && f.userVerification !== 'required' && f.userVerification !== 'preferred') {
    throw new DomainError('INVALID_CONFIG', 'config "server.webauthn.userVerification" must be "required" or "preferred"');
  }
  return { rpId, origins: [...f.origins], requireUserVerification: f.userVerification === 'required' };
}

function rateLimitSettings(v: unknown): RateLimitSettings | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DomainError('INVALID_CONFIG', 'config "server.rateLimit" must be an object');
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!(RATE_LIMIT_KEYS as readonly string[]).includes(k)) throw new DomainError('INVALID_CONFIG', `config "server.rateLimit.${k}" is not a setting (use ${RATE_LIMIT_KEYS.join(', ')})`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new DomainError('INVALID_CONFIG', `config "server.rateLimit.${k}" must be a positive integer`);
    out[k] = n;
  }
  return out;
}

// ---- accounting settings: national figures (GDP, debt, foreign reserves) ----

/** A national figure from the config file, in minor units of its currency, for a day. */
export interface ConfiguredFigure {
  readonly name: string;
  readonly currency: string;
  /** Minor units (cents). */
  readonly minor: bigint;
  readonly minorDigits: number;
  /** The day (or period end) the figure is for, YYYY-MM-DD. */
  readonly date: string;
  readonly source: string | undefined;
}

export interface AccountingSettings {
  readonly figures: readonly ConfiguredFigure[];
}

const FIGURE_KEYS = ['name', 'amount', 'currency', 'date', 'source'] as const;

/**
 * `accounting`: `{ "figures": [{ "name": "GDP", "amount": "34015000000", "currency": "USD", "date":
 * "2024-12-31", "source": "IMF WEO" }, …] }`. `amount` is a decimal string in whole units (up to the
 * currency's minor digits: "1234.56"), so no float ever carries it; one name may have several
 * dates and currencies (a report uses the latest on or before its day).
 */
function accountingSettings(v: unknown): AccountingSettings {
  if (v === undefined) return { figures: [] };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DomainError('INVALID_CONFIG', 'config "accounting" must be an object');
  const f = v as Record<string, unknown>;
  for (const k of Object.keys(f)) if (k !== 'figures') throw new DomainError('INVALID_CONFIG', `config "accounting.${k}" is not a setting (use figures)`);
  if (f.figures === undefined) return { figures: [] };
  if (!Array.isArray(f.figures)) throw new DomainError('INVALID_CONFIG', 'config "accounting.figures" must be a list of { name, amount, currency, date, source }');
  const seen = new Set<string>();
  const figures = f.figures.map((item: unknown, i): ConfiguredFigure => {
    const at = (k = ''): string => `config "accounting.figures[${i}]${k === '' ? '' : `.${k}`}"`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new DomainError('INVALID_CONFIG', `${at()} must be an object { name, amount, currency, date, source }`);
    const x = item as Record<string, unknown>;
    for (const k of Object.keys(x)) if (!(FIGURE_KEYS as readonly string[]).includes(k)) throw new DomainError('INVALID_CONFIG', `${at(k)} is not a field (use ${FIGURE_KEYS.join(', ')})`);
    if (typeof x.name !== 'string' || x.name.trim() === '' || x.name.length > 60) throw new DomainError('INVALID_CONFIG', `${at('name')} must be a name of 1 to 60 characters, such as "GDP"`);
    if (typeof x.currency !== 'string' || !/^[A-Z]{3}$/.test(x.currency)) throw new DomainError('INVALID_CONFIG', `${at('currency')} must be an ISO 4217 code such as "USD"`);
    let digits: number;
    try {
      digits = minorDigitsOf(x.currency);
    } catch {
      throw new DomainError('INVALID_CONFIG', `${at('currency')} ${x.currency} is not a currency Soberana knows the minor unit of`);
    }
    const m = typeof x.amount === 'string' ? /^(\d{1,18})(?:\.(\d+))?$/.exec(x.amount) : null;
    if (m === null || (m[2] ?? '').length > digits) throw new DomainError('INVALID_CONFIG', `${at('amount')} must be a decimal string in whole ${x.currency} with at most ${digits} decimals, such as "34015000000"`);
    const minor = BigInt(m[1] as string) * 10n ** BigInt(digits) + BigInt((m[2] ?? '').padEnd(digits, '0') || '0');
    if (minor <= 0n) throw new DomainError('INVALID_CONFIG', `${at('amount')} must be positive`);
    if (typeof x.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(x.date) || Number.isNaN(Date.parse(`${x.date}T00:00:00Z`))) throw new DomainError('INVALID_CONFIG', `${at('date')} must be the day the figure is for, YYYY-MM-DD`);
    if (x.source !== undefined && typeof x.source !== 'string') throw new DomainError('INVALID_CONFIG', `${at('source')} must be a string`);
    const key = `${x.name.trim().toLowerCase()}|${x.currency}|${x.date}`;
    if (seen.has(key)) throw new DomainError('INVALID_CONFIG', `${at()}: ${x.name} in ${x.currency} for ${x.date} is given twice`);
    seen.add(key);
    return { name: x.name.trim(), currency: x.currency, minor, minorDigits: digits, date: x.date, source: x.source };
  });
  return { figures };
}
