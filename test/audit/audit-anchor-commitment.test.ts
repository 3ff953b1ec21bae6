// The audit head anchored in Bitcoin: the commitment is SHA-256 of the domain text and SEQ:HASH
// (node:crypto as the oracle, so a shell's sha256sum reproduces it); the OP_RETURN script built for
// a head stays within the 80 bytes relayed by default, is found in a transaction that carries it,
// and no other head (another hash, another seq) is; a malformed transaction is INVALID_ARGUMENT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Transaction } from 'bitcoinjs-lib';
import {
  ANCHOR_OUTPUT_VBYTES, anchorCommitsTo, auditAnchorScript, auditHeadCommitment, findAuditAnchors, readAuditAnchor, txCommitsToHead,
} from '../../src/core/audit/anchor.ts';
import { DomainError } from '../../src/core/errors.ts';

const HEAD = { seq: 221, hash: '3fa9'.repeat(16) };
const P2WPKH = Uint8Array.from(Buffer.from(`0014${'11'.repeat(20)}`, 'hex'));

function txWith(...scripts: Uint8Array[]): Uint8Array {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(7), 1);
  tx.addOutput(P2WPKH, 50_000n);
  for (const s of scripts) tx.addOutput(s, 0n);
  return tx.toBuffer();
}

test('the commitment is sha256("soberana-audit-head/v1\\n" + "SEQ:HASH"), as sha256sum computes it', () => {
  const expected = createHash('sha256').update(`soberana-audit-head/v1\n221:${HEAD.hash}`).digest('hex');
  assert.equal(Buffer.from(auditHeadCommitment(HEAD)).toString('hex'), expected);
  assert.notEqual(Buffer.from(auditHeadCommitment({ ...HEAD, seq: 222 })).toString('hex'), expected, 'the seq is committed');
  assert.throws(() => auditHeadCommitment({ seq: 0, hash: HEAD.hash }), RangeError);
  assert.throws(() => auditHeadCommitment({ seq: 1, hash: 'XYZ' }), TypeError);
});

test('the anchor script is OP_RETURN with one 40-byte push (magic, seq, commitment): 42 bytes, within the 80-byte limit', () => {
  const script = auditAnchorScript(HEAD);
  assert.equal(script.length, 42);
  assert.ok(script.length - 2 <= 80);
  assert.equal(script[0], 0x6a);
  assert.equal(script[1], 40);
  assert.equal(Buffer.from(script.subarray(2, 6)).toString('ascii'), 'SBA1');
  assert.equal(Buffer.from(script.subarray(6, 10)).readUInt32BE(0), 221);
  assert.deepEqual(script.subarray(10), auditHeadCommitment(HEAD));
  assert.deepEqual(readAuditAnchor(script), { seq: 221, commitment: Buffer.from(auditHeadCommitment(HEAD)).toString('hex') });
  assert.equal(ANCHOR_OUTPUT_VBYTES, 8 + 1 + 42);
  // the output's serialized size really is ANCHOR_OUTPUT_VBYTES
  assert.equal(txWith(script).length - txWith().length, ANCHOR_OUTPUT_VBYTES);
});

test('an OP_RETURN script built for a head is found in a transaction that carries it; another head is not', () => {
  const other = { seq: 221, hash: '9f3e'.repeat(16) };
  const raw = txWith(auditAnchorScript({ seq: 5, hash: 'ee'.repeat(32) }), auditAnchorScript(HEAD));
  const c = txCommitsToHead(raw, HEAD);
  assert.equal(c.vout, 2);
  assert.equal(c.txid, Transaction.fromBuffer(raw).getId());
  assert.deepEqual(c.anchors.map((a) => [a.vout, a.seq]), [[1, 5], [2, 221]]);
  assert.equal(txCommitsToHead(raw, other).vout, null, 'same seq, another hash');
  assert.equal(txCommitsToHead(raw, { seq: 222, hash: HEAD.hash }).vout, null, 'same hash, another seq');
  assert.equal(txCommitsToHead(txWith(), HEAD).vout, null, 'no anchor at all');
  assert.ok(anchorCommitsTo(c.anchors[1] as { seq: number; commitment: string }, HEAD));
  assert.equal(anchorCommitsTo(c.anchors[1] as { seq: number; commitment: string }, { seq: 221, hash: 'not hex' }), false);
});

test('other OP_RETURN outputs are not anchors', () => {
  const push = (data: Buffer): Uint8Array => Uint8Array.from(Buffer.concat([Buffer.from([0x6a, data.length]), data]));
  const script = auditAnchorScript(HEAD);
  const wrongMagic = Buffer.from(script.subarray(2));
  wrongMagic[0] = 0x58;
  const seqZero = Buffer.from(script.subarray(2));
  seqZero.writeUInt32BE(0, 4);
  for (const s of [push(Buffer.from('hello')), push(wrongMagic), push(seqZero), script.subarray(0, 41), Uint8Array.from([0x6a])]) {
    assert.equal(readAuditAnchor(s), null, Buffer.from(s).toString('hex'));
  }
  assert.deepEqual(findAuditAnchors(txWith(push(wrongMagic))).anchors, []);
});

test('a malformed transaction is INVALID_ARGUMENT, not a crash', () => {
  const raw = txWith(auditAnchorScript(HEAD));
  for (const bad of [new Uint8Array(0), raw.subarray(0, raw.length - 3), Uint8Array.from([...raw, 0])]) {
    assert.throws(() => txCommitsToHead(bad, HEAD), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENT');
  }
});
