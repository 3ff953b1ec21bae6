/**
 * What a PSBT may weigh, field by field, and which fields go out to the signers.
 *
 * A reviewer uploaded a signed PSBT carrying a 400 KB unknown field: it was accepted, combined
 * into the proposal, and the PSBT sent to the next signers grew from 1.4 KB to 535 KB. Two
 * defences live here: caps checked on the raw key-value maps before bitcoinjs-lib parses them
 * (`checkPsbtLimits`), and `cleanPsbtForSigners`, which keeps only the standard fields signers use.
 */
import { DomainError } from '../errors.ts';
import { PSBT_MAGIC, readPsbtMaps, writePsbtMaps, type PsbtKeyValue, type PsbtMaps } from './psbt-map.ts';

/**
 * The largest PSBT accepted (binary bytes; its base64 text may be 4/3 as long).
 *
 * Sized from the largest transaction a node relays (400,000 weight units): at most ~960 P2WSH
 * 2-of-3 inputs or ~900 taproot 2-of-3 script-path inputs, whose fully signed PSBTs with every
 * derivation and script are ~550 KB and ~710 KB. 256 KiB would refuse a legitimate large
 * consolidation; 1 MiB refuses nothing a standard transaction needs (and equals the HTTP body
 * limit). Unknown fields are capped much lower (below) and stripped before signing.
 */
export const MAX_PSBT_BYTES = 1024 * 1024;

/** At most this many key-value pairs in one map (a 20-key vault input has ~45). */
export const MAX_PSBT_MAP_ENTRIES = 1_000;
/** Longest key (type byte + keydata): a global xpub key is 79 bytes, a tap script sig 65. */
export const MAX_PSBT_KEY_BYTES = 256;
/** Largest value of a field no BIP defines for us (unknown or proprietary). */
export const MAX_PSBT_UNKNOWN_VALUE_BYTES = 4 * 1024;
/** All unknown and proprietary values of a PSBT together. */
export const MAX_PSBT_UNKNOWN_TOTAL_BYTES = 16 * 1024;

/** MAX_SCRIPT_SIZE of consensus for scripts that are not tapscript. */
const SCRIPT = 10_000;
/** Tapscripts have no size limit of their own; 64 KiB is ~1,900 keys of multi_a. */
const TAPSCRIPT = 64 * 1024;
/** A derivation: fingerprint + up to 255 steps (BIP32 depth is one byte). */
const DERIVATION = 4 + 4 * 255;
/** Previous transaction of a legacy input: the weight limit allows 400,000 bytes with witnesses. */
const PREV_TX = 400_000;
/** A final witness: a standard P2WSH script (3,600) with 100 items, or a big tapscript spend. */
const WITNESS = 100_000;

type Caps = Readonly<Record<number, number>>;

/** Value caps of the standard fields (BIP174, BIP370, BIP371), by map and type. */
const GLOBAL_CAPS: Caps = { 0x00: PREV_TX, 0x01: DERIVATION, 0x02: 4, 0x03: 4, 0x04: 9, 0x05: 9, 0x06: 1, 0xfb: 4 };
const INPUT_CAPS: Caps = {
  0x00: PREV_TX, 0x01: 8 + 3 + SCRIPT, 0x02: 73, 0x03: 4, 0x04: SCRIPT, 0x05: SCRIPT, 0x06: DERIVATION, 0x07: SCRIPT, 0x08: WITNESS,
  0x09: 1024, 0x0a: 520, 0x0b: 520, 0x0c: 520, 0x0d: 520, 0x0e: 32, 0x0f: 4, 0x10: 4, 0x11: 4, 0x12: 4,
  0x13: 65, 0x14: 65, 0x15: TAPSCRIPT + 1, 0x16: 9 + 32 * 1000 + DERIVATION, 0x17: 32, 0x18: 32,
};
const OUTPUT_CAPS: Caps = { 0x00: SCRIPT, 0x01: SCRIPT, 0x02: DERIVATION, 0x03: 8, 0x04: SCRIPT, 0x05: 32, 0x06: TAPSCRIPT * 4, 0x07: 9 + 32 * 1000 + DERIVATION };

/**
 * The fields signers need, kept by `cleanPsbtForSigners`: BIP174 (unsigned tx, xpubs, UTXOs,
 * partial sigs, sighash type, scripts, derivations, final scripts, hash preimages), BIP370 (v2
 * transaction fields) and BIP371 (taproot). Not kept: proprietary (0xfc), unknown types,
 * PSBT_IN_POR_COMMITMENT (0x09), and fields of BIPs we do not use (MuSig2, silent payments).
 */
