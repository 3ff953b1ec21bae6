/**
 * BIP129 Bitcoin Secure Multisig Setup (BSMS 1.0), unencrypted records:
 *
 * Key record (round 1, one per signer):      Descriptor record (round 2, from the coordinator):
 *   BSMS 1.0                                   BSMS 1.0
 *   <TOKEN hex, 00 without encryption>         <descriptor or template with /**>
 *   [fp/path]<xpub or public key>              <path restrictions "/0/*,/1/*" or "No path restrictions">
 *   <description>                              <first address>
 *   <legacy signed-message signature, base64>
 *
 * The first address is checked against the descriptor on import; a mismatch is refused. Key
 * records' signatures (Bitcoin Core `signmessage` format over the first four lines) are verified
 * with @bitcoinerlab/secp256k1's public-key recovery. The STANDARD/EXTENDED encryption layer
 * (PBKDF2 + HMAC from @noble/hashes; AES-256-CTR injected by the caller, since the core has no
 * cipher library) is `decryptBsmsFile` / `encryptBsmsFile`.
 */
import { recover } from '@bitcoinerlab/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64 } from '@scure/base';
import { DomainError } from '../../errors.ts';
import type { Network } from '../../network.ts';
import { decodeExtendedPublicKey } from './slip132.ts';
import { deriveAddress, makeWalletConfig, parseMultisigDescriptor, resolveNetwork, stripChecksum } from './wallet-config.ts';
import type { ImportOptions, WalletConfig } from './wallet-config.ts';

export const BSMS_VERSION = 'BSMS 1.0';
const NO_RESTRICTIONS = 'No path restrictions';

export interface BsmsDescriptorRecord {
  /** As written: a descriptor (maybe with checksum) or a template with `/**`. */
  readonly descriptor: string;
  /** `['/0/*', '/1/*']`, or null for "No path restrictions". */
  readonly pathRestrictions: readonly string[] | null;
  readonly firstAddress: string;
}

function recordLines(text: string, expected: number, what: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (lines[0]?.trim() !== BSMS_VERSION) {
    throw new DomainError('INVALID_IMPORT', `BSMS ${what} line 1: expected "${BSMS_VERSION}", found "${(lines[0] ?? '').slice(0, 20)}"`);
  }
  if (lines.length !== expected) throw new DomainError('INVALID_IMPORT', `BSMS ${what} has ${lines.length} lines instead of ${expected}`);
  return lines.map((l) => l.trim());
}

/** Which address family an address belongs to, from its prefix. */
function addressFamily(address: string): 'main' | 'test' | 'regtest' {
  const a = address.toLowerCase();
  if (a.startsWith('bcrt1')) return 'regtest';
  if (a.startsWith('bc1') || /^[13]/.test(address)) return 'main';
  if (a.startsWith('tb1') || /^[mn2]/.test(address)) return 'test';
  throw new DomainError('INVALID_IMPORT', `BSMS line 4: "${address}" is not a Bitcoin address`);
}

/**
 * Parse a BSMS descriptor record and check that its first address is the one the descriptor
 * derives (receive branch, index 0). `network` picks signet vs testnet; otherwise the address
 * prefix decides. Refusals: `INVALID_IMPORT` (format, address mismatch), `INVALID_DESCRIPTOR`
 * (bad checksum or underivable), `NETWORK_MISMATCH` (address of another network).
 *
 * @example parseBsmsDescriptorRecord('BSMS 1.0\nwsh(sortedmulti(2,…/**,…/**))\n/0/*,/1/*\nbc1q…')
 */
export function parseBsmsDescriptorRecord(text: string, network?: Network): BsmsDescriptorRecord & { readonly network: Network } {
  const [, descriptor = '', restrictionsLine = '', firstAddress = ''] = recordLines(text, 4, 'descriptor record');
  let pathRestrictions: string[] | null;
  if (restrictionsLine === NO_RESTRICTIONS) pathRestrictions = null;
  else {
    pathRestrictions = restrictionsLine.split(',').map((s) => s.trim());
    if (pathRestrictions.some((p) => !/^(\/\d+)+\/\*$/.test(p))) {
      throw new DomainError('INVALID_IMPORT', `BSMS line 3: "${restrictionsLine}" is not a list of path restrictions such as /0/*,/1/*`);
    }
  }
  const family = addressFamily(firstAddress);
  const net: Network = network ?? family;
  const netFamily = net === 'signet' ? 'test' : net;
  if (netFamily !== family) {
    throw new DomainError('NETWORK_MISMATCH', `BSMS first address ${firstAddress} is a ${family} address but the vault network is ${net}`);
  }
  const body = stripChecksum(descriptor);
  const template = body.includes('/**');
  if (template && !pathRestrictions) throw new DomainError('INVALID_IMPORT', 'BSMS line 3: a /** template needs path restrictions');
  const first = template ? body.replaceAll('/**', pathRestrictions?.[0] ?? '/0/*') : body;
  const derived = deriveAddress(first, net, 0, 0);
  if (derived !== firstAddress) {
    throw new DomainError('INVALID_IMPORT', `BSMS first address ${firstAddress} does not match the descriptor, which derives ${derived}`);
  }
  return { descriptor, pathRestrictions, firstAddress, network: net };
}

