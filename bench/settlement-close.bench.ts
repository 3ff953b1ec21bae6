/**
 * Alliance settlement cycle close (issue #16, performance): 1,000,000 confirmed invoices across 50
 * members in 5 currencies (seeded), closed into net positions (exact rational sats, largest
 * remainder) and settlement transfers. Target: < 100 ms.
 *
 * Ours closes from a `NetBook` that was kept up to date as the invoices arrived (O(members ×
 * currencies) at close). The naive baselines, measured in the same run and alternated with ours so
 * noise hits both alike, recompute the nets from every invoice and then run the same
 * positions + transfers code:
 *   - in memory: one pass over the 1,000,000 invoice objects;
 *   - SQLite: a GROUP BY over the store's `settlement_invoices` table (migration 0013; the issue
 *     quotes about 1.7 s for it on this machine), through better-sqlite3 as the store uses it.
 * Also timed: the exact minimum-transfers search at its limit, 16 members with non-zero positions
 * (2^16 subsets), and — informative — the NetBook's in-memory add rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Benchmark, BenchRow } from './harness.ts';
import { compareMedian, timeMedian } from './harness.ts';
import { seededRandom } from '../src/core/coinselect/seeded-random.ts';
import { closePositions, minimumTransferCount, NetBook, settlementTransfers, type NetBookSnapshot, type NetEntry } from '../src/core/settlement/netting.ts';
import { parseLockedRate } from '../src/core/settlement/rates.ts';
import type { LockedRate, NetPosition, NettableInvoice } from '../src/core/settlement/types.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { migrateToLatest } from '../src/adapters/store/migrator.ts';

const INVOICES = 1_000_000;
const MEMBERS = 50;
const SEED = 16;

const RATES: readonly LockedRate[] = [
  parseLockedRate('USD', '78293.71', 'bench'),
  parseLockedRate('EUR', '72410.05', 'bench'),
  parseLockedRate('CNY', '561873.40', 'bench'),
  parseLockedRate('PKR', '21918562.17', 'bench'),
  parseLockedRate('RUB', '7104562.88', 'bench'),
];

function makeInvoices(): NettableInvoice[] {
  const random = seededRandom(SEED);
  const codes = Array.from({ length: MEMBERS }, (_, i) => `M${String(i).padStart(2, '0')}`);
  const out: NettableInvoice[] = new Array<NettableInvoice>(INVOICES);
  for (let i = 0; i < INVOICES; i++) {
    const e = Math.floor(random() * MEMBERS);
    let m = Math.floor(random() * (MEMBERS - 1));
    if (m >= e) m++;
    const rate = RATES[Math.floor(random() * RATES.length)] as LockedRate;
    out[i] = { reference: `INV-${i}`, exporter: codes[e] as string, importer: codes[m] as string, amountMinor: BigInt(1 + Math.floor(random() * 5e9)), currency: rate.currency };
  }
  return out;
}

/** positions + transfers: what a cycle close produces. */
function close(book: NetBook | NetBookSnapshot): { positions: NetPosition[]; transfers: number } {
  const positions = closePositions(book, RATES);
  return { positions, transfers: settlementTransfers(positions).length };
}

/** The naive close: nets recomputed from every invoice, then the same positions + transfers. */
function naiveClose(invoices: readonly NettableInvoice[]): { positions: NetPosition[]; transfers: number } {
  const book = new NetBook();
  for (const inv of invoices) book.add(inv);
  return close(book);
}

function snapshotFromRows(rows: readonly { member: string; currency: string; net: bigint }[]): NetBookSnapshot {
  const nets: NetEntry[] = rows.filter((r) => r.net !== 0n).map((r) => ({ member: r.member, currency: r.currency, netMinor: r.net }));
  const members = [...new Set(rows.map((r) => r.member))].sort();
  return { invoices: 0, members, nets, gross: [], invoicesByMember: [] };
}

/** The naive SQL: receivables and payables summed per member and currency by two GROUP BYs over the whole table. */
const GROUP_BY_EXPORTER = `SELECT exporter AS member, currency, SUM(amount_minor) AS total FROM settlement_invoices WHERE status = 'confirmed' GROUP BY exporter, currency`;
const GROUP_BY_IMPORTER = `SELECT importer AS member, currency, SUM(amount_minor) AS total FROM settlement_invoices WHERE status = 'confirmed' GROUP BY importer, currency`;

/** A SQLite file migrated to the latest schema, holding the invoices as confirmed rows. */
async function sqliteWithInvoices(file: string, invoices: readonly NettableInvoice[]): Promise<BetterSqlite3.Database> {
  const database = await openDatabase({ url: file });
  await migrateToLatest(database);
  await database.close();
  const sqlite = new BetterSqlite3(file);
  sqlite.defaultSafeIntegers(true);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const insert = sqlite.prepare(
    `INSERT INTO settlement_invoices (exporter, reference, importer, amount_minor, currency, due_date, status, bucket_id, submitted_by, submitted_at_ms)
     VALUES (?, ?, ?, ?, ?, '2026-12-01', 'confirmed', 1, 'bench', 0)`,
  );
  sqlite.transaction(() => {
    for (const inv of invoices) insert.run(inv.exporter, inv.reference, inv.importer, inv.amountMinor, inv.currency);
  })();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return sqlite;
}

