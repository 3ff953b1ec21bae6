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
 * The witness version of a segwit output script (OP_0 or OP_1..OP_16 then one 2–40 byte push,
 * BIP141), or null for anything else.
 * @example witnessVersionOf(addressToScript('bc1p…', 'main')) === 1
 */
export function witnessVersionOf(script: Uint8Array): number | null {
  if (script.length < 4 || script.length > 42) return null;
  const op = script[0] ?? -1;
  if (script[1] !== script.length - 2) return null;
  if (op === 0) return 0;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  return null;
}

export interface PaymentScriptOptions {
  /**
   * Accept a witness version 2–16 address. Outputs to them can be spent by ANYONE until a soft
   * fork gives the version a meaning: only for a deliberate, informed choice.
   */
  allowFutureWitnessVersion?: boolean;
}

/**
 * The scriptPubKey of an address we are asked to PAY (a spend destination, an allowlist entry):
 * `addressToScript`, and also refuses (DomainError INVALID_ADDRESS) segwit addresses of witness
 * version 2–16, which today's consensus rules do not protect (anyone can spend them), unless
 * `allowFutureWitnessVersion` is set. Use `addressToScript` to READ addresses (chain data,
 * published address lists), which must accept whatever the chain holds.
 * @example paymentScript('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'main') // 0014751e…
 */
export function paymentScript(address: string, network: Network, opts: PaymentScriptOptions = {}): Uint8Array {
  if (typeof address !== 'string') throw new TypeError('paymentScript: "address" expected string');
  const text = address.trim();
  // Decided before bitcoinjs-lib's encoder runs: it console.warn()s about future versions.
  let version: number | null;
  try {
    version = bjsAddress.fromBech32(text).version;
  } catch {
    version = null;
  }
  if (version !== null && version >= 2 && opts.allowFutureWitnessVersion !== true) {
    throw new DomainError(
      'INVALID_ADDRESS',
      `${text} is a witness version ${version} address: no rules protect such outputs yet, so anyone could spend a payment to it; refused`,
    );
  }
  const script = addressToScript(text, network);
  const v = witnessVersionOf(script);
  if (v !== null && v >= 2 && opts.allowFutureWitnessVersion !== true) {
    throw new DomainError('INVALID_ADDRESS', `${text} is a witness version ${v} address: anyone could spend a payment to it; refused`);
  }
  return script;
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
