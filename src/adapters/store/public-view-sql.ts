/**
 * The public reserve view over the synced vault tables (migration 0002), on SQLite and
 * PostgreSQL alike. Read-only; returns public data only (no key holders, no labels, no raw txs).
 *
 * Balances come from `vault_txos`: confirmed = confirmed outputs not spent in a block;
 * unconfirmed = the mempool's net effect (new unspent outputs minus confirmed ones it spends).
 */
import { sql, type Selectable } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import { sats, sumSats } from '../../core/money.ts';
import type { Network } from '../../core/network.ts';
import {
  TX_CATEGORIES,
  type HoldingPoint,
  type PublicAddress,
  type PublicReserveView,
  type PublicSummary,
  type PublicTip,
  type PublicVaultTotal,
  type PublicVerification,
  type TransactionPage,
  type TransactionQuery,
  type TxCategory,
} from '../../core/transparency/public-view.ts';
import { toBig, toNum, toNumOrNull, type Database } from './database.ts';
import type { VaultTransactionsTable } from './schema.ts';

/**
 * An aggregate from raw SQL as the drivers return it: SQLite gives bigint; PostgreSQL gives
 * `count` as int8 (bigint) and `sum` as numeric (a string). Read with `toBig`/`toNum`.
 */
type Aggregate = bigint | number | string;
/** A sum per vault, or per vault address when `branch`/`idx` (and `txs`) are present. */
interface BalanceRow {
  vault_id: string;
  branch?: bigint | number;
  idx?: bigint | number;
  confirmed: Aggregate;
  unconfirmed: Aggregate;
  txs?: Aggregate;
}
interface CountRow {
  vault_id: string;
  n: Aggregate;
}
type TransactionRow = Pick<Selectable<VaultTransactionsTable>, 'vault_id' | 'txid' | 'height' | 'tx_index' | 'block_time' | 'received' | 'spent' | 'category'>;
const UNCONFIRMED_SORT = 2_147_483_647;

/** Per vault, per UTC day number: the net confirmed change and how many transactions made it. */
type Days = Map<string, Map<number, { net: bigint; n: number }>>;
type Tips = Map<string, { height: number; hash: string }>;
interface DailyState {
  readonly days: Days;
  readonly points: HoldingPoint[];
  readonly count: number;
  readonly maxHeight: number;
  readonly tips: Tips;
  /** Whether `days` came from the daily aggregate (which later refreshes may then extend). */
  readonly fromAggregate: boolean;
}

function addDelta(days: Days, vault: string, day: number, delta: bigint, n: number): void {
  let m = days.get(vault);
  if (!m) days.set(vault, (m = new Map()));
  const cur = m.get(day);
  m.set(day, cur ? { net: cur.net + delta, n: cur.n + n } : { net: delta, n });
}

function sameTips(a: Tips, b: Tips): boolean {
  if (a.size !== b.size) return false;
  for (const [k, t] of a) {
    const u = b.get(k);
    if (!u || u.height !== t.height || u.hash !== t.hash) return false;
  }
  return true;
}

const DAY_MS = 86_400_000;

/**
 * The running totals: one point per day with a confirmed transaction, each with every vault's
 * balance at the end of that day (vaults in id order, from their first transaction on). `kept`: the
 * points already computed up to some day (a prefix of the answer); only the days after it are added.
 */
export function holdingPoints(days: Days, kept: readonly HoldingPoint[] = []): HoldingPoint[] {
  const last = kept[kept.length - 1];
  const after = last ? Date.parse(`${last.date}T00:00:00Z`) / DAY_MS : -Infinity;
  const all = new Map<number, Array<[string, bigint]>>();
  for (const [vault, m] of days) {
    for (const [day, d] of m) {
      if (day <= after) continue;
      const at = all.get(day);
      if (at) at.push([vault, d.net]);
      else all.set(day, [[vault, d.net]]);
    }
  }
  const vaults = [...days.keys()].sort();
  const running = new Map<string, bigint>((last?.vaults ?? []).map((v) => [v.vault, v.sats]));
  let total: bigint = last?.sats ?? 0n;
  const out: HoldingPoint[] = [...kept];
  for (const day of [...all.keys()].sort((x, y) => x - y)) {
    for (const [vault, delta] of all.get(day) ?? []) {
      running.set(vault, (running.get(vault) ?? 0n) + delta);
      total += delta;
    }
    const list: Array<{ vault: string; sats: HoldingPoint['sats'] }> = [];
    for (const v of vaults) {
      const b = running.get(v);
      if (b !== undefined) list.push({ vault: v, sats: sats(b, 'holding') });
    }
    out.push({ date: new Date(day * DAY_MS).toISOString().slice(0, 10), sats: sats(total, 'holding'), vaults: list });
  }
  return out;
}

