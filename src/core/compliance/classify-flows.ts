/**
 * Classify every flow touching a registered public wallet from the transaction graph and labels,
 * recording the reason (issue #15). Pure: the caller says which inputs and outputs belong to which
 * registered wallet (from the synced vaults) and hands over the labels.
 *
 * The rules, in order:
 * 1. a coinbase paying a registered wallet → mining reward;
 * 2. every input from a registered wallet and every output to one (a zero-value data output and the
 *    fee aside) → internal consolidation (a self-transfer with change is one too);
 * 3. value comes in from outside the register (the public stock grows, or nothing public is spent):
 *    labelled mining / pool payout → mining reward; labelled seizure WITH a legal reference →
 *    seizure; labelled settlement → settlement receipt; otherwise → external acquisition;
 * 4. otherwise value leaves the register: labelled settlement → settlement payment; labelled sale
 *    → sale; otherwise → payment.
 * A person's override (by txid) wins, and the classifier's own verdict is kept beside it.
 */
import type { TxCategory } from '../vault/types.ts';
import { dayOfTime, type ClassifiedFlow, type FlowClass, type FlowOverride } from './types.ts';

/** A transaction as the register sees it. `wallet` is the registered vault id, or null (outside). */
export interface FlowTx {
  readonly txid: string;
  readonly height: number | null;
  readonly time: number | null;
  readonly coinbase: boolean;
  /** Every input; `sats` known for the register's own coins (null otherwise). */
  readonly inputs: readonly { readonly wallet: string | null; readonly sats: bigint | null }[];
  /** Every output. `data`: an OP_RETURN (pays nobody). */
  readonly outputs: readonly { readonly wallet: string | null; readonly sats: bigint; readonly data: boolean }[];
  /** The category recorded for the transaction (`vault tx --category`, the demo's), if any. */
  readonly category: TxCategory | null;
  /** Labels of the transaction and of its outputs' addresses (BIP-329), and a proposal's memo. */
  readonly labels: readonly string[];
}

const MINING_RE = /\b(mining|mined|pool payout|block reward|coinbase)\b/i;
const SEIZURE_RE = /\bseiz(?:ure|ed)\b/i;
const SETTLEMENT_RE = /\bsettlement\b/i;
const SALE_RE = /\b(sale|sold|sell|selling)\b/i;

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

function walletsOf(list: readonly { wallet: string | null }[]): string[] {
  return [...new Set(list.flatMap((x) => (x.wallet === null ? [] : [x.wallet])))].sort();
}

/** The seizure's legal reference: the label text (without a bare "seizure"), or null when none is recorded. */
export function legalReferenceOf(labels: readonly string[]): string | null {
  for (const l of labels) {
    if (!SEIZURE_RE.test(l)) continue;
    const rest = l.replace(SEIZURE_RE, '').replace(/^[\s:;,.\-–—]+|[\s:;,.\-–—]+$/g, '');
    if (rest.length >= 3) return l.trim();
  }
  return null;
}

/**
 * Classify one transaction (see the rules above).
 * @example classifyFlow({ txid, height: 10, time: 1740614400, coinbase: false, inputs: [{ wallet: 'a', sats: 5n }], outputs: [{ wallet: 'b', sats: 4n, data: false }], category: null, labels: [] }, null).class // 'internal-consolidation'
 */
