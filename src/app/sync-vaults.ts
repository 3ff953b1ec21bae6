/**
 * The sync job: bring every given vault up to the chain tip in one walk over the chain.
 *
 * Each vault first checks its own checkpoints against the chain (reorg: roll back to the fork in
 * one transaction) and resolves a birthday given as a date. The walk then starts at the lowest
 * height any vault needs and goes to the tip; a vault joins when the walk reaches its height. Each
 * block is read once (ahead of time, see `block-feed.ts`), skipped for everyone when the BIP-158
 * filter says no watched script of any joined vault is in it, otherwise scanned once against the
 * union of the joined vaults' watch sets. Only a vault that union scan touches is scanned again on
 * its own, to a fixed point (gap-limit lookahead, coins received and spent in the same block), and
 * its changes are committed with its checkpoint in one transaction, vault by vault. Empty blocks'
 * checkpoints are committed in batches. A kill at any moment leaves every vault at a block it fully
 * holds; the next run continues each from there. Finally the mempool is read once and matched
 * against every vault.
 */
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import type { ChainSource } from '../core/chain/chain-source.ts';
import { parseBlockHeader, scanBlock } from '../core/bitcoin/block-scanner.ts';
import { FilterMatcher } from '../core/bitcoin/bip158.ts';
import { OutpointSet, ScriptSet } from '../core/bitcoin/byte-sets.ts';
import { applyBlockScan, findForkPoint, matchMempool, scanToFixedPoint } from '../core/vault/apply-scan.ts';
import type { Checkpoint, Vault } from '../core/vault/types.ts';
import { isConcurrentSync, type VaultStore } from '../core/vault/vault-store.ts';
import { outpointKey, WatchState } from '../core/vault/watch-state.ts';
import { birthdayResolver, chainBlockTimes } from './birthday-height.ts';
import { blockFeed } from './block-feed.ts';
import { deriverFor } from './vault-deriver.ts';

export interface SyncProgress {
  /** Height just processed. */
  readonly height: number;
  readonly tip: number;
  /** Blocks of the walk done / in all (each block counted once, whatever the number of vaults). */
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytes: number;
  /** Vaults the walk has reached / vaults in the job. */
  readonly vaultsJoined: number;
  readonly vaults: number;
}

export interface SyncDeps {
  readonly chain: ChainSource;
  readonly store: VaultStore;
  readonly onProgress?: ((p: SyncProgress) => void) | undefined;
  /** Raw blocks downloaded ahead of the one being scanned (default 6); 0 reads one request at a time. */
  readonly lookahead?: number | undefined;
}

export interface SyncSummary {
  readonly vault: string;
  readonly fromHeight: number;
  readonly tipHeight: number;
  readonly tipHash: string;
  readonly blocksProcessed: number;
  /** Blocks downloaded while this vault was in the walk (shared with the other vaults). */
  readonly blocksDownloaded: number;
  readonly blocksSkippedByFilter: number;
  readonly bytesDownloaded: number;
  readonly reorg: { readonly forkHeight: number; readonly depth: number } | null;
  readonly transactionsFound: number;
  readonly mempoolTransactions: number;
}

export interface SyncJobSummary {
  readonly vaults: SyncSummary[];
  /** First height of the walk (the lowest any vault needed); tipHeight + 1 when none needed any. */
  readonly fromHeight: number;
  readonly tipHeight: number;
  readonly tipHash: string;
  /** Blocks the walk went through, each once. */
  readonly blocksWalked: number;
  readonly blocksDownloaded: number;
  readonly bytesDownloaded: number;
}

/** Raw blocks read ahead by default: a few blocks, a few MB of memory on mainnet. */
export const DEFAULT_LOOKAHEAD = 6;

/** Empty blocks' checkpoints are committed together, at most this many at a time. */
const CHECKPOINT_BATCH = 500;

class ReorgDuringSync extends Error {}

/** One vault's part of the job. */
interface Run {
  readonly vault: Vault;
  readonly state: WatchState;
  readonly from: number;
  readonly reorg: SyncSummary['reorg'];
  prevHash: string | null;
  pending: Checkpoint[];
  processed: number;
  downloaded: number;
  skipped: number;
  bytes: number;
  found: number;
}

/**
 * Sync `vaults` together (see the module comment). Safe to kill at any moment; the next call
 * continues. Retries from the checkpoints when the chain reorganises during the walk.
 *
 * @example
 *   const job = await syncVaults({ chain, store }, await store.listVaults());
 *   for (const s of job.vaults) console.log(s.vault, s.tipHeight, s.transactionsFound);
 */
