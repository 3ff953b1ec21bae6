import type { ErrorCode } from '../core/errors.ts';

/**
 * Every domain error code mapped to an HTTP status. A `Record` over the full union, like
 * `cli/exit-codes.ts`: adding a code to ERROR_CODES without a line here fails to compile.
 * The response body is always `{ error: { code, message } }` with the code unchanged.
 */
export const HTTP_STATUS_BY_ERROR: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_DESCRIPTOR: 400,
  INVALID_ADDRESS: 400,
  INVALID_PSBT: 400,
  INVALID_AMOUNT: 400,
  INVALID_CONFIG: 400,
  INVALID_IMPORT: 400,
  INVALID_SIGNATURE: 400,
  NETWORK_MISMATCH: 400,
  MALFORMED_DATA: 400,
  NOT_FOUND: 404,
  VAULT_NOT_FOUND: 404,
  PROPOSAL_NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  PSBT_MISMATCH: 409,
  INSUFFICIENT_FUNDS: 422,
  POLICY_DENIED: 422,
  COMMITMENT_BREACH: 422,
  APPROVAL_REQUIRED: 422,
  FEE_TOO_HIGH: 422,
  DUST_OUTPUT: 422,
  PSBT_INCOMPLETE: 422,
  BROADCAST_REJECTED: 422,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  CHAIN_UNAVAILABLE: 503,
  CHAIN_AUTH_FAILED: 502,
  CHAIN_SYNCING: 503,
  CHAIN_BAD_RESPONSE: 502,
  STORE_UNAVAILABLE: 503,
  // a USD-limited rule needs a price the source cannot give (missing or too old): retry after updating it
  PRICE_UNAVAILABLE: 503,
  // the stored log no longer verifies: the server refuses to serve it as if it were sound
  AUDIT_TAMPERED: 500,
  // proof of reserves: a stale or replayed challenge
  CHALLENGE_EXPIRED: 409,
  CHALLENGE_USED: 409,
  // proof of reserves: a malformed proof file; a proof that does not verify
  INVALID_PROOF: 400,
  PROOF_FAILED: 422,
  // alliance settlement: a bad invoice (unknown currency, no rate for it, from a member to itself); a reused reference
  UNKNOWN_CURRENCY: 400,
  RATE_MISSING: 400,
  SELF_INVOICE: 400,
  REFERENCE_CONFLICT: 409,
};
