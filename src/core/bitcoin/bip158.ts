/**
 * BIP-158 basic block filters: a Golomb-coded set (GCS) of the scriptPubKeys a block creates and
 * spends, hashed with SipHash-2-4 keyed by the block hash, P = 19, M = 784931. The sync asks
 * "does this block touch any of our scripts?" with `matchAny` and skips the block when it does
 * not. Verified with every row of the BIP's test vectors (test/bitcoin/bip158.test.ts).
 *
 * Arithmetic stays in Numbers: hashed values are below N·M < 2^53, and the 64×53-bit product that
 * maps a hash into that range is done exactly in 16-bit limbs (no BigInt on the hot path).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../errors.ts';
import { blockOutputScripts, parseBlockHeader } from './block-scanner.ts';
import type { SipKey, SipOut } from './siphash.ts';
import { sipKey, siphash24Into } from './siphash.ts';

/** Golomb-Rice parameter of basic filters. */
export const BASIC_FILTER_P = 19;
/** False-positive parameter of basic filters (1 / M per query element). */
export const BASIC_FILTER_M = 784931;

const P = BASIC_FILTER_P;
const TWO_P = 2 ** P;
const P_MASK = TWO_P - 1;
const OP_RETURN = 0x6a;
const HEX_RE = /^[0-9a-fA-F]{64}$/;

function fromDisplayHex(hex: string, label: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) throw new TypeError(`"${label}" expected 64 hex characters`);
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[31 - i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

function toDisplayHex(b: Uint8Array): string {
  let s = '';
  for (let i = b.length - 1; i >= 0; i--) s += (b[i] as number).toString(16).padStart(2, '0');
  return s;
}

function filterError(problem: string): DomainError {
  return new DomainError('MALFORMED_DATA', `BIP-158 filter: ${problem}`);
}

/** The SipHash key of a block's filter: the first 16 bytes of its hash in internal byte order. */
function blockKey(blockHash: string): SipKey {
  return sipKey(fromDisplayHex(blockHash, 'blockHash').subarray(0, 16));
}

const SIP: SipOut = { hi: 0, lo: 0 };

/**
 * floor(hash64 · F / 2^64) for the hash in SIP and F < 2^53: the "fast range" reduction of
 * BIP-158, exact, in 16-bit limbs so every partial sum stays far below 2^53.
 */
function mapToRange(f: number): number {
  const h0 = SIP.lo & 0xffff, h1 = SIP.lo >>> 16, h2 = SIP.hi & 0xffff, h3 = SIP.hi >>> 16;
  const fLo = f % 4294967296;
  const fHi = (f - fLo) / 4294967296;
  const f0 = fLo & 0xffff, f1 = fLo >>> 16, f2 = fHi & 0xffff, f3 = fHi >>> 16;
  let c = h0 * f0;
  c = Math.floor(c / 65536) + h1 * f0 + h0 * f1;
  c = Math.floor(c / 65536) + h2 * f0 + h1 * f1 + h0 * f2;
  c = Math.floor(c / 65536) + h3 * f0 + h2 * f1 + h1 * f2 + h0 * f3;
  c = Math.floor(c / 65536) + h3 * f1 + h2 * f2 + h1 * f3; // column 4: bits 64..79
  const r0 = c % 65536;
  c = Math.floor(c / 65536) + h3 * f2 + h2 * f3;
  const r1 = c % 65536;
  c = Math.floor(c / 65536) + h3 * f3;
  const r2 = c % 65536;
  const r3 = Math.floor(c / 65536);
  return ((r3 * 65536 + r2) * 65536 + r1) * 65536 + r0;
}

/** Hashes `script` under `key` into [0, f). Exported for tests (checked against BigInt). */
export function hashToRange(key: SipKey, script: Uint8Array, f: number): number {
  siphash24Into(key, script, 0, script.length, SIP);
  return mapToRange(f);
}

function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

/** Reads N from the front of a filter; returns [N, offset of the bit stream]. */
function readN(filter: Uint8Array): [number, number] {
  if (!(filter instanceof Uint8Array)) throw new TypeError('"filter" expected Uint8Array');
  const first = filter[0];
  if (first === undefined) throw filterError('empty');
  if (first < 0xfd) return [first, 1];
  const need = first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
  if (filter.length < need) throw filterError('element count runs past the end');
  if (first === 0xff) throw filterError('element count is absurdly large');
  let n = 0;
  for (let i = need - 1; i >= 1; i--) n = n * 256 + (filter[i] as number);
  return [n, need];
}

/**
 * Builds the basic filter of a raw block. `prevOutputScripts` are the scriptPubKeys of the outputs
 * the block's inputs spend (from the undo data or the UTXO set; the coinbase spends none).
 * Elements: every output script except empty ones and those starting with OP_RETURN, and every
 * non-empty spent script, without duplicates.
 * @example buildBasicFilter(raw, []) // Uint8Array: CompactSize(N) ‖ Golomb-Rice bit stream
 */
export function buildBasicFilter(rawBlock: Uint8Array, prevOutputScripts: readonly Uint8Array[]): Uint8Array {
  const hash = parseBlockHeader(rawBlock).hash;
  const elements = new Map<string, Uint8Array>();
  for (const s of blockOutputScripts(rawBlock)) {
    if (s.length === 0 || s[0] === OP_RETURN) continue;
    elements.set(bytesHex(s), s);
  }
  for (const s of prevOutputScripts) {
    if (!(s instanceof Uint8Array)) throw new TypeError('"prevOutputScripts" expected Uint8Array items');
    if (s.length === 0) continue;
    elements.set(bytesHex(s), s);
  }
  return encodeFilter(hash, [...elements.values()]);
}

function bytesHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] as number).toString(16).padStart(2, '0');
  return s;
}

