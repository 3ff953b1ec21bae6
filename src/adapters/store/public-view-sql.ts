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
    const t = await this.#db.selectFrom('vault_transactions').select('block_time').where('block_hash', '=', hash).limit(1).executeTakeFirst();
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

  async summary(): Promise<PublicSummary> {
    const vaults = await this.#db.selectFrom('vaults').select(['id', 'name']).orderBy('created_at').orderBy('id').execute();
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

  async holdings(): Promise<HoldingPoint[]> {
    const r = await sql<{ day: Aggregate; delta: Aggregate }>`
      select block_time / 86400 as day, sum(received) - sum(spent) as delta
      from vault_transactions where height is not null and block_time is not null
      group by block_time / 86400 order by day`.execute(this.#db);
    let running = 0n;
    return r.rows.map((row) => {
      running += toBig(row.delta);
      return { date: new Date(toNum(row.day) * 86_400_000).toISOString().slice(0, 10), sats: sats(running, 'holding') };
    });
  }

  async addresses(): Promise<PublicAddress[]> {
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

  async transactions(q: TransactionQuery): Promise<TransactionPage> {
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 500) throw new RangeError(`transactions: limit out of range: ${q.limit}`);
    const sortH = sql`coalesce(t.height, ${sql.lit(UNCONFIRMED_SORT)})`;
    const sortI = sql`coalesce(t.tx_index, -1)`;
    let where = sql`1 = 1`;
    if (q.before !== undefined) {
      const [h, i, v, id] = decodeCursor(q.before);
      where = sql`(${sortH} < ${h} or (${sortH} = ${h} and ${sortI} < ${i}) or (${sortH} = ${h} and ${sortI} = ${i} and t.vault_id > ${v})
        or (${sortH} = ${h} and ${sortI} = ${i} and t.vault_id = ${v} and t.txid > ${id}))`;
    }
    const tip = await this.#tip();
    const r = await sql<TransactionRow>`
      select t.vault_id, t.txid, t.height, t.tx_index, t.block_time, t.received, t.spent, coalesce(c.category, t.category) as category
      from vault_transactions t left join tx_categories c on c.txid = t.txid
      where ${where}
      order by ${sortH} desc, ${sortI} desc, t.vault_id asc, t.txid asc
      limit ${q.limit + 1}`.execute(this.#db);
    const rows = r.rows.slice(0, q.limit);
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
      r.rows.length > q.limit && last
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
