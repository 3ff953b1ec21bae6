/**
 * Spend policy: ordered rules, first match wins. Each rule has conditions (all optional, ANDed)
 * and an outcome: allow, deny, or approval by groups combined with AND/OR. The document is
 * versioned, and changing it needs the quorum its current version names (`policyChange`).
 *
 * The JSON form is parsed by `parse-policy.ts`; `docs/examples/policy.json` is a worked example.
 */

/** "2 of finance", or every / any of nested requirements. */
export type ApprovalRequirement =
  | { readonly kind: 'group'; readonly group: string; readonly count: number }
  | { readonly kind: 'all'; readonly of: readonly ApprovalRequirement[] }
  | { readonly kind: 'any'; readonly of: readonly ApprovalRequirement[] };

/** Minutes since 00:00 UTC; `from` inclusive, `to` exclusive; `from > to` wraps past midnight. */
export interface TimeOfDayWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
}

export const DESTINATION_CONDITIONS = ['allowlisted', 'not-allowlisted'] as const;
export type DestinationCondition = (typeof DESTINATION_CONDITIONS)[number];

export interface RuleConditions {
  /** The transaction's total (`ctx.totalSats`) is at most this. */
  readonly maxAmountSats?: bigint;
  /** The total valued in USD cents (rounded up) is at most this. A rule with it needs a recent
   *  price whenever the engine reaches it, and refuses to decide without one (PRICE_UNAVAILABLE). */
  readonly maxAmountUsdCents?: bigint;
  /** This vault's spends in the window, plus this one, are at most `maxSats`. */
  readonly velocity?: { readonly windowSeconds: number; readonly maxSats: bigint };
  /** `allowlisted`: every output pays an allowlist entry that is past its delay;
   *  `not-allowlisted`: at least one output does not. */
  readonly destinations?: DestinationCondition;
  /** The total is at most this share of the vault's balance, in basis points (100 = 1%). */
  readonly maxShareOfBalanceBps?: number;
  /** The current UTC time of day is inside this window. */
  readonly timeOfDayUtc?: TimeOfDayWindow;
  /** The proposer holds at least one of these roles. */
  readonly initiatorRoles?: readonly string[];
}

export type RuleOutcome =
  | { readonly outcome: 'allow' }
  | { readonly outcome: 'deny' }
  | { readonly outcome: 'approval'; readonly requirement: ApprovalRequirement; readonly signingDelaySeconds: number };

export interface PolicyRule {
  readonly id: string;
  readonly description: string | null;
  readonly when: RuleConditions;
  readonly then: RuleOutcome;
}

export interface Policy {
  /** Increases by at least one with every accepted change. */
  readonly version: number;
  readonly name: string;
  /** Approver groups the rules may name (catches typos in group names). */
  readonly groups: readonly string[];
  /** A new allowlist entry becomes usable only this long after it was added. */
  readonly allowlistDelaySeconds: number;
  /** Who must approve a change to this policy. */
  readonly policyChange: ApprovalRequirement;
  readonly rules: readonly PolicyRule[];
}

/**
 * A BTC price in US cents per BTC, for one UTC day, and where it came from. Recorded in every
 * decision that needed it, so an auditor can recompute the USD value of the spend.
 */
export interface PriceQuote {
  /** US cents per BTC; positive. */
  readonly usdPerBtcCents: bigint;
  /** The UTC day the price is for, YYYY-MM-DD. Its age is counted from 00:00 UTC of that day. */
  readonly date: string;
  /** Where it came from, in plain words (e.g. "file /srv/treasury/btc-usd.csv"); never a secret. */
  readonly source: string;
}

/** How old a price may be, by default, before a USD-limited rule refuses to use it: two days. */
export const DEFAULT_MAX_PRICE_AGE_MS = 2 * 86_400_000;

/** What the engine needs to know about a proposed spend. Time comes in; the engine reads no clock. */
export interface PolicyContext {
  readonly vaultId: string;
  readonly proposer: { readonly id: string; readonly roles: readonly string[] };
  readonly outputs: readonly { readonly address: string; readonly sats: bigint }[];
  /** What leaves the vault (payments, not change), in sats. */
  readonly totalSats: bigint;
  /** The vault's balance before this spend. */
  readonly vaultBalanceSats: bigint;
  readonly nowMs: number;
  /** This vault's earlier spends (any time; the engine applies each rule's window). */
  readonly recentSpends: readonly { readonly atMs: number; readonly sats: bigint }[];
  readonly allowlist: readonly { readonly address: string; readonly addedAtMs: number }[];
  /**
   * The latest BTC/USD price the price source knows, or null when it has none. A rule with
   * `maxAmountUsdCents` that the engine reaches refuses to decide (PRICE_UNAVAILABLE) without a
   * price no older than `maxPriceAgeMs`; rules without a USD limit never look at it.
   */
  readonly price: PriceQuote | null;
  /** Why `price` is null when the source failed (its error message); quoted in the refusal. */
  readonly priceProblem?: string | null | undefined;
  /** Oldest acceptable price, counted from 00:00 UTC of its day to `nowMs`; default DEFAULT_MAX_PRICE_AGE_MS. */
  readonly maxPriceAgeMs?: number | undefined;
}

interface DecisionCommon {
  readonly policyVersion: number;
  /** One line per rule looked at, in order, then the verdict. */
  readonly explanation: readonly string[];
  /** The price the decision used; null when no rule it looked at needed one. */
  readonly price: PriceQuote | null;
}

/** The engine's verdict. Only an approval carries who must approve and the signing delay. */
export type PolicyDecision =
  | (DecisionCommon & {
      readonly outcome: 'allow';
      /** The rule that allowed it. */
      readonly ruleId: string;
    })
  | (DecisionCommon & {
      readonly outcome: 'deny';
      /** The rule that denied it; null when no rule matched. `commitment:<id>` when a programme commitment refused it. */
      readonly ruleId: string | null;
      /** Set when a programme commitment in force refused the spend (compliance, issue #15), not the policy. */
      readonly commitment?: { readonly id: string; readonly version: number; readonly message: string } | undefined;
    })
  | (DecisionCommon & {
      readonly outcome: 'approval';
      /** The rule that asks for approval. */
      readonly ruleId: string;
      readonly requirement: ApprovalRequirement;
      /** Seconds between reaching the quorum and being allowed to sign. */
      readonly signingDelaySeconds: number;
    });

export type PolicyOutcome = PolicyDecision['outcome'];

export interface Approval {
  readonly approverId: string;
  /** The groups the approver belonged to when approving. */
  readonly groups: readonly string[];
  readonly atMs: number;
  /** BIP340 signature (hex) over the approval statement (`core/auth/approval-signature.ts`); null when unsigned (regtest only). */
  readonly signature?: string | null;
  /** The member's approval public key the signature was made with. */
  readonly publicKey?: string | null;
}

export interface ApprovalStatus {
  readonly satisfied: boolean;
  /** Plain words: what is still needed, or '' when satisfied. */
  readonly missing: string;
  /** When the quorum was first reached (the latest approval it needed), or null. */
  readonly satisfiedAtMs: number | null;
}
