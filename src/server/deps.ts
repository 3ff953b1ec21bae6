import type { ApiTokenStore } from '../core/auth/roles.ts';
import type { Clock } from '../core/ports.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import type { SpendStore } from '../core/spend/types.ts';
import type { PriceHistory, PublicReserveView } from '../core/transparency/public-view.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';

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
  readonly governance?: { readonly spends: SpendStore; readonly chain?: ChainSource | null };
  readonly clock: Clock;
  /** Directory of the built dashboard (`web/dist`); null serves the API only. */
  readonly webRoot?: string | null;
  /** Requests per client per window on public endpoints; null disables (tests, benchmarks). */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | null;
  /** How long a public answer is reused (ms); default 5000, 0 turns the cache off. */
  readonly publicCacheMs?: number;
  /** Fastify/pino logging; off by default. */
  readonly logLevel?: string;
}
