import { DomainError } from './errors.ts';

/** The Bitcoin networks Soberana knows, named as on the CLI. */
export const NETWORKS = ['main', 'test', 'signet', 'regtest'] as const;
export type Network = (typeof NETWORKS)[number];

const ALIASES: Readonly<Record<string, Network>> = {
  main: 'main', mainnet: 'main', bitcoin: 'main',
  test: 'test', testnet: 'test', testnet3: 'test',
  signet: 'signet',
  regtest: 'regtest',
};

/** Parse a network name (accepts common aliases such as "mainnet"). */
export function parseNetwork(name: string): Network {
  const n = ALIASES[name.trim().toLowerCase()];
  if (!n) throw new DomainError('INVALID_ARGUMENT', `unknown network "${name}" (use main, test, signet or regtest)`);
  return n;
}

/** Genesis block hashes (display byte order), used to refuse a node of another network. */
export const GENESIS_HASH: Readonly<Record<Network, string>> = {
  main: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  test: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
};
