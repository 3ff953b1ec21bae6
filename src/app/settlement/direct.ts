/**
 * Settlement instructions (issue #16 item 5): one file per net payer and cycle.
 * - direct mode: the payer's payments to its receivers (the cycle's transfers from it), each to a
 *   fresh address derived from the receiver's receive descriptor; derived once, when the cycle's
 *   direct phase opens, and kept — writing the files again gives the same addresses, so a payer
 *   never gets two different instructions for one cycle;
 * - escrow mode: the payer's one pay-in to its alliance vault address (`openEscrow` first).
 * The payer's own Soberana imports the file with `soberana spend propose --from-instruction FILE`.
 * This module returns the files' names and texts; writing them is the caller's job.
 */
import { DomainError } from '../../core/errors.ts';
import { sats } from '../../core/money.ts';
import { ALLIANCE_VAULT_MEMBER, buildInstruction, parseInstruction, serializeInstruction, type SettlementInstruction } from '../../core/settlement/instruction.ts';
import { paymentScript } from '../../core/bitcoin/address.ts';
import type { Network } from '../../core/network.ts';
import type { OnchainCycle, PlannedTransfer } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle } from '../../core/settlement/types.ts';
import { auditOf, requireActor } from '../governance.ts';
import { freshReceiveAddress, type SettlementOnchainDeps } from './escrow.ts';

export interface InstructionFile {
  readonly payer: string;
  /** `<cycle>-<payer>.json` */
  readonly fileName: string;
  readonly instruction: SettlementInstruction;
  readonly text: string;
}

function fileOf(i: SettlementInstruction): InstructionFile {
  return { payer: i.payer, fileName: `${i.cycle}-${i.payer}.json`, instruction: i, text: serializeInstruction(i) };
}

/**
 * Open a direct-mode cycle's on-chain phase: derive each receiver's fresh address per transfer and
 * keep them (ALREADY_EXISTS when opened before: use `settlementInstructions` to write the files again).
 */
export async function openDirect(deps: SettlementOnchainDeps, input: { actor: string | undefined; cycle: ClosedCycle; members: readonly AllianceMember[] }): Promise<OnchainCycle> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  if (input.cycle.mode !== 'direct') throw new DomainError('INVALID_STATE', `cycle ${input.cycle.id} settles in ${input.cycle.mode} mode, not direct`);
  if (await deps.onchain.cycle(input.cycle.id)) throw new DomainError('ALREADY_EXISTS', `the on-chain phase of cycle ${input.cycle.id} is already open`);
  const members = input.members.filter((m) => input.cycle.positions.some((p) => p.member === m.code));
  const transfers: PlannedTransfer[] = [];
  for (const t of input.cycle.transfers) {
    const to = members.find((m) => m.code === t.to);
    if (!to) throw new DomainError('NOT_FOUND', `member ${t.to} of the cycle is not among the alliance members given`);
    if (!members.some((m) => m.code === t.from)) throw new DomainError('NOT_FOUND', `member ${t.from} of the cycle is not among the alliance members given`);
    if (transfers.some((x) => x.member === `${t.from}>${t.to}`)) throw new DomainError('MALFORMED_DATA', `cycle ${input.cycle.id} has two transfers from ${t.from} to ${t.to}`);
    // Keyed by payer>receiver: one row per transfer.
    transfers.push({ kind: 'payout', member: `${t.from}>${t.to}`, address: await freshReceiveAddress(deps, to, deps.network), sats: t.sats, feeShare: 0n });
  }
  const nowMs = deps.now();
  const onchain: OnchainCycle = {
    cycleId: input.cycle.id, mode: 'direct', vaultId: null, confirmations: 1, deadlineHeight: null, cycle: input.cycle, members, phase: 'collecting',
    payoutProposalId: null, refundProposalId: null, defaulters: [], openedBy: actor.id, openedAtMs: nowMs, updatedAtMs: nowMs,
  };
  await deps.onchain.openCycle(onchain, [], auditOf(actor, 'operator', 'settlement.direct.open', `settlement:${input.cycle.id}`, {
    transfers: transfers.map((t) => ({ transfer: t.member, address: t.address, sats: t.sats })),
  }, nowMs), transfers);
  return onchain;
}

/**
 * The instruction files of an opened cycle, one per net payer: direct payments, or the escrow
 * pay-in. Reads only (the same files every time).
 * @throws NOT_FOUND (the cycle's on-chain phase is not open)
 */
export async function settlementInstructions(deps: SettlementOnchainDeps, cycleId: string): Promise<InstructionFile[]> {
  const onchain = await deps.onchain.cycle(cycleId);
  if (!onchain) throw new DomainError('NOT_FOUND', `no on-chain phase for cycle ${cycleId}: open it first ("settlement escrow open" or "settlement instructions" on a direct cycle)`);
  if (onchain.mode === 'escrow') {
    return (await deps.onchain.payIns(cycleId)).map((p) => fileOf(buildInstruction({
      network: deps.network, cycle: cycleId, mode: 'escrow', payer: p.payer, payments: [{ member: ALLIANCE_VAULT_MEMBER, address: p.address, sats: sats(p.sats, 'pay-in') }],
    })));
  }
  const rows = (await deps.onchain.transfers(cycleId)).filter((t) => t.kind === 'payout');
  const byPayer = new Map<string, { member: string; address: string; sats: bigint }[]>();
  for (const r of rows) {
    const [from, to] = r.member.split('>');
    if (!from || !to) throw new DomainError('MALFORMED_DATA', `cycle ${cycleId}: stored direct transfer "${r.member}" is not PAYER>RECEIVER`);
    byPayer.set(from, [...(byPayer.get(from) ?? []), { member: to, address: r.address, sats: r.sats }]);
  }
  return [...byPayer.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([payer, payments]) => fileOf(buildInstruction({
    network: deps.network, cycle: cycleId, mode: 'direct', payer, payments: payments.sort((a, b) => (a.member < b.member ? -1 : 1)).map((p) => ({ member: p.member, address: p.address, sats: sats(p.sats, 'payment') })),
  })));
}

/**
 * The payments an instruction file asks of this Soberana (`spend propose --from-instruction`):
 * parsed strictly, its network and every address's network checked against ours, and the memo
 * that ties the proposal to the cycle.
 * @throws INVALID_IMPORT (a bad file), NETWORK_MISMATCH, INVALID_ADDRESS
 */
export function instructionPayments(text: string, network: Network): { instruction: SettlementInstruction; payments: { address: string; sats: bigint }[]; memo: string } {
  const instruction = parseInstruction(text);
  if (instruction.network !== network) throw new DomainError('NETWORK_MISMATCH', `the instruction is for ${instruction.network}, this Soberana runs on ${network}`);
  for (const p of instruction.payments) paymentScript(p.address, network);
  return {
    instruction,
    payments: instruction.payments.map((p) => ({ address: p.address, sats: p.sats })),
    memo: `settlement ${instruction.cycle} (${instruction.mode}) ${instruction.payer} → ${instruction.payments.map((p) => p.member).join(', ')}; instruction ${instruction.sha256.slice(0, 16)}`,
  };
}
