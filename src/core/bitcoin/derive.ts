/**
 * Fast address derivation for the common vault shapes — `wsh`/`sh`/`sh(wsh)` over `multi` or
 * `sortedmulti`, and `wpkh`/`sh(wpkh)`/`pkh` — written by hand because gap-limit discovery derives
 * thousands of addresses and the generic path (bip32 + @bitcoinerlab/descriptors) is slow.
 *
 * What is cached: the branch-level BIP32 node of every key (xpub/…/<0;1>, derived once with the
 * bip32 library) as a decompressed curve point plus its chain code and a pre-keyed HMAC-SHA512.
 * Per address only the last, unhardened CKDpub step (BIP32) runs: I = HMAC-SHA512(c, K‖i),
 * K_i = I_L·G + K, done with noble-curves' point arithmetic (the backend of
 * @bitcoinerlab/secp256k1). I_L is public data (derived from the xpub), so the variable-time
 * multiplication is safe here. Scripts and addresses are then built directly.
 *
 * test/bitcoin/derive-oracle.test.ts compares thousands of these addresses with
 * @bitcoinerlab/descriptors' output on every supported shape, network and branch.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { bech32, createBase58check } from '@scure/base';
import { hexToBytes } from '@noble/hashes/utils.js';
import { networks } from 'bitcoinjs-lib';
import type { BIP32Interface } from 'bip32';
import type { Network } from '../network.ts';
import { bip32 } from './ecc.ts';
import { bitcoinjsNetwork, keyFamily } from './networks.ts';
import type { KeyExpression } from './descriptor-syntax.ts';
import { batchMulAdd } from './fixed-base.ts';

const Point = secp256k1.Point;
type CurvePoint = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;
const base58check = createBase58check(sha256);

/** The script shapes the fast path handles. */
export const FAST_SHAPES = ['wsh-multi', 'wsh-sortedmulti', 'sh-multi', 'sh-sortedmulti', 'sh-wsh-multi', 'sh-wsh-sortedmulti', 'wpkh', 'sh-wpkh', 'pkh'] as const;
export type FastShape = (typeof FAST_SHAPES)[number];

export interface FastDerived {
  readonly scriptPubKey: Uint8Array;
  readonly address: string;
  readonly witnessScript: Uint8Array | undefined;
}

/** Whether a key can go through the fast path: a compressed single key or an xpub with unhardened steps. */
export function fastKeyEligible(k: KeyExpression): boolean {
  if (k.kind === 'hex') return k.body.length === 66;
  if (k.kind !== 'xpub' && k.kind !== 'xprv') return false;
  return k.steps.every((s, i) =>
    s.kind === 'wildcard' ? i === k.steps.length - 1 && !s.hardened : s.kind === 'multipath' ? s.options.every((o) => !o.hardened) : !s.hardened,
  );
}

interface BranchKey {
  /** Compressed public key when the key is not ranged (no wildcard). */
  readonly fixed: Uint8Array | null;
  readonly node: BIP32Interface | null;
  readonly point: CurvePoint | null;
  readonly pubkey: Uint8Array | null;
  readonly mac: ReturnType<typeof hmac.create> | null;
  readonly x: bigint;
  readonly y: bigint;
}

/** Derive one address, or a run of consecutive ones (batched: much faster per address). */
export interface FastDeriver {
  one(branch: number, index: number): FastDerived;
  range(branch: number, start: number, count: number): FastDerived[];
}

/**
 * Runs shorter than this go one by one: a batch step costs a field inversion, and the first batch
 * builds the comb table (~0.7 s, once per process).
 */
export const MIN_BATCH = 64;
/** Indexes per batch (bounds memory; lanes = keys × CHUNK). */
const CHUNK = 512;

/**
 * A deriver for one descriptor shape over its keys (at most 16). `branch` selects the multipath
 * index (0 = receive, 1 = change); `index` is the wildcard index.
 * @example createFastDeriver('wsh-sortedmulti', 2, collectKeys(parseSyntax(body)), 'main').range(0, 0, 100)
 */
