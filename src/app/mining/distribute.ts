/**
 * Distribute a venture's payouts of one period (issue #17): ONE batched spend proposal from the
 * venture vault, made by `proposeSpend` (so the venture vault's policy and quorum apply, and the
 * proposal goes through approvals, signing and broadcast like any other), spending exactly the
 * period's payout coins and paying each partner its part at a fresh address of its settlement vault
 * or descriptor. No change output: everything the period received leaves, less the network fee.
 *
 * The fee is taken from the total before the split (decided here, tested in
 * test/mining/mining-distribution-regtest.test.ts): the fee of exactly this transaction (the period's
 * coins in, one output per partner with a part, the audit anchor) at the fee rate is computed first,
 * and each partner bears a part of it proportional to its gross part (core/mining/venture.ts
 * `splitPeriod`). So the venture vault keeps nothing and the partners' payments plus the fee equal
 * the payouts, to the sat.
 *
 * Once per period: the period is claimed in the store first (its primary key admits one claim), so
 * of concurrent runs exactly one proposes; the others get the claim's state. A run that finds the
 * period proposed returns that distribution (`already: true`), unless its proposal was cancelled:
 * then the period is reopened (audited) and proposed again. A claim whose proposal could not be
 * made (a policy denial, too few coins) is released. A claim left by a crash is taken over after
 * ten minutes.
 *
 * A period can be distributed once it has ended (by the injected clock), and once every coinbase
 * in it has matured (100 blocks, counted from the vault's synced tip).
 */
import { DomainError } from '../../core/errors.ts';
import { addressToScript } from '../../core/bitcoin/address.ts';
import { createDeriver, parseDescriptor } from '../../core/bitcoin/descriptor.ts';
import { auditAnchorScript } from '../../core/audit/anchor.ts';
import { feeForWeight, txWeight } from '../../core/coinselect/tx-size.ts';
import { toJson } from '../../core/json.ts';
import type { Payout } from '../../core/mining/payouts.ts';
import { assertPeriod, periodBounds, splitPeriod, type DistributionRecord, type MiningStore, type PeriodSplit } from '../../core/mining/venture.ts';
import type { Sats } from '../../core/money.ts';
import type { SpendProposal } from '../../core/spend/types.ts';
import { auditOf, requireActor, type GovernanceDeps } from '../governance.ts';
import { heldOutpoints, proposeSpend, resolveFeeRate, vaultSpendShape } from '../propose-spend.ts';
import { listPayouts } from './payouts.ts';

/** Blocks before a coinbase output may be spent (consensus). */
export const COINBASE_MATURITY = 100;
/** A claim older than this without a proposal is taken to be a crashed run's. */
export const STALE_CLAIM_MS = 10 * 60_000;

export interface DistributeInput {
  readonly actor: string | undefined;
  readonly venture: string;
  /** YYYY-MM. */
  readonly period: string;
  readonly feeRateSatPerKvb?: bigint | undefined;
  readonly targetBlocks?: number | undefined;
}

export interface DistributionPlan {
  readonly venture: string;
  readonly period: string;
  readonly payouts: readonly { txid: string; kind: string; height: number; blockTime: number; sats: Sats; siteId: string | null }[];
  readonly split: PeriodSplit;
  readonly outputs: readonly { partner: string; address: string; sats: Sats; settlement: string }[];
  readonly feeRateSatPerKvb: bigint;
}

export interface DistributeResult {
  readonly distribution: DistributionRecord;
  readonly proposal: SpendProposal;
  readonly plan: DistributionPlan;
  /** The period was distributed before this call (nothing new was proposed). */
  readonly already: boolean;
}

export type DistributeDeps = GovernanceDeps & { readonly mining: MiningStore };

/** The plan a stored distribution was proposed with. */
export function planOf(record: DistributionRecord): DistributionPlan {
  const SATS_KEYS = new Set(['sats', 'totalSats', 'feeSats', 'grossSats', 'netSats', 'feeRateSatPerKvb']);
  // amounts are stored as decimal strings (core/json.ts): read them back as bigint
  return JSON.parse(record.document, (k, v: unknown) => (SATS_KEYS.has(k) && typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : v)) as DistributionPlan;
}

async function existing(deps: DistributeDeps, record: DistributionRecord): Promise<DistributeResult> {
  const proposal = record.proposalId === null ? null : await deps.spends.proposal(record.proposalId);
  if (!proposal) throw new DomainError('MALFORMED_DATA', `the distribution of ${record.ventureId} ${record.period} names proposal ${String(record.proposalId)}, which does not exist`);
  return { distribution: record, proposal, plan: planOf(record), already: true };
}

