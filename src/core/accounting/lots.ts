/**
 * Lots and the exact arithmetic of their cost (issue #13, item 2). Pure.
 *
 * Rounding rule (no cent created or lost): fiat is integer minor units. When a part of `p` sats is
 * taken from a whole of `w` sats that cost `c`, the part costs `c·p/w` rounded to the nearest minor
 * unit, halves up (`prorate`), and the rest keeps exactly `c` minus that — so the parts of a lot,
 * however many partial disposals cut it, always sum to its cost, and the last part takes whatever
 * is left. Spreading one amount over several weights (`allocate`) gives each `⌊c·wᵢ/W⌋` and hands
 * the units left over, one each, to the largest remainders (earliest on ties): the parts sum to `c`.
 */
import type { CostBasisMethod, DailyPrice, Fiat, Lot } from './types.ts';
import { SATS_PER_BTC } from '../money.ts';

/**
 * `total·part/whole` rounded to the nearest integer, halves up, for 0 ≤ part ≤ whole, whole > 0,
 * total ≥ 0 (RangeError otherwise). `prorate(c, w, w) === c` and `prorate(c, 0n, w) === 0n`.
 * @example prorate(100n, 1n, 3n) // 33n (the other two thirds keep 67n)
 */
export function prorate(total: bigint, part: bigint, whole: bigint): bigint {
  if (whole <= 0n || part < 0n || part > whole || total < 0n) throw new RangeError(`prorate: expected 0 <= part <= whole, whole > 0, total >= 0 (got ${total}, ${part}, ${whole})`);
  return (2n * total * part + whole) / (2n * whole);
}

/**
 * Spread `total` over `weights` in proportion, exactly: the parts sum to `total` (largest remainder,
 * earliest first on ties). Weights ≥ 0 with a positive sum, total ≥ 0 (RangeError otherwise).
 * @example allocate(100n, [1n, 1n, 1n]) // [34n, 33n, 33n]
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  const w = weights.reduce((a, x) => a + x, 0n);
  if (total < 0n || w <= 0n || weights.some((x) => x < 0n)) throw new RangeError(`allocate: expected total >= 0 and weights >= 0 with a positive sum`);
  const parts = weights.map((x) => (total * x) / w);
  let left = total - parts.reduce((a, x) => a + x, 0n);
  const order = weights.map((x, i) => ({ i, rem: (total * x) % w })).sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    parts[i] = (parts[i] as bigint) + 1n;
    left -= 1n;
  }
  return parts;
}

/**
 * What `sats` are worth at `price`, in its minor units (nearest, halves up).
 * @example valueAt(150_000_000n, { date: '2024-01-01', currency: 'USD', minorPerBtc: 4_200_000n }) // { currency: 'USD', minor: 6_300_000n }
 */
export function valueAt(sats: bigint, price: DailyPrice): Fiat {
  if (sats < 0n) throw new RangeError(`valueAt: "sats" expected >= 0, got ${sats}`);
  if (price.minorPerBtc < 0n) throw new RangeError(`valueAt: negative price on ${price.date}`);
  return { currency: price.currency, minor: (2n * sats * price.minorPerBtc + SATS_PER_BTC) / (2n * SATS_PER_BTC) };
}

/** A lot with what is left of it. */
export interface OpenLot {
  readonly lot: Lot;
  /** Sats not yet disposed of. */
  remainingSats: bigint;
  /** Cost of the remaining sats (re-averaged at each disposal under the average method). */
  remainingCost: bigint;
}

/** A slice of a lot taken by a disposal: its sats and their cost. */
export interface LotPiece {
  readonly lot: Lot;
  readonly sats: bigint;
  readonly cost: bigint;
}

/**
 * The open lots of one vault, in arrival order, and how its method consumes them:
 *  - `fifo`: the oldest first; a lot partly taken keeps the rest of its cost (`prorate`);
 *  - `specific`: the lots sitting on the spent outputs, whole (`takeOutpoints`);
 *  - `average`: the cost taken is the pool's `prorate(poolCost, taken, poolSats)` — the weighted
 *    average cost — spread over the sats taken oldest first; the cost left is then re-spread over
 *    the remaining lots by sats (`allocate`), so every open lot carries the average cost.
 */
export class LotPool {
  readonly vaultId: string;
  #method: CostBasisMethod;
  readonly #open: OpenLot[] = [];

  constructor(vaultId: string, method: CostBasisMethod) {
    this.vaultId = vaultId;
    this.#method = method;
  }

  get method(): CostBasisMethod {
    return this.#method;
  }

