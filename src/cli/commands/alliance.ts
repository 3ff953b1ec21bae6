/**
 * `soberana alliance member add|list|show` and the data side of `soberana settlement …` (issue
 * #16): `invoice submit|confirm|dispute|import|list|show`, `cycle close|list|show`, `statement`,
 * `screening load|list|decide`. Every command takes --json. A member acts with `--member CODE`
 * (the importer confirms, the exporter submits); without it the command acts as the alliance
 * administrator. The actor's name in the audit log is $SOBERANA_ACTOR (default `cli`).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { formatBtc } from '../../core/money.ts';
import { displaySafe } from '../../core/text/display-text.ts';
import { DomainError } from '../../core/errors.ts';
import { SqlSettlementStore } from '../../adapters/store/settlement-store.ts';
import { shippedReferenceRates } from '../../adapters/prices/csv-reference-rates.ts';
import type { SettlementActor, SettlementDeps } from '../../app/settlement/deps.ts';
import { actorAs } from '../../app/settlement/deps.ts';
import { addAllianceMember, listAllianceMembers, showAllianceMember } from '../../app/settlement/add-member.ts';
import { decideInvoices, importInvoices, listInvoices, parseInvoiceStatus, showInvoice, submitInvoice } from '../../app/settlement/submit-invoice.ts';
import { closeCycle, listCycles, showCycle } from '../../app/settlement/close-cycle.ts';
import { allianceView, memberStatement, memberStatementCsv } from '../../app/settlement/statement.ts';
import { decideHold, listHolds, loadScreeningList } from '../../app/settlement/screening.ts';
import type { StoredInvoice } from '../../core/settlement/store-port.ts';
import { currencyMinorDigits } from '../../core/settlement/rates.ts';

const MAX_FILE_BYTES = 256 * 1024 * 1024;
const actorName = (): string => process.env.SOBERANA_ACTOR ?? 'cli';

async function depsOf(ctx: CliContext): Promise<SettlementDeps> {
  return { settlement: new SqlSettlementStore(await ctx.db()), now: () => Date.now(), network: ctx.config().network, rates: shippedReferenceRates() };
}

async function who(deps: SettlementDeps, member: string | undefined): Promise<SettlementActor> {
  return actorAs(deps, member, actorName());
}

const minorText = (minor: bigint, currency: string, digits = currencyMinorDigits(currency)): string => {
  const s = minor.toString().padStart(digits + 1, '0');
  return digits === 0 ? `${s} ${currency}` : `${s.slice(0, -digits)}.${s.slice(-digits)} ${currency}`;
};
const signedBtc = (s: bigint): string => `${s > 0n ? '+' : s < 0n ? '-' : ' '}${formatBtc(s < 0n ? -s : s)} BTC`;
const invoiceLine = (i: StoredInvoice): string =>
  [i.exporter, displaySafe(i.reference), `-> ${i.importer}`, minorText(i.amountMinor, i.currency), `due ${i.dueDate}`, i.status, i.cycleId ?? ''].join('  ').trimEnd();

export function register(program: Command): void {
  const alliance = program.command('alliance').description('the alliance: its members (states, settling institutions, receive descriptors, API identities)');
  const member = alliance.command('member').description('alliance members');
  member
    .command('add <code>')
    .description('add a member; its receive descriptor is checked on the configured network; screened against the screening list (a match holds it); audited')
    .requiredOption('--state <name>', 'the state, e.g. "Pakistan"')
    .requiredOption('--institution <name>', 'the settling institution (central bank or treasury)')
    .requiredOption('--currency <code>', 'home currency, ISO 4217 (e.g. PKR)')
    .requiredOption('--descriptor <descriptor>', 'ranged descriptor of the vault that receives its settlements')
    .option('--api-identity <id>', 'the member id its API tokens are bound to by enrolment (default: the code)')
    .addHelpText('after', '\nExample:\n  $ soberana alliance member add PAK --state Pakistan --institution "State Bank of Pakistan" --currency PKR --descriptor "wsh(sortedmulti(2,…/0/*))#…"')
    .action(
      action(async (ctx, code: string, o: { state: string; institution: string; currency: string; descriptor: string; apiIdentity?: string }) => {
        const deps = await depsOf(ctx);
        const r = await addAllianceMember(deps, await who(deps, undefined), { code, state: o.state, institution: o.institution, currency: o.currency, receiveDescriptor: o.descriptor, apiIdentity: o.apiIdentity });
        ctx.out(r, () => `${r.member.code} added: ${displaySafe(r.member.state)}, ${displaySafe(r.member.institution)}, ${r.member.currency}${r.hold ? ` — HELD by screening (${r.hold.id}, ${r.hold.matches.map((m) => `${m.entry}: ${m.field} "${displaySafe(m.listed)}"`).join('; ')}); a compliance officer decides with "soberana settlement screening decide ${r.hold.id}"` : ''}.`);
      }),
    );
  member
    .command('list')
    .description('every member')
    .action(
      action(async (ctx) => {
        const members = await listAllianceMembers(await depsOf(ctx));
        ctx.out({ members }, () => members.length === 0 ? 'No alliance members yet ("soberana alliance member add --help").' : members.map((m) => [m.code, displaySafe(m.state), displaySafe(m.institution), m.currency, m.status, `api:${displaySafe(m.apiIdentity)}`].join('  ')).join('\n'));
      }),
    );
  member
    .command('show <code>')
    .description('one member')
    .action(
      action(async (ctx, code: string) => {
        const m = await showAllianceMember(await depsOf(ctx), code);
        ctx.out(m, () => [`${m.code}: ${displaySafe(m.state)} — ${displaySafe(m.institution)}`, `currency     ${m.currency}`, `status       ${m.status}`, `API identity ${displaySafe(m.apiIdentity)}`, `receives at  ${displaySafe(m.receiveDescriptor)}`].join('\n'));
      }),
    );
}

/** `settlement invoice …` */
export function attachInvoice(settlement: Command): void {
  const invoice = settlement.command('invoice').description('invoices between members: the exporter submits, the importer confirms or disputes');
  invoice
    .command('submit')
    .description('submit one invoice as its exporter (idempotent by exporter and reference; another amount under a reference is REFERENCE_CONFLICT)')
    .requiredOption('--reference <ref>', 'the exporter\'s reference')
    .requiredOption('--exporter <code>', 'the member owed')
    .requiredOption('--importer <code>', 'the member that owes')
    .requiredOption('--amount <decimal>', 'in the currency\'s units, e.g. 1250.50')
    .requiredOption('--currency <code>', 'ISO 4217')
    .requiredOption('--due <date>', 'YYYY-MM-DD')
    .option('--seller <name>', 'the trading party selling (screened)')
    .option('--buyer <name>', 'the trading party buying (screened)')
    .option('--member <code>', 'act as this member (the exporter); default: the alliance administrator')
    .action(
      action(async (ctx, o: { reference: string; exporter: string; importer: string; amount: string; currency: string; due: string; seller?: string; buyer?: string; member?: string }) => {
        const deps = await depsOf(ctx);
        const r = await submitInvoice(deps, await who(deps, o.member), { reference: o.reference, exporter: o.exporter, importer: o.importer, amount: o.amount, currency: o.currency, due: o.due, seller: o.seller, buyer: o.buyer });
        ctx.out(r, () => `${r.created ? 'Submitted' : 'Already submitted (same terms)'}: ${invoiceLine(r.invoice)}${r.invoice.status === 'held' ? ' (screening matched: a compliance officer decides)' : ''}`);
      }),
    );
  for (const decision of ['confirm', 'dispute'] as const) {
    invoice
      .command(`${decision} <exporter> <reference>`)
      .description(decision === 'confirm' ? 'confirm an invoice as its importer: it enters the positions' : 'dispute an invoice as its importer: it stays out of netting')
      .requiredOption('--member <code>', 'the importing member you act as (only the importer may)')
      .option(decision === 'dispute' ? '--reason <text>' : '--note <text>', decision === 'dispute' ? 'why (required)' : 'ignored')
      .action(
        action(async (ctx, exporter: string, reference: string, o: { member: string; reason?: string }) => {
          const deps = await depsOf(ctx);
          const by = await who(deps, o.member);
          await decideInvoices(deps, by, [{ exporter, reference }], decision, o.reason);
          const inv = await showInvoice(deps, by, exporter, reference);
          ctx.out(inv, () => `${decision === 'confirm' ? 'Confirmed' : 'Disputed'}: ${invoiceLine(inv)}`);
        }),
      );
  }
  invoice
    .command('import <file>')
    .description('import a CSV (reference,exporter,importer,amount,currency,due[,seller,buyer]) or JSON batch in one transaction: all or nothing')
    .option('--member <code>', 'act as this member (every row must be its export); default: the alliance administrator')
    .action(
      action(async (ctx, file: string, o: { member?: string }) => {
        const deps = await depsOf(ctx);
        const text = readInputFile(file, 'invoice file', MAX_FILE_BYTES);
        const r = await importInvoices(deps, await who(deps, o.member), text, file);
        ctx.out(r, () => `Imported ${r.rows} invoice${r.rows === 1 ? '' : 's'}: ${r.created} new, ${r.existing} already there${r.held > 0 ? `, ${r.held} held by screening` : ''}.`);
      }),
    );
  invoice
    .command('list')
    .description('invoices (a member sees only its own)')
    .option('--member <code>', 'act as this member')
    .option('--status <status>', 'submitted, confirmed, disputed, held, settled or excluded')
    .option('--cycle <id>', 'only those netted in this cycle')
    .action(
      action(async (ctx, o: { member?: string; status?: string; cycle?: string }) => {
        const deps = await depsOf(ctx);
        const invoices = await listInvoices(deps, await who(deps, o.member), { status: o.status === undefined ? undefined : parseInvoiceStatus(o.status), cycleId: o.cycle });
        ctx.out({ invoices }, () => invoices.length === 0 ? 'No invoices.' : invoices.map(invoiceLine).join('\n'));
      }),
    );
  invoice
    .command('show <exporter> <reference>')
    .description('one invoice')
    .option('--member <code>', 'act as this member')
    .action(
      action(async (ctx, exporter: string, reference: string, o: { member?: string }) => {
        const deps = await depsOf(ctx);
        const inv = await showInvoice(deps, await who(deps, o.member), exporter, reference);
        ctx.out(inv, () => invoiceLine(inv));
      }),
    );
}

