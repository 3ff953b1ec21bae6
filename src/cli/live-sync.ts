/**
 * Background sync for `soberana serve` and the demo: follows the chain and announces each move on
 * the server's live-update hub (which also empties the public cache), so the dashboard updates
 * without a reload and proposals follow the chain without a cron job.
 */
import { followChain, type Follower } from '../app/follow-chain.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import type { SpendStore } from '../core/spend/types.ts';
import type { Network } from '../core/network.ts';
import { isDomainError } from '../core/errors.ts';
import { displaySafe } from '../core/text/display-text.ts';
import type { LiveHub } from '../server/live-events.ts';
import type { ComplianceStore } from '../core/compliance/ports.ts';
import { monitorCommitments } from '../app/compliance/commitments.ts';

/**
 * `escrows`: run after each round, after commitment monitoring — the alliance settlement's pay-in
 * tracking (`trackAllEscrows`), as `soberana sync` does; its failures are logged, not fatal.
 */
export function startLiveSync(input: { chain: ChainSource; store: VaultStore; spends?: SpendStore; compliance?: ComplianceStore; escrows?: () => Promise<unknown>; network: Network; hub: LiveHub; intervalMs: number; log: (line: string) => void }): Follower {
  const { compliance, escrows } = input;
  const monitor = async (): Promise<{ readonly alerts: readonly string[] }> => {
    const r = compliance ? await monitorCommitments({ compliance, vaults: input.store, now: () => Date.now(), ...(input.spends ? { spends: input.spends } : {}) }) : { alerts: [] as string[] };
    if (escrows) {
      await escrows().catch((e: unknown) => input.log(`escrow tracking failed, retrying next round: ${displaySafe(isDomainError(e) ? e.message : String(e)).split('\n')[0] ?? ''}`));
    }
    return r;
  };
  let failing = false;
  return followChain(
    {
      chain: input.chain,
      store: input.store,
      ...(input.spends ? { spends: input.spends } : {}),
      network: input.network,
      now: () => Date.now(),
      onMove: (m) => {
        if (failing) input.log(`background sync recovered at height ${m.height}`);
        failing = false;
        input.hub.publish(m);
      },
      onError: (e) => {
        // one line per outage, not one per tick
        if (!failing) input.log(`background sync failed, retrying every ${input.intervalMs / 1000} s: ${displaySafe(isDomainError(e) ? e.message : String(e)).split('\n')[0] ?? ''}`);
        failing = true;
      },
      // programme commitments are monitored after each round, as "soberana sync" does (docs/compliance.md)
      ...(compliance || escrows ? { monitor } : {}),
      onAlert: (a) => process.stderr.write(`ALERT: ${displaySafe(a)}\n`),
      schedule: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
    { intervalMs: input.intervalMs },
  );
}
