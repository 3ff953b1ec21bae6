/**
 * A member's approval key on the CLI (issue #19: approvals are signatures): a BIP340 Schnorr key
 * that the member alone holds, in a file readable only by them. It is NOT a Bitcoin key and moves no
 * coins; it signs approval statements (`core/auth/approval-signature.ts`). Soberana stores only the
 * public key. A hardware device that signs BIP340 can stand in for the file.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import { approvalDigest, type ApprovalStatement } from '../../core/auth/approval-signature.ts';

export interface MemberKey {
  /** The member the key was made for (a label: the registered public key is what counts). */
  readonly member: string;
  readonly publicKey: string;
  readonly secretKey: Uint8Array;
}

const KIND = 'soberana-member-approval-key';

/** Make a new key for `member` and write it to `path` (mode 600, never overwriting a file). */
export function createMemberKeyFile(path: string, member: string): { publicKey: string } {
  const secretKey = new Uint8Array(randomBytes(32));
  const publicKey = hex.encode(schnorr.getPublicKey(secretKey));
  const text = JSON.stringify({ kind: KIND, member, publicKey, secretKey: hex.encode(secretKey), note: 'Your approval key for Soberana. Keep it to yourself; it signs approvals in your name.' }, null, 2) + '\n';
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new DomainError('INVALID_ARGUMENT', code === 'EEXIST' ? `${path} already exists: a key file is never overwritten` : `cannot write ${path}`);
  }
  return { publicKey };
}

/** Read a key file; refuses one that others can read. Never echoes the secret. */
export function readMemberKeyFile(path: string): MemberKey {
  let text: string;
  try {
    const st = statSync(path);
    if (st.size > 4096) throw new DomainError('INVALID_ARGUMENT', `${path} is not a Soberana member key file (${st.size} bytes; a key file is a few hundred)`);
    if ((st.mode & 0o077) !== 0) throw new DomainError('INVALID_ARGUMENT', `${path} is readable by others: chmod 600 it (it signs approvals in your name)`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('INVALID_ARGUMENT', `cannot read the key file ${path}`);
  }
  let v: { kind?: unknown; member?: unknown; secretKey?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `${path} is not a Soberana member key file`);
  }
  if (v.kind !== KIND || typeof v.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(v.secretKey)) throw new DomainError('INVALID_ARGUMENT', `${path} is not a Soberana member key file`);
  const secretKey = hex.decode(v.secretKey);
  let publicKey: string;
  try {
    publicKey = hex.encode(schnorr.getPublicKey(secretKey));
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `${path} holds an invalid key`);
  }
  return { member: typeof v.member === 'string' ? v.member : '', publicKey, secretKey };
}

/** Sign an approval statement (BIP340, fresh auxiliary randomness); hex of the 64-byte signature. */
export function signApproval(key: MemberKey, statement: ApprovalStatement): string {
  return hex.encode(schnorr.sign(approvalDigest(statement), key.secretKey, new Uint8Array(randomBytes(32))));
}
