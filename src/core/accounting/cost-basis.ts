/**
 * Cost basis of an alliance's bitcoin: lots from confirmed receipts, disposals for what leaves a
 * vault, realised and unrealised P&L (issue #13, item 2). Pure: prices come in as a function.
 *
 * - **Lots.** One lot per output received from outside the alliance (`${txid}:${vout}`), of the
 *   source class of the transaction's category. Its cost is the fiat paid by the purchase record
 *   matched to it (`matchPurchases`; a record matched to several receipts spreads its cost over them
 *   by sats, exactly), else the receipt's sats at the price of the receipt day, flagged
 *   `market-price`. A record without a fiat amount leaves its receipts at `market-price` too.
 * - **Spends**, all of the alliance's vaults together per transaction. The sats leaving the
 *   alliance's hands go, in this order, to: the payment out (spent − received − fee), the fee, and
 *   the outputs to other vaults (vault id, then vout order). Each vault gives up lots by its method:
 *   `fifo` and `average` give up the vault's net outflow (its inputs minus what comes back to it; the
 *   change stays in its lots), `specific` gives up the lots on the spent outputs, whole — the change
 *   then becomes a new lot carrying the rest of their cost (a transfer to the same vault). Pieces of
 *   lots are handed to the destinations in order, cut by `prorate` so the parts sum to the piece.
 * - **Disposals**: `payment` (proceeds = value at the day's price), `fee` (expensed at cost; its value
 *   shown), `transfer` (the cost moves to a new lot in the receiving vault, id
 *   `${txid}:${vout}<-${fromLotId}`, same source class; no P&L). When an outsider's inputs share a
 *   transaction and the alliance ends up with more than it put in, the surplus is a receipt:
 *   new lots at market price.
 * - **P&L**: realised = proceeds − cost over payments; unrealised at a date = value of the remaining
 *   sats at that day's price − their remaining cost.
 * A reorg changes the history; lots are recomputed from it (the ledger keeps the reversals).
 */
import { DomainError } from '../errors.ts';
import { externalFlow, groupByTransaction, sourceOfCategory, type AccountingTx, type AllianceTx } from './ledger.ts';
import { allocate, LotPool, splitPiece, valueAt, type LotPiece } from './lots.ts';
import type { PurchaseMatch, PurchaseReceipt } from './purchases.ts';
import type { AcquisitionSource, CostBasisMethod, CostOrigin, DailyPrice, Disposal, Fiat, Lot, PurchaseRecord } from './types.ts';

/** The price of one bitcoin on a UTC day, or null when there is none. */
export type PriceOnDay = (date: string) => DailyPrice | null;

export interface CostBasisInput {
  /** Confirmed history, per vault (see `AccountingTx`). */
  readonly history: readonly AccountingTx[];
  /** The cost-basis method of each vault in the history (RangeError for a vault without one). */
  readonly methods: Readonly<Record<string, CostBasisMethod>>;
  readonly price: PriceOnDay;
  /** Reporting currency, ISO 4217 (default USD); prices and paid amounts must be in it. */
  readonly currency?: string;
  /** Purchase records and their matches (from `matchPurchases` over `receiptOutputs(history)`). */
  readonly purchases?: { readonly records: readonly PurchaseRecord[]; readonly matches: readonly PurchaseMatch[] };
  /** Only transactions confirmed on or before this UTC day (the books at a date). */
  readonly until?: string;
  /**
   * A vault's method on a day, when methods change over time (recorded with an effective day):
   * before each transaction, a vault whose method on that day differs switches to it (`methods`
   * then gives only the method a vault starts with when this returns undefined). A switch to
   * `specific` needs every open lot whole on an unspent output of the vault (INVALID_ARGUMENT
   * otherwise: under FIFO or average, change is not a lot of its own).
   */
  readonly methodOn?: (vaultId: string, date: string) => CostBasisMethod | undefined;
}

export interface OpenLotView {
  readonly lot: Lot;
  readonly remainingSats: bigint;
  readonly remainingCost: Fiat;
}

export interface VaultHolding {
  readonly vaultId: string;
  readonly method: CostBasisMethod;
  readonly sats: bigint;
  readonly cost: Fiat;
}

export interface CostBasis {
  readonly currency: string;
  /** Every lot created, in creation order (never edited). */
  readonly lots: readonly Lot[];
  /** Every disposal, in chain order. */
  readonly disposals: readonly Disposal[];
  /** Lots with sats left, per vault in arrival order. */
  readonly open: readonly OpenLotView[];
  /** Per vault (sorted by id): sats held and their remaining cost. */
  readonly vaults: readonly VaultHolding[];
}

/**
 * The receipt outputs of a history (transactions with no input of the alliance), for matching
 * purchase records: id `${txid}:${vout}`, vault, date, sats, and the source class of the category
 * (filter to `purchase` and `other` before matching, so a record never takes a mining receipt).
 */
