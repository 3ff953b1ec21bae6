/**
 * Branch and bound for a changeless selection: Bitcoin Core's `SelectCoinsBnB`
 * (`src/wallet/coinselection.cpp`, after Murch's "An Evaluation of Coin Selection Strategies"),
 * ported to bigint sats and made deterministic (ties in the sort are broken by the caller's order).
 *
 * It searches, depth first with the inclusion branch first, for the subset of coins whose
 * effective values sum into `[target, target + costOfChange]` with the lowest waste, backtracking
 * when the branch cannot reach the target, overshoots the window, exceeds the weight limit, or (at
 * a fee rate above the long-term rate) already wastes more than the best solution. The search
 * stops after `maxTries` steps and returns the best solution found so far.
 */
import type { ScoredCoin } from './waste.ts';

export const BNB_DEFAULT_TRIES = 100_000;

export interface BnbResult {
  /** Indices into the coin list passed in, ascending. */
  readonly selected: number[];
  /** Waste of the solution: input waste plus the excess over the target. */
  readonly waste: bigint;
  /** Steps of the search that were taken. */
  readonly tries: number;
}

/**
 * @param coins candidates with positive effective values
 * @param target effective value needed: outputs plus the fee of everything but the inputs
 * @param costOfChange width of the acceptance window above the target
 * @param maxWeight the selected inputs may weigh at most this much
 * @returns the best selection, or null when no subset lands in the window within `maxTries` steps
 * @example selectBnb(coins, 150_000n, 1_200n) // → { selected: [0, 3], waste: 480n, tries: 41 }
 */
export function selectBnb(
  coins: readonly ScoredCoin[],
  target: bigint,
  costOfChange: bigint,
  maxWeight: number = Number.MAX_SAFE_INTEGER,
  maxTries: number = BNB_DEFAULT_TRIES,
): BnbResult | null {
  if (target <= 0n) throw new RangeError(`"target" expected a positive amount, got ${target}`);
  if (costOfChange < 0n) throw new RangeError(`"costOfChange" expected a non-negative amount, got ${costOfChange}`);
  let available = 0n;
  for (const c of coins) {
    if (c.effectiveValue <= 0n) throw new RangeError(`"coins" expected positive effective values, got ${c.effectiveValue}`);
    available += c.effectiveValue;
  }
  if (available < target || coins.length === 0) return null;

  // Descending effective value; a stable sort keeps the caller's order among equals (deterministic).
  const order = coins.map((_, i) => i).sort((a, b) => {
    const d = (coins[b] as ScoredCoin).effectiveValue - (coins[a] as ScoredCoin).effectiveValue;
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  });
  const pool = order.map((i) => coins[i] as ScoredCoin);
  const at = (i: number): ScoredCoin => pool[i] as ScoredCoin;

  const upper = target + costOfChange;
  const feeRateHigh = at(0).fee > at(0).longTermFee;
  let currValue = 0n;
  let currWaste = 0n;
  let currWeight = 0;
  let currAvailable = available;
  const selection: number[] = [];
  let best: number[] | null = null;
  let bestWaste = 0n;
  let tries = 0;

  for (let index = 0; tries < maxTries; tries++, index++) {
    let backtrack = false;
    if (
      currValue + currAvailable < target ||
      currValue > upper ||
      (best !== null && feeRateHigh && currWaste > bestWaste)
    ) {
      backtrack = true;
    } else if (currWeight > maxWeight) {
      backtrack = true;
    } else if (currValue >= target) {
      const waste = currWaste + (currValue - target);
      if (best === null || waste <= bestWaste) {
        best = [...selection];
        bestWaste = waste;
      }
      backtrack = true;
    }

    if (backtrack) {
      const last = selection[selection.length - 1];
      if (last === undefined) break; // every branch explored
      // Give the coins skipped after the last included one back to the lookahead.
      for (index--; index > last; index--) currAvailable += at(index).effectiveValue;
      const c = at(index);
      currValue -= c.effectiveValue;
      currWaste -= c.fee - c.longTermFee;
      currWeight -= c.weight;
      selection.pop();
      // The loop's index++ now explores the omission branch of this coin.
    } else {
      // At the end of the pool the lookahead is empty, so one of the tests above always backtracks.
      if (index >= pool.length) throw new RangeError(`selectBnb: index ${index} past the pool`);
      const c = at(index);
      currAvailable -= c.effectiveValue;
      const prevIncluded = selection[selection.length - 1] === index - 1;
      const prev = index > 0 ? at(index - 1) : null;
      // Skip an inclusion equivalent to one already explored: same value and fee as an excluded predecessor.
      if (selection.length === 0 || prevIncluded || prev === null || c.effectiveValue !== prev.effectiveValue || c.fee !== prev.fee) {
        selection.push(index);
        currValue += c.effectiveValue;
        currWaste += c.fee - c.longTermFee;
        currWeight += c.weight;
      }
    }
  }

  if (best === null) return null;
  return { selected: best.map((i) => order[i] as number).sort((a, b) => a - b), waste: bestWaste, tries };
}