export async function syncVaults(deps: SyncDeps, vaultsIn: readonly Vault[]): Promise<SyncJobSummary> {
  const ids = new Set<string>();
  for (const v of vaultsIn) {
    if (ids.has(v.id)) throw new TypeError(`syncVaults: vault ${v.id} given twice`);
    ids.add(v.id);
  }
  let vaults = vaultsIn;
  for (let attempt = 1, raced = 0; ; attempt++) {
    try {
      vaults = await resolveBirthdays(deps, vaults);
      return await syncOnce(deps, vaults);
    } catch (e) {
      // Another sync of the same vault committed a block first: reload from the store and go on
      // from there. Each such conflict means the store's checkpoints grew past where this attempt
      // started, so the retries end (the guard is only against a store that misbehaves).
      if (isConcurrentSync(e) && ++raced < 100_000) {
        attempt--;
        continue;
      }
      // The chain reorganised under us mid-sync: what was committed is consistent; go again.
      if (e instanceof ReorgDuringSync && attempt < 4) continue;
      if (e instanceof ReorgDuringSync) throw new DomainError('CHAIN_BAD_RESPONSE', e.message);
      throw e;
    }
  }
}

/** A vault's watch state as the store holds it: its addresses and its confirmed unspent outputs. */
export async function loadWatchState(store: VaultStore, vault: Vault): Promise<WatchState> {
  const state = new WatchState({ gapLimit: vault.gapLimit, deriver: deriverFor(vault) });
  for (const a of await store.addresses(vault.id)) state.addAddress(a);
  // Confirmed unspent (and mempool-spent) outputs only: the mempool view is rebuilt at the end.
  for (const t of await store.unspentTxos(vault.id)) if (t.height !== null) state.addUnspent(t);
  return state;
}

/**
 * Vaults born on a date get their birthday height: the first block whose median-time-past is at
 * least a day before the date (core/vault/birthday.ts, app/birthday-height.ts), found by binary
 * search over headers read in batches, and stored.
 */
async function resolveBirthdays(deps: SyncDeps, vaults: readonly Vault[]): Promise<Vault[]> {
  if (vaults.every((v) => v.birthdayTime === null)) return [...vaults];
  const tip = await deps.chain.tip();
  const heightOf = birthdayResolver(tip.height, chainBlockTimes(deps.chain));
  const out: Vault[] = [];
  for (const v of vaults) {
    if (v.birthdayTime === null) {
      out.push(v);
      continue;
    }
    const h = await heightOf(v.birthdayTime);
    await deps.store.resolveBirthday(v.id, h);
    out.push({ ...v, birthdayHeight: h, birthdayTime: null });
  }
  return out;
}

/**
 * Detect a reorg against the vault's stored checkpoints and roll back to the fork point.
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
 * The watch sets of every vault the walk has reached, merged: one scan of a block against it tells
 * which vaults the block touches. It only grows (a spent outpoint stays in it: the union may say
 * more than a vault holds, never less; each vault's own sets decide).
 */
class WatchUnion {
  readonly scripts = new ScriptSet();
  readonly outpoints = new OutpointSet();
  readonly #scriptList: Uint8Array[] = [];
  #matcher: FilterMatcher | null = null;

  addScript(scriptHex: string): void {
    const s = hex.decode(scriptHex);
    if (this.scripts.has(s, 0, s.length)) return;
    this.scripts.add(s);
    this.#scriptList.push(s);
    this.#matcher = null;
  }

  addVault(state: WatchState): void {
    for (const s of state.byScript.keys()) this.addScript(s);
    for (const t of state.unspent.values()) this.outpoints.add(t.txid, t.vout);
  }

  /** A BIP-158 matcher over every script in the union; rebuilt when the union has grown. */
  matcher(): FilterMatcher {
    this.#matcher ??= new FilterMatcher(this.#scriptList);
    return this.#matcher;
  }
}