/**
 * Propose the distribution of `period` (see the module comment).
 * @throws FORBIDDEN (not an operator), NOT_FOUND, INVALID_ARGUMENT (period), INVALID_STATE (period not over, no payouts, a coinbase not mature, a payout coin spent or held, a claim in progress, no share table in force), DUST_OUTPUT, POLICY_DENIED, INSUFFICIENT_FUNDS
 * @example const { proposal, plan } = await distributePeriod(deps, { actor: 'luis', venture: 'geo', period: '2026-11', feeRateSatPerKvb: 2_000n })
 */
export async function distributePeriod(deps: DistributeDeps, input: DistributeInput): Promise<DistributeResult> {
  assertPeriod(input.period);
  const actor = await requireActor(deps.spends, input.actor, 'operator');
  const view = await listPayouts(deps, input.venture, input.period);
  const { venture, vault } = view;
  let found = await deps.mining.distribution(venture.id, input.period);
  if (found?.state === 'proposed') {
    const done = await existing(deps, found);
    if (done.proposal.state !== 'cancelled') return done;
    // Its proposal was cancelled before it spent anything: the period may be distributed again.
    await deps.mining.reopenDistribution(venture.id, input.period, done.proposal.id, auditOf(actor, 'operator', 'mining.distribute.reopen', `venture:${venture.id}`, { period: input.period, cancelledProposal: done.proposal.id }, deps.now()));
    found = null;
  }
  const nowMs = deps.now();
  const { endSec } = periodBounds(input.period);
  if (nowMs < endSec * 1000) throw new DomainError('INVALID_STATE', `period ${input.period} has not ended yet (it ends ${new Date(endSec * 1000).toISOString()}): a period is distributed once, after it ends`);
  const payouts = view.payouts;
  if (payouts.length === 0) throw new DomainError('INVALID_STATE', `venture ${venture.name} received no payouts in ${input.period} (as synced: run "soberana sync" first)`);
  checkSpendable(payouts, view.tipHeight, await heldOutpoints(deps, vault.id));
  const versions = await deps.mining.shareVersions(venture.id);
  splitPeriod(payouts, versions, 0n); // a payout before the first table fails here, before the claim

  if (found?.state === 'claimed') {
    if (nowMs - found.claimedAtMs < STALE_CLAIM_MS) throw new DomainError('INVALID_STATE', `the distribution of ${venture.name} ${input.period} is being proposed by ${found.claimedBy} right now`);
    await deps.mining.releaseDistribution(venture.id, input.period, found.claimedAtMs);
  }
  const total = payouts.reduce((s, p) => s + p.sats, 0n) as Sats;
  const claim = await deps.mining.claimDistribution(
    { ventureId: venture.id, period: input.period, state: 'claimed', proposalId: null, totalSats: total, feeSats: 0n as Sats, document: '{}', claimedBy: actor.id, claimedAtMs: nowMs, proposedAtMs: null },
    auditOf(actor, 'operator', 'mining.distribute.claim', `venture:${venture.id}`, { period: input.period, totalSats: total, payouts: payouts.map((p) => p.txid) }, nowMs),
  );
  if (!claim.claimed) {
    if (claim.record.state === 'proposed') return existing(deps, claim.record);
    throw new DomainError('INVALID_STATE', `the distribution of ${venture.name} ${input.period} is being proposed by ${claim.record.claimedBy} right now`);
  }
  try {
    const feeRate = await resolveFeeRate(deps, input.feeRateSatPerKvb, input.targetBlocks);
    const partners = new Map((await deps.mining.partners(venture.id)).map((p) => [p.id, p]));
    // The parts before the fee decide who gets an output; the fee is then that transaction's.
    const gross = splitPeriod(payouts, versions, 0n).parts.filter((p) => p.grossSats > 0n);
    const addresses = new Map<string, { address: string; settlement: string }>();
    for (const part of gross) {
      const partner = partners.get(part.partner);
      if (!partner) throw new DomainError('MALFORMED_DATA', `share table names partner ${part.partner}, which venture ${venture.id} does not have`);
      if (partner.settlement.kind === 'vault') {
        const a = await deps.vaults.reserveAddress(partner.settlement.vaultId, 0);
        if (!a) throw new DomainError('INVALID_STATE', `partner ${partner.id}'s settlement vault ${partner.settlement.vaultId} has no unused receive address left: sync it first`);
        addresses.set(partner.id, { address: a.address, settlement: `vault ${partner.settlement.vaultId} receive ${a.index}` });
      } else {
        const index = await deps.mining.takePartnerIndexes(venture.id, partner.id, 1);
        const address = createDeriver(parseDescriptor(partner.settlement.descriptor, { requireChecksum: false }), deps.network).derive(false, index).address;
        addresses.set(partner.id, { address, settlement: `descriptor receive ${index}` });
      }
    }
    const { inputWeight } = vaultSpendShape(vault);
    const coins = payouts.flatMap((p) => p.outputs.map((o) => ({ txid: p.txid, vout: o.vout })));
    const anchorLength = auditAnchorScript({ seq: 1, hash: '00'.repeat(32) }).length;
    const scripts = gross.map((g) => addressToScript((addresses.get(g.partner) as { address: string }).address, deps.network).length);
    // The exact fee of this transaction, plus one vbyte per input and output (and two) at the same rate:
    // coin selection estimates with fractional fee shares and may otherwise find the coins a sat short;
    // the margin stays in the fee (far below the cost of a change output), so the fee the partners bear
    // is the transaction's fee.
    const fee = feeForWeight(txWeight(coins.map(() => inputWeight), [...scripts, anchorLength]) + 4 * (coins.length + scripts.length + 3), feeRate);
    const split = splitPeriod(payouts, versions, fee);
    const outputs = split.parts.filter((p) => p.grossSats > 0n).map((p) => {
      const a = addresses.get(p.partner) as { address: string; settlement: string };
      return { partner: p.partner, address: a.address, sats: p.netSats, settlement: a.settlement };
    });
    const plan: DistributionPlan = {
      venture: venture.id, period: input.period, payouts: payouts.map((p) => ({ txid: p.txid, kind: p.kind, height: p.height, blockTime: p.blockTime, sats: p.sats, siteId: p.siteId })),
      split, outputs, feeRateSatPerKvb: feeRate,
    };
    const { proposal } = await proposeSpend(deps, {
      actor: input.actor, vault: vault.id, payments: outputs.map((o) => ({ address: o.address, sats: o.sats })), feeRateSatPerKvb: feeRate,
      memo: `Mining distribution: ${venture.name}, ${input.period} (${outputs.map((o) => o.partner).join(', ')})`, utxos: coins, auditAnchor: true,
    });
    const proposedCoins = new Set(proposal.inputs.map((i) => `${i.txid}:${i.vout}`));
    if (proposal.changeSats !== 0n || proposedCoins.size !== coins.length || coins.some((c) => !proposedCoins.has(`${c.txid}:${c.vout}`))) {
      // Cannot happen when the fee above is the transaction's; kept loud rather than silent.
      throw new RangeError(`distributePeriod: proposal ${proposal.id} does not spend exactly the period's coins without change`);
    }
    const atMs = deps.now();
    const document = toJson(plan);
    await deps.mining.completeDistribution(venture.id, input.period, proposal.id, document, split.totalSats, proposal.feeSats as Sats, atMs,
      auditOf(actor, 'operator', 'mining.distribute', `venture:${venture.id}`, { period: input.period, proposal: proposal.id, totalSats: split.totalSats, feeSats: proposal.feeSats, outputs }, atMs));
    const distribution = await deps.mining.distribution(venture.id, input.period);
    if (!distribution) throw new DomainError('STORE_UNAVAILABLE', `the distribution of ${venture.id} ${input.period} vanished after it was recorded`);
    return { distribution, proposal, plan, already: false };
  } catch (e) {
    await deps.mining.releaseDistribution(venture.id, input.period, nowMs);
    throw e;
  }
}

