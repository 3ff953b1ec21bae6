/**
 * Addresses ⇄ scriptPubKeys for every network Soberana knows (bitcoinjs-lib does the encoding).
 */
import { address as bjsAddress } from 'bitcoinjs-lib';
import { DomainError } from '../errors.ts';
import { NETWORKS, type Network } from '../network.ts';
import { bitcoinjsNetwork, networkLabel } from './networks.ts';
import { ensureBitcoinjsEcc } from './ecc.ts';

function tryToScript(address: string, network: Network): Uint8Array | null {
  ensureBitcoinjsEcc();
  try {
    return bjsAddress.toOutputScript(address, bitcoinjsNetwork(network));
  } catch {
    return null;
  }
}

/**
 * The scriptPubKey an address pays to, refusing an address of another network.
 *
 * Throws `DomainError('INVALID_ADDRESS')` when the text is no address at all and
 * `DomainError('NETWORK_MISMATCH')` (naming the address's network) when it is valid elsewhere.
 * @example addressToScript('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'main') // 0014751e…
 */
export function addressToScript(address: string, network: Network): Uint8Array {
  if (typeof address !== 'string') throw new TypeError('addressToScript: "address" expected string');
  const text = address.trim();
  const script = tryToScript(text, network);
  if (script) return script;
  const other = NETWORKS.find((n) => n !== network && tryToScript(text, n) !== null);
  if (other) {
    throw new DomainError('NETWORK_MISMATCH', `address ${text} is for ${networkLabel(other)}, not ${networkLabel(network)}`);
  }
  throw new DomainError('INVALID_ADDRESS', `"${text}" is not a valid bitcoin address`);
}

/**
 * The address of a scriptPubKey on a network, or null for scripts that have no address form
 * (bare multisig, OP_RETURN, non-standard scripts).
 * @example scriptToAddress(hexToBytes('0014751e…'), 'main') === 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
 */
export function scriptToAddress(script: Uint8Array, network: Network): string | null {
  if (!(script instanceof Uint8Array)) throw new TypeError('scriptToAddress: "script" expected Uint8Array');
  ensureBitcoinjsEcc();
  try {
    return bjsAddress.fromOutputScript(script, bitcoinjsNetwork(network));
  } catch {
    return null;
  }
}
