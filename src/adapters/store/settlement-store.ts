/**
 * Alliance settlement in the database (migration 0013): members, invoices, the incremental
 * positions, cycles, the screening list and holds. Every write is one transaction with its audit
 * entry (`inWriteTransaction`: SQLite BEGIN IMMEDIATE, PostgreSQL the governance advisory lock).
 *
 * Positions: a confirmed invoice joins the open bucket of its (due day, currency) and adds its
 * amount to the exporter's receivable and the importer's payable there, in the same transaction as
 * the confirmation; a dispute or exclusion takes it out again. A close reads the open buckets due
 * by the cutoff grouped by member and currency — O(days × members × currencies) rows — and stamps
 * them with the cycle id: an invoice's cycle is its bucket's, so no invoice row is touched.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import { canonicalJson } from '../../core/audit/hash-chain.ts';
import type { NetBookSnapshot } from '../../core/settlement/netting.ts';
import type { ScreeningList, ScreeningMatch } from '../../core/settlement/screening.ts';
import type {
  CloseRequest, CycleGross, CycleStatus, HoldKind, HoldStatus, InvoiceFilter, InvoiceStatus, MemberStatus, NetCompute, NewHold, NewInvoice, OpenPosition,
  ScreeningHold, SettlementStore, StoredCycle, StoredInvoice, StoredMember, StoredScreeningList,
} from '../../core/settlement/store-port.ts';
import type { ClosedCycle, LockedRate, MemberCode } from '../../core/settlement/types.ts';
import type { AuditFields } from '../../core/spend/types.ts';
import { appendAudit } from './audit-store.ts';
import { inWriteTransaction, sqliteStatement, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import type { Tables } from './schema.ts';

type Db = Kysely<Tables>;
type SqliteStatement = NonNullable<ReturnType<typeof sqliteStatement>>;

/** Rows per multi-row INSERT (12 columns: well under both engines' parameter limits). */
const INSERT_CHUNK = 1000;
/** Keys per `IN (…)` list. */
const IN_CHUNK = 500;

const chunks = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

const INVOICE_COLUMNS = ['exporter', 'reference', 'importer', 'amount_minor', 'currency', 'due_date', 'seller', 'buyer', 'status', 'submitted_by', 'submitted_at_ms'] as const;
const insertSqlCache = new Map<string, string>();

/**
 * The multi-row INSERT of `rows` invoices, built once per (engine, size) and run as a compiled
 * query: no query-builder work per row (ingest speed), the same statement on both engines.
 */
function insertInvoicesSql(engine: 'sqlite' | 'postgres', rows: number): string {
  const key = `${engine}:${rows}`;
  const have = insertSqlCache.get(key);
  if (have !== undefined) return have;
  const n = INVOICE_COLUMNS.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ps = INVOICE_COLUMNS.map((_, c) => (engine === 'postgres' ? `$${r * n + c + 1}` : '?'));
    tuples.push(`(${ps.join(', ')})`);
  }
  const text = `insert into settlement_invoices (${INVOICE_COLUMNS.join(', ')}) values ${tuples.join(', ')} on conflict (exporter, reference) do nothing returning exporter, reference`;
  if (insertSqlCache.size > 16) insertSqlCache.clear();
  insertSqlCache.set(key, text);
  return text;
}

const invoiceKey = (exporter: string, reference: string): string => `${exporter}/${reference}`;

const INSERT_ONE_INVOICE_SQL = `insert into settlement_invoices (${INVOICE_COLUMNS.join(', ')}) values (${INVOICE_COLUMNS.map(() => '?').join(', ')}) on conflict (exporter, reference) do nothing`;
const STORED_TERMS_SQL = 'select importer, amount_minor, currency, due_date from settlement_invoices where exporter = ? and reference = ?';

interface StoredTerms { importer: string; amount_minor: unknown; currency: string; due_date: string }

/** A row that did not insert must repeat the stored invoice's terms exactly; REFERENCE_CONFLICT otherwise (the caller's transaction rolls back). */
function assertSameTerms(i: NewInvoice, s: StoredTerms | undefined, row: number, batchSize: number): void {
  if (!s) throw new TypeError(`submitInvoices: ${invoiceKey(i.exporter, i.reference)} was neither inserted nor found`);
  if (s.importer !== i.importer || toBig(s.amount_minor) !== i.amountMinor || s.currency !== i.currency || s.due_date !== i.dueDate) {
    throw new DomainError('REFERENCE_CONFLICT', `${batchSize > 1 ? `row ${row}: ` : ''}invoice ${i.reference} of ${i.exporter} is already stored with other terms (${s.importer}, ${toBig(s.amount_minor)} minor ${s.currency}, due ${s.due_date}); nothing was stored`, { exporter: i.exporter, reference: i.reference, row });
  }
}

/**
 * SQLite: one cached prepared single-row INSERT … ON CONFLICT DO NOTHING per invoice, inside the
 * caller's write transaction (no SQL text built or prepared per batch, no RETURNING rows to
 * collect: `changes` says whether the row was stored). A row that did not insert — a stored
 * invoice, or a repeat within the batch — is checked at once by its primary key; the first
 * conflicting row (in file order) is the one named. Returns 1 for each row this batch stored, 0 otherwise.
 */
