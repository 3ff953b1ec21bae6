// Approvals are signatures (issue #19 item 1): a BIP340 signature over the approval statement
// verifies only for the statement signed — another proposal, transaction, policy version, approver
// or network, or another key, does not — and malformed input is "not valid", never a crash.
// The signature scheme is @noble/curves' BIP340, checked here against the BIP340 test vectors' first
// vector as an oracle that the library is the scheme we name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { approvalStatement, documentSha256, parseMemberPublicKey, verifyApprovalSignature, type ApprovalSubject } from '../../src/core/auth/approval-signature.ts';
import { createMemberKeyFile, readMemberKeyFile, signApproval } from '../../src/adapters/signers/member-key.ts';

const TXID = 'a'.repeat(64);

test('BIP340 vector 0 verifies with the library used for approvals', () => {
  // https://github.com/bitcoin/bips/blob/master/bip-0340/test-vectors.csv, index 0
  const pub = 'F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9';
  const msg = '0000000000000000000000000000000000000000000000000000000000000000';
  const sig = 'E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0';
  assert.equal(schnorr.verify(hex.decode(sig.toLowerCase()), hex.decode(msg), hex.decode(pub.toLowerCase())), true);
});

test('a signed approval verifies for exactly its statement and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-member-key-'));
  try {
    const path = join(dir, 'maria.key');
    const { publicKey } = createMemberKeyFile(path, 'maria');
    assert.equal(statSync(path).mode & 0o777, 0o600, 'only the member can read it');
    assert.throws(() => createMemberKeyFile(path, 'maria'), /never overwritten/);
    const key = readMemberKeyFile(path);
    assert.equal(key.publicKey, publicKey);
    assert.equal(parseMemberPublicKey(publicKey.toUpperCase()), publicKey);

    const subject: ApprovalSubject = { kind: 'spend', proposalId: 3, unsignedTxid: TXID, policyVersion: 2 };
    const statement = approvalStatement('main', 'maria', subject);
    const sig = signApproval(key, statement);
    assert.equal(verifyApprovalSignature(statement, sig, publicKey), true);

    const other = readMemberKeyFile(path); // same key
    assert.equal(verifyApprovalSignature(statement, signApproval(other, statement), publicKey), true, 'fresh randomness, still valid');
    for (const changed of [
      approvalStatement('main', 'maria', { ...subject, proposalId: 4 }),
      approvalStatement('main', 'maria', { ...subject, unsignedTxid: 'b'.repeat(64) }),
      approvalStatement('main', 'maria', { ...subject, policyVersion: 3 }),
      approvalStatement('main', 'pedro', subject),
      approvalStatement('test', 'maria', subject),
      approvalStatement('main', 'maria', { kind: 'policy-change', changeId: 3, documentSha256: documentSha256('{}'), fromVersion: 2 }),
    ]) {
      assert.equal(verifyApprovalSignature(changed, sig, publicKey), false, JSON.stringify(changed.subject));
    }
    const stranger = hex.encode(schnorr.getPublicKey(new Uint8Array(32).fill(7)));
    assert.equal(verifyApprovalSignature(statement, sig, stranger), false, 'another key');
    for (const bad of ['', 'zz', sig.slice(0, 126), `${sig}00`]) assert.equal(verifyApprovalSignature(statement, bad, publicKey), false);
    assert.equal(verifyApprovalSignature(statement, sig, 'f'.repeat(64)), false, 'not a curve point');
    assert.throws(() => parseMemberPublicKey('f'.repeat(64)), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => parseMemberPublicKey('abc'), { code: 'INVALID_ARGUMENT' });

    const loose = join(dir, 'loose.key');
    writeFileSync(loose, '{}', { mode: 0o644 });
    assert.throws(() => readMemberKeyFile(loose), /readable by others/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
