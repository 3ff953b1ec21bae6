/**
 * Alliance settlement, on-chain phase in escrow mode (issue #16 item 5): a pure state machine over a
 * `ClosedCycle`. No I/O: the app (`app/settlement/escrow.ts`) derives the addresses, reads what
 * sync stored and proposes the spends; this module only decides.
 *
 * The phases of a cycle:
 * 1. **collecting** — every net payer owes one pay-in of exactly its net payable to a fresh address
 *    of the alliance vault derived for that cycle and payer (`escrowPayIns`). Each pay-in is
 *    `pending` (not fully visible), `seen` (the full amount is visible, in the mempool or with fewer
 *    than K confirmations) or `confirmed` (the full amount has K confirmations, default 6) —
 *    recomputed from the chain after every sync (`observePayIn`), so a reorged pay-in goes back to
 *    `pending` (or `seen`, if its transaction returned to the mempool).
 * 2. **deadline** — a block height. A payer whose full pay-in is not mined in a block at or below
 *    the deadline has missed it (confirmations may still accumulate after the deadline).
 * 3. **payout ready** — every pay-in is `confirmed` and none missed the deadline: one batched
 *    payout to all net receivers, spending ONLY this cycle's confirmed pay-in outputs
 *    (`decideEscrow`). Nobody is paid with money that has not arrived.
 * 4. **rescind** — the tip is past the deadline and some payer missed it (or a compliance officer
 *    rejected a receiver's payout address): every pay-in output that has arrived (mined) is
 *    refunded to its payer in one transaction, the defaulters are recorded, and the cycle must be
 *    netted again without the defaulters' (or the refused receiver's) invoices (`renet`).
 * 5. **late pay-ins** — an output that reaches a rescinded cycle's pay-in address after its refund
 *    was decided (or was still in the mempool then) is refunded by a follow-up refund once mined
 *    (`lateRefunds`): never kept silently.
 *
 * Fees: the payout (or refund) transaction's fee is shared by its recipients in proportion to what
 * they receive (`shareFee`, largest remainder); each payer bears the fee of its own pay-in.
 */
import { DomainError } from '../errors.ts';
import { sats, type Sats } from '../money.ts';
import type { ClosedCycle, MemberCode } from './types.ts';

/** Confirmations a pay-in needs before it may be paid out (issue #16: K, default 6). */
export const DEFAULT_PAYIN_CONFIRMATIONS = 6;

export type PayInStatus = 'pending' | 'seen' | 'confirmed';

/** What a net payer owes the alliance vault in a cycle. */
export interface ExpectedPayIn {
  readonly payer: MemberCode;
  readonly sats: Sats;
}

/** What a net receiver gets from the payout, before its share of the payout fee. */
export interface ExpectedPayout {
  readonly member: MemberCode;
  readonly sats: Sats;
}

/**
 * The pay-ins of a cycle: one per net payer (negative position), of exactly its net payable,
 * ordered by member code.
 * @example escrowPayIns(cycle) // [{ payer: 'PAK', sats: 1_200_000n }, { payer: 'RUS', sats: 300_000n }]
 */
export function escrowPayIns(cycle: ClosedCycle): ExpectedPayIn[] {
  assertBalanced(cycle);
  return cycle.positions.filter((p) => p.sats < 0n).map((p) => ({ payer: p.member, sats: sats(-p.sats, `pay-in of ${p.member}`) })).sort((a, b) => cmp(a.payer, b.payer));
}

/** The payouts of a cycle: one per net receiver (positive position), ordered by member code. */
export function escrowPayouts(cycle: ClosedCycle): ExpectedPayout[] {
  assertBalanced(cycle);
  return cycle.positions.filter((p) => p.sats > 0n).map((p) => ({ member: p.member, sats: sats(p.sats, `payout of ${p.member}`) })).sort((a, b) => cmp(a.member, b.member));
}

function assertBalanced(cycle: ClosedCycle): void {
  const seen = new Set<string>();
  let total = 0n;
  for (const p of cycle.positions) {
    if (typeof p.sats !== 'bigint') throw new TypeError(`escrow: position of ${p.member} expected bigint sats`);
    if (seen.has(p.member)) throw new RangeError(`escrow: cycle ${cycle.id} lists ${p.member} twice`);
    seen.add(p.member);
    total += p.sats;
  }
  if (total !== 0n) throw new RangeError(`escrow: cycle ${cycle.id} positions sum to ${total} sats, not 0`);
}

