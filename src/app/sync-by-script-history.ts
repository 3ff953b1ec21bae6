import { hex } from '@scure/base';
import { DomainError, isDomainError } from '../core/errors.ts';
import type { BlockHeaderInfo } from '../core/bitcoin/block-scanner.ts';
import {
  checkedHeader,
  mergeHistories,
  merkleRootOf,
  nextIndexesToFetch,
  scanAnchoredTransactions,
  txidOf,
  type ScriptHistoryEntry,
  type ScriptHistorySource,
} from '../core/chain/script-history.ts';
import type { ChainTip } from '../core/chain/chain-source.ts';
import { GENESIS_HASH } from '../core/network.ts';
import { applyBlockScan, matchMempool, scanToFixedPoint } from '../core/vault/apply-scan.ts';
import type { Branch, Checkpoint, Vault } from '../core/vault/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import type { WatchState } from '../core/vault/watch-state.ts';
import { birthdayResolver, type BlockTimes } from './birthday-height.ts';
import { loadWatchState } from './sync-vaults.ts';

export interface ScriptHistorySyncProgress {
  readonly vault: string;
  readonly phase: 'histories' | 'anchors' | 'commit';
  readonly scripts: number;
  readonly requests: number;
  readonly bytes: number;
}

export interface ScriptHistorySyncDeps {
  readonly source: ScriptHistorySource;
  readonly store: VaultStore;
  readonly onProgress?: ((p: ScriptHistorySyncProgress) => void) | undefined;
}

/** Shaped like the block walk's `SyncSummary` (so the CLI prints either), plus what this path counts. */
export interface ScriptHistorySyncSummary {
  readonly vault: string;
  readonly fromHeight: number;
  readonly tipHeight: number;
  readonly tipHash: string;
  /** Blocks the sync covered (none of them downloaded). */
  readonly blocksProcessed: number;
  readonly blocksDownloaded: 0;
  readonly blocksSkippedByFilter: 0;
  readonly bytesDownloaded: number;
  readonly reorg: { readonly forkHeight: number; readonly depth: number } | null;
  readonly transactionsFound: number;
  readonly mempoolTransactions: number;
  readonly scriptsQueried: number;
  readonly requests: number;
}

/**
 * Bring one vault up to the chain tip from per-script histories (Esplora /scripthash, Electrum):
 * reorg check through the stored anchors' block hashes, gap-limit discovery, then the confirmed
 * transactions grouped by block and applied in height order with the block walk's own core code,
 * each block's effects committed with its checkpoint in one transaction, the tip's checkpoint, and
 * the mempool view. Every anchor is checked: the block hash at its height on the best chain, the
 * header hashing to it, and a merkle proof putting the transaction in that header. No block and no
 * mempool listing is downloaded. Safe to kill at any moment; the next call continues.
 *
 * @example
 *   const s = await syncVaultByScriptHistory({ source: new EsploraScriptHistory({ url }), store }, vault);
 */
export async function syncVaultByScriptHistory(deps: ScriptHistorySyncDeps, vaultIn: Vault): Promise<ScriptHistorySyncSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await syncOnce(deps, vaultIn);
    } catch (e) {
      // The chain moved between two answers: what was committed is consistent; ask again.
      if (e instanceof ChainMovedDuringSync && attempt < 4) continue;
      if (e instanceof ChainMovedDuringSync) throw new DomainError('CHAIN_BAD_RESPONSE', `${e.message}, ${attempt} times in a row; run the sync again`);
      throw e;
    }
  }
}

class ChainMovedDuringSync extends Error {}

/** Best-chain hash at a height, null above the tip; cached for one sync. */
function chainHashes(source: ScriptHistorySource, tip: ChainTip): (height: number) => Promise<string | null> {
  const cache = new Map<number, Promise<string | null>>();
  return (height) => {
    let p = cache.get(height);
    if (!p) {
      p = height > tip.height
        ? Promise.resolve(null)
        : source.blockHash(height).catch((e: unknown) => {
            if (isDomainError(e) && e.code === 'NOT_FOUND') return null;
            throw e;
          });
      cache.set(height, p);
    }
    return p;
  };
}

/** Block times read through the script-history source (each header checked against its hash), for the birthday rule. */
function sourceBlockTimes(source: ScriptHistorySource): BlockTimes {
  return (start, count) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const hash = await source.blockHash(start + i);
        const h = checkedHeader(await source.rawHeader(hash), hash);
        if (!h) throw new DomainError('CHAIN_BAD_RESPONSE', `the server at ${source.endpoint} sent a header that does not hash to block ${hash}`);
        return h.time;
      }),
    );
}

/**
 * Reorg check through anchors: the tip checkpoint and the block of every stored confirmed
 * transaction must still be the best chain's at their heights. If one is not, every checkpoint
 * at or above it is stale; the highest checkpoint below it still on the chain is the fork point
 * (found by galloping then bisecting: checkpoints on the best chain form a prefix).
 */
