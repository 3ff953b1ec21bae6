/**
 * The software signer: signs PSBT inputs with an extended private key held in a file.
 * FOR REGTEST AND TESTS ONLY. A reserve's keys live on hardware signers; Soberana itself never
 * needs a private key. Keys are never stored, logged, or echoed in error messages.
 *
 * bip32 derives the keys and signs (plain RFC6979 nonces, no low-R grinding: the BIP174 vectors'
 * signatures are reproduced exactly; via @bitcoinerlab/secp256k1); bitcoinjs-lib's Psbt
 * computes the sighashes and checks that each input's scripts match the output it spends.
 */
import { readFileSync } from 'node:fs';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { Transaction, networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import { decodePsbt } from '../../core/bitcoin/psbt.ts';

const BIP32 = BIP32Factory(ecc);

/** A parsed extended private key and whether it is a mainnet key. Opaque: never print it. */
export interface SoftwareKey {
  readonly node: BIP32Interface;
  readonly mainnet: boolean;
}

/**
 * Parse an extended private key (xprv on mainnet; tprv on testnet, signet and regtest).
 * `label` names where it came from (a file name) for error messages; the key text itself
 * never appears in any message.
 */
export function parseExtendedPrivateKey(text: string, label: string): SoftwareKey {
  const t = text.trim();
  for (const [net, mainnet] of [[networks.bitcoin, true], [networks.testnet, false]] as const) {
    let node: BIP32Interface;
    try {
      node = BIP32.fromBase58(t, net);
    } catch {
      continue;
    }
    if (node.isNeutered()) throw new DomainError('INVALID_ARGUMENT', `${label} holds an extended public key, not a private key`);
    return { node, mainnet };
  }
  throw new DomainError('INVALID_ARGUMENT', `${label} does not hold a valid extended private key (xprv or tprv)`);
}

/** Read an extended private key from a file. Errors name the file, never its content. */
export function readExtendedPrivateKeyFile(path: string): SoftwareKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new DomainError('NOT_FOUND', `cannot read key file ${path}`);
  }
  return parseExtendedPrivateKey(text, `key file ${path}`);
}

export interface SignOptions {
  /** Allow a mainnet key. Dangerous: a hot key for real money. */
  dangerouslyAllowMainnetKey?: boolean;
}

export interface SignResult {
  /** The partial PSBT, base64. */
  psbt: string;
  /** Signatures added, one per (input, key). */
  added: number;
}

/**
 * Keys derived below one root during one signing call, by path relative to the root ('' is the
 * root). Deriving from the root costs a hardened step per level (an EC multiplication each); a
 * proof over hundreds of UTXOs of one vault asks for the same account key for every input, so each
 * path prefix is derived once and its children are derived from it. Same keys as `derivePath`.
 * Lives only for the call: private keys are not kept after it.
 */
type DerivedKeys = Map<string, BIP32Interface>;

function deriveCached(root: BIP32Interface, steps: readonly string[], cache: DerivedKeys): BIP32Interface {
  let node = root;
  let path = '';
  for (const step of steps) {
    path = path === '' ? step : `${path}/${step}`;
    let next = cache.get(path);
    if (!next) {
      next = node.derivePath(step);
      cache.set(path, next);
    }
    node = next;
  }
  return node;
}

function keyFor(root: BIP32Interface, d: { masterFingerprint: Uint8Array; pubkey: Uint8Array; path: string }, cache: DerivedKeys = new Map()): BIP32Interface | undefined {
  const want = hex.encode(d.pubkey);
  const steps = d.path.replace(/^m\/?/, '').split('/').filter((s) => s.length > 0);
  let child: BIP32Interface | undefined;
  try {
    if (hex.encode(d.masterFingerprint) === hex.encode(root.fingerprint)) {
      child = deriveCached(root, steps, cache);
    } else if (root.depth > 0 && root.depth <= steps.length) {
      // an account-level key: derive the remaining steps below it
      const rest = steps.slice(root.depth);
      if (rest.some((s) => /['h]$/.test(s))) return undefined;
      child = deriveCached(root, rest, cache);
    }
  } catch {
    return undefined;
  }
  if (!child) return undefined;
  const have = want.length === 64 ? hex.encode(child.publicKey.subarray(1)) : hex.encode(child.publicKey);
  return have === want ? child : undefined;
}

/**
 * Sign every input of a PSBT for which the key holds a cosigner (matched through the inputs'
 * BIP32 derivations, pubkey checked), with SIGHASH_ALL. Mainnet keys are refused unless
 * `dangerouslyAllowMainnetKey`. Nothing to sign: DomainError('INVALID_ARGUMENT').
 *
 * @example signPsbtWithKey(readFileSync('unsigned.psbt'), readExtendedPrivateKeyFile('alice.tprv'))
 */
export function signPsbtWithKey(input: string | Uint8Array, key: SoftwareKey, opts: SignOptions = {}): SignResult {
  if (key.mainnet && opts.dangerouslyAllowMainnetKey !== true) {
    throw new DomainError('FORBIDDEN', 'refusing a mainnet private key: the software signer is for regtest and tests only (--hot-key-on-mainnet overrides)');
  }
  const { psbt } = decodePsbt(input, key.mainnet ? 'main' : 'test');
  let added = 0;
  const derived: DerivedKeys = new Map();
  psbt.data.inputs.forEach((inp, i) => {
    if (inp.finalScriptSig || inp.finalScriptWitness) return;
    for (const d of inp.bip32Derivation ?? []) {
      const child = keyFor(key.node, d, derived);
      if (!child) continue;
      if (inp.partialSig?.some((s) => hex.encode(s.pubkey) === hex.encode(child.publicKey))) continue;
      try {
        psbt.signInput(i, { publicKey: child.publicKey, sign: (hash: Uint8Array) => child.sign(hash) }, [Transaction.SIGHASH_ALL]);
      } catch (e) {
        const why = e instanceof Error ? (e.message.split('\n')[0] ?? '') : '';
        throw new DomainError('INVALID_PSBT', `cannot sign input ${i}: ${why.replace(/[0-9a-fA-F]{60,}/g, '…').slice(0, 160)}`);
      }
      added += 1;
    }
    // taproot script path (BIP371): one BIP340 signature per leaf the key appears in
    for (const d of inp.tapBip32Derivation ?? []) {
      const child = keyFor(key.node, d, derived);
      if (!child) continue;
      for (const leafHash of d.leafHashes) {
        if (inp.tapScriptSig?.some((s) => hex.encode(s.pubkey) === hex.encode(d.pubkey) && hex.encode(s.leafHash) === hex.encode(leafHash))) continue;
        try {
          psbt.signTaprootInput(i, { publicKey: child.publicKey, sign: (hash: Uint8Array) => child.sign(hash), signSchnorr: (hash: Uint8Array) => child.signSchnorr(hash) }, leafHash, [Transaction.SIGHASH_DEFAULT]);
        } catch (e) {
          const why = e instanceof Error ? (e.message.split('\n')[0] ?? '') : '';
          throw new DomainError('INVALID_PSBT', `cannot sign input ${i}: ${why.replace(/[0-9a-fA-F]{60,}/g, '…').slice(0, 160)}`);
        }
        added += 1;
      }
    }
  });
  if (added === 0) throw new DomainError('INVALID_ARGUMENT', 'the key signs none of the PSBT inputs (no matching BIP32 derivation)');
  return { psbt: psbt.toBase64(), added };
}