/** An output paying a pay-in address, as the alliance vault's sync stored it. */
export interface PayInOutput {
  readonly txid: string;
  readonly vout: number;
  readonly sats: bigint;
  /** Block height, or null while unconfirmed (mempool). */
  readonly height: number | null;
}

/** A pay-in as the chain shows it now. */
export interface PayInObservation {
  readonly status: PayInStatus;
  /** Everything visible at the address (mempool included). */
  readonly receivedSats: bigint;
  /** Mined at any depth. */
  readonly minedSats: bigint;
  /** Mined in a block at or below the deadline (what the deadline counts). */
  readonly minedByDeadlineSats: bigint;
  /** Confirmations of the outputs that complete the amount (0 while not fully mined). */
  readonly confirmations: number;
  /** The outputs, lowest height first (mempool last). */
  readonly outputs: readonly PayInOutput[];
}

/** Confirmations of an output at `height` with the chain tip at `tipHeight` (0 when unconfirmed). */
export function confirmationsAt(height: number | null, tipHeight: number): number {
  if (height === null) return 0;
  return height > tipHeight ? 0 : tipHeight - height + 1;
}

/**
 * The status of one pay-in from the outputs paying its address (several payments to the same
 * address add up). `confirmed` needs the full amount with at least `k` confirmations.
 * @example observePayIn(1000n, [{ txid, vout: 0, sats: 1000n, height: 100 }], 105, 6, 110).status // 'seen' (6th conf at 106)
 */
export function observePayIn(expected: bigint, outputs: readonly PayInOutput[], tipHeight: number, k: number, deadlineHeight: number): PayInObservation {
  if (expected <= 0n) throw new RangeError(`observePayIn: "expected" must be positive, got ${expected}`);
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`observePayIn: "k" must be a positive integer, got ${k}`);
  const sorted = [...outputs].sort((a, b) => (a.height ?? Number.MAX_SAFE_INTEGER) - (b.height ?? Number.MAX_SAFE_INTEGER) || cmp(a.txid, b.txid) || a.vout - b.vout);
  let received = 0n;
  let mined = 0n;
  let byDeadline = 0n;
  let confirmations = 0;
  for (const o of sorted) {
    received += o.sats;
    const c = confirmationsAt(o.height, tipHeight);
    if (c > 0) mined += o.sats;
    if (c > 0 && o.height !== null && o.height <= deadlineHeight) byDeadline += o.sats;
    // The confirmations of the pay-in are those of the output that completes the amount.
    if (c > 0 && mined >= expected && confirmations === 0) confirmations = c;
  }
  const status: PayInStatus = mined >= expected && confirmations >= k ? 'confirmed' : received >= expected ? 'seen' : 'pending';
  return { status, receivedSats: received, minedSats: mined, minedByDeadlineSats: byDeadline, confirmations: mined >= expected ? confirmations : 0, outputs: sorted };
}

/** One pay-in of a cycle as the decision sees it. */
export interface TrackedPayIn {
  readonly payer: MemberCode;
  readonly expected: bigint;
  readonly observation: PayInObservation;
}

export interface Outpoint {
  readonly txid: string;
  readonly vout: number;
}

export type EscrowDecision =
  | { readonly kind: 'waiting'; readonly pending: readonly MemberCode[]; readonly blocksToDeadline: number }
  | { readonly kind: 'payout-ready'; readonly payouts: readonly ExpectedPayout[]; readonly spend: readonly Outpoint[]; readonly spendSats: bigint }
  | { readonly kind: 'rescind'; readonly defaulters: readonly MemberCode[]; readonly refunds: readonly Refund[]; readonly renet: RenetRequest; readonly refused?: readonly MemberCode[] }
  /** A rescinded cycle's pay-in address received more after its refund: refund it too (`lateRefunds`). */
  | { readonly kind: 'late-refund'; readonly refunds: readonly Refund[]; readonly unconfirmed: readonly MemberCode[] };

/** A refund of what a payer's pay-in brought (mined outputs only), before its share of the fee. */
export interface Refund {
  readonly payer: MemberCode;
  readonly sats: Sats;
  readonly spend: readonly Outpoint[];
}

/**
 * What the cycle store does after a rescind: net the cycle again without the invoices of
 * `excludeMembers` (as exporter or importer). Plain data, acted on by the store's cycle code.
 */
