/**
 * The public-sector stock over time, split by class (issue #15 item 5): from the classified flows
 * (classify-flows.ts) and the register, one point per day on which the stock or one of its parts
 * changed — the total, and the cumulative change since the first wallet joined, by component:
 *
 * - `register-change`: coins a wallet already held when it joined the register (and, negative,
 *   what it held when it left) — not a flow, so not an acquisition;
 * - each flow class: the flow's change of the stock, its fee set apart — so an internal
 *   consolidation nets to zero and its fee shows under `fee`; a sale's coins under `sale`, its fee
 *   under `fee`.
 *
 * The total on a day is the sum of the components (the stock is zero before the first wallet
 * joins), and equals the sum of the registered wallets' confirmed balances at the end of that day.
 * Pure: the caller hands over each wallet's balance at the end of a day (as for the statement).
 * Unconfirmed flows are left out (the stock is the confirmed one).
 */
import { dayBefore } from './statement.ts';
import { FLOW_CLASSES, type ClassifiedFlow, type FlowClass, type RegisterEntry } from './types.ts';

/** The parts the stock is split into: wallets joining or leaving the register, then each flow class. */
export const STOCK_COMPONENTS = ['register-change', ...FLOW_CLASSES] as const;
export type StockComponent = (typeof STOCK_COMPONENTS)[number];

export interface StockPoint {
  /** YYYY-MM-DD (UTC): the stock at the end of this day. */
  readonly date: string;
  readonly totalSats: bigint;
  /** Cumulative change by component since the first wallet joined; they add up to `totalSats`. */
  readonly byComponent: Readonly<Record<StockComponent, bigint>>;
}

export interface StockSeriesInput {
  /** The register entries counted (their latest versions); only these wallets' changes are summed. */
  readonly register: readonly RegisterEntry[];
  /** Classified flows (any order; unconfirmed ones are ignored). */
  readonly flows: readonly ClassifiedFlow[];
  /** A wallet's confirmed balance at the end of a day (asked for the day before it joins, and before it leaves). */
  readonly balanceAt: (vaultId: string, day: string) => bigint;
}

export interface StockSeries {
  readonly points: StockPoint[];
  /** The components that are not zero on some point, in STOCK_COMPONENTS order. */
  readonly components: StockComponent[];
}

function zero(): Record<StockComponent, bigint> {
  return Object.fromEntries(STOCK_COMPONENTS.map((c) => [c, 0n])) as Record<StockComponent, bigint>;
}

/**
 * The change one flow makes to the stock of `wallets`, by component: the class takes the change
 * with the fee set apart, `fee` takes the fee — when every wallet the flow touches is counted and
 * its fee is known; otherwise the class takes the whole change. Empty when it touches none of them.
 * @example flowParts({ class: 'internal-consolidation', walletDeltas: { a: -1000n, b: 990n }, feeSats: 10n, … }, new Set(['a', 'b'])) // [['internal-consolidation', 0n], ['fee', -10n]]
 */
export function flowParts(f: ClassifiedFlow, wallets: ReadonlySet<string>): Array<[FlowClass, bigint]> {
  const touched = Object.keys(f.walletDeltas);
  const mine = touched.filter((w) => wallets.has(w));
  if (mine.length === 0) return [];
  const delta = mine.reduce((a, w) => a + (f.walletDeltas[w] ?? 0n), 0n);
  if (f.feeSats !== null && mine.length === touched.length) {
    return [[f.class, delta + f.feeSats], ['fee', -f.feeSats]];
  }
  return [[f.class, delta]];
}

/**
 * Build the series.
 * @throws RangeError when two register entries name the same wallet
 * @example stockSeries({ register: [reserve, chivo], flows, balanceAt }).points.at(-1)?.totalSats // the wallets' balances added up
 */
export function stockSeries(input: StockSeriesInput): StockSeries {
  const wallets = new Set<string>();
  for (const e of input.register) {
    if (wallets.has(e.vaultId)) throw new RangeError(`stockSeries: wallet ${e.vaultId} is in the register input twice (pass the latest version of each entry)`);
    wallets.add(e.vaultId);
  }
  const changes = new Map<string, Record<StockComponent, bigint>>();
  const add = (day: string, c: StockComponent, sats: bigint): void => {
    let d = changes.get(day);
    if (!d) changes.set(day, (d = zero()));
    d[c] += sats;
  };
  for (const e of input.register) {
    add(e.joinedOn, 'register-change', input.balanceAt(e.vaultId, dayBefore(e.joinedOn)));
    if (e.leftOn !== null) add(e.leftOn, 'register-change', -input.balanceAt(e.vaultId, dayBefore(e.leftOn)));
  }
  for (const f of input.flows) {
    if (f.date === null) continue;
    for (const [c, sats] of flowParts(f, wallets)) add(f.date, c, sats);
  }
  const running = zero();
  const used = new Set<StockComponent>();
  const points: StockPoint[] = [];
  for (const day of [...changes.keys()].sort()) {
    const d = changes.get(day) as Record<StockComponent, bigint>;
    let total = 0n;
    for (const c of STOCK_COMPONENTS) {
      running[c] += d[c];
      if (running[c] !== 0n) used.add(c);
      total += running[c];
    }
    points.push({ date: day, totalSats: total, byComponent: { ...running } });
  }
  return { points, components: STOCK_COMPONENTS.filter((c) => used.has(c)) };
}

/**
 * At most `max` points of a series, spread evenly, the first and the last always kept. Each point
 * is cumulative, so a kept point is exact on its day; what is dropped are intermediate days.
 * @throws RangeError when max < 2
 * @example thinPoints(series.points, 400).length <= 400
 */
export function thinPoints<T>(points: readonly T[], max: number): T[] {
  if (!Number.isSafeInteger(max) || max < 2) throw new RangeError(`thinPoints: max must be an integer of at least 2, got ${max}`);
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const last = points.length - 1;
  let prev = -1;
  for (let i = 0; i < max; i++) {
    const idx = Math.round((i * last) / (max - 1));
    if (idx === prev) continue;
    prev = idx;
    out.push(points[idx] as T);
  }
  return out;
}
