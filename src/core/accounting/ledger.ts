/**
 * The double-entry ledger of a vault alliance, in sats, built from its confirmed transaction history
 * (issue #13, item 1). Pure: the history comes in, entries come out.
 *
 * One entry per transaction (all the alliance's vaults together), linked to its txid, its lines
 * summing to zero (debit > 0, credit < 0):
 *  - a receipt from outside debits the receiving vaults' asset accounts and credits the
 *    acquisitions account of its source class (from the transaction's category);
 *  - a spend credits the spending vaults' asset accounts, debits `fees` with the fee when it is
 *    known (every input is the alliance's) and `payments-out` with what left the alliance;
 *  - an internal transfer moves sats between asset accounts: nothing is acquired or paid out, only
 *    the fee is expensed.
 * A reorg (or a relabelled category) never edits an entry: `reconcileLedger` appends a reversing
 * entry for each posting whose transaction is no longer confirmed as posted, and posts it anew if it
 * is confirmed elsewhere.
 */
import { ACQUISITION_SOURCES, type AcquisitionSource, type LedgerAccount, type LedgerEntry, type LedgerLine } from './types.ts';
import type { TxCategory } from '../vault/types.ts';

/** An output a transaction created to one of the alliance's vaults. */
export interface AccountingOutput {
  readonly vout: number;
  readonly sats: bigint;
}

/** An output of one of the alliance's vaults that a transaction spent. */
export interface AccountingInput {
  readonly txid: string;
  readonly vout: number;
  readonly sats: bigint;
}

/**
 * A confirmed transaction as it touches one vault of the alliance — the neutral input of the books.
 * An app builds it from the vault store: `transactions(vaultId)` gives txid, height, txIndex,
 * blockTime (→ `date`), category and fee; `allTxos(vaultId)` gives the vault's outputs created by the
 * transaction (`txid`, `vout`, `value`) and those it spent (`spentTxid` = this txid). Unconfirmed
 * transactions are left out. A transaction touching two vaults appears once per vault.
 */
export interface AccountingTx {
  readonly vaultId: string;
  readonly txid: string;
  /** Height of the confirming block. */
  readonly height: number;
  /** Position in the block (orders transactions of one block). */
  readonly txIndex: number;
  /** UTC date of the confirming block, YYYY-MM-DD. */
  readonly date: string;
  readonly category: TxCategory | null;
  /** This vault's outputs created by the transaction. */
  readonly outputs: readonly AccountingOutput[];
  /** This vault's outputs spent by the transaction. */
  readonly inputs: readonly AccountingInput[];
  /**
   * The transaction's fee when every input is the alliance's, else null. `VaultTransaction.fee`
   * when every input was this vault's; for a spend from two vaults the app computes it from the raw
   * transaction. Records of one transaction must not disagree.
   */
  readonly fee: bigint | null;
}