async function reconcile(deps: ScriptHistorySyncDeps, vault: Vault, chainAt: (h: number) => Promise<string | null>): Promise<{ reorg: ScriptHistorySyncSummary['reorg']; resumeAfter: Checkpoint | null }> {
  const { store } = deps;
  const stored = await store.tipCheckpoint(vault.id);
  if (!stored) return { reorg: null, resumeAfter: null };
  const anchors: Checkpoint[] = [stored];
  for (const t of await store.transactions(vault.id)) if (t.height !== null && t.blockHash !== null) anchors.push({ height: t.height, hash: t.blockHash });
  const verdicts = await Promise.all(anchors.map(async (a) => ((await chainAt(a.height)) === a.hash ? null : a.height)));
  const stale = verdicts.filter((h): h is number => h !== null);
  if (stale.length === 0) return { reorg: null, resumeAfter: stored };
  const lowestStale = Math.min(...stale);
  let fork: Checkpoint | null = null;
  for (let limit = 256; ; limit *= 4) {
    const all = await store.checkpoints(vault.id, limit);
    const complete = all.length < limit;
    const below = all.filter((c) => c.height < lowestStale);
    const onChain = async (i: number) => (await chainAt((below[i] as Checkpoint).height)) === (below[i] as Checkpoint).hash;
    // The lowest loaded checkpoint is stale too: look further down, or none survives.
    if (below.length === 0 || !(await onChain(below.length - 1))) {
      if (complete) break;
      continue;
    }
    // Gallop down (1, 2, 4, ...) to a checkpoint on the chain, then bisect between it and the last stale one.
    let bad = -1;
    let good = 0;
    for (let step = 1; !(await onChain(good)); step *= 2) {
      bad = good;
      good = Math.min(below.length - 1, bad + step);
    }
    while (good - bad > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (await onChain(mid)) good = mid;
      else bad = mid;
    }
    fork = below[good] as Checkpoint;
    break;
  }
  const forkHeight = fork ? fork.height : vault.birthdayHeight - 1;
  await store.rollbackTo(vault.id, forkHeight);
  return { reorg: { forkHeight, depth: stored.height - forkHeight }, resumeAfter: fork };
}

interface Fetched {
  readonly branch: Branch;
  readonly index: number;
  readonly entries: readonly ScriptHistoryEntry[];
}

/**
 * Every stored script's history, then the gap limit: keep deriving (without adding to the watch
 * state: the in-order scan does that, as the block walk does) until each branch has `gapLimit`
 * scripts without history after its last one with history.
 */
async function discover(deps: ScriptHistorySyncDeps, vault: Vault, state: WatchState, report: (n: number) => void): Promise<Fetched[]> {
  const { source } = deps;
  const fetched: Fetched[] = [];
  const fetch = async (slots: Array<{ branch: Branch; index: number; script: string }>) => {
    const got = await Promise.all(slots.map(async (s) => ({ branch: s.branch, index: s.index, entries: await source.scriptHistory(hex.decode(s.script)) })));
    fetched.push(...got);
    report(fetched.length);
  };
  await fetch([...state.byScript.entries()].map(([script, slot]) => ({ ...slot, script })));
  if (!state.deriver) return fetched;
  const count: [number, number] = [state.derived[0], state.derived[1]];
  for (;;) {
    const lastUsed: [number, number] = [-1, -1];
    for (const f of fetched) if (f.entries.length > 0) lastUsed[f.branch] = Math.max(lastUsed[f.branch], f.index);
    const next = nextIndexesToFetch({ branches: state.deriver.branches, fetched: count, lastUsed, gap: vault.gapLimit });
    if (next.length === 0) return fetched;
    const slots: Array<{ branch: Branch; index: number; script: string }> = [];
    for (const r of next) {
      for (let i = r.from; i < r.to; i++) slots.push({ branch: r.branch, index: i, script: state.deriver.derive(r.branch, i).script });
      count[r.branch] = r.to;
    }
    await fetch(slots);
  }
}

interface VerifiedBlock {
  readonly height: number;
  readonly header: BlockHeaderInfo;
  readonly txs: ReadonlyArray<{ txid: string; raw: Uint8Array; txIndex: number }>;
}

