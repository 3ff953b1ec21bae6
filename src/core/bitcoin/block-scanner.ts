/**
 * The fast block scanner: finds the outputs paying to watched scripts and the inputs spending
 * watched outpoints in a raw block (wire serialization, with witnesses), walking the bytes once.
 *
 * It never builds transaction objects. Each output script is looked up in place in a `ScriptSet`,
 * each input's 36-byte prevout in an `OutpointSet`; only a transaction that matched gets its txid
 * (SHA-256d of the non-witness serialization, via @noble/hashes) and a copy of its bytes.
 *
 * Malformed bytes (bad or non-canonical varint, a length past the end, trailing bytes, counts that
 * cannot fit in what is left, a transaction without inputs, a superfluous witness, an output value
 * above 21M BTC, a matched transaction repeated) throw `DomainError('MALFORMED_DATA')` naming the offset. Every loop consumes at
 * least one byte per step or stops, so no input can make it hang.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../errors.ts';
import { MAX_MONEY } from '../money.ts';
import type { OutpointSet, ScriptSet } from './byte-sets.ts';

export interface BlockHeaderInfo {
  /** Block hash, display hex (reversed SHA-256d of the 80-byte header). */
  hash: string;
  prevHash: string;
  merkleRoot: string;
  time: number;
  bits: number;
  nonce: number;
  version: number;
}

export interface MatchedOutput {
  txid: string;
  vout: number;
  value: bigint;
  script: Uint8Array;
  txIndex: number;
}

export interface MatchedSpend {
  txid: string;
  vin: number;
  prevTxid: string;
  prevVout: number;
  txIndex: number;
}

export interface ScanResult {
  header: BlockHeaderInfo;
  txCount: number;
  outputs: MatchedOutput[];
  spends: MatchedSpend[];
  /** raw bytes (with witness) of every transaction that matched, by txid — the sync stores them */
  transactions: Map<string, { raw: Uint8Array; txIndex: number }>;
}

/** What the walk asks about each output script; `ScriptSet` is one. */
export interface ScriptMatcher {
  has(buf: Uint8Array, start: number, end: number): boolean;
}

/** What the walk asks about each input's prevout; `OutpointSet` is one. */
export interface OutpointMatcher {
  readonly size: number;
  has(buf: Uint8Array, offset: number): boolean;
}

const HEADER_BYTES = 80;
/** Smallest possible transaction: version, 1 input (36 + 1 + 4), no outputs, locktime. */
const MIN_TX_BYTES = 4 + 1 + 41 + 1 + 4;
const MIN_INPUT_BYTES = 41;
const MIN_OUTPUT_BYTES = 9;
/** Bitcoin Core's MAX_SIZE for CompactSize values. */
const MAX_COMPACT_SIZE = 0x02000000;
const MAX_MONEY_HI = Number(MAX_MONEY >> 32n);
const MAX_MONEY_LO = Number(MAX_MONEY & 0xffffffffn);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Display hex of a 32-byte hash stored in internal order (i.e. reversed). */
function reversedHex(b: Uint8Array, o: number): string {
  let s = '';
  for (let i = o + 31; i >= o; i--) s += HEX[b[i] as number] as string;
  return s;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;
}

function malformed(offset: number, problem: string): DomainError {
  return new DomainError('MALFORMED_DATA', `block: ${problem} at byte offset ${offset}`, { offset });
}

/**
 * Parses the 80-byte header at the start of a raw block (or of a bare header).
 * @example parseBlockHeader(raw).hash // '00000000000000000002a7c4…a054'
 */
export function parseBlockHeader(raw: Uint8Array): BlockHeaderInfo {
  if (!(raw instanceof Uint8Array)) throw new TypeError('parseBlockHeader: "raw" expected Uint8Array');
  if (raw.length < HEADER_BYTES) throw malformed(raw.length, `header needs ${HEADER_BYTES} bytes but the data ends`);
  const h = raw.subarray(0, HEADER_BYTES);
  return {
    hash: reversedHex(sha256(sha256(h)), 0),
    prevHash: reversedHex(h, 4),
    merkleRoot: reversedHex(h, 36),
    time: u32(h, 68),
    bits: u32(h, 72),
    nonce: u32(h, 76),
    version: u32(h, 0) | 0,
  };
}

// The walk's cursor. Module-level so the small readers below stay allocation-free; the walk is
// synchronous and never re-entered, so no two walks ever share it.
let P = 0;

