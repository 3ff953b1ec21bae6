/**
 * The server's dependencies over one open database, as `soberana serve` (and the demo) wire them:
 * the SQL public view, API tokens, the vault store for operator reads, the shipped USD prices,
 * the wall clock and the dashboard (built on first use).
 *
 * @example
 *   const db = await openDatabase({ url: './soberana.db' });
 *   const { url } = await startServer(await serverDepsFor(db, 'regtest'), { port: 8080, host: '127.0.0.1' });
 */
import type { Database } from '../adapters/store/database.ts';
import { SqlPublicView } from '../adapters/store/public-view-sql.ts';
import { SqlApiTokenStore } from '../adapters/store/token-store.ts';
import { SqlVaultStore } from '../adapters/store/vault-store.ts';
import { SqlSpendStore } from '../adapters/store/spend-store.ts';
import { SqlAccountingStore } from '../adapters/store/accounting-store.ts';
import { shippedReferenceRates } from '../adapters/prices/csv-reference-rates.ts';
import { loadPriceHistory } from '../adapters/prices/csv-price-history.ts';
import { maxPriceAgeMs, openPriceSource } from '../adapters/prices/open-price-source.ts';
import { DEFAULT_PRICE_CONFIG, type PriceConfig } from '../adapters/prices/price-config.ts';
import type { Network } from '../core/network.ts';
import type { ServerDeps } from './deps.ts';
import type { WebAuthnSettings } from '../app/governance.ts';
import { ensureWebBuilt } from './web-build.ts';
import { SqlProofStore } from '../adapters/store/proof-store.ts';
import { SqlComplianceStore } from '../adapters/store/compliance-store.ts';
import { complianceGate } from '../app/compliance/spend-gate.ts';

export async function serverDepsFor(db: Database, network: Network, opts: { dashboard?: boolean; logLevel?: string; prices?: PriceConfig; webauthn?: WebAuthnSettings | undefined } = {}): Promise<ServerDeps> {
  const priceConfig = opts.prices ?? DEFAULT_PRICE_CONFIG;
  const vaults = new SqlVaultStore(db);
  return {
    publicView: new SqlPublicView(db, network),
    tokens: new SqlApiTokenStore(db),
    vaults,
    // no chain source here: the API offers no broadcast (use "soberana spend broadcast")
    // USD-limited policy rules use the configured price source (prices.source), never the dashboard's history silently.
    governance: { spends: new SqlSpendStore(db), network, prices: openPriceSource(priceConfig), maxPriceAgeMs: maxPriceAgeMs(priceConfig), ...(opts.webauthn ? { webauthn: opts.webauthn } : {}), compliance: complianceGate({ compliance: new SqlComplianceStore(db), vaults }) },
    prices: loadPriceHistory(),
    // the books (purchase records, cost methods), valued with the shipped price and rate files, as "soberana report" does
    accounting: { store: new SqlAccountingStore(db), rates: shippedReferenceRates() },
    // proof of reserves: the newest published proof on the public page, auditors' challenges
    proofs: { store: new SqlProofStore(db) },
    // compliance: the register, flows, commitments, alerts and statement for token holders; the public commitment status
    compliance: { store: new SqlComplianceStore(db) },
    mining: { store: new (await import('../adapters/store/mining-store.ts')).SqlMiningStore(db) }, // mining ventures (issue #17)
    settlement: { store: new (await import('../adapters/store/settlement-store.ts')).SqlSettlementStore(db), network, rates: shippedReferenceRates() }, // alliance settlement (issue #16)
    settlementOnchain: { store: new (await import('../adapters/store/settlement-onchain-store.ts')).SqlSettlementOnchainStore(db) }, // the public settlement answer's txids (issue #16)
    clock: { now: () => Date.now() },
    webRoot: opts.dashboard === false ? null : await ensureWebBuilt(),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
  };
}
