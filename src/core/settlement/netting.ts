/**
 * Multilateral netting (issue #16 item 4): the net of every member, kept incrementally as invoices
 * arrive, and the fewest settlement transfers that clear it.
 *
 * `NetBook` holds, per (member, currency), the member's net in minor units — receivables (it is the
 * exporter) minus payables (it is the importer). `add`/`remove` cost O(1), so closing a cycle never
 * walks its invoices: `closePositions` costs O(members × currencies) plus a sort of the members.
 *
 * `settlementTransfers` — the algorithm. With N members whose position is non-zero, any set of
 * transfers that settles them forms a graph whose connected components each sum to zero, and a
 * component of k members needs at least k − 1 transfers. So the minimum number of transfers is
 * N − G, where G is the largest number of disjoint zero-sum groups the members can be partitioned
 * into; and it is reached by settling each group with exactly |group| − 1 transfers.
 *   - G exactly, for N ≤ 16: dynamic programming over the 2^N subsets. sum[mask] is the sum of the
 *     positions in mask (built from mask without its lowest member). dp[mask] = max over members i
 *     in mask of dp[mask \ {i}], plus 1 when sum[mask] = 0. Reading a chain of subsets from ∅ to
 *     the full set, adding one member at a time, dp counts how many of them sum to zero; the
 *     differences between consecutive zero-sum subsets are the zero-sum groups, and every partition
 *     into G zero-sum groups is such a chain (add the groups one after another). O(2^N · N) time,
 *     O(2^N) memory. The groups are read back along the chosen chain (ties: the lowest index).
 *   - Beyond 16 members: members whose positions cancel exactly in pairs (+x, −x) form groups of
 *     two, the rest is one group. Never more than N − 1 transfers, not always the minimum.
 *   - Within a group: the largest payer pays the largest receiver the smaller of the two amounts,
 *     until the group is settled. Each transfer settles at least one of them and the last settles
 *     both, so a group of k members takes at most k − 1 transfers (exactly k − 1 when no smaller
 *     zero-sum group is inside it).
 * Members are taken in member-code order and ties go to the lower code; the transfers are returned
 * sorted by payer then receiver. The same positions always give the same transfers.
 */
import { DomainError } from '../errors.ts';
import { MAX_MONEY, type Sats } from '../money.ts';
import { allocatePositions, RateTable } from './rates.ts';
import type { LockedRate, MemberCode, NetPosition, NettableInvoice, SettlementTransfer } from './types.ts';

/** One (member, currency) net in minor units: positive = owed to the member. */
export interface NetEntry {
  readonly member: MemberCode;
  readonly currency: string;
  readonly netMinor: bigint;
}

/** A NetBook's state, in member then currency order: what a store persists and `NetBook.fromSnapshot` restores. */
export interface NetBookSnapshot {
  /** The number of invoices in the book. */
  readonly invoices: number;
  /** Every member with at least one invoice in the book, in code order. */
  readonly members: readonly MemberCode[];
  /** Each member's net per currency (zero nets left out), member then currency order. */
  readonly nets: readonly NetEntry[];
  /** The gross value of the book per currency, in minor units: Σ invoice amounts (for the netting efficiency). */
  readonly gross: readonly { readonly currency: string; readonly minor: bigint }[];
  /** How many invoices each member is party to (exporter or importer), in member order. */
  readonly invoicesByMember: readonly { readonly member: MemberCode; readonly invoices: number }[];
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkInvoice(inv: NettableInvoice): void {
  if (typeof inv.amountMinor !== 'bigint' || inv.amountMinor <= 0n) throw new RangeError(`"amountMinor" of invoice ${inv.reference} expected a positive bigint, got ${String(inv.amountMinor)}`);
  if (inv.exporter === inv.importer) throw new RangeError(`invoice ${inv.reference}: exporter and importer are both ${inv.exporter}`);
}

/**
 * The nets of a set of invoices, maintained incrementally. It does no deduplication: the caller
 * adds each invoice once (the store and the file parser enforce reference idempotency) and removes
 * only what it added.
 * @example
 *   const book = new NetBook();
 *   book.add({ reference: 'R1', exporter: 'SLV', importer: 'RUS', amountMinor: 125050n, currency: 'USD' });
 *   book.netMinor('RUS', 'USD') // -125050n
 */
export class NetBook {
  readonly #nets = new Map<MemberCode, Map<string, bigint>>();
  readonly #count = new Map<MemberCode, number>();
  readonly #gross = new Map<string, bigint>();
  #invoices = 0;

