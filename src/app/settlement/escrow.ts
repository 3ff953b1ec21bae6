/**
 * Alliance settlement on chain, escrow mode (issue #16 item 5): the use cases around the pure state
 * machine `core/settlement/escrow.ts`.
 *
 * - `openEscrow`: a closed cycle's on-chain phase opens: each net payer gets a fresh receive
 *   address of the alliance vault (reserved, so no other payment is asked to it), the amount due
 *   and a deadline height.
 * - `trackEscrow`: after each sync, the pay-ins' statuses are recomputed from what sync stored for
 *   the alliance vault (its coins and their heights, reorgs already rolled back), stored, and the
 *   next step decided. `readEscrow` computes the same without writing (for status reads).
 * - `proposeEscrowPayout`: when every pay-in has K confirmations, ONE batched spend proposal in the
 *   alliance vault, through `proposeSpend` (so the alliance's own policy and quorum apply), paying
 *   every net receiver at a fresh address derived from its receive descriptor, spending exactly
 *   the cycle's confirmed pay-in outputs (coin control; checked again after the proposal is made).
 *   The fee is shared by the receivers in proportion to their nets.
 * - `proposeEscrowRefund`: after a missed deadline, ONE batched spend proposal refunding every
 *   pay-in output that arrived to its payer (fee shared the same way), the defaulters recorded,
 *   and a re-net request returned for the cycle store.
 *
 * Signing, broadcast and confirmation are the proposal's ordinary path (`spend approve/export/…`).
 */
import { DomainError } from '../../core/errors.ts';
import { vaultOutput } from '../../core/bitcoin/psbt.ts';
import { addressToScript } from '../../core/bitcoin/address.ts';
import { ANCHOR_SCRIPT_LENGTH } from '../../core/audit/anchor.ts';
import { feeForWeight, txWeight } from '../../core/coinselect/tx-size.ts';
import { dustLimitForScript } from '../../core/spend/safety-nets.ts';
import { DEFAULT_PAYIN_CONFIRMATIONS, decideEscrow, escrowPayIns, observePayIn, shareFee, type EscrowDecision, type Outpoint, type PayInObservation, type RenetRequest } from '../../core/settlement/escrow.ts';
import type { OnchainCycle, PlannedTransfer, SettlementOnchainStore, StoredPayIn } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle, MemberCode } from '../../core/settlement/types.ts';
import type { SettlementStore } from '../../core/settlement/store-port.ts';
import type { SpendProposal } from '../../core/spend/types.ts';
import type { Vault } from '../../core/vault/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { Network } from '../../core/network.ts';
import { auditOf, requireActor, requireVaultOf, type GovernanceDeps } from '../governance.ts';
import { proposeSpend, resolveFeeRate, vaultSpendShape } from '../propose-spend.ts';
import { cancelProposal } from '../cancel-proposal.ts';

export interface SettlementOnchainDeps extends GovernanceDeps {
  readonly onchain: SettlementOnchainStore;
  /**
   * The cycle store (members, invoices, cycles), when there is one: a rescinded cycle is handed
   * back to it (`rescindCycle`: netted again without the defaulters' invoices) and a cycle whose
   * payout confirmed is marked settled. Without it the caller acts on `renet` itself.
   */
  readonly cycles?: Pick<SettlementStore, 'cycle' | 'markCycleSettled' | 'rescindCycle'> | undefined;
}

/** Blocks between opening a cycle's escrow and its pay-in deadline, unless told: one week of blocks. */
export const DEFAULT_DEADLINE_BLOCKS = 1008;

/**
 * A fresh receive address from a member's receive descriptor, never asked of the member: when the
 * descriptor is a vault watched here, its next unused receive address (reserved); otherwise the
 * next index of a sequence kept per descriptor (0, 1, 2…, so the member's wallet finds them
 * within its gap limit).
 */
export async function freshReceiveAddress(deps: { vaults: VaultStore; onchain: SettlementOnchainStore }, member: AllianceMember, network: Network): Promise<string> {
  const descriptor = member.receiveDescriptor.trim();
  if (descriptor === '') throw new DomainError('INVALID_STATE', `member ${member.code} has no receive descriptor`);
  const vault = (await deps.vaults.listVaults()).find((v) => v.descriptor !== null && v.descriptor.trim() === descriptor);
  if (vault) {
    if (vault.network !== network) throw new DomainError('NETWORK_MISMATCH', `member ${member.code}'s receive vault ${vault.name} is on ${vault.network}, not ${network}`);
    const a = await deps.vaults.reserveAddress(vault.id, 0);
    if (!a) throw new DomainError('INVALID_STATE', `vault ${vault.name} (member ${member.code}) has no unused receive address left: run "soberana sync" first`);
    return a.address;
  }
  const index = await deps.onchain.takeReceiveIndex(descriptor);
  const address = vaultOutput(descriptor, network, 0, index).getAddress();
  return address;
}

