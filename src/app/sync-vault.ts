import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import { parseBlockHeader, scanBlock } from '../core/bitcoin/block-scanner.ts';
import { FilterMatcher } from '../core/bitcoin/bip158.ts';
import { applyBlockScan, findForkPoint, matchMempool, scanToFixedPoint } from '../core/vault/apply-scan.ts';
import type { Checkpoint, Vault } from '../core/vault/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import { WatchState } from '../core/vault/watch-state.ts';
import { deriverFor } from './vault-deriver.ts';

export interface SyncProgress {
  readonly vault: string;
  readonly height: number;
  readonly tip: number;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytes: number;
}

export interface SyncDeps {
  readonly chain: ChainSource;
  readonly store: VaultStore;
  readonly onProgress?: ((p: SyncProgress) => void) | undefined;
}

export interface SyncSummary {
  readonly vault: string;
  readonly fromHeight: number;
  readonly tipHeight: number;
  readonly tipHash: string;
  readonly blocksProcessed: number;
  readonly blocksDownloaded: number;
  readonly blocksSkippedByFilter: number;
  readonly bytesDownloaded: number;
  readonly reorg: { readonly forkHeight: number; readonly depth: number } | null;
  readonly transactionsFound: number;
  readonly mempoolTransactions: number;
}

/** Empty blocks' checkpoints are committed together, at most this many at a time. */
const CHECKPOINT_BATCH = 500;

async function loadState(store: VaultStore, vault: Vault): Promise<WatchState> {
  const state = new WatchState({ gapLimit: vault.gapLimit, deriver: deriverFor(vault) });
  for (const a of await store.addresses(vault.id)) state.addAddress(a);
  // Confirmed unspent (and mempool-spent) outputs only: the mempool view is rebuilt at the end.
  for (const t of await store.unspentTxos(vault.id)) if (t.height !== null) state.addUnspent(t);
  return state;
}

/** First block whose timestamp is at or after `time` (binary search over headers). */
async function heightAtTime(chain: ChainSource, time: number, tipHeight: number): Promise<number> {
  let lo = 0;
  let hi = tipHeight + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const h = await chain.header(await chain.blockHash(mid));
    if (h.time < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Detect a reorg against the stored checkpoints and roll back to the fork point.
 * Returns the reorg (or null) and the checkpoint to continue after.
 */
async function reconcile(deps: SyncDeps, vault: Vault, tipHeight: number): Promise<{ reorg: SyncSummary['reorg']; resumeAfter: Checkpoint | null }> {
  const stored = await deps.store.tipCheckpoint(vault.id);
  if (!stored) return { reorg: null, resumeAfter: null };
  if (stored.height <= tipHeight && (await deps.chain.blockHash(stored.height)) === stored.hash) return { reorg: null, resumeAfter: stored };
  // Walk back through the stored checkpoints until one is on the best chain.
  for (let limit = 64; ; limit *= 4) {
    const cps = await deps.store.checkpoints(vault.id, limit);
    const chainHashAt = new Map<number, string | null>();
    for (const cp of cps) {
      const h = cp.height <= tipHeight ? await deps.chain.blockHash(cp.height) : null;
      chainHashAt.set(cp.height, h);
      if (h === cp.hash) break;
    }
    const fork = findForkPoint(cps, chainHashAt);
    if (fork) {
      await deps.store.rollbackTo(vault.id, fork.height);
      return { reorg: { forkHeight: fork.height, depth: stored.height - fork.height }, resumeAfter: fork };
    }
    if (cps.length < limit) {
      // No stored block survives: start over from the birthday.
      await deps.store.rollbackTo(vault.id, vault.birthdayHeight - 1);
      return { reorg: { forkHeight: vault.birthdayHeight - 1, depth: stored.height - vault.birthdayHeight + 1 }, resumeAfter: null };
    }
  }
}

/**
 * Bring one vault up to the chain tip: reorg check, then block by block from the last checkpoint
 * (or the birthday), each block's effects and its checkpoint committed in one transaction, then the
 * mempool. Safe to kill at any moment; the next call continues.
 */
export async function syncVault(deps: SyncDeps, vaultIn: Vault): Promise<SyncSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await syncOnce(deps, vaultIn);
    } catch (e) {
      // The chain reorganised under us mid-sync: what was committed is consistent; go again.
      if (e instanceof ReorgDuringSync && attempt < 4) continue;
      if (e instanceof ReorgDuringSync) throw new DomainError('CHAIN_BAD_RESPONSE', e.message);
      throw e;
    }
  }
}