  /**
   * Apply another method from now on (a method change recorded with an effective day): the open
   * lots keep their remaining sats and cost; under `average` every open lot then carries the
   * average (the cost is re-spread by sats, exactly). Whether a switch to `specific` is possible
   * (every open lot whole, on an unspent output) is the caller's check: see `lotsOnOutpoints`.
   */
  switchMethod(method: CostBasisMethod): void {
    if (method === this.#method) return;
    this.#method = method;
    if (method === 'average') this.#reaverage(this.cost);
  }

  /** Sats of the open lots per outpoint `${txid}:${vout}`, and whether every open lot is whole (never cut). */
  lotsOnOutpoints(): { readonly byOutpoint: ReadonlyMap<string, bigint>; readonly allWhole: boolean } {
    const byOutpoint = new Map<string, bigint>();
    let allWhole = true;
    for (const o of this.#open) {
      if (o.remainingSats === 0n) continue;
      if (o.remainingSats !== o.lot.sats) allWhole = false;
      const k = `${o.lot.txid}:${o.lot.vout}`;
      byOutpoint.set(k, (byOutpoint.get(k) ?? 0n) + o.remainingSats);
    }
    return { byOutpoint, allWhole };
  }

  add(lot: Lot): void {
    if (lot.vaultId !== this.vaultId) throw new RangeError(`LotPool ${this.vaultId}: lot ${lot.id} belongs to ${lot.vaultId}`);
    if (lot.sats <= 0n) throw new RangeError(`LotPool ${this.vaultId}: lot ${lot.id} has no sats`);
    this.#open.push({ lot, remainingSats: lot.sats, remainingCost: lot.cost.minor });
  }

  /** The lots with sats left, oldest first (copies). */
  open(): OpenLot[] {
    return this.#open.filter((o) => o.remainingSats > 0n).map((o) => ({ ...o }));
  }

  get sats(): bigint {
    return this.#open.reduce((a, o) => a + o.remainingSats, 0n);
  }

  get cost(): bigint {
    return this.#open.reduce((a, o) => a + o.remainingCost, 0n);
  }

  /** Take `amount` sats by the pool's method (fifo or average); RangeError beyond what it holds. */
  take(amount: bigint, label: string): LotPiece[] {
    if (amount < 0n) throw new RangeError(`${label}: negative amount`);
    if (amount === 0n) return [];
    const poolSats = this.sats;
    if (amount > poolSats) throw new RangeError(`${label}: vault ${this.vaultId} disposes of ${amount} sats but its lots hold ${poolSats}`);
    if (this.method === 'specific') throw new RangeError(`${label}: vault ${this.vaultId} uses specific identification; take its outpoints`);
    const slices: { o: OpenLot; sats: bigint }[] = [];
    let left = amount;
    for (const o of this.#open) {
      if (left === 0n) break;
      if (o.remainingSats === 0n) continue;
      const t = o.remainingSats < left ? o.remainingSats : left;
      slices.push({ o, sats: t });
      left -= t;
    }
    if (this.method === 'fifo') {
      return slices.map(({ o, sats }) => {
        const cost = prorate(o.remainingCost, sats, o.remainingSats);
        o.remainingSats -= sats;
        o.remainingCost -= cost;
        return { lot: o.lot, sats, cost };
      });
    }
    // average
    const poolCost = this.cost;
    const taken = prorate(poolCost, amount, poolSats);
    const costs = allocate(taken, slices.map((s) => s.sats));
    const pieces = slices.map(({ o, sats }, i) => {
      o.remainingSats -= sats;
      return { lot: o.lot, sats, cost: costs[i] as bigint };
    });
    this.#reaverage(poolCost - taken);
    return pieces;
  }

  /** Specific identification: the whole lots on the spent outpoints (RangeError for an outpoint without one). */
  takeOutpoints(outpoints: readonly { txid: string; vout: number }[], label: string): LotPiece[] {
    const pieces: LotPiece[] = [];
    for (const op of outpoints) {
      const on = this.#open.filter((o) => o.remainingSats > 0n && o.lot.txid === op.txid && o.lot.vout === op.vout);
      if (on.length === 0) throw new RangeError(`${label}: vault ${this.vaultId} spends ${op.txid}:${op.vout}, which holds no lot`);
      for (const o of on) {
        pieces.push({ lot: o.lot, sats: o.remainingSats, cost: o.remainingCost });
        o.remainingSats = 0n;
        o.remainingCost = 0n;
      }
    }
    return pieces;
  }

  /** Sats held on an outpoint (specific identification). */
  satsOn(txid: string, vout: number): bigint {
    return this.#open.reduce((a, o) => a + (o.lot.txid === txid && o.lot.vout === vout ? o.remainingSats : 0n), 0n);
  }

  #reaverage(cost: bigint): void {
    const open = this.#open.filter((o) => o.remainingSats > 0n);
    for (const o of this.#open) if (o.remainingSats === 0n) o.remainingCost = 0n;
    if (open.length === 0) {
      if (cost !== 0n) throw new RangeError(`LotPool ${this.vaultId}: cost ${cost} left on no sats`);
      return;
    }
    const parts = allocate(cost, open.map((o) => o.remainingSats));
    open.forEach((o, i) => { o.remainingCost = parts[i] as bigint; });
  }
}

/**
 * Cut a piece in two: the first `sats` of it (cost by `prorate`) and the rest (the remainder of the
 * cost), so the two always sum to the piece.
 */
export function splitPiece(piece: LotPiece, sats: bigint): [LotPiece, LotPiece] {
  const cost = prorate(piece.cost, sats, piece.sats);
  return [{ lot: piece.lot, sats, cost }, { lot: piece.lot, sats: piece.sats - sats, cost: piece.cost - cost }];
}