export function receiptOutputs(history: readonly AccountingTx[]): (PurchaseReceipt & { readonly source: AcquisitionSource; readonly txid: string; readonly vout: number })[] {
  return groupByTransaction(history).filter((t) => t.spent === 0n).flatMap((t) =>
    t.parts.flatMap((p) => [...p.outputs].sort((a, b) => a.vout - b.vout).map((o) => ({
      id: `${t.txid}:${o.vout}`, vaultId: p.vaultId, date: t.date, sats: o.sats, source: sourceOfCategory(t.category), txid: t.txid, vout: o.vout,
    }))));
}

/** The day's price in `currency`, or DomainError PRICE_UNAVAILABLE. */
export function requirePrice(price: PriceOnDay, date: string, currency: string, what: string): DailyPrice {
  const p = price(date);
  if (p === null) throw new DomainError('PRICE_UNAVAILABLE', `no ${currency} price of bitcoin for ${date}, needed to value ${what} — extend the price history`, { date, currency });
  if (p.currency !== currency) throw new RangeError(`price for ${date} is in ${p.currency}, expected ${currency}`);
  if (p.date !== date) throw new RangeError(`price asked for ${date} came dated ${p.date}`);
  return p;
}

/** Cost of receipts from matched purchase records with a fiat amount: receipt id → cost and record. */
function recordCosts(input: CostBasisInput, currency: string, receipts: ReadonlyMap<string, bigint>): Map<string, { minor: bigint; recordId: string }> {
  const out = new Map<string, { minor: bigint; recordId: string }>();
  if (!input.purchases) return out;
  const records = new Map(input.purchases.records.map((r) => [r.id, r]));
  for (const m of input.purchases.matches) {
    const rec = records.get(m.recordId);
    if (!rec) throw new RangeError(`cost basis: match names record ${m.recordId}, which is not among the records`);
    if (rec.paid === null) continue;
    if (rec.paid.currency !== currency) {
      throw new DomainError('INVALID_ARGUMENT', `purchase record ${rec.id} was paid in ${rec.paid.currency}; the books are kept in ${currency} — convert the record or report in ${rec.paid.currency}`, { recordId: rec.id });
    }
    const sats = m.receiptIds.map((id) => {
      const s = receipts.get(id);
      if (s === undefined) throw new RangeError(`cost basis: record ${rec.id} is matched to ${id}, which is not a receipt of the history (match again after a reorg)`);
      return s;
    });
    const parts = allocate(rec.paid.minor, sats);
    m.receiptIds.forEach((id, i) => {
      if (out.has(id)) throw new RangeError(`cost basis: receipt ${id} is matched to two records`);
      out.set(id, { minor: parts[i] as bigint, recordId: rec.id });
    });
  }
  return out;
}

interface Destination {
  readonly kind: 'payment' | 'fee' | 'transfer';
  readonly vaultId: string | null;
  readonly vout: number;
  left: bigint;
}

/**
 * Lots, disposals and remaining holdings of a history, by each vault's method.
 * Throws DomainError PRICE_UNAVAILABLE when a needed day's price is missing, INVALID_ARGUMENT for a
 * record paid in another currency; RangeError on an inconsistent history (a spend of sats no lot holds).
 * @example
 *   const basis = computeCostBasis({ history, methods: { reserve: 'fifo' }, price: (d) => prices.get(d) ?? null });
 *   basis.vaults // [{ vaultId: 'reserve', method: 'fifo', sats: 30_000_000n, cost: { currency: 'USD', minor: 1_200_000n } }]
 */
