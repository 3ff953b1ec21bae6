// Passkeys in the dashboard (issue #19: approvals are signatures): an approver registers a passkey
// as their approval key — which the quorum then approves as a member change — and approves with it:
// the server's approval statement digest is the WebAuthn challenge, and the assertion goes to the
// approve route, where it is verified (and again before export and by audit verify).
// Browser glue only: no cryptography here; the authenticator signs, the server verifies.
import { api } from './api.ts';

export interface PasskeyInfo {
  rpId: string;
  origins: string[];
  userVerification: 'required' | 'preferred';
  member: { id: string; name: string };
  approvalKey: 'bip340' | 'passkey' | null;
  passkey: { credentialId: string; rpId: string } | null;
}

interface StatementWire { digest: string; challenge: string; passkey: { credentialId: string; rpId: string } | null }

function toB64url(buf: ArrayBuffer | Uint8Array): string {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Why passkeys cannot work on this page, or null when they can. */
export function passkeyUnavailable(info: Pick<PasskeyInfo, 'rpId' | 'origins'>): string | null {
  if (typeof window.PublicKeyCredential === 'undefined' || !navigator.credentials) return 'This browser does not support passkeys (WebAuthn).';
  if (!window.isSecureContext) return 'Passkeys need a secure page: open the dashboard over https (or at http://localhost).';
  if (!info.origins.includes(location.origin)) {
    return `Passkeys work on ${info.origins.join(' or ')} (relying party ${info.rpId}), not on ${location.origin}: open the dashboard there.`;
  }
  return null;
}

export async function passkeyInfo(): Promise<PasskeyInfo> {
  return api<PasskeyInfo>('/members/me/passkey', { auth: true });
}

/** Make a passkey in this browser and propose it as the member's approval key (a governed change). */
export async function registerPasskey(info: PasskeyInfo): Promise<{ changeId: number; requirement: string }> {
  const problem = passkeyUnavailable(info);
  if (problem) throw new Error(problem);
  const challenge = new Uint8Array(new ArrayBuffer(32));
  crypto.getRandomValues(challenge); // no attestation is checked: the quorum's approval is what binds the key
  const cred = (await navigator.credentials.create({
    publicKey: {
      rp: { id: info.rpId, name: 'Soberana' },
      user: { id: new TextEncoder().encode(info.member.id), name: info.member.id, displayName: info.member.name },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: 'preferred', userVerification: info.userVerification },
      attestation: 'none',
      excludeCredentials: info.passkey ? [{ type: 'public-key', id: fromB64url(info.passkey.credentialId) }] : [],
      timeout: 120_000,
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was made.');
  const response = cred.response as AuthenticatorAttestationResponse;
  const spki = response.getPublicKey();
  if (!spki || response.getPublicKeyAlgorithm() !== -7) throw new Error('This passkey does not use ES256 (P-256), the only kind Soberana accepts: try another authenticator.');
  return api<{ changeId: number; requirement: string }>('/members/me/passkey', {
    method: 'POST',
    auth: true,
    body: { credentialId: toB64url(cred.rawId), publicKey: toB64url(spki), publicKeyAlgorithm: -7 },
  });
}

/**
 * Approve with the member's passkey: fetch the approval statement, have the authenticator sign its
 * digest (the challenge), send the assertion to the approve route.
 * @param statementPath e.g. `/proposals/3/approval-statement`
 * @param approvePath e.g. `/proposals/3/approve`
 */
export async function approveWithPasskey(statementPath: string, approvePath: string, userVerification: 'required' | 'preferred' = 'preferred'): Promise<unknown> {
  const st = await api<StatementWire>(statementPath, { auth: true });
  if (!st.passkey) throw new Error('Your approval key is not a passkey: register one first (and have it approved), or approve with your key file on the command line.');
  const problem = passkeyUnavailable({ rpId: st.passkey.rpId, origins: [location.origin] });
  if (problem) throw new Error(problem);
  const cred = (await navigator.credentials.get({
    publicKey: {
      challenge: fromB64url(st.challenge),
      rpId: st.passkey.rpId,
      allowCredentials: [{ type: 'public-key', id: fromB64url(st.passkey.credentialId) }],
      userVerification,
      timeout: 120_000,
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('The passkey did not sign.');
  const r = cred.response as AuthenticatorAssertionResponse;
  return api(approvePath, {
    method: 'POST',
    auth: true,
    body: {
      assertion: {
        credentialId: toB64url(cred.rawId),
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature),
      },
    },
  });
}