/** `settlement cycle …` */
export function attachCycle(settlement: Command): void {
  const cycle = settlement.command('cycle').description('settlement cycles: close at a cutoff (rates locked, positions netted), list, show');
  cycle
    .command('close')
    .description('close a cycle: every confirmed invoice due by the cutoff enters; rates locked at the cutoff from the shipped price and FX files (source recorded)')
    .requiredOption('--cutoff <date>', 'YYYY-MM-DD')
    .option('--mode <mode>', 'escrow (default) or direct', 'escrow')
    .action(
      action(async (ctx, o: { cutoff: string; mode: string }) => {
        if (o.mode !== 'escrow' && o.mode !== 'direct') throw new DomainError('INVALID_ARGUMENT', '--mode is escrow or direct');
        const deps = await depsOf(ctx);
        const r = await closeCycle(deps, await who(deps, undefined), { cutoff: o.cutoff, mode: o.mode });
        ctx.out(r, () => [`${r.created ? 'Closed' : 'Already closed'} ${r.cycle.id} at ${r.cycle.cutoff} (${r.cycle.mode}).`, ...cycleLines(r.cycle)].join('\n'));
      }),
    );
  cycle
    .command('list')
    .description('every cycle')
    .action(
      action(async (ctx) => {
        const cycles = await listCycles(await depsOf(ctx));
        ctx.out({ cycles }, () => cycles.length === 0 ? 'No cycles yet ("soberana settlement cycle close --cutoff YYYY-MM-DD").' : cycles.map((c) => `${c.id}  cutoff ${c.cutoff}  ${c.status}  ${c.mode}  ${c.positions.length} members  ${c.transfers.length} transfers`).join('\n'));
      }),
    );
  cycle
    .command('show <id>')
    .description('one cycle: locked rates with their source, positions, transfers')
    .action(
      action(async (ctx, id: string) => {
        const c = await showCycle(await depsOf(ctx), id);
        ctx.out(c, () => [`${c.id}: cutoff ${c.cutoff}, ${c.status}, ${c.mode}`, ...cycleLines(c)].join('\n'));
      }),
    );
}