const KEEP_GLOBAL = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xfb]);
const KEEP_INPUT = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
const KEEP_OUTPUT = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);

function bad(message: string): never {
  throw new DomainError('INVALID_PSBT', message);
}

/**
 * Refuse (DomainError INVALID_PSBT, plain message) a PSBT over the size caps: more than
 * MAX_PSBT_BYTES in all, a map with more than MAX_PSBT_MAP_ENTRIES entries, a key longer than
 * MAX_PSBT_KEY_BYTES, a standard field larger than its type allows, or unknown/proprietary
 * fields over MAX_PSBT_UNKNOWN_VALUE_BYTES each or MAX_PSBT_UNKNOWN_TOTAL_BYTES together.
 *
 * @example checkPsbtLimits(readPsbtMaps(bytes))
 */
export function checkPsbtLimits(maps: PsbtMaps): void {
  let unknownTotal = 0;
  const check = (map: readonly PsbtKeyValue[], caps: Caps, where: string): void => {
    if (map.length > MAX_PSBT_MAP_ENTRIES) bad(`the PSBT's ${where} has ${map.length} fields; at most ${MAX_PSBT_MAP_ENTRIES} are accepted`);
    for (const kv of map) {
      const type = kv.key[0] ?? 0;
      if (kv.key.length > MAX_PSBT_KEY_BYTES) bad(`the PSBT's ${where} has a field key of ${kv.key.length} bytes; at most ${MAX_PSBT_KEY_BYTES} are accepted`);
      const cap = caps[type];
      if (cap !== undefined) {
        if (kv.value.length > cap) bad(`the PSBT's ${where} has a field of type 0x${type.toString(16).padStart(2, '0')} of ${kv.value.length} bytes; at most ${cap} are accepted`);
        continue;
      }
      if (kv.value.length > MAX_PSBT_UNKNOWN_VALUE_BYTES) {
        bad(`the PSBT's ${where} has an unknown or proprietary field of ${kv.value.length} bytes; at most ${MAX_PSBT_UNKNOWN_VALUE_BYTES} are accepted`);
      }
      unknownTotal += kv.key.length + kv.value.length;
      if (unknownTotal > MAX_PSBT_UNKNOWN_TOTAL_BYTES) bad(`the PSBT carries more than ${MAX_PSBT_UNKNOWN_TOTAL_BYTES} bytes of unknown or proprietary fields`);
    }
  };
  check(maps.global, GLOBAL_CAPS, 'global map');
  maps.inputs.forEach((m, i) => check(m, INPUT_CAPS, `input ${i}`));
  maps.outputs.forEach((m, i) => check(m, OUTPUT_CAPS, `output ${i}`));
}

/** Refuse (INVALID_PSBT) a PSBT whose binary form is larger than MAX_PSBT_BYTES. */
export function checkPsbtSize(byteLength: number): void {
  if (byteLength > MAX_PSBT_BYTES) bad(`the PSBT is ${byteLength} bytes; at most ${MAX_PSBT_BYTES} (${MAX_PSBT_BYTES / 1024} KiB) are accepted`);
}

/**
 * The PSBT without the fields signers do not need: unknown and proprietary fields of the global
 * map, inputs and outputs are removed; every standard field is kept (BIP174/370/371: UTXOs,
 * BIP32 derivations, redeem/witness scripts, partial signatures, final scripts, taproot fields,
 * global xpubs). The version (v0 or v2) is kept. Input: binary PSBT bytes (use decodePsbt's
 * text handling first for base64/hex); output: binary PSBT bytes.
 *
 * @example cleanPsbtBytes(bytes) // same PSBT, minus the 400 KB a previous upload smuggled in
 */
export function cleanPsbtBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 5 || PSBT_MAGIC.some((b, i) => bytes[i] !== b)) bad('not a PSBT (missing the "psbt" magic bytes)');
  checkPsbtSize(bytes.length);
  const maps = readPsbtMaps(bytes);
  const keep = (map: readonly PsbtKeyValue[], types: ReadonlySet<number>): PsbtKeyValue[] => map.filter((kv) => types.has(kv.key[0] ?? -1));
  return writePsbtMaps({
    global: keep(maps.global, KEEP_GLOBAL),
    inputs: maps.inputs.map((m) => keep(m, KEEP_INPUT)),
    outputs: maps.outputs.map((m) => keep(m, KEEP_OUTPUT)),
  });
}