  /** A book holding a snapshot's state (as a store reloads it). */
  static fromSnapshot(s: NetBookSnapshot): NetBook {
    const book = new NetBook();
    for (const e of s.nets) book.#bump(e.member, e.currency, e.netMinor);
    for (const m of s.invoicesByMember) book.#count.set(m.member, m.invoices);
    for (const g of s.gross) book.#gross.set(g.currency, g.minor);
    book.#invoices = s.invoices;
    return book;
  }

  #bump(member: MemberCode, currency: string, delta: bigint): void {
    let nets = this.#nets.get(member);
    if (nets === undefined) this.#nets.set(member, (nets = new Map()));
    nets.set(currency, (nets.get(currency) ?? 0n) + delta);
  }

  #countBy(member: MemberCode, delta: 1 | -1): void {
    const n = (this.#count.get(member) ?? 0) + delta;
    if (n < 0) throw new RangeError(`NetBook.remove: member ${member} has no invoice in the book`);
    if (n === 0) {
      this.#count.delete(member);
      this.#nets.delete(member);
    } else this.#count.set(member, n);
  }

  /** Add an invoice: the exporter's net rises by the amount, the importer's falls by it. O(1). */
  add(inv: NettableInvoice): void {
    checkInvoice(inv);
    this.#bump(inv.exporter, inv.currency, inv.amountMinor);
    this.#bump(inv.importer, inv.currency, -inv.amountMinor);
    this.#countBy(inv.exporter, 1);
    this.#countBy(inv.importer, 1);
    this.#gross.set(inv.currency, (this.#gross.get(inv.currency) ?? 0n) + inv.amountMinor);
    this.#invoices++;
  }