function memberOf(members: readonly AllianceMember[], code: MemberCode): AllianceMember {
  const m = members.find((x) => x.code === code);
  if (!m) throw new DomainError('NOT_FOUND', `member ${code} of the cycle is not among the alliance members given`);
  return m;
}

async function tipOf(deps: GovernanceDeps, vault: Vault): Promise<number> {
  const cp = await deps.vaults.tipCheckpoint(vault.id);
  if (!cp) throw new DomainError('INVALID_STATE', `vault ${vault.name} has not been synced yet: run "soberana sync" first`);
  return cp.height;
}

export interface OpenEscrowInput {
  readonly actor: string | undefined;
  readonly cycle: ClosedCycle;
  readonly members: readonly AllianceMember[];
  /** The alliance vault (id or name): the multisig of the members' central banks. */
  readonly vault: string;
  /** The deadline: an absolute height, or this many blocks after the alliance vault's synced tip. */
  readonly deadlineHeight?: number | undefined;
  readonly deadlineBlocks?: number | undefined;
  /** K (default 6). */
  readonly confirmations?: number | undefined;
}

/**
 * Open a closed cycle's escrow: a pay-in address per net payer, the deadline, K.
 * @throws FORBIDDEN (not an operator), VAULT_NOT_FOUND, ALREADY_EXISTS (opened before), INVALID_STATE (not synced; no address left; a direct-mode cycle)
 * @example await openEscrow(deps, { actor: 'luis', cycle, members, vault: 'alliance', deadlineBlocks: 144 })
 */
export async function openEscrow(deps: SettlementOnchainDeps, input: OpenEscrowInput): Promise<{ onchain: OnchainCycle; payIns: StoredPayIn[] }> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  if (input.cycle.mode !== 'escrow') throw new DomainError('INVALID_STATE', `cycle ${input.cycle.id} settles in ${input.cycle.mode} mode, not escrow`);
  const vault = await requireVaultOf(deps.vaults, input.vault);
  vaultSpendShape(vault); // a vault that can spend (descriptor, segwit)
  const k = input.confirmations ?? DEFAULT_PAYIN_CONFIRMATIONS;
  if (!Number.isSafeInteger(k) || k < 1 || k > 1000) throw new DomainError('INVALID_ARGUMENT', `confirmations must be 1..1000, got ${k}`);
  if (await deps.onchain.cycle(input.cycle.id)) throw new DomainError('ALREADY_EXISTS', `the on-chain phase of cycle ${input.cycle.id} is already open`);
  const tip = await tipOf(deps, vault);
  const blocks = input.deadlineBlocks ?? DEFAULT_DEADLINE_BLOCKS;
  const deadline = input.deadlineHeight ?? tip + blocks;
  if (!Number.isSafeInteger(deadline) || deadline <= tip) throw new DomainError('INVALID_ARGUMENT', `the deadline height ${deadline} must be above the current height ${tip}`);
  for (const p of input.cycle.positions) memberOf(input.members, p.member);
  const nowMs = deps.now();
  const payIns: StoredPayIn[] = [];
  for (const due of escrowPayIns(input.cycle)) {
    const a = await deps.vaults.reserveAddress(vault.id, 0);
    if (!a) throw new DomainError('INVALID_STATE', `alliance vault ${vault.name} has no unused receive address left: run "soberana sync" (or give it a larger gap limit)`);
    payIns.push({ cycleId: input.cycle.id, payer: due.payer, address: a.address, addressIndex: a.index, sats: due.sats, status: 'pending', txid: null, vout: null, height: null, confirmations: 0, updatedAtMs: nowMs });
  }
  const onchain: OnchainCycle = {
    cycleId: input.cycle.id, mode: 'escrow', vaultId: vault.id, confirmations: k, deadlineHeight: deadline, cycle: input.cycle, members: input.members.filter((m) => input.cycle.positions.some((p) => p.member === m.code)),
    phase: 'collecting', payoutProposalId: null, refundProposalId: null, defaulters: [], openedBy: actor.id, openedAtMs: nowMs, updatedAtMs: nowMs,
  };
  await deps.onchain.openCycle(onchain, payIns, auditOf(actor, 'operator', 'settlement.escrow.open', `settlement:${input.cycle.id}`, {
    vault: vault.id, confirmations: k, deadlineHeight: deadline, payIns: payIns.map((p) => ({ payer: p.payer, address: p.address, sats: p.sats })),
  }, nowMs));
  return { onchain, payIns };
}

