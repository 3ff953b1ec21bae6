/**
 * `soberana settlement escrow …` and `soberana settlement instructions …`: the on-chain phase of
 * alliance settlement (issue #16 item 5), attached to the `settlement` command through its
 * subcommand table.
 *
 * - `escrow open CYCLE --vault ALLIANCE` — fresh pay-in addresses, deadline, K;
 * - `escrow status [CYCLE]` — pay-ins as the synced chain shows them (reads only);
 * - `escrow track [CYCLE]` — after `soberana sync`: store the pay-ins' statuses (reorgs included);
 * - `escrow payout CYCLE` / `escrow rescind CYCLE` — ONE batched spend proposal in the alliance
 *   vault (then the usual `spend approve/export/import/finalize/broadcast`);
 * - `instructions CYCLE --out DIR` — one instruction file per net payer (direct payments or the
 *   escrow pay-in), imported by each payer with `spend propose --from-instruction FILE`.
 *
 * The closed cycle comes from the cycle store (`settlement cycle close`), or from `--cycle-file FILE`
 * (JSON `{"cycle":{…ClosedCycle, sats as strings},"members":[…AllianceMember]}`). With the cycle
 * store, a rescind hands the cycle back to it (netted again without the defaulters' invoices) and
 * `escrow track` marks a cycle settled once its payout confirmed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { actorOf, withGovernance } from '../governance-deps.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc, sats } from '../../core/money.ts';
import { parseFeeRate } from '../../core/spend/safety-nets.ts';
import type { AllianceMember, ClosedCycle } from '../../core/settlement/types.ts';
import { SqlSettlementOnchainStore } from '../../adapters/store/settlement-onchain-store.ts';
import { SqlSettlementStore } from '../../adapters/store/settlement-store.ts';
import { openEscrow, proposeEscrowPayout, proposeEscrowRefund, readEscrow, trackAllEscrows, trackEscrow, type EscrowSpendResult, type EscrowView, type SettlementOnchainDeps } from '../../app/settlement/escrow.ts';
import { openDirect, settlementInstructions } from '../../app/settlement/direct.ts';

/** The closed cycle and its members: from `--cycle-file`, else from the cycle store. */
async function loadCycle(ctx: CliContext, cycleId: string, file: string | undefined): Promise<{ cycle: ClosedCycle; members: AllianceMember[] }> {
  if (file !== undefined) {
    const r = parseCycleFile(readInputFile(file, 'cycle file'));
    if (r.cycle.id !== cycleId) throw new DomainError('INVALID_ARGUMENT', `the cycle file is for cycle ${r.cycle.id}, not ${cycleId}`);
    return r;
  }
  const store = new SqlSettlementStore(await ctx.db());
  const cycle = await store.closedCycle(cycleId);
  if (!cycle) throw new DomainError('NOT_FOUND', `no closed cycle ${cycleId} (see "soberana settlement cycle list")`);
  return { cycle, members: await store.members() };
}

async function withSettlement<T>(ctx: CliContext, opts: { chain?: boolean }, fn: (deps: SettlementOnchainDeps) => Promise<T>): Promise<T> {
  const db = await ctx.db();
  return withGovernance(ctx, opts, (deps) => fn({ ...deps, onchain: new SqlSettlementOnchainStore(db), cycles: new SqlSettlementStore(db) }));
}

const CODE = /^[A-Z][A-Z0-9_-]{1,15}$/;

