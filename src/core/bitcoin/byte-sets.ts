/**
 * Hash sets of byte strings that answer "is this range of a block buffer a member?" without
 * copying the range or converting it to hex: the block scanner asks once per output and once per
 * input, so this is the hot path of a sync.
 *
 * Both sets are open-addressing tables (linear probing) of slot → entry index, with the entry's
 * 32-bit hash kept beside it so a probe compares bytes only when the hashes agree. The hash is
 * deterministic (the core has no randomness); block data cannot slow a lookup down beyond one
 * byte comparison per candidate, because probe chains depend only on the watched entries.
 *
 * In front of each table sits a 65,536-bit prefilter indexed by two bytes that are already random
 * (hash or key bytes near a script's end; the first bytes of a txid): almost every block output
 * and input is rejected with a couple of loads, before any hashing. A set bit only means "look in
 * the table", so stale bits after a delete cost time, never correctness.
 */

const EMPTY = 0;
const TOMBSTONE = -1;
const MIN_CAPACITY = 16;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function u32at(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24);
}

/**
 * Hash of `buf[start..end)`: its length and its last eight bytes (for every standard script the
 * tail is hash or key material), or every byte of a script shorter than eight.
 */
function scriptHash(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let h = Math.imul(len, 0x9e3779b1);
  if (len >= 8) {
    h ^= u32at(buf, end - 8);
    h = Math.imul(h, 0x85ebca6b) ^ u32at(buf, end - 4);
  } else {
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  }
  return mix32(h);
}

const FILTER_WORDS = 65536 / 32;

/** Prefilter index of a script: its length and two bytes just before its last two. */
function scriptFilterIndex(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len < 4) return len;
  return (((buf[end - 3] as number) | ((buf[end - 4] as number) << 8)) ^ Math.imul(len, 0x9e37)) & 0xffff;
}

function capacityFor(n: number): number {
  let c = MIN_CAPACITY;
  while (c < n * 2) c *= 2;
  return c;
}

/**
 * A set of scriptPubKeys.
 * @example
 *   const s = new ScriptSet([spk]);
 *   s.has(block, scriptStart, scriptEnd); // true when block[scriptStart..scriptEnd) equals spk
 */
export class ScriptSet {
  #filter = new Uint32Array(FILTER_WORDS);
  #scripts: Uint8Array[] = [];
  #slots = new Int32Array(MIN_CAPACITY);
  #hashes = new Uint32Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;

  constructor(scripts?: Iterable<Uint8Array>) {
    if (scripts) for (const s of scripts) this.add(s);
  }

  get size(): number {
    return this.#scripts.length;
  }

