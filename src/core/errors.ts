/**
 * Domain errors: expected outcomes with a stable code.
 *
 * Programmer faults throw `TypeError`/`RangeError` with a labelled message instead.
 * Every code here is mapped exhaustively by the CLI (exit codes) and the HTTP server
 * (statuses); adding a code without mapping it fails to compile.
 *
 * @example
 *   throw new DomainError('VAULT_NOT_FOUND', 'no vault named "reserve"');
 */
export const ERROR_CODES = [
  // input the user gave us is malformed
  'INVALID_ARGUMENT',
  'INVALID_DESCRIPTOR',
  'INVALID_ADDRESS',
  'INVALID_PSBT',
  'INVALID_AMOUNT',
  'INVALID_CONFIG',
  'INVALID_IMPORT',
  'INVALID_SIGNATURE',
  'NETWORK_MISMATCH',
  // something named does not exist / already exists
  'NOT_FOUND',
  'VAULT_NOT_FOUND',
  'PROPOSAL_NOT_FOUND',
  'ALREADY_EXISTS',
  // business rules
  'INSUFFICIENT_FUNDS',
  'POLICY_DENIED',
  // a spend that would breach a programme commitment in force (compliance, issue #15)
  'COMMITMENT_BREACH',
  'APPROVAL_REQUIRED',
  'INVALID_STATE',
  'FEE_TOO_HIGH',
  'DUST_OUTPUT',
  'PSBT_MISMATCH',
  'PSBT_INCOMPLETE',
  'BROADCAST_REJECTED',
  'AUDIT_TAMPERED',
  // proof of reserves: an auditor's challenge past its expiry (stale), or answered / held already (replayed)
  'CHALLENGE_EXPIRED',
  'CHALLENGE_USED',
  // access
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  // the outside world
  'CHAIN_UNAVAILABLE',
  'CHAIN_AUTH_FAILED',
  'CHAIN_SYNCING',
  'CHAIN_BAD_RESPONSE',
  'STORE_UNAVAILABLE',
  // no price for what was asked: a USD-limited policy rule the engine reached, a valuation or a cost basis day
  'PRICE_UNAVAILABLE',
  'MALFORMED_DATA',
  // proof of reserves: a proof file that is malformed; a proof that does not verify (field and input named)
  'INVALID_PROOF',
  'PROOF_FAILED',
  // alliance settlement (issue #16): an invoice in a currency with no known minor digits; a currency with no
  // locked rate; an invoice from a member to itself; a reference already used with other invoice terms
  'UNKNOWN_CURRENCY',
  'RATE_MISSING',
  'SELF_INVOICE',
  'REFERENCE_CONFLICT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** Compile-time exhaustiveness helper for switches over unions. */
export function assertNever(x: never, label: string): never {
  throw new TypeError(`${label}: unexpected value ${String(x)}`);
}
