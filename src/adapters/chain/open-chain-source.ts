/**
 * Open the chain source a configuration names, and check that it serves the expected network.
 * The only place outside the adapters' own files that knows which backends exist.
 */
import type { ChainSource } from '../../core/chain/chain-source.ts';
import { DomainError } from '../../core/errors.ts';
import { GENESIS_HASH, type Network } from '../../core/network.ts';
import type { ChainConfig } from '../config/load-config.ts';
import { BitcoindChainSource } from './bitcoind-chain-source.ts';
import { EsploraChainSource } from './esplora-chain-source.ts';
import type { ScriptHistorySource } from '../../core/chain/script-history.ts';
import { networkLabel, networkOfGenesis, type FetchLike } from './errors.ts';

export interface OpenChainSourceOptions {
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
}

/** A chain source for the configured backend (no I/O until the first call). */
export function openChainSource(cfg: ChainConfig, opts: OpenChainSourceOptions = {}): ChainSource {
  switch (cfg.kind) {
    case 'bitcoind':
      return new BitcoindChainSource({ url: cfg.url, user: cfg.user, password: cfg.password, cookieFile: cfg.cookieFile, ...opts });
    case 'esplora':
      return new EsploraChainSource({ url: cfg.url, ...opts });
  }
}

/**
 * The script-history source for the configured backend (light sync: each watched script's history,
 * no block downloads), or null for a backend that only serves blocks (Bitcoin Core).
 */
export function openScriptHistorySource(cfg: ChainConfig, opts: OpenChainSourceOptions = {}): ScriptHistorySource | null {
  switch (cfg.kind) {
    case 'bitcoind':
      return null;
    case 'esplora':
      return new EsploraChainSource({ url: cfg.url, ...opts }).scriptHistorySource();
  }
}

/**
 * Refuse a source whose genesis block is not the expected network's, with a message saying which
 * network the source serves (NETWORK_MISMATCH).
 *
 * @example
 *   await assertChainNetwork(source, 'regtest');
 *   // NETWORK_MISMATCH: the node at http://127.0.0.1:18332/ serves testnet but the vault is on regtest
 */
export async function assertChainNetwork(source: ChainSource, expected: Network, subject = 'the vault'): Promise<void> {
  const genesis = await source.genesisHash();
  if (genesis === GENESIS_HASH[expected]) return;
  const where = describeSource(source);
  const actual = networkOfGenesis(genesis);
  const serves = actual ? networkLabel(actual) : `an unknown chain (genesis ${genesis})`;
  throw new DomainError('NETWORK_MISMATCH', `${where} serves ${serves} but ${subject} is on ${networkLabel(expected)}`, {
    expected,
    actual: actual ?? null,
    genesis,
  });
}

function describeSource(source: ChainSource): string {
  const endpoint = (source as { endpoint?: unknown }).endpoint;
  if (typeof endpoint !== 'string') return 'the chain source';
  return endpoint.startsWith('http') ? `the node at ${endpoint}` : `the ${endpoint}`;
}