/** One transaction with every vault it touches (as `groupByTransaction` gives it). */
export interface AllianceTx {
  readonly txid: string;
  readonly height: number;
  readonly txIndex: number;
  readonly date: string;
  readonly category: TxCategory | null;
  readonly fee: bigint | null;
  /** Per vault, sorted by vault id. */
  readonly parts: readonly AccountingTx[];
  /** Sum of the alliance's inputs, outputs. */
  readonly spent: bigint;
  readonly received: bigint;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The acquisition class of a receipt's category (`receipt`, unlabelled and the rest → `other`). */
export function sourceOfCategory(category: TxCategory | null): AcquisitionSource {
  switch (category) {
    case 'purchase':
    case 'mining':
    case 'seizure':
    case 'settlement':
    case 'donation':
      return category;
    case 'receipt':
    case 'payment':
    case 'internal consolidation':
    case null:
      return 'other';
  }
}

/** A stable text key of an account: `asset:<vaultId>`, `acquisitions:<source>`, `payments-out`, `fees`. */
export function accountKey(account: LedgerAccount): string {
  switch (account.kind) {
    case 'asset':
      return `asset:${account.vaultId}`;
    case 'acquisitions':
      return `acquisitions:${account.source}`;
    case 'payments-out':
    case 'fees':
      return account.kind;
  }
}

/**
 * The account a key names (the inverse of `accountKey`); RangeError for a key that names none.
 * @example parseAccountKey('acquisitions:purchase') // { kind: 'acquisitions', source: 'purchase' }
 */
export function parseAccountKey(key: string): LedgerAccount {
  if (key === 'payments-out' || key === 'fees') return { kind: key };
  if (key.startsWith('asset:') && key.length > 6) return { kind: 'asset', vaultId: key.slice(6) };
  if (key.startsWith('acquisitions:')) {
    const source = key.slice(13);
    if ((ACQUISITION_SOURCES as readonly string[]).includes(source)) return { kind: 'acquisitions', source: source as AcquisitionSource };
  }
  throw new RangeError(`ledger: "${key}" is not an account key`);
}

function checkTx(t: AccountingTx): void {
  const label = `AccountingTx ${t.txid} (${t.vaultId})`;
  if (!/^[0-9a-f]{64}$/.test(t.txid)) throw new RangeError(`${label}: "txid" expected 64 hex digits`);
  if (!Number.isSafeInteger(t.height) || t.height < 0) throw new RangeError(`${label}: "height" expected a block height, got ${t.height}`);
  if (!Number.isSafeInteger(t.txIndex) || t.txIndex < 0) throw new RangeError(`${label}: "txIndex" expected a position, got ${t.txIndex}`);
  if (!DATE_RE.test(t.date)) throw new RangeError(`${label}: "date" expected YYYY-MM-DD, got ${t.date}`);
  for (const o of [...t.outputs, ...t.inputs]) {
    if (typeof o.sats !== 'bigint' || o.sats < 0n) throw new RangeError(`${label}: output amounts expected bigint >= 0`);
  }
  if (new Set(t.outputs.map((o) => o.vout)).size !== t.outputs.length) throw new RangeError(`${label}: an output is listed twice`);
  if (t.fee !== null && (typeof t.fee !== 'bigint' || t.fee < 0n)) throw new RangeError(`${label}: "fee" expected bigint >= 0 or null`);
  if (t.outputs.length === 0 && t.inputs.length === 0) throw new RangeError(`${label}: neither receives nor spends`);
}

const sum = (xs: readonly { sats: bigint }[]): bigint => xs.reduce((a, x) => a + x.sats, 0n);

/**
 * Group per-vault records by transaction, in chain order (height, position, txid). Throws RangeError
 * on records of one transaction that disagree (height, date, fee) or a vault listed twice.
 * The category is the first non-null one in vault-id order.
 */
export function groupByTransaction(history: readonly AccountingTx[]): AllianceTx[] {
  const by = new Map<string, AccountingTx[]>();
  for (const t of history) {
    checkTx(t);
    const list = by.get(t.txid);
    if (list) list.push(t);
    else by.set(t.txid, [t]);
  }
  const out: AllianceTx[] = [];
  for (const [txid, list] of by) {
    const parts = [...list].sort((a, b) => (a.vaultId < b.vaultId ? -1 : a.vaultId > b.vaultId ? 1 : 0));
    const first = parts[0] as AccountingTx;
    let fee: bigint | null = null;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as AccountingTx;
      if (i > 0 && p.vaultId === parts[i - 1]?.vaultId) throw new RangeError(`AccountingTx ${txid}: vault ${p.vaultId} listed twice`);
      if (p.height !== first.height || p.date !== first.date || p.txIndex !== first.txIndex) throw new RangeError(`AccountingTx ${txid}: vaults disagree on its block`);
      if (p.fee !== null) {
        if (fee !== null && fee !== p.fee) throw new RangeError(`AccountingTx ${txid}: vaults disagree on its fee`);
        fee = p.fee;
      }
    }
    const category = parts.find((p) => p.category !== null)?.category ?? null;
    out.push({
      txid, height: first.height, txIndex: first.txIndex, date: first.date, category, fee, parts,
      spent: parts.reduce((a, p) => a + sum(p.inputs), 0n),
      received: parts.reduce((a, p) => a + sum(p.outputs), 0n),
    });
  }
  return out.sort((a, b) => a.height - b.height || a.txIndex - b.txIndex || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0));
}