export interface EscrowView {
  readonly onchain: OnchainCycle;
  readonly tipHeight: number;
  readonly payIns: readonly (StoredPayIn & { readonly observation: PayInObservation })[];
  /** The next step while collecting; null once the payout or refund was proposed. */
  readonly decision: EscrowDecision | null;
  /** The payout or refund proposal, when there is one. */
  readonly proposal: SpendProposal | null;
  readonly transfers: readonly PlannedTransfer[];
}

async function requireEscrow(deps: SettlementOnchainDeps, cycleId: string): Promise<{ onchain: OnchainCycle; vault: Vault }> {
  const onchain = await deps.onchain.cycle(cycleId);
  if (!onchain) throw new DomainError('NOT_FOUND', `no on-chain phase for cycle ${cycleId} (open it first)`);
  if (onchain.mode !== 'escrow' || onchain.vaultId === null || onchain.deadlineHeight === null) throw new DomainError('INVALID_STATE', `cycle ${cycleId} settles in direct mode: it has no escrow`);
  const vault = await requireVaultOf(deps.vaults, onchain.vaultId);
  return { onchain, vault };
}

/** The escrow as the chain shows it now (nothing written). */
export async function readEscrow(deps: SettlementOnchainDeps, cycleId: string): Promise<EscrowView> {
  const { onchain, vault } = await requireEscrow(deps, cycleId);
  const tipHeight = await tipOf(deps, vault);
  const txos = await deps.vaults.allTxos(vault.id);
  const stored = await deps.onchain.payIns(cycleId);
  const deadline = onchain.deadlineHeight as number;
  const payIns = stored.map((p) => {
    const outputs = txos.filter((t) => t.branch === 0 && t.index === p.addressIndex).map((t) => ({ txid: t.txid, vout: t.vout, sats: t.value, height: t.height }));
    const observation = observePayIn(p.sats, outputs, tipHeight, onchain.confirmations, deadline);
    const last = [...observation.outputs].reverse().find((o) => o.height !== null) ?? observation.outputs[observation.outputs.length - 1];
    return {
      ...p, status: observation.status, txid: last?.txid ?? null, vout: last?.vout ?? null, height: last?.height ?? null, confirmations: observation.confirmations, observation,
    };
  });
  const decision = onchain.phase === 'collecting'
    ? decideEscrow({ cycle: onchain.cycle, payIns: payIns.map((p) => ({ payer: p.payer, expected: p.sats, observation: p.observation })), tipHeight, deadlineHeight: deadline })
    : null;
  const proposalId = onchain.payoutProposalId ?? onchain.refundProposalId;
  const proposal = proposalId === null ? null : await deps.spends.proposal(proposalId);
  return { onchain, tipHeight, payIns, decision, proposal, transfers: await deps.onchain.transfers(cycleId) };
}

export interface TrackedEscrow extends EscrowView {
  /** Pay-ins whose status changed in this run: [payer, from, to]. */
  readonly changes: readonly (readonly [MemberCode, string, string])[];
}

/**
 * Recompute every pay-in of the cycle from what sync stored and store the changes (run after each
 * sync: `settlement escrow track`). A reorged pay-in goes back to pending (or seen).
 */
export async function trackEscrow(deps: SettlementOnchainDeps, cycleId: string): Promise<TrackedEscrow> {
  const view = await readEscrow(deps, cycleId);
  const before = new Map((await deps.onchain.payIns(cycleId)).map((p) => [p.payer, p]));
  const changed = view.payIns.filter((p) => {
    const b = before.get(p.payer);
    return !b || b.status !== p.status || b.txid !== p.txid || b.vout !== p.vout || b.height !== p.height || b.confirmations !== p.confirmations;
  });
  await deps.onchain.updatePayIns(cycleId, changed.map(({ observation: _o, ...p }) => p), deps.now());
  return { ...view, changes: changed.filter((p) => before.get(p.payer)?.status !== p.status).map((p) => [p.payer, before.get(p.payer)?.status ?? 'none', p.status] as const) };
}

/** Track every escrow still collecting (after a sync). */
export async function trackAllEscrows(deps: SettlementOnchainDeps): Promise<TrackedEscrow[]> {
  const out: TrackedEscrow[] = [];
  for (const c of await deps.onchain.cycles()) {
    if (c.mode === 'escrow' && c.phase === 'collecting') out.push(await trackEscrow(deps, c.cycleId));
    if (c.phase === 'payout-proposed' && c.payoutProposalId !== null) await settleIfConfirmed(deps, c.cycleId, c.payoutProposalId);
  }
  return out;
}