async function syncOnce(deps: ScriptHistorySyncDeps, vaultIn: Vault): Promise<ScriptHistorySyncSummary> {
  const { source, store } = deps;
  const start = source.traffic();
  const progress = (phase: ScriptHistorySyncProgress['phase'], scripts: number) => {
    const t = source.traffic();
    deps.onProgress?.({ vault: vaultIn.name, phase, scripts, requests: t.requests - start.requests, bytes: t.bytes - start.bytes });
  };
  let vault = vaultIn;
  const genesis = await source.blockHash(0);
  if (genesis !== GENESIS_HASH[vault.network]) throw new DomainError('NETWORK_MISMATCH', `the server at ${source.endpoint} does not serve the vault's network (${vault.network}): its genesis block is ${genesis}`);
  const tip = await source.tip();
  if (vault.birthdayTime !== null) {
    // The same rule as the block walk: first block whose median-time-past is a day before the date.
    const h = await birthdayResolver(tip.height, sourceBlockTimes(source))(vault.birthdayTime);
    await store.resolveBirthday(vault.id, h);
    vault = { ...vault, birthdayHeight: h, birthdayTime: null };
  }
  const chainAt = chainHashes(source, tip);
  const { reorg, resumeAfter } = await reconcile(deps, vault, chainAt);
  const state = await loadWatchState(store, vault);
  const afterHeight = resumeAfter ? resumeAfter.height : vault.birthdayHeight - 1;

  const fetched = await discover(deps, vault, state, (n) => progress('histories', n));
  for (const f of fetched) {
    for (const e of f.entries) {
      // The adapter checked this; the core trusts no adapter with the vault's money.
      if (txidOf(e.raw) !== e.txid) throw new DomainError('CHAIN_BAD_RESPONSE', `the server at ${source.endpoint} sent bytes that do not hash to transaction ${e.txid}`);
    }
  }
  const merged = mergeHistories(fetched.map((f) => f.entries), { afterHeight, tipHeight: tip.height });
  if ('inconsistent' in merged) throw new ChainMovedDuringSync(`the server reported transaction ${merged.inconsistent} in two different places`);

  // Anchor every block: its hash on the best chain, its header, a merkle proof per transaction.
  const blocks: VerifiedBlock[] = await Promise.all(
    merged.blocks.map(async (b) => {
      const hash = await chainAt(b.height);
      if (hash === null) throw new ChainMovedDuringSync(`the chain no longer reaches height ${b.height}`);
      if (b.claimedHash !== null && b.claimedHash !== hash) throw new ChainMovedDuringSync(`the server anchors a transaction in block ${b.claimedHash}, but the best chain has ${hash} at height ${b.height}`);
      const header = checkedHeader(await source.rawHeader(hash), hash);
      if (!header) throw new DomainError('CHAIN_BAD_RESPONSE', `the server at ${source.endpoint} sent a header that does not hash to block ${hash}`);
      const txs = await Promise.all(
        b.txs.map(async (t) => {
          const proof = await source.merkleProof(t.txid, b.height);
          if (merkleRootOf(t.txid, proof) !== header.merkleRoot) throw new DomainError('CHAIN_BAD_RESPONSE', `the server at ${source.endpoint} claims transaction ${t.txid} is in block ${hash} at height ${b.height}, but its merkle proof does not lead to that block's merkle root`);
          return { ...t, txIndex: proof.pos };
        }),
      );
      if (new Set(txs.map((t) => t.txIndex)).size !== txs.length) throw new DomainError('CHAIN_BAD_RESPONSE', `the server at ${source.endpoint} places two transactions at the same position of block ${hash}`);
      return { height: b.height, header, txs };
    }),
  );
  progress('anchors', fetched.length);
  // Everything above was read from one chain only if the tip is still the tip.
  if (tip.height > afterHeight && (await source.blockHash(tip.height).catch(() => null)) !== tip.hash) throw new ChainMovedDuringSync('the chain moved while the histories were read');

  let found = 0;
  let lastCommitted = afterHeight;
  for (const b of blocks) {
    const { result, newAddresses } = scanToFixedPoint(state, () => scanAnchoredTransactions(b.header, b.txs, state));
    if (result.outputs.length || result.spends.length || newAddresses.length) {
      const changes = applyBlockScan(state, result, { height: b.height, hash: b.header.hash, time: b.header.time }, newAddresses);
      await store.applyBlock(vault.id, changes);
      found += changes.transactions.length;
      lastCommitted = b.height;
    }
  }
  if (tip.height > afterHeight && lastCommitted !== tip.height) await store.addCheckpoints(vault.id, [{ height: tip.height, hash: tip.hash }]);
  const mem = matchMempool(state, merged.mempool);
  await store.replaceMempool(vault.id, mem);
  progress('commit', fetched.length);
  const end = source.traffic();
  return {
    vault: vault.name,
    fromHeight: afterHeight + 1,
    tipHeight: tip.height,
    tipHash: tip.hash,
    blocksProcessed: Math.max(0, tip.height - afterHeight),
    blocksDownloaded: 0,
    blocksSkippedByFilter: 0,
    bytesDownloaded: end.bytes - start.bytes,
    reorg,
    transactionsFound: found,
    mempoolTransactions: mem.transactions.length,
    scriptsQueried: fetched.length,
    requests: end.requests - start.requests,
  };
}