/**
 * The split of a transaction's value between the alliance and the outside world:
 * `external` = spent − received − fee (fee 0 when unknown). Positive: paid out (including the fee
 * when the fee is unknown); negative: acquired from outside (a receipt, or an outsider's inputs in
 * a shared transaction).
 */
export function externalFlow(tx: AllianceTx): { fee: bigint; external: bigint } {
  const fee = tx.fee ?? 0n;
  const external = tx.spent - tx.received - fee;
  if (tx.fee !== null && external < 0n) {
    throw new RangeError(`AccountingTx ${tx.txid}: fee ${tx.fee} given as known, but the alliance receives more than it spends`);
  }
  if (tx.fee !== null && tx.spent === 0n && tx.fee !== 0n) throw new RangeError(`AccountingTx ${tx.txid}: a fee on a transaction with no alliance input`);
  return { fee, external };
}

/** The lines of one transaction (before any reversal), zero lines left out. */
function linesOf(tx: AllianceTx): LedgerLine[] {
  const lines: LedgerLine[] = [];
  for (const p of tx.parts) {
    const delta = sum(p.outputs) - sum(p.inputs);
    if (delta !== 0n) lines.push({ account: { kind: 'asset', vaultId: p.vaultId }, sats: delta });
  }
  const { fee, external } = externalFlow(tx);
  if (fee > 0n) lines.push({ account: { kind: 'fees' }, sats: fee });
  if (external > 0n) lines.push({ account: { kind: 'payments-out' }, sats: external });
  if (external < 0n) lines.push({ account: { kind: 'acquisitions', source: sourceOfCategory(tx.category) }, sats: external });
  return lines;
}

function memoOf(tx: AllianceTx): string {
  const { fee, external } = externalFlow(tx);
  const vaults = tx.parts.map((p) => p.vaultId).join(', ');
  if (tx.spent === 0n) return `receipt (${sourceOfCategory(tx.category)}) into ${vaults}`;
  const what = external > 0n ? (tx.fee === null ? 'payment out (fee unknown, included)' : 'payment out') : external < 0n ? `shared transaction, receipt (${sourceOfCategory(tx.category)})` : 'internal transfer';
  return `${what} from ${vaults}${fee > 0n ? ', fee expensed' : ''}`;
}

/** The entry a transaction would be posted as (id set by the caller). */
function postingOf(tx: AllianceTx, id: string): LedgerEntry {
  return { id, txid: tx.txid, height: tx.height, date: tx.date, lines: linesOf(tx), reverses: null, memo: memoOf(tx) };
}

/**
 * The ledger of a confirmed history, from scratch: one balanced entry per transaction, in chain order.
 * @example
 *   buildLedger([{ vaultId: 'reserve', txid, height: 100, txIndex: 1, date: '2021-09-06',
 *     category: 'purchase', outputs: [{ vout: 0, sats: 20_000_000_000n }], inputs: [], fee: null }])
 *   // → [{ id: txid, lines: [asset:reserve +20_000_000_000, acquisitions:purchase −20_000_000_000], … }]
 */
export function buildLedger(history: readonly AccountingTx[]): LedgerEntry[] {
  return reconcileLedger([], history, null);
}

/** Same account, same amounts, same order. */
function sameLines(a: readonly LedgerLine[], b: readonly LedgerLine[]): boolean {
  return a.length === b.length && a.every((l, i) => l.sats === b[i]?.sats && accountKey(l.account) === accountKey((b[i] as LedgerLine).account));
}

/**
 * The entries to append to `previous` so that the ledger describes `history` (a new confirmed
 * history after a reorg, new blocks, or a relabelled category). Existing entries are never edited:
 *  - a live posting whose transaction is gone from `history`, or is now confirmed at another height
 *    or with other lines, gets a reversing entry (lines negated, `reverses` = its id, dated at
 *    `observedAt` — the tip where the change was seen — id `${postingId}~reversal@${height}`);
 *  - a transaction in `history` without a live, identical posting is posted: id `${txid}` the first
 *    time, `${txid}#n` for its n-th posting after reversals.
 * Reversals come first (newest posting first), then the new postings in chain order.
 * `observedAt` may be null only when nothing needs reversing (RangeError otherwise).
 */
