/**
 * Writes a FakeReserve into the vault tables of migration 0002, the way sync would leave them:
 * a receiving transaction creates an output at its address; a spending one (negative net) spends
 * the largest unspent output at that address and sends the change back to it. Also adds unused
 * look-ahead addresses, which the public view must not list.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/adapters/store/database.ts';
import type { Tables } from '../../src/adapters/store/schema.ts';
import type { FakeReserve } from './memory-public-view.ts';

const CHUNK = 400;

async function insert(db: Database, table: keyof Tables, rows: Array<Record<string, unknown>>): Promise<void> {
  // The rows are built loosely (and edited in place) below: untyped columns, checked by the database.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const untyped: Kysely<any> = db.db;
  for (let i = 0; i < rows.length; i += CHUNK) await untyped.insertInto(table).values(rows.slice(i, i + CHUNK)).execute();
}

export async function loadReserveTables(db: Database, r: FakeReserve, opts: { lookahead?: number } = {}): Promise<void> {
  const vaultKind = new Map<string, 'descriptor' | 'addresses'>();
  await insert(db, 'vaults', r.vaults.map((v, i) => {
    const kind = v.descriptors.length > 0 ? 'descriptor' : 'addresses';
    vaultKind.set(v.id, kind);
    return {
      id: v.id, name: v.name, kind, descriptor: v.descriptors[0] ?? null, network: r.network, threshold: v.threshold,
      birthday_height: 0, birthday_time: null, gap_limit: 20, created_at: `2026-01-0${i + 1}T00:00:00Z`,
    };
  }));
  await insert(db, 'vault_keys', r.vaults.flatMap((v) => Array.from({ length: v.keyCount ?? 0 }, (_, position) => ({
    vault_id: v.id, position, fingerprint: `0000000${position}`, origin_path: "48'/1'/0'/2'", xpub: `tpub-${position}`, holder: `holder ${position}`,
  }))));
  const where = new Map(r.addresses.map((a) => [a.address, a]));
  const addrRows = r.addresses.map((a) => ({ vault_id: a.vault, branch: 0, idx: a.index, address: a.address, script: `0014${a.index.toString(16).padStart(40, '0')}`, used: 1, reserved: 0 }));
  for (const v of r.vaults) {
    if (vaultKind.get(v.id) !== 'descriptor') continue;
    for (let i = 0; i < (opts.lookahead ?? 20); i++) addrRows.push({ vault_id: v.id, branch: 1, idx: 1000 + i, address: `${v.id}-unused-${i}`, script: `0014${'f'.repeat(40)}`, used: 0, reserved: 0 });
  }
  await insert(db, 'vault_addresses', addrRows);

  const txos: Array<Record<string, unknown>> = [];
  const txs: Array<Record<string, unknown>> = [];
  const ordered = [...r.txs].sort((a, b) => (a.height ?? Number.MAX_SAFE_INTEGER) - (b.height ?? Number.MAX_SAFE_INTEGER));
  for (const t of ordered) {
    const a = where.get(t.address);
    if (!a) throw new TypeError(`loadReserveTables: unknown address ${t.address}`);
    const base = { vault_id: t.vault, script: '00', branch: 0, idx: a.index, frozen: 0 };
    if (t.netSats >= 0n) {
      txos.push({ ...base, txid: t.txid, vout: 0, value: t.netSats, height: t.height, spent_txid: null, spent_height: null });
      txs.push({ vault_id: t.vault, txid: t.txid, height: t.height, block_hash: t.height === null ? null : `hash${t.height}`, block_time: t.time === null ? null : BigInt(t.time), tx_index: t.height === null ? null : 1, received: t.netSats, spent: 0n, fee: null, category: t.category, raw: '00' });
    } else {
      const candidates = txos.filter((o) => o.vault_id === t.vault && o.idx === a.index && o.spent_txid === null && (o.value as bigint) >= -t.netSats);
      const spend = candidates.sort((x, y) => ((y.value as bigint) > (x.value as bigint) ? 1 : -1))[0];
      if (!spend) throw new TypeError(`loadReserveTables: nothing to spend for ${t.txid}`);
      spend.spent_txid = t.txid;
      spend.spent_height = t.height;
      const change = (spend.value as bigint) + t.netSats;
      txos.push({ ...base, txid: t.txid, vout: 1, value: change, height: t.height, spent_txid: null, spent_height: null });
      txs.push({ vault_id: t.vault, txid: t.txid, height: t.height, block_hash: t.height === null ? null : `hash${t.height}`, block_time: t.time === null ? null : BigInt(t.time), tx_index: t.height === null ? null : 1, received: change, spent: spend.value, fee: null, category: t.category, raw: '00' });
    }
  }
  await insert(db, 'vault_txos', txos);
  await insert(db, 'vault_transactions', txs);
  if (r.tip) await insert(db, 'vault_checkpoints', r.vaults.map((v) => ({ vault_id: v.id, height: r.tip?.height, hash: r.tip?.hash })));
}