/**
 * A wallet from a BSMS descriptor record (first address checked; keys must be xpubs with
 * origin; path restrictions must be `/0/*,/1/*`).
 * @example bsmsToWalletConfig(text, { name: 'reserve' }).threshold
 */
export function bsmsToWalletConfig(text: string, opts: ImportOptions = {}): WalletConfig {
  const rec = parseBsmsDescriptorRecord(text, opts.network);
  if (rec.pathRestrictions && rec.pathRestrictions.join(',') !== '/0/*,/1/*') {
    throw new DomainError('INVALID_IMPORT', `BSMS path restrictions "${rec.pathRestrictions.join(',')}" are not the receive/change pair /0/*,/1/*`);
  }
  const p = parseMultisigDescriptor(rec.descriptor);
  const network = resolveNetwork(undefined, rec.network, p.keys, 'BSMS record');
  return makeWalletConfig({ name: opts.name ?? 'bsms', network, scriptType: p.scriptType, threshold: p.threshold, keys: p.keys });
}

/**
 * The BSMS 1.0 descriptor record of a wallet: template with `/**`, restrictions `/0/*,/1/*`,
 * and its first receive address.
 * @example toBsms(cfg) // 'BSMS 1.0\nwsh(sortedmulti(2,[…]xpub…/**,…))\n/0/*,/1/*\nbc1q…'
 */
