/**
 * Identifiers that would cost money if mixed up: a transaction id, a vault id, a spend proposal id.
 * Each is a branded primitive with a required brand, so a plain string or number (or an id of
 * another kind) is not assignable until a constructor here has checked it.
 *
 * Two kinds of constructor, as STYLE.md point 5 asks:
 * - `txid()`, `vaultId()`, `proposalId()` take values the program already holds (a database row,
 *   a decoded transaction) and throw a labelled TypeError/RangeError: a bad value is a fault.
 * - `parseTxid()`, `parseVaultId()`, `parseProposalId()` take what a user typed and throw
 *   DomainError('INVALID_ARGUMENT').
 */
import { DomainError } from './errors.ts';

/** A transaction id: 64 lowercase hex digits in display order (as block explorers and RPC show it). */
export type Txid = string & { readonly __brand: 'Txid' };

/** A vault id: the slug made by `vaultIdFromName` (1..64 characters, no control characters). */
export type VaultId = string & { readonly __brand: 'VaultId' };

/** A spend proposal id: a positive safe integer from the database's sequence. */
export type ProposalId = number & { readonly __brand: 'ProposalId' };

const TXID_RE = /^[0-9a-f]{64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Brand a txid the program holds. Throws TypeError unless it is 64 lowercase hex digits.
 * @example txid('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b')
 */
export function txid(v: string, label = 'txid'): Txid {
  if (typeof v !== 'string' || !TXID_RE.test(v)) throw new TypeError(`"${label}" expected 64 lowercase hex digits, got ${JSON.stringify(v)}`);
  return v as Txid;
}

/**
 * Parse a txid a user gave (surrounding space ignored, upper case accepted). DomainError
 * INVALID_ARGUMENT unless it is 64 hex digits.
 * @example parseTxid(' 4A5E1E4BAAB89F3A32518A88C31BC87F618F76673E2CC77AB2127B7AFDEDA33B ') // the lowercase txid
 */
export function parseTxid(text: string): Txid {
  const t = text.trim().toLowerCase();
  if (!TXID_RE.test(t)) throw new DomainError('INVALID_ARGUMENT', `a txid is 64 hex digits, got "${text}"`);
  return t as Txid;
}

/**
 * Brand a vault id the program holds. Throws TypeError unless it is a string of 1..64 characters
 * without control characters.
 * @example vaultId('central-bank-reserve')
 */
export function vaultId(v: string, label = 'vaultId'): VaultId {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64 || CONTROL_RE.test(v)) throw new TypeError(`"${label}" expected a vault id (1..64 characters), got ${JSON.stringify(v)}`);
  return v as VaultId;
}

/**
 * Parse a vault id a user gave. DomainError INVALID_ARGUMENT when it is empty, longer than 64
 * characters or has control characters; whether the vault exists is the store's question.
 * @example parseVaultId('central-bank-reserve')
 */
export function parseVaultId(text: string): VaultId {
  if (text.length === 0 || text.length > 64 || CONTROL_RE.test(text)) throw new DomainError('INVALID_ARGUMENT', `not a vault id: ${JSON.stringify(text)}`);
  return text as VaultId;
}

/**
 * Brand a proposal id the program holds. Throws RangeError unless it is a positive safe integer.
 * @example proposalId(7)
 */
export function proposalId(v: number, label = 'proposalId'): ProposalId {
  if (typeof v !== 'number') throw new TypeError(`"${label}" expected number, got ${typeof v}`);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`"${label}" expected a positive safe integer, got ${v}`);
  return v as ProposalId;
}

/**
 * Parse a proposal id a user gave ("7"). DomainError INVALID_ARGUMENT unless it is a positive
 * whole number of at most 9 digits.
 * @example parseProposalId('7') === 7
 */
export function parseProposalId(text: string, what = 'proposal'): ProposalId {
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < 1) throw new DomainError('INVALID_ARGUMENT', `a ${what} id is a positive whole number, got "${text}"`);
  return Number(text) as ProposalId;
}
