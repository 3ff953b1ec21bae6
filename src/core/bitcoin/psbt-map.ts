/**
 * The raw key-value layer of PSBTs (BIP174 v0, BIP370 v2): split the bytes into maps, check the
 * version rules of BIP370, and convert a v2 PSBT into the equivalent v0 PSBT so that
 * bitcoinjs-lib (which owns the field semantics) can process it.
 *
 * Only the framing is handled here; the meaning of each field is left to bitcoinjs-lib.
 */
import { Transaction } from 'bitcoinjs-lib';
import { DomainError } from '../errors.ts';
import { MAX_MONEY } from '../money.ts';

/** One key-value pair: `key` includes its type byte (keydata follows it). */
export interface PsbtKeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** The maps of a PSBT, in order. */
export interface PsbtMaps {
  readonly global: PsbtKeyValue[];
  readonly inputs: PsbtKeyValue[][];
  readonly outputs: PsbtKeyValue[][];
}

/** The magic bytes every PSBT starts with: "psbt" 0xff. */
export const PSBT_MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);

/** Field types of BIP174/BIP370 that the version rules refer to. */
export const PSBT_GLOBAL = {
  UNSIGNED_TX: 0x00,
  XPUB: 0x01,
  TX_VERSION: 0x02,
  FALLBACK_LOCKTIME: 0x03,
  INPUT_COUNT: 0x04,
  OUTPUT_COUNT: 0x05,
  TX_MODIFIABLE: 0x06,
  VERSION: 0xfb,
} as const;

export const PSBT_IN = {
  PREVIOUS_TXID: 0x0e,
  OUTPUT_INDEX: 0x0f,
  SEQUENCE: 0x10,
  REQUIRED_TIME_LOCKTIME: 0x11,
  REQUIRED_HEIGHT_LOCKTIME: 0x12,
} as const;

export const PSBT_OUT = {
  AMOUNT: 0x03,
  SCRIPT: 0x04,
} as const;

const V2_ONLY_GLOBAL = new Set<number>([0x02, 0x03, 0x04, 0x05, 0x06]);
const V2_ONLY_INPUT = new Set<number>([0x0e, 0x0f, 0x10, 0x11, 0x12]);
const V2_ONLY_OUTPUT = new Set<number>([0x03, 0x04]);

function bad(message: string): never {
  throw new DomainError('INVALID_PSBT', message);
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  byte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) bad('PSBT ends unexpectedly');
    this.pos += 1;
    return b;
  }
  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) bad('PSBT ends unexpectedly');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  compactSize(): number {
    const first = this.byte();
    if (first < 0xfd) return first;
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    const raw = this.take(width);
    let v = 0n;
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i] ?? 0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad('PSBT length field too large');
    return Number(v);
  }
}

