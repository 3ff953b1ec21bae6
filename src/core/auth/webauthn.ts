/**
 * Passkeys as approval keys (issue #19: "a passkey/WebAuthn credential in the dashboard"). A member's
 * approval key is either a BIP340 key (64 hex characters) or a passkey credential, written as
 * `webauthn:v1:{"credentialId":…,"publicKey":…,"rpId":…}`; an approval made with a passkey is a
 * WebAuthn assertion whose challenge is the approval digest, written as
 * `webauthn:v1:{"authenticatorData":…,"clientDataJSON":…,"credentialId":…,"signature":…}`.
 *
 * Only the protocol glue of the WebAuthn Level 3 "Verifying an Authentication Assertion" steps is
 * here (§7.2: type, challenge, origin, rpIdHash, flags, signature); the cryptography is
 * @noble/curves' P-256 ECDSA (ES256, COSE alg -7) and @noble/hashes' SHA-256. Pure: no I/O, no clock,
 * no randomness. Malformed input is "not valid" (false or a problem string), never an exception.
 * Checked against the W3C WebAuthn Level 3 §16 ES256 test vectors (test/vectors/webauthn-l3-es256.json).
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlnopad, hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import { originOnRpId, parseRpId } from './webauthn-origin.ts';

export { originOnRpId, parseRpId };

/** The prefix of a passkey credential (member key) and of a passkey assertion (approval signature). */
export const WEBAUTHN_V1 = 'webauthn:v1:';

/** A member's passkey: its credential id (base64url), its P-256 public key (compressed SEC1, hex) and the relying party id it is scoped to. */
export interface PasskeyCredential {
  readonly credentialId: string;
  readonly publicKey: string;
  readonly rpId: string;
}

/** What `navigator.credentials.get` returns for an approval, each field base64url (no padding). */
export interface PasskeyAssertion {
  readonly credentialId: string;
  readonly authenticatorData: string;
  readonly clientDataJSON: string;
  /** ASN.1 DER ECDSA signature over authenticatorData ‖ SHA-256(clientDataJSON). */
  readonly signature: string;
}