export function toBsms(cfg: WalletConfig): string {
  // BIP129's examples write hardened steps with ' : do the same, so a record reads as the BIP's.
  const template = stripChecksum(cfg.descriptor).replaceAll('/<0;1>/*', '/**').replace(/\[[^\]]*\]/g, (origin) => origin.replaceAll('h', "'"));
  return [BSMS_VERSION, template, '/0/*,/1/*', deriveAddress(cfg.descriptor, cfg.network, 0, 0)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Round 1: key records

export interface BsmsKeyRecord {
  /** Hex token of the session; "00" when there is no encryption. */
  readonly token: string;
  readonly fingerprint: string;
  /** Origin path as written, e.g. `48'/0'/0'/2'`. */
  readonly path: string;
  /** An xpub/tpub, or a hex public key. */
  readonly key: string;
  readonly description: string;
  /** Base64 legacy (Bitcoin Core `signmessage`) signature over the first four lines. */
  readonly signature: string;
  /** The signed text: the first four lines joined by "\n". */
  readonly signedText: string;
}

/**
 * Parse a BSMS key record (round 1).
 * @example parseBsmsKeyRecord('BSMS 1.0\n00\n[59865f44/48\'/0\'/0\'/2\']02…\nSigner 1 key\nH6DX…').fingerprint
 */
export function parseBsmsKeyRecord(text: string): BsmsKeyRecord {
  const lines = recordLines(text, 5, 'key record');
  const [, token = '', keyLine = '', description = '', signature = ''] = lines;
  if (!/^[0-9a-fA-F]+$/.test(token) || token.length % 2 !== 0) throw new DomainError('INVALID_IMPORT', `BSMS key record line 2: "${token}" is not a hex token`);
  const m = /^\[([0-9a-fA-F]{8})((?:\/\d+['hH]?)*)\](\S+)$/.exec(keyLine);
  if (!m) throw new DomainError('INVALID_IMPORT', 'BSMS key record line 3: expected [fingerprint/path]KEY');
  return {
    token: token.toLowerCase(),
    fingerprint: (m[1] ?? '').toLowerCase(),
    path: (m[2] ?? '').replace(/^\//, ''),
    key: m[3] ?? '',
    description,
    signature,
    signedText: lines.slice(0, 4).join('\n'),
  };
}

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * The digest Bitcoin Core's `signmessage` signs:
 * SHA256d(varstr("Bitcoin Signed Message:\n") ‖ varstr(message)).
 */
export function legacyMessageHash(message: string): Uint8Array {
  const magic = new TextEncoder().encode('Bitcoin Signed Message:\n');
  const msg = new TextEncoder().encode(message);
  return sha256(sha256(concat(varint(magic.length), magic, varint(msg.length), msg)));
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** The compressed public key a key record names (the xpub's own key, or the hex key). */
function recordPublicKey(rec: BsmsKeyRecord): Uint8Array {
  if (/^0[23][0-9a-fA-F]{64}$/.test(rec.key)) return hexToBytes(rec.key);
  const d = decodeExtendedPublicKey(rec.key, 'BSMS key');
  return hexToBytes(d.material.slice(64));
}

/**
 * Whether a key record's signature was made by the key it carries (and, when `token` is given,
 * whether it belongs to this session). Never throws on a bad signature: returns false.
 * @example verifyBsmsKeyRecord(parseBsmsKeyRecord(text), { token: '00' }) === true
 */
export function verifyBsmsKeyRecord(rec: BsmsKeyRecord, opts: { token?: string } = {}): boolean {
  if (opts.token !== undefined && opts.token.toLowerCase() !== rec.token) return false;
  let sig: Uint8Array;
  try {
    sig = base64.decode(rec.signature);
  } catch {
    return false;
  }
  const header = sig[0];
  if (sig.length !== 65 || header === undefined || header < 27 || header > 42) return false;
  const recoveryId = ((header - 27) & 3) as 0 | 1 | 2 | 3;
  const compressed = header >= 31;
  let pub: Uint8Array;
  try {
    pub = recordPublicKey(rec);
  } catch {
    return false;
  }
  const recovered = recover(legacyMessageHash(rec.signedText), sig.subarray(1), recoveryId, compressed);
  if (!recovered) return false;
  return recovered.length === pub.length && recovered.every((b, i) => b === pub[i]);
}

// ---------------------------------------------------------------------------------------------
// Encryption (BIP129 STANDARD and EXTENDED modes)

/** AES-256 in CTR mode (encrypting and decrypting are the same operation). Injected: the
 * core has no cipher library; the CLI passes node:crypto's `createCipheriv('aes-256-ctr', …)`. */
export type Aes256Ctr = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array;

function tokenBytes(tokenHex: string): Uint8Array {
  const t = tokenHex.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(t) || t.length % 2 !== 0 || t === '00') {
    throw new DomainError('INVALID_ARGUMENT', 'a BSMS encryption token is an even number of hex digits (and not 00, which means no encryption)');
  }
  return hexToBytes(t);
}

/**
 * ENCRYPTION_KEY = PBKDF2-HMAC-SHA512(password "No SPOF", salt = token bytes, 2048 rounds, 32 bytes).
 * @example toHex(bsmsEncryptionKey('a54044308ceac9b7')) === '7673ffd9…'
 */
export function bsmsEncryptionKey(tokenHex: string): Uint8Array {
  return pbkdf2(sha512, new TextEncoder().encode('No SPOF'), tokenBytes(tokenHex), { c: 2048, dkLen: 32 });
}

function bsmsMac(tokenHex: string, plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  const hmacKey = sha256(key);
  return hmac(sha256, hmacKey, concat(new TextEncoder().encode(tokenHex.trim().toLowerCase()), plaintext));
}

function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Encrypt a BSMS record for a token: hex(MAC ‖ AES-256-CTR(key, IV = MAC[0:16], text)), with
 * MAC = HMAC-SHA256(SHA256(key), hex token ‖ text).
 * @example encryptBsmsFile('BSMS 1.0\n…', 'a54044308ceac9b7', aes) // 'fbdbdb64…'
 */
export function encryptBsmsFile(plaintext: string, tokenHex: string, aes256ctr: Aes256Ctr): string {
  const key = bsmsEncryptionKey(tokenHex);
  const data = new TextEncoder().encode(plaintext);
  const mac = bsmsMac(tokenHex, data, key);
  return bytesToHex(concat(mac, aes256ctr(key, mac.subarray(0, 16), data)));
}

/**
 * Decrypt a BSMS `.dat` file (hex) with the session token; refuses (`INVALID_IMPORT`) a file
 * whose MAC does not match: a wrong token or a corrupted or altered file.
 * @example decryptBsmsFile(datHex, 'a54044308ceac9b7', aes).startsWith('BSMS 1.0')
 */
export function decryptBsmsFile(datHex: string, tokenHex: string, aes256ctr: Aes256Ctr): string {
  const hex = datHex.trim();
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0 || hex.length <= 64) {
    throw new DomainError('INVALID_IMPORT', 'a BSMS encrypted file is hex: a 32-byte MAC followed by the ciphertext');
  }
  const bytes = hexToBytes(hex);
  const mac = bytes.subarray(0, 32);
  const key = bsmsEncryptionKey(tokenHex);
  const plain = aes256ctr(key, mac.subarray(0, 16), bytes.subarray(32));
  const expected = bsmsMac(tokenHex, plain, key);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= (expected[i] ?? 0) ^ (mac[i] ?? 0);
  if (diff !== 0) throw new DomainError('INVALID_IMPORT', 'the BSMS file does not authenticate: wrong token, or the file was altered');
  return new TextDecoder('utf-8', { fatal: false }).decode(plain);
}
