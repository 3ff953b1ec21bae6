/**
 * SipHash-2-4 (Aumasson & Bernstein, 2012) with a 128-bit key and a 64-bit output, as BIP-158 uses
 * it. None of our libraries exports it, so it is written here and proven against the reference
 * implementation's 64 vectors and against bcoin's `bsip` (test/bitcoin/bip158.test.ts).
 *
 * JavaScript has no 64-bit integer arithmetic short of BigInt (slow), so every 64-bit word is held
 * as two unsigned 32-bit halves.
 */

/** A SipHash key split into its two little-endian 64-bit words, each as [hi, lo] uint32 halves. */
export interface SipKey {
  readonly k0hi: number;
  readonly k0lo: number;
  readonly k1hi: number;
  readonly k1lo: number;
}

function u32le(b: Uint8Array, o: number): number {
  return ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;
}

/**
 * Splits a 16-byte key (bytes 0..7 = k0, 8..15 = k1, little-endian).
 * @example sipKey(blockHashInternal.subarray(0, 16))
 */
export function sipKey(key: Uint8Array): SipKey {
  if (!(key instanceof Uint8Array) || key.length < 16) throw new TypeError('"key" expected at least 16 bytes');
  return { k0lo: u32le(key, 0), k0hi: u32le(key, 4), k1lo: u32le(key, 8), k1hi: u32le(key, 12) };
}

/** Result holder for `siphash24Into`: the 64-bit hash as uint32 halves. */
export interface SipOut {
  hi: number;
  lo: number;
}

/**
 * SipHash-2-4 of `data[start..end)` under `key`, written into `out` (no allocation). The state is
 * held in 16 local uint32 halves; the round is written out twice (message words, finalization) so
 * that it stays in registers.
 * @example const o = { hi: 0, lo: 0 }; siphash24Into(sipKey(k), script, 0, script.length, o);
 */
export function siphash24Into(key: SipKey, data: Uint8Array, start: number, end: number, out: SipOut): void {
  let v0h = (key.k0hi ^ 0x736f6d65) >>> 0, v0l = (key.k0lo ^ 0x70736575) >>> 0;
  let v1h = (key.k1hi ^ 0x646f7261) >>> 0, v1l = (key.k1lo ^ 0x6e646f6d) >>> 0;
  let v2h = (key.k0hi ^ 0x6c796765) >>> 0, v2l = (key.k0lo ^ 0x6e657261) >>> 0;
  let v3h = (key.k1hi ^ 0x74656462) >>> 0, v3l = (key.k1lo ^ 0x79746573) >>> 0;
  let lo: number, t: number;
  const len = end - start;
  const full = start + (len & ~7);
  // Message words, then one last word: the 0..7 remaining bytes with the length's low byte on top.
  for (let p = start; p <= full; p += 8) {
    let mh: number, ml: number;
    if (p < full) {
      mh = u32le(data, p + 4);
      ml = u32le(data, p);
    } else {
      mh = (len & 0xff) << 24;
      ml = 0;
      for (let i = 0; i < end - p; i++) {
        const b = data[p + i] as number;
        if (i < 4) ml |= b << (8 * i);
        else mh |= b << (8 * (i - 4));
      }
      mh >>>= 0;
      ml >>>= 0;
    }
    v3h = (v3h ^ mh) >>> 0; v3l = (v3l ^ ml) >>> 0;
    for (let r = 0; r < 2; r++) {
      lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
      t = v1h; v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (t >>> 19)) >>> 0;
      v1h = (v1h ^ v0h) >>> 0; v1l = (v1l ^ v0l) >>> 0;
      t = v0h; v0h = v0l; v0l = t;
      lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
      t = v3h; v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (t >>> 16)) >>> 0;
      v3h = (v3h ^ v2h) >>> 0; v3l = (v3l ^ v2l) >>> 0;
      lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
      t = v3h; v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (t >>> 11)) >>> 0;
      v3h = (v3h ^ v0h) >>> 0; v3l = (v3l ^ v0l) >>> 0;
      lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
      t = v1h; v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (t >>> 15)) >>> 0;
      v1h = (v1h ^ v2h) >>> 0; v1l = (v1l ^ v2l) >>> 0;
      t = v2h; v2h = v2l; v2l = t;
    }
    v0h = (v0h ^ mh) >>> 0; v0l = (v0l ^ ml) >>> 0;
  }
  v2l = (v2l ^ 0xff) >>> 0;
  for (let r = 0; r < 4; r++) {
    lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
    t = v1h; v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (t >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0; v1l = (v1l ^ v0l) >>> 0;
    t = v0h; v0h = v0l; v0l = t;
    lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
    t = v3h; v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (t >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0; v3l = (v3l ^ v2l) >>> 0;
    lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
    t = v3h; v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (t >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0; v3l = (v3l ^ v0l) >>> 0;
    lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
    t = v1h; v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (t >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0; v1l = (v1l ^ v2l) >>> 0;
    t = v2h; v2h = v2l; v2l = t;
  }
  out.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/**
 * SipHash-2-4 of `data` as a bigint (convenient, slower; the filters use `siphash24Into`).
 * @example siphash24(sipKey(key16), new Uint8Array(0)) === 0x726fdb47dd0e0e31n // key 00..0f
 */
export function siphash24(key: SipKey, data: Uint8Array): bigint {
  if (!(data instanceof Uint8Array)) throw new TypeError('"data" expected Uint8Array');
  const o = { hi: 0, lo: 0 };
  siphash24Into(key, data, 0, data.length, o);
  return (BigInt(o.hi) << 32n) | BigInt(o.lo);
}