/**
 * Golomb-codes a set of distinct elements for the block `blockHash` (display hex).
 * @example encodeFilter(hash, [spkA, spkB]).length // small
 */
export function encodeFilter(blockHash: string, elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length;
  const head = compactSize(n);
  if (n === 0) return head;
  const key = blockKey(blockHash);
  const f = n * BASIC_FILTER_M;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = hashToRange(key, elements[i] as Uint8Array, f);
  values.sort();
  // Each element: the quotient in unary (q ones, then a zero), then the remainder in P bits.
  const out: number[] = [];
  let acc = 0; // bits not yet flushed, most significant first
  let accBits = 0;
  const pushBit = (bit: number): void => {
    acc = (acc << 1) | bit;
    if (++accBits === 8) {
      out.push(acc);
      acc = 0;
      accBits = 0;
    }
  };
  let last = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const d = v - last;
    last = v;
    const q = Math.floor(d / TWO_P);
    const r = d - q * TWO_P;
    for (let k = 0; k < q; k++) pushBit(1);
    pushBit(0);
    for (let k = P - 1; k >= 0; k--) pushBit((r >>> k) & 1);
  }
  if (accBits > 0) out.push(acc << (8 - accBits));
  const res = new Uint8Array(head.length + out.length);
  res.set(head, 0);
  res.set(out, head.length);
  return res;
}

/**
 * Decodes every element of a filter (sorted hashed values). For tests and tools; matching uses a
 * merge that stops early.
 * @example decodeFilter(filter).length === N
 */
export function decodeFilter(filter: Uint8Array): number[] {
  const [n, start] = readN(filter);
  const out: number[] = [];
  gcsWalk(filter, start, n, (v) => {
    out.push(v);
    return GO_ON;
  });
  return out;
}

const GO_ON = 0;
const FOUND = 1;
const STOP = 2;

/**
 * Reads the N Golomb-Rice coded deltas of a filter's bit stream (most significant bit first) and
 * calls `visit` with each running value until it answers FOUND (→ true) or STOP (→ false). The reader
 * keeps up to 32 pending bits in `acc` (only the low `bits` of it are meaningful) and counts a
 * quotient's run of ones with Math.clz32, not bit by bit.
 */
