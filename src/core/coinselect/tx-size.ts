/**
 * Transaction size in weight units (BIP141), for fee estimation before signing.
 *
 * Every figure is the worst case a standard signer can produce: ECDSA signatures are 72 bytes
 * (71-byte low-S DER plus the sighash byte), Schnorr signatures 64 bytes (SIGHASH_DEFAULT).
 * Fees are computed on whole weight units and only the final vsize is rounded up, so a P2WSH
 * 2-of-3 input counts 418 WU (104.5 vB), not 105 vB.
 *
 * Input weights (non-witness bytes × 4 + witness bytes), proved against bitcoinjs-lib's
 * `Transaction.weight()` in `coinselect-tx-size.test.ts`:
 *
 * | type            | non-witness part                         | witness                                   | WU   | vB     |
 * | --------------- | ---------------------------------------- | ----------------------------------------- | ---- | ------ |
 * | `wsh-2of3`      | outpoint 36 + len 1 + sequence 4 = 41 B  | count, empty, 2 × (1+72), 1+105 script    | 418  | 104.5  |
 * | `sh-wsh-2of3`   | 41 B + 35 B scriptSig (push of 0 <32>)   | same as wsh                                | 558  | 139.5  |
 * | `sh-2of3`       | 36 + 3 + 254 B scriptSig + 4 = 297 B     | empty stack (1 WU in a segwit tx)          | 1189 | 297.25 |
 * | `tr`            | 41 B                                     | count, 1+64 key-path signature             | 230  | 57.5   |
 * | `tr-multi_a-2of3` | 41 B                                   | count, 2 × (1+64), empty, 1+104 script, 1+33 control | 435 | 108.75 |
 * | `p2wpkh`        | 41 B                                     | count, 1+72 signature, 1+33 key            | 272  | 68     |
 *
 * @example vsizeFromWeight(txWeight([INPUT_WEIGHT['wsh-2of3']], [34, 34])) === 189
 */

/** Weight of spending one input of each supported script type (see the table above). */
export const INPUT_WEIGHT = {
  'wsh-2of3': 418,
  'sh-wsh-2of3': 558,
  'sh-2of3': 1189,
  tr: 230,
  'tr-multi_a-2of3': 435,
  p2wpkh: 272,
} as const;

export type InputType = keyof typeof INPUT_WEIGHT;

/** Length of the scriptPubKey of common outputs, in bytes. */
export const SCRIPT_LENGTH = {
  p2pkh: 25,
  p2sh: 23,
  p2wpkh: 22,
  p2wsh: 34,
  p2tr: 34,
} as const;

/** Bitcoin Core's standardness limit on transaction weight. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;

/** Weight of the empty witness stack a non-witness input carries in a segwit transaction. */
export const EMPTY_WITNESS_WEIGHT = 1;

/** Serialized length of a CompactSize (varint) for `n`. */
export function compactSizeLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"n" expected a non-negative integer, got ${n}`);
  if (n < 0xfd) return 1;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}

/** Weight of one output with a scriptPubKey of `scriptLength` bytes: (8 value + varint + script) × 4. */
export function outputWeight(scriptLength: number): number {
  return (8 + compactSizeLength(scriptLength) + scriptLength) * 4;
}

/**
 * Weight of the parts of a transaction that are neither inputs nor outputs: version and locktime
 * (8 bytes), the input and output counts, and the segwit marker and flag (2 WU) when `segwit`.
 */
export function overheadWeight(inputCount: number, outputCount: number, segwit: boolean): number {
  return (8 + compactSizeLength(inputCount) + compactSizeLength(outputCount)) * 4 + (segwit ? 2 : 0);
}

/**
 * Exact weight of a transaction from its input weights (as in `INPUT_WEIGHT`, which already
 * include the 1-WU empty witness of legacy inputs) and its output script lengths.
 * A transaction whose inputs are all legacy (`sh-2of3`) is serialized without witness data,
 * so the marker, flag and empty witnesses are not counted.
 */
export function txWeight(inputWeights: readonly number[], outputScriptLengths: readonly number[]): number {
  const segwit = inputWeights.some((w) => w !== INPUT_WEIGHT['sh-2of3']);
  let w = overheadWeight(inputWeights.length, outputScriptLengths.length, segwit);
  for (const iw of inputWeights) {
    if (!Number.isSafeInteger(iw) || iw <= 0) throw new RangeError(`"inputWeight" expected a positive integer, got ${iw}`);
    w += segwit ? iw : iw - EMPTY_WITNESS_WEIGHT;
  }
  for (const len of outputScriptLengths) w += outputWeight(len);
  return w;
}

/** Virtual size: weight / 4, rounded up (BIP141). */
export function vsizeFromWeight(weight: number): number {
  return Math.ceil(weight / 4);
}

/**
 * Fee for a transaction of `weight` at `feeRateSatPerKvb` (sat per 1000 vB): the vsize is rounded
 * up first, then the fee is rounded up to a whole satoshi, so the fee rate is never below target.
 * @example feeForWeight(418 + 422, 1000n) === 210n   // 209.75 vB → 210 vB at 1 sat/vB
 */
export function feeForWeight(weight: number, feeRateSatPerKvb: bigint): bigint {
  return ceilDiv(BigInt(vsizeFromWeight(weight)) * feeRateSatPerKvb, 1000n);
}

/**
 * Fee share of one part of a transaction (an input, an output) of `weight`, on fractional vbytes:
 * ceil(rate × weight / 4000). Shares are what coin selection compares; the fee actually paid is
 * `feeForWeight` of the whole transaction, which can exceed the sum of shares by the rounding of
 * the final vsize (at most 3 WU).
 */
export function feeShare(weight: number, feeRateSatPerKvb: bigint): bigint {
  return ceilDiv(BigInt(weight) * feeRateSatPerKvb, 4000n);
}

/** Integer division of non-negative bigints, rounded up. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError(`"b" expected a positive divisor, got ${b}`);
  if (a < 0n) throw new RangeError(`"a" expected a non-negative dividend, got ${a}`);
  return (a + b - 1n) / b;
}