export function createFastDeriver(
  shape: FastShape,
  threshold: number,
  keys: readonly KeyExpression[],
  network: Network,
): FastDeriver {
  if (!FAST_SHAPES.includes(shape)) throw new RangeError(`createFastDeriver: unsupported shape ${shape}`);
  if (!keys.every(fastKeyEligible)) throw new RangeError('createFastDeriver: a key is not eligible for the fast path');
  const single = shape === 'wpkh' || shape === 'sh-wpkh' || shape === 'pkh';
  if (single ? keys.length !== 1 : keys.length < 1 || keys.length > 16 || threshold < 1 || threshold > keys.length) {
    throw new RangeError(`createFastDeriver: bad key count ${keys.length} or threshold ${threshold} for ${shape}`);
  }
  const net = bitcoinjsNetwork(network);
  const bip32Net = keyFamily(network) === 'main' ? networks.bitcoin : networks.testnet;
  const branches = new Map<number, BranchKey[]>();

  const branchKeys = (branch: number): BranchKey[] => {
    let ks = branches.get(branch);
    if (ks) return ks;
    ks = keys.map((k): BranchKey => {
      if (k.kind === 'hex') return { fixed: hexToBytes(k.body), node: null, point: null, pubkey: null, mac: null, x: 0n, y: 0n };
      let node = bip32().fromBase58(k.xpub as string, bip32Net);
      let ranged = false;
      for (const s of k.steps) {
        if (s.kind === 'wildcard') ranged = true;
        else if (s.kind === 'multipath') {
          const o = s.options[branch];
          if (!o) throw new RangeError(`createFastDeriver: branch ${branch} is out of range`);
          node = node.derive(o.index);
        } else node = node.derive(s.index);
      }
      if (!ranged) return { fixed: node.publicKey, node: null, point: null, pubkey: null, mac: null, x: 0n, y: 0n };
      const point = Point.fromBytes(node.publicKey);
      const { x, y } = point.toAffine();
      return { fixed: null, node, point, pubkey: node.publicKey, mac: hmac.create(sha512, node.chainCode), x, y };
    });
    branches.set(branch, ks);
    return ks;
  };

  const childKey = (k: BranchKey, index: number): Uint8Array => {
    if (k.fixed) return k.fixed;
    return childPubkey(k as ParentKey, index) ?? (k.node as BIP32Interface).derive(index).publicKey;
  };

  const build = (pubs: Uint8Array[]): FastDerived => {
    if (single) {
      const h = hash160(pubs[0] as Uint8Array);
      if (shape === 'wpkh') return { scriptPubKey: concat([0x00, 0x14], h), address: segwit(net.bech32, h), witnessScript: undefined };
      if (shape === 'pkh') return { scriptPubKey: concat([0x76, 0xa9, 0x14], h, [0x88, 0xac]), address: base58check.encode(concat([net.pubKeyHash], h)), witnessScript: undefined };
      const redeem = concat([0x00, 0x14], h);
      const sh = hash160(redeem);
      return { scriptPubKey: p2shScript(sh), address: base58check.encode(concat([net.scriptHash], sh)), witnessScript: undefined };
    }
    if (shape.endsWith('sortedmulti')) pubs.sort(compareBytes);
    const script = new Uint8Array(3 + 34 * pubs.length);
    script[0] = 0x50 + threshold;
    pubs.forEach((p, i) => {
      script[1 + 34 * i] = 0x21;
      script.set(p, 2 + 34 * i);
    });
    script[script.length - 2] = 0x50 + pubs.length;
    script[script.length - 1] = 0xae;
    if (shape === 'sh-multi' || shape === 'sh-sortedmulti') {
      const sh = hash160(script);
      return { scriptPubKey: p2shScript(sh), address: base58check.encode(concat([net.scriptHash], sh)), witnessScript: undefined };
    }
    const program = sha256(script);
    if (shape === 'wsh-multi' || shape === 'wsh-sortedmulti') {
      return { scriptPubKey: concat([0x00, 0x20], program), address: segwit(net.bech32, program), witnessScript: script };
    }
    const sh = hash160(concat([0x00, 0x20], program));
    return { scriptPubKey: p2shScript(sh), address: base58check.encode(concat([net.scriptHash], sh)), witnessScript: script };
  };

  const checkIndex = (index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw new RangeError(`derive: index ${index} must be an integer in 0..2^31-1`);
  };

  const one = (branch: number, index: number): FastDerived => {
    checkIndex(index);
    return build(branchKeys(branch).map((k) => childKey(k, index)));
  };

  const range = (branch: number, start: number, count: number): FastDerived[] => {
    checkIndex(start);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`derive: count ${count} must be a whole number`);
    if (count > 0) checkIndex(start + count - 1);
    if (count < MIN_BATCH) return Array.from({ length: count }, (_v, i) => one(branch, start + i));
    const ks = branchKeys(branch);
    const out: FastDerived[] = [];
    for (let c0 = start; c0 < start + count; c0 += CHUNK) {
      const n = Math.min(CHUNK, start + count - c0);
      const children = ks.map((k) => (k.fixed ? null : childPubkeys(k as ParentKey & BranchKey, c0, n)));
      for (let i = 0; i < n; i++) out.push(build(ks.map((k, j) => (k.fixed ? k.fixed : ((children[j] as (Uint8Array | null)[])[i] ?? (k.node as BIP32Interface).derive(c0 + i).publicKey)))));
    }
    return out;
  };

  return { one, range };
}