function insertInvoicesSqlite(database: Database, insert: SqliteStatement, batch: readonly { invoice: NewInvoice; hold: NewHold | null }[], by: { actor: string; atMs: number }): Uint8Array {
  const terms = sqliteStatement(database, STORED_TERMS_SQL);
  if (!terms) throw new TypeError('submitInvoices: the SQLite connection closed mid-transaction');
  const stored = new Uint8Array(batch.length);
  for (let r = 0; r < batch.length; r++) {
    const { invoice: i, hold } = batch[r] as { invoice: NewInvoice; hold: NewHold | null };
    if (insert.run(i.exporter, i.reference, i.importer, i.amountMinor, i.currency, i.dueDate, i.seller, i.buyer, hold ? 'held' : 'submitted', by.actor, by.atMs).changes === 1) stored[r] = 1;
    else assertSameTerms(i, terms.get(i.exporter, i.reference) as StoredTerms | undefined, r + 1, batch.length);
  }
  return stored;
}

/**
 * PostgreSQL (and the portable path): multi-row INSERT … ON CONFLICT DO NOTHING RETURNING in chunks
 * (few round trips), then the rows not inserted are read back per exporter with `IN` lists and
 * compared; the first conflicting row (in file order) is the one named. Returns 1 for each row this batch stored.
 */
async function insertInvoicesMultiRow(trx: Db, engine: 'sqlite' | 'postgres', batch: readonly { invoice: NewInvoice; hold: NewHold | null }[], by: { actor: string; atMs: number }): Promise<Uint8Array> {
  const stored = new Uint8Array(batch.length);
  const notInserted: { invoice: NewInvoice; row: number }[] = [];
  for (const [ci, chunk] of chunks(batch, INSERT_CHUNK).entries()) {
    const params: unknown[] = [];
    for (const { invoice: i, hold } of chunk) params.push(i.exporter, i.reference, i.importer, i.amountMinor, i.currency, i.dueDate, i.seller, i.buyer, hold ? 'held' : 'submitted', by.actor, by.atMs);
    const inserted = (await trx.executeQuery<{ exporter: string; reference: string }>(CompiledQuery.raw(insertInvoicesSql(engine, chunk.length), params))).rows;
    // in order: the first row of a key the insert returned is the stored one; any other repeats a stored invoice
    const insertedNow = new Set(inserted.map((r) => invoiceKey(r.exporter, r.reference)));
    const seen = new Set<string>();
    for (const [j, { invoice: i }] of chunk.entries()) {
      const k = invoiceKey(i.exporter, i.reference);
      if (insertedNow.has(k) && !seen.has(k)) stored[ci * INSERT_CHUNK + j] = 1;
      else notInserted.push({ invoice: i, row: ci * INSERT_CHUNK + j + 1 });
      seen.add(k);
    }
  }
  // every row not inserted must repeat a stored invoice exactly
  const byExporter = new Map<string, { invoice: NewInvoice; row: number }[]>();
  for (const n of notInserted) byExporter.set(n.invoice.exporter, [...(byExporter.get(n.invoice.exporter) ?? []), n]);
  let first: DomainError | null = null;
  let firstRow = Infinity;
  for (const [exporter, items] of byExporter) {
    for (const part of chunks(items, IN_CHUNK)) {
      const rows = await trx.selectFrom('settlement_invoices').select(['reference', 'importer', 'amount_minor', 'currency', 'due_date']).where('exporter', '=', exporter).where('reference', 'in', part.map((p) => p.invoice.reference)).execute();
      const found = new Map(rows.map((r) => [r.reference, r]));
      for (const { invoice: i, row } of part) {
        try {
          assertSameTerms(i, found.get(i.reference), row, batch.length);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          if (row < firstRow) [first, firstRow] = [e, row];
        }
      }
    }
  }
  if (first) throw first;
  return stored;
}

interface InvoiceRow {
  exporter: string; reference: string; importer: string; amount_minor: unknown; currency: string; due_date: string; seller: string | null; buyer: string | null; status: string;
  bucket_id: unknown; submitted_by: string; submitted_at_ms: unknown; decided_by: string | null; decided_at_ms: unknown; note: string | null;
}

function memberFrom(r: { code: string; state: string; institution: string; currency: string; receive_descriptor: string; api_identity: string; status: string; added_by: string; added_at_ms: unknown }): StoredMember {
  return {
    code: r.code, state: r.state, institution: r.institution, currency: r.currency, receiveDescriptor: r.receive_descriptor, apiIdentity: r.api_identity,
    status: r.status as MemberStatus, addedBy: r.added_by, addedAtMs: toNum(r.added_at_ms),
  };
}

