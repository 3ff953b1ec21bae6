/**
 * Coin selection for a spend proposal: which unspent outputs to spend, whether to make change, and
 * the exact fee. Pure and deterministic: the same request (and the same seeded `random`) always
 * gives the same answer.
 *
 * Like Bitcoin Core's wallet (`SelectCoins`), several strategies each propose a selection and the
 * one with the lowest waste (see `waste.ts`) wins; on equal waste, the one with fewer inputs (it
 * costs less now; Core prefers more inputs there), then the one making the smaller change: the
 * smallest coins that suffice are spent and large coins stay whole for large payments, as in the
 * `lowest_larger` fallback of Core's knapsack solver. The strategies are:
 * - `bnb`: branch and bound for a changeless selection (`branch-and-bound.ts`);
 * - `largest-first`: accumulate by descending effective value, proposing the first prefix that
 *   pays a changeless transaction and the first that leaves viable change;
 * - `single-coin`: the smallest single coin that pays the outputs with viable change;
 * - `random-draw`: Core's single random draw, only when a seeded `random` is passed in.
 * Below the long-term fee rate the waste of an input is negative, so selections with more inputs
 * win: the vault consolidates when fees are cheap, as Core's wallet does. The long-term rate is the
 * caller's choice between two honest goals (`LONG_TERM_FEE_RATES`): consolidating pays now to
 * spend fewer coins later; a long-term rate of 0 counts a later spend as free, so the lowest waste
 * is the cheapest transaction now (proved against an exhaustive search in
 * `coinselect-fee-minimizing.test.ts`).
 *
 * Frozen coins are never spent. Coins named in `mustInclude` (coin control) are always spent.
 * A `data` output (zero-value OP_RETURN, such as the audit log anchor) pays nobody, but its weight
 * is in every fee, waste and change computed here, so the fee rate reached is the one asked for.
 * Coins whose input costs more than their value at this fee rate are never added by a strategy.
 * Change is never below `minChange` (by default the larger of the dust limit and the cost of
 * spending the change later): a smaller remainder goes to the fee. The fee is computed on the exact
 * weight of the final transaction (`tx-size.ts`), so `fee ≥ feeRate × vsize` always holds, and
 * `inputs − outputs − change = fee` exactly.
 */
import { DomainError } from '../errors.ts';
import { selectBnb, BNB_DEFAULT_TRIES } from './branch-and-bound.ts';
import { MAX_STANDARD_TX_WEIGHT, feeForWeight, feeShare, outputWeight, overheadWeight, txWeight, vsizeFromWeight } from './tx-size.ts';
import { scoreCoin, type ScoredCoin } from './waste.ts';

export interface Outpoint {
  readonly txid: string;
  readonly vout: number;
}

export interface SelectableUtxo extends Outpoint {
  readonly value: bigint;
  /** Weight of spending it, e.g. `INPUT_WEIGHT['wsh-2of3']` (418 WU). */
  readonly inputWeight: number;
  /** Frozen coins are never spent. */
  readonly frozen?: boolean;
}

/**
 * What an output is: a `payment` (the default) moves value; a `data` output is a zero-value
 * OP_RETURN (e.g. the audit log anchor, `ANCHOR_SCRIPT_LENGTH` = 42 bytes) that pays nobody but
 * still weighs: its bytes count in the fee, the waste and the change like any other output.
 */