interface ParentKey {
  readonly point: CurvePoint;
  readonly pubkey: Uint8Array;
  readonly mac: ReturnType<typeof hmac.create>;
}

const ckdData = new Uint8Array(37);

/**
 * BIP32 CKDpub for an unhardened index, public key only: K_i = parse256(I_L)·G + K with
 * I = HMAC-SHA512(c, ser_P(K) ‖ ser_32(i)). Returns null in the (p < 2^-127) invalid case, for the
 * caller to hand to bip32.
 */
function childPubkey(parent: ParentKey, index: number): Uint8Array | null {
  ckdData.set(parent.pubkey, 0);
  ckdData[33] = index >>> 24;
  ckdData[34] = (index >>> 16) & 0xff;
  ckdData[35] = (index >>> 8) & 0xff;
  ckdData[36] = index & 0xff;
  const I = parent.mac.clone().update(ckdData).digest();
  const il = bytesToBig(I, 0, 32);
  if (il === 0n || il >= ORDER) return null;
  const child = Point.BASE.multiplyUnsafe(il).add(parent.point);
  return child.is0() ? null : child.toBytes(true);
}

/**
 * Children start..start+count-1 of one parent, batched through batchMulAdd. A null entry is a
 * child BIP32 calls invalid (p < 2^-127), for the caller to hand to bip32.
 */
function childPubkeys(parent: ParentKey & { x: bigint; y: bigint }, start: number, count: number): (Uint8Array | null)[] {
  const scalars: Uint8Array[] = [];
  const lanes: number[] = [];
  const data = new Uint8Array(37);
  data.set(parent.pubkey, 0);
  for (let i = 0; i < count; i++) {
    const index = start + i;
    data[33] = index >>> 24;
    data[34] = (index >>> 16) & 0xff;
    data[35] = (index >>> 8) & 0xff;
    data[36] = index & 0xff;
    const il = parent.mac.clone().update(data).digest().subarray(0, 32);
    if (!validScalar(il)) continue;
    scalars.push(il);
    lanes.push(i);
  }
  const sums = batchMulAdd(scalars, scalars.map(() => parent.x), scalars.map(() => parent.y));
  const out = new Array<Uint8Array | null>(count).fill(null);
  lanes.forEach((i, t) => {
    out[i] = sums[t] ?? null;
  });
  return out;
}

const ORDER_BYTES = hexToBytes(ORDER.toString(16).padStart(64, '0'));

/** 0 < k < n for a 32-byte big-endian scalar. */
function validScalar(k: Uint8Array): boolean {
  let zero = true;
  for (const b of k) if (b !== 0) zero = false;
  return !zero && compareBytes(k, ORDER_BYTES) < 0;
}

/**
 * The compressed public key of unhardened child `index` of (pubkey, chainCode), computed the
 * fast way. Exported so the BIP32 vectors can check it; the derivers cache the parent state.
 * @example ckdPub(node.publicKey, node.chainCode, 7) // equals node.derive(7).publicKey
 */
export function ckdPub(pubkey: Uint8Array, chainCode: Uint8Array, index: number): Uint8Array | null {
  if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw new RangeError(`ckdPub: index ${index} must be unhardened (0..2^31-1)`);
  return childPubkey({ point: Point.fromBytes(pubkey), pubkey, mac: hmac.create(sha512, chainCode) }, index);
}

function segwit(hrp: string, program: Uint8Array): string {
  return bech32.encode(hrp, [0, ...bech32.toWords(program)]);
}

function p2shScript(h: Uint8Array): Uint8Array {
  return concat([0xa9, 0x14], h, [0x87]);
}

function hash160(b: Uint8Array): Uint8Array {
  return ripemd160(sha256(b));
}

function concat(...parts: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function bytesToBig(b: Uint8Array, start: number, end: number): bigint {
  let hex = '';
  for (let i = start; i < end; i++) hex += (b[i] as number).toString(16).padStart(2, '0');
  return BigInt('0x' + hex);
}
