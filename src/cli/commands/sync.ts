import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { action, type CliContext } from '../context.ts';
import { syncVaults, type SyncJobSummary, type SyncSummary } from '../../app/sync-vaults.ts';
import { assertChainNetwork, openChainSource, openScriptHistorySource } from '../../adapters/chain/open-chain-source.ts';
import { syncVaultByScriptHistory } from '../../app/sync-by-script-history.ts';
import { DomainError } from '../../core/errors.ts';
import { ProgressBar } from '../progress.ts';
import { requireVault, vaultStore } from './vault.ts';
import type { ChainSource } from '../../core/chain/chain-source.ts';
import { trackProposals, type TrackedChange } from '../../app/track-proposals.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { SqlComplianceStore } from '../../adapters/store/compliance-store.ts';
import { SqlAccountingStore } from '../../adapters/store/accounting-store.ts';
import { refreshLedger } from '../../app/accounting/ledger-book.ts';
import { monitorCommitments, type MonitorResult } from '../../app/compliance/commitments.ts';
import { SqlSettlementOnchainStore } from '../../adapters/store/settlement-onchain-store.ts';
import { SqlSettlementStore } from '../../adapters/store/settlement-store.ts';
import { trackAllOnchain } from '../../app/settlement/escrow.ts';

export async function openChain(ctx: CliContext): Promise<ChainSource> {
  const cfg = ctx.config();
  if (!cfg.chain) {
    throw new DomainError('INVALID_CONFIG', 'no chain source configured: set SOBERANA_RPC_URL (Bitcoin Core or "soberana node start") or SOBERANA_ESPLORA_URL, or "chain" in soberana.config.json');
  }
  return openChainSource(cfg.chain);
}