export interface RenetRequest {
  readonly cycleId: string;
  readonly excludeMembers: readonly MemberCode[];
  readonly reason: string;
}

/**
 * Decide a cycle's next on-chain step from its pay-ins and the tip.
 * - every pay-in `confirmed` and none missed the deadline → `payout-ready`, spending exactly the
 *   pay-in outputs (mined ones, each counted once) and nothing else;
 * - the tip past `deadlineHeight` and a payer whose full pay-in was not mined by then → `rescind`;
 * - otherwise `waiting`.
 * A pay-in output is spent whole; the payout pays exactly `payouts` (minus fee shares), so an
 * overpayment stays in the alliance vault as change.
 */
export function decideEscrow(input: { cycle: ClosedCycle; payIns: readonly TrackedPayIn[]; tipHeight: number; deadlineHeight: number; refused?: readonly MemberCode[] | undefined }): EscrowDecision {
  const { cycle, payIns, tipHeight, deadlineHeight } = input;
  const refused = [...new Set(input.refused ?? [])].sort(cmp);
  const expected = escrowPayIns(cycle);
  if (expected.length !== payIns.length || expected.some((e) => !payIns.some((p) => p.payer === e.payer && p.expected === e.sats))) {
    throw new RangeError(`decideEscrow: the tracked pay-ins do not match cycle ${cycle.id}'s net payers`);
  }
  const minedRefunds = (): Refund[] => {
    const refunds: Refund[] = [];
    for (const p of payIns) {
      const mined = p.observation.outputs.filter((o) => o.height !== null && o.height <= tipHeight);
      const total = mined.reduce((s, o) => s + o.sats, 0n);
      if (total > 0n) refunds.push({ payer: p.payer, sats: sats(total, `refund of ${p.payer}`), spend: mined.map((o) => ({ txid: o.txid, vout: o.vout })) });
    }
    return refunds;
  };
  const missed = payIns.filter((p) => p.observation.minedByDeadlineSats < p.expected).map((p) => p.payer);
  if (tipHeight > deadlineHeight && missed.length > 0) {
    return {
      kind: 'rescind', defaulters: missed, refunds: minedRefunds(),
      renet: { cycleId: cycle.id, excludeMembers: [...new Set([...missed, ...refused])].sort(cmp), reason: `${missed.join(', ')} missed the pay-in deadline at height ${deadlineHeight}${refused.length > 0 ? `; the payout address of ${refused.join(', ')} was rejected by screening` : ''}` },
      ...(refused.length > 0 ? { refused } : {}),
    };
  }
  if (refused.length > 0) {
    // A compliance officer rejected a receiver's payout address: the cycle cannot pay that
    // receiver, so it is rescinded at once (every pay-in that arrived refunded) and netted again without it.
    return {
      kind: 'rescind', defaulters: [], refunds: minedRefunds(), refused,
      renet: { cycleId: cycle.id, excludeMembers: refused, reason: `the payout address of ${refused.join(', ')} was rejected by screening` },
    };
  }
  const notConfirmed = payIns.filter((p) => p.observation.status !== 'confirmed').map((p) => p.payer);
  if (notConfirmed.length > 0 || missed.length > 0) {
    return { kind: 'waiting', pending: [...new Set([...notConfirmed, ...missed])].sort(cmp), blocksToDeadline: Math.max(0, deadlineHeight - tipHeight) };
  }
  const spend: Outpoint[] = [];
  let spendSats = 0n;
  for (const p of payIns) {
    // The outputs that make up the confirmed amount (a later extra payment with fewer confirmations waits).
    const lastHeight = tipHeight - p.observation.confirmations + 1;
    for (const o of p.observation.outputs) {
      if (o.height === null || o.height > lastHeight) continue;
      spend.push({ txid: o.txid, vout: o.vout });
      spendSats += o.sats;
    }
  }
  return { kind: 'payout-ready', payouts: escrowPayouts(cycle), spend, spendSats };
}

/**
 * After a cycle was rescinded and its refund proposed, what its pay-in addresses still hold: every
 * output there that is unspent and not held by a live proposal is a late pay-in (it arrived, or was
 * mined, after the refund was decided). Mined ones are refunded to their payer (one follow-up refund
 * for all); unconfirmed ones are named and wait for a block. Nothing is kept silently.
 * @example lateRefunds([{ payer: 'RUS', outputs: [{ txid, vout: 0, sats: 5000n, height: 120 }] }]) // refunds: [{ payer: 'RUS', sats: 5000n, … }]
 */