/** Reads a CompactSize at P (canonical, ≤ MAX_SIZE) and advances P. */
function varint(b: Uint8Array, n: number, what: string): number {
  const at = P;
  if (at >= n) throw malformed(at, `${what} runs past the end`);
  const first = b[at] as number;
  if (first < 0xfd) {
    P = at + 1;
    return first;
  }
  if (first === 0xfd) {
    if (at + 3 > n) throw malformed(at, `${what} runs past the end`);
    const v = (b[at + 1] as number) | ((b[at + 2] as number) << 8);
    if (v < 0xfd) throw malformed(at, `${what} is not minimally encoded`);
    P = at + 3;
    return v;
  }
  if (first === 0xfe) {
    if (at + 5 > n) throw malformed(at, `${what} runs past the end`);
    const v = u32(b, at + 1);
    if (v < 0x10000) throw malformed(at, `${what} is not minimally encoded`);
    if (v > MAX_COMPACT_SIZE) throw malformed(at, `${what} ${v} is absurdly large`);
    P = at + 5;
    return v;
  }
  throw malformed(at, `${what} uses a 64-bit size, absurdly large`);
}

/** Everything one walk found, before it is turned into a ScanResult. */
interface WalkOut {
  txCount: number;
  outputs: MatchedOutput[];
  spends: MatchedSpend[];
  transactions: Map<string, { raw: Uint8Array; txIndex: number }>;
}

/**
 * The single pass over a block's transactions. Calls `scripts.has` for every output script and
 * `outpoints.has` for every input (when the set is not empty); records matches.
 */
