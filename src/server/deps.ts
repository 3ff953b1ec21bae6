import type { ApiTokenStore } from '../core/auth/roles.ts';
import type { Clock } from '../core/ports.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import type { SpendStore } from '../core/spend/types.ts';
import type { Network } from '../core/network.ts';
import type { BtcPriceSource } from '../core/policy/price-source.ts';
import type { PriceHistory, PublicReserveView } from '../core/transparency/public-view.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import type { WebAuthnSettings } from '../app/governance.ts';
import type { AccountingStore } from '../core/accounting/ports.ts';
import type { ReferenceRateSource } from '../core/accounting/reference-rate.ts';
import type { ProofStore } from '../core/por/round.ts';
import type { LiveHub } from './live-events.ts';
import type { ComplianceStore, SpendComplianceGate } from '../core/compliance/ports.ts';
import type { MiningStore } from '../core/mining/venture.ts';
import type { SettlementStore } from '../core/settlement/store-port.ts';
import type { SettlementOnchainStore } from '../core/settlement/onchain-store.ts';

/**
 * What the server needs, as ports. The server never touches tables: the store (or a test)
 * provides these.
 */
export interface ServerDeps {
  readonly publicView: PublicReserveView;
  readonly prices: PriceHistory;
  readonly tokens: ApiTokenStore;
  /** Operator reads (vaults, balance, utxos, history, addresses); their routes exist only when given. */
  readonly vaults?: VaultStore;
  /** Spend governance (proposals, policy, audit, members); its routes exist only when given with `vaults`. Broadcast needs `chain`. */
  readonly governance?: { readonly spends: SpendStore; readonly network: Network; readonly chain?: ChainSource | null; readonly prices?: BtcPriceSource; readonly maxPriceAgeMs?: number; readonly webauthn?: WebAuthnSettings | undefined; readonly compliance?: SpendComplianceGate | undefined };
  /** The books (purchase records, cost methods) and the rates they are valued with; the accounting routes exist only when given with `vaults`. */
  readonly accounting?: { readonly store: AccountingStore; readonly rates: ReferenceRateSource };
  /** Proof of reserves: the published proof (public) and auditors' challenges; `verifyNodeUrl` is the node the printed verify command names. */
  readonly proofs?: { readonly store: ProofStore; readonly verifyNodeUrl?: string | null };
  /** IMF-programme compliance: the register, classified flows, commitments, alerts, the quarterly statement (token holders, with `vaults`) and the public commitment status. */
  readonly compliance?: { readonly store: ComplianceStore };
  /** Mining ventures (issue #17): GET /mining/ventures for token holders (an empty list without it). */
  readonly mining?: { readonly store: MiningStore };
  /** Alliance settlement (issue #16): members, invoices, positions, cycles, statements; a member token sees only its own. */
  readonly settlement?: { readonly store: SettlementStore; readonly network: Network; readonly rates?: ReferenceRateSource | undefined };
  /** The alliance settlement's on-chain phase (pay-ins, payout, refund) for the public settlement answer (issue #16). */
  readonly settlementOnchain?: { readonly store: SettlementOnchainStore };
  readonly clock: Clock;
  /** Directory of the built dashboard (`web/dist`); null serves the API only. */
  readonly webRoot?: string | null;
  /**
   * Rate limits on every request (API, OpenAPI, dashboard files, unknown URLs). Undefined uses
   * DEFAULT_RATE_LIMITS (what `soberana serve` and the demo run with); null turns every limit off,
   * the failed-authentication limit included (tests, benchmarks).
   */
  readonly rateLimit?: RateLimits | null;
  /**
   * Which proxies may set X-Forwarded-For (Fastify's `trustProxy`): false (the default) ignores the
   * header, so `request.ip` is the TCP peer; a hop count, a list of proxy addresses/CIDRs, or true
   * (trust any peer) make `request.ip` the client the proxy saw.
   */
  readonly trustProxy?: TrustProxy;
  /** How long a public answer is reused (ms); default 5000, 0 turns the cache off. */
  readonly publicCacheMs?: number;
  /** Live updates published on `/public/events` (each also empties the public cache); without one the stream stays quiet. */
  readonly live?: LiveHub;
  /** Block explorer base URL the public page links txids and addresses to; null: none; undefined: mempool.space on mainnet, none elsewhere. */
  readonly explorerUrl?: string | null;
  /** Fastify/pino logging; off by default. */
  readonly logLevel?: string;
}

/** Fastify's `trustProxy` as Soberana accepts it (see `parseTrustProxy` in adapters/config). */
export type TrustProxy = boolean | number | readonly string[];

/** The allowances; `max`/`timeWindowMs` alone (the old shape) still work, the rest default. */
export interface RateLimits {
  /** Requests per window from one client address without a token (the public, the dashboard). */
  readonly max: number;
  /** The window of `max` and `tokenMax`, in ms. */
  readonly timeWindowMs: number;
  /** Requests per window made with one API token, counted by the token's id (never its secret). */
  readonly tokenMax?: number;
  /** Failed bearer authentications from one address per window before its bearer requests get 429. */
  readonly authFailureMax?: number;
  readonly authFailureWindowMs?: number;
}
