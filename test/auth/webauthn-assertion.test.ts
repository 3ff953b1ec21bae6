// Passkey approvals (issue #19 item 1): a WebAuthn assertion verifies only when it is a
// "webauthn.get" over exactly the approval digest, from an allowed origin, for the credential's rpId,
// with the user present (and verified when required), signed by the credential's P-256 key. The W3C
// WebAuthn Level 3 §16 ES256 test vectors verify (and the cross-origin ones are refused); assertions
// made by OpenSSL (node:crypto) verify, and a one-byte change anywhere in them does not; malformed
// input is "not valid", never an exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { base64urlnopad, hex } from '@scure/base';
import {
  assertionProblem, encodePasskeyAssertion, encodePasskeyCredential, originOnRpId, parsePasskeyAssertion, parsePasskeyCredential, parseRpId, passkeyFromSpki,
  verifyPasskeyApproval, type PasskeyAssertion,
} from '../../src/core/auth/webauthn.ts';
import { approvalDigest, approvalStatement, memberKeyKind, normalizeApprovalSignature, parseMemberPublicKey, verifyApprovalSignature, type ApprovalSubject } from '../../src/core/auth/approval-signature.ts';
import { assertWithSoftwarePasskey, makeSoftwarePasskey, softwarePasskeySignature } from '../helpers/software-passkey.ts';

interface Vector {
  id: string; rpId: string; origin: string; credential_id: string; credential_private_key: string; credential_public_key_x: string; credential_public_key_y: string;
  assertion: { challenge: string; authenticatorData: string; clientDataJSON: string; signature: string };
}
const VECTORS = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'webauthn-l3-es256.json'), 'utf8')) as { vectors: Vector[] }).vectors;
const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
const b64 = (h: string): string => base64urlnopad.encode(hex.decode(h));

function fromVector(v: Vector) {
  const credential = passkeyFromSpki(b64(v.credential_id), hex.decode(`${P256_SPKI_PREFIX}04${v.credential_public_key_x}${v.credential_public_key_y}`), v.rpId);
  const assertion: PasskeyAssertion = { credentialId: credential.credentialId, authenticatorData: b64(v.assertion.authenticatorData), clientDataJSON: b64(v.assertion.clientDataJSON), signature: b64(v.assertion.signature) };
  return { credential, assertion, challenge: hex.decode(v.assertion.challenge) };
}
const vector = (id: string): Vector => {
  const v = VECTORS.find((x) => x.id === id);
  if (!v) throw new Error(`no vector ${id}`);
  return v;
};

test('W3C WebAuthn L3 §16 ES256 vectors: same-origin assertions verify, cross-origin ones are refused', () => {
  for (const v of VECTORS) {
    // the vector's key: its private key gives the COSE public key (the vector is self-consistent)
    assert.equal(hex.encode(p256.getPublicKey(hex.decode(v.credential_private_key), false)), `04${v.credential_public_key_x}${v.credential_public_key_y}`, v.id);
    const { credential, assertion, challenge } = fromVector(v);
    const problem = assertionProblem(assertion, credential, { challenge, origins: [v.origin] });
    if (v.id.includes('crossOrigin') || v.id.includes('topOrigin')) assert.match(problem ?? '', /cross-origin/, v.id);
    else assert.equal(problem, null, v.id);
  }
  const none = fromVector(vector('sctn-test-vectors-none-es256'));
  assert.equal(assertionProblem(none.assertion, none.credential, { challenge: none.challenge }), null, 'origin https://example.org is on rpId example.org');
  // the vector's flags are 0x19 (UP, BE, BS): user present, not verified
  assert.match(assertionProblem(none.assertion, none.credential, { challenge: none.challenge, requireUserVerification: true }) ?? '', /did not verify the user/);
  assert.match(assertionProblem(none.assertion, none.credential, { challenge: none.challenge, origins: ['https://example.com'] }) ?? '', /origin https:\/\/example.org is not one/);
  assert.match(assertionProblem(none.assertion, { ...none.credential, rpId: 'example.com' }, { challenge: none.challenge }) ?? '', /another relying party|origin/);
  const other = fromVector(vector('sctn-test-vectors-packed-self-es256'));
  assert.match(assertionProblem(none.assertion, other.credential, { challenge: none.challenge }) ?? '', /another passkey/);
  assert.match(assertionProblem(none.assertion, { ...other.credential, credentialId: none.credential.credentialId }, { challenge: none.challenge }) ?? '', /does not verify/, 'another key');
});

