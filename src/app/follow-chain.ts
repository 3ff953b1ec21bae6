/**
 * Follow the chain in the background of a long-running process (`soberana serve`, the demo): every
 * `intervalMs` run the same sync as `soberana sync` (one walk for all vaults, then proposal
 * tracking), and when the tip or the vaults' unconfirmed transactions changed, tell `onMove` —
 * the server turns that into a live-update event and a fresh public cache. A failed round is
 * reported to `onError` and retried at the next tick; `stop()` waits for a round in flight.
 */
import type { ChainSource } from '../core/chain/chain-source.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import type { SpendStore } from '../core/spend/types.ts';
import type { Network } from '../core/network.ts';
import { syncVaults, type SyncJobSummary } from './sync-vaults.ts';
import { trackProposals, type TrackedChange } from './track-proposals.ts';

export interface ChainMove {
  readonly kind: 'block' | 'mempool';
  readonly height: number;
  readonly hash: string;
  /** The tip's block time, seconds since the epoch. */
  readonly time: number;
}

export interface FollowDeps {
  readonly chain: ChainSource;
  readonly store: VaultStore;
  /** Proposals are tracked after each round when given (as `soberana sync` does). */
  readonly spends?: SpendStore;
  readonly network: Network;
  readonly now: () => number;
  readonly onMove: (m: ChainMove) => void;
  readonly onError: (e: unknown) => void;
  /** Alerts from proposal tracking (a replaced or conflicted proposal): same text `soberana sync` prints. */
  readonly onAlert?: (text: string) => void;
  /** Run after each round's sync (programme-commitment monitoring, as `soberana sync` does); its alert lines go to `onAlert`. */
  readonly monitor?: () => Promise<{ readonly alerts: readonly string[] }>;
  /** Timer port (setTimeout in production, a fake in tests). */
  readonly schedule: (fn: () => void, ms: number) => { cancel(): void };
}

export interface Follower {
  /** One round now (also what each tick runs); resolves to the move it announced, if any. */
  step(): Promise<ChainMove | null>;
  stop(): Promise<void>;
}

/** What the page shows that a round can change: the tip, and each vault's unconfirmed state. */
async function fingerprint(store: VaultStore, job: SyncJobSummary): Promise<string> {
  const parts: string[] = [];
  for (const v of await store.listVaults()) {
    const b = await store.balance(v.id);
    parts.push(`${v.id}:${b.confirmed}:${b.unconfirmed}`);
  }
  return parts.join('|') + `|${job.vaults.reduce((n, s) => n + s.mempoolTransactions, 0)}`;
}

export function followChain(deps: FollowDeps, opts: { intervalMs: number }): Follower {
  if (!Number.isSafeInteger(opts.intervalMs) || opts.intervalMs < 100) throw new RangeError(`followChain: intervalMs must be an integer ≥ 100, got ${opts.intervalMs}`);
  let lastTip: string | null = null;
  let lastPrint: string | null = null;
  let running: Promise<ChainMove | null> | null = null;
  let stopped = false;
  let timer: { cancel(): void } | null = null;

  async function round(): Promise<ChainMove | null> {
    const vaults = await deps.store.listVaults();
    if (vaults.length === 0) return null;
    const job = await syncVaults({ chain: deps.chain, store: deps.store }, vaults);
    if (deps.spends) {
      const changes: TrackedChange[] = await trackProposals({ spends: deps.spends, vaults: deps.store, now: deps.now, network: deps.network, chain: undefined });
      for (const c of changes) if (c.alert !== null) deps.onAlert?.(c.alert);
    }
    if (deps.monitor) for (const a of (await deps.monitor()).alerts) deps.onAlert?.(a);
    const print = await fingerprint(deps.store, job);
    const tipMoved = job.tipHash !== lastTip;
    const first = lastTip === null;
    const changed = tipMoved || print !== lastPrint || job.vaults.some((s) => s.reorg !== null);
    lastTip = job.tipHash;
    lastPrint = print;
    if (!changed && !first) return null;
    const header = await deps.chain.header(job.tipHash);
    const move: ChainMove = { kind: tipMoved ? 'block' : 'mempool', height: job.tipHeight, hash: job.tipHash, time: header.time };
    deps.onMove(move);
    return move;
  }

  function step(): Promise<ChainMove | null> {
    if (running) return running; // one round at a time; a caller during a round shares it
    running = round().finally(() => {
      running = null;
    });
    return running;
  }

  function tick(): void {
    timer = null;
    if (stopped) return;
    step()
      .catch((e: unknown) => deps.onError(e))
      .finally(() => {
        if (!stopped) timer = deps.schedule(tick, opts.intervalMs);
      });
  }
  timer = deps.schedule(tick, 0);

  return {
    step,
    async stop() {
      stopped = true;
      timer?.cancel();
      if (running) await running.catch(() => null);
    },
  };
}