export const OUTPUT_KINDS = ['payment', 'data'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Longest OP_RETURN script relayed by default: OP_RETURN, OP_PUSHDATA1 and 80 bytes of data. */
export const MAX_DATA_SCRIPT_LENGTH = 83;

export interface PaymentOutput {
  /** Positive for a payment; exactly 0n for a `data` output. */
  readonly value: bigint;
  /** Length of the output's scriptPubKey in bytes, e.g. `SCRIPT_LENGTH.p2wsh` (34). */
  readonly scriptLength: number;
  /** Default `payment`. */
  readonly kind?: OutputKind;
}

export interface SelectCoinsRequest {
  readonly utxos: readonly SelectableUtxo[];
  readonly outputs: readonly PaymentOutput[];
  /** Fee rate in sat per 1000 vB (1 sat/vB = 1000n), so fractional sat/vB stay integers. */
  readonly feeRateSatPerKvb: bigint;
  /** The rate the vault expects to spend its coins at later; below it, consolidating pays. See `LONG_TERM_FEE_RATES`. */
  readonly longTermFeeRateSatPerKvb: bigint;
  /** scriptPubKey length of the vault's change output (34 for P2WSH and P2TR). */
  readonly changeScriptLength: number;
  /** Weight of spending the change output later (418 for a P2WSH 2-of-3). */
  readonly changeInputWeight: number;
  /** Outputs below this are non-standard (330 sats for P2WSH at the 3 sat/vB dust relay rate). */
  readonly dustLimit: bigint;
  /** Smallest change worth creating; default max(dustLimit, cost of spending it at the long-term rate + 1). */
  readonly minChange?: bigint;
  /** Coin control: these outpoints are spent whatever the strategies prefer. */
  readonly mustInclude?: readonly Outpoint[];
  /** Steps branch and bound may take (default 100,000, as in Bitcoin Core). */
  readonly maxBnbTries?: number;
  /** Largest transaction weight allowed (default 400,000 WU, Bitcoin Core's standardness limit). */
  readonly maxWeight?: number;
  /** A seeded PRNG returning numbers in [0, 1); enables the random-draw strategy. */
  readonly random?: () => number;
}

/**
 * Long-term fee rates, sat per 1000 vB, for `longTermFeeRateSatPerKvb`:
 * - `consolidate`: 10 sat/vB, Bitcoin Core's default `-consolidatefeerate`. Below it the vault
 *   spends extra coins (cheap now, fewer to spend later) and change must be worth spending at it.
 *   Cheapest over the vault's life when every coin is eventually spent at about that rate.
 * - `minimizeFee`: 0. A coin spent later is counted as free, so the waste of a selection is its
 *   own fee above the transaction's fixed part: the cheapest transaction now wins, and the vault
 *   never consolidates (the goal of `coinselect` and `@bitcoinerlab/coinselect`). Cheapest in fees
 *   paid over a period whose leftover coins are not spent within it; leaves more, smaller coins.
 * @example selectCoins({ ...request, longTermFeeRateSatPerKvb: LONG_TERM_FEE_RATES.minimizeFee })
 */
export const LONG_TERM_FEE_RATES = {
  consolidate: 10_000n,
  minimizeFee: 0n,
} as const;

export const SELECTION_STRATEGIES = ['bnb', 'largest-first', 'single-coin', 'random-draw', 'coin-control'] as const;
export type SelectionStrategy = (typeof SELECTION_STRATEGIES)[number];

export interface CoinSelection {
  readonly inputs: SelectableUtxo[];
  /** 0n when the transaction has no change output. */
  readonly changeValue: bigint;
  readonly fee: bigint;
  /** Weight and vsize of the unsigned transaction once signed (worst-case signature sizes). */
  readonly weight: number;
  readonly vsize: number;
  readonly waste: bigint;
  /** `bnb` when branch and bound's changeless match won; otherwise the lowest-waste fallback. */
  readonly algorithm: 'bnb' | 'waste-min';
  readonly strategy: SelectionStrategy;
}

const key = (o: Outpoint): string => `${o.txid}:${o.vout}`;

function validate(req: SelectCoinsRequest): void {
  if (req.outputs.length === 0) throw new RangeError('"outputs" expected at least one output');
  for (const o of req.outputs) {
    const kind = o.kind ?? 'payment';
    if (kind === 'data') {
      if (o.value !== 0n) throw new RangeError(`"outputs[].value" of a data output expected 0n, got ${String(o.value)}`);
      if (!Number.isSafeInteger(o.scriptLength) || o.scriptLength < 1 || o.scriptLength > MAX_DATA_SCRIPT_LENGTH) throw new RangeError(`"outputs[].scriptLength" of a data output expected 1..${MAX_DATA_SCRIPT_LENGTH}, got ${o.scriptLength}`);
      continue;
    }
    if (kind !== 'payment') throw new RangeError(`"outputs[].kind" expected 'payment' or 'data', got ${String(kind)}`);
    if (typeof o.value !== 'bigint' || o.value <= 0n) throw new RangeError(`"outputs[].value" expected a positive bigint, got ${String(o.value)}`);
    if (!Number.isSafeInteger(o.scriptLength) || o.scriptLength <= 0) throw new RangeError(`"outputs[].scriptLength" expected a positive integer, got ${o.scriptLength}`);
  }
  if (!req.outputs.some((o) => (o.kind ?? 'payment') === 'payment')) throw new RangeError('"outputs" expected at least one payment output');
  const seen = new Set<string>();
  for (const u of req.utxos) {
    if (typeof u.value !== 'bigint' || u.value <= 0n) throw new RangeError(`"utxos[].value" expected a positive bigint, got ${String(u.value)}`);
    if (!Number.isSafeInteger(u.inputWeight) || u.inputWeight <= 0) throw new RangeError(`"utxos[].inputWeight" expected a positive integer, got ${u.inputWeight}`);
    const k = key(u);
    if (seen.has(k)) throw new RangeError(`"utxos" lists ${k} twice`);
    seen.add(k);
  }
  for (const [name, v] of [
    ['feeRateSatPerKvb', req.feeRateSatPerKvb],
    ['longTermFeeRateSatPerKvb', req.longTermFeeRateSatPerKvb],
    ['dustLimit', req.dustLimit],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n) throw new RangeError(`"${name}" expected a non-negative bigint, got ${String(v)}`);
  }
  if (req.minChange !== undefined && (typeof req.minChange !== 'bigint' || req.minChange < 1n)) {
    throw new RangeError(`"minChange" expected a positive bigint, got ${String(req.minChange)}`);
  }
}

interface Candidate {
  readonly selection: CoinSelection;
  readonly order: number;
}

/**
 * Choose the coins for a payment.
 * @throws DomainError INSUFFICIENT_FUNDS ("needs X sats …, spendable Y sats (Z sats frozen)"),
 *   INVALID_ARGUMENT when coin control names an unknown or frozen outpoint.
 * @example
 *   selectCoins({
 *     utxos: [{ txid: 'aa…', vout: 0, value: 150_000_000n, inputWeight: INPUT_WEIGHT['wsh-2of3'] }],
 *     outputs: [{ value: 100_000_000n, scriptLength: SCRIPT_LENGTH.p2wpkh }],
 *     feeRateSatPerKvb: 5_000n, longTermFeeRateSatPerKvb: 10_000n,
 *     changeScriptLength: SCRIPT_LENGTH.p2wsh, changeInputWeight: INPUT_WEIGHT['wsh-2of3'], dustLimit: 330n,
 *   }) // → { inputs: [that coin], changeValue: 49_999_055n, fee: 945n, vsize: 189, algorithm: 'waste-min', … }
 */
export function selectCoins(req: SelectCoinsRequest): CoinSelection {
  validate(req);
  const rate = req.feeRateSatPerKvb;
  const ltRate = req.longTermFeeRateSatPerKvb;
  const maxWeight = req.maxWeight ?? MAX_STANDARD_TX_WEIGHT;
  const outLens = req.outputs.map((o) => o.scriptLength);
  const outLensWithChange = [...outLens, req.changeScriptLength];
  const outSum = req.outputs.reduce((s, o) => s + o.value, 0n);

  // Coin control.
  const byKey = new Map(req.utxos.map((u) => [key(u), u] as const));
  const presetKeys = new Set<string>();
  const preset: SelectableUtxo[] = [];
  for (const o of req.mustInclude ?? []) {
    const u = byKey.get(key(o));
    if (!u) throw new DomainError('INVALID_ARGUMENT', `coin control names ${key(o)}, which is not an unspent output of this vault`);
    if (u.frozen) throw new DomainError('INVALID_ARGUMENT', `coin control names ${key(o)}, which is frozen; unfreeze it first`);
    if (presetKeys.has(key(o))) continue;
    presetKeys.add(key(o));
    preset.push(u);
  }
  const presetScored = preset.map((u) => scoreCoin(u.value, u.inputWeight, rate, ltRate));
  const presetEv = presetScored.reduce((s, c) => s + c.effectiveValue, 0n);

  // The pool: unfrozen, not preset, and worth more than the fee of spending it.
  const pool: SelectableUtxo[] = [];
  const scored: ScoredCoin[] = [];
  for (const u of req.utxos) {
    if (u.frozen || presetKeys.has(key(u))) continue;
    const s = scoreCoin(u.value, u.inputWeight, rate, ltRate);
    if (s.effectiveValue <= 0n) continue;
    pool.push(u);
    scored.push(s);
  }

  // Everything but the inputs. The strategies work on fee shares (fractional vbytes, each share
  // rounded up); `evaluate` then prices every proposal on its exact weight and drops any that the
  // final vsize rounding would leave short, so the estimate may be a few sats off but the fee never is.
  const baseWeight = overheadWeight(1, outLens.length, true) + outLens.reduce((s, l) => s + outputWeight(l), 0);
  const changeOutputFee = feeShare(outputWeight(req.changeScriptLength), rate);
  const changeSpendFee = feeShare(req.changeInputWeight, ltRate);
  const costOfChange = changeOutputFee + changeSpendFee;
  const minChange = req.minChange ?? (req.dustLimit > changeSpendFee + 1n ? req.dustLimit : changeSpendFee + 1n);
  const targetNoChange = outSum + feeShare(baseWeight, rate) - presetEv;
  const targetWithChange = targetNoChange + changeOutputFee + minChange;

  const candidates: Candidate[] = [];
  const evaluate = (indices: readonly number[], strategy: SelectionStrategy, allowChange: boolean): void => {
    const inputs = [...preset, ...indices.map((i) => pool[i] as SelectableUtxo)];
    if (inputs.length === 0) return;
    const coins = [...presetScored, ...indices.map((i) => scored[i] as ScoredCoin)];
    let inputWaste = 0n;
    for (const c of coins) inputWaste += c.fee - c.longTermFee;
    const value = inputs.reduce((s, u) => s + u.value, 0n);
    const weights = inputs.map((u) => u.inputWeight);
    const algorithm = strategy === 'bnb' ? 'bnb' : 'waste-min';
    const wNo = txWeight(weights, outLens);
    const excess = value - outSum - feeForWeight(wNo, rate);
    if (excess >= 0n && wNo <= maxWeight) {
      candidates.push({
        order: candidates.length,
        selection: { inputs, changeValue: 0n, fee: value - outSum, weight: wNo, vsize: vsizeFromWeight(wNo), waste: inputWaste + excess, algorithm, strategy },
      });
    }
    if (!allowChange) return;
    const wCh = txWeight(weights, outLensWithChange);
    const feeCh = feeForWeight(wCh, rate);
    const change = value - outSum - feeCh;
    if (change >= minChange && wCh <= maxWeight) {
      candidates.push({
        order: candidates.length,
        selection: { inputs, changeValue: change, fee: feeCh, weight: wCh, vsize: vsizeFromWeight(wCh), waste: inputWaste + costOfChange, algorithm, strategy },
      });
    }
  };

  // Coin control alone may already pay.
  if (preset.length > 0 && targetNoChange <= 0n) evaluate([], 'coin-control', true);

  if (targetNoChange > 0n && scored.length > 0) {
    const presetWeight = preset.reduce((s, u) => s + u.inputWeight, 0);
    const bnb = selectBnb(scored, targetNoChange, costOfChange, maxWeight - baseWeight - presetWeight, req.maxBnbTries ?? BNB_DEFAULT_TRIES);
    if (bnb) evaluate(bnb.selected, 'bnb', false);
  }

  const accumulate = (order: readonly number[], strategy: SelectionStrategy): void => {
    let sum = 0n;
    let weight = baseWeight + preset.reduce((s, u) => s + u.inputWeight, 0);
    let changelessSeen = targetNoChange <= 0n;
    for (let n = 0; n < order.length; n++) {
      const c = scored[order[n] as number] as ScoredCoin;
      sum += c.effectiveValue;
      weight += c.weight;
      if (weight > maxWeight) return;
      if (!changelessSeen && sum >= targetNoChange) {
        changelessSeen = true;
        evaluate(order.slice(0, n + 1), strategy, sum >= targetWithChange);
      } else if (sum >= targetWithChange) {
        evaluate(order.slice(0, n + 1), strategy, true);
      }
      if (sum >= targetWithChange) return;
    }
  };

  if (targetNoChange > 0n) {
    const byEv = scored.map((_, i) => i).sort((a, b) => cmpBig((scored[b] as ScoredCoin).effectiveValue, (scored[a] as ScoredCoin).effectiveValue) || a - b);
    accumulate(byEv, 'largest-first');
    // The smallest single coin that pays everything with viable change.
    for (let n = byEv.length - 1; n >= 0; n--) {
      const i = byEv[n] as number;
      if ((scored[i] as ScoredCoin).effectiveValue >= targetWithChange) {
        evaluate([i], 'single-coin', true);
        break;
      }
    }
    if (req.random) {
      const shuffled = scored.map((_, i) => i);
      for (let i = shuffled.length - 1; i > 0; i--) {
        const r = req.random();
        if (!(r >= 0 && r < 1)) throw new RangeError(`"random" expected a number in [0, 1), got ${r}`);
        const j = Math.floor(r * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
      }
      accumulate(shuffled, 'random-draw');
    }
  } else if (preset.length > 0) {
    // Preset coins pay already; adding the largest coin may still lower the waste (cheap consolidation).
    const best = scored.map((_, i) => i).sort((a, b) => cmpBig((scored[b] as ScoredCoin).effectiveValue, (scored[a] as ScoredCoin).effectiveValue) || a - b)[0];
    if (best !== undefined) evaluate([best], 'largest-first', true);
  }

  if (candidates.length === 0) throw insufficient(req, preset, pool, outSum, outLens, targetNoChange, presetEv, scored, maxWeight);
  candidates.sort(
    (a, b) =>
      cmpBig(a.selection.waste, b.selection.waste) ||
      a.selection.inputs.length - b.selection.inputs.length ||
      cmpBig(a.selection.changeValue, b.selection.changeValue) ||
      a.order - b.order,
  );
  return (candidates[0] as Candidate).selection;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function insufficient(
  req: SelectCoinsRequest,
  preset: readonly SelectableUtxo[],
  pool: readonly SelectableUtxo[],
  outSum: bigint,
  outLens: readonly number[],
  targetNoChange: bigint,
  presetEv: bigint,
  scored: readonly ScoredCoin[],
  maxWeight: number,
): DomainError {
  const frozen = req.utxos.filter((u) => u.frozen).reduce((s, u) => s + u.value, 0n);
  const spendable = req.utxos.filter((u) => !u.frozen).reduce((s, u) => s + u.value, 0n);
  const usable = [...preset, ...pool];
  const fee = feeForWeight(txWeight(usable.length > 0 ? usable.map((u) => u.inputWeight) : [], outLens), req.feeRateSatPerKvb);
  const poolEv = scored.reduce((s, c) => s + c.effectiveValue, 0n);
  const details = { needs: outSum + fee, spendable, frozen };
  if (poolEv >= targetNoChange && presetEv + poolEv > 0n) {
    return new DomainError(
      'INSUFFICIENT_FUNDS',
      `the payment needs more inputs than fit in a standard transaction of ${maxWeight} WU; consolidate the vault's small coins first`,
      details,
    );
  }
  return new DomainError(
    'INSUFFICIENT_FUNDS',
    `needs ${outSum + fee} sats (${outSum} to pay, ${fee} fee), spendable ${spendable} sats (${frozen} sats frozen)`,
    details,
  );
}