export function lateRefunds(payIns: readonly { payer: MemberCode; outputs: readonly PayInOutput[] }[]): { refunds: Refund[]; unconfirmed: MemberCode[] } {
  const refunds: Refund[] = [];
  const unconfirmed = new Set<MemberCode>();
  for (const p of [...payIns].sort((a, b) => cmp(a.payer, b.payer))) {
    const mined = p.outputs.filter((o) => o.height !== null).sort((a, b) => cmp(a.txid, b.txid) || a.vout - b.vout);
    if (p.outputs.some((o) => o.height === null)) unconfirmed.add(p.payer);
    const total = mined.reduce((s, o) => s + o.sats, 0n);
    if (total > 0n) refunds.push({ payer: p.payer, sats: sats(total, `late refund of ${p.payer}`), spend: mined.map((o) => ({ txid: o.txid, vout: o.vout })) });
  }
  return { refunds, unconfirmed: [...unconfirmed] };
}

/**
 * A direct-mode payer's batched payment from what the chain shows of each of its payments (the
 * outputs paying each receiver's address): `paid` when every payment has its full amount with at
 * least `k` confirmations, `seen` when every payment is visible in full, else `pending`.
 * Recomputed after every sync, so a reorged payment goes back to pending.
 * @example directPaymentStatus([{ expected: 1000n, outputs: [{ txid, vout: 1, sats: 1000n, height: 100 }] }], 105, 6) // { status: 'paid', confirmations: 6, … }
 */
export function directPaymentStatus(payments: readonly { expected: bigint; outputs: readonly PayInOutput[] }[], tipHeight: number, k: number): { status: 'pending' | 'seen' | 'paid'; confirmations: number; txid: string | null; height: number | null } {
  if (payments.length === 0) throw new RangeError('directPaymentStatus: no payments');
  const obs = payments.map((p) => observePayIn(p.expected, p.outputs, tipHeight, k, tipHeight));
  const confirmations = Math.min(...obs.map((o) => o.confirmations));
  const status = obs.every((o) => o.status === 'confirmed') ? 'paid' : obs.every((o) => o.status !== 'pending') ? 'seen' : 'pending';
  const last = obs.flatMap((o) => o.outputs).sort((a, b) => (a.height ?? Number.MAX_SAFE_INTEGER) - (b.height ?? Number.MAX_SAFE_INTEGER)).pop() ?? null;
  return { status, confirmations: status === 'pending' ? 0 : confirmations, txid: last?.txid ?? null, height: last?.height ?? null };
}

/**
 * Share a transaction fee among recipients in proportion to their amounts (largest remainder,
 * ties by member code): the shares sum to exactly `fee`. Each recipient gets its amount minus its
 * share; a result at or below `dustLimit` is refused (the cycle's amounts are too small to settle
 * on chain at this fee rate).
 * @example shareFee([{ member: 'PAK', sats: 3000n }, { member: 'SLV', sats: 1000n }], 400n, 330n) // PAK 2700, SLV 900
 */
export function shareFee(amounts: readonly { member: MemberCode; sats: bigint }[], fee: bigint, dustLimit: bigint): { member: MemberCode; sats: Sats; feeShare: bigint }[] {
  if (fee < 0n) throw new RangeError(`shareFee: "fee" must not be negative, got ${fee}`);
  const total = amounts.reduce((s, a) => s + a.sats, 0n);
  if (amounts.length === 0 || total <= 0n) throw new RangeError('shareFee: nothing to share the fee among');
  const base = amounts.map((a) => ({ member: a.member, sats: a.sats, share: (fee * a.sats) / total, rem: (fee * a.sats) % total }));
  let left = fee - base.reduce((s, b) => s + b.share, 0n);
  const order = [...base].sort((a, b) => (a.rem === b.rem ? cmp(a.member, b.member) : a.rem > b.rem ? -1 : 1));
  for (const b of order) {
    if (left === 0n) break;
    b.share += 1n;
    left -= 1n;
  }
  return base.map((b) => {
    const net = b.sats - b.share;
    if (net <= dustLimit) throw new DomainError('DUST_OUTPUT', `${b.member} would receive ${net} sats after its ${b.share}-sat share of the fee: below the dust limit of ${dustLimit} sats`);
    return { member: b.member, sats: sats(net, `net of ${b.member}`), feeShare: b.share };
  });
}

/** Code-point order (stable across locales). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