function gcsWalk(buf: Uint8Array, pos: number, n: number, visit: (value: number) => number): boolean {
  const len = buf.length;
  let acc = 0;
  let bits = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (;;) {
      if (bits === 0) {
        if (pos >= len) throw filterError('bit stream ends before the last element');
        acc = buf[pos++] as number;
        bits = 8;
      }
      const ones = Math.clz32(~(acc << (32 - bits)));
      if (ones < bits) {
        q += ones;
        bits -= ones + 1;
        break;
      }
      q += bits;
      bits = 0;
    }
    while (bits < P) {
      if (pos >= len) throw filterError('bit stream ends inside an element');
      acc = (acc << 8) | (buf[pos++] as number);
      bits += 8;
    }
    bits -= P;
    v += q * TWO_P + ((acc >>> bits) & P_MASK);
    const next = visit(v);
    if (next !== GO_ON) return next === FOUND;
  }
  return false;
}

/**
 * The filter header chain: SHA-256d(SHA-256d(filter) ‖ previous header), display hex in and out.
 * @example filterHeader(genesisFilter, '00'.repeat(32))
 */
export function filterHeader(filter: Uint8Array, prevHeader: string): string {
  if (!(filter instanceof Uint8Array)) throw new TypeError('"filter" expected Uint8Array');
  const buf = new Uint8Array(64);
  buf.set(sha256(sha256(filter)), 0);
  buf.set(fromDisplayHex(prevHeader, 'prevHeader'), 32);
  return toDisplayHex(sha256(sha256(buf)));
}

/**
 * One watch set matched against many blocks' filters. Keeps the deduplicated scripts and a reusable
 * array for their hashed values; each `matchAny` hashes them under the block's key, sorts, and
 * merges with the filter's stream, stopping at the first common value.
 * @example
 *   const m = new FilterMatcher(watchedScripts);
 *   if (!m.matchAny(filter, blockHash)) continue; // skip the block
 */
export class FilterMatcher {
  #scripts: Uint8Array[];
  #values: Float64Array;

  constructor(scripts: Iterable<Uint8Array>) {
    const unique = new Map<string, Uint8Array>();
    for (const s of scripts) {
      if (!(s instanceof Uint8Array)) throw new TypeError('FilterMatcher: scripts expected Uint8Array items');
      unique.set(bytesHex(s), s.slice());
    }
    this.#scripts = [...unique.values()];
    this.#values = new Float64Array(this.#scripts.length);
  }

  get size(): number {
    return this.#scripts.length;
  }

  /** True when any watched script may be in the block (false positives at rate ≈ size / M). */
  matchAny(filter: Uint8Array, blockHash: string): boolean {
    return mergeMatch(filter, blockHash, this.#scripts, this.#values);
  }
}

/**
 * Hashes `scripts` under the block's key into `q`, sorts, and walks the filter once, stopping at
 * the first common value or when the queries run out. Duplicate scripts are harmless.
 */
function mergeMatch(filter: Uint8Array, blockHash: string, scripts: readonly Uint8Array[], q: Float64Array): boolean {
  const [n, start] = readN(filter);
  const k = scripts.length;
  if (n === 0 || k === 0) return false;
  const key = blockKey(blockHash);
  const f = n * BASIC_FILTER_M;
  for (let i = 0; i < k; i++) {
    const s = scripts[i] as Uint8Array;
    siphash24Into(key, s, 0, s.length, SIP);
    q[i] = mapToRange(f);
  }
  const sorted = q.length === k ? q.sort() : q.subarray(0, k).sort();
  let qi = 0;
  let want = sorted[0] as number;
  return gcsWalk(filter, start, n, (v) => {
    while (want < v) {
      if (++qi === k) return STOP;
      want = sorted[qi] as number;
    }
    return want === v ? FOUND : GO_ON;
  });
}

/**
 * True when any of `scripts` may be in the block whose basic filter is `filter`.
 * @example matchAny(filter, blockHash, [ourSpk]) // false → the block certainly does not touch it
 */
export function matchAny(filter: Uint8Array, blockHash: string, scripts: readonly Uint8Array[]): boolean {
  for (const s of scripts) if (!(s instanceof Uint8Array)) throw new TypeError('matchAny: scripts expected Uint8Array items');
  return mergeMatch(filter, blockHash, scripts, new Float64Array(scripts.length));
}