/** What the relying party expects of an assertion. */
export interface WebAuthnExpectation {
  /** The challenge bytes (for an approval: the approval digest). */
  readonly challenge: Uint8Array;
  /**
   * The origins the dashboard is served from (`webauthn.origins`). The origin must always be on the
   * credential's rpId (https, or http on localhost) — what a check without the server's configuration
   * (`audit verify`, the readiness check) can know — and, when this list is given, in it.
   */
  readonly origins?: readonly string[] | undefined;
  /** Require the user-verified flag (PIN, biometrics), not only user presence. */
  readonly requireUserVerification?: boolean | undefined;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const MAX_FIELD = 8192; // base64url characters: generous for authenticatorData with extensions and a long clientDataJSON
const B64URL = /^[A-Za-z0-9_-]*$/;
/** SubjectPublicKeyInfo of an EC P-256 key: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes) }. */
const P256_SPKI_PREFIX = hex.decode('3059301306072a8648ce3d020106082a8648ce3d030107034200');

function b64(text: string): Uint8Array | null {
  if (text.length > MAX_FIELD || !B64URL.test(text)) return null;
  try {
    return base64urlnopad.decode(text);
  } catch {
    return null;
  }
}


/**
 * A passkey credential from what the browser hands over at registration: the credential id (base64url)
 * and `response.getPublicKey()` (a DER SubjectPublicKeyInfo; only ES256 / P-256 is accepted).
 * @throws DomainError INVALID_ARGUMENT (not a P-256 key, not a point, a malformed id)
 * @example passkeyFromSpki('AQID', spkiBytes, 'localhost').publicKey.length === 66
 */
export function passkeyFromSpki(credentialId: string, spki: Uint8Array, rpId: string): PasskeyCredential {
  if (spki.length !== P256_SPKI_PREFIX.length + 65 || !P256_SPKI_PREFIX.every((b, i) => spki[i] === b)) {
    throw new DomainError('INVALID_ARGUMENT', 'the passkey\'s public key is not an ES256 (P-256) key: choose a passkey that uses ES256 (COSE algorithm -7)');
  }
  return passkeyCredential({ credentialId, publicKey: hex.encode(spki.subarray(P256_SPKI_PREFIX.length)), rpId });
}

/** Validate and canonicalise a credential (public key compressed, id unpadded base64url). */
function passkeyCredential(c: { credentialId: unknown; publicKey: unknown; rpId: unknown }): PasskeyCredential {
  const id = typeof c.credentialId === 'string' ? b64(c.credentialId) : null;
  if (id === null || id.length < 1 || id.length > 1023 || base64urlnopad.encode(id) !== c.credentialId) {
    throw new DomainError('INVALID_ARGUMENT', 'a passkey credential id is 1 to 1023 bytes in base64url without padding');
  }
  let point: ReturnType<typeof p256.Point.fromBytes>;
  try {
    if (typeof c.publicKey !== 'string' || !/^[0-9a-f]+$/i.test(c.publicKey)) throw new Error('not hex');
    point = p256.Point.fromBytes(hex.decode(c.publicKey.toLowerCase()));
    point.assertValidity();
  } catch {
    throw new DomainError('INVALID_ARGUMENT', 'the passkey\'s public key is not a point on P-256');
  }
  if (typeof c.rpId !== 'string') throw new DomainError('INVALID_ARGUMENT', 'a passkey credential names its relying party id (rpId)');
  return { credentialId: c.credentialId as string, publicKey: hex.encode(point.toBytes(true)), rpId: parseRpId(c.rpId) };
}

/**
 * The text stored as a member's key: `webauthn:v1:` + JSON with sorted keys, so that one credential
 * always has one text (the checks compare keys as text).
 * @example encodePasskeyCredential({ credentialId: 'AQID', publicKey: '02…', rpId: 'localhost' }).startsWith('webauthn:v1:')
 */
export function encodePasskeyCredential(c: PasskeyCredential): string {
  const v = passkeyCredential(c);
  return `${WEBAUTHN_V1}${JSON.stringify({ credentialId: v.credentialId, publicKey: v.publicKey, rpId: v.rpId })}`;
}

/** Is this member key (or approval signature) text a passkey one (whether or not it is well formed)? */
export function isWebAuthnText(text: string): boolean {
  return text.trimStart().startsWith(WEBAUTHN_V1);
}

function jsonAfterPrefix(text: string): Record<string, unknown> | null {
  const t = text.trim();
  if (!t.startsWith(WEBAUTHN_V1) || t.length > 4 * MAX_FIELD + 200) return null;
  try {
    const v: unknown = JSON.parse(t.slice(WEBAUTHN_V1.length));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Parse a stored passkey credential (`webauthn:v1:{…}`).
 * @throws DomainError INVALID_ARGUMENT when it is not a well-formed ES256 passkey credential
 */
export function parsePasskeyCredential(text: string): PasskeyCredential {
  const v = jsonAfterPrefix(text);
  if (v === null) throw new DomainError('INVALID_ARGUMENT', 'a passkey member key is webauthn:v1:{"credentialId":…,"publicKey":…,"rpId":…}');
  const extra = Object.keys(v).filter((k) => !['credentialId', 'publicKey', 'rpId'].includes(k));
  if (extra.length > 0) throw new DomainError('INVALID_ARGUMENT', `a passkey member key has no field ${extra.join(', ')}`);
  return passkeyCredential({ credentialId: v.credentialId, publicKey: v.publicKey, rpId: v.rpId });
}

function tryCredential(text: string): PasskeyCredential | null {
  try {
    return parsePasskeyCredential(text);
  } catch {
    return null;
  }
}

/**
 * The text stored as an approval's signature for a passkey assertion (sorted keys, base64url fields).
 * @throws TypeError when a field is not base64url (a programmer fault: the API schema checks it first)
 */
export function encodePasskeyAssertion(a: PasskeyAssertion): string {
  for (const k of ['credentialId', 'authenticatorData', 'clientDataJSON', 'signature'] as const) {
    if (typeof a[k] !== 'string' || b64(a[k]) === null) throw new TypeError(`"${k}" expected base64url without padding`);
  }
  return `${WEBAUTHN_V1}${JSON.stringify({ authenticatorData: a.authenticatorData, clientDataJSON: a.clientDataJSON, credentialId: a.credentialId, signature: a.signature })}`;
}

/** A stored passkey assertion, or null when the text is not one. */
export function parsePasskeyAssertion(text: string): PasskeyAssertion | null {
  const v = jsonAfterPrefix(text);
  if (v === null || Object.keys(v).length !== 4) return null;
  const { credentialId, authenticatorData, clientDataJSON, signature } = v;
  if (typeof credentialId !== 'string' || typeof authenticatorData !== 'string' || typeof clientDataJSON !== 'string' || typeof signature !== 'string') return null;
  if ([credentialId, authenticatorData, clientDataJSON, signature].some((f) => b64(f) === null)) return null;
  return { credentialId, authenticatorData, clientDataJSON, signature };
}


/**
 * Why `assertion` is not a valid WebAuthn approval by `credential` for `expected`, or null when it is
 * (WebAuthn Level 3 §7.2, the steps that apply to a stored credential):
 * the credential id matches; clientDataJSON is UTF-8 JSON with type "webauthn.get", the challenge
 * (base64url) equal to `expected.challenge`, an allowed origin and not cross-origin; authenticatorData
 * has rpIdHash = SHA-256(rpId), the user-present flag (and user-verified when required); the DER
 * ECDSA P-256 signature verifies over authenticatorData ‖ SHA-256(clientDataJSON). Never throws.
 * @example assertionProblem(a, credential, { challenge: digest }) === null
 */
export function assertionProblem(assertion: PasskeyAssertion, credential: PasskeyCredential, expected: WebAuthnExpectation): string | null {
  try {
    if (assertion.credentialId !== credential.credentialId) return 'the assertion is from another passkey than the member registered';
    const authData = b64(assertion.authenticatorData);
    const clientData = b64(assertion.clientDataJSON);
    const signature = b64(assertion.signature);
    if (authData === null || clientData === null || signature === null) return 'the assertion is not base64url';
    let client: unknown;
    try {
      client = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(clientData));
    } catch {
      return 'clientDataJSON is not UTF-8 JSON';
    }
    if (client === null || typeof client !== 'object' || Array.isArray(client)) return 'clientDataJSON is not a JSON object';
    const c = client as Record<string, unknown>;
    if (c.type !== 'webauthn.get') return `clientDataJSON.type is ${JSON.stringify(c.type)}, not "webauthn.get"`;
    if (c.challenge !== base64urlnopad.encode(expected.challenge)) return 'the assertion signs another challenge than this approval\'s digest';
    if (typeof c.origin !== 'string') return 'clientDataJSON has no origin';
    // Always on the rpId (what audit verify can check on its own), and in the configured list when there is one.
    const originOk = originOnRpId(c.origin, credential.rpId) && (expected.origins === undefined || expected.origins.includes(c.origin));
    if (!originOk) return `the origin ${c.origin} is not one this server accepts passkeys from`;
    if (c.crossOrigin === true) return 'the assertion was made in a cross-origin frame';
    if (authData.length < 37) return 'authenticatorData is shorter than 37 bytes';
    const rpIdHash = sha256(new TextEncoder().encode(credential.rpId));
    if (!rpIdHash.every((b, i) => authData[i] === b)) return `authenticatorData is for another relying party than ${credential.rpId}`;
    const flags = authData[32] ?? 0;
    if ((flags & FLAG_UP) === 0) return 'the authenticator did not see the user present';
    if (expected.requireUserVerification === true && (flags & FLAG_UV) === 0) return 'the authenticator did not verify the user (PIN or biometrics), which this server requires';
    const signed = new Uint8Array(authData.length + 32);
    signed.set(authData, 0);
    signed.set(sha256(clientData), authData.length);
    // ES256: ECDSA P-256 over SHA-256 of the signed data; authenticators produce high-S signatures too.
    const ok = p256.verify(signature, signed, hex.decode(credential.publicKey), { prehash: true, lowS: false, format: 'der' });
    return ok ? null : 'the passkey signature does not verify';
  } catch {
    return 'the assertion is malformed';
  }
}

/**
 * Does the stored assertion text sign `expected.challenge` with the stored passkey credential text?
 * Malformed input of any kind is false.
 * @example verifyPasskeyApproval(signatureText, memberKeyText, { challenge: approvalDigest(statement) })
 */
export function verifyPasskeyApproval(signatureText: string, credentialText: string, expected: WebAuthnExpectation): boolean {
  return passkeyApprovalProblem(signatureText, credentialText, expected) === null;
}

/** Like `verifyPasskeyApproval`, with the reason it fails (null when valid). */
export function passkeyApprovalProblem(signatureText: string, credentialText: string, expected: WebAuthnExpectation): string | null {
  const credential = tryCredential(credentialText);
  if (credential === null) return 'the member\'s key is not a passkey credential';
  const assertion = parsePasskeyAssertion(signatureText);
  if (assertion === null) return 'the approval is not a passkey assertion (webauthn:v1:{authenticatorData, clientDataJSON, credentialId, signature})';
  return assertionProblem(assertion, credential, expected);
}
