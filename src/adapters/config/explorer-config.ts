/**
 * The config file's `explorer` setting: `{ "url": "https://mempool.example.org" }` (https, or http
 * on 127.0.0.1 only; no query), or null for none. Unset: mempool.space on mainnet, none on
 * testnet/signet/regtest. See core/transparency/explorer.ts.
 */
import { DomainError } from '../../core/errors.ts';
import type { Network } from '../../core/network.ts';
import { defaultExplorerUrl, explorerBase } from '../../core/transparency/explorer.ts';

export function explorerSetting(v: unknown, network: Network): string | null {
  if (v === undefined) return defaultExplorerUrl(network);
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new DomainError('INVALID_CONFIG', 'config "explorer" must be an object such as { "url": "https://mempool.space" }, or null for no explorer links');
  const f = v as Record<string, unknown>;
  for (const k of Object.keys(f)) if (k !== 'url') throw new DomainError('INVALID_CONFIG', `config "explorer.${k}" is not a setting (use url)`);
  if (f.url === null) return null;
  if (typeof f.url !== 'string') throw new DomainError('INVALID_CONFIG', 'config "explorer.url" must be a string such as "https://mempool.space", or null');
  const r = explorerBase(f.url);
  if (!r.ok) throw new DomainError('INVALID_CONFIG', `config "explorer.url": ${r.problem}`);
  return r.url;
}