async function syncAll(ctx: CliContext, vaultArg: string | undefined, blockWalk: boolean): Promise<{ job: SyncJobSummary; proposals: TrackedChange[]; compliance: MonitorResult; ledger: { appended: number; reversals: number }; settlement: EscrowChange[]; path: 'script-history' | 'block-walk' }> {
  const store = await vaultStore(ctx);
  const vaults = vaultArg ? [await requireVault(ctx, vaultArg)] : await store.listVaults();
  if (vaults.length === 0) throw new DomainError('NOT_FOUND', 'no vaults to sync (see "soberana vault add --help")');
  const chain = await openChain(ctx);
  try {
    for (const n of new Set(vaults.map((v) => v.network))) await assertChainNetwork(chain, n, vaults.length === 1 ? 'the vault' : `vault "${vaults.find((v) => v.network === n)?.name ?? ''}"`);
    // One walk over the chain for every vault, with one progress bar for the whole job.
    const bar = new ProgressBar(vaults.length === 1 ? `sync ${vaults[0]?.name ?? ''}` : `sync ${vaults.length} vaults`, { enabled: !ctx.json });
    let job: SyncJobSummary;
    // Over Esplora, ask per watched script (its history and mempool entries) instead of walking
    // every block: no block downloads (BDK's approach). Bitcoin Core serves blocks only.
    const light = blockWalk ? null : openScriptHistorySource(ctx.config().chain!);
    try {
      if (light) {
        try {
          const done: SyncSummary[] = [];
          for (const v of vaults) {
            done.push(await syncVaultByScriptHistory({ source: light, store, onProgress: (p) => bar.update(done.length, vaults.length, { bytes: p.bytes, unit: 'vaults' }) }, v));
            bar.update(done.length, vaults.length, { unit: 'vaults' });
          }
          const first = done[0];
          job = {
            vaults: done,
            fromHeight: Math.min(...done.map((s) => s.fromHeight)),
            tipHeight: first?.tipHeight ?? 0,
            tipHash: first?.tipHash ?? '',
            blocksWalked: 0,
            blocksDownloaded: 0,
            bytesDownloaded: done.reduce((n, s) => n + s.bytesDownloaded, 0),
          };
        } finally {
          await light.close();
        }
      } else {
        job = await syncVaults({ chain, store, onProgress: (p) => bar.update(p.blocksDone, p.blocksTotal, { bytes: p.bytes, unit: 'blocks' }) }, vaults);
      }
    } finally {
      bar.done();
    }
    // Follow spend proposals on the chain (confirmed, reorged out, replaced, conflicted, a
    // broadcast that a crash left unrecorded): the only place their chain state is written.
    const proposals = await trackProposals({ spends: new SqlSpendStore(await ctx.db()), vaults: store, now: () => Date.now(), chain: undefined, network: ctx.config().network }, vaultArg ? { vaultId: vaults[0]?.id } : {});
    // Programme commitments (docs/compliance.md): a breach by any registered wallet, watch-only ones included, is an alert.
    const compliance = await monitorCommitments({ compliance: new SqlComplianceStore(await ctx.db()), vaults: store, now: () => Date.now(), spends: new SqlSpendStore(await ctx.db()) });
    // The stored ledger (docs/accounting.md): new entries appended, a reorg's reversals recorded, never edited.
    const ledger = await refreshLedger({ accounting: new SqlAccountingStore(await ctx.db()), vaults: store, now: () => Date.now() }, { actor: process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' });
    // Alliance settlement escrows (docs/settlement.md): each pay-in's status recomputed from what
    // this sync stored (a reorged pay-in goes back to pending), a confirmed payout marks its cycle
    // settled — no separate "settlement escrow track" needed. Only when the escrow vaults were synced.
    const settlement = await trackEscrowsAfterSync(ctx, vaultArg ? vaults.map((v) => v.id) : null);
    return { job, proposals, compliance, ledger: { appended: ledger.appended.length, reversals: ledger.reversals }, settlement, path: light ? 'script-history' : 'block-walk' };
  } finally {
    await chain.close();
  }
}

/** A pay-in whose status changed in this sync: cycle, payer, from, to. */
export interface EscrowChange { readonly cycle: string; readonly payer: string; readonly from: string; readonly to: string }

/**
 * Track every alliance escrow still collecting (and settle cycles whose payout confirmed) after a
 * sync. With `synced` (a `--vault` sync), only when one of those vaults is an escrow's vault.
 */
export async function trackEscrowsAfterSync(ctx: CliContext, synced: readonly string[] | null): Promise<EscrowChange[]> {
  const db = await ctx.db();
  const onchain = new SqlSettlementOnchainStore(db);
  // Every cycle: collecting escrows, payouts to settle, rescinded escrows (late pay-ins are refunded too), direct payments.
  const open = await onchain.cycles();
  if (open.length === 0 || (synced !== null && !open.some((c) => c.vaultId !== null && synced.includes(c.vaultId)))) return [];
  const tracked = await trackAllOnchain({ spends: new SqlSpendStore(db), vaults: await vaultStore(ctx), now: () => Date.now(), network: ctx.config().network, onchain, cycles: new SqlSettlementStore(db) });
  return [
    ...tracked.escrows.flatMap((t) => t.changes.map(([payer, from, to]) => ({ cycle: t.onchain.cycleId, payer, from, to }))),
    ...tracked.direct.flatMap((t) => t.changes.map(([payer, from, to]) => ({ cycle: t.cycleId, payer, from, to }))),
  ];
}

function summaryText(s: SyncSummary): string {
  const reorg = s.reorg ? `; reorg of depth ${s.reorg.depth} rolled back to height ${s.reorg.forkHeight}` : '';
  const filt = s.blocksSkippedByFilter ? `, ${s.blocksSkippedByFilter} skipped by BIP-158 filters` : '';
  return `${s.vault}: synced to ${s.tipHeight} — ${s.blocksProcessed} blocks (${s.blocksDownloaded} downloaded, ${(s.bytesDownloaded / 1e6).toFixed(2)} MB${filt}), ${s.transactionsFound} transactions found, ${s.mempoolTransactions} unconfirmed${reorg}`;
}

export function register(program: Command): void {
  program
    .command('sync')
    .description('bring vaults up to the chain tip in one walk over the chain (reorg-safe; safe to interrupt)')
    .option('--vault <vault>', 'only this vault')
    .option('--watch', 'keep following the tip')
    .option('--block-walk', 'over Esplora: walk every block instead of asking for each watched script\'s history (the default there; Bitcoin Core always walks blocks)')
    .option('--interval <seconds>', 'with --watch: seconds between polls', '10')
    .addHelpText('after', '\nExamples:\n  $ SOBERANA_RPC_URL=http://user:pass@127.0.0.1:18443 soberana sync\n  $ soberana sync --vault el-salvador-reserve --json\n  $ soberana sync --watch --interval 30')
    .action(action(async (ctx, o: { vault?: string; watch?: boolean; interval: string; blockWalk?: boolean }) => {
      const interval = Number(o.interval);
      if (!Number.isFinite(interval) || interval < 1) throw new DomainError('INVALID_ARGUMENT', '--interval must be at least 1 second');
      for (;;) {
        const { job, proposals, compliance, ledger, settlement, path } = await syncAll(ctx, o.vault, o.blockWalk === true);
        const summaries = job.vaults;
        const alerts = [...proposals.flatMap((c) => (c.alert === null ? [] : [c.alert])), ...compliance.alerts];
        // Alerts also go to stderr, so a cron job's mail or a log watcher sees them with --json too.
        for (const a of alerts) process.stderr.write(`ALERT: ${a}\n`);
        const walk = { path, fromHeight: job.fromHeight, tipHeight: job.tipHeight, blocksWalked: job.blocksWalked, blocksDownloaded: job.blocksDownloaded, bytesDownloaded: job.bytesDownloaded };
        ctx.out(
          { vaults: summaries, blocksProcessed: job.blocksWalked, walk, proposals, alerts, compliance: { raised: compliance.raised, resolved: compliance.resolved, open: compliance.open }, ledger, settlement },
          () => [
            ...summaries.map(summaryText),
            ...(path === 'script-history' ? [`light sync over Esplora: each watched script's history, no blocks downloaded (${(job.bytesDownloaded / 1e6).toFixed(2)} MB)`] : []),
            ...(path === 'block-walk' && summaries.length > 1 ? [`one walk for ${summaries.length} vaults: ${job.blocksWalked} blocks read once (${job.blocksDownloaded} downloaded, ${(job.bytesDownloaded / 1e6).toFixed(2)} MB)`] : []),
            ...proposals.filter((c) => c.alert === null).map((c) => `proposal ${c.proposalId}: ${c.from} → ${c.to} (${c.txid})`),
            ...settlement.map((c) => `settlement ${c.cycle}: pay-in of ${c.payer} ${c.from} → ${c.to}`),
            ...(ledger.appended > 0 ? [`ledger: ${ledger.appended} new entries${ledger.reversals > 0 ? `, of which ${ledger.reversals} reverse entries a reorg removed` : ''}`] : []),
          ].join('\n'),
        );
        if (!o.watch) return;
        await sleep(interval * 1000);
      }
    }));
}