function sixteenMembers(): NetPosition[] {
  // zero-sum groups of 2, 3, 5 and 6 members hidden among 16 (amounts of up to ~10^11 sats)
  const random = seededRandom(SEED + 1);
  const values: bigint[] = [];
  for (const size of [2, 3, 5, 6]) {
    const group = Array.from({ length: size - 1 }, () => BigInt(Math.floor((random() - 0.5) * 2e11)) || 1n);
    group.push(-group.reduce((a, b) => a + b, 0n));
    values.push(...group);
  }
  return values.map((sats, i) => ({ member: `S${String((i * 7) % 16).padStart(2, '0')}`, sats }));
}

const bench: Benchmark = {
  name: 'settlement-close',
  description: `cycle close (positions + transfers) from a NetBook of ${INVOICES.toLocaleString('en-US')} invoices across ${MEMBERS} members, against recomputing the nets from the invoices (in memory, and a SQLite GROUP BY)`,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const invoices = makeInvoices();

    // the NetBook as the store keeps it: one add per confirmed invoice, as they arrive
    const book = new NetBook();
    const t0 = process.hrtime.bigint();
    for (const inv of invoices) book.add(inv);
    const addSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    const ours = close(book);
    const naive = naiveClose(invoices);
    if (JSON.stringify(ours.positions.map((p) => String(p.sats))) !== JSON.stringify(naive.positions.map((p) => String(p.sats)))) throw new Error('bench settlement-close: the naive close disagrees');

    const mem = await compareMedian(() => close(book), () => naiveClose(invoices), { warmup: 1, runs: 5 });
    rows.push({
      name: `cycle close from the NetBook, ${INVOICES / 1e6}M invoices, ${MEMBERS} members (target)`,
      unit: 'ms p50',
      ours: mem.ours * 1000,
      peer: mem.peer * 1000,
      peerName: 'naive: nets recomputed over every invoice (in memory), same close',
      higherIsBetter: false,
      target: 100,
      notes: `${ours.positions.length} positions, ${ours.transfers} transfers (greedy beyond 16 members: ≤ N − 1)`,
    });

    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-settlement-'));
    try {
      const sqlite = await sqliteWithInvoices(join(dir, 'settlement.db'), invoices);
      const receivable = sqlite.prepare(GROUP_BY_EXPORTER);
      const payable = sqlite.prepare(GROUP_BY_IMPORTER);
      type Row = { member: string; currency: string; total: bigint };
      const sqlClose = () => {
        const net = new Map<string, { member: string; currency: string; net: bigint }>();
        for (const [sign, stmt] of [[1n, receivable], [-1n, payable]] as const) {
          for (const r of stmt.all() as Row[]) {
            const key = `${r.member} ${r.currency}`;
            const e = net.get(key) ?? { member: r.member, currency: r.currency, net: 0n };
            e.net += sign * r.total;
            net.set(key, e);
          }
        }
        return close(snapshotFromRows([...net.values()]));
      };
      if (JSON.stringify(sqlClose().positions.map((p) => String(p.sats))) !== JSON.stringify(ours.positions.map((p) => String(p.sats)))) throw new Error('bench settlement-close: the GROUP BY close disagrees');
      const sql = await compareMedian(() => close(book), sqlClose, { warmup: 1, runs: 5 });
      rows.push({
        name: `cycle close from the NetBook, ${INVOICES / 1e6}M invoices, ${MEMBERS} members, vs SQLite GROUP BY`,
        unit: 'ms p50',
        ours: sql.ours * 1000,
        peer: sql.peer * 1000,
        peerName: 'GROUP BY exporter / importer over settlement_invoices (SQLite, 1M rows), same close',
        higherIsBetter: false,
        target: 100,
      });
      sqlite.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const sixteen = sixteenMembers();
    const dp = await timeMedian(() => settlementTransfers(sixteen), { warmup: 3, runs: 15 });
    rows.push({
      name: 'exact minimum transfers, 16 members (2^16 subsets)',
      unit: 'ms p50',
      ours: dp * 1000,
      peer: null,
      peerName: null,
      higherIsBetter: false,
      notes: `${settlementTransfers(sixteen).length} transfers (minimum ${minimumTransferCount(sixteen)}; N − 1 would be 15)`,
    });

    rows.push({
      name: 'informative: NetBook.add, in memory',
      unit: 'invoices/s',
      ours: INVOICES / addSeconds,
      peer: null,
      peerName: null,
      higherIsBetter: true,
    });
    return rows;
  },
};

export default bench;