async function syncOnce(deps: SyncDeps, vaults: readonly Vault[]): Promise<SyncJobSummary> {
  const { chain, store } = deps;
  const tip = await chain.tip();
  const runs: Run[] = [];
  for (const vault of vaults) {
    const { reorg, resumeAfter } = await reconcile(deps, vault, tip.height);
    const state = await loadWatchState(store, vault);
    const from = resumeAfter ? resumeAfter.height + 1 : vault.birthdayHeight;
    runs.push({ vault, state, from, reorg, prevHash: resumeAfter?.hash ?? null, pending: [], processed: 0, downloaded: 0, skipped: 0, bytes: 0, found: 0 });
  }
  // Vaults join the walk in the order of their starting heights.
  const waiting = [...runs].sort((a, b) => a.from - b.from);
  const walkFrom = Math.min(tip.height + 1, ...runs.map((r) => r.from));
  const total = Math.max(0, tip.height - walkFrom + 1);
  const union = new WatchUnion();
  const joined: Run[] = [];
  const join = (height: number): void => {
    while (waiting.length > 0 && (waiting[0] as Run).from <= height) {
      const r = waiting.shift() as Run;
      union.addVault(r.state);
      joined.push(r);
    }
  };
  const flush = async (r: Run): Promise<void> => {
    if (r.pending.length) await store.addCheckpoints(r.vault.id, r.pending);
    r.pending = [];
  };
  // A block must be downloaded when the source has no filter, or the filter may hold a watched script.
  const wants = (_height: number, hash: string, filter: Uint8Array | null): boolean => filter === null || union.matcher().matchAny(filter, hash);
  const link = async (height: number, prevHash: string): Promise<void> => {
    for (const r of joined) {
      if (r.prevHash !== null && r.prevHash !== prevHash) {
        for (const x of joined) await flush(x);
        throw new ReorgDuringSync(`the chain reorganised during the sync at height ${height}; run the sync again`);
      }
    }
  };
  let walked = 0, downloaded = 0, bytes = 0;
  join(walkFrom);
  if (walkFrom <= tip.height) {
    for await (const b of blockFeed(chain, { from: walkFrom, to: tip.height, lookahead: deps.lookahead ?? DEFAULT_LOOKAHEAD, wants })) {
      const { height, hash } = b;
      join(height);
      let raw = b.raw;
      if (raw === null && wants(height, hash, b.filter)) raw = await chain.rawBlock(hash);
      if (raw === null) {
        const header = b.header ?? (await chain.header(hash));
        await link(height, header.prevHash);
        for (const r of joined) {
          r.pending.push({ height, hash });
          r.skipped++;
        }
      } else {
        downloaded++;
        bytes += raw.length;
        const header = parseBlockHeader(raw);
        if (header.hash !== hash) throw new DomainError('CHAIN_BAD_RESPONSE', `block at height ${height}: the node sent block ${header.hash} for ${hash}`);
        await link(height, header.prevHash);
        // One scan for every vault; only the vaults it touches are scanned on their own.
        const all = scanBlock(raw, union);
        const block = raw;
        for (const r of joined) {
          r.downloaded++;
          r.bytes += raw.length;
          const touched = all.outputs.some((o) => r.state.byScript.has(hex.encode(o.script))) || all.spends.some((s) => r.state.unspent.has(outpointKey(s.prevTxid, s.prevVout)));
          if (!touched) {
            r.pending.push({ height, hash });
            continue;
          }
          const { result, newAddresses } = scanToFixedPoint(r.state, () => scanBlock(block, { scripts: r.state.scripts, outpoints: r.state.outpoints }));
          if (result.outputs.length || result.spends.length || newAddresses.length) {
            await flush(r);
            const changes = applyBlockScan(r.state, result, { height, hash, time: header.time }, newAddresses);
            await store.applyBlock(r.vault.id, changes);
            r.found += changes.transactions.length;
            for (const a of changes.newAddresses) union.addScript(a.script);
            for (const t of changes.newTxos) union.outpoints.add(t.txid, t.vout);
          } else r.pending.push({ height, hash });
        }
      }
      for (const r of joined) {
        if (r.pending.length >= CHECKPOINT_BATCH) await flush(r);
        r.prevHash = hash;
        r.processed++;
      }
      walked++;
      deps.onProgress?.({ height, tip: tip.height, blocksDone: walked, blocksTotal: total, bytes, vaultsJoined: joined.length, vaults: runs.length });
    }
  }
  for (const r of joined) await flush(r);
  const mempool = runs.length > 0 ? await chain.mempool() : [];
  const summaries: SyncSummary[] = [];
  for (const r of runs) {
    const mem = matchMempool(r.state, mempool);
    await store.replaceMempool(r.vault.id, mem);
    summaries.push({
      vault: r.vault.name,
      fromHeight: r.from,
      tipHeight: tip.height,
      tipHash: tip.hash,
      blocksProcessed: r.processed,
      blocksDownloaded: r.downloaded,
      blocksSkippedByFilter: r.skipped,
      bytesDownloaded: r.bytes,
      reorg: r.reorg,
      transactionsFound: r.found,
      mempoolTransactions: mem.transactions.length,
    });
  }
  return { vaults: summaries, fromHeight: walkFrom, tipHeight: tip.height, tipHash: tip.hash, blocksWalked: walked, blocksDownloaded: downloaded, bytesDownloaded: bytes };
}
