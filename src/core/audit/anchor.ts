/**
 * The audit log's head timestamped in Bitcoin. A governed transaction can carry, in a zero-value
 * OP_RETURN output, a commitment to the log's head at the time it was proposed; once mined, its
 * block proves that entries 1…SEQ existed, exactly as they are now if the log still holds that
 * head, before that block's time. Nobody, the reserve included, can back-date a rewrite past it.
 *
 * The commitment: SHA-256 of the text `soberana-audit-head/v1\n` followed by the head written
 * `SEQ:HASH`, which anyone can recompute with a shell:
 *
 *   printf 'soberana-audit-head/v1\n%s' 221:3fa9…c2 | sha256sum
 *
 * The output script: OP_RETURN, then one 40-byte push: the ASCII magic `SBA1`, the seq as 4 bytes
 * big-endian (so the entry can be found without trying them all), the 32-byte commitment. 42
 * bytes of script, well under the 80 bytes of data relayed by default.
 */
import { payments, Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { DomainError } from '../errors.ts';
import { formatHead, type AuditHead } from './kept-heads.ts';

const COMMITMENT_DOMAIN = 'soberana-audit-head/v1\n';
export const ANCHOR_MAGIC = 'SBA1';
const MAGIC_BYTES = utf8ToBytes(ANCHOR_MAGIC);
const DATA_LENGTH = 4 + 4 + 32;
/** Length of the anchor's output script: OP_RETURN, a push opcode, 40 bytes of data. */
export const ANCHOR_SCRIPT_LENGTH = 2 + DATA_LENGTH;
/** Bytes of the anchor output in a transaction: value (8), script length (1), script (42). All non-witness, so also its vbytes. */
export const ANCHOR_OUTPUT_VBYTES = 8 + 1 + ANCHOR_SCRIPT_LENGTH;
const MAX_SEQ = 0xffff_ffff;

function assertHead(head: AuditHead): void {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1 || head.seq > MAX_SEQ) throw new RangeError(`audit anchor: seq ${String(head.seq)} is not between 1 and ${MAX_SEQ}`);
  if (!/^[0-9a-f]{64}$/.test(head.hash)) throw new TypeError('audit anchor: hash is not 64 lower-case hex digits');
}

/**
 * The 32-byte commitment to a head.
 * @example bytesToHex(auditHeadCommitment({ seq: 221, hash: '3fa9…' }))
 */
export function auditHeadCommitment(head: AuditHead): Uint8Array {
  assertHead(head);
  return sha256(utf8ToBytes(COMMITMENT_DOMAIN + formatHead(head)));
}

/**
 * The OP_RETURN output script that anchors `head` (42 bytes), for a zero-value output.
 * @example tx.addOutput(auditAnchorScript({ seq: 221, hash: '3fa9…' }), 0n)
 */
export function auditAnchorScript(head: AuditHead): Uint8Array {
  const data = new Uint8Array(DATA_LENGTH);
  data.set(MAGIC_BYTES, 0);
  new DataView(data.buffer).setUint32(4, head.seq, false);
  data.set(auditHeadCommitment(head), 8);
  const script = payments.embed({ data: [data] }).output;
  if (!script || script.length > 82) throw new RangeError('audit anchor: the script came out longer than 80 bytes of data');
  return script;
}

/** An anchor found in a transaction output. */
export interface AuditAnchor {
  readonly vout: number;
  readonly seq: number;
  /** hex */
  readonly commitment: string;
}

/** The anchor an output script carries, or null when it is not one. */
export function readAuditAnchor(script: Uint8Array): { seq: number; commitment: string } | null {
  if (script.length !== ANCHOR_SCRIPT_LENGTH || script[0] !== 0x6a) return null;
  let data: Uint8Array[] | undefined;
  try {
    data = payments.embed({ output: script }).data;
  } catch {
    return null;
  }
  const d = data?.length === 1 ? data[0] : undefined;
  if (!d || d.length !== DATA_LENGTH || !MAGIC_BYTES.every((b, i) => d[i] === b)) return null;
  const seq = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(4, false);
  return seq === 0 ? null : { seq, commitment: bytesToHex(d.subarray(8)) };
}

/**
 * Every audit anchor in a raw transaction (untrusted bytes: a malformed one is INVALID_ARGUMENT).
 * @example findAuditAnchors(raw) // { txid: '…', anchors: [{ vout: 2, seq: 221, commitment: '…' }] }
 */
export function findAuditAnchors(raw: Uint8Array): { txid: string; anchors: AuditAnchor[] } {
  let tx: Transaction;
  try {
    tx = Transaction.fromBuffer(raw);
  } catch (e) {
    throw new DomainError('INVALID_ARGUMENT', `not a raw Bitcoin transaction (${e instanceof Error ? e.message : 'unreadable'})`);
  }
  const anchors: AuditAnchor[] = [];
  tx.outs.forEach((o, vout) => {
    const a = readAuditAnchor(o.script);
    if (a) anchors.push({ vout, ...a });
  });
  return { txid: tx.getId(), anchors };
}

/** What a transaction says about a head. */
export interface AnchorCheck {
  readonly txid: string;
  /** The output that commits to the head, or null. */
  readonly vout: number | null;
  readonly anchors: readonly AuditAnchor[];
}

/** Whether an anchor found in a transaction commits to `head` (false for a malformed head). */
export function anchorCommitsTo(anchor: { seq: number; commitment: string }, head: AuditHead): boolean {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1 || head.seq > MAX_SEQ || !/^[0-9a-f]{64}$/.test(head.hash)) return false;
  return anchor.seq === head.seq && anchor.commitment === bytesToHex(auditHeadCommitment(head));
}

/**
 * Whether a raw transaction commits to `head`: `vout` is the output that does, or null.
 * @example txCommitsToHead(raw, { seq: 221, hash: '3fa9…' }).vout !== null
 */
export function txCommitsToHead(raw: Uint8Array, head: AuditHead): AnchorCheck {
  assertHead(head);
  const { txid, anchors } = findAuditAnchors(raw);
  const hit = anchors.find((a) => anchorCommitsTo(a, head));
  return { txid, vout: hit ? hit.vout : null, anchors };
}

/**
 * The anchor in a list of outputs (an unsigned transaction's, a PSBT's): its output and what it
 * commits to, or null when none carries one. More than one is a fault of whoever built it.
 * @example anchorInOutputs(psbt.txOutputs) // { vout: 2, seq: 221, commitment: '…' }
 */
export function anchorInOutputs(outs: readonly { script: Uint8Array; value: bigint }[]): AuditAnchor | null {
  const found: AuditAnchor[] = [];
  outs.forEach((o, vout) => {
    const a = readAuditAnchor(o.script);
    if (a && o.value === 0n) found.push({ vout, ...a });
  });
  if (found.length > 1) throw new RangeError(`audit anchor: ${found.length} anchor outputs in one transaction (outputs ${found.map((a) => a.vout).join(', ')})`);
  return found[0] ?? null;
}

/**
 * How people read an anchor output: not a payment, it pays nobody.
 * @example describeAnchor({ seq: 221, hash: '3fa9…' }) // 'audit anchor seq 221 hash 3fa9…'
 */
export function describeAnchor(head: { seq: number; hash: string | null }): string {
  return `audit anchor seq ${head.seq} hash ${head.hash ?? '(not in this log)'}`;
}