  /** Take back an invoice added before (a dispute, a rescinded defaulter). O(1). */
  remove(inv: NettableInvoice): void {
    checkInvoice(inv);
    if (!this.#count.has(inv.exporter) || !this.#count.has(inv.importer)) throw new RangeError(`NetBook.remove: invoice ${inv.reference} was not added`);
    this.#bump(inv.exporter, inv.currency, -inv.amountMinor);
    this.#bump(inv.importer, inv.currency, inv.amountMinor);
    this.#countBy(inv.exporter, -1);
    this.#countBy(inv.importer, -1);
    this.#gross.set(inv.currency, (this.#gross.get(inv.currency) ?? 0n) - inv.amountMinor);
    this.#invoices--;
  }

  /** The number of invoices in the book. */
  get size(): number {
    return this.#invoices;
  }

  /** Every member with an invoice in the book, in code order. */
  members(): MemberCode[] {
    return [...this.#count.keys()].sort(byCode);
  }

  /** A member's net in a currency, in minor units (0 when it has none). */
  netMinor(member: MemberCode, currency: string): bigint {
    return this.#nets.get(member)?.get(currency) ?? 0n;
  }

  /** A member's non-zero nets, currency → minor units. */
  netsOf(member: MemberCode): ReadonlyMap<string, bigint> {
    const out = new Map<string, bigint>();
    for (const [c, v] of this.#nets.get(member) ?? []) if (v !== 0n) out.set(c, v);
    return out;
  }

  /** The gross value of the book in a currency (Σ invoice amounts), in minor units. */
  grossMinor(currency: string): bigint {
    return this.#gross.get(currency) ?? 0n;
  }

  /** Every currency the book holds an invoice in, in code order. */
  currencies(): string[] {
    return [...this.#gross.entries()].filter(([, v]) => v !== 0n).map(([c]) => c).sort(byCode);
  }

  snapshot(): NetBookSnapshot {
    const members = this.members();
    const nets: NetEntry[] = [];
    for (const member of members) {
      const m = this.#nets.get(member) ?? new Map<string, bigint>();
      for (const currency of [...m.keys()].sort(byCode)) {
        const netMinor = m.get(currency) ?? 0n;
        if (netMinor !== 0n) nets.push({ member, currency, netMinor });
      }
    }
    return {
      invoices: this.#invoices,
      members,
      nets,
      gross: this.currencies().map((currency) => ({ currency, minor: this.grossMinor(currency) })),
      invoicesByMember: members.map((member) => ({ member, invoices: this.#count.get(member) ?? 0 })),
    };
  }
}

/**
 * Each member's net position in whole sats at the locked rates: the exact rational
 * Σ_c net_c × 10^8 / btcPriceMinor_c, rounded by largest remainder so that the positions sum to
 * exactly 0 and each is within one sat of its exact value (see `allocatePositions`). One entry per
 * member in the book (zero included), in member-code order. O(members × currencies), whatever the
 * number of invoices.
 * @throws DomainError RATE_MISSING when a currency in the book has no rate; INVALID_AMOUNT when a position exceeds 21,000,000 BTC
 */
export function closePositions(book: NetBook | NetBookSnapshot, rates: readonly LockedRate[] | RateTable): NetPosition[] {
  const table = rates instanceof RateTable ? rates : new RateTable(rates);
  const snap = book instanceof NetBook ? book.snapshot() : book;
  const nums = new Map<MemberCode, bigint>(snap.members.map((m) => [m, 0n]));
  for (const e of snap.nets) nums.set(e.member, (nums.get(e.member) ?? 0n) + table.numerator(e.currency, e.netMinor));
  const members = [...nums.keys()].sort(byCode);
  const positions = allocatePositions(members.map((member) => ({ member, exact: { num: nums.get(member) ?? 0n, den: table.den } })));
  for (const p of positions) {
    if (p.sats > MAX_MONEY || -p.sats > MAX_MONEY) throw new DomainError('INVALID_AMOUNT', `the net position of ${p.member} is ${p.sats} sats, beyond 21,000,000 BTC: check the amounts and the rates`, { member: p.member });
  }
  return positions;
}

/** The exact-minimum search runs up to this many non-zero members (2^16 subsets); greedy beyond. */
export const EXACT_MAX_MEMBERS = 16;

interface Balance {
  readonly member: MemberCode;
  amount: bigint;
}

/** Settle one zero-sum group: largest payer → largest receiver, until every balance is 0. */
function settleGroup(group: readonly Balance[], out: SettlementTransfer[]): void {
  const payers = group.filter((b) => b.amount < 0n).map((b) => ({ member: b.member, amount: -b.amount }));
  const receivers = group.filter((b) => b.amount > 0n).map((b) => ({ member: b.member, amount: b.amount }));
  const largest = (list: Balance[]): Balance | undefined => {
    let best: Balance | undefined;
    for (const b of list) if (b.amount > 0n && (best === undefined || b.amount > best.amount || (b.amount === best.amount && b.member < best.member))) best = b;
    return best;
  };
  for (;;) {
    const p = largest(payers);
    const r = largest(receivers);
    if (p === undefined || r === undefined) {
      if (p !== undefined || r !== undefined) throw new RangeError('settlementTransfers: a group does not sum to zero (invariant)');
      return;
    }
    const amount = p.amount < r.amount ? p.amount : r.amount;
    p.amount -= amount;
    r.amount -= amount;
    out.push({ from: p.member, to: r.member, sats: amount as Sats }); // 0 < amount ≤ MAX_MONEY: positions are bounded by closePositions
  }
}

/**
 * zero[mask] = 1 when the members in mask sum to zero. Subset sums are built from the mask without its
 * lowest member; in doubles when every partial sum is a safe integer (Σ|amount| ≤ 2^53 − 1, so exact),
 * else in bigints.
 */
function zeroSumMasks(balances: readonly Balance[]): Uint8Array {
  const full = (1 << balances.length) - 1;
  const zero = new Uint8Array(full + 1);
  zero[0] = 1;
  const magnitude = balances.reduce((a, b) => a + (b.amount < 0n ? -b.amount : b.amount), 0n);
  if (magnitude <= BigInt(Number.MAX_SAFE_INTEGER)) {
    const amounts = Float64Array.from(balances, (b) => Number(b.amount));
    const sum = new Float64Array(full + 1);
    for (let mask = 1; mask <= full; mask++) {
      const v = (sum[mask & (mask - 1)] as number) + (amounts[31 - Math.clz32(mask & -mask)] as number);
      sum[mask] = v;
      if (v === 0) zero[mask] = 1;
    }
  } else {
    const sum = new Array<bigint>(full + 1).fill(0n);
    for (let mask = 1; mask <= full; mask++) {
      const v = (sum[mask & (mask - 1)] as bigint) + (balances[31 - Math.clz32(mask & -mask)] as Balance).amount;
      sum[mask] = v;
      if (v === 0n) zero[mask] = 1;
    }
  }
  return zero;
}

/** The zero-sum groups of the maximum partition, by DP over subsets (N ≤ 16). */
function exactGroups(balances: readonly Balance[]): Balance[][] {
  const full = (1 << balances.length) - 1;
  const zero = zeroSumMasks(balances);
  const dp = new Int8Array(full + 1);
  const choice = new Int32Array(full + 1); // the member bit taken last on the best chain to mask
  for (let mask = 1; mask <= full; mask++) {
    let best = -1;
    let bestBit = 0;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const bit = rest & -rest; // members from the lowest index up; ties keep the lowest
      const v = dp[mask ^ bit] as number;
      if (v > best) {
        best = v;
        bestBit = bit;
      }
    }
    dp[mask] = best + (zero[mask] as number);
    choice[mask] = bestBit;
  }
  const groups: Balance[][] = [];
  let current: Balance[] = [];
  for (let mask = full; mask !== 0; ) {
    const bit = choice[mask] as number;
    current.push(balances[31 - Math.clz32(bit)] as Balance);
    mask ^= bit;
    if (zero[mask] === 1) {
      groups.push(current);
      current = [];
    }
  }
  return groups;
}

/** Pairs that cancel exactly (+x, −x) as groups of two, the rest as one group (N > 16). */
function greedyGroups(balances: readonly Balance[]): Balance[][] {
  const byAmount = new Map<bigint, Balance[]>();
  for (const b of balances) {
    const list = byAmount.get(b.amount);
    if (list === undefined) byAmount.set(b.amount, [b]);
    else list.push(b);
  }
  const groups: Balance[][] = [];
  const paired = new Set<Balance>();
  for (const b of balances) {
    if (b.amount <= 0n || paired.has(b)) continue;
    const match = byAmount.get(-b.amount)?.find((c) => !paired.has(c));
    if (match === undefined) continue;
    paired.add(b).add(match);
    groups.push([b, match]);
  }
  const rest = balances.filter((b) => !paired.has(b));
  if (rest.length > 0) groups.push(rest);
  return groups;
}

/**
 * The settlement transfers that clear the positions: net payers (negative) pay net receivers
 * (positive). At most N − 1 transfers for N non-zero members; exactly the minimum N − G (G = the
 * largest number of disjoint zero-sum groups) when N ≤ {@link EXACT_MAX_MEMBERS}. Sorted by payer
 * then receiver; deterministic. See the algorithm at the top of this file.
 * @example settlementTransfers([{ member: 'PAK', sats: -5n }, { member: 'RUS', sats: 5n }]) // [{ from: 'PAK', to: 'RUS', sats: 5n }]
 * @throws RangeError when the positions do not sum to zero or a member is listed twice
 */
export function settlementTransfers(positions: readonly NetPosition[]): SettlementTransfer[] {
  const seen = new Set<MemberCode>();
  let total = 0n;
  for (const p of positions) {
    if (seen.has(p.member)) throw new RangeError(`settlementTransfers: member "${p.member}" listed twice`);
    seen.add(p.member);
    total += p.sats;
  }
  if (total !== 0n) throw new RangeError(`settlementTransfers: the positions sum to ${total} sats, not 0`);
  const balances: Balance[] = positions
    .filter((p) => p.sats !== 0n)
    .map((p) => ({ member: p.member, amount: p.sats }))
    .sort((a, b) => byCode(a.member, b.member));
  const groups = balances.length <= EXACT_MAX_MEMBERS ? exactGroups(balances) : greedyGroups(balances);
  const out: SettlementTransfer[] = [];
  for (const g of groups) settleGroup(g, out);
  return out.sort((a, b) => byCode(a.from, b.from) || byCode(a.to, b.to));
}

/**
 * The minimum number of transfers that settle the positions (N − G), computed exactly for up to
 * {@link EXACT_MAX_MEMBERS} non-zero members; undefined beyond.
 */
export function minimumTransferCount(positions: readonly NetPosition[]): number | undefined {
  const balances = positions.filter((p) => p.sats !== 0n).map((p) => ({ member: p.member, amount: p.sats })).sort((a, b) => byCode(a.member, b.member));
  if (balances.length > EXACT_MAX_MEMBERS) return undefined;
  return balances.length - exactGroups(balances).length;
}