export function reconcileLedger(previous: readonly LedgerEntry[], history: readonly AccountingTx[], observedAt: { readonly height: number; readonly date: string } | null): LedgerEntry[] {
  assertBalanced(previous);
  const txs = groupByTransaction(history);
  const reversed = new Set(previous.flatMap((e) => (e.reverses === null ? [] : [e.reverses])));
  const live = new Map<string, LedgerEntry>();
  const postings = new Map<string, number>();
  for (const e of previous) {
    if (e.reverses !== null) continue;
    postings.set(e.txid, (postings.get(e.txid) ?? 0) + 1);
    if (!reversed.has(e.id)) live.set(e.txid, e);
  }
  const wanted = new Map(txs.map((t) => [t.txid, t]));
  const out: LedgerEntry[] = [];
  const stale = [...live.values()].filter((e) => {
    const t = wanted.get(e.txid);
    return t === undefined || t.height !== e.height || t.date !== e.date || !sameLines(linesOf(t), e.lines);
  });
  const position = new Map(previous.map((e, i) => [e.id, i]));
  stale.sort((a, b) => b.height - a.height || (position.get(b.id) ?? 0) - (position.get(a.id) ?? 0));
  if (stale.length > 0 && observedAt === null) throw new RangeError('reconcileLedger: entries need reversing but "observedAt" is null');
  for (const e of stale) {
    const at = observedAt as { height: number; date: string };
    live.delete(e.txid);
    out.push({
      id: `${e.id}~reversal@${at.height}`, txid: e.txid, height: at.height, date: at.date,
      lines: e.lines.map((l) => ({ account: l.account, sats: -l.sats })), reverses: e.id,
      memo: wanted.has(e.txid) ? `reversal: ${e.txid} is now confirmed at height ${wanted.get(e.txid)?.height} or labelled otherwise` : `reversal: ${e.txid} is no longer confirmed (reorg)`,
    });
  }
  for (const t of txs) {
    if (live.has(t.txid)) continue;
    const n = (postings.get(t.txid) ?? 0) + 1;
    postings.set(t.txid, n);
    out.push(postingOf(t, n === 1 ? t.txid : `${t.txid}#${n}`));
  }
  return out;
}

/** Balance of each account over the entries (debit > 0), zero balances included, sorted by key. */
export function ledgerBalances(entries: readonly LedgerEntry[]): { readonly account: LedgerAccount; readonly key: string; readonly sats: bigint }[] {
  const by = new Map<string, { account: LedgerAccount; key: string; sats: bigint }>();
  for (const e of entries) {
    for (const l of e.lines) {
      const key = accountKey(l.account);
      const b = by.get(key);
      if (b) b.sats += l.sats;
      else by.set(key, { account: l.account, key, sats: l.sats });
    }
  }
  return [...by.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Throws RangeError (naming the entry) unless every entry's lines sum to zero, ids are unique, and
 * every reversal negates, line for line, an earlier entry that is reversed only once.
 * @example assertBalanced(buildLedger(history)) // passes
 */
export function assertBalanced(entries: readonly LedgerEntry[]): void {
  const seen = new Map<string, LedgerEntry>();
  const reversed = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) throw new RangeError(`ledger: entry id ${e.id} appears twice`);
    let total = 0n;
    for (const l of e.lines) {
      if (typeof l.sats !== 'bigint') throw new TypeError(`ledger: entry ${e.id} has a line that is not bigint sats`);
      total += l.sats;
    }
    if (total !== 0n) throw new RangeError(`ledger: entry ${e.id} does not balance (lines sum to ${total} sats)`);
    if (e.reverses !== null) {
      const orig = seen.get(e.reverses);
      if (!orig) throw new RangeError(`ledger: entry ${e.id} reverses ${e.reverses}, which is not an earlier entry`);
      if (reversed.has(e.reverses)) throw new RangeError(`ledger: entry ${e.reverses} is reversed twice`);
      if (orig.txid !== e.txid || !sameLines(orig.lines.map((l) => ({ account: l.account, sats: -l.sats })), e.lines)) {
        throw new RangeError(`ledger: entry ${e.id} does not negate ${e.reverses} line for line`);
      }
      reversed.add(e.reverses);
    }
    seen.set(e.id, e);
  }
}
