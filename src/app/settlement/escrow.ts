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
import { addressToScript } from '../../core/bitcoin/address.ts';
import { ANCHOR_SCRIPT_LENGTH } from '../../core/audit/anchor.ts';
import { feeForWeight, txWeight } from '../../core/coinselect/tx-size.ts';
import { dustLimitForScript } from '../../core/spend/safety-nets.ts';
import { DEFAULT_PAYIN_CONFIRMATIONS, decideEscrow, escrowPayIns, lateRefunds, observePayIn, shareFee, type EscrowDecision, type Outpoint, type PayInObservation, type RenetRequest } from '../../core/settlement/escrow.ts';
import type { OnchainCycle, PlannedTransfer, ScreenedAddress, SpendIntent, StoredPayIn } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember, ClosedCycle, MemberCode } from '../../core/settlement/types.ts';
import type { SpendProposal } from '../../core/spend/types.ts';
import type { Vault } from '../../core/vault/types.ts';
import { auditOf, requireActor, requireVaultOf, type GovernanceDeps } from '../governance.ts';
import { proposeSpend, resolveFeeRate, vaultSpendShape } from '../propose-spend.ts';
import { cancelProposal } from '../cancel-proposal.ts';
import { screenPayoutAddress } from './screening.ts';
import { DEFAULT_DEADLINE_BLOCKS, freshReceiveAddress, type SettlementOnchainDeps } from './onchain-deps.ts';
import { trackDirect, type TrackedDirect } from './direct.ts';

export { DEFAULT_DEADLINE_BLOCKS, freshReceiveAddress, type SettlementOnchainDeps } from './onchain-deps.ts';

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
  /** Every spend the cycle made or is making (held by screening, claimed, proposed, abandoned). */
  readonly intents: readonly SpendIntent[];
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
  const intents = await deps.onchain.spendIntents(cycleId);
  let decision: EscrowDecision | null = null;
  if (onchain.phase === 'collecting') {
    const refused = await refusedReceivers(deps, cycleId, intents);
    decision = decideEscrow({ cycle: onchain.cycle, payIns: payIns.map((p) => ({ payer: p.payer, expected: p.sats, observation: p.observation })), tipHeight, deadlineHeight: deadline, refused });
  } else if (onchain.phase === 'refund-proposed') {
    // Late pay-ins: what the pay-in addresses still hold, unspent and held by no live proposal.
    const held = new Set((await deps.spends.coinHolds(vault.id)).map((h) => `${h.txid}:${h.vout}`));
    const late = lateRefunds(stored.map((p) => ({
      payer: p.payer,
      outputs: txos.filter((t) => t.branch === 0 && t.index === p.addressIndex && t.spentTxid === null && !held.has(`${t.txid}:${t.vout}`)).map((t) => ({ txid: t.txid, vout: t.vout, sats: t.value, height: t.height })),
    })));
    if (late.refunds.length > 0 || late.unconfirmed.length > 0) decision = { kind: 'late-refund', ...late };
  }
  const proposalId = onchain.payoutProposalId ?? onchain.refundProposalId;
  const proposal = proposalId === null ? null : await deps.spends.proposal(proposalId);
  return { onchain, tipHeight, payIns, decision, proposal, transfers: await deps.onchain.transfers(cycleId), intents };
}

