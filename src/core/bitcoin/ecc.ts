/**
 * The one secp256k1 backend of the Bitcoin core (@bitcoinerlab/secp256k1, noble-curves underneath),
 * wired into bitcoinjs-lib and bip32 on first use rather than at import time.
 */
import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory, type BIP32API } from 'bip32';

export { ecc };

let eccReady = false;
let bip32Api: BIP32API | undefined;

/** Give bitcoinjs-lib its secp256k1 backend (needed for taproot addresses). Idempotent. */
export function ensureBitcoinjsEcc(): void {
  if (eccReady) return;
  initEccLib(ecc);
  eccReady = true;
}

/** bip32's API bound to our secp256k1 backend. */
export function bip32(): BIP32API {
  bip32Api ??= BIP32Factory(ecc);
  return bip32Api;
}
