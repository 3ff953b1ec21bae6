/**
 * Approvals are signatures, not rows (issue #19): an approver signs a statement that names what is
 * approved — the proposal and its unsigned transaction, or the policy change and its document — and
 * the policy version it was decided under, with a BIP340 Schnorr key that only the member holds.
 * The server, the checks before export and `audit verify` recompute the statement and verify the
 * signature against the member's registered public key, so nobody with write access to the
 * database or the server can manufacture an approval.
 *
 * A member's key is one of two kinds: a BIP340 key (64 hex characters; the CLI's `--key` file or a
 * hardware device) or a passkey in the dashboard (`webauthn:v1:{…}`, see `webauthn.ts`), whose
 * approval is a WebAuthn assertion with the approval digest as its challenge.
 *
 * Signing happens where the member's key is; this module only builds statements and verifies
 * (pure: no randomness, no I/O).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { DomainError } from '../errors.ts';
import { canonicalJson } from '../audit/hash-chain.ts';
import type { Network } from '../network.ts';
import { encodePasskeyCredential, isWebAuthnText, parsePasskeyCredential, passkeyApprovalProblem, parsePasskeyAssertion, encodePasskeyAssertion } from './webauthn.ts';

export const APPROVAL_DOMAIN = 'soberana/approval/v1';

/** What an approval is for. */
export type ApprovalSubject =
  | { readonly kind: 'spend'; readonly proposalId: number; readonly unsignedTxid: string; readonly policyVersion: number }
  | { readonly kind: 'policy-change'; readonly changeId: number; readonly documentSha256: string; readonly fromVersion: number };

/** The statement an approver signs: who approves what, on which network. */
export interface ApprovalStatement {
  readonly domain: typeof APPROVAL_DOMAIN;
  readonly network: Network;
  /** The member id of the approver. */
  readonly approver: string;
  readonly subject: ApprovalSubject;
}

/** @example approvalStatement('main', 'maria', { kind: 'spend', proposalId: 3, unsignedTxid, policyVersion: 2 }) */
export function approvalStatement(network: Network, approver: string, subject: ApprovalSubject): ApprovalStatement {
  return { domain: APPROVAL_DOMAIN, network, approver, subject };
}

/** The SHA-256 of a policy document as given (its JSON text), hex: what a policy-change approval commits to. */
export function documentSha256(document: string): string {
  return hex.encode(sha256(new TextEncoder().encode(document)));
}

/**
 * The 32 bytes a member signs: SHA-256 of the statement's canonical JSON (sorted keys).
 * @example hex.encode(approvalDigest(statement)).length === 64
 */
export function approvalDigest(statement: ApprovalStatement): Uint8Array {
  return sha256(new TextEncoder().encode(canonicalJson(statement)));
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/**
 * A member's approval key: a BIP340 x-only public key, 64 hex characters, that is a point on the
 * curve — or a passkey credential `webauthn:v1:{"credentialId":…,"publicKey":…,"rpId":…}` (returned in
 * its one canonical text).
 * @throws DomainError INVALID_ARGUMENT otherwise
 */
export function parseMemberPublicKey(text: string): string {
  if (isWebAuthnText(text)) return encodePasskeyCredential(parsePasskeyCredential(text));
  const k = text.trim().toLowerCase();
  if (!HEX64.test(k)) throw new DomainError('INVALID_ARGUMENT', 'a member key is a BIP340 public key: 64 hexadecimal characters');
  try {
    schnorr.utils.lift_x(BigInt(`0x${k}`));
  } catch {
    throw new DomainError('INVALID_ARGUMENT', 'that member key is not a point on secp256k1');
  }
  return k;
}

/** What the server knows about passkeys beyond the credential: where its dashboard is, and whether user verification is required. */
export interface ApprovalVerifyOptions {
  /** Allowed origins of passkey assertions (`webauthn.origins`); absent: any https origin on the credential's rpId (or http on localhost). */
  readonly origins?: readonly string[] | undefined;
  readonly requireUserVerification?: boolean | undefined;
}

/** The kind of a member key text: 'bip340', 'passkey', or null when it is neither. */
export function memberKeyKind(publicKey: string): 'bip340' | 'passkey' | null {
  try {
    parseMemberPublicKey(publicKey);
  } catch {
    return null;
  }
  return isWebAuthnText(publicKey) ? 'passkey' : 'bip340';
}

/**
 * Why `signature` does not sign `statement` for the member key `publicKey`, or null when it does.
 * For a passkey the reason says which WebAuthn check failed; for BIP340 there is only one reason.
 */
export function approvalSignatureProblem(statement: ApprovalStatement, signature: string, publicKey: string, opts: ApprovalVerifyOptions = {}): string | null {
  if (isWebAuthnText(publicKey)) {
    if (!isWebAuthnText(signature)) return 'the member\'s key is a passkey: the approval must be a passkey assertion';
    return passkeyApprovalProblem(signature, publicKey, { challenge: approvalDigest(statement), origins: opts.origins, requireUserVerification: opts.requireUserVerification });
  }
  return verifyBip340(statement, signature, publicKey) ? null : 'the BIP340 signature does not verify';
}

/**
 * Does `signature` sign `statement` for the member key `publicKey`? A BIP340 key takes a 64-byte
 * BIP340 signature (hex); a passkey credential takes a WebAuthn assertion (`webauthn:v1:{…}`) whose
 * challenge is `approvalDigest(statement)`. Malformed input is simply not a valid signature (false),
 * never an exception.
 */
export function verifyApprovalSignature(statement: ApprovalStatement, signature: string, publicKey: string, opts: ApprovalVerifyOptions = {}): boolean {
  return approvalSignatureProblem(statement, signature, publicKey, opts) === null;
}

/**
 * The one text an approval signature is stored as: BIP340 hex in lowercase, a passkey assertion
 * with sorted keys. Returns the input trimmed when it is neither (it will not verify).
 */
export function normalizeApprovalSignature(signature: string): string {
  const t = signature.trim();
  if (isWebAuthnText(t)) {
    const a = parsePasskeyAssertion(t);
    return a === null ? t : encodePasskeyAssertion(a);
  }
  return t.toLowerCase();
}

function verifyBip340(statement: ApprovalStatement, signatureHex: string, publicKeyHex: string): boolean {
  const sig = signatureHex.trim().toLowerCase();
  const key = publicKeyHex.trim().toLowerCase();
  if (!HEX128.test(sig) || !HEX64.test(key)) return false;
  try {
    return schnorr.verify(hex.decode(sig), approvalDigest(statement), hex.decode(key));
  } catch {
    return false;
  }
}