function holdFrom(r: { id: string; kind: string; subject: string; matches: string; list_version: unknown; status: string; raised_at_ms: unknown; decided_by: string | null; decided_at_ms: unknown; reason: string | null }): ScreeningHold {
  return {
    id: r.id, kind: r.kind as HoldKind, subject: r.subject, matches: JSON.parse(r.matches) as ScreeningMatch[], listVersion: toNum(r.list_version), status: r.status as HoldStatus,
    raisedAtMs: toNum(r.raised_at_ms), decidedBy: r.decided_by, decidedAtMs: toNumOrNull(r.decided_at_ms), reason: r.reason,
  };
}

function ratesToJson(rates: readonly LockedRate[]): string {
  return canonicalJson(rates.map((r) => ({ currency: r.currency, minorDigits: r.minorDigits, btcPriceMinor: r.btcPriceMinor.toString(), source: r.source })));
}

function ratesFromJson(text: string): LockedRate[] {
  const list = JSON.parse(text) as { currency: string; minorDigits: number; btcPriceMinor: string; source: string }[];
  return list.map((r) => ({ currency: r.currency, minorDigits: r.minorDigits, btcPriceMinor: BigInt(r.btcPriceMinor), source: r.source }));
}

async function nextHoldId(trx: Db): Promise<string> {
  const row = await trx.selectFrom('settlement_holds').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return `hold-${toNum(row.n) + 1}`;
}

async function insertHold(trx: Db, kind: HoldKind, subject: string, hold: NewHold, atMs: number): Promise<ScreeningHold> {
  const h: ScreeningHold = { id: await nextHoldId(trx), kind, subject, matches: hold.matches, listVersion: hold.listVersion, status: 'pending', raisedAtMs: atMs, decidedBy: null, decidedAtMs: null, reason: null };
  await trx.insertInto('settlement_holds').values({
    id: h.id, kind, subject, matches: JSON.stringify(h.matches), list_version: h.listVersion, status: 'pending', raised_at_ms: atMs, decided_by: null, decided_at_ms: null, reason: null,
  }).execute();
  return h;
}

/**
 * Add (sign +1) or take out (−1) invoices from the positions of their buckets, as multi-row upserts
 * (a few statements per batch, whatever its size); rows go when they reach zero invoices.
 */
async function bumpPositions(trx: Db, deltas: Map<string, { bucket: bigint; member: string; receivable: bigint; payable: bigint; invoices: bigint }>): Promise<void> {
  const all = [...deltas.values()];
  for (const part of chunks(all, 500)) {
    await trx.insertInto('settlement_positions').values(part.map((d) => ({ bucket_id: d.bucket, member: d.member, receivable_minor: d.receivable, payable_minor: d.payable, invoices: d.invoices })))
      .onConflict((oc) => oc.columns(['bucket_id', 'member']).doUpdateSet({
        receivable_minor: sql`settlement_positions.receivable_minor + excluded.receivable_minor`,
        payable_minor: sql`settlement_positions.payable_minor + excluded.payable_minor`,
        invoices: sql`settlement_positions.invoices + excluded.invoices`,
      })).execute();
  }
  const touched = [...new Set(all.filter((d) => d.invoices < 0n).map((d) => d.bucket))];
  for (const part of chunks(touched, IN_CHUNK)) await trx.deleteFrom('settlement_positions').where('bucket_id', 'in', part).where('invoices', '<=', 0).execute();
}

function addDelta(deltas: Map<string, { bucket: bigint; member: string; receivable: bigint; payable: bigint; invoices: bigint }>, bucket: bigint, inv: { exporter: string; importer: string; amount: bigint }, sign: 1n | -1n): void {
  const put = (member: string, receivable: bigint, payable: bigint): void => {
    const k = `${bucket}\u0000${member}`;
    const d = deltas.get(k) ?? { bucket, member, receivable: 0n, payable: 0n, invoices: 0n };
    deltas.set(k, { ...d, receivable: d.receivable + receivable * sign, payable: d.payable + payable * sign, invoices: d.invoices + sign });
  };
  put(inv.exporter, inv.amount, 0n);
  put(inv.importer, 0n, inv.amount);
}

