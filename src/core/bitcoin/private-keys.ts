import { DomainError } from '../errors.ts';

// Extended private keys (BIP32 xprv/tprv and their SLIP-132 forms) and WIF private keys
// (51 characters starting 5/9, or 52 starting K/L/c) as they appear inside descriptors.
const EXTENDED_PRIVATE = /\b[xtyzuvYZUV]prv[1-9A-HJ-NP-Za-km-z]{100,112}\b/;
const WIF = /(?<![1-9A-HJ-NP-Za-km-z])(?:[59][1-9A-HJ-NP-Za-km-z]{50}|[KLc][1-9A-HJ-NP-Za-km-z]{51})(?![1-9A-HJ-NP-Za-km-z])/;

/** Whether a descriptor (or any text) contains what looks like a private key. */
export function containsPrivateKey(text: string): boolean {
  return EXTENDED_PRIVATE.test(text) || WIF.test(text);
}

/**
 * Refuse a descriptor that carries a private key: Soberana is watch-only and must never store,
 * log or echo one. The message does not repeat the key.
 * @example refusePrivateKeys('wsh(sortedmulti(2,xpub…,…))') // ok
 */
export function refusePrivateKeys(text: string, what = 'the descriptor'): void {
  if (containsPrivateKey(text)) {
    throw new DomainError('INVALID_DESCRIPTOR', `${what} contains a private key; Soberana is watch-only: give the extended public key (xpub/tpub) instead, and keep the private key on its signer`);
  }
}
