/**
 * Effective value and waste, as Bitcoin Core defines them for coin selection
 * (`src/wallet/coinselection.cpp`, `SelectionResult::RecalculateWaste`).
 *
 * - The effective value of a coin is its value minus the fee its input costs at the current rate.
 * - The waste of a selection is what it costs compared with an ideal one: for each input, the fee
 *   paid now minus the fee it would cost at the long-term rate (negative when fees are low, which
 *   makes consolidation attractive then), plus either the cost of the change output (creating it
 *   now and spending it later) or, without change, the excess given to the miners.
 */
import { feeShare } from './tx-size.ts';

/** A coin seen through the fee rates of one selection. */
export interface ScoredCoin {
  /** Value minus the fee share of its input at the current rate. */
  readonly effectiveValue: bigint;
  /** Fee share of its input at the current rate. */
  readonly fee: bigint;
  /** Fee share of its input at the long-term rate. */
  readonly longTermFee: bigint;
  readonly weight: number;
}

/**
 * Score a coin at the current and the long-term fee rates.
 * @example scoreCoin(100_000n, 418, 10_000n, 5_000n).effectiveValue === 98_955n
 */
export function scoreCoin(value: bigint, inputWeight: number, feeRateSatPerKvb: bigint, longTermFeeRateSatPerKvb: bigint): ScoredCoin {
  const fee = feeShare(inputWeight, feeRateSatPerKvb);
  return { effectiveValue: value - fee, fee, longTermFee: feeShare(inputWeight, longTermFeeRateSatPerKvb), weight: inputWeight };
}

/**
 * Waste of a selection. `excess` is what a changeless transaction gives to the miners above its
 * fee; with change pass `null` and the cost of change is counted instead.
 * @example selectionWaste([{ fee: 105n, longTermFee: 53n }], null, 300n) === 352n
 */
export function selectionWaste(
  inputs: readonly Pick<ScoredCoin, 'fee' | 'longTermFee'>[],
  excess: bigint | null,
  costOfChange: bigint,
): bigint {
  let waste = 0n;
  for (const c of inputs) waste += c.fee - c.longTermFee;
  return waste + (excess === null ? costOfChange : excess);
}
