/**
 * BIP371 taproot fields of a vault input or change output (script-path vaults such as
 * `tr(NUMS,sortedmulti_a(2,A,B,C))`), from a @bitcoinerlab/descriptors Output: internal key,
 * leaf scripts with their control blocks (bitcoinjs-lib's p2tr payment), and the
 * PSBT_IN_TAP_BIP32_DERIVATION of every key with the leaves it appears in.
 */
import { crypto as bCrypto, payments } from 'bitcoinjs-lib';
import type { Network as BNetwork } from 'bitcoinjs-lib';
import type { DescriptorsFactory } from '@bitcoinerlab/descriptors';

type OutputInstance = InstanceType<ReturnType<typeof DescriptorsFactory>['Output']>;

interface Leaf {
  output: Uint8Array;
  version: number;
  depth: number;
}
type ScriptTree = { output: Uint8Array; version?: number } | ScriptTree[];

function leavesOf(tree: ScriptTree | undefined, depth = 0): Leaf[] {
  if (!tree) return [];
  if (Array.isArray(tree)) return tree.flatMap((t) => leavesOf(t, depth + 1));
  return [{ output: tree.output, version: tree.version ?? 0xc0, depth }];
}

function compactSize(n: number): Uint8Array {
  return n < 0xfd ? Uint8Array.of(n) : Uint8Array.of(0xfd, n & 0xff, n >>> 8);
}

/** BIP341 leaf hash of a tapscript. */
export function tapLeafHash(script: Uint8Array, version = 0xc0): Uint8Array {
  const data = new Uint8Array(1 + compactSize(script.length).length + script.length);
  data[0] = version;
  data.set(compactSize(script.length), 1);
  data.set(script, 1 + compactSize(script.length).length);
  return bCrypto.taggedHash('TapLeaf', data);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

type KeyInfo = NonNullable<ReturnType<OutputInstance['expand']>['expansionMap']>[string];

/** The key infos of every leaf of a taproot tree (each leaf has its own expansion map). */
function leafKeyInfos(node: unknown): KeyInfo[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as { left?: unknown; right?: unknown; expansionMap?: Record<string, KeyInfo> };
  return [...Object.values(n.expansionMap ?? {}), ...leafKeyInfos(n.left), ...leafKeyInfos(n.right)];
}

export interface TaprootFields {
  tapInternalKey: Uint8Array;
  tapLeafScript: { leafVersion: number; script: Uint8Array; controlBlock: Uint8Array }[];
  tapTree: { leaves: { depth: number; leafVersion: number; script: Uint8Array }[] };
  tapBip32Derivation: { masterFingerprint: Uint8Array; pubkey: Uint8Array; path: string; leafHashes: Uint8Array[] }[];
}

/**
 * The taproot PSBT fields of a descriptor output (throws TypeError if it is not taproot).
 * bitcoinjs-lib's secp256k1 backend must be set (psbt.ts `ensureEcc`).
 */
export function taprootFieldsOf(out: OutputInstance, network: BNetwork): TaprootFields {
  const pay = out.getPayment() as { internalPubkey?: Uint8Array; scriptTree?: ScriptTree };
  if (!pay.internalPubkey) throw new TypeError('taprootFieldsOf: not a taproot output');
  const internal = pay.internalPubkey;
  const leaves = leavesOf(pay.scriptTree);
  const tapLeafScript = leaves.map((l) => {
    const w = payments.p2tr({ internalPubkey: internal, scriptTree: pay.scriptTree as never, redeem: { output: l.output, redeemVersion: l.version }, network }).witness ?? [];
    const controlBlock = w[w.length - 1];
    if (!controlBlock) throw new TypeError('taprootFieldsOf: no control block');
    return { leafVersion: l.version, script: l.output, controlBlock };
  });
  const tapBip32Derivation: TaprootFields['tapBip32Derivation'] = [];
  const expanded = out.expand();
  const infos = [...Object.values(expanded.expansionMap ?? {}), ...leafKeyInfos(expanded.tapTreeInfo)];
  for (const info of infos) {
    if (!info.pubkey) continue;
    const xonly = info.pubkey.length === 33 ? info.pubkey.subarray(1) : info.pubkey;
    const fp = info.masterFingerprint ?? info.bip32?.fingerprint;
    if (!fp) continue;
    // bip174 reads only ' as hardened: an "h" origin (48h/1h/…) would be serialized as unhardened
    const path = (info.path ?? `m${info.keyPath ?? ''}`).replace(/h/g, "'");
    const leafHashes = leaves.filter((l) => contains(l.output, xonly)).map((l) => tapLeafHash(l.output, l.version));
    if (tapBip32Derivation.some((d) => d.pubkey.every((b, i) => b === xonly[i]))) continue;
    tapBip32Derivation.push({ masterFingerprint: fp, pubkey: Uint8Array.from(xonly), path, leafHashes });
  }
  return {
    tapInternalKey: internal,
    tapLeafScript,
    tapTree: { leaves: leaves.map((l) => ({ depth: l.depth, leafVersion: l.version, script: l.output })) },
    tapBip32Derivation,
  };
}