  /** Adds a copy of `script` (adding one already present does nothing). */
  add(script: Uint8Array): void {
    if (!(script instanceof Uint8Array)) throw new TypeError('ScriptSet.add: "script" expected Uint8Array');
    if (this.has(script, 0, script.length)) return;
    if ((this.#scripts.length + 1) * 2 > this.#slots.length) this.#rehash(capacityFor(this.#scripts.length + 1));
    this.#scripts.push(script.slice());
    this.#insert(this.#scripts.length, scriptHash(script, 0, script.length));
    const f = scriptFilterIndex(script, 0, script.length);
    this.#filter[f >>> 5] = (this.#filter[f >>> 5] as number) | (1 << (f & 31));
  }

  /** True when the bytes `buf[start..end)` equal a member. */
  has(buf: Uint8Array, start: number, end: number): boolean {
    const f = scriptFilterIndex(buf, start, end);
    if (((this.#filter[f >>> 5] as number) & (1 << (f & 31))) === 0) return false;
    const len = end - start;
    const h = scriptHash(buf, start, end);
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    for (;;) {
      const e = slots[i] as number;
      if (e === EMPTY) return false;
      if (this.#hashes[i] === h) {
        const s = this.#scripts[e - 1] as Uint8Array;
        if (s.length === len) {
          let j = 0;
          while (j < len && s[j] === buf[start + j]) j++;
          if (j === len) return true;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** The members, as copies. */
  values(): Uint8Array[] {
    return this.#scripts.map((s) => s.slice());
  }

  #insert(entry: number, h: number): void {
    let i = h & this.#mask;
    while (this.#slots[i] !== EMPTY) i = (i + 1) & this.#mask;
    this.#slots[i] = entry;
    this.#hashes[i] = h;
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity);
    this.#hashes = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#scripts.forEach((s, k) => this.#insert(k + 1, scriptHash(s, 0, s.length)));
  }
}

const OUTPOINT_BYTES = 36;
const HEX_RE = /^[0-9a-fA-F]{64}$/;

/** The 36-byte wire form of an outpoint: txid in internal (reversed) order, then vout LE. */
function outpointKey(txidDisplayHex: string, vout: number): Uint8Array {
  if (typeof txidDisplayHex !== 'string' || !HEX_RE.test(txidDisplayHex)) throw new TypeError('OutpointSet: "txid" expected 64 hex characters');
  if (!Number.isInteger(vout) || vout < 0 || vout > 0xffffffff) throw new RangeError(`OutpointSet: "vout" out of range: ${vout}`);
  const k = new Uint8Array(OUTPOINT_BYTES);
  for (let i = 0; i < 32; i++) k[31 - i] = parseInt(txidDisplayHex.slice(2 * i, 2 * i + 2), 16);
  k[32] = vout & 0xff;
  k[33] = (vout >>> 8) & 0xff;
  k[34] = (vout >>> 16) & 0xff;
  k[35] = (vout >>> 24) & 0xff;
  return k;
}

function outpointHash(buf: Uint8Array, o: number): number {
  return mix32(u32at(buf, o) ^ Math.imul(u32at(buf, o + 32), 0x9e3779b1) ^ u32at(buf, o + 28));
}

/**
 * A set of outpoints (txid:vout), looked up directly in a block's input bytes.
 * @example
 *   const s = new OutpointSet();
 *   s.add('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b', 0);
 *   s.has(block, inputOffset); // inputOffset: the 36 bytes prev txid (internal order) + vout LE
 */
export class OutpointSet {
  #filter = new Uint32Array(FILTER_WORDS);
  #keys: (Uint8Array | undefined)[] = [];
  #free: number[] = [];
  #size = 0;
  #tombstones = 0;
  #slots = new Int32Array(MIN_CAPACITY);
  #hashes = new Uint32Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;

  get size(): number {
    return this.#size;
  }

  /** Adds `txid:vout` (txid in the usual display hex). Adding one already present does nothing. */
  add(txidDisplayHex: string, vout: number): void {
    const k = outpointKey(txidDisplayHex, vout);
    if (this.#find(k, 0) >= 0) return;
    if ((this.#size + this.#tombstones + 1) * 2 > this.#slots.length) this.#rehash(capacityFor(this.#size + 1));
    let entry = this.#free.pop();
    if (entry === undefined) {
      this.#keys.push(k);
      entry = this.#keys.length;
    } else {
      this.#keys[entry - 1] = k;
    }
    this.#insert(entry, outpointHash(k, 0));
    this.#mark(k);
    this.#size++;
  }

  /** Removes `txid:vout`; returns whether it was present. */
  delete(txidDisplayHex: string, vout: number): boolean {
    const k = outpointKey(txidDisplayHex, vout);
    const slot = this.#find(k, 0);
    if (slot < 0) return false;
    const entry = this.#slots[slot] as number;
    this.#keys[entry - 1] = undefined;
    this.#free.push(entry);
    this.#slots[slot] = TOMBSTONE;
    this.#size--;
    this.#tombstones++;
    return true;
  }

  /** True when the 36 bytes at `buf[offset..]` (txid internal order + vout LE) are a member. */
  has(buf: Uint8Array, offset: number): boolean {
    const f = (buf[offset] as number) | ((buf[offset + 1] as number) << 8);
    if (((this.#filter[f >>> 5] as number) & (1 << (f & 31))) === 0) return false;
    return this.#find(buf, offset) >= 0;
  }

  #mark(k: Uint8Array): void {
    const f = (k[0] as number) | ((k[1] as number) << 8);
    this.#filter[f >>> 5] = (this.#filter[f >>> 5] as number) | (1 << (f & 31));
  }

  #find(buf: Uint8Array, o: number): number {
    const h = outpointHash(buf, o);
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    for (;;) {
      const e = slots[i] as number;
      if (e === EMPTY) return -1;
      if (e > 0 && this.#hashes[i] === h) {
        const k = this.#keys[e - 1] as Uint8Array;
        let j = 0;
        while (j < OUTPOINT_BYTES && k[j] === buf[o + j]) j++;
        if (j === OUTPOINT_BYTES) return i;
      }
      i = (i + 1) & mask;
    }
  }

  #insert(entry: number, h: number): void {
    let i = h & this.#mask;
    while ((this.#slots[i] as number) > 0) i = (i + 1) & this.#mask;
    if (this.#slots[i] === TOMBSTONE) this.#tombstones--;
    this.#slots[i] = entry;
    this.#hashes[i] = h;
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity);
    this.#hashes = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#tombstones = 0;
    this.#filter = new Uint32Array(FILTER_WORDS);
    this.#keys.forEach((k, idx) => {
      if (k) {
        this.#insert(idx + 1, outpointHash(k, 0));
        this.#mark(k);
      }
    });
  }
}
