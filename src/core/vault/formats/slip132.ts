/**
 * Extended public keys in their BIP32 (`xpub`/`tpub`) and SLIP-132 (`ypub`, `Zpub`, `Vpub`, …)
 * encodings. SLIP-132 only changes the 4 version bytes; the key material is identical, so
 * converting is a base58check re-encode with another version.
 */
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../errors.ts';

const b58c = createBase58check(sha256);

/** Which chain an extended key belongs to: `xpub` (main) or `tpub` (every test network). */
export type KeyChain = 'main' | 'test';

/** Version bytes of every public-key encoding we accept (SLIP-132 table). */
export const EXTENDED_PUBLIC_VERSIONS = {
  xpub: { version: 0x0488b21e, chain: 'main' },
  ypub: { version: 0x049d7cb2, chain: 'main' },
  zpub: { version: 0x04b24746, chain: 'main' },
  Ypub: { version: 0x0295b43f, chain: 'main' },
  Zpub: { version: 0x02aa7ed3, chain: 'main' },
  tpub: { version: 0x043587cf, chain: 'test' },
  upub: { version: 0x044a5262, chain: 'test' },
  vpub: { version: 0x045f1cf6, chain: 'test' },
  Upub: { version: 0x024289ef, chain: 'test' },
  Vpub: { version: 0x02575483, chain: 'test' },
} as const;

export type ExtendedKeyPrefix = keyof typeof EXTENDED_PUBLIC_VERSIONS;

const PRIVATE_VERSIONS: ReadonlySet<number> = new Set([
  0x0488ade4, 0x049d7878, 0x04b2430c, 0x0295b005, 0x02aa7a99, // xprv yprv zprv Yprv Zprv
  0x04358394, 0x044a4e28, 0x045f18bc, 0x024285b5, 0x02575048, // tprv uprv vprv Uprv Vprv
]);

export interface DecodedExtendedKey {
  /** The same key in BIP32 form: `xpub…` on main, `tpub…` on test networks. */
  readonly xpub: string;
  readonly chain: KeyChain;
  /** The prefix it was written with (`xpub`, `Zpub`, …). */
  readonly prefix: ExtendedKeyPrefix;
  /** chain code ‖ public key (65 bytes, hex): identifies the key whatever its metadata. */
  readonly material: string;
}

function versionOf(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) << 24 >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0);
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Decode an extended public key in any accepted encoding and return its BIP32 form.
 * Refuses private keys, bad checksums and unknown versions with `INVALID_IMPORT`.
 *
 * @example
 *   decodeExtendedPublicKey('Zpub74…').xpub // 'xpub6…' (same key, BIP32 version bytes)
 */
export function decodeExtendedPublicKey(text: string, label = 'key'): DecodedExtendedKey {
  let bytes: Uint8Array;
  try {
    bytes = b58c.decode(text.trim());
  } catch {
    throw new DomainError('INVALID_IMPORT', `${label} is not a valid extended public key (bad base58 or checksum)`);
  }
  if (bytes.length !== 78) throw new DomainError('INVALID_IMPORT', `${label} is not an extended key (${bytes.length} bytes instead of 78)`);
  const version = versionOf(bytes);
  if (PRIVATE_VERSIONS.has(version)) {
    throw new DomainError('INVALID_IMPORT', `${label} is an extended PRIVATE key; Soberana is watch-only and takes only public keys`);
  }
  const entry = (Object.entries(EXTENDED_PUBLIC_VERSIONS) as [ExtendedKeyPrefix, { version: number; chain: KeyChain }][])
    .find(([, v]) => v.version === version);
  if (!entry) throw new DomainError('INVALID_IMPORT', `${label} has unknown extended-key version 0x${version.toString(16).padStart(8, '0')}`);
  const [prefix, { chain }] = entry;
  const keyByte = bytes[45];
  if (keyByte !== 0x02 && keyByte !== 0x03) throw new DomainError('INVALID_IMPORT', `${label} does not hold a compressed public key`);
  return {
    xpub: prefix === 'xpub' || prefix === 'tpub' ? text.trim() : reencode(bytes, chain === 'main' ? 'xpub' : 'tpub'),
    chain,
    prefix,
    material: toHex(bytes.subarray(13)),
  };
}

function reencode(bytes: Uint8Array, prefix: ExtendedKeyPrefix): string {
  const out = Uint8Array.from(bytes);
  const v = EXTENDED_PUBLIC_VERSIONS[prefix].version;
  out[0] = (v >>> 24) & 0xff;
  out[1] = (v >>> 16) & 0xff;
  out[2] = (v >>> 8) & 0xff;
  out[3] = v & 0xff;
  return b58c.encode(out);
}

/**
 * Re-encode an extended public key with another SLIP-132 prefix of the same chain
 * (e.g. for a wallet that wants `Zpub`). Refuses a prefix of the other chain.
 *
 * @example
 *   convertExtendedPublicKey('xpub6…', 'Zpub') // 'Zpub74…'
 */
export function convertExtendedPublicKey(text: string, prefix: ExtendedKeyPrefix): string {
  const d = decodeExtendedPublicKey(text);
  if (EXTENDED_PUBLIC_VERSIONS[prefix].chain !== d.chain) {
    throw new DomainError('NETWORK_MISMATCH', `cannot write a ${d.chain === 'main' ? 'mainnet' : 'testnet'} key as ${prefix}`);
  }
  return reencode(b58c.decode(text.trim()), prefix);
}