export function computeCostBasis(input: CostBasisInput): CostBasis {
  const currency = input.currency ?? 'USD';
  const history = input.until === undefined ? input.history : input.history.filter((t) => t.date <= (input.until as string));
  const txs = groupByTransaction(history);
  const receipts = new Map(receiptOutputs(history).map((r) => [r.id, r.sats]));
  const fromRecords = recordCosts(input, currency, receipts);
  const pools = new Map<string, LotPool>();
  const unspent = new Map<string, Map<string, bigint>>(); // per vault: `${txid}:${vout}` → sats
  const switchTo = (p: LotPool, tx: AllianceTx): void => {
    const m = input.methodOn?.(p.vaultId, tx.date);
    if (m === undefined || m === p.method) return;
    if (m === 'specific') {
      const { byOutpoint, allWhole } = p.lotsOnOutpoints();
      const outs = unspent.get(p.vaultId) ?? new Map<string, bigint>();
      const fits = allWhole && byOutpoint.size === outs.size && [...byOutpoint].every(([k, sats]) => outs.get(k) === sats);
      if (!fits) {
        throw new DomainError('INVALID_ARGUMENT', `vault ${p.vaultId} cannot switch from ${p.method} to specific identification on ${tx.date}: under ${p.method} its change is not a lot of its own, so its lots do not sit on its coins (switch from the vault's first receipt, or before its first spend)`);
      }
    }
    p.switchMethod(m);
  };
  const pool = (vaultId: string): LotPool => {
    let p = pools.get(vaultId);
    if (!p) {
      const method = input.methods[vaultId];
      if (method === undefined) throw new RangeError(`cost basis: no method for vault ${vaultId}`);
      p = new LotPool(vaultId, method);
      pools.set(vaultId, p);
    }
    return p;
  };
  const lots: Lot[] = [];
  const disposals: Disposal[] = [];
  const newLot = (lot: Lot) => { lots.push(lot); pool(lot.vaultId).add(lot); };

  const acquire = (tx: AllianceTx, vaultId: string, vout: number, sats: bigint) => {
    const id = `${tx.txid}:${vout}`;
    const rec = fromRecords.get(id);
    let cost: bigint;
    let costOrigin: CostOrigin;
    if (rec && receipts.get(id) === sats) {
      cost = rec.minor;
      costOrigin = { kind: 'purchase-record', recordId: rec.recordId };
    } else {
      cost = valueAt(sats, requirePrice(input.price, tx.date, currency, `the receipt ${id}`)).minor;
      costOrigin = { kind: 'market-price', priceDate: tx.date };
    }
    newLot({ id, vaultId, txid: tx.txid, vout, height: tx.height, date: tx.date, source: sourceOfCategory(tx.category), sats, cost: { currency, minor: cost }, costOrigin });
  };

  for (const tx of txs) {
    for (const p of tx.parts) switchTo(pool(p.vaultId), tx);
    for (const p of tx.parts) {
      let u = unspent.get(p.vaultId);
      if (!u) unspent.set(p.vaultId, (u = new Map()));
      for (const i of p.inputs) u.delete(`${i.txid}:${i.vout}`);
      for (const o of p.outputs) if (o.sats > 0n) u.set(`${tx.txid}:${o.vout}`, o.sats);
    }
    if (tx.spent === 0n) {
      for (const p of tx.parts) for (const o of [...p.outputs].sort((a, b) => a.vout - b.vout)) if (o.sats > 0n) acquire(tx, p.vaultId, o.vout, o.sats);
      continue;
    }
    const { fee, external } = externalFlow(tx);
    const dests: Destination[] = [];
    if (external > 0n) dests.push({ kind: 'payment', vaultId: null, vout: -1, left: external });
    if (fee > 0n) dests.push({ kind: 'fee', vaultId: null, vout: -1, left: fee });
    const pieces: LotPiece[] = [];
    const label = `cost basis ${tx.txid}`;
    for (const p of tx.parts) {
      const lp = pool(p.vaultId);
      const inSats = p.inputs.reduce((a, i) => a + i.sats, 0n);
      const outs = [...p.outputs].sort((a, b) => a.vout - b.vout);
      let kept = 0n;
      if (lp.method === 'specific') {
        const taken = lp.takeOutpoints(p.inputs, label);
        const got = taken.reduce((a, x) => a + x.sats, 0n);
        if (got !== inSats) throw new RangeError(`${label}: vault ${p.vaultId} spends ${inSats} sats but its lots on those outputs hold ${got}`);
        pieces.push(...taken);
      } else {
        const outSats = outs.reduce((a, o) => a + o.sats, 0n);
        kept = inSats < outSats ? inSats : outSats;
        pieces.push(...lp.take(inSats - kept, label));
      }
      for (const o of outs) {
        const skip = kept < o.sats ? kept : o.sats;
        kept -= skip;
        if (o.sats - skip > 0n) dests.push({ kind: 'transfer', vaultId: p.vaultId, vout: o.vout, left: o.sats - skip });
      }
    }
    let price: DailyPrice | null = null;
    const priced = (): DailyPrice => (price ??= requirePrice(input.price, tx.date, currency, `what ${tx.txid} moved`));
    let queue = pieces;
    for (const d of dests) {
      while (d.left > 0n && queue.length > 0) {
        const head = queue[0] as LotPiece;
        let slice = head;
        if (head.sats > d.left) {
          const [a, b] = splitPiece(head, d.left);
          slice = a;
          queue = [b, ...queue.slice(1)];
        } else queue = queue.slice(1);
        d.left -= slice.sats;
        disposals.push({ lotId: slice.lot.id, vaultId: slice.lot.vaultId, txid: tx.txid, height: tx.height, date: tx.date, sats: slice.sats, cost: { currency, minor: slice.cost }, value: valueAt(slice.sats, priced()), kind: d.kind });
        if (d.kind === 'transfer') {
          const to = d.vaultId as string;
          newLot({
            id: `${tx.txid}:${d.vout}<-${slice.lot.id}`, vaultId: to, txid: tx.txid, vout: d.vout, height: tx.height, date: tx.date, source: slice.lot.source,
            sats: slice.sats, cost: { currency, minor: slice.cost }, costOrigin: { kind: 'transfer', fromVaultId: slice.lot.vaultId, fromLotId: slice.lot.id },
          });
        }
      }
      if (d.left > 0n) {
        // What the alliance's lots did not fund came from an outsider's inputs: a receipt.
        if (d.kind !== 'transfer' || external >= 0n) throw new RangeError(`${label}: ${d.left} sats of the ${d.kind} are not covered by the vaults' lots`);
        acquire(tx, d.vaultId as string, d.vout, d.left);
        d.left = 0n;
      }
    }
    if (queue.length > 0) throw new RangeError(`${label}: ${queue.reduce((a, x) => a + x.sats, 0n)} sats of spent lots went nowhere`);
  }

  const ids = [...pools.keys()].sort();
  return {
    currency,
    lots,
    disposals,
    open: ids.flatMap((id) => (pools.get(id) as LotPool).open().map((o) => ({ lot: o.lot, remainingSats: o.remainingSats, remainingCost: { currency, minor: o.remainingCost } }))),
    vaults: ids.map((id) => {
      const p = pools.get(id) as LotPool;
      return { vaultId: id, method: p.method, sats: p.sats, cost: { currency, minor: p.cost } };
    }),
  };
}