test('a one-byte change in any part of an official vector assertion fails', () => {
  const { credential, assertion, challenge } = fromVector(vector('sctn-test-vectors-none-es256'));
  for (const field of ['authenticatorData', 'clientDataJSON', 'signature'] as const) {
    const bytes = base64urlnopad.decode(assertion[field]);
    for (let i = 0; i < bytes.length; i++) {
      const changed = bytes.slice();
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      assert.notEqual(assertionProblem({ ...assertion, [field]: base64urlnopad.encode(changed) }, credential, { challenge }), null, `${field} byte ${i}`);
    }
  }
  const ch = challenge.slice();
  ch[0] = (ch[0] ?? 0) ^ 1;
  assert.match(assertionProblem(assertion, credential, { challenge: ch }) ?? '', /another challenge/);
});

const SUBJECT: ApprovalSubject = { kind: 'spend', proposalId: 7, unsignedTxid: 'c'.repeat(64), policyVersion: 3 };

test('an approval signed with a passkey verifies for exactly its statement, key and origin; a one-byte change anywhere fails', () => {
  const key = makeSoftwarePasskey('localhost');
  assert.equal(memberKeyKind(key.memberKey), 'passkey');
  assert.equal(parseMemberPublicKey(` ${key.memberKey} `), key.memberKey, 'canonical text');
  const statement = approvalStatement('main', 'maria', SUBJECT);
  const origins = ['http://localhost:8080'];
  const a = assertWithSoftwarePasskey(key, approvalDigest(statement));
  const sig = encodePasskeyAssertion(a);
  assert.equal(verifyApprovalSignature(statement, sig, key.memberKey, { origins }), true);
  assert.equal(verifyApprovalSignature(statement, sig, key.memberKey), true, 'without a configured list: http on localhost, on the rpId');
  assert.equal(normalizeApprovalSignature(`  ${sig}\n`), sig);

  for (const changed of [
    approvalStatement('main', 'maria', { ...SUBJECT, proposalId: 8 }),
    approvalStatement('main', 'maria', { ...SUBJECT, unsignedTxid: 'd'.repeat(64) }),
    approvalStatement('main', 'maria', { ...SUBJECT, policyVersion: 4 }),
    approvalStatement('main', 'pedro', SUBJECT),
    approvalStatement('test', 'maria', SUBJECT),
  ]) assert.equal(verifyApprovalSignature(changed, sig, key.memberKey), false, JSON.stringify(changed));

  for (const field of ['authenticatorData', 'clientDataJSON', 'signature', 'credentialId'] as const) {
    const bytes = base64urlnopad.decode(a[field]);
    for (let i = 0; i < bytes.length; i++) {
      const changed = bytes.slice();
      changed[i] = (changed[i] ?? 0) ^ 0x80;
      assert.equal(verifyApprovalSignature(statement, encodePasskeyAssertion({ ...a, [field]: base64urlnopad.encode(changed) }), key.memberKey), false, `${field} byte ${i}`);
    }
  }
  // the member's key: another P-256 key, another credential id, another rpId
  const other = makeSoftwarePasskey('localhost');
  assert.equal(verifyApprovalSignature(statement, sig, encodePasskeyCredential({ ...key.credential, publicKey: other.credential.publicKey })), false);
  assert.equal(verifyApprovalSignature(statement, sig, encodePasskeyCredential({ ...key.credential, credentialId: other.credential.credentialId })), false);
  assert.equal(verifyApprovalSignature(statement, sig, encodePasskeyCredential({ ...key.credential, rpId: 'example.org' })), false);
  // a BIP340 signature is no passkey assertion and the other way round
  assert.equal(verifyApprovalSignature(statement, 'ab'.repeat(64), key.memberKey), false);
  assert.equal(verifyApprovalSignature(statement, sig, '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'), false);
});