function category(v: unknown): TxCategory {
  return TX_CATEGORIES.find((c) => c === v) ?? 'unknown';
}

function encodeCursor(h: number, ti: number, vault: string, txid: string): string {
  return Buffer.from(JSON.stringify([h, ti, vault, txid]), 'utf8').toString('base64url');
}

function decodeCursor(c: string): [number, number, string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 4 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]) && typeof v[2] === 'string' && typeof v[3] === 'string') {
      return v as [number, number, string, string];
    }
  } catch {
    /* fall through */
  }
  throw new DomainError('INVALID_ARGUMENT', 'the "before" cursor is not one this server issued');
}

/** The settings key that marks a vault's published figures as illustrative (demo or example data, not real holdings). */
export const ILLUSTRATIVE_KEY_PREFIX = 'public.illustrative:';

/** Mark a vault's published figures as illustrative (the public API says so, the page labels them), or unmark them. */
export async function setVaultIllustrative(database: Database, vaultId: string, illustrative: boolean): Promise<void> {
  const key = `${ILLUSTRATIVE_KEY_PREFIX}${vaultId}`;
  if (!illustrative) {
    await database.db.deleteFrom('settings').where('key', '=', key).execute();
    return;
  }
  await database.db.insertInto('settings').values({ key, value: '1' }).onConflict((oc) => oc.column('key').doUpdateSet({ value: '1' })).execute();
}

/** The ids of the vaults marked illustrative. */
export async function illustrativeVaults(database: Database): Promise<Set<string>> {
  const rows = await database.db.selectFrom('settings').select(['key', 'value']).where('key', 'like', `${ILLUSTRATIVE_KEY_PREFIX}%`).execute();
  return new Set(rows.filter((r) => r.value === '1').map((r) => r.key.slice(ILLUSTRATIVE_KEY_PREFIX.length)));
}

export class SqlPublicView implements PublicReserveView {
  readonly #database: Database;
  readonly #network: Network;

  constructor(database: Database, network: Network) {
    this.#database = database;
    this.#network = network;
  }