function readMap(r: Reader, where: string): PsbtKeyValue[] {
  const out: PsbtKeyValue[] = [];
  const seen = new Set<string>();
  for (;;) {
    const keyLen = r.compactSize();
    if (keyLen === 0) return out;
    const key = r.take(keyLen);
    const value = r.take(r.compactSize());
    const id = hexOf(key);
    if (seen.has(id)) bad(`PSBT has a duplicate key in the ${where} map`);
    seen.add(id);
    out.push({ key, value });
  }
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function u32le(b: Uint8Array, label: string): number {
  if (b.length !== 4) bad(`PSBT field ${label} must be 4 bytes`);
  return ((b[0] ?? 0) | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0;
}

function compactValue(b: Uint8Array, label: string): number {
  const r = new Reader(b);
  const n = r.compactSize();
  if (!r.done) bad(`PSBT field ${label} has trailing bytes`);
  return n;
}

function find(map: readonly PsbtKeyValue[], type: number): PsbtKeyValue | undefined {
  return map.find((kv) => kv.key.length === 1 && kv.key[0] === type);
}

function findTyped(map: readonly PsbtKeyValue[], type: number, label: string): PsbtKeyValue | undefined {
  const kv = map.find((x) => x.key[0] === type);
  if (kv && kv.key.length !== 1) bad(`PSBT field ${label} has an invalid key`);
  return kv;
}

/** The PSBT version of a global map (PSBT_GLOBAL_VERSION, default 0). */
export function psbtVersionOf(global: readonly PsbtKeyValue[]): number {
  const v = findTyped(global, PSBT_GLOBAL.VERSION, 'PSBT_GLOBAL_VERSION');
  return v ? u32le(v.value, 'PSBT_GLOBAL_VERSION') : 0;
}

/**
 * Split PSBT bytes into their maps and check the BIP174/BIP370 framing and version rules:
 * v0 must carry PSBT_GLOBAL_UNSIGNED_TX and no v2-only field; v2 must carry none and every
 * required v2 field. Throws DomainError('INVALID_PSBT') otherwise.
 *
 * @example readPsbtMaps(bytes).inputs.length
 */
export function readPsbtMaps(bytes: Uint8Array): PsbtMaps {
  if (bytes.length < 5 || PSBT_MAGIC.some((b, i) => bytes[i] !== b)) bad('not a PSBT (missing the "psbt" magic bytes)');
  const r = new Reader(bytes);
  r.take(5);
  const global = readMap(r, 'global');
  const version = psbtVersionOf(global);
  let nIn: number;
  let nOut: number;
  if (version === 0) {
    const tx = find(global, PSBT_GLOBAL.UNSIGNED_TX);
    if (!tx) bad('PSBT v0 without PSBT_GLOBAL_UNSIGNED_TX');
    for (const kv of global) if (kv.key[0] !== undefined && V2_ONLY_GLOBAL.has(kv.key[0])) bad(`PSBT v0 carries the v2-only global field 0x0${kv.key[0].toString(16)}`);
    let parsed: Transaction;
    try {
      parsed = Transaction.fromBuffer(tx.value);
    } catch {
      bad('PSBT unsigned transaction is malformed');
    }
    nIn = parsed.ins.length;
    nOut = parsed.outs.length;
  } else if (version === 2) {
    if (find(global, PSBT_GLOBAL.UNSIGNED_TX)) bad('PSBT v2 must not carry PSBT_GLOBAL_UNSIGNED_TX');
    const txv = findTyped(global, PSBT_GLOBAL.TX_VERSION, 'PSBT_GLOBAL_TX_VERSION');
    const ic = findTyped(global, PSBT_GLOBAL.INPUT_COUNT, 'PSBT_GLOBAL_INPUT_COUNT');
    const oc = findTyped(global, PSBT_GLOBAL.OUTPUT_COUNT, 'PSBT_GLOBAL_OUTPUT_COUNT');
    if (!txv) bad('PSBT v2 without PSBT_GLOBAL_TX_VERSION');
    if (!ic) bad('PSBT v2 without PSBT_GLOBAL_INPUT_COUNT');
    if (!oc) bad('PSBT v2 without PSBT_GLOBAL_OUTPUT_COUNT');
    if (u32le(txv.value, 'PSBT_GLOBAL_TX_VERSION') < 2) bad('PSBT v2 with a transaction version below 2');
    nIn = compactValue(ic.value, 'PSBT_GLOBAL_INPUT_COUNT');
    nOut = compactValue(oc.value, 'PSBT_GLOBAL_OUTPUT_COUNT');
  } else {
    bad(`PSBT version ${version} is not supported (only 0 and 2)`);
  }
  const inputs: PsbtKeyValue[][] = [];
  for (let i = 0; i < nIn; i++) inputs.push(readMap(r, `input ${i}`));
  const outputs: PsbtKeyValue[][] = [];
  for (let i = 0; i < nOut; i++) outputs.push(readMap(r, `output ${i}`));
  if (!r.done) bad('PSBT has bytes after its last map');

  if (version === 0) {
    inputs.forEach((m, i) => {
      for (const kv of m) if (kv.key[0] !== undefined && V2_ONLY_INPUT.has(kv.key[0])) bad(`PSBT v0 input ${i} carries a v2-only field`);
    });
    outputs.forEach((m, i) => {
      for (const kv of m) if (kv.key[0] !== undefined && V2_ONLY_OUTPUT.has(kv.key[0])) bad(`PSBT v0 output ${i} carries a v2-only field`);
    });
  } else {
    inputs.forEach((m, i) => {
      const txid = findTyped(m, PSBT_IN.PREVIOUS_TXID, 'PSBT_IN_PREVIOUS_TXID');
      if (!txid) bad(`PSBT v2 input ${i} without PSBT_IN_PREVIOUS_TXID`);
      if (txid.value.length !== 32) bad(`PSBT v2 input ${i} PSBT_IN_PREVIOUS_TXID must be 32 bytes`);
      const vout = findTyped(m, PSBT_IN.OUTPUT_INDEX, 'PSBT_IN_OUTPUT_INDEX');
      if (!vout) bad(`PSBT v2 input ${i} without PSBT_IN_OUTPUT_INDEX`);
      u32le(vout.value, 'PSBT_IN_OUTPUT_INDEX');
      const seq = findTyped(m, PSBT_IN.SEQUENCE, 'PSBT_IN_SEQUENCE');
      if (seq) u32le(seq.value, 'PSBT_IN_SEQUENCE');
      const time = findTyped(m, PSBT_IN.REQUIRED_TIME_LOCKTIME, 'PSBT_IN_REQUIRED_TIME_LOCKTIME');
      if (time && u32le(time.value, 'PSBT_IN_REQUIRED_TIME_LOCKTIME') < 500_000_000) bad(`PSBT v2 input ${i} time locktime below 500000000`);
      const height = findTyped(m, PSBT_IN.REQUIRED_HEIGHT_LOCKTIME, 'PSBT_IN_REQUIRED_HEIGHT_LOCKTIME');
      if (height) {
        const h = u32le(height.value, 'PSBT_IN_REQUIRED_HEIGHT_LOCKTIME');
        if (h === 0 || h >= 500_000_000) bad(`PSBT v2 input ${i} height locktime must be between 1 and 499999999`);
      }
    });
    outputs.forEach((m, i) => {
      const amount = findTyped(m, PSBT_OUT.AMOUNT, 'PSBT_OUT_AMOUNT');
      if (!amount) bad(`PSBT v2 output ${i} without PSBT_OUT_AMOUNT`);
      if (amount.value.length !== 8) bad(`PSBT v2 output ${i} PSBT_OUT_AMOUNT must be 8 bytes`);
      if (!findTyped(m, PSBT_OUT.SCRIPT, 'PSBT_OUT_SCRIPT')) bad(`PSBT v2 output ${i} without PSBT_OUT_SCRIPT`);
    });
  }
  return { global, inputs, outputs };
}

/**
 * BIP370 locktime determination for a v2 PSBT: `null` when the inputs require incompatible
 * locktime kinds (one only by height, another only by time).
 *
 * @example determineLocktimeV2(readPsbtMaps(bytes)) === 10000
 */
export function determineLocktimeV2(maps: PsbtMaps): number | null {
  let heightOk = true;
  let timeOk = true;
  let any = false;
  let maxHeight = 0;
  let maxTime = 0;
  for (const m of maps.inputs) {
    const t = find(m, PSBT_IN.REQUIRED_TIME_LOCKTIME);
    const h = find(m, PSBT_IN.REQUIRED_HEIGHT_LOCKTIME);
    if (!t && !h) continue;
    any = true;
    if (t) maxTime = Math.max(maxTime, u32le(t.value, 'PSBT_IN_REQUIRED_TIME_LOCKTIME'));
    else timeOk = false;
    if (h) maxHeight = Math.max(maxHeight, u32le(h.value, 'PSBT_IN_REQUIRED_HEIGHT_LOCKTIME'));
    else heightOk = false;
  }
  if (!any) {
    const fb = find(maps.global, PSBT_GLOBAL.FALLBACK_LOCKTIME);
    return fb ? u32le(fb.value, 'PSBT_GLOBAL_FALLBACK_LOCKTIME') : 0;
  }
  if (heightOk) return maxHeight;
  if (timeOk) return maxTime;
  return null;
}

function writeCompact(n: number, out: number[]): void {
  if (n < 0xfd) out.push(n);
  else if (n <= 0xffff) out.push(0xfd, n & 0xff, n >>> 8);
  else out.push(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

function writeMap(map: readonly PsbtKeyValue[], out: number[]): void {
  for (const kv of map) {
    writeCompact(kv.key.length, out);
    out.push(...kv.key);
    writeCompact(kv.value.length, out);
    out.push(...kv.value);
  }
  out.push(0);
}

/** Serialize maps back to PSBT bytes (magic, global, inputs, outputs). */
export function writePsbtMaps(maps: PsbtMaps): Uint8Array {
  const out: number[] = [...PSBT_MAGIC];
  writeMap(maps.global, out);
  for (const m of maps.inputs) writeMap(m, out);
  for (const m of maps.outputs) writeMap(m, out);
  return Uint8Array.from(out);
}

/**
 * Convert a v2 PSBT (already checked by `readPsbtMaps`) into the v0 PSBT of the same
 * transaction: builds PSBT_GLOBAL_UNSIGNED_TX from the v2 fields (locktime by BIP370
 * determination) and drops the v2-only fields; every other field is kept as is.
 *
 * @example psbtV2ToV0(readPsbtMaps(v2bytes))
 */
export function psbtV2ToV0(maps: PsbtMaps): Uint8Array {
  const locktime = determineLocktimeV2(maps);
  if (locktime === null) bad('PSBT v2 inputs require incompatible locktimes (one by height, another by time)');
  const txv = find(maps.global, PSBT_GLOBAL.TX_VERSION);
  const tx = new Transaction();
  tx.version = u32le(txv?.value ?? new Uint8Array(), 'PSBT_GLOBAL_TX_VERSION');
  tx.locktime = locktime;
  for (const m of maps.inputs) {
    const txid = find(m, PSBT_IN.PREVIOUS_TXID)?.value ?? new Uint8Array(32);
    const vout = u32le(find(m, PSBT_IN.OUTPUT_INDEX)?.value ?? new Uint8Array(), 'PSBT_IN_OUTPUT_INDEX');
    const seq = find(m, PSBT_IN.SEQUENCE);
    tx.addInput(Uint8Array.from(txid), vout, seq ? u32le(seq.value, 'PSBT_IN_SEQUENCE') : 0xffffffff);
  }
  maps.outputs.forEach((m, n) => {
    const a = find(m, PSBT_OUT.AMOUNT)?.value ?? new Uint8Array(8);
    let value = 0n;
    for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(a[i] ?? 0);
    if (value > MAX_MONEY) bad(`PSBT v2 output ${n}: its amount is out of range (negative or more than 21,000,000 BTC)`);
    tx.addOutput(Uint8Array.from(find(m, PSBT_OUT.SCRIPT)?.value ?? new Uint8Array()), value);
  });
  const global: PsbtKeyValue[] = [{ key: Uint8Array.of(PSBT_GLOBAL.UNSIGNED_TX), value: tx.toBuffer() }];
  for (const kv of maps.global) {
    const t = kv.key[0] ?? 0;
    if (t === PSBT_GLOBAL.VERSION || V2_ONLY_GLOBAL.has(t)) continue;
    global.push(kv);
  }
  return writePsbtMaps({
    global,
    inputs: maps.inputs.map((m) => m.filter((kv) => !V2_ONLY_INPUT.has(kv.key[0] ?? 0))),
    outputs: maps.outputs.map((m) => m.filter((kv) => !V2_ONLY_OUTPUT.has(kv.key[0] ?? 0))),
  });
}
