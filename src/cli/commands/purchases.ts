import type { Command } from 'commander';
import { basename } from 'node:path';
import { action } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { formatBtc } from '../../core/money.ts';
import { formatMoney } from '../../core/accounting/risk.ts';
import { COST_BASIS_METHODS } from '../../core/accounting/types.ts';
import { minorDigitsOf } from '../../adapters/prices/fx-csv.ts';
import { SqlAccountingStore } from '../../adapters/store/accounting-store.ts';
import { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import { importPurchases, parseCostMethod, setCostMethod, type AccountingDeps } from '../../app/accounting/purchases.ts';
import { refreshLedger } from '../../app/accounting/ledger-book.ts';
import { FROM_THE_START } from '../../core/accounting/ports.ts';
import type { Database } from '../../adapters/store/database.ts';

const actorOf = (as: string | undefined): string => as ?? process.env.SOBERANA_ACTOR ?? 'cli';

function deps(db: Database): AccountingDeps {
  return { accounting: new SqlAccountingStore(db), vaults: new SqlVaultStore(db), now: () => Date.now() };
}

export function register(program: Command): void {
  const purchases = program
    .command('purchases')
    .description('purchase records (what the treasury paid): imported from CSV, matched to receipts in the books')
    .addHelpText(
      'after',
      '\nThe CSV has a header: date,btc,paid,currency,counterparty,source_url[,vault]\n  date        the day, YYYY-MM-DD (UTC)\n  btc         the amount bought, e.g. 150 or 0.5\n  paid        fiat paid, e.g. 6800000.00 (empty when not known)\n  currency    ISO code of "paid", e.g. USD\n  counterparty, source_url, vault   may be empty\n\nExamples:\n  $ soberana purchases import purchases.csv --vault "El Salvador Reserve"\n  $ soberana purchases list --json',
    );

  purchases
    .command('import <file>')
    .description('import purchase records from a CSV file: all or nothing; a record already imported is not added twice')
    .option('--vault <vault>', 'the vault the rows without a vault column are for (default: any vault)')
    .option('--as <member>', 'who imports (recorded in the audit log; default: cli)')
    .action(
      action(async (ctx, file: string, opts: { vault?: string; as?: string }) => {
        const text = readInputFile(file, 'purchases file');
        const db = await ctx.db();
        const r = await importPurchases(deps(db), { actor: actorOf(opts.as), role: 'admin' }, text, { origin: basename(file), minorDigits: (c) => minorDigitsOf(c), vault: opts.vault });
        ctx.out({ file: basename(file), added: r.added, already: r.already, records: r.records.length }, () =>
          `${r.added} purchase record${r.added === 1 ? '' : 's'} imported from ${basename(file)}${r.already > 0 ? `, ${r.already} already there` : ''}.`);
      }),
    );

  purchases
    .command('list')
    .description('the imported purchase records, by date')
    .action(
      action(async (ctx) => {
        const db = await ctx.db();
        const list = await new SqlAccountingStore(db).purchases();
        ctx.out({ purchases: list }, () => {
          if (list.length === 0) return 'No purchase records. Import some with "soberana purchases import FILE".';
          return list.map((p) => [p.date, `${formatBtc(p.sats)} BTC`, p.paid ? formatMoney(p.paid) : 'paid: not known', p.vaultId ?? 'any vault', p.counterparty ?? '', p.sourceUrl ?? '', p.id].join('  ')).join('\n');
        });
      }),
    );

  const accounting = program.command('accounting').description('how the books are kept: the cost-basis method of each vault, the stored ledger');
  accounting
    .command('method <method>')
    .description(`record a vault's cost-basis method: ${COST_BASIS_METHODS.join(', ')} (who and when go to the audit log)`)
    .requiredOption('--vault <vault>', 'vault id or name')
    .option('--from <day>', 'the day it applies from, YYYY-MM-DD (default: from the start, for the whole history)')
    .option('--as <member>', 'who sets it (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nfifo: the oldest lots leave first; specific: the lots of the coins spent; average: every sat at the vault\'s average cost.\nA vault with none recorded is kept fifo. With --from, the earlier days keep the methods recorded for them.\n\nExamples:\n  $ soberana accounting method --vault reserve average\n  $ soberana accounting method --vault reserve fifo --from 2026-01-01')
    .action(
      action(async (ctx, methodText: string, opts: { vault: string; from?: string; as?: string }) => {
        const method = parseCostMethod(methodText);
        const db = await ctx.db();
        const r = await setCostMethod(deps(db), { actor: actorOf(opts.as), role: 'admin' }, opts.vault, method, opts.from);
        ctx.out(r, () => `vault ${r.vaultId}: cost basis ${r.method} ${r.effectiveFrom === null ? 'for the whole history' : `from ${r.effectiveFrom}`}${r.previous !== null && r.previous !== r.method ? ` (was ${r.previous})` : ''}, set by ${r.setBy}.`);
      }),
    );

  accounting
    .command('methods')
    .description('every cost-basis method recorded, per vault, with the day it applies from and who set it')
    .action(
      action(async (ctx) => {
        const db = await ctx.db();
        const list = await new SqlAccountingStore(db).costMethodChanges();
        ctx.out({ changes: list }, () => list.length === 0 ? 'No method recorded: every vault is kept fifo.' : list.map((c) => `${c.vaultId}: ${c.method} ${c.effectiveFrom === FROM_THE_START ? 'from the start' : `from ${c.effectiveFrom}`}, set by ${c.setBy} at ${new Date(c.setAtMs).toISOString()}`).join('\n'));
      }),
    );

  accounting
    .command('refresh')
    .description('append to the stored ledger what the synced chain changed: new entries, and reversals for what a reorg removed (never an edit)')
    .option('--as <member>', 'who refreshes (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nRun it after "soberana sync" (report movements runs it too). Idempotent.\n\nExample:\n  $ soberana accounting refresh')
    .action(
      action(async (ctx, opts: { as?: string }) => {
        const db = await ctx.db();
        const r = await refreshLedger(deps(db), { actor: actorOf(opts.as), role: 'admin' });
        ctx.out({ appended: r.appended.length, reversals: r.reversals, total: r.total, observedAt: r.observedAt, entries: r.appended }, () =>
          r.appended.length === 0 ? `The stored ledger is up to date (${r.total} entries).` : `${r.appended.length} entr${r.appended.length === 1 ? 'y' : 'ies'} appended to the stored ledger${r.reversals > 0 ? `, ${r.reversals} of them reversal${r.reversals === 1 ? '' : 's'} of what a reorg removed` : ''} (${r.total} in all).`);
      }),
    );
}
