import type { Command } from 'commander';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { TX_CATEGORIES, type TxCategory } from '../../core/vault/types.ts';
import { requireVault, vaultStore } from './vault.ts';

const btc = (s: bigint) => `${formatBtc(s)} BTC`;

export function register(program: Command): void {
  program
    .command('balance')
    .description('confirmed and unconfirmed balance, per vault and in total')
    .option('--vault <vault>', 'only this vault')
    .addHelpText('after', '\nExamples:\n  $ soberana balance\n  $ soberana balance --vault el-salvador-reserve --json')
    .action(action(async (ctx, o: { vault?: string }) => {
      const store = await vaultStore(ctx);
      const vaults = o.vault ? [await requireVault(ctx, o.vault)] : await store.listVaults();
      const rows = await Promise.all(vaults.map(async (v) => ({ vault: v, b: await store.balance(v.id), cp: await store.tipCheckpoint(v.id) })));
      const confirmed = rows.reduce((s, r) => s + r.b.confirmed, 0n);
      const unconfirmed = rows.reduce((s, r) => s + r.b.unconfirmed, 0n);
      ctx.out(
        {
          vaults: rows.map((r) => ({
            id: r.vault.id, name: r.vault.name, network: r.vault.network, syncedHeight: r.cp?.height ?? null,
            confirmed: { sats: r.b.confirmed, btc: formatBtc(r.b.confirmed) },
            unconfirmed: { sats: r.b.unconfirmed, btc: formatBtc(r.b.unconfirmed) },
          })),
          total: { confirmed: { sats: confirmed, btc: formatBtc(confirmed) }, unconfirmed: { sats: unconfirmed, btc: formatBtc(unconfirmed) } },
        },
        () => [
          ...rows.map((r) => `${r.vault.name.padEnd(32)} ${btc(r.b.confirmed).padStart(22)}${r.b.unconfirmed !== 0n ? `  (${r.b.unconfirmed > 0n ? '+' : ''}${formatBtc(r.b.unconfirmed)} unconfirmed)` : ''}${r.cp ? '' : '  (not synced yet)'}`),
          `${'total'.padEnd(32)} ${btc(confirmed).padStart(22)}${unconfirmed !== 0n ? `  (${unconfirmed > 0n ? '+' : ''}${formatBtc(unconfirmed)} unconfirmed)` : ''}`,
        ].join('\n'),
      );
    }));

  program
    .command('utxos')
    .description('unspent outputs of a vault')
    .requiredOption('--vault <vault>', 'vault id or name')
    .addHelpText('after', '\nExamples:\n  $ soberana utxos --vault reserve --json')
    .action(action(async (ctx, o: { vault: string }) => {
      const v = await requireVault(ctx, o.vault);
      const store = await vaultStore(ctx);
      const utxos = (await store.unspentTxos(v.id)).filter((t) => t.spentTxid === null);
      const addrs = new Map((await store.addresses(v.id)).map((a) => [a.script, a.address]));
      ctx.out(
        utxos.map((u) => ({ txid: u.txid, vout: u.vout, value: u.value, address: addrs.get(u.script) ?? null, branch: u.branch, index: u.index, height: u.height, frozen: u.frozen })),
        () => utxos.length === 0 ? 'no unspent outputs'
          : utxos.map((u) => `${u.txid}:${u.vout}  ${btc(u.value).padStart(22)}  ${u.height === null ? 'unconfirmed' : `height ${u.height}`}  ${addrs.get(u.script) ?? ''}${u.frozen ? '  FROZEN' : ''}`).join('\n'),
      );
    }));

  program
    .command('history')
    .description('transactions of a vault, newest first, with labels and categories')
    .requiredOption('--vault <vault>', 'vault id or name')
    .option('--limit <n>', 'at most this many', '100')
    .addHelpText('after', '\nExamples:\n  $ soberana history --vault reserve\n  $ soberana history --vault reserve --json --limit 1000')
    .action(action(async (ctx, o: { vault: string; limit: string }) => {
      const v = await requireVault(ctx, o.vault);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new DomainError('INVALID_ARGUMENT', '--limit must be a whole number ≥ 1');
      const store = await vaultStore(ctx);
      const [txs, labels, tip] = await Promise.all([store.transactions(v.id), store.labels(), store.tipCheckpoint(v.id)]);
      const txLabels = new Map(labels.filter((l) => l.type === 'tx').map((l) => [l.ref, l.label]));
      const rows = txs.slice(0, limit).map((t) => ({
        txid: t.txid, height: t.height, time: t.blockTime, confirmations: t.height === null || !tip ? 0 : tip.height - t.height + 1,
        net: t.received - t.spent, received: t.received, spent: t.spent, fee: t.fee, category: t.category, label: txLabels.get(t.txid) ?? null,
      }));
      ctx.out(rows, () => rows.length === 0 ? 'no transactions yet (run "soberana sync")' : rows.map((r) =>
        `${r.time ? new Date(r.time * 1000).toISOString().slice(0, 10) : 'unconfirmed'}  ${((r.net > 0n ? '+' : '') + formatBtc(r.net)).padStart(20)} BTC  ${String(r.confirmations).padStart(6)} conf  ${(r.category ?? '').padEnd(22)} ${r.txid}${r.label ? `  "${r.label}"` : ''}`).join('\n'));
    }));

  program
    .command('addresses')
    .description('addresses of a vault, used and unused')
    .requiredOption('--vault <vault>', 'vault id or name')
    .option('--used', 'only used ones')
    .option('--unused', 'only unused ones')
    .option('--change', 'the change branch instead of receive')
    .addHelpText('after', '\nExamples:\n  $ soberana addresses --vault reserve --unused')
    .action(action(async (ctx, o: { vault: string; used?: boolean; unused?: boolean; change?: boolean }) => {
      const v = await requireVault(ctx, o.vault);
      const store = await vaultStore(ctx);
      const txos = await store.allTxos(v.id);
      const bal = new Map<string, bigint>();
      for (const t of txos) if (t.spentTxid === null || t.spentHeight === null) bal.set(t.script, (bal.get(t.script) ?? 0n) + t.value);
      const rows = (await store.addresses(v.id))
        .filter((a) => a.branch === (o.change ? 1 : 0))
        .filter((a) => (o.used ? a.used : true) && (o.unused ? !a.used : true))
        .map((a) => ({ index: a.index, branch: a.branch, address: a.address, scriptPubKey: a.script, used: a.used, reserved: a.reserved, balance: bal.get(a.script) ?? 0n }));
      ctx.out(rows, () => rows.map((r) => `${String(r.index).padStart(5)}  ${r.address.padEnd(64)} ${r.used ? 'used    ' : r.reserved ? 'reserved' : 'unused  '} ${btc(r.balance).padStart(22)}`).join('\n') || 'no addresses');
    }));

  const address = program.command('address').description('receive addresses');
  address
    .command('new')
    .description('reserve and print the next unused receive address of a vault')
    .requiredOption('--vault <vault>', 'vault id or name')
    .addHelpText('after', '\nExamples:\n  $ soberana address new --vault reserve')
    .action(action(async (ctx, o: { vault: string }) => {
      const v = await requireVault(ctx, o.vault);
      if (v.kind !== 'descriptor') throw new DomainError('INVALID_STATE', `vault "${v.name}" is a published address list: it cannot make new addresses`);
      const store = await vaultStore(ctx);
      const a = await store.reserveAddress(v.id, 0);
      if (!a) throw new DomainError('INVALID_STATE', `every address in the gap window of "${v.name}" is reserved or used; sync, or raise the gap limit`);
      ctx.out({ index: a.index, address: a.address, scriptPubKey: a.script }, a.address);
    }));

  const tx = program.command('tx').description('transactions');
  tx.command('categorize')
    .description(`set a transaction's category: ${TX_CATEGORIES.join(', ')}`)
    .argument('<txid>')
    .argument('<category>')
    .addHelpText('after', '\nExamples:\n  $ soberana tx categorize 4a5e1e…b3 purchase')
    .action(action(async (ctx, txid: string, category: string) => {
      if (!/^[0-9a-f]{64}$/.test(txid)) throw new DomainError('INVALID_ARGUMENT', `"${txid}" is not a transaction id (64 hex characters)`);
      if (!(TX_CATEGORIES as readonly string[]).includes(category)) throw new DomainError('INVALID_ARGUMENT', `unknown category "${category}" (use one of: ${TX_CATEGORIES.join(', ')})`);
      const store = await vaultStore(ctx);
      await store.setCategory(txid, category as TxCategory);
      ctx.out({ txid, category }, `${txid} is now "${category}"`);
    }));
}
