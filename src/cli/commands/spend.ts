import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { base64 } from '@scure/base';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { formatFeeRate, parseFeeRate, parsePaymentList } from '../../core/spend/safety-nets.ts';
import type { SpendProposal } from '../../core/spend/types.ts';
import type { PolicyDecision } from '../../core/policy/types.ts';
import { proposeSpend } from '../../app/propose-spend.ts';
import { approveProposal } from '../../app/approve-proposal.ts';
import { exportProposal } from '../../app/export-proposal.ts';
import { importPartialPsbt } from '../../app/import-partial-psbt.ts';
import { finalizeProposal } from '../../app/finalize-proposal.ts';
import { broadcastProposal } from '../../app/broadcast-proposal.ts';
import { bumpFee } from '../../app/bump-fee.ts';
import { cpfpFromChange } from '../../app/cpfp-from-change.ts';
import { cancelByReplacement, cancelProposal } from '../../app/cancel-proposal.ts';
import { requireActor, requireProposal, spendStatement } from '../../app/governance.ts';
import { proposalAnchor, type ProposalAnchor } from '../../app/check-audit-anchors.ts';
import { describeAnchor } from '../../core/audit/anchor.ts';
import { readMemberKeyFile, signApproval } from '../../adapters/signers/member-key.ts';
import { AS_HELP, actorOf, collect, parseId, withGovernance } from '../governance-deps.ts';
import { readPsbtArgument } from './psbt.ts';
import { readInputFile } from '../input-file.ts';
import { instructionPayments } from '../../app/settlement/direct.ts';
import { MAX_INSTRUCTION_BYTES } from '../../core/settlement/instruction.ts';

function parseUtxo(text: string): { txid: string; vout: number } {
  const m = /^([0-9a-f]{64}):(\d{1,6})$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `--utxo must be TXID:VOUT, got "${text}"`);
  return { txid: m[1] as string, vout: Number(m[2]) };
}

function proposalJson(p: SpendProposal) {
  const { psbt: _psbt, finalHex: _hex, ...rest } = p;
  return rest;
}