function walk(raw: Uint8Array, scripts: ScriptMatcher, outpoints: OutpointMatcher): WalkOut {
  const n = raw.length;
  const checkSpends = outpoints.size > 0;
  const outputs: MatchedOutput[] = [];
  const spends: MatchedSpend[] = [];
  const transactions = new Map<string, { raw: Uint8Array; txIndex: number }>();
  // Matches of the current transaction: [vout, valuePos, scriptStart, scriptEnd] and [vin, prevoutPos].
  const pendingOut: number[] = [];
  const pendingIn: number[] = [];

  P = HEADER_BYTES;
  const txCount = varint(raw, n, 'transaction count');
  if (txCount === 0) throw malformed(HEADER_BYTES, 'block has no transactions');
  if (txCount > (n - P) / MIN_TX_BYTES) throw malformed(HEADER_BYTES, `transaction count ${txCount} cannot fit in the remaining ${n - P} bytes`);

  for (let t = 0; t < txCount; t++) {
    const txStart = P;
    if (txStart + 5 > n) throw malformed(txStart, `transaction ${t} runs past the end`);
    P = txStart + 4;
    let segwit = false;
    if (raw[P] === 0) {
      if (P + 1 >= n || raw[P + 1] !== 1) throw malformed(P, `transaction ${t} has no inputs or an unknown witness flag`);
      segwit = true;
      P += 2;
    }
    const bodyStart = P;
    const nIn = varint(raw, n, 'input count');
    if (nIn === 0) throw malformed(bodyStart, `transaction ${t} has no inputs`);
    if (nIn > (n - P) / MIN_INPUT_BYTES) throw malformed(bodyStart, `input count ${nIn} cannot fit in the remaining ${n - P} bytes`);
    for (let i = 0; i < nIn; i++) {
      const op = P;
      if (op + 36 > n) throw malformed(op, 'input prevout runs past the end');
      if (checkSpends && outpoints.has(raw, op)) pendingIn.push(i, op);
      P = op + 36;
      const sl = varint(raw, n, 'scriptSig length');
      if (P + sl + 4 > n) throw malformed(P, `scriptSig of ${sl} bytes and sequence run past the end`);
      P += sl + 4;
    }
    const outCountAt = P;
    const nOut = varint(raw, n, 'output count');
    if (nOut > (n - P) / MIN_OUTPUT_BYTES) throw malformed(outCountAt, `output count ${nOut} cannot fit in the remaining ${n - P} bytes`);
    for (let o = 0; o < nOut; o++) {
      const vp = P;
      if (vp + 9 > n) throw malformed(vp, 'output runs past the end');
      const hi = u32(raw, vp + 4);
      if (hi > MAX_MONEY_HI || (hi === MAX_MONEY_HI && u32(raw, vp) > MAX_MONEY_LO)) throw malformed(vp, 'output value is above 21 million BTC');
      P = vp + 8;
      const sl = varint(raw, n, 'scriptPubKey length');
      const ss = P;
      const se = ss + sl;
      if (se > n) throw malformed(ss, `scriptPubKey of ${sl} bytes runs past the end`);
      if (scripts.has(raw, ss, se)) pendingOut.push(o, vp, ss, se);
      P = se;
    }
    const bodyEnd = P;
    if (segwit) {
      let anyWitness = false;
      for (let i = 0; i < nIn; i++) {
        const itemsAt = P;
        const items = varint(raw, n, 'witness item count');
        if (items > n - P) throw malformed(itemsAt, `witness item count ${items} cannot fit in the remaining ${n - P} bytes`);
        if (items > 0) anyWitness = true;
        for (let k = 0; k < items; k++) {
          const l = varint(raw, n, 'witness item length');
          if (P + l > n) throw malformed(P, `witness item of ${l} bytes runs past the end`);
          P += l;
        }
      }
      if (!anyWitness) throw malformed(bodyEnd, `transaction ${t} has a witness flag but no witness data`);
    }
    const lockPos = P;
    if (lockPos + 4 > n) throw malformed(lockPos, 'locktime runs past the end');
    P = lockPos + 4;

    if (pendingOut.length > 0 || pendingIn.length > 0) {
      let digest: Uint8Array;
      if (segwit) {
        digest = sha256
          .create()
          .update(raw.subarray(txStart, txStart + 4))
          .update(raw.subarray(bodyStart, bodyEnd))
          .update(raw.subarray(lockPos, lockPos + 4))
          .digest();
      } else {
        digest = sha256(raw.subarray(txStart, P));
      }
      const txid = reversedHex(sha256(digest), 0);
      // A block holding the same transaction twice is a malleated (invalid) block: refuse it rather
      // than report its coins twice. Only matched transactions are hashed, so only they are checked.
      if (transactions.has(txid)) throw malformed(txStart, `transaction ${txid} appears twice`);
      for (let k = 0; k < pendingOut.length; k += 4) {
        const vp = pendingOut[k + 1] as number;
        outputs.push({
          txid,
          vout: pendingOut[k] as number,
          value: (BigInt(u32(raw, vp + 4)) << 32n) | BigInt(u32(raw, vp)),
          script: raw.slice(pendingOut[k + 2] as number, pendingOut[k + 3] as number),
          txIndex: t,
        });
      }
      for (let k = 0; k < pendingIn.length; k += 2) {
        const op = pendingIn[k + 1] as number;
        spends.push({ txid, vin: pendingIn[k] as number, prevTxid: reversedHex(raw, op), prevVout: u32(raw, op + 32), txIndex: t });
      }
      transactions.set(txid, { raw: raw.slice(txStart, P), txIndex: t });
      pendingOut.length = 0;
      pendingIn.length = 0;
    }
  }
  if (P !== n) throw malformed(P, `${n - P} trailing bytes after the last transaction`);
  return { txCount, outputs, spends, transactions };
}

/**
 * Scans a raw block for outputs paying to `watch.scripts` and inputs spending `watch.outpoints`.
 * Outputs and spends come in block order. Throws `DomainError('MALFORMED_DATA')` on bad bytes.
 * @example
 *   const r = scanBlock(raw, { scripts: new ScriptSet([spk]), outpoints: new OutpointSet() });
 *   for (const o of r.outputs) console.log(o.txid, o.vout, o.value);
 */
export function scanBlock(raw: Uint8Array, watch: { scripts: ScriptSet; outpoints: OutpointSet }): ScanResult {
  const header = parseBlockHeader(raw);
  const r = walk(raw, watch.scripts, watch.outpoints);
  return { header, ...r };
}

const NO_OUTPOINTS: OutpointMatcher = { size: 0, has: () => false };

/**
 * Every output scriptPubKey of a raw block, in block order, as views into `raw` (not copies).
 * Validates the whole block like `scanBlock`. The BIP-158 filter builder uses it.
 * @example blockOutputScripts(raw).length // number of outputs in the block
 */
export function blockOutputScripts(raw: Uint8Array): Uint8Array[] {
  parseBlockHeader(raw);
  const found: Uint8Array[] = [];
  walk(raw, { has: (b, s, e) => (found.push(b.subarray(s, e)), false) }, NO_OUTPOINTS);
  return found;
}