test('the browser side is checked: type, origin, cross-origin frames, user presence and verification, rpIdHash', () => {
  const key = makeSoftwarePasskey('localhost');
  const digest = approvalDigest(approvalStatement('main', 'maria', SUBJECT));
  const check = (o: Parameters<typeof softwarePasskeySignature>[2], origins?: readonly string[], requireUserVerification?: boolean): boolean =>
    verifyPasskeyApproval(softwarePasskeySignature(key, digest, o), key.memberKey, { challenge: digest, origins, requireUserVerification });
  assert.equal(check({}), true);
  assert.equal(check({ type: 'webauthn.create' }), false, 'a registration is not an approval');
  assert.equal(check({ origin: 'http://localhost:9999' }, ['http://localhost:8080']), false, 'an origin not configured');
  assert.equal(check({ origin: 'http://evil.example' }), false, 'an origin not on the rpId');
  assert.equal(check({ origin: 'http://localhost:8080/' }), false, 'not an origin (path)');
  assert.equal(check({ crossOrigin: true }), false);
  assert.equal(check({ flags: 0x00 }), false, 'user not present');
  assert.equal(check({ flags: 0x01 }), true, 'present, not verified: enough by default');
  assert.equal(check({ flags: 0x01 }, undefined, true), false, 'user verification required');
  assert.equal(check({ flags: 0x05 }, undefined, true), true);
  assert.equal(check({ rpId: 'example.org' }), false, 'authenticator data for another rpId');
  const reserve = makeSoftwarePasskey('reserve.example.org');
  const d2 = approvalDigest(approvalStatement('main', 'maria', SUBJECT));
  const at = (origin: string): boolean => verifyPasskeyApproval(softwarePasskeySignature(reserve, d2, { origin }), reserve.memberKey, { challenge: d2 });
  assert.equal(at('https://reserve.example.org'), true);
  assert.equal(at('https://app.reserve.example.org'), true, 'a subdomain of the rpId');
  assert.equal(at('http://reserve.example.org'), false, 'plain http outside localhost');
  assert.equal(at('https://example.org'), false, 'a parent domain');
  assert.equal(at('https://reserve.example.org.evil.net'), false);
  assert.equal(originOnRpId('https://reserve.example.org:8443', 'reserve.example.org'), true);
});

test('high-S signatures (as authenticators make them half of the time) verify', () => {
  const key = makeSoftwarePasskey();
  const digest = approvalDigest(approvalStatement('main', 'maria', SUBJECT));
  const half = p256.Point.CURVE().n / 2n;
  let seen = 0;
  for (let i = 0; i < 64 && seen === 0; i++) {
    const sig = softwarePasskeySignature(key, digest, { counter: i });
    const s = p256.Signature.fromBytes(base64urlnopad.decode(parsePasskeyAssertion(sig)?.signature ?? ''), 'der').s;
    if (s > half) {
      seen++;
      assert.equal(verifyPasskeyApproval(sig, key.memberKey, { challenge: digest }), true);
    }
  }
  assert.equal(seen, 1, 'OpenSSL made a high-S signature in 64 tries');
});