function proposalLine(p: SpendProposal): string {
  const to = p.kind === 'cpfp' ? `CPFP child of proposal ${p.parent ?? '?'}` : p.kind === 'cancel' ? `cancels proposal ${p.replaces ?? '?'} (one coin back to the vault)` : p.outputs.map((o) => `${formatBtc(o.sats)} BTC → ${o.address}${o.internal ? ' (internal)' : ''}`).join(', ');
  return `#${p.id}  ${p.state.padEnd(9)} ${p.vaultId}  ${to}  fee ${p.feeSats} sats${p.replaces !== null ? `  (bumps #${p.replaces})` : ''}`;
}

function anchorLine(a: ProposalAnchor | null): string[] {
  if (a === null) return [];
  return [`  anchor:    ${describeAnchor(a)} (output ${a.vout}, 0 sats: not a payment)${a.hash === null ? ` — this log no longer holds the entry it committed to (commitment ${a.commitment}): run "soberana audit verify"` : ''}`];
}

function proposalText(p: SpendProposal, approvals: readonly { approverId: string; groups: readonly string[] }[], anchor: ProposalAnchor | null = null): string {
  const d = p.decision as PolicyDecision;
  const lines = [
    `proposal ${p.id} (${p.kind}) — ${p.state}`,
    `  vault:     ${p.vaultId}`,
    `  proposer:  ${p.proposer}${p.memo ? `   memo: ${p.memo}` : ''}`,
    ...p.outputs.map((o) => `  pay:       ${formatBtc(o.sats)} BTC to ${o.address}${o.internal ? ` (internal consolidation into vault ${o.internalVault ?? '?'})` : ''}`),
    ...(p.changeIndex !== null ? [`  change:    ${formatBtc(p.changeSats)} BTC to change index ${p.changeIndex}`] : []),
    ...anchorLine(anchor),
    `  inputs:    ${p.inputs.map((i) => `${i.txid}:${i.vout}`).join(', ')}`,
    `  fee:       ${p.feeSats} sats at ${formatFeeRate(p.feeRateSatPerKvb)} sat/vB (RBF signalled)`,
    `  policy:    version ${p.policyVersion}, ${d.ruleId === null ? 'no rule' : `rule '${d.ruleId}'`} → ${d.outcome}`,
    `  approvals: ${approvals.length === 0 ? 'none' : approvals.map((a) => `${a.approverId} (${a.groups.join(', ') || 'no group'})`).join(', ')}`,
    `  unsigned txid: ${p.unsignedTxid}`,
  ];
  if (p.txid) lines.push(`  txid:      ${p.txid}`);
  if (p.replacedBy !== null) lines.push(`  replaced by proposal ${p.replacedBy}`);
  return lines.join('\n');
}

const EX = (lines: string[]): string => ['', 'Examples:', ...lines.map((l) => `  $ ${l}`)].join('\n');

export function register(program: Command): void {
  const spend = program
    .command('spend')
    .description('spend proposals: propose → approve → export/sign/import → finalize → broadcast (see docs/spending.md)')
    .option('--as <member>', AS_HELP);

  spend
    .command('propose')
    .description('propose a payment from a vault (coin selection, unsigned PSBT, policy decision); needs role operator')
    .requiredOption('--vault <vault>', 'the vault to pay from')
    .option('--to <ADDR:AMOUNT,...>', 'payments: address:amount (BTC like 0.5, or 50000sat), comma-separated')
    .option('--from-instruction <file>', 'instead of --to: the payments of a settlement instruction file (alliance settlement; every address checked against this network)')
    .option('--fee-rate <sat/vB>', 'fee rate in sat/vB (e.g. 2 or 2.5)')
    .option('--target-blocks <n>', 'ask the node for a fee rate to confirm within n blocks (default 6)')
    .option('--memo <text>', 'why (kept with the proposal and in the audit log)')
    .option('--utxo <TXID:VOUT>', 'coin control: spend this coin (repeatable)', collect, [])
    .option('--force', 'accept a fee above the cap (1% of the amount or 0.01 BTC, whichever is less)')
    .option('--no-audit-anchor', 'leave out the zero-value OP_RETURN output that timestamps the audit log\'s head in Bitcoin (see docs/audit-log.md)')
    .addHelpText('after', EX([
      'soberana spend propose --as luis --vault reserve --to bcrt1q…:0.5 --fee-rate 2 --memo "settlement #1"',
      'soberana spend propose --as luis --vault reserve --to bcrt1q…:150000sat,bcrt1q…:0.01 --target-blocks 3',
      'soberana spend propose --as luis --vault reserve --from-instruction W01-RUS.json --fee-rate 2',
    ]))
    .action(action(async (ctx, o: { vault: string; to?: string; fromInstruction?: string; feeRate?: string; targetBlocks?: string; memo?: string; utxo: string[]; force?: boolean; auditAnchor: boolean }) => {
      if (o.feeRate !== undefined && o.targetBlocks !== undefined) throw new DomainError('INVALID_ARGUMENT', 'give either --fee-rate or --target-blocks, not both');
      if ((o.to === undefined) === (o.fromInstruction === undefined)) throw new DomainError('INVALID_ARGUMENT', 'give the payments with --to or --from-instruction (one of them)');
      const instructed = o.fromInstruction === undefined ? null : instructionPayments(readInputFile(o.fromInstruction, 'settlement instruction', MAX_INSTRUCTION_BYTES), ctx.config().network);
      const payments = instructed ? instructed.payments : parsePaymentList(o.to as string);
      if (instructed && o.memo === undefined) o.memo = instructed.memo;
      const feeRate = o.feeRate === undefined ? undefined : parseFeeRate(o.feeRate);
      const targetBlocks = o.targetBlocks === undefined ? undefined : Number(o.targetBlocks);
      const r = await withGovernance(ctx, { chain: feeRate === undefined }, async (deps) => {
        const made = await proposeSpend(deps, { actor: actorOf(ctx), vault: o.vault, payments, feeRateSatPerKvb: feeRate, targetBlocks, memo: o.memo, utxos: o.utxo.map(parseUtxo), force: o.force === true, auditAnchor: o.auditAnchor !== false });
        return { ...made, anchorOut: await proposalAnchor(deps, made.proposal, deps.network) };
      });
      ctx.out({ proposal: proposalJson(r.proposal), decision: r.decision, anchor: r.anchorOut }, () =>
        [proposalText(r.proposal, [], r.anchorOut), '', 'policy:', ...r.decision.explanation.map((l) => `  ${l}`),
          r.proposal.state === 'approved' ? `\nnext: soberana spend export ${r.proposal.id} --out unsigned.psbt` : `\nnext: approvers run "soberana spend approve ${r.proposal.id} --as <approver>"`].join('\n'));
    }));

  spend
    .command('list')
    .description('list spend proposals (newest first; "soberana sync" follows broadcast ones on the chain)')
    .option('--vault <vault>', 'only this vault')
    .addHelpText('after', EX(['soberana spend list', 'soberana spend list --vault reserve --json']))
    .action(action(async (ctx, o: { vault?: string }) => {
      const list = await withGovernance(ctx, {}, async (deps) => {
        const vaultId = o.vault === undefined ? undefined : (await deps.vaults.findVault(o.vault))?.id ?? o.vault;
        return deps.spends.proposals(vaultId);
      });
      ctx.out({ proposals: list.map(proposalJson) }, () => (list.length === 0 ? 'no spend proposals' : list.map(proposalLine).join('\n')));
    }));

  spend
    .command('show <proposal>')
    .description('show a proposal: outputs, fee, policy decision, approvals, state')
    .addHelpText('after', EX(['soberana spend show 1', 'soberana spend show 1 --json']))
    .action(action(async (ctx, id: string) => {
      const r = await withGovernance(ctx, {}, async (deps) => {
        const p = await requireProposal(deps.spends, parseId(id)); // reads never write: "soberana sync" follows the chain
        return { p, approvals: await deps.spends.approvals(p.id), partials: (await deps.spends.partials(p.id)).map(({ psbt: _p, ...x }) => x), anchor: await proposalAnchor(deps, p, deps.network) };
      });
      ctx.out({ proposal: proposalJson(r.p), approvals: r.approvals, partials: r.partials, anchor: r.anchor }, () => proposalText(r.p, r.approvals, r.anchor));
    }));

  spend
    .command('approve <proposal>')
    .description('approve a proposal (needs role approver; counted for the groups you belong to; the proposer never counts)')
    .option('--key <file>', 'your approval key file ("soberana member key new"): the approval is your signature; required outside regtest')
    .addHelpText('after', EX(['soberana spend approve 1 --as maria --key ~/.soberana/maria.key', 'soberana spend approve 1 --as maria   # regtest only, for a member without a key']))
    .action(action(async (ctx, id: string, o: { key?: string }) => {
      const r = await withGovernance(ctx, {}, async (deps) => {
        const proposalId = parseId(id);
        let signature: string | undefined;
        if (o.key !== undefined) {
          const key = readMemberKeyFile(o.key);
          const me = await requireActor(deps.spends, actorOf(ctx), 'approver');
          signature = signApproval(key, spendStatement(deps, me.id, await requireProposal(deps.spends, proposalId)));
        }
        return approveProposal(deps, { actor: actorOf(ctx), proposalId, signature });
      });
      ctx.out(r, r.status.satisfied ? `proposal ${id} approved: quorum reached` : `approval recorded; ${r.status.missing}`);
    }));

  spend
    .command('export <proposal>')
    .description('write the approved proposal\'s PSBT for signers (binary if FILE ends in .psbt — Sparrow, Caravan, Bitcoin Core, hardware signers — else base64)')
    .requiredOption('--out <file>', 'where to write it')
    .addHelpText('after', EX(['soberana spend export 1 --as luis --out unsigned.psbt', 'soberana spend export 1 --as luis --out unsigned.txt']))
    .action(action(async (ctx, id: string, o: { out: string }) => {
      const r = await withGovernance(ctx, {}, (deps) => exportProposal(deps, { actor: actorOf(ctx), proposalId: parseId(id), destination: o.out }));
      try {
        if (/\.psbt$/i.test(o.out)) writeFileSync(o.out, base64.decode(r.psbt));
        else writeFileSync(o.out, r.psbt + '\n');
      } catch {
        throw new DomainError('INVALID_ARGUMENT', `cannot write ${o.out}`);
      }
      ctx.out({ out: o.out, unsignedTxid: r.unsignedTxid }, `wrote proposal ${id}'s PSBT to ${o.out} (unsigned txid ${r.unsignedTxid})`);
    }));

  spend
    .command('import <proposal> <file>')
    .description('import a partial PSBT from any signer: must be the same transaction, signatures must verify for the vault\'s keys; combined')
    .addHelpText('after', EX(['soberana spend import 1 alice.psbt --as luis']))
    .action(action(async (ctx, id: string, file: string) => {
      const r = await withGovernance(ctx, {}, (deps) => importPartialPsbt(deps, { actor: actorOf(ctx), proposalId: parseId(id), psbt: readPsbtArgument(file) }));
      ctx.out(r, `imported ${r.added} new signature${r.added === 1 ? '' : 's'}; ${r.inputs.map((i, n) => `input ${n}: ${i.signatures}/${i.required ?? '?'}`).join(', ')}; ${r.complete ? `complete — next: soberana spend finalize ${id}` : 'more signatures needed'}`);
    }));

  spend
    .command('finalize <proposal>')
    .description('finalize a fully signed proposal into its transaction')
    .addHelpText('after', EX(['soberana spend finalize 1 --as luis']))
    .action(action(async (ctx, id: string) => {
      const r = await withGovernance(ctx, {}, (deps) => finalizeProposal(deps, { actor: actorOf(ctx), proposalId: parseId(id) }));
      ctx.out({ txid: r.txid, vsize: r.vsize, fee: r.fee }, `finalized: txid ${r.txid}, ${r.vsize} vB, fee ${r.fee} sats — next: soberana spend broadcast ${id}`);
    }));

  spend
    .command('broadcast <proposal>')
    .description('broadcast a finalized proposal — refused unless the policy (re-evaluated now, signing delay included) is satisfied')
    .addHelpText('after', EX(['soberana spend broadcast 1 --as luis', 'soberana sync && soberana spend show 1   # confirmed once mined']))
    .action(action(async (ctx, id: string) => {
      const r = await withGovernance(ctx, { chain: true }, (deps) => broadcastProposal(deps, { actor: actorOf(ctx), proposalId: parseId(id) }));
      ctx.out(r, `broadcast: txid ${r.txid} (${r.reason}); run "soberana sync" after it is mined to record the confirmation`);
    }));

  spend
    .command('bump <proposal>')
    .description('replace a broadcast proposal with a higher fee (RBF): a new proposal and a new signing round')
    .requiredOption('--fee-rate <sat/vB>', 'the new fee rate, above the current one')
    .option('--force', 'accept a fee above the cap')
    .addHelpText('after', EX(['soberana spend bump 1 --as luis --fee-rate 10']))
    .action(action(async (ctx, id: string, o: { feeRate: string; force?: boolean }) => {
      const r = await withGovernance(ctx, {}, (deps) => bumpFee(deps, { actor: actorOf(ctx), proposalId: parseId(id), feeRateSatPerKvb: parseFeeRate(o.feeRate), force: o.force === true }));
      ctx.out({ proposal: proposalJson(r.proposal), decision: r.decision }, `proposal ${r.proposal.id} replaces ${id} at ${o.feeRate} sat/vB (fee ${r.proposal.feeSats} sats) — ${r.proposal.state}`);
    }));

  spend
    .command('cpfp <proposal>')
    .description('child pays for parent: a new proposal spending the change of a broadcast proposal at a higher package fee rate')
    .requiredOption('--fee-rate <sat/vB>', 'target fee rate of parent and child together')
    .option('--force', 'accept a fee above the cap')
    .addHelpText('after', EX(['soberana spend cpfp 1 --as luis --fee-rate 20']))
    .action(action(async (ctx, id: string, o: { feeRate: string; force?: boolean }) => {
      const r = await withGovernance(ctx, {}, (deps) => cpfpFromChange(deps, { actor: actorOf(ctx), proposalId: parseId(id), feeRateSatPerKvb: parseFeeRate(o.feeRate), force: o.force === true }));
      ctx.out({ proposal: proposalJson(r.proposal), decision: r.decision }, `proposal ${r.proposal.id}: CPFP child of ${id}, fee ${r.proposal.feeSats} sats — ${r.proposal.state}`);
    }));

  spend
    .command('cancel <proposal>')
    .description('cancel a proposal; once it went out for signing (signatures may exist), only by replacement: --replace spends one of its coins back to the vault')
    .option('--reason <text>', 'why')
    .option('--replace', 'cancel by replacement: a new proposal spending one of its coins back to the vault (needed once the PSBT went out for signing)')
    .option('--fee-rate <sat/vB>', 'with --replace: fee rate of the replacement', '2')
    .option('--force', 'with --replace: accept a fee above the cap')
    .option('--no-audit-anchor', 'with --replace: leave out the audit anchor output (by default the replacement anchors the audit log\'s head as it is now)')
    .addHelpText('after', EX(['soberana spend cancel 1 --as luis --reason "wrong amount"', 'soberana spend cancel 2 --as luis --replace --fee-rate 5 --reason "signed by mistake"']))
    .action(action(async (ctx, id: string, o: { reason?: string; replace?: boolean; feeRate: string; force?: boolean; auditAnchor: boolean }) => {
      if (o.replace) {
        const r = await withGovernance(ctx, {}, (deps) => cancelByReplacement(deps, { actor: actorOf(ctx), proposalId: parseId(id), feeRateSatPerKvb: parseFeeRate(o.feeRate), reason: o.reason, force: o.force === true, auditAnchor: o.auditAnchor !== false }));
        ctx.out({ proposal: proposalJson(r.proposal), decision: r.decision }, `proposal ${r.proposal.id} cancels proposal ${id} by spending one of its coins back to the vault (fee ${r.proposal.feeSats} sats) — ${r.proposal.state}; it needs approvals and signatures like any spend`);
        return;
      }
      await withGovernance(ctx, {}, (deps) => cancelProposal(deps, { actor: actorOf(ctx), proposalId: parseId(id), reason: o.reason }));
      ctx.out({ cancelled: Number(id) }, `proposal ${id} cancelled`);
    }));
}
