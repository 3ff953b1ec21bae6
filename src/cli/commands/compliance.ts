import type { Command } from 'commander';
import { action } from '../context.ts';
import { formatBtc } from '../../core/money.ts';
import { displaySafe } from '../../core/text/display-text.ts';
import { FLOW_CLASSES } from '../../core/compliance/types.ts';
import { SqlComplianceStore } from '../../adapters/store/compliance-store.ts';
import { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { SqlProofStore } from '../../adapters/store/proof-store.ts';
import type { Database } from '../../adapters/store/database.ts';
import { registerHistory, type ComplianceDeps } from '../../app/compliance/flows.ts';
import { addRegisterEntry, listRegister, showRegisterEntry } from '../../app/compliance/register.ts';
import { overrideFlow } from '../../app/compliance/override.ts';
import { addCommitment, checkCommitments, listCommitments } from '../../app/compliance/commitments.ts';
import { readInputFile } from '../input-file.ts';
import { writeFileSync } from 'node:fs';
import { DomainError } from '../../core/errors.ts';
import { statementCsv, statementDocument } from '../../core/compliance/statement.ts';
import { makeStatement } from '../../app/compliance/statement.ts';
import { renderStatementPdf } from '../../adapters/report/pdf-statement.ts';

const actorOf = (as: string | undefined): string => as ?? process.env.SOBERANA_ACTOR ?? 'cli';

function deps(db: Database): ComplianceDeps {
  return { compliance: new SqlComplianceStore(db), vaults: new SqlVaultStore(db), now: () => Date.now(), spends: new SqlSpendStore(db), proofs: new SqlProofStore(db) };
}

const signed = (s: bigint): string => `${s > 0n ? '+' : s < 0n ? '-' : ''}${formatBtc(s < 0n ? -s : s)}`;

export function register(program: Command): void {
  const compliance = program
    .command('compliance')
    .description('IMF-programme compliance: the register of public wallets, every flow classified, commitments checked')
    .addHelpText(
      'after',
      `\nFlow classes: ${FLOW_CLASSES.join(', ')}.\n\nExamples:\n  $ soberana compliance register add --vault "El Salvador Reserve" --owner "Central Reserve Bank" --legal-basis "Bitcoin Law, Decree 57 (2021)" --purpose "national reserve" --joined 2021-09-07\n  $ soberana compliance classify --json\n  $ soberana compliance override TXID seizure --reason "Court order 123/2025"\n  $ soberana compliance commitment add imf-2025.json\n  $ soberana compliance check --json    # exit 6 (COMMITMENT_BREACH) when one is breached\n  $ soberana compliance statement --quarter 2025Q3 --json --pdf q3.pdf\n\nSee docs/compliance.md.`,
    );

  const reg = compliance.command('register').description('the register of public wallets (our vaults and watch-only published address lists)');
  reg
    .command('add')
    .description('register a vault as a public wallet, or record a new version of its entry (fields not given keep their value); audited')
    .requiredOption('--vault <vault>', 'vault id or name (a watch-only list: "vault add --addresses FILE" first)')
    .option('--owner <body>', 'the public body holding it')
    .option('--legal-basis <text>', 'the law or decree it is held under')
    .option('--purpose <text>', 'what it is for')
    .option('--joined <date>', 'the day it joined the public sector, YYYY-MM-DD')
    .option('--left <date>', 'the day it left the public sector, YYYY-MM-DD ("" to clear)')
    .option('--as <name>', 'who records it (audit log; default: $SOBERANA_ACTOR or cli)')
    .action(
      action(async (ctx, o: { vault: string; owner?: string; legalBasis?: string; purpose?: string; joined?: string; left?: string; as?: string }) => {
        const r = await addRegisterEntry(deps(await ctx.db()), { actor: actorOf(o.as), role: 'admin' }, { vault: o.vault, owner: o.owner, legalBasis: o.legalBasis, purpose: o.purpose, joinedOn: o.joined, leftOn: o.left });
        ctx.out({ entry: r.entry, previousVersion: r.previous?.version ?? null, watchOnly: r.vault.kind === 'addresses' }, () =>
          `${displaySafe(r.vault.name)} (${r.vault.id}) ${r.previous ? `register entry changed: version ${r.entry.version}` : 'registered as a public wallet'}${r.vault.kind === 'addresses' ? ' (watch-only)' : ''}: ${displaySafe(r.entry.owner)}, joined ${r.entry.joinedOn}.`);
      }),
    );
  reg
    .command('list')
    .description('the register as it stands')
    .action(
      action(async (ctx) => {
        const rows = await listRegister(deps(await ctx.db()));
        ctx.out({ register: rows }, () => rows.length === 0 ? 'The register is empty. Add a vault with "soberana compliance register add --help".' : rows.map((r) =>
          [r.entry.vaultId, displaySafe(r.name), r.watchOnly ? 'watch-only' : 'our vault', displaySafe(r.entry.owner), `joined ${r.entry.joinedOn}${r.entry.leftOn ? `, left ${r.entry.leftOn}` : ''}`, `v${r.entry.version}`].join('  ')).join('\n'));
      }),
    );
  reg
    .command('show <vault>')
    .description('one register entry with every version it has had')
    .action(
      action(async (ctx, vault: string) => {
        const r = await showRegisterEntry(deps(await ctx.db()), vault);
        ctx.out(r, () => [
          `${displaySafe(r.current.name)} (${r.current.entry.vaultId})${r.current.watchOnly ? ', watch-only' : ''}`,
          ...r.versions.map((v) => `  v${v.version} ${new Date(v.recordedAtMs).toISOString()} by ${displaySafe(v.recordedBy)}: ${displaySafe(v.owner)}; legal basis: ${displaySafe(v.legalBasis)}; purpose: ${displaySafe(v.purpose)}; joined ${v.joinedOn}${v.leftOn ? `; left ${v.leftOn}` : ''}`),
        ].join('\n'));
      }),
    );

  compliance
    .command('classify')
    .description('every flow touching a registered wallet, with its class and the reason')
    .option('--vault <vault>', 'only flows touching this registered wallet')
    .action(
      action(async (ctx, o: { vault?: string }) => {
        const { flows } = await registerHistory(deps(await ctx.db()), { vault: o.vault });
        ctx.out({ flows }, () => flows.length === 0 ? 'No flows touch a registered wallet (register vaults, then "soberana sync").' : flows.map((f) =>
          `${f.date ?? 'unconfirmed'}  ${f.txid}  ${f.class}${f.classified ? ' (override)' : ''}  stock ${signed(f.stockDelta)} BTC${f.feeSats !== null ? `, fee ${f.feeSats} sats` : ''}\n    ${displaySafe(f.reason)}`).join('\n'));
      }),
    );

  compliance
    .command('override <txid> <class>')
    .description('classify a transaction yourself, with a reason (audited; kept by txid, it survives reorgs)')
    .option('--reason <text>', 'why (required): it goes to the programme reviewers')
    .option('--as <name>', 'who decides (audit log; default: $SOBERANA_ACTOR or cli)')
    .action(
      action(async (ctx, txid: string, cls: string, o: { reason?: string; as?: string }) => {
        const r = await overrideFlow(deps(await ctx.db()), { actor: actorOf(o.as), role: 'auditor' }, txid, cls, o.reason);
        ctx.out(r, () => `${r.override.txid}: ${r.override.class}${r.previous ? ` (was overridden as ${r.previous.class})` : ''} — ${displaySafe(r.override.reason)}`);
      }),
    );

  const commitment = compliance.command('commitment').description('programme commitments as machine-checked rules (docs/compliance.md)');
  commitment
    .command('add <file>')
    .description('record a commitment (a JSON document; a new text of one is its next version); audited')
    .option('--as <name>', 'who records it (audit log; default: $SOBERANA_ACTOR or cli)')
    .action(
      action(async (ctx, file: string, o: { as?: string }) => {
        const text = readInputFile(file, 'commitment file');
        const c = await addCommitment(deps(await ctx.db()), { actor: actorOf(o.as), role: 'admin' }, text);
        ctx.out(c, () => `commitment '${c.commitment.id}' version ${c.commitment.version} recorded: ${displaySafe(c.commitment.title)} (${c.commitment.rule.kind}, from ${c.commitment.effectiveFrom}).`);
      }),
    );
  commitment
    .command('list')
    .description('every commitment version; the latest of each is in force')
    .action(
      action(async (ctx) => {
        const r = await listCommitments(deps(await ctx.db()));
        const inForce = new Set(r.inForce.map((c) => `${c.id}#${c.version}`));
        ctx.out({ commitments: r.all.map((c) => ({ ...c, inForce: inForce.has(`${c.commitment.id}#${c.commitment.version}`) })) }, () => r.all.length === 0 ? 'No commitments recorded (see "soberana compliance commitment add --help").' : r.all.map((c) =>
          `${c.commitment.id} v${c.commitment.version}${inForce.has(`${c.commitment.id}#${c.commitment.version}`) ? ' (in force)' : ''}  ${c.commitment.rule.kind}  from ${c.commitment.effectiveFrom}${c.commitment.effectiveTo ? ` to ${c.commitment.effectiveTo}` : ''}  ${displaySafe(c.commitment.title)}`).join('\n'));
      }),
    );

  compliance
    .command('check')
    .description('the register\'s confirmed history against every commitment in force (read only; alerts are raised by "soberana sync"); exits 6 (COMMITMENT_BREACH) when one is breached')
    .action(
      action(async (ctx) => {
        const r = await checkCommitments(deps(await ctx.db()));
        ctx.out(r, () => r.statuses.length === 0 ? 'No commitments in force.' : r.statuses.map((s) =>
          [`${s.commitment.id} v${s.commitment.version}: ${s.status === 'kept' ? 'kept' : `BREACHED (${s.breaches.length})`} — ${displaySafe(s.commitment.title)}`, ...s.breaches.map((b) => `  ${displaySafe(b.message)}`)].join('\n')).join('\n'));
        // The status is printed (and in --json) either way; a breach also ends in COMMITMENT_BREACH's
        // exit code (6) with one line on stderr, so a script or a CI job can stop on it.
        const breached = r.statuses.filter((s) => s.status === 'breached');
        if (breached.length > 0) {
          throw new DomainError('COMMITMENT_BREACH', `${breached.length} commitment${breached.length === 1 ? '' : 's'} in force breached: ${breached.map((s) => `'${s.commitment.id}' version ${s.commitment.version} (${s.breaches.length} breach${s.breaches.length === 1 ? '' : 'es'})`).join(', ')}`);
        }
      }),
    );

  compliance
    .command('statement')
    .description('the quarterly statement for the programme\'s reviewers: stock per wallet at both ends, every flow by class, commitments and breaches, proofs of reserves; its SHA-256 goes to the audit log')
    .requiredOption('--quarter <quarter>', 'e.g. 2025Q3')
    .option('--csv <file>', 'also write it as CSV')
    .option('--pdf <file>', 'also write it as a printable PDF')
    .option('--as <name>', 'who produces it (audit log; default: $SOBERANA_ACTOR or cli)')
    .action(
      action(async (ctx, o: { quarter: string; csv?: string; pdf?: string; as?: string }) => {
        const format = o.pdf !== undefined ? 'pdf' : o.csv !== undefined ? 'csv' : ctx.json ? 'json' : 'text';
        const { statement: s, sha256 } = await makeStatement(deps(await ctx.db()), { actor: actorOf(o.as), role: 'auditor' }, o.quarter, format);
        const write = (file: string, data: string | Buffer) => {
          try {
            writeFileSync(file, data);
          } catch (e) {
            throw new DomainError('INVALID_ARGUMENT', `cannot write ${file} (${typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e)})`);
          }
        };
        if (o.csv !== undefined) write(o.csv, statementCsv(s));
        if (o.pdf !== undefined) write(o.pdf, await renderStatementPdf(statementDocument(s, sha256), { generatedAt: new Date() }));
        const r = s.reconciliation;
        ctx.out({ statement: s, sha256 }, () => [
          `Quarterly statement ${s.quarter.label} (${s.quarter.from} to ${s.quarter.to}), SHA-256 ${sha256} (recorded in the audit log)`,
          ...s.wallets.map((w) => `  ${displaySafe(w.name)}: ${w.openingSats === null ? '-' : formatBtc(w.openingSats)} -> ${w.closingSats === null ? '-' : formatBtc(w.closingSats)} BTC`),
          `  total: ${formatBtc(s.totals.openingSats)} -> ${formatBtc(s.totals.closingSats)} BTC (${r.reconciles ? 'reconciles' : 'DOES NOT RECONCILE'}: flows ${signed(r.flowsNetSats)}, joined ${formatBtc(r.joinedSats)}, left ${formatBtc(r.leftSats)})`,
          ...s.byClass.map((c) => `  ${c.class}: ${c.count} flow${c.count === 1 ? '' : 's'}, ${signed(c.netSats)} BTC`),
          ...s.commitments.map((c) => `  commitment ${c.id} v${c.version}: ${c.status}`),
          ...s.breaches.map((b) => `  breach ${b.txid} (${b.date ?? ''}): alert ${b.alert}${b.resolution ? `, ${displaySafe(b.resolution)}` : ''}`),
          ...(s.proofs === undefined || s.proofs.length === 0 ? ['  proof of reserves: none published by the end of the quarter'] : s.proofs.map((p) => `  proof of reserves ${p.id} (published ${p.publishedOn}): ${formatBtc(p.totalSats)} BTC at block ${p.height} ${p.blockHash}, file SHA-256 ${p.fileSha256 ?? 'none stored'}`)),
          ...(o.csv ? [`CSV written to ${o.csv}`] : []), ...(o.pdf ? [`PDF written to ${o.pdf}`] : []),
        ].join('\n'));
      }),
    );
}
