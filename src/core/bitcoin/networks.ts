/**
 * Soberana's network names mapped to bitcoinjs-lib's network parameters.
 *
 * Signet shares testnet's encodings (`tb1…`, `tpub`); regtest has its own bech32 prefix (`bcrt1…`)
 * but testnet's base58 versions, so a base58 testnet address is also a valid regtest address.
 */
import { networks, type Network as BitcoinjsNetwork } from 'bitcoinjs-lib';
import type { Network } from '../network.ts';
import { assertNever } from '../errors.ts';

/**
 * The bitcoinjs-lib network for a Soberana network.
 * @example bitcoinjsNetwork('regtest').bech32 === 'bcrt'
 */
export function bitcoinjsNetwork(n: Network): BitcoinjsNetwork {
  switch (n) {
    case 'main':
      return networks.bitcoin;
    case 'test':
    case 'signet':
      return networks.testnet;
    case 'regtest':
      return networks.regtest;
    default:
      return assertNever(n, 'bitcoinjsNetwork');
  }
}

/** The key family a network's extended keys belong to: xpub for mainnet, tpub for every test network. */
export function keyFamily(n: Network): 'main' | 'test' {
  return n === 'main' ? 'main' : 'test';
}

/** A human name for messages: "mainnet", "testnet", "signet", "regtest". */
export function networkLabel(n: Network): string {
  return n === 'main' ? 'mainnet' : n === 'test' ? 'testnet' : n;
}