/** A closed cycle and its members from a JSON file (sats and prices as decimal strings). */
export function parseCycleFile(text: string): { cycle: ClosedCycle; members: AllianceMember[] } {
  const bad = (m: string): never => {
    throw new DomainError('INVALID_IMPORT', `cycle file: ${m}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  const o = raw as { cycle?: Record<string, unknown>; members?: unknown };
  const c = o.cycle;
  if (!c || typeof c !== 'object') return bad('no "cycle" object');
  const int = (v: unknown, what: string): bigint => (typeof v === 'string' && /^-?[0-9]{1,16}$/.test(v) ? BigInt(v) : bad(`${what} must be a whole number as a string`));
  const code = (v: unknown, what: string): string => (typeof v === 'string' && CODE.test(v) ? v : bad(`${what} is not a member code`));
  if (typeof c.id !== 'string' || c.id === '') return bad('"cycle.id" missing');
  if (c.mode !== 'escrow' && c.mode !== 'direct') return bad('"cycle.mode" must be escrow or direct');
  if (!Array.isArray(c.positions) || !Array.isArray(c.transfers)) return bad('"cycle.positions" and "cycle.transfers" must be lists');
  const positions = (c.positions as { member?: unknown; sats?: unknown }[]).map((p, i) => ({ member: code(p.member, `position ${i + 1}`), sats: int(p.sats, `position ${i + 1} sats`) }));
  if (positions.reduce((s, p) => s + p.sats, 0n) !== 0n) return bad('the positions do not sum to zero');
  const transfers = (c.transfers as { from?: unknown; to?: unknown; sats?: unknown }[]).map((t, i) => ({ from: code(t.from, `transfer ${i + 1} from`), to: code(t.to, `transfer ${i + 1} to`), sats: sats(int(t.sats, `transfer ${i + 1} sats`), `transfer ${i + 1}`) }));
  const rates = Array.isArray(c.rates) ? (c.rates as { currency?: unknown; minorDigits?: unknown; btcPriceMinor?: unknown; source?: unknown }[]).map((r, i) => ({
    currency: typeof r.currency === 'string' ? r.currency : bad(`rate ${i + 1} currency`), minorDigits: typeof r.minorDigits === 'number' ? r.minorDigits : bad(`rate ${i + 1} minorDigits`),
    btcPriceMinor: int(r.btcPriceMinor, `rate ${i + 1} btcPriceMinor`), source: typeof r.source === 'string' ? r.source : '',
  })) : [];
  if (!Array.isArray(o.members)) return bad('"members" must be a list');
  const members = (o.members as Record<string, unknown>[]).map((m, i) => ({
    code: code(m.code, `member ${i + 1}`), state: String(m.state ?? ''), institution: String(m.institution ?? ''), currency: String(m.currency ?? ''),
    receiveDescriptor: typeof m.receiveDescriptor === 'string' && m.receiveDescriptor !== '' ? m.receiveDescriptor : bad(`member ${i + 1} has no receiveDescriptor`),
  }));
  return { cycle: { id: c.id, cutoff: typeof c.cutoff === 'string' ? c.cutoff : '', mode: c.mode, rates, positions, transfers }, members };
}

function viewJson(v: EscrowView) {
  return {
    cycle: v.onchain.cycleId, mode: v.onchain.mode, vault: v.onchain.vaultId, phase: v.onchain.phase, confirmations: v.onchain.confirmations, deadlineHeight: v.onchain.deadlineHeight,
    tipHeight: v.tipHeight, payIns: v.payIns.map((p) => ({ payer: p.payer, address: p.address, sats: p.sats, status: p.status, txid: p.txid, vout: p.vout, height: p.height, confirmations: p.confirmations, receivedSats: p.observation.receivedSats })),
    decision: v.decision, proposal: v.proposal ? { id: v.proposal.id, state: v.proposal.state, txid: v.proposal.txid ?? v.proposal.unsignedTxid } : null,
    defaulters: v.onchain.defaulters, transfers: v.transfers,
  };
}

function viewText(v: EscrowView): string {
  const lines = [`cycle ${v.onchain.cycleId} (escrow in vault ${v.onchain.vaultId ?? '?'}) — ${v.onchain.phase}; height ${v.tipHeight}, deadline ${v.onchain.deadlineHeight ?? '?'}, K=${v.onchain.confirmations}`];
  for (const p of v.payIns) lines.push(`  pay-in ${p.payer.padEnd(8)} ${formatBtc(p.sats)} BTC → ${p.address}  ${p.status}${p.confirmations > 0 ? ` (${p.confirmations} conf)` : ''}${p.txid ? `  ${p.txid}:${p.vout ?? '?'}` : ''}`);
  const d = v.decision;
  if (d?.kind === 'waiting') lines.push(`  next: waiting for ${d.pending.join(', ')} (${d.blocksToDeadline} blocks to the deadline)`);
  if (d?.kind === 'payout-ready') lines.push(`  next: soberana settlement escrow payout ${v.onchain.cycleId} --as <operator>`);
  if (d?.kind === 'rescind') lines.push(`  rescinded: ${d.defaulters.join(', ')} missed the deadline; next: soberana settlement escrow rescind ${v.onchain.cycleId} --as <operator>`);
  for (const t of v.transfers) lines.push(`  ${t.kind} ${t.member.padEnd(8)} ${formatBtc(t.sats)} BTC → ${t.address} (fee share ${t.feeShare} sats)`);
  if (v.proposal) lines.push(`  proposal ${v.proposal.id}: ${v.proposal.state}${v.proposal.txid ? `, txid ${v.proposal.txid}` : ''}`);
  return lines.join('\n');
}

function spendText(cycleId: string, kind: string, r: EscrowSpendResult): string {
  const lines = [`cycle ${cycleId}: ${kind}${r.proposal ? ` proposed as proposal ${r.proposal.id} (${r.proposal.state}), fee ${r.proposal.feeSats} sats` : ': nothing arrived, nothing to refund'}`];
  for (const t of r.transfers) lines.push(`  ${t.member.padEnd(8)} ${formatBtc(t.sats)} BTC → ${t.address} (fee share ${t.feeShare} sats)`);
  if (r.defaulters.length > 0) lines.push(`  defaulters: ${r.defaulters.join(', ')}`);
  if (r.renet) lines.push(`  the cycle is to be netted again without ${r.renet.excludeMembers.join(', ')}'s invoices`);
  if (r.proposal) lines.push(r.proposal.state === 'approved' ? `next: soberana spend export ${r.proposal.id} --out unsigned.psbt` : `next: approvers run "soberana spend approve ${r.proposal.id} --as <approver>"`);
  return lines.join('\n');
}

function feeOptions(o: { feeRate?: string; targetBlocks?: string }): { feeRateSatPerKvb: bigint | undefined; targetBlocks: number | undefined } {
  if (o.feeRate !== undefined && o.targetBlocks !== undefined) throw new DomainError('INVALID_ARGUMENT', 'give either --fee-rate or --target-blocks, not both');
  return { feeRateSatPerKvb: o.feeRate === undefined ? undefined : parseFeeRate(o.feeRate), targetBlocks: o.targetBlocks === undefined ? undefined : Number(o.targetBlocks) };
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1) throw new DomainError('INVALID_ARGUMENT', `${what} must be a positive whole number, got "${text}"`);
  return Number(text);
}

export function attachEscrow(settlement: Command): void {
  const escrow = settlement.command('escrow').description('escrow mode: pay-ins to the alliance vault, then one batched payout (or a refund if a payer misses the deadline)').option('--as <member>', 'the member acting (id or name)');

  escrow
    .command('open <cycle>')
    .description('open a closed cycle\'s escrow: a fresh alliance-vault address per net payer, the deadline, K')
    .requiredOption('--vault <vault>', 'the alliance vault')
    .option('--cycle-file <file>', 'the closed cycle and its members (JSON); default: the cycle as closed in this database')
    .option('--deadline-blocks <n>', 'the pay-in deadline, in blocks after the current height (default 1008)')
    .option('--deadline-height <h>', 'the pay-in deadline as a block height')
    .option('--confirmations <k>', 'confirmations each pay-in needs (default 6)')
    .action(action(async (ctx, cycleId: string, o: { vault: string; cycleFile?: string; deadlineBlocks?: string; deadlineHeight?: string; confirmations?: string }) => {
      const { cycle, members } = await loadCycle(ctx, cycleId, o.cycleFile);
      const r = await withSettlement(ctx, {}, (deps) => openEscrow(deps, {
        actor: actorOf(ctx), cycle, members, vault: o.vault, deadlineBlocks: positiveInt(o.deadlineBlocks, '--deadline-blocks'), deadlineHeight: positiveInt(o.deadlineHeight, '--deadline-height'), confirmations: positiveInt(o.confirmations, '--confirmations'),
      }));
      ctx.out({ cycle: cycleId, deadlineHeight: r.onchain.deadlineHeight, confirmations: r.onchain.confirmations, payIns: r.payIns.map((p) => ({ payer: p.payer, address: p.address, sats: p.sats })) }, () =>
        [`cycle ${cycleId}: escrow open, deadline height ${r.onchain.deadlineHeight ?? '?'}, ${r.onchain.confirmations} confirmations per pay-in`, ...r.payIns.map((p) => `  ${p.payer.padEnd(8)} pays ${formatBtc(p.sats)} BTC to ${p.address}`),
          `next: soberana settlement instructions ${cycleId} --out DIR (one file per payer)`].join('\n'));
    }));

  escrow
    .command('status [cycle]')
    .description('pay-ins as the synced chain shows them, and the next step (reads only; run "soberana sync" first)')
    .action(action(async (ctx, cycleId: string | undefined) => {
      const views = await withSettlement(ctx, {}, async (deps) => {
        const ids = cycleId === undefined ? (await deps.onchain.cycles()).filter((c) => c.mode === 'escrow').map((c) => c.cycleId) : [cycleId];
        return Promise.all(ids.map((id) => readEscrow(deps, id)));
      });
      ctx.out({ cycles: views.map(viewJson) }, () => (views.length === 0 ? 'no escrow cycles' : views.map(viewText).join('\n\n')));
    }));

  escrow
    .command('track [cycle]')
    .description('after "soberana sync": store each pay-in\'s status (pending / seen / confirmed; a reorged pay-in goes back to pending)')
    .action(action(async (ctx, cycleId: string | undefined) => {
      const views = await withSettlement(ctx, {}, async (deps) => (cycleId === undefined ? trackAllEscrows(deps) : [await trackEscrow(deps, cycleId)]));
      ctx.out({ cycles: views.map((v) => ({ ...viewJson(v), changes: v.changes })) }, () =>
        (views.length === 0 ? 'no escrow cycle is collecting' : views.map((v) => [viewText(v), ...v.changes.map(([p, a, b]) => `  changed: ${p} ${a} → ${b}`)].join('\n')).join('\n\n')));
    }));

  for (const kind of ['payout', 'rescind'] as const) {
    escrow
      .command(`${kind} <cycle>`)
      .description(kind === 'payout'
        ? 'propose ONE batched payout to every net receiver from the cycle\'s confirmed pay-ins (needs every pay-in at K confirmations)'
        : 'after a missed deadline: propose ONE batched refund of every pay-in that arrived, record the defaulters')
      .option('--fee-rate <sat/vB>', 'fee rate in sat/vB (shared by the recipients in proportion to their amounts)')
      .option('--target-blocks <n>', 'ask the node for a fee rate to confirm within n blocks (default 6)')
      .action(action(async (ctx, cycleId: string, o: { feeRate?: string; targetBlocks?: string }) => {
        const fee = feeOptions(o);
        const r = await withSettlement(ctx, { chain: fee.feeRateSatPerKvb === undefined }, (deps) => (kind === 'payout' ? proposeEscrowPayout : proposeEscrowRefund)(deps, { actor: actorOf(ctx), cycleId, ...fee }));
        ctx.out({ cycle: cycleId, proposal: r.proposal ? { id: r.proposal.id, state: r.proposal.state, feeSats: r.proposal.feeSats, unsignedTxid: r.proposal.unsignedTxid } : null, transfers: r.transfers, defaulters: r.defaulters, renet: r.renet }, () => spendText(cycleId, kind === 'payout' ? 'payout' : 'refund', r));
      }));
  }
}

export function attachInstructions(settlement: Command): void {
  settlement
    .command('instructions <cycle>')
    .description('write one instruction file per net payer (direct payments, or its escrow pay-in); each payer runs "soberana spend propose --from-instruction FILE"')
    .requiredOption('--out <dir>', 'directory to write CYCLE-PAYER.json files into')
    .option('--cycle-file <file>', 'the closed cycle and its members (JSON); default: the cycle as closed in this database')
    .option('--as <member>', 'the member acting (to open a direct-mode cycle)')
    .action(action(async (ctx, cycleId: string, o: { out: string; cycleFile?: string }) => {
      const files = await withSettlement(ctx, {}, async (deps) => {
        if (!(await deps.onchain.cycle(cycleId))) {
          // A direct-mode cycle opens here (its receivers' addresses derived once and kept).
          const { cycle, members } = await loadCycle(ctx, cycleId, o.cycleFile);
          if (cycle.mode === 'escrow') throw new DomainError('INVALID_STATE', `cycle ${cycleId} settles in escrow mode: open its escrow first ("soberana settlement escrow open ${cycleId} --vault ALLIANCE")`);
          await openDirect(deps, { actor: actorOf(ctx), cycle, members });
        }
        return settlementInstructions(deps, cycleId);
      });
      mkdirSync(o.out, { recursive: true });
      for (const f of files) writeFileSync(join(o.out, f.fileName), f.text);
      ctx.out({ cycle: cycleId, files: files.map((f) => ({ payer: f.payer, file: join(o.out, f.fileName), totalSats: f.instruction.totalSats, sha256: f.instruction.sha256 })) }, () =>
        [`cycle ${cycleId}: ${files.length} instruction file${files.length === 1 ? '' : 's'}`, ...files.map((f) => `  ${f.payer.padEnd(8)} ${formatBtc(f.instruction.totalSats)} BTC in ${f.instruction.payments.length} payment${f.instruction.payments.length === 1 ? '' : 's'} → ${join(o.out, f.fileName)}`),
          'next: each payer runs "soberana spend propose --vault <its vault> --from-instruction FILE"'].join('\n'));
    }));
}