function cycleLines(c: Awaited<ReturnType<typeof showCycle>>): string[] {
  return [
    'Rates (price of 1 BTC):',
    ...c.rates.map((r) => `  ${minorText(r.btcPriceMinor, r.currency, r.minorDigits)}  (${displaySafe(r.source)})`),
    'Positions (+ receives, - pays):',
    ...c.positions.map((p) => `  ${p.member.padEnd(6)} ${signedBtc(p.sats)}`),
    `Transfers (${c.transfers.length}):`,
    ...c.transfers.map((t) => `  ${t.from} -> ${t.to}  ${formatBtc(t.sats)} BTC`),
  ];
}

/** `settlement statement` */
export function attachStatement(settlement: Command): void {
  settlement
    .command('statement')
    .description('a member\'s statement for a cycle (invoices gross, rates with source, net, transfers) as JSON or CSV; without --cycle, the alliance view (gross vs settled, transfers saved)')
    .option('--cycle <id>', 'the cycle')
    .option('--of <code>', 'the member the statement is for (default: --member)')
    .option('--member <code>', 'act as this member (it reads only its own)')
    .option('--csv <file>', 'also write the statement as CSV to FILE')
    .action(
      action(async (ctx, o: { cycle?: string; of?: string; member?: string; csv?: string }) => {
        const deps = await depsOf(ctx);
        const by = await who(deps, o.member);
        if (o.cycle === undefined) {
          const v = await allianceView(deps, by);
          ctx.out(v, () => [
            ...v.cycles.map((c) => `${c.id}  cutoff ${c.cutoff}  ${c.invoices} invoices  gross ${formatBtc(c.grossSats)} BTC  settled ${formatBtc(c.settledSats)} BTC  netting ${(c.nettingEfficiencyBp / 100).toFixed(2)}%  ${c.transfers} transfers (${c.transfersSaved} saved)`),
            `Total: gross ${formatBtc(v.totals.grossSats)} BTC, settled ${formatBtc(v.totals.settledSats)} BTC, netting efficiency ${(v.totals.nettingEfficiencyBp / 100).toFixed(2)}%, ${v.totals.transfersSaved} transfers saved.`,
          ].join('\n'));
          return;
        }
        const of = o.of ?? o.member;
        if (of === undefined) throw new DomainError('INVALID_ARGUMENT', 'name the member: --of CODE (or act as it with --member CODE)');
        const s = await memberStatement(deps, by, o.cycle, of);
        if (o.csv !== undefined) writeFileSync(o.csv, memberStatementCsv(s));
        ctx.out(s, () => [
          `Statement of ${s.member}, ${s.cycle.id} (cutoff ${s.cycle.cutoff}, ${s.cycle.status}):`,
          ...s.invoices.map((i) => `  ${i.side === 'receivable' ? 'owed by ' + i.importer : 'owes ' + i.exporter}  ${displaySafe(i.reference)}  ${minorText(i.amountMinor, i.currency)}`),
          ...s.rates.map((r) => `  rate ${minorText(r.btcPriceMinor, r.currency, r.minorDigits)} per BTC (${displaySafe(r.source)})`),
          `  net ${signedBtc(s.netSats)}`,
          ...s.transfers.map((t) => `  transfer ${t.from} -> ${t.to}  ${formatBtc(t.sats)} BTC`),
          ...(o.csv !== undefined ? [`CSV written to ${o.csv}.`] : []),
        ].join('\n'));
      }),
    );
}

