/**
 * `soberana settlement …`: alliance settlement (issue #16).
 *
 * Each subcommand is attached by its own function, listed in `SETTLEMENT_SUBCOMMANDS` (in `--help`
 * order): to add one, write `function attachX(settlement: Command): void` (here or in its own file)
 * and add one line to the table.
 *
 * `settlement net FILE` needs no database and no configuration: it nets a file of invoices at the
 * rates it gives with the same code that closes a real cycle (NetBook → closePositions →
 * settlementTransfers), for scripts and auditors.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { action } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { formatBtc } from '../../core/money.ts';
import { netInput, parseNetInput, type NetResult } from '../../core/settlement/net-file.ts';
import { minimumTransferCount } from '../../core/settlement/netting.ts';
import { attachEscrow, attachInstructions } from './settlement-onchain.ts';
import { attachCycle, attachInvoice, attachScreening, attachStatement } from './alliance.ts';

/** One `settlement` subcommand: attaches itself to the `settlement` command. */
export interface SettlementSubcommand {
  readonly name: string;
  readonly attach: (settlement: Command) => void;
}

/** The largest stateless input read (about 500,000 invoices in JSON, 1,000,000 in CSV). */
export const MAX_NET_FILE_BYTES = 64 * 1024 * 1024;

const groupDigits = (v: bigint): string => {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return neg ? `-${s}` : s;
};

/** The human table of a netting: positions, then transfers. */
export function netTable(r: NetResult): string {
  if (r.positions.length === 0) return 'No invoices: nothing to settle.';
  const width = Math.max(6, ...r.positions.map((p) => p.member.length));
  const satsWidth = Math.max(...r.positions.map((p) => groupDigits(p.sats).length));
  const lines = [
    `Net positions (${r.invoices} invoice${r.invoices === 1 ? '' : 's'}${r.repeated > 0 ? `, ${r.repeated} repeated row${r.repeated === 1 ? '' : 's'} counted once` : ''}; + receives, - pays):`,
    ...r.positions.map((p) => `  ${p.member.padEnd(width)}  ${groupDigits(p.sats).padStart(satsWidth)} sats  ${formatBtc(p.sats).padStart(14)} BTC`),
  ];
  const minimum = minimumTransferCount(r.positions);
  lines.push(
    '',
    r.transfers.length === 0
      ? 'Transfers: none (every position is zero).'
      : `Transfers (${r.transfers.length}${minimum === undefined ? ', at most one fewer than the members with a position' : ', the minimum'}):`,
  );
  for (const t of r.transfers) lines.push(`  ${t.from.padEnd(width)} -> ${t.to.padEnd(width)}  ${groupDigits(t.sats)} sats  (${formatBtc(t.sats)} BTC)`);
  return lines.join('\n');
}

function attachNet(settlement: Command): void {
  settlement
    .command('net <file>')
    .description('net a file of invoices at the rates it gives: each member\'s position in sats and the fewest transfers that settle them (no database)')
    .option('--rates <file>', 'the rates, when FILE is a CSV of invoices: JSON {"rates":[…]} or CSV currency,btcPrice')
    .addHelpText(
      'after',
      [
        '',
        'FILE is JSON:',
        '  {"rates":[{"currency":"USD","btcPrice":"78293.71"},…],',
        '   "invoices":[{"reference":"R1","exporter":"SLV","importer":"RUS","amount":"1250.50","currency":"USD"},…]}',
        'or a CSV with the header reference,exporter,importer,amount,currency (then give --rates).',
        'Amounts and prices are decimal strings in the currency\'s units (ISO 4217 decimals); btcPrice is',
        'the price of one BTC. The exporter is owed, the importer owes. Positions are sats, positive for',
        'net receivers, each within one sat of its exact value, summing to exactly zero.',
        '',
        'Examples:',
        '  $ soberana settlement net invoices.json --json',
        '  $ soberana settlement net invoices.csv --rates rates.json',
      ].join('\n'),
    )
    .action(
      action(async (ctx, file: string, opts: { rates?: string }) => {
        const text = readInputFile(file, 'invoice file', MAX_NET_FILE_BYTES);
        const ratesText = opts.rates === undefined ? undefined : readInputFile(opts.rates, 'rates file');
        const input = parseNetInput(text, { origin: basename(file), ratesText, ratesOrigin: opts.rates === undefined ? undefined : basename(opts.rates) });
        const r = netInput(input);
        ctx.out({ positions: r.positions, transfers: r.transfers }, () => netTable(r));
      }),
    );
}

/** The `settlement` subcommands, in `--help` order. Add a line to add one. */
export const SETTLEMENT_SUBCOMMANDS: readonly SettlementSubcommand[] = [
  { name: 'net', attach: attachNet },
  { name: 'escrow', attach: attachEscrow },
  { name: 'instructions', attach: attachInstructions },
  { name: 'invoice', attach: attachInvoice }, // the data side (src/cli/commands/alliance.ts)
  { name: 'cycle', attach: attachCycle },
  { name: 'statement', attach: attachStatement },
  { name: 'screening', attach: attachScreening },
];

export function register(program: Command): void {
  const settlement = program
    .command('settlement')
    .description('alliance settlement: multilateral netting of members\' invoices into the fewest bitcoin transfers');
  for (const s of SETTLEMENT_SUBCOMMANDS) s.attach(settlement);
}
