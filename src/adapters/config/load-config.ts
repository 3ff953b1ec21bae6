import { existsSync, readFileSync } from 'node:fs';
import { DomainError } from '../../core/errors.ts';
import { parseNetwork, type Network } from '../../core/network.ts';
import { priceConfig, type PriceConfig } from '../prices/price-config.ts';

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
}

export const DEFAULT_CONFIG_FILE = 'soberana.config.json';

/**
 * Resolve the configuration: command-line flags, then environment variables
 * (SOBERANA_DB or DATABASE_URL, SOBERANA_NETWORK, SOBERANA_LOG_LEVEL, SOBERANA_RPC_URL,
 * SOBERANA_RPC_USER, SOBERANA_RPC_PASSWORD, SOBERANA_RPC_COOKIE, SOBERANA_ESPLORA_URL),
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
  return { dbUrl, network, logLevel, chain: chainConfig(env, file.chain), configFile: path, prices: priceConfig(env, file.prices) };
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