test('registration: only an ES256 (P-256) SubjectPublicKeyInfo is a passkey key; node:crypto and the parser agree on the point', () => {
  const key = makeSoftwarePasskey();
  const jwk = key.privateKey.export({ format: 'jwk' }) as { x: string; y: string };
  const uncompressed = `04${hex.encode(base64urlnopad.decode(jwk.x))}${hex.encode(base64urlnopad.decode(jwk.y))}`;
  assert.equal(key.credential.publicKey, hex.encode(p256.Point.fromHex(uncompressed).toBytes(true)));
  const ed = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }));
  assert.throws(() => passkeyFromSpki('AQID', ed, 'localhost'), { code: 'INVALID_ARGUMENT', message: /ES256/ });
  const p384 = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }));
  assert.throws(() => passkeyFromSpki('AQID', p384, 'localhost'), { code: 'INVALID_ARGUMENT' });
  const offCurve = key.spki.slice();
  offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 1;
  assert.throws(() => passkeyFromSpki('AQID', offCurve, 'localhost'), { code: 'INVALID_ARGUMENT', message: /not a point/ });
  assert.throws(() => passkeyFromSpki('AQ==', key.spki, 'localhost'), { code: 'INVALID_ARGUMENT', message: /credential id/ });
  assert.throws(() => passkeyFromSpki('', key.spki, 'localhost'), { code: 'INVALID_ARGUMENT' });
  for (const rp of ['127.0.0.1', 'http://localhost', 'localhost:8080', '', 'a..b']) assert.throws(() => parseRpId(rp), { code: 'INVALID_ARGUMENT' }, rp);
  assert.equal(parseRpId(' Reserve.Example.ORG '), 'reserve.example.org');
  // the stored text: one canonical form; unknown fields and other shapes refused
  const json = JSON.parse(key.memberKey.slice('webauthn:v1:'.length)) as Record<string, string>;
  assert.deepEqual(parsePasskeyCredential(`webauthn:v1:${JSON.stringify({ rpId: json.rpId, publicKey: `04${uncompressed.slice(2)}`, credentialId: json.credentialId })}`), key.credential, 'uncompressed and reordered → the same credential');
  assert.throws(() => parseMemberPublicKey(`webauthn:v1:${JSON.stringify({ ...json, extra: 1 })}`), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => parseMemberPublicKey('webauthn:v1:[]'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => parseMemberPublicKey('webauthn:v2:{}'), { code: 'INVALID_ARGUMENT' });
  assert.equal(memberKeyKind('webauthn:v1:{'), null);
});

test('malformed passkey approvals are "not valid", never an exception', () => {
  const key = makeSoftwarePasskey();
  const statement = approvalStatement('main', 'maria', SUBJECT);
  const good = JSON.parse(softwarePasskeySignature(key, approvalDigest(statement)).slice('webauthn:v1:'.length)) as Record<string, string>;
  const bad: string[] = [
    '', 'webauthn:v1:', 'webauthn:v1:null', 'webauthn:v1:"x"', 'webauthn:v1:{}', 'webauthn:v1:{"a":1', `webauthn:v1:${'x'.repeat(100_000)}`,
    `webauthn:v1:${JSON.stringify({ ...good, signature: 12 })}`,
    `webauthn:v1:${JSON.stringify({ ...good, signature: 'AA==' })}`,
    `webauthn:v1:${JSON.stringify({ ...good, signature: '' })}`,
    `webauthn:v1:${JSON.stringify({ ...good, authenticatorData: base64urlnopad.encode(new Uint8Array(36)) })}`,
    `webauthn:v1:${JSON.stringify({ ...good, clientDataJSON: base64urlnopad.encode(new Uint8Array([0xff, 0xfe])) })}`,
    `webauthn:v1:${JSON.stringify({ ...good, clientDataJSON: base64urlnopad.encode(new TextEncoder().encode('[1]')) })}`,
    `webauthn:v1:${JSON.stringify({ ...good, extra: 'x' })}`,
  ];
  for (const b of bad) {
    assert.equal(verifyApprovalSignature(statement, b, key.memberKey), false, b.slice(0, 80));
    assert.equal(verifyApprovalSignature(statement, b, 'webauthn:v1:{}'), false);
  }
  assert.equal(verifyApprovalSignature(statement, softwarePasskeySignature(key, approvalDigest(statement)), 'webauthn:v1:garbage'), false);
});
