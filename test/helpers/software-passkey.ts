// A passkey in software for tests: a P-256 key made and used by node:crypto (OpenSSL), so the
// verifier (@noble/curves) is checked against another implementation. It builds what a browser and an
// authenticator would: clientDataJSON, authenticatorData (rpIdHash, flags, counter) and a DER ECDSA
// signature over authenticatorData ‖ SHA-256(clientDataJSON).
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { base64urlnopad } from '@scure/base';
import { encodePasskeyAssertion, encodePasskeyCredential, passkeyFromSpki, type PasskeyAssertion, type PasskeyCredential } from '../../src/core/auth/webauthn.ts';

export interface SoftwarePasskey {
  readonly credential: PasskeyCredential;
  /** The member key text (`webauthn:v1:{…}`). */
  readonly memberKey: string;
  readonly spki: Uint8Array;
  readonly privateKey: KeyObject;
}

export function makeSoftwarePasskey(rpId = 'localhost'): SoftwarePasskey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const credential = passkeyFromSpki(base64urlnopad.encode(randomBytes(16)), spki, rpId);
  return { credential, memberKey: encodePasskeyCredential(credential), spki, privateKey };
}

export interface AssertionOptions {
  readonly origin?: string;
  readonly type?: string;
  /** Authenticator data flags (default UP | UV = 0x05). */
  readonly flags?: number;
  readonly rpId?: string;
  readonly crossOrigin?: boolean;
  readonly counter?: number;
}

/** An assertion over `challenge` by `key`, as the browser returns it (base64url fields). */
export function assertWithSoftwarePasskey(key: SoftwarePasskey, challenge: Uint8Array, o: AssertionOptions = {}): PasskeyAssertion {
  const clientData = Buffer.from(JSON.stringify({ type: o.type ?? 'webauthn.get', challenge: base64urlnopad.encode(challenge), origin: o.origin ?? 'http://localhost:8080', crossOrigin: o.crossOrigin ?? false }));
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(o.counter ?? 1);
  const authData = Buffer.concat([createHash('sha256').update(o.rpId ?? key.credential.rpId).digest(), Buffer.from([o.flags ?? 0x05]), counter]);
  const signature = createSign('SHA256').update(Buffer.concat([authData, createHash('sha256').update(clientData).digest()])).sign(key.privateKey);
  return { credentialId: key.credential.credentialId, authenticatorData: base64urlnopad.encode(authData), clientDataJSON: base64urlnopad.encode(clientData), signature: base64urlnopad.encode(signature) };
}

/** The same, as the text stored for an approval (`webauthn:v1:{…}`). */
export function softwarePasskeySignature(key: SoftwarePasskey, challenge: Uint8Array, o: AssertionOptions = {}): string {
  return encodePasskeyAssertion(assertWithSoftwarePasskey(key, challenge, o));
}