/** `settlement screening …` */
export function attachScreening(settlement: Command): void {
  const screening = settlement.command('screening').description('the screening list (names, countries, addresses) and the holds it raised');
  screening
    .command('load <file>')
    .description('load a new version of the screening list (JSON {"source","entries":[{"id","names","countries","addresses"}]} or CSV id,type,value); audited')
    .action(
      action(async (ctx, file: string) => {
        const deps = await depsOf(ctx);
        const r = await loadScreeningList(deps, await who(deps, undefined), readInputFile(file, 'screening list', 64 * 1024 * 1024), file);
        ctx.out(r, () => `Screening list version ${r.version} loaded: ${r.entries} entries (sha256 ${r.sha256}).`);
      }),
    );
  screening
    .command('list')
    .description('screening holds')
    .option('--pending', 'only those waiting for a decision')
    .action(
      action(async (ctx, o: { pending?: boolean }) => {
        const holds = await listHolds(await depsOf(ctx), o.pending ? 'pending' : undefined);
        ctx.out({ holds }, () => holds.length === 0 ? 'No screening holds.' : holds.map((h) => `${h.id}  ${h.kind} ${displaySafe(h.subject)}  ${h.status}  ${h.matches.map((m) => `${m.entry}:${m.field} "${displaySafe(m.listed)}"`).join('; ')}${h.reason ? `  (${displaySafe(h.reason)})` : ''}`).join('\n'));
      }),
    );
  screening
    .command('decide <hold>')
    .description('a compliance officer releases or rejects a held member, invoice or address; audited')
    .requiredOption('--decision <decision>', 'release or reject')
    .requiredOption('--reason <text>', 'why')
    .action(
      action(async (ctx, id: string, o: { decision: string; reason: string }) => {
        if (o.decision !== 'release' && o.decision !== 'reject') throw new DomainError('INVALID_ARGUMENT', '--decision is release or reject');
        const deps = await depsOf(ctx);
        const h = await decideHold(deps, await who(deps, undefined), id, o.decision, o.reason);
        ctx.out(h, () => `${h.id} ${h.status}: ${h.kind} ${displaySafe(h.subject)}.`);
      }),
    );
}