function checkSpendable(payouts: readonly Payout[], tipHeight: number | null, held: ReadonlySet<string>): void {
  for (const p of payouts) {
    for (const o of p.outputs) {
      if (o.spentTxid !== null) throw new DomainError('INVALID_STATE', `payout ${p.txid}:${o.vout} was already spent (by ${o.spentTxid}): the period cannot be distributed from the payouts themselves`);
      if (held.has(`${p.txid}:${o.vout}`)) throw new DomainError('INVALID_STATE', `payout ${p.txid}:${o.vout} is held by another live proposal`);
    }
    if (p.kind === 'coinbase') {
      const depth = tipHeight === null ? 0 : tipHeight + 1 - p.height;
      if (depth < COINBASE_MATURITY) throw new DomainError('INVALID_STATE', `coinbase reward ${p.txid} (block ${p.height}) matures after ${COINBASE_MATURITY} blocks: ${COINBASE_MATURITY - depth} more block(s) to go (then sync)`);
    }
  }
}

/** Every distribution of a venture, with its proposal's state now. */
export async function listDistributions(deps: DistributeDeps, ventureId: string): Promise<{ record: DistributionRecord; proposalState: string | null; txid: string | null }[]> {
  const out = [];
  for (const r of await deps.mining.distributions(ventureId)) {
    const p = r.proposalId === null ? null : await deps.spends.proposal(r.proposalId);
    out.push({ record: r, proposalState: p?.state ?? null, txid: p?.txid ?? null });
  }
  return out;
}

