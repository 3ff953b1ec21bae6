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
import type { DirectPayment, OnchainCycle, PlannedTransfer, ScreenedAddress } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle } from '../../core/settlement/types.ts';
import { auditOf, requireActor } from '../governance.ts';
import { freshReceiveAddress, type SettlementOnchainDeps } from './onchain-deps.ts';
import { screenPayoutAddress } from './screening.ts';
import { DEFAULT_PAYIN_CONFIRMATIONS, directPaymentStatus, type PayInOutput } from '../../core/settlement/escrow.ts';

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
 * Each address is screened (with a cycle store): a match holds that payer's instruction until a
 * compliance officer releases it. `confirmations`: K for the payers' payments (default 6).
 */
export async function openDirect(deps: SettlementOnchainDeps, input: { actor: string | undefined; cycle: ClosedCycle; members: readonly AllianceMember[]; confirmations?: number | undefined }): Promise<OnchainCycle> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const k = input.confirmations ?? DEFAULT_PAYIN_CONFIRMATIONS;
  if (!Number.isSafeInteger(k) || k < 1 || k > 1000) throw new DomainError('INVALID_ARGUMENT', `confirmations must be 1..1000, got ${k}`);
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
  const screened: ScreenedAddress[] = [];
  if (deps.cycles) {
    for (const t of transfers) {
      const hold = await screenPayoutAddress({ settlement: deps.cycles, now: deps.now }, t.address, { cycle: input.cycle.id, member: t.member });
      screened.push({ cycleId: input.cycle.id, purpose: 'direct', member: t.member, address: t.address, holdId: hold?.id ?? null, screenedAtMs: deps.now() });
    }
  }
  const nowMs = deps.now();
  const onchain: OnchainCycle = {
    cycleId: input.cycle.id, mode: 'direct', vaultId: null, confirmations: k, deadlineHeight: null, cycle: input.cycle, members, phase: 'collecting',
    payoutProposalId: null, refundProposalId: null, defaulters: [], openedBy: actor.id, openedAtMs: nowMs, updatedAtMs: nowMs,
  };
  await deps.onchain.openCycle(onchain, [], auditOf(actor, 'operator', 'settlement.direct.open', `settlement:${input.cycle.id}`, {
    transfers: transfers.map((t) => ({ transfer: t.member, address: t.address, sats: t.sats })),
  }, nowMs), transfers);
  await deps.onchain.addScreenedAddresses(screened);
  return onchain;
}