/** Receivers whose payout address a compliance officer rejected (a held or abandoned payout intent). */
async function refusedReceivers(deps: SettlementOnchainDeps, cycleId: string, intents: readonly SpendIntent[]): Promise<string[]> {
  if (!deps.cycles) return [];
  const payouts = new Set(intents.filter((i) => i.kind === 'payout' && (i.status === 'held' || i.status === 'abandoned')).map((i) => `payout:${i.seq}`));
  if (payouts.size === 0) return [];
  const out: string[] = [];
  for (const a of await deps.onchain.screenedAddresses(cycleId)) {
    if (!payouts.has(a.purpose) || a.holdId === null) continue;
    if ((await deps.cycles.hold(a.holdId))?.status === 'rejected') out.push(a.member);
  }
  return [...new Set(out)].sort();
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

/**
 * Track every escrow still collecting, and every rescinded one (a late pay-in to its addresses is
 * seen and asks for a follow-up refund), after a sync; settle cycles whose payout confirmed; track
 * direct-mode cycles' payments (`trackDirect`: each payer's batched payment, the cycle settled once
 * all are paid).
 */
export async function trackAllEscrows(deps: SettlementOnchainDeps): Promise<TrackedEscrow[]> {
  return (await trackAllOnchain(deps)).escrows;
}

/** `trackAllEscrows`, with the direct-mode cycles' tracking too (their payers' status changes). */
export async function trackAllOnchain(deps: SettlementOnchainDeps): Promise<{ escrows: TrackedEscrow[]; direct: TrackedDirect[] }> {
  const escrows: TrackedEscrow[] = [];
  const direct: TrackedDirect[] = [];
  for (const c of await deps.onchain.cycles()) {
    if (c.mode === 'escrow' && (c.phase === 'collecting' || c.phase === 'refund-proposed')) escrows.push(await trackEscrow(deps, c.cycleId));
    if (c.phase === 'payout-proposed' && c.payoutProposalId !== null) await settleIfConfirmed(deps, c.cycleId, c.payoutProposalId);
    if (c.mode === 'direct' && c.phase === 'collecting') direct.push(await trackDirect(deps, c.cycleId));
  }
  return { escrows, direct };
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
 * Propose the batched payout of a cycle whose pay-ins all have K confirmations. Every receiver's
 * address is derived once and screened: a match holds the payout (INVALID_STATE naming the hold;
 * no proposal) until a compliance officer releases it — the retry then pays the same addresses;
 * a rejection means the cycle cannot pay that receiver: it is rescinded (`proposeEscrowRefund`).
 * A retry after a crash between the proposal and its recording adopts that proposal.
 * @throws INVALID_STATE (not ready: names who is missing; proposed already; held by screening), and proposeSpend's errors (POLICY_DENIED, …)
 */
export async function proposeEscrowPayout(deps: SettlementOnchainDeps, input: EscrowSpendInput): Promise<EscrowSpendResult> {
  await requireActor(deps.spends, input.actor, 'operator');
  const view = await trackEscrow(deps, input.cycleId);
  const d = view.decision;
  if (view.onchain.phase !== 'collecting' || d === null) throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is ${view.onchain.phase}: nothing more to propose`);
  if (d.kind === 'rescind') {
    throw new DomainError('INVALID_STATE', d.defaulters.length > 0
      ? `cycle ${input.cycleId} missed its deadline (${d.defaulters.join(', ')}): it is rescinded, propose the refund instead`
      : `cycle ${input.cycleId} cannot pay ${(d.refused ?? []).join(', ')} (payout address rejected by screening): it is rescinded, propose the refund instead`);
  }
  if (d.kind === 'waiting') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is not ready to pay out: waiting for ${d.pending.join(', ')} (${view.onchain.confirmations} confirmations each)`);
  if (d.kind !== 'payout-ready') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is not ready to pay out`);
  const recipients = d.payouts.map((p) => ({ member: memberOf(view.onchain.members, p.member), sats: p.sats }));
  const transfers = await spendEscrow(deps, view, 'payout', recipients, d.spend, input);
  return { ...transfers, defaulters: [], renet: null };
}

/**
 * Propose the batched refund of a cycle whose deadline a payer missed (or whose receiver's payout
 * address was rejected by screening): every pay-in output that arrived goes back to its payer.
 * Returns the defaulters and the re-net request. On a cycle already rescinded, a late pay-in (one
 * that arrived or was mined after the refund was decided) gets a follow-up refund the same way.
 * Refund addresses are screened like payout addresses.
 * @throws INVALID_STATE (the deadline has not passed, or every pay-in arrived in time; nothing late to refund; held by screening)
 */
export async function proposeEscrowRefund(deps: SettlementOnchainDeps, input: EscrowSpendInput): Promise<EscrowSpendResult> {
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const view = await trackEscrow(deps, input.cycleId);
  const d = view.decision;
  if (view.onchain.phase === 'refund-proposed') {
    const open = view.intents.find((i) => i.kind === 'refund' && i.status === 'claimed');
    const made = open ? await proposalOfIntent(deps, view.onchain.vaultId as string, open) : null;
    if (open && made) {
      // A follow-up refund proposed before a crash, never recorded: record it now (no second proposal).
      const nowMs = deps.now();
      const transfers = open.transfers.map((t) => ({ ...t, sats: made.outputs.find((o) => o.address === t.address)?.sats ?? t.sats }));
      await deps.onchain.updateSpendIntent(input.cycleId, open.seq, 'claimed', { status: 'proposed', proposalId: made.id, transfers }, nowMs, auditOf(actor, 'operator', 'settlement.escrow.late-refund', `settlement:${input.cycleId}`, { proposal: made.id, intent: open.tag, recovered: true }, nowMs));
      return { proposal: made, transfers, defaulters: view.onchain.defaulters, renet: null };
    }
    if (d?.kind !== 'late-refund' || d.refunds.length === 0) {
      throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is refund-proposed: ${d?.kind === 'late-refund' ? `a late pay-in of ${d.unconfirmed.join(', ')} is unconfirmed; refund it once mined` : 'no late pay-in to refund'}`);
    }
    const recipients = d.refunds.map((r) => ({ member: memberOf(view.onchain.members, r.payer), sats: r.sats }));
    const spent = await spendEscrow(deps, view, 'refund', recipients, d.refunds.flatMap((r) => r.spend), input, view.onchain.defaulters, true);
    return { ...spent, defaulters: view.onchain.defaulters, renet: null };
  }
  if (view.onchain.phase !== 'collecting' || d === null) throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is ${view.onchain.phase}: nothing more to propose`);
  if (d.kind !== 'rescind') throw new DomainError('INVALID_STATE', `cycle ${input.cycleId} is not rescinded: ${d.kind === 'waiting' ? `its deadline is height ${view.onchain.deadlineHeight ?? '?'} (${d.blocksToDeadline} blocks away)` : 'every pay-in arrived in time'}`);
  await abandonOpenPayout(deps, actor, view);
  if (d.refunds.length === 0) {
    await deps.onchain.recordSpend(input.cycleId, { kind: 'refund', proposalId: null, transfers: [], defaulters: d.defaulters }, auditOf(actor, 'operator', 'settlement.escrow.rescind', `settlement:${input.cycleId}`, { defaulters: d.defaulters, refused: d.refused ?? [], refunds: [] }, deps.now()), deps.now());
    return { proposal: null, transfers: [], defaulters: d.defaulters, renet: d.renet, excludedInvoices: await handBack(deps, actor, d.renet) };
  }
  const recipients = d.refunds.map((r) => ({ member: memberOf(view.onchain.members, r.payer), sats: r.sats }));
  const spent = await spendEscrow(deps, view, 'refund', recipients, d.refunds.flatMap((r) => r.spend), input, d.defaulters);
  return { ...spent, defaulters: d.defaulters, renet: d.renet, excludedInvoices: await handBack(deps, actor, d.renet) };
}

/** A payout intent still held (or claimed without a live proposal) when the cycle is rescinded is given up. */
async function abandonOpenPayout(deps: SettlementOnchainDeps, actor: { id: string }, view: EscrowView): Promise<void> {
  const open = view.intents.find((i) => i.kind === 'payout' && (i.status === 'held' || i.status === 'claimed'));
  if (!open) return;
  const made = await proposalOfIntent(deps, view.onchain.vaultId as string, open);
  if (made) throw new DomainError('INVALID_STATE', `cycle ${view.onchain.cycleId} has payout proposal ${made.id} (${made.state}) not yet recorded: run "settlement escrow payout ${view.onchain.cycleId}" to record it, or cancel that proposal first`);
  const nowMs = deps.now();
  await deps.onchain.updateSpendIntent(view.onchain.cycleId, open.seq, open.status, { status: 'abandoned' }, nowMs, auditOf(actor, 'operator', 'settlement.escrow.payout-abandoned', `settlement:${view.onchain.cycleId}`, { intent: open.tag, reason: 'the cycle is rescinded' }, nowMs));
}

/** The live proposal a spend intent made (its tag in the memo), if any: found after a crash before it was recorded. */
async function proposalOfIntent(deps: SettlementOnchainDeps, vaultId: string, intent: SpendIntent): Promise<SpendProposal | null> {
  const mark = `[${intent.tag}]`;
  const found = (await deps.spends.proposals(vaultId)).filter((p) => p.memo !== null && p.memo.includes(mark) && p.state !== 'cancelled').sort((a, b) => b.id - a.id);
  return found[0] ?? null;
}

/**
 * Screen the intent's receiver addresses not screened yet (each raises a hold on a match) and
 * decide: `clear` (every hold released or none), `held` (a hold pending) or `rejected` (named).
 */
async function screenIntent(deps: SettlementOnchainDeps, cycleId: string, intent: SpendIntent): Promise<{ outcome: 'clear' | 'held' | 'rejected'; holds: { member: string; address: string; holdId: string; status: string }[] }> {
  const cycles = deps.cycles;
  if (!cycles) return { outcome: 'clear', holds: [] };
  const purpose = `${intent.kind}:${intent.seq}`;
  const screened = (await deps.onchain.screenedAddresses(cycleId)).filter((a) => a.purpose === purpose);
  const fresh: ScreenedAddress[] = [];
  for (const t of intent.transfers) {
    if (screened.some((a) => a.member === t.member)) continue;
    const hold = await screenPayoutAddress({ settlement: cycles, now: deps.now }, t.address, { cycle: cycleId, member: t.member });
    fresh.push({ cycleId, purpose, member: t.member, address: t.address, holdId: hold?.id ?? null, screenedAtMs: deps.now() });
  }
  await deps.onchain.addScreenedAddresses(fresh);
  const holds: { member: string; address: string; holdId: string; status: string }[] = [];
  for (const a of [...screened, ...fresh]) {
    if (a.holdId === null) continue;
    holds.push({ member: a.member, address: a.address, holdId: a.holdId, status: (await cycles.hold(a.holdId))?.status ?? 'pending' });
  }
  const outcome = holds.some((h) => h.status === 'rejected') ? 'rejected' : holds.some((h) => h.status === 'pending') ? 'held' : 'clear';
  return { outcome, holds };
}

/**
 * One batched spend from the alliance vault of exactly `spend` to `recipients` (fee shared by
 * them), through proposeSpend; refused (and the proposal cancelled) if it took any other coin.
 *
 * Recoverable at every step: the intent (receivers' addresses, derived once) is recorded before
 * anything else; its addresses are screened (a match holds it); the proposal carries the intent's
 * tag in its memo, so a retry after a crash between proposing and recording finds and adopts it
 * instead of proposing again; the proposal id and the cycle's phase are then recorded together.
 */
async function spendEscrow(
  deps: SettlementOnchainDeps, view: EscrowView, kind: 'payout' | 'refund', recipients: readonly { member: AllianceMember; sats: bigint }[], spend: readonly Outpoint[], input: EscrowSpendInput, defaulters: readonly MemberCode[] = [], followUp = false,
): Promise<{ proposal: SpendProposal; transfers: PlannedTransfer[] }> {
  const cycleId = view.onchain.cycleId;
  const vault = await requireVaultOf(deps.vaults, view.onchain.vaultId as string);
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const inputs = spend.map((o) => `${o.txid}:${o.vout}`);
  let intent = (await deps.onchain.spendIntents(cycleId)).find((i) => i.status === 'held' || i.status === 'claimed');
  const sameReceivers = (i: SpendIntent): boolean => i.kind === kind && i.transfers.length === recipients.length && recipients.every((r) => i.transfers.some((t) => t.member === r.member.code));
  if (intent && !sameReceivers(intent)) {
    // Planned for other receivers (the cycle moved on): give it up unless it already made a proposal.
    const made = await proposalOfIntent(deps, vault.id, intent);
    if (made) throw new DomainError('INVALID_STATE', `cycle ${cycleId} has ${intent.kind} proposal ${made.id} (${made.state}) not yet recorded: cancel it first`);
    const nowMs = deps.now();
    await deps.onchain.updateSpendIntent(cycleId, intent.seq, intent.status, { status: 'abandoned' }, nowMs, auditOf(actor, 'operator', 'settlement.escrow.intent-abandoned', `settlement:${cycleId}`, { intent: intent.tag, reason: `the ${kind} now pays other receivers` }, nowMs));
    intent = undefined;
  }
  if (!intent) {
    // The receivers' addresses, derived once for this intent and kept for every retry.
    const planned: PlannedTransfer[] = [];
    for (const r of recipients) planned.push({ kind, member: r.member.code, address: await freshReceiveAddress(deps, r.member, vault.network), sats: r.sats, feeShare: 0n });
    intent = await deps.onchain.addSpendIntent({ cycleId, kind, status: 'claimed', inputs, transfers: planned }, () => [], deps.now());
  }
  const screening = await screenIntent(deps, cycleId, intent);
  const nowMs = deps.now();
  if (screening.outcome !== 'clear') {
    if (intent.status === 'claimed') await deps.onchain.updateSpendIntent(cycleId, intent.seq, 'claimed', { status: 'held' }, nowMs);
    const list = screening.holds.filter((h) => h.status !== 'released').map((h) => `${h.member}'s address ${h.address} (hold ${h.holdId}, ${h.status})`).join('; ');
    if (screening.outcome === 'rejected' && kind === 'payout') {
      throw new DomainError('INVALID_STATE', `the payout of cycle ${cycleId} cannot be made: ${list} was rejected by screening; the cycle cannot pay that receiver and is rescinded: run "soberana settlement escrow rescind ${cycleId}"`);
    }
    if (screening.outcome === 'rejected') {
      throw new DomainError('INVALID_STATE', `the ${kind} of cycle ${cycleId} cannot be made: ${list} was rejected by screening; the pay-ins stay in the alliance vault until the alliance decides`);
    }
    throw new DomainError('INVALID_STATE', `the ${kind} of cycle ${cycleId} is held by screening: ${list}; a compliance officer decides with "soberana settlement screening decide <hold> --decision release|reject --reason …"`);
  }
  if (intent.status === 'held') {
    await deps.onchain.updateSpendIntent(cycleId, intent.seq, 'held', { status: 'claimed' }, nowMs, auditOf(actor, 'operator', 'settlement.escrow.screening-cleared', `settlement:${cycleId}`, { intent: intent.tag, holds: screening.holds.map((h) => h.holdId) }, nowMs));
    intent = { ...intent, status: 'claimed' };
  }
  const addresses = new Map(intent.transfers.map((t) => [t.member, t.address]));
  let made = await proposalOfIntent(deps, vault.id, intent);
  let transfers: PlannedTransfer[];
  if (made) {
    // A crash after proposing, before recording: adopt the proposal (its outputs are the transfers).
    const proposal = made;
    transfers = intent.transfers.map((t) => {
      const out = proposal.outputs.find((o) => o.address === t.address);
      const planned = recipients.find((r) => r.member.code === t.member)?.sats ?? t.sats;
      return { ...t, sats: out?.sats ?? t.sats, feeShare: out ? planned - out.sats : t.feeShare };
    });
  } else {
    const feeRate = await resolveFeeRate(deps, input.feeRateSatPerKvb, input.targetBlocks);
    const scripts = recipients.map((r) => addressToScript(addresses.get(r.member.code) as string, vault.network));
    const { inputWeight } = vaultSpendShape(vault);
    // Exact weight with the audit anchor output; a few sats of margin cover coin selection's
    // rounding of fee shares (one sat per part at most), so the pay-ins alone always suffice.
    const weight = txWeight(spend.map(() => inputWeight), [...scripts.map((x) => x.length), ANCHOR_SCRIPT_LENGTH]);
    const fee = feeForWeight(weight, feeRate) + BigInt(spend.length + scripts.length + 2);
    const dust = scripts.reduce((m, x) => (dustLimitForScript(x) > m ? dustLimitForScript(x) : m), 0n);
    const shared = shareFee(recipients.map((r) => ({ member: r.member.code, sats: r.sats })), fee, dust);
    transfers = shared.map((x) => ({ kind, member: x.member, address: addresses.get(x.member) as string, sats: x.sats, feeShare: x.feeShare }));
    const what = kind === 'refund' ? (followUp ? ' (late pay-in of a rescinded cycle)' : ` (rescinded${defaulters.length > 0 ? `: ${defaulters.join(', ')} missed the deadline` : ''})`) : '';
    const memo = `settlement ${cycleId} ${kind}${what} [${intent.tag}]`;
    made = (await proposeSpend(deps, { actor: input.actor, vault: vault.id, payments: transfers.map((t) => ({ address: t.address, sats: t.sats })), feeRateSatPerKvb: feeRate, memo, utxos: spend })).proposal;
  }
  const proposal = made;
  const allowed = new Set(inputs);
  const foreign = proposal.inputs.filter((i) => !allowed.has(`${i.txid}:${i.vout}`));
  if (foreign.length > 0) {
    await cancelProposal(deps, { actor: input.actor, proposalId: proposal.id, reason: `settlement ${cycleId}: the ${kind} must spend only the cycle's pay-ins` });
    throw new DomainError('INVALID_STATE', `the ${kind} of cycle ${cycleId} would have spent coins other than its pay-ins (${foreign.map((i) => `${i.txid}:${i.vout}`).join(', ')}); proposal ${proposal.id} was cancelled`);
  }
  const recordedAt = deps.now();
  const details = { proposal: proposal.id, intent: intent.tag, feeSats: proposal.feeSats, defaulters, transfers: transfers.map((t) => ({ member: t.member, address: t.address, sats: t.sats, feeShare: t.feeShare })) };
  if (followUp) {
    await deps.onchain.updateSpendIntent(cycleId, intent.seq, 'claimed', { status: 'proposed', proposalId: proposal.id, transfers }, recordedAt, auditOf(actor, 'operator', 'settlement.escrow.late-refund', `settlement:${cycleId}`, details, recordedAt));
  } else {
    await deps.onchain.recordSpend(cycleId, { kind, proposalId: proposal.id, transfers, defaulters, intentSeq: intent.seq }, auditOf(actor, 'operator', kind === 'payout' ? 'settlement.escrow.payout' : 'settlement.escrow.rescind', `settlement:${cycleId}`, details, recordedAt), recordedAt);
  }
  return { proposal, transfers };
}