  get #db() {
    return this.#database.db;
  }

  async #tip(): Promise<PublicTip | null> {
    const row = await this.#db.selectFrom('vault_checkpoints').select(['height', 'hash']).orderBy('height', 'desc').limit(1).executeTakeFirst();
    if (!row) return null;
    const hash = row.hash;
    // by height first (indexed), then the hash: no scan of the transactions table
    const t = await this.#db.selectFrom('vault_transactions').select('block_time').where('height', '=', row.height).where('block_hash', '=', hash).limit(1).executeTakeFirst();
    return { height: toNum(row.height), hash, time: t ? toNumOrNull(t.block_time) : null };
  }

  /** Per vault (and per address when `byAddress`) confirmed and mempool sums. */
  async #balances(byAddress: boolean): Promise<BalanceRow[]> {
    const keys = byAddress ? sql`vault_id, branch, idx` : sql`vault_id`;
    const r = await sql<BalanceRow>`
      select ${keys},
        sum(case when height is not null and spent_height is null then value else 0 end) as confirmed,
        sum(case when height is null and spent_txid is null then value else 0 end)
          - sum(case when height is not null and spent_txid is not null and spent_height is null then value else 0 end) as unconfirmed
      from vault_txos group by ${keys}`.execute(this.#db);
    if (!byAddress) return r.rows;
    // transactions touching each address: those that paid to it and those that spent from it
    const t = await sql<Required<Omit<BalanceRow, 'confirmed' | 'unconfirmed'>>>`
      select vault_id, branch, idx, count(distinct t) as txs from (
        select vault_id, branch, idx, txid as t from vault_txos
        union all select vault_id, branch, idx, spent_txid as t from vault_txos where spent_txid is not null
      ) x group by vault_id, branch, idx`.execute(this.#db);
    const txs = new Map(t.rows.map((x) => [`${x.vault_id}/${toNum(x.branch)}/${toNum(x.idx)}`, x.txs]));
    return r.rows.map((x) => ({ ...x, txs: txs.get(`${x.vault_id}/${toNum(x.branch)}/${toNum(x.idx)}`) ?? 0 }));
  }

  /**
   * What the synced tables look like, from cheap reads (table counts, the mempool's few rows, each
   * vault's tip checkpoint, the vault list): sync changes at least one of these whenever it changes
   * a balance (a block adds a checkpoint and rows, a rollback removes checkpoints, the mempool view
   * is its rows). Summary and addresses are reused while it is the same.
   */
  async #syncKey(): Promise<string> {
    const n = await sql<{ n: Aggregate; mh: Aggregate | null }>`select count(*) as n, (select max(height) from vault_transactions) as mh from vault_transactions`.execute(this.#db);
    const mempool = await sql<{ vault_id: string; txid: string }>`select vault_id, txid from vault_transactions where height is null order by vault_id, txid`.execute(this.#db);
    const txos = await sql<{ n: Aggregate }>`select count(*) as n from vault_txos`.execute(this.#db);
    const addrs = await sql<{ n: Aggregate; u: Aggregate | null }>`select count(*) as n, sum(used) as u from vault_addresses`.execute(this.#db);
    const vaults = await this.#db.selectFrom('vaults').select(['id', 'name']).orderBy('id').execute();
    const fp = await this.#fingerprint();
    return JSON.stringify([
      String(n.rows[0]?.n ?? 0), String(n.rows[0]?.mh ?? ''), mempool.rows.map((r) => `${r.vault_id}/${r.txid}`),
      String(txos.rows[0]?.n ?? 0), String(addrs.rows[0]?.n ?? 0), String(addrs.rows[0]?.u ?? 0),
      vaults.map((v) => [v.id, v.name]), [...(await illustrativeVaults(this.#database))].sort(), [...fp.tips].map(([v, t]) => [v, t.height, t.hash]).sort(),
    ]);
  }

  readonly #kept = new Map<string, { key: string; value: Promise<unknown> }>();

  /** `compute()`, or its last answer while `#syncKey()` is unchanged. */
  async #reuse<T>(name: string, compute: () => Promise<T>): Promise<T> {
    const key = await this.#syncKey();
    const hit = this.#kept.get(name);
    if (hit && hit.key === key) return hit.value as Promise<T>;
    const value = compute();
    this.#kept.set(name, { key, value });
    value.catch(() => {
      if (this.#kept.get(name)?.value === value) this.#kept.delete(name);
    });
    return value;
  }

  // A new object each call (the same contents): callers key their own caches on the answer's
  // identity per cache period (the books route does) and must see a new period as new.
  async summary(): Promise<PublicSummary> {
    return { ...(await this.#reuse('summary', () => this.#summary())) };
  }

  async addresses(): Promise<PublicAddress[]> {
    return [...(await this.#reuse('addresses', () => this.#addresses()))];
  }

  async #summary(): Promise<PublicSummary & { vaults: ReadonlyArray<PublicVaultTotal & { illustrative: boolean }> }> {
    const vaults = await this.#db.selectFrom('vaults').select(['id', 'name']).orderBy('created_at').orderBy('id').execute();
    const illustrative = await illustrativeVaults(this.#database);
    const bal = new Map((await this.#balances(false)).map((r) => [r.vault_id, r]));
    // addresses in use: marked used, or holding (or having held) an output; one pass over each table
    const used = await sql<CountRow>`
      select vault_id, count(*) as n from (
        select vault_id, branch, idx from vault_addresses where used <> 0
        union select vault_id, branch, idx from vault_txos
      ) x group by vault_id`.execute(this.#db);
    const counts = new Map(used.rows.map((r) => [r.vault_id, toNum(r.n)]));
    const list = vaults.map((v) => {
      const b = bal.get(v.id);
      return {
        id: v.id,
        name: v.name,
        confirmedSats: sats(b ? toBig(b.confirmed) : 0n, 'confirmed'),
        unconfirmedSats: b ? toBig(b.unconfirmed) : 0n,
        addressCount: counts.get(v.id) ?? 0,
        illustrative: illustrative.has(v.id),
      };
    });
    return {
      network: this.#network,
      tip: await this.#tip(),
      confirmedSats: sumSats(list.map((v) => v.confirmedSats), 'confirmed'),
      unconfirmedSats: list.reduce((s, v) => s + v.unconfirmedSats, 0n),
      vaults: list,
    };
  }

  /**
   * Holdings over time from a compact per-vault daily series kept in memory, refreshed from what
   * changed (see `#refreshDaily`): nothing is read again while nothing changed, and the answer is
   * then the same (frozen) array, so the public route reuses its serialized bytes across cache
   * periods instead of encoding thousands of points again every few seconds.
   */
  holdings(): Promise<HoldingPoint[]> {
    const run = this.#dailyLock.then(() => this.#refreshDaily());
    this.#dailyLock = run.then(() => undefined, () => undefined);
    return run;
  }

  #daily: DailyState | null = null;
  #dailyLock: Promise<void> = Promise.resolve();

  /** The confirmed transactions' count and top height (from the height index) and each vault's tip. */
  async #fingerprint(): Promise<{ count: number; maxHeight: number; tips: Map<string, { height: number; hash: string }> }> {
    // count(*) of a whole table and max() of an indexed column are cheap; the mempool's rows are few
    const c = await sql<{ n: Aggregate; mh: Aggregate | null }>`
      select count(*) - (select count(*) from vault_transactions where height is null) as n,
        (select max(height) from vault_transactions) as mh from vault_transactions`.execute(this.#db);
    const tipRows = await sql<{ vault_id: string; height: Aggregate; hash: string }>`
      select c.vault_id, c.height, c.hash from vault_checkpoints c
      where c.height = (select max(x.height) from vault_checkpoints x where x.vault_id = c.vault_id)`.execute(this.#db);
    const row = c.rows[0];
    return {
      count: row ? toNum(row.n) : 0,
      maxHeight: row && row.mh !== null ? toNum(row.mh) : -1,
      tips: new Map(tipRows.rows.map((r) => [r.vault_id, { height: toNum(r.height), hash: r.hash }])),
    };
  }

  /**
   * Holdings read migration 0015's daily aggregate (one row per vault and day, kept by the store in
   * the same transaction as sync's changes) instead of every transaction:
   * - nothing changed → the same answer;
   * - only blocks above every vault's previous tip were added (no rollback, no new vault) → the
   *   aggregate's rows from the first day those blocks touch, provided they account for exactly the
   *   new transactions; the points before that day are kept;
   * - otherwise the whole aggregate, provided it accounts for every confirmed transaction (its
   *   counts add up to the confirmed rows).
   * Rows written around the store (fixtures, a repair by hand) break those sums, and the answer is
   * then computed from the transactions in one scan, as before the aggregate existed.
   */
  async #refreshDaily(): Promise<HoldingPoint[]> {
    const fp = await this.#fingerprint();
    const old = this.#daily;
    if (old && fp.count === old.count && fp.maxHeight === old.maxHeight && sameTips(fp.tips, old.tips)) return old.points;
    if (old?.fromAggregate && (await this.#appendOnly(old, fp.tips))) {
      const points = await this.#extend(old, fp);
      if (points) return points;
    }
    const agg = await sql<{ vault_id: string; day: Aggregate; net: Aggregate; txs: Aggregate }>`select vault_id, day, net, txs from vault_daily`.execute(this.#db);
    let counted = 0;
    for (const x of agg.rows) counted += toNum(x.txs);
    const days: Days = new Map();
    if (counted === fp.count) {
      for (const x of agg.rows) addDelta(days, x.vault_id, toNum(x.day), toBig(x.net), toNum(x.txs));
      return this.#keep(days, fp, true, []);
    }
    const r = await sql<{ vault_id: string; day: Aggregate; delta: Aggregate; n: Aggregate }>`
      select vault_id, block_time / 86400 as day, sum(received) - sum(spent) as delta, count(*) as n
      from vault_transactions where height is not null and block_time is not null
      group by vault_id, block_time / 86400`.execute(this.#db);
    for (const x of r.rows) addDelta(days, x.vault_id, toNum(x.day), toBig(x.delta), toNum(x.n));
    return this.#keep(days, fp, false, []);
  }

  /**
   * After blocks above every vault's previous tip: the new transactions (an indexed range on
   * height) name the first day they touch; the aggregate's rows from that day on replace the kept
   * ones when their counts grew by exactly the new transactions. Null when they do not (rows
   * written around the store): the caller reads everything.
   */
  async #extend(old: DailyState, fp: { count: number; maxHeight: number; tips: Tips }): Promise<HoldingPoint[] | null> {
    const from = Math.min(...[...old.tips.values()].map((t) => t.height), old.maxHeight);
    const r = await sql<{ vault_id: string; height: Aggregate; block_time: Aggregate | null }>`
      select vault_id, height, block_time from vault_transactions where height > ${from}`.execute(this.#db);
    const fresh = r.rows.filter((x) => toNum(x.height) > (old.tips.get(x.vault_id)?.height ?? old.maxHeight));
    if (old.count + fresh.length !== fp.count) return null;
    const timed = fresh.filter((x) => x.block_time !== null).map((x) => Math.floor(toNum(x.block_time) / 86_400));
    if (timed.length === 0) return this.#keep(old.days, fp, true, old.points);
    const first = Math.min(...timed);
    const tail = await sql<{ vault_id: string; day: Aggregate; net: Aggregate; txs: Aggregate }>`
      select vault_id, day, net, txs from vault_daily where day >= ${first}`.execute(this.#db);
    let before = 0;
    for (const m of old.days.values()) for (const [day, d] of m) if (day >= first) before += d.n;
    let now = 0;
    for (const x of tail.rows) now += toNum(x.txs);
    if (now !== before + timed.length) return null;
    for (const m of old.days.values()) for (const day of [...m.keys()]) if (day >= first) m.delete(day);
    for (const x of tail.rows) addDelta(old.days, x.vault_id, toNum(x.day), toBig(x.net), toNum(x.txs));
    const kept = old.points.filter((p) => Date.parse(`${p.date}T00:00:00Z`) / DAY_MS < first);
    return this.#keep(old.days, fp, true, kept);
  }

  /** Whether every vault of the old answer still has its old tip (no rollback) and no vault is new. */
  async #appendOnly(old: DailyState, tips: Tips): Promise<boolean> {
    if (old.tips.size === 0 || tips.size !== old.tips.size) return false;
    for (const [vault, t] of old.tips) {
      const now = tips.get(vault);
      if (!now || now.height < t.height) return false;
      const still = await this.#db.selectFrom('vault_checkpoints').select('hash').where('vault_id', '=', vault).where('height', '=', t.height).executeTakeFirst();
      if (still?.hash !== t.hash) return false;
    }
    return true;
  }

  #keep(days: Days, fp: { count: number; maxHeight: number; tips: Tips }, fromAggregate: boolean, kept: readonly HoldingPoint[]): HoldingPoint[] {
    const points = Object.freeze(holdingPoints(days, kept)) as HoldingPoint[];
    this.#daily = { days, points, count: fp.count, maxHeight: fp.maxHeight, tips: fp.tips, fromAggregate };
    return points;
  }

  async #addresses(): Promise<PublicAddress[]> {
    const bal = new Map((await this.#balances(true)).map((r) => [`${r.vault_id}/${toNum(r.branch)}/${toNum(r.idx)}`, r]));
    const rows = await this.#db
      .selectFrom('vault_addresses as a')
      .innerJoin('vaults as v', 'v.id', 'a.vault_id')
      .select(['a.vault_id', 'a.branch', 'a.idx', 'a.address', 'a.used', 'v.kind', 'v.created_at'])
      .orderBy('v.created_at')
      .orderBy('a.vault_id')
      .orderBy('a.branch')
      .orderBy('a.idx')
      .execute();
    const out: PublicAddress[] = [];
    for (const r of rows) {
      const b = bal.get(`${r.vault_id}/${toNum(r.branch)}/${toNum(r.idx)}`);
      // the look-ahead addresses a wallet derives but never used are not part of the reserve
      if (!b && toNum(r.used) === 0 && r.kind !== 'addresses') continue;
      out.push({
        address: r.address,
        vault: r.vault_id,
        kind: r.kind === 'addresses' ? 'watched' : toNum(r.branch) === 1 ? 'change' : 'receive',
        index: toNum(r.idx),
        confirmedSats: sats(b ? toBig(b.confirmed) : 0n, 'confirmed'),
        unconfirmedSats: b ? toBig(b.unconfirmed) : 0n,
        txCount: b ? toNum(b.txs) : 0,
      });
    }
    return out;
  }

  /** Newest first; `vault`: only that vault's (the public route's `?vault=`). */
  async transactions(q: TransactionQuery & { readonly vault?: string }): Promise<TransactionPage> {
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 500) throw new RangeError(`transactions: limit out of range: ${q.limit}`);
    const only = q.vault === undefined ? sql`` : sql` and t.vault_id = ${q.vault}`;
    const cursor = q.before === undefined ? null : decodeCursor(q.before);
    const tip = await this.#tip();
    const want = q.limit + 1;
    const cols = sql`t.vault_id, t.txid, t.height, t.tx_index, t.block_time, t.received, t.spent, coalesce(c.category, t.category) as category`;
    // Newest first: the mempool (height null) first, then by height descending on the height index
    // (so a page reads about `limit` rows, not the whole table), ties by tx_index desc, vault, txid.
    let found: TransactionRow[] = [];
    if (cursor === null || cursor[0] >= UNCONFIRMED_SORT) {
      const after = cursor === null ? sql`1 = 1` : sql`(t.vault_id > ${cursor[2]} or (t.vault_id = ${cursor[2]} and t.txid > ${cursor[3]}))`;
      const r = await sql<TransactionRow>`
        select ${cols} from vault_transactions t left join tx_categories c on c.txid = t.txid
        where t.height is null and ${after}${only}
        order by t.vault_id asc, t.txid asc limit ${want}`.execute(this.#db);
      found = r.rows;
    }
    if (found.length < want) {
      let where = sql`t.height is not null`;
      if (cursor !== null && cursor[0] < UNCONFIRMED_SORT) {
        const [h, i, v, id] = cursor;
        const sortI = sql`coalesce(t.tx_index, -1)`;
        where = sql`t.height is not null and t.height <= ${h} and (t.height < ${h} or ${sortI} < ${i} or (${sortI} = ${i} and t.vault_id > ${v})
          or (${sortI} = ${i} and t.vault_id = ${v} and t.txid > ${id}))`;
      }
      const r = await sql<TransactionRow>`
        select ${cols} from vault_transactions t left join tx_categories c on c.txid = t.txid
        where ${where}${only}
        order by t.height desc, coalesce(t.tx_index, -1) desc, t.vault_id asc, t.txid asc
        limit ${want - found.length}`.execute(this.#db);
      found = [...found, ...r.rows];
    }
    const rows = found.slice(0, q.limit);
    const items = rows.map((t) => {
      const height = toNumOrNull(t.height);
      return {
        txid: t.txid,
        time: toNumOrNull(t.block_time),
        height,
        confirmations: height === null || !tip ? 0 : Math.max(0, tip.height - height + 1),
        category: category(t.category),
        netSats: toBig(t.received) - toBig(t.spent),
        vault: t.vault_id,
      };
    });
    const last = rows[rows.length - 1];
    const nextBefore =
      found.length > q.limit && last
        ? encodeCursor(toNumOrNull(last.height) ?? UNCONFIRMED_SORT, toNumOrNull(last.tx_index) ?? -1, last.vault_id, last.txid)
        : null;
    return { items, nextBefore };
  }

  async verification(): Promise<PublicVerification> {
    const vaults = await this.#db.selectFrom('vaults').select(['id', 'name', 'kind', 'descriptor', 'threshold']).orderBy('created_at').orderBy('id').execute();
    const keyCounts = await sql<CountRow>`select vault_id, count(*) as n from vault_keys group by vault_id`.execute(this.#db);
    const nKeys = new Map(keyCounts.rows.map((r) => [r.vault_id, toNum(r.n)]));
    const watched = await this.#db.selectFrom('vault_addresses as a').innerJoin('vaults as v', 'v.id', 'a.vault_id')
      .select(['a.vault_id', 'a.address']).where('v.kind', '=', 'addresses').orderBy('a.vault_id').orderBy('a.idx').execute();
    return {
      network: this.#network,
      tip: await this.#tip(),
      vaults: vaults.map((v) => ({
        id: v.id,
        name: v.name,
        descriptors: v.descriptor === null ? [] : [v.descriptor],
        addresses: watched.filter((a) => a.vault_id === v.id).map((a) => a.address),
        threshold: toNumOrNull(v.threshold),
        keyCount: v.kind === 'descriptor' ? (nKeys.get(v.id) ?? null) : null,
      })),
    };
  }
}