export interface RealisedPnl {
  readonly currency: string;
  /** Payments out: value at the day's price, their cost, and the difference. */
  readonly proceeds: Fiat;
  readonly cost: Fiat;
  readonly pnl: Fiat;
  /** Fees: expensed at cost; their value on the day, for information. */
  readonly feesCost: Fiat;
  readonly feesValue: Fiat;
}

/**
 * Realised P&L of the payments among `disposals` dated within [from, to] (inclusive, either open).
 * Transfers realise nothing; fees are expenses, reported apart.
 * @example realisedPnl(basis.disposals, 'USD', { from: '2024-01-01', to: '2024-12-31' }).pnl.minor
 */
export function realisedPnl(disposals: readonly Disposal[], currency: string, period: { readonly from?: string; readonly to?: string } = {}): RealisedPnl {
  let proceeds = 0n, cost = 0n, feesCost = 0n, feesValue = 0n;
  for (const d of disposals) {
    if ((period.from !== undefined && d.date < period.from) || (period.to !== undefined && d.date > period.to)) continue;
    if (d.cost.currency !== currency || d.value.currency !== currency) throw new RangeError(`realisedPnl: disposal of ${d.lotId} is not in ${currency}`);
    if (d.kind === 'payment') { proceeds += d.value.minor; cost += d.cost.minor; }
    if (d.kind === 'fee') { feesCost += d.cost.minor; feesValue += d.value.minor; }
  }
  const f = (minor: bigint): Fiat => ({ currency, minor });
  return { currency, proceeds: f(proceeds), cost: f(cost), pnl: f(proceeds - cost), feesCost: f(feesCost), feesValue: f(feesValue) };
}

export interface UnrealisedPnl {
  readonly date: string;
  readonly vaults: readonly (VaultHolding & { readonly value: Fiat; readonly pnl: Fiat })[];
  readonly total: { readonly sats: bigint; readonly cost: Fiat; readonly value: Fiat; readonly pnl: Fiat };
}

/**
 * Unrealised P&L of the holdings at `price` (compute the basis with `until` = the price's date for
 * the books at that day): value of each vault's sats − their remaining cost, and the total (the
 * total's value is the sum of the vaults' rounded values).
 * @example unrealisedPnl(computeCostBasis({ ...input, until: '2025-12-31' }), priceOn('2025-12-31')).total.pnl
 */
export function unrealisedPnl(basis: CostBasis, price: DailyPrice): UnrealisedPnl {
  if (price.currency !== basis.currency) throw new RangeError(`unrealisedPnl: price in ${price.currency}, books in ${basis.currency}`);
  const c = basis.currency;
  const vaults = basis.vaults.map((v) => {
    const value = valueAt(v.sats, price);
    return { ...v, value, pnl: { currency: c, minor: value.minor - v.cost.minor } };
  });
  const sats = vaults.reduce((a, v) => a + v.sats, 0n);
  const cost = vaults.reduce((a, v) => a + v.cost.minor, 0n);
  const value = vaults.reduce((a, v) => a + v.value.minor, 0n);
  return { date: price.date, vaults, total: { sats, cost: { currency: c, minor: cost }, value: { currency: c, minor: value }, pnl: { currency: c, minor: value - cost } } };
}