/** A cycle whose payout proposal is confirmed: the cycle store marks it settled (once). */
async function settleIfConfirmed(deps: SettlementOnchainDeps, cycleId: string, proposalId: number): Promise<void> {
  if (!deps.cycles) return;
  const p = await deps.spends.proposal(proposalId);
  if (p?.state !== 'confirmed') return;
  if ((await deps.cycles.cycle(cycleId))?.status !== 'closed') return;
  await deps.cycles.markCycleSettled(cycleId, `payout ${p.txid ?? p.unsignedTxid} confirmed`, auditOf({ id: 'system' }, 'system', 'settlement.cycle.settled', `settlement:${cycleId}`, { proposal: proposalId, txid: p.txid }, deps.now()));
}

/** Hand a rescinded cycle back to the cycle store (netted again without the defaulters' invoices). */
async function handBack(deps: SettlementOnchainDeps, actor: { id: string }, renet: RenetRequest): Promise<number | null> {
  if (!deps.cycles) return null;
  if ((await deps.cycles.cycle(renet.cycleId))?.status !== 'closed') return null;
  const r = await deps.cycles.rescindCycle(renet.cycleId, renet.excludeMembers, renet.reason, auditOf(actor, 'operator', 'settlement.cycle.rescind', `settlement:${renet.cycleId}`, { excludeMembers: renet.excludeMembers, reason: renet.reason }, deps.now()));
  return r.excluded;
}

export interface EscrowSpendInput {
  readonly actor: string | undefined;
  readonly cycleId: string;
  readonly feeRateSatPerKvb?: bigint | undefined;
  readonly targetBlocks?: number | undefined;
}

export interface EscrowSpendResult {
  readonly proposal: SpendProposal | null;
  readonly transfers: readonly PlannedTransfer[];
  readonly defaulters: readonly MemberCode[];
  /** A rescinded cycle: what the cycle store must net again. */
  readonly renet: RenetRequest | null;
  /** With a cycle store: how many of the defaulters' invoices it excluded when it took the cycle back (null: not handed back). */
  readonly excludedInvoices?: number | null;
}

/**
 * Propose the batched payout of a cycle whose pay-ins all have K confirmations.
 * @throws INVALID_STATE (not ready: names who is missing; proposed already), and proposeSpend's errors (POLICY_DENIED, …)
 */