export function classifyFlow(tx: FlowTx, override: FlowOverride | null): ClassifiedFlow {
  const walletDeltas: Record<string, bigint> = {};
  let publicIn = 0n;
  let publicOut = 0n;
  for (const i of tx.inputs) {
    if (i.wallet === null) continue;
    if (i.sats === null) throw new TypeError(`classifyFlow: input of registered wallet ${i.wallet} in ${tx.txid} has no amount`);
    publicIn += i.sats;
    walletDeltas[i.wallet] = (walletDeltas[i.wallet] ?? 0n) - i.sats;
  }
  for (const o of tx.outputs) {
    if (o.wallet === null) continue;
    publicOut += o.sats;
    walletDeltas[o.wallet] = (walletDeltas[o.wallet] ?? 0n) + o.sats;
  }
  const outsideInputs = tx.coinbase ? 0 : tx.inputs.filter((i) => i.wallet === null).length;
  const outsideOutputs = tx.outputs.filter((o) => o.wallet === null && !(o.data && o.sats === 0n));
  const toOutside = outsideOutputs.reduce((a, o) => a + o.sats, 0n);
  const allInputsPublic = !tx.coinbase && tx.inputs.length > 0 && outsideInputs === 0;
  const feeSats = allInputsPublic ? publicIn - tx.outputs.reduce((a, o) => a + o.sats, 0n) : null;
  const stockDelta = publicOut - publicIn;
  const fromOutside = tx.coinbase ? publicOut : outsideInputs > 0 && stockDelta > 0n ? stockDelta : 0n;
  const hint = [...(tx.category === null ? [] : [tx.category]), ...tx.labels].join(' | ');
  const labelled = (re: RegExp): boolean => re.test(hint);
  const from = walletsOf(tx.inputs);
  const to = walletsOf(tx.outputs);

  let cls: FlowClass;
  let reason: string;
  if (tx.coinbase) {
    cls = 'mining-reward';
    reason = `coinbase transaction: block reward paid to ${to.join(', ')}`;
  } else if (allInputsPublic && outsideOutputs.length === 0) {
    cls = 'internal-consolidation';
    const self = from.length === 1 && to.length === 1 && from[0] === to[0];
    reason = self
      ? `self-transfer within ${from[0] ?? ''}: ${plural(tx.inputs.length, 'input')} and every output its own; only the fee (${feeSats ?? 0n} sats) left the register`
      : `all ${plural(tx.inputs.length, 'input')} from registered wallets (${from.join(', ')}) and every output to registered wallets (${to.join(', ')}); only the fee (${feeSats ?? 0n} sats) left the register`;
  } else if (outsideInputs > 0 && (publicIn === 0n || stockDelta > 0n)) {
    const mixed = publicIn > 0n ? `mixed transaction: ${plural(outsideInputs, 'input')} from outside the register beside registered inputs; ` : `${plural(outsideInputs, 'input')} from outside the register; `;
    const ref = legalReferenceOf(tx.labels);
    if (tx.category === 'mining' || labelled(MINING_RE)) {
      cls = 'mining-reward';
      reason = `${mixed}labelled as mining / a pool payout ("${hint}")`;
    } else if (tx.category === 'seizure' || labelled(SEIZURE_RE)) {
      if (ref !== null || (tx.category === 'seizure' && tx.labels.some((l) => l.trim().length >= 3))) {
        cls = 'seizure';
        reason = `${mixed}seizure, legal reference: ${ref ?? tx.labels.find((l) => l.trim().length >= 3) ?? ''}`;
      } else {
        cls = 'external-acquisition';
        reason = `${mixed}labelled as a seizure but no legal reference is recorded: counted as an acquisition until one is (label the transaction with it)`;
      }
    } else if (tx.category === 'settlement' || labelled(SETTLEMENT_RE)) {
      cls = 'settlement-receipt';
      reason = `${mixed}labelled as an alliance settlement ("${hint}")`;
    } else {
      cls = 'external-acquisition';
      reason = `${mixed}value from outside the register (+${stockDelta} sats to ${to.join(', ')})${hint === '' ? '' : `; labelled "${hint}"`}`;
    }
  } else {
    const mixed = outsideInputs > 0 ? `mixed transaction with ${plural(outsideInputs, 'input')} from outside, net outflow; ` : '';
    const where = `${toOutside} sats left the register from ${from.join(', ')} to ${plural(outsideOutputs.length, 'outside output')}`;
    if (tx.category === 'settlement' || labelled(SETTLEMENT_RE)) {
      cls = 'settlement-payment';
      reason = `${mixed}${where}; labelled as an alliance settlement ("${hint}")`;
    } else if (labelled(SALE_RE)) {
      cls = 'sale';
      reason = `${mixed}${where}; labelled as a sale ("${hint}")`;
    } else {
      cls = 'payment';
      reason = `${mixed}${where}${hint === '' ? '' : `; labelled "${hint}"`}`;
    }
  }
  const base = {
    txid: tx.txid, height: tx.height, time: tx.time, date: tx.time === null ? null : dayOfTime(tx.time),
    stockDelta, walletDeltas, feeSats, fromOutsideSats: fromOutside, toOutsideSats: toOutside,
  };
  if (override !== null && override.txid === tx.txid) {
    return { ...base, class: override.class, reason: `overridden by ${override.setBy}: ${override.reason}`, classified: { class: cls, reason } };
  }
  return { ...base, class: cls, reason, classified: null };
}

/**
 * Classify a history: each transaction once, in chain order (unconfirmed last), each with its
 * override when a person set one — overrides are kept by txid, so one set before a reorg applies
 * again when the transaction comes back.
 */
export function classifyFlows(txs: readonly FlowTx[], overrides: ReadonlyMap<string, FlowOverride>): ClassifiedFlow[] {
  return [...txs]
    .sort((a, b) => (a.height ?? Number.MAX_SAFE_INTEGER) - (b.height ?? Number.MAX_SAFE_INTEGER) || a.txid.localeCompare(b.txid))
    .map((t) => classifyFlow(t, overrides.get(t.txid) ?? null));
}