export class SqlSettlementStore implements SettlementStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  get #db(): Db {
    return this.#database.db;
  }

  // ---- members ---------------------------------------------------------------------------------

  async addMember(m: StoredMember, hold: NewHold | null, audit: AuditFields): Promise<ScreeningHold | null> {
    return inWriteTransaction(this.#database, async (trx) => {
      const taken = await trx.selectFrom('settlement_members').select(['code', 'api_identity']).where((eb) => eb.or([eb('code', '=', m.code), eb('api_identity', '=', m.apiIdentity)])).executeTakeFirst();
      if (taken) {
        throw new DomainError('ALREADY_EXISTS', taken.code === m.code ? `alliance member ${m.code} already exists` : `API identity "${m.apiIdentity}" already belongs to member ${taken.code}`);
      }
      await trx.insertInto('settlement_members').values({
        code: m.code, state: m.state, institution: m.institution, currency: m.currency, receive_descriptor: m.receiveDescriptor, api_identity: m.apiIdentity,
        status: hold ? 'held' : m.status, added_by: m.addedBy, added_at_ms: m.addedAtMs,
      }).execute();
      const h = hold ? await insertHold(trx, 'member', m.code, hold, m.addedAtMs) : null;
      await appendAudit(trx, this.#database.engine, h ? { ...audit, details: { ...(audit.details as object), hold: h.id, matches: h.matches } } : audit);
      return h;
    });
  }

  async members(): Promise<StoredMember[]> {
    return (await this.#db.selectFrom('settlement_members').selectAll().orderBy('code').execute()).map(memberFrom);
  }

  async member(code: MemberCode): Promise<StoredMember | null> {
    const r = await this.#db.selectFrom('settlement_members').selectAll().where('code', '=', code).executeTakeFirst();
    return r ? memberFrom(r) : null;
  }

  async memberByIdentity(apiIdentity: string): Promise<StoredMember | null> {
    const r = await this.#db.selectFrom('settlement_members').selectAll().where('api_identity', '=', apiIdentity).executeTakeFirst();
    return r ? memberFrom(r) : null;
  }

  // ---- invoices --------------------------------------------------------------------------------

  async submitInvoices(batch: readonly { invoice: NewInvoice; hold: NewHold | null }[], by: { actor: string; atMs: number }, audit: (r: { created: number; existing: number; held: number }) => AuditFields): Promise<{ created: number; existing: number; held: number }> {
    return inWriteTransaction(this.#database, async (trx) => {
      const insert = sqliteStatement(this.#database, INSERT_ONE_INVOICE_SQL);
      const stored = insert ? insertInvoicesSqlite(this.#database, insert, batch, by) : await insertInvoicesMultiRow(trx, this.#database.engine, batch, by);
      // holds in row order (their ids count the holds), for the invoices this batch stored
      let held = 0;
      for (const [i, { invoice, hold }] of batch.entries()) {
        if (hold && stored[i] === 1) {
          held++;
          await insertHold(trx, 'invoice', invoiceKey(invoice.exporter, invoice.reference), hold, by.atMs);
        }
      }
      let created = 0;
      for (const x of stored) created += x;
      const result = { created, existing: batch.length - created, held };
      await appendAudit(trx, this.#database.engine, audit(result));
      return result;
    });
  }

  async #cycleStatuses(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.selectFrom('settlement_cycles').select(['id', 'status']).where('id', 'in', [...new Set(ids)]).execute();
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  async #invoicesFrom(rows: readonly InvoiceRow[]): Promise<StoredInvoice[]> {
    const buckets = [...new Set(rows.map((r) => r.bucket_id).filter((b) => b !== null && b !== undefined).map((b) => toBig(b)))];
    const cycleOf = new Map<string, string>();
    for (const part of chunks(buckets, IN_CHUNK)) {
      const bs = await this.#db.selectFrom('settlement_buckets').select(['id', 'cycle_id']).where('id', 'in', part).where('cycle_id', 'is not', null).execute();
      for (const b of bs) cycleOf.set(toBig(b.id).toString(), b.cycle_id as string);
    }
    const statuses = await this.#cycleStatuses([...cycleOf.values()]);
    return rows.map((r) => {
      const cycleId = r.bucket_id === null || r.bucket_id === undefined ? null : (cycleOf.get(toBig(r.bucket_id).toString()) ?? null);
      const status = (r.status === 'confirmed' && cycleId !== null && statuses.get(cycleId) === 'settled' ? 'settled' : r.status) as InvoiceStatus;
      return {
        exporter: r.exporter, reference: r.reference, importer: r.importer, amountMinor: toBig(r.amount_minor), currency: r.currency, dueDate: r.due_date, seller: r.seller, buyer: r.buyer,
        status, cycleId, submittedBy: r.submitted_by, submittedAtMs: toNum(r.submitted_at_ms), decidedBy: r.decided_by, decidedAtMs: toNumOrNull(r.decided_at_ms), note: r.note,
      };
    });
  }

  async invoice(exporter: MemberCode, reference: string): Promise<StoredInvoice | null> {
    const r = await this.#db.selectFrom('settlement_invoices').selectAll().where('exporter', '=', exporter).where('reference', '=', reference).executeTakeFirst();
    return r ? ((await this.#invoicesFrom([r]))[0] ?? null) : null;
  }

  async invoices(filter: InvoiceFilter = {}): Promise<StoredInvoice[]> {
    let q = this.#db.selectFrom('settlement_invoices').selectAll();
    const member = filter.member;
    if (member !== undefined) q = q.where((eb) => eb.or([eb('exporter', '=', member), eb('importer', '=', member)]));
    if (filter.status !== undefined && filter.status !== 'settled') q = q.where('status', '=', filter.status);
    if (filter.status === 'settled') q = q.where('status', '=', 'confirmed');
    if (filter.cycleId !== undefined) {
      const cycleId = filter.cycleId;
      q = q.where('bucket_id', 'in', (eb) => eb.selectFrom('settlement_buckets').select('id').where('cycle_id', '=', cycleId));
    }
    q = q.orderBy('due_date').orderBy('exporter').orderBy('reference');
    if (filter.limit !== undefined && filter.status !== 'settled') q = q.limit(filter.limit);
    const out = await this.#invoicesFrom(await q.execute());
    const kept = filter.status === 'settled' ? out.filter((i) => i.status === 'settled') : out;
    return filter.limit !== undefined ? kept.slice(0, filter.limit) : kept;
  }

  async decideInvoices(keys: readonly { exporter: MemberCode; reference: string }[], decision: 'confirm' | 'dispute', by: { importer: MemberCode | null; actor: string; atMs: number; note: string | null }, audit: (n: number) => AuditFields): Promise<number> {
    return inWriteTransaction(this.#database, async (trx) => {
      const byExporter = new Map<string, string[]>();
      for (const k of keys) byExporter.set(k.exporter, [...(byExporter.get(k.exporter) ?? []), k.reference]);
      const rows: { exporter: string; reference: string; importer: string; amount: bigint; currency: string; due: string; status: string; bucket: bigint | null }[] = [];
      for (const [exporter, refs] of byExporter) {
        for (const part of chunks([...new Set(refs)], IN_CHUNK)) {
          const got = await trx.selectFrom('settlement_invoices').select(['reference', 'importer', 'amount_minor', 'currency', 'due_date', 'status', 'bucket_id']).where('exporter', '=', exporter).where('reference', 'in', part).execute();
          if (got.length !== part.length) {
            const have = new Set(got.map((g) => g.reference));
            const missing = part.find((r) => !have.has(r)) ?? '?';
            throw new DomainError('NOT_FOUND', `no invoice ${missing} from ${exporter}`);
          }
          for (const g of got) rows.push({ exporter, reference: g.reference, importer: g.importer, amount: toBig(g.amount_minor), currency: g.currency, due: g.due_date, status: g.status, bucket: g.bucket_id === null ? null : toBig(g.bucket_id) });
        }
      }
      const closedBuckets = new Set<string>();
      const withBucket = [...new Set(rows.filter((r) => r.bucket !== null).map((r) => r.bucket as bigint))];
      for (const part of chunks(withBucket, IN_CHUNK)) {
        for (const b of await trx.selectFrom('settlement_buckets').select('id').where('id', 'in', part).where('cycle_id', 'is not', null).execute()) closedBuckets.add(toBig(b.id).toString());
      }
      for (const r of rows) {
        if (by.importer !== null && r.importer !== by.importer) {
          throw new DomainError('FORBIDDEN', `invoice ${r.reference} of ${r.exporter} is owed by ${r.importer}: only the importer confirms or disputes it${r.exporter === by.importer ? ' (an exporter cannot confirm its own invoice)' : ''}`, { exporter: r.exporter, reference: r.reference });
        }
        const inCycle = r.bucket !== null && closedBuckets.has(r.bucket.toString());
        const ok = decision === 'confirm' ? r.status === 'submitted' || r.status === 'disputed' : r.status === 'submitted' || (r.status === 'confirmed' && !inCycle);
        if (!ok) {
          throw new DomainError('INVALID_STATE', `invoice ${r.reference} of ${r.exporter} is ${inCycle ? 'in a closed cycle' : r.status}: it cannot be ${decision === 'confirm' ? 'confirmed' : 'disputed'}`, { exporter: r.exporter, reference: r.reference, status: r.status });
        }
      }
      // buckets: the open one of each (due day, currency), made when missing
      const deltas = new Map<string, { bucket: bigint; member: string; receivable: bigint; payable: bigint; invoices: bigint }>();
      const updates = new Map<string, { exporter: string; refs: string[] }>();
      const bucketFor = new Map<string, bigint>();
      let nextId: bigint | null = null;
      for (const r of rows) {
        if (decision === 'confirm') {
          const bk = `${r.due}\u0000${r.currency}`;
          let b = bucketFor.get(bk);
          if (b === undefined) {
            const open = await trx.selectFrom('settlement_buckets').select('id').where('cycle_id', 'is', null).where('due_date', '=', r.due).where('currency', '=', r.currency).orderBy('id', 'desc').limit(1).executeTakeFirst();
            if (open) b = toBig(open.id);
            else {
              if (nextId === null) {
                const max = await trx.selectFrom('settlement_buckets').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
                nextId = max?.m === null || max?.m === undefined ? 1n : toBig(max.m) + 1n;
              }
              b = nextId;
              nextId += 1n;
              await trx.insertInto('settlement_buckets').values({ id: b, due_date: r.due, currency: r.currency, cycle_id: null }).execute();
            }
            bucketFor.set(bk, b);
          }
          addDelta(deltas, b, r, 1n);
        } else if (r.status === 'confirmed' && r.bucket !== null) {
          addDelta(deltas, r.bucket, r, -1n);
        }
        const u = updates.get(r.exporter) ?? { exporter: r.exporter, refs: [] };
        u.refs.push(r.reference);
        updates.set(r.exporter, u);
      }
      for (const u of updates.values()) {
        for (const part of chunks(u.refs, IN_CHUNK)) {
          await trx.updateTable('settlement_invoices').set((eb) => ({
            status: decision === 'confirm' ? 'confirmed' : 'disputed',
            // the open bucket of the invoice's (due day, currency): the one the positions above went to
            bucket_id: decision === 'confirm'
              ? eb.selectFrom('settlement_buckets as b').select('b.id').where('b.cycle_id', 'is', null).whereRef('b.due_date', '=', 'settlement_invoices.due_date').whereRef('b.currency', '=', 'settlement_invoices.currency').orderBy('b.id', 'desc').limit(1)
              : null,
            decided_by: by.actor, decided_at_ms: by.atMs, note: decision === 'dispute' ? by.note : null,
          })).where('exporter', '=', u.exporter).where('reference', 'in', part).execute();
        }
      }
      await bumpPositions(trx, deltas);
      await appendAudit(trx, this.#database.engine, audit(rows.length));
      return rows.length;
    });
  }

  async openPositions(opts: { member?: MemberCode | undefined; dueBy?: string | undefined } = {}): Promise<OpenPosition[]> {
    return readOpen(this.#db, opts);
  }

  async openCurrencies(cutoff: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('settlement_buckets').select('currency').distinct().where('cycle_id', 'is', null).where('due_date', '<=', cutoff)
      .where((eb) => eb.exists(eb.selectFrom('settlement_positions').select('member').whereRef('settlement_positions.bucket_id', '=', 'settlement_buckets.id'))).execute();
    return rows.map((r) => r.currency).sort();
  }

  // ---- cycles ----------------------------------------------------------------------------------

  async closeCycle(req: CloseRequest, compute: NetCompute, audit: (c: StoredCycle) => AuditFields): Promise<{ cycle: StoredCycle; created: boolean }> {
    const result = await inWriteTransaction(this.#database, async (trx) => {
      const open = await readOpen(trx, { dueBy: req.cutoff });
      const last = await trx.selectFrom('settlement_cycles').select(['id', 'cutoff', 'seq']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (open.length === 0) {
        if (last && last.cutoff === req.cutoff) return { id: last.id, cycle: null, created: false };
        throw new DomainError('INVALID_STATE', `no confirmed invoice is due on or before ${req.cutoff} outside a cycle: nothing to settle`, { cutoff: req.cutoff });
      }
      const snapshot = snapshotOf(open);
      const { positions, transfers } = compute(snapshot);
      const seq = last ? toNum(last.seq) + 1 : 1;
      const id = `cycle-${seq}`;
      await trx.insertInto('settlement_cycles').values({
        id, seq, cutoff: req.cutoff, status: 'closed', mode: req.mode, rates: ratesToJson(req.rates), closed_by: req.closedBy, closed_at_ms: req.atMs, note: null,
      }).execute();
      for (const part of chunks(positions, INSERT_CHUNK)) await trx.insertInto('settlement_cycle_positions').values(part.map((p) => ({ cycle_id: id, member: p.member, sats: p.sats }))).execute();
      for (const part of chunks(open, INSERT_CHUNK)) {
        await trx.insertInto('settlement_cycle_gross').values(part.map((o) => ({ cycle_id: id, member: o.member, currency: o.currency, receivable_minor: o.receivableMinor, payable_minor: o.payableMinor, invoices: o.invoices }))).execute();
      }
      for (const part of chunks(transfers.map((t, i) => ({ t, i })), INSERT_CHUNK)) {
        await trx.insertInto('settlement_cycle_transfers').values(part.map(({ t, i }) => ({ cycle_id: id, seq: i + 1, from_member: t.from, to_member: t.to, sats: t.sats }))).execute();
      }
      await trx.updateTable('settlement_buckets').set({ cycle_id: id }).where('cycle_id', 'is', null).where('due_date', '<=', req.cutoff).execute();
      const cycle = await readCycle(trx, id);
      if (!cycle) throw new TypeError(`closeCycle: cycle ${id} vanished`);
      await appendAudit(trx, this.#database.engine, audit(cycle));
      return { id, cycle, created: true };
    });
    const cycle = result.cycle ?? (await this.cycle(result.id));
    if (!cycle) throw new TypeError(`closeCycle: cycle ${result.id} not found`);
    return { cycle, created: result.created };
  }

  async cycles(): Promise<StoredCycle[]> {
    const ids = await this.#db.selectFrom('settlement_cycles').select('id').orderBy('seq').execute();
    const out: StoredCycle[] = [];
    for (const { id } of ids) {
      const c = await readCycle(this.#db, id);
      if (c) out.push(c);
    }
    return out;
  }

  async cycle(id: string): Promise<StoredCycle | null> {
    return readCycle(this.#db, id);
  }

  async closedCycle(id: string): Promise<ClosedCycle | null> {
    const c = await readCycle(this.#db, id);
    return c && c.status !== 'rescinded' ? closedView(c) : null;
  }

  async closedCycles(): Promise<ClosedCycle[]> {
    return (await this.cycles()).filter((c) => c.status !== 'rescinded').map(closedView);
  }

  async markCycleSettled(id: string, note: string | null, audit: AuditFields): Promise<void> {
    await inWriteTransaction(this.#database, async (trx) => {
      const c = await trx.selectFrom('settlement_cycles').select('status').where('id', '=', id).executeTakeFirst();
      if (!c) throw new DomainError('NOT_FOUND', `no settlement cycle ${id}`);
      if (c.status !== 'closed') throw new DomainError('INVALID_STATE', `cycle ${id} is ${c.status}, not closed`);
      await trx.updateTable('settlement_cycles').set({ status: 'settled', note }).where('id', '=', id).execute();
      await appendAudit(trx, this.#database.engine, audit);
    });
  }

  async rescindCycle(id: string, excludeMembers: readonly MemberCode[], reason: string, audit: AuditFields): Promise<{ excluded: number }> {
    return inWriteTransaction(this.#database, async (trx) => {
      const c = await trx.selectFrom('settlement_cycles').select('status').where('id', '=', id).executeTakeFirst();
      if (!c) throw new DomainError('NOT_FOUND', `no settlement cycle ${id}`);
      if (c.status !== 'closed') throw new DomainError('INVALID_STATE', `cycle ${id} is ${c.status}, not closed: only a closed cycle is rescinded`);
      let excluded = 0;
      if (excludeMembers.length > 0) {
        const rows = await trx.selectFrom('settlement_invoices').select(['exporter', 'reference', 'importer', 'amount_minor', 'bucket_id'])
          .where('status', '=', 'confirmed')
          .where('bucket_id', 'in', (eb) => eb.selectFrom('settlement_buckets').select('id').where('cycle_id', '=', id))
          .where((eb) => eb.or([eb('exporter', 'in', [...excludeMembers]), eb('importer', 'in', [...excludeMembers])])).execute();
        const deltas = new Map<string, { bucket: bigint; member: string; receivable: bigint; payable: bigint; invoices: bigint }>();
        const byExporter = new Map<string, string[]>();
        for (const r of rows) {
          addDelta(deltas, toBig(r.bucket_id), { exporter: r.exporter, importer: r.importer, amount: toBig(r.amount_minor) }, -1n);
          byExporter.set(r.exporter, [...(byExporter.get(r.exporter) ?? []), r.reference]);
        }
        for (const [exporter, refs] of byExporter) {
          for (const part of chunks(refs, IN_CHUNK)) {
            await trx.updateTable('settlement_invoices').set({ status: 'excluded', bucket_id: null, note: `cycle ${id} rescinded: ${reason}` }).where('exporter', '=', exporter).where('reference', 'in', part).execute();
          }
        }
        await bumpPositions(trx, deltas);
        excluded = rows.length;
      }
      await trx.updateTable('settlement_buckets').set({ cycle_id: null }).where('cycle_id', '=', id).execute();
      await trx.updateTable('settlement_cycles').set({ status: 'rescinded', note: reason }).where('id', '=', id).execute();
      await appendAudit(trx, this.#database.engine, { ...audit, details: { ...(audit.details as object), excludedInvoices: excluded } });
      return { excluded };
    });
  }

  // ---- screening -------------------------------------------------------------------------------

  async loadScreeningList(list: ScreeningList, source: string, sha256: string, by: { actor: string; atMs: number }, audit: (version: number) => AuditFields): Promise<number> {
    return inWriteTransaction(this.#database, async (trx) => {
      const last = await trx.selectFrom('settlement_screening_lists').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
      const version = last ? toNum(last.version) + 1 : 1;
      await trx.insertInto('settlement_screening_lists').values({ version, source, document: canonicalJson(list), sha256, loaded_by: by.actor, loaded_at_ms: by.atMs }).execute();
      await appendAudit(trx, this.#database.engine, audit(version));
      return version;
    });
  }

  async screeningList(): Promise<StoredScreeningList | null> {
    const r = await this.#db.selectFrom('settlement_screening_lists').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!r) return null;
    return { version: toNum(r.version), source: r.source, sha256: r.sha256, list: JSON.parse(r.document) as ScreeningList, loadedBy: r.loaded_by, loadedAtMs: toNum(r.loaded_at_ms) };
  }

  async raiseHold(kind: HoldKind, subject: string, hold: NewHold, atMs: number, audit: (h: ScreeningHold) => AuditFields): Promise<ScreeningHold> {
    return inWriteTransaction(this.#database, async (trx) => {
      const h = await insertHold(trx, kind, subject, hold, atMs);
      await appendAudit(trx, this.#database.engine, audit(h));
      return h;
    });
  }

  async holds(opts: { status?: HoldStatus | undefined } = {}): Promise<ScreeningHold[]> {
    let q = this.#db.selectFrom('settlement_holds').selectAll();
    if (opts.status !== undefined) q = q.where('status', '=', opts.status);
    const rows = await q.orderBy('raised_at_ms').orderBy('id').execute();
    return rows.map(holdFrom);
  }

  async hold(id: string): Promise<ScreeningHold | null> {
    const r = await this.#db.selectFrom('settlement_holds').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? holdFrom(r) : null;
  }

  async decideHold(id: string, decision: 'release' | 'reject', by: { actor: string; atMs: number; reason: string }, audit: (h: ScreeningHold) => AuditFields): Promise<ScreeningHold> {
    return inWriteTransaction(this.#database, async (trx) => {
      const r = await trx.selectFrom('settlement_holds').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw new DomainError('NOT_FOUND', `no screening hold ${id} (see "soberana settlement screening list")`);
      if (r.status !== 'pending') throw new DomainError('INVALID_STATE', `screening hold ${id} was already decided (${r.status})`);
      const status: HoldStatus = decision === 'release' ? 'released' : 'rejected';
      await trx.updateTable('settlement_holds').set({ status, decided_by: by.actor, decided_at_ms: by.atMs, reason: by.reason }).where('id', '=', id).execute();
      if (r.kind === 'member') {
        await trx.updateTable('settlement_members').set({ status: decision === 'release' ? 'active' : 'rejected' }).where('code', '=', r.subject).where('status', '=', 'held').execute();
      } else if (r.kind === 'invoice') {
        const slash = r.subject.indexOf('/');
        await trx.updateTable('settlement_invoices').set({ status: decision === 'release' ? 'submitted' : 'excluded', note: `screening ${status}: ${by.reason}` })
          .where('exporter', '=', r.subject.slice(0, slash)).where('reference', '=', r.subject.slice(slash + 1)).where('status', '=', 'held').execute();
      }
      const h = holdFrom({ ...r, status, decided_by: by.actor, decided_at_ms: by.atMs, reason: by.reason });
      await appendAudit(trx, this.#database.engine, audit(h));
      return h;
    });
  }
}

/** Open positions grouped by member and currency (GROUP BY over the positions table, not the invoices). */
async function readOpen(db: Db, opts: { member?: MemberCode | undefined; dueBy?: string | undefined }): Promise<OpenPosition[]> {
  let q = db.selectFrom('settlement_positions as p').innerJoin('settlement_buckets as b', 'b.id', 'p.bucket_id')
    .select(['p.member', 'b.currency', sql<string>`sum(p.receivable_minor)`.as('rec'), sql<string>`sum(p.payable_minor)`.as('pay'), sql<string>`sum(p.invoices)`.as('n')])
    .where('b.cycle_id', 'is', null);
  if (opts.dueBy !== undefined) q = q.where('b.due_date', '<=', opts.dueBy);
  if (opts.member !== undefined) q = q.where('p.member', '=', opts.member);
  const rows = await q.groupBy(['p.member', 'b.currency']).orderBy('p.member').orderBy('b.currency').execute();
  return rows.map((r) => {
    const receivableMinor = toBig(r.rec);
    const payableMinor = toBig(r.pay);
    return { member: r.member, currency: r.currency, receivableMinor, payableMinor, netMinor: receivableMinor - payableMinor, invoices: toNum(r.n) };
  });
}

/** The NetBook snapshot of open positions (what `closePositions` reads). */
export function snapshotOf(open: readonly OpenPosition[]): NetBookSnapshot {
  const members = [...new Set(open.map((o) => o.member))].sort();
  const gross = new Map<string, bigint>();
  const count = new Map<string, number>();
  let twice = 0;
  for (const o of open) {
    gross.set(o.currency, (gross.get(o.currency) ?? 0n) + o.receivableMinor);
    count.set(o.member, (count.get(o.member) ?? 0) + o.invoices);
    twice += o.invoices;
  }
  return {
    invoices: twice / 2,
    members,
    nets: open.filter((o) => o.netMinor !== 0n).map((o) => ({ member: o.member, currency: o.currency, netMinor: o.netMinor })),
    gross: [...gross].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, minor]) => ({ currency, minor })),
    invoicesByMember: members.map((member) => ({ member, invoices: count.get(member) ?? 0 })),
  };
}

async function readCycle(db: Db, id: string): Promise<StoredCycle | null> {
  const c = await db.selectFrom('settlement_cycles').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c) return null;
  const positions = await db.selectFrom('settlement_cycle_positions').select(['member', 'sats']).where('cycle_id', '=', id).orderBy('member').execute();
  const transfers = await db.selectFrom('settlement_cycle_transfers').select(['from_member', 'to_member', 'sats']).where('cycle_id', '=', id).orderBy('seq').execute();
  const gross = await db.selectFrom('settlement_cycle_gross').selectAll().where('cycle_id', '=', id).orderBy('member').orderBy('currency').execute();
  return {
    id: c.id, seq: toNum(c.seq), cutoff: c.cutoff, status: c.status as CycleStatus, mode: c.mode as 'escrow' | 'direct', rates: ratesFromJson(c.rates),
    positions: positions.map((p) => ({ member: p.member, sats: toBig(p.sats) })),
    transfers: transfers.map((t) => ({ from: t.from_member, to: t.to_member, sats: toBig(t.sats) as ClosedCycle['transfers'][number]['sats'] })),
    gross: gross.map((g): CycleGross => ({ member: g.member, currency: g.currency, receivableMinor: toBig(g.receivable_minor), payableMinor: toBig(g.payable_minor), invoices: toNum(g.invoices) })),
    closedBy: c.closed_by, closedAtMs: toNum(c.closed_at_ms), note: c.note,
  };
}

function closedView(c: StoredCycle): ClosedCycle {
  return { id: c.id, cutoff: c.cutoff, rates: c.rates, positions: c.positions, transfers: c.transfers, mode: c.mode };
}