/** The direct payments a screening hold stops: pending (wait) or rejected (cannot be paid). */
async function directHolds(deps: SettlementOnchainDeps, cycleId: string): Promise<{ transfer: string; address: string; holdId: string; status: string }[]> {
  if (!deps.cycles) return [];
  const out: { transfer: string; address: string; holdId: string; status: string }[] = [];
  for (const a of await deps.onchain.screenedAddresses(cycleId)) {
    if (a.purpose !== 'direct' || a.holdId === null) continue;
    const status = (await deps.cycles.hold(a.holdId))?.status ?? 'pending';
    if (status !== 'released') out.push({ transfer: a.member, address: a.address, holdId: a.holdId, status });
  }
  return out;
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
  const held = await directHolds(deps, cycleId);
  if (held.length > 0) {
    const list = held.map((h) => `${h.transfer} to ${h.address} (hold ${h.holdId}, ${h.status})`).join('; ');
    if (held.some((h) => h.status === 'rejected')) throw new DomainError('INVALID_STATE', `cycle ${cycleId} cannot be paid as netted: screening rejected ${list}; the cycle is to be netted again without that receiver`);
    throw new DomainError('INVALID_STATE', `the instructions of cycle ${cycleId} are held by screening: ${list}; a compliance officer decides with "soberana settlement screening decide <hold> --decision release|reject --reason …"`);
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

export interface TrackedDirect {
  readonly cycleId: string;
  readonly payments: readonly DirectPayment[];
  /** Payers whose payment status changed in this run: [payer, from, to]. */
  readonly changes: readonly (readonly [string, string, string])[];
  /** The cycle was marked settled in this run. */
  readonly settled: boolean;
}

/**
 * Track a direct-mode cycle's payments after a sync: each payer's batched payment to its receivers
 * is seen through the receivers' vaults watched here (their addresses' coins) or through the
 * payer's own proposal paying the instruction (its transaction's height in the payer's vault);
 * `paid` once every payment of it has K confirmations. Statuses are recomputed from the chain each
 * time, so a reorged payment goes back to pending. All paid → the cycle store marks the cycle
 * settled (once).
 */
export async function trackDirect(deps: SettlementOnchainDeps, cycleId: string): Promise<TrackedDirect> {
  const onchain = await deps.onchain.cycle(cycleId);
  if (!onchain) throw new DomainError('NOT_FOUND', `no on-chain phase for cycle ${cycleId}`);
  if (onchain.mode !== 'direct') throw new DomainError('INVALID_STATE', `cycle ${cycleId} settles in escrow mode`);
  const rows = (await deps.onchain.transfers(cycleId)).filter((t) => t.kind === 'payout');
  const status = deps.cycles ? (await deps.cycles.cycle(cycleId))?.status ?? null : null;
  if (status === 'rescinded' || status === 'settled') return { cycleId, payments: await deps.onchain.directPayments(cycleId), changes: [], settled: false };
  const refused = (await directHolds(deps, cycleId)).filter((h) => h.status === 'rejected');
  if (refused.length > 0 && deps.cycles && status === 'closed') {
    // Screening rejected a receiver's address: no instruction was ever written (they are held from
    // the opening), so nothing moved; the cycle is handed back to be netted again without that receiver.
    const receivers = [...new Set(refused.map((h) => h.transfer.split('>')[1] ?? h.transfer))].sort();
    const reason = `the payout address of ${receivers.join(', ')} was rejected by screening`;
    await deps.cycles.rescindCycle(cycleId, receivers, reason, auditOf({ id: 'system' }, 'system', 'settlement.cycle.rescind', `settlement:${cycleId}`, { mode: 'direct', excludeMembers: receivers, reason, holds: refused.map((h) => h.holdId) }, deps.now()));
    return { cycleId, payments: await deps.onchain.directPayments(cycleId), changes: [], settled: false };
  }
  const vaults = await deps.vaults.listVaults();
  let tip: number | null = null;
  const byAddress = new Map<string, PayInOutput[]>();
  const wanted = new Set(rows.map((r) => r.address));
  for (const v of vaults) {
    const cp = await deps.vaults.tipCheckpoint(v.id);
    if (cp && (tip === null || cp.height > tip)) tip = cp.height;
    const mine = (await deps.vaults.addresses(v.id)).filter((a) => wanted.has(a.address));
    if (mine.length === 0) continue;
    const txos = await deps.vaults.allTxos(v.id);
    for (const a of mine) {
      const outs = txos.filter((t) => t.branch === a.branch && t.index === a.index).map((t) => ({ txid: t.txid, vout: t.vout, sats: t.value, height: t.height }));
      byAddress.set(a.address, [...(byAddress.get(a.address) ?? []), ...outs]);
    }
  }
  if (tip === null) return { cycleId, payments: await deps.onchain.directPayments(cycleId), changes: [], settled: false };
  // The payers' own proposals (a payer whose vault is here): broadcast or confirmed, paying an instructed address.
  const heights = new Map<string, Map<string, number | null>>();
  for (const p of await deps.spends.proposals()) {
    if ((p.state !== 'broadcast' && p.state !== 'confirmed') || p.txid === null) continue;
    const txid = p.txid;
    p.outputs.forEach((o, i) => {
      if (!wanted.has(o.address)) return;
      const seen = byAddress.get(o.address) ?? [];
      if (seen.some((x) => x.txid === txid)) return; // already seen through the receiver's vault
      if (!heights.has(p.vaultId)) heights.set(p.vaultId, new Map());
      seen.push({ txid, vout: i, sats: o.sats, height: -1 });
      byAddress.set(o.address, seen);
    });
  }
  for (const [vaultId, m] of heights) for (const t of await deps.vaults.transactions(vaultId)) m.set(t.txid, t.height);
  // undefined: the payer's vault no longer knows the transaction (reorged out and dropped): not seen.
  const heightOf = (txid: string): number | null | undefined => {
    for (const m of heights.values()) if (m.has(txid)) return m.get(txid) ?? null;
    return undefined;
  };
  const payers = new Map<string, { expected: bigint; outputs: PayInOutput[] }[]>();
  for (const r of rows) {
    const [from] = r.member.split('>');
    if (!from) throw new DomainError('MALFORMED_DATA', `cycle ${cycleId}: stored direct transfer "${r.member}" is not PAYER>RECEIVER`);
    const outputs = (byAddress.get(r.address) ?? []).flatMap((o) => {
      if (o.height !== -1) return [o];
      const height = heightOf(o.txid);
      return height === undefined ? [] : [{ ...o, height }];
    });
    payers.set(from, [...(payers.get(from) ?? []), { expected: r.sats, outputs }]);
  }
  const before = new Map((await deps.onchain.directPayments(cycleId)).map((p) => [p.payer, p]));
  const nowMs = deps.now();
  const payments: DirectPayment[] = [...payers.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([payer, ps]) => ({ cycleId, payer, ...directPaymentStatus(ps, tip as number, onchain.confirmations), updatedAtMs: nowMs }));
  const changed = payments.filter((p) => {
    const b = before.get(p.payer);
    return !b || b.status !== p.status || b.txid !== p.txid || b.height !== p.height || b.confirmations !== p.confirmations;
  });
  await deps.onchain.updateDirectPayments(cycleId, changed);
  let settled = false;
  if (deps.cycles && payments.length > 0 && payments.every((p) => p.status === 'paid') && (await deps.cycles.cycle(cycleId))?.status === 'closed') {
    await deps.cycles.markCycleSettled(cycleId, `direct payments confirmed (${onchain.confirmations} confirmations): ${payments.map((p) => `${p.payer} ${p.txid ?? '?'}`).join(', ')}`, auditOf({ id: 'system' }, 'system', 'settlement.cycle.settled', `settlement:${cycleId}`, {
      mode: 'direct', payments: payments.map((p) => ({ payer: p.payer, txid: p.txid, confirmations: p.confirmations })),
    }, nowMs));
    settled = true;
  }
  return { cycleId, payments, changes: changed.filter((p) => before.get(p.payer)?.status !== p.status).map((p) => [p.payer, before.get(p.payer)?.status ?? 'pending', p.status] as const).filter(([, a, b]) => a !== b), settled };
}