class ReorgDuringSync extends Error {}

async function syncOnce(deps: SyncDeps, vaultIn: Vault): Promise<SyncSummary> {
  const { chain, store } = deps;
  let vault = vaultIn;
  const tip = await chain.tip();
  if (vault.birthdayTime !== null) {
    const h = await heightAtTime(chain, vault.birthdayTime, tip.height);
    await store.resolveBirthday(vault.id, h);
    vault = { ...vault, birthdayHeight: h, birthdayTime: null };
  }
  const { reorg, resumeAfter } = await reconcile(deps, vault, tip.height);
  const state = await loadState(store, vault);
  const fromHeight = resumeAfter ? resumeAfter.height + 1 : vault.birthdayHeight;
  let prevHash = resumeAfter?.hash ?? null;
  let processed = 0, downloaded = 0, skipped = 0, bytes = 0, found = 0;
  const total = Math.max(0, tip.height - fromHeight + 1);
  let pending: Checkpoint[] = [];
  let filtersAvailable = true;
  const flush = async () => {
    if (pending.length) await store.addCheckpoints(vault.id, pending);
    pending = [];
  };
  for (let height = fromHeight; height <= tip.height; height++) {
    const hash = await chain.blockHash(height);
    let filterSaysSkip = false;
    if (filtersAvailable) {
      const filter = await chain.blockFilter(hash);
      if (filter === null) filtersAvailable = false;
      else filterSaysSkip = !filterMatcher(state).matchAny(filter, hash);
    }
    if (filterSaysSkip) {
      const header = await chain.header(hash);
      if (prevHash !== null && header.prevHash !== prevHash) await flush();
      checkLink(prevHash, header.prevHash, height);
      pending.push({ height, hash });
      skipped++;
    } else {
      const raw = await chain.rawBlock(hash);
      downloaded++;
      bytes += raw.length;
      const header = parseBlockHeader(raw);
      if (header.hash !== hash) throw new DomainError('CHAIN_BAD_RESPONSE', `block at height ${height}: the node sent block ${header.hash} for ${hash}`);
      if (prevHash !== null && header.prevHash !== prevHash) await flush();
      checkLink(prevHash, header.prevHash, height);
      const { result, newAddresses } = scanToFixedPoint(state, () => scanBlock(raw, { scripts: state.scripts, outpoints: state.outpoints }));
      if (result.outputs.length || result.spends.length || newAddresses.length) {
        await flush();
        const changes = applyBlockScan(state, result, { height, hash, time: header.time }, newAddresses);
        await store.applyBlock(vault.id, changes);
        found += changes.transactions.length;
      } else pending.push({ height, hash });
    }
    if (pending.length >= CHECKPOINT_BATCH) await flush();
    prevHash = hash;
    processed++;
    deps.onProgress?.({ vault: vault.name, height, tip: tip.height, blocksDone: processed, blocksTotal: total, bytes });
  }
  await flush();
  const mempool = await chain.mempool();
  const mem = matchMempool(state, mempool);
  await store.replaceMempool(vault.id, mem);
  return {
    vault: vault.name,
    fromHeight,
    tipHeight: tip.height,
    tipHash: tip.hash,
    blocksProcessed: processed,
    blocksDownloaded: downloaded,
    blocksSkippedByFilter: skipped,
    bytesDownloaded: bytes,
    reorg,
    transactionsFound: found,
    mempoolTransactions: mem.transactions.length,
  };
}

function checkLink(prevHash: string | null, headerPrev: string, height: number): void {
  if (prevHash !== null && headerPrev !== prevHash) {
    throw new ReorgDuringSync(`the chain reorganised during the sync at height ${height}; run the sync again`);
  }
}

const matcherCache = new WeakMap<WatchState, { size: number; matcher: FilterMatcher }>();
/** A BIP-158 matcher over every watched script (spent coins' scripts are among them); rebuilt when the set grows. */
function filterMatcher(state: WatchState): FilterMatcher {
  const c = matcherCache.get(state);
  if (c && c.size === state.byScript.size) return c.matcher;
  const matcher = new FilterMatcher([...state.byScript.keys()].map((s) => hex.decode(s)));
  matcherCache.set(state, { size: state.byScript.size, matcher });
  return matcher;
}