export async function proposeEscrowPayout(deps: SettlementOnchainDeps, input: EscrowSpendInput): Promise<EscrowSpendResult> {
  await requireActor(deps.spends, input.actor, 'operator');
  const view = await trackEscrow(deps, input.cycleId);
  const d = view.decision;
  if (view.onchain.phase !== 'collecting' || d === null) throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is ${view.onchain.phase}: nothing more to propose`);
  if (d.kind === 'rescind') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} missed its deadline (${d.defaulters.join(', ')}): it is rescinded, propose the refund instead`);
  if (d.kind === 'waiting') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is not ready to pay out: waiting for ${d.pending.join(', ')} (${view.onchain.confirmations} confirmations each)`);
  const recipients = d.payouts.map((p) => ({ member: memberOf(view.onchain.members, p.member), sats: p.sats }));
  const transfers = await spendEscrow(deps, view, 'payout', recipients, d.spend, input);
  return { ...transfers, defaulters: [], renet: null };
}

/**
 * Propose the batched refund of a cycle whose deadline a payer missed: every pay-in output that
 * arrived goes back to its payer. Returns the defaulters and the re-net request.
 * @throws INVALID_STATE (the deadline has not passed, or every pay-in arrived in time)
 */
export async function proposeEscrowRefund(deps: SettlementOnchainDeps, input: EscrowSpendInput): Promise<EscrowSpendResult> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const view = await trackEscrow(deps, input.cycleId);
  const d = view.decision;
  if (view.onchain.phase !== 'collecting' || d === null) throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is ${view.onchain.phase}: nothing more to propose`);
  if (d.kind !== 'rescind') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is not rescinded: ${d.kind === 'waiting' ? `its deadline is height ${view.onchain.deadlineHeight ?? '?'} (${d.blocksToDeadline} blocks away)` : 'every pay-in arrived in time'}`);
  if (d.refunds.length === 0) {
    await deps.onchain.recordSpend(input.cycleId, { kind: 'refund', proposalId: null, transfers: [], defaulters: d.defaulters }, auditOf(actor, 'operator', 'settlement.escrow.rescind', `settlement:${input.cycleId}`, { defaulters: d.defaulters, refunds: [] }, deps.now()), deps.now());
    return { proposal: null, transfers: [], defaulters: d.defaulters, renet: d.renet, excludedInvoices: await handBack(deps, actor, d.renet) };
  }
  const recipients = d.refunds.map((r) => ({ member: memberOf(view.onchain.members, r.payer), sats: r.sats }));
  const spent = await spendEscrow(deps, view, 'refund', recipients, d.refunds.flatMap((r) => r.spend), input, d.defaulters);
  return { ...spent, defaulters: d.defaulters, renet: d.renet, excludedInvoices: await handBack(deps, actor, d.renet) };
}

/**
 * One batched spend from the alliance vault of exactly `spend` to `recipients` (fee shared by
 * them), through proposeSpend; refused (and the proposal cancelled) if it took any other coin.
 */
async function spendEscrow(
  deps: SettlementOnchainDeps, view: EscrowView, kind: 'payout' | 'refund', recipients: readonly { member: AllianceMember; sats: bigint }[], spend: readonly Outpoint[], input: EscrowSpendInput, defaulters: readonly MemberCode[] = [],
): Promise<{ proposal: SpendProposal; transfers: PlannedTransfer[] }> {
  const vault = await requireVaultOf(deps.vaults, view.onchain.vaultId as string);
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const feeRate = await resolveFeeRate(deps, input.feeRateSatPerKvb, input.targetBlocks);
  const addresses = new Map<string, string>();
  for (const r of recipients) addresses.set(r.member.code, await freshReceiveAddress(deps, r.member, vault.network));
  const scripts = recipients.map((r) => addressToScript(addresses.get(r.member.code) as string, vault.network));
  const { inputWeight } = vaultSpendShape(vault);
  // Exact weight with the audit anchor output; a few sats of margin cover coin selection's
  // rounding of fee shares (one sat per part at most), so the pay-ins alone always suffice.
  const weight = txWeight(spend.map(() => inputWeight), [...scripts.map((s) => s.length), ANCHOR_SCRIPT_LENGTH]);
  const fee = feeForWeight(weight, feeRate) + BigInt(spend.length + scripts.length + 2);
  const dust = scripts.reduce((m, s) => (dustLimitForScript(s) > m ? dustLimitForScript(s) : m), 0n);
  const shared = shareFee(recipients.map((r) => ({ member: r.member.code, sats: r.sats })), fee, dust);
  const transfers: PlannedTransfer[] = shared.map((s) => ({ kind, member: s.member, address: addresses.get(s.member) as string, sats: s.sats, feeShare: s.feeShare }));
  const memo = `settlement ${view.onchain.cycleId} ${kind}${kind === 'refund' ? ` (rescinded: ${defaulters.join(', ')} missed the deadline)` : ''}`;
  const made = await proposeSpend(deps, { actor: input.actor, vault: vault.id, payments: transfers.map((t) => ({ address: t.address, sats: t.sats })), feeRateSatPerKvb: feeRate, memo, utxos: spend });
  const allowed = new Set(spend.map((o) => `${o.txid}:${o.vout}`));
  const foreign = made.proposal.inputs.filter((i) => !allowed.has(`${i.txid}:${i.vout}`));
  if (foreign.length > 0) {
    await cancelProposal(deps, { actor: input.actor, proposalId: made.proposal.id, reason: `settlement ${view.onchain.cycleId}: the ${kind} must spend only the cycle's pay-ins` });
    throw new DomainError('INVALID_STATE', `the ${kind} of cycle ${view.onchain.cycleId} would have spent coins other than its pay-ins (${foreign.map((i) => `${i.txid}:${i.vout}`).join(', ')}); proposal ${made.proposal.id} was cancelled`);
  }
  const nowMs = deps.now();
  await deps.onchain.recordSpend(view.onchain.cycleId, { kind, proposalId: made.proposal.id, transfers, defaulters }, auditOf(actor, 'operator', kind === 'payout' ? 'settlement.escrow.payout' : 'settlement.escrow.rescind', `settlement:${view.onchain.cycleId}`, {
    proposal: made.proposal.id, feeSats: made.proposal.feeSats, defaulters, transfers: transfers.map((t) => ({ member: t.member, address: t.address, sats: t.sats, feeShare: t.feeShare })),
  }, nowMs), nowMs);
  return { proposal: made.proposal, transfers };
}
