import { sql, type Insertable, type InsertObject, type Kysely, type Selectable } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import type { BlockChanges, MempoolChanges } from '../../core/vault/apply-scan.ts';
import { CONCURRENT_SYNC, type Balance, type Label, type VaultStore } from '../../core/vault/vault-store.ts';
import type { Branch, Checkpoint, Txo, Vault, VaultAddress, VaultKey, VaultTransaction, TxCategory, VaultKind } from '../../core/vault/types.ts';
import type { Network } from '../../core/network.ts';
import { toBig, toNum, toNumOrNull, type Database } from './database.ts';
import { addToDaily, removeFromDaily } from './daily-holdings.ts';
import { isUniqueViolation } from './sql-errors.ts';
import type { Tables, VaultAddressesTable, VaultKeysTable, VaultsTable, VaultTransactionsTable, VaultTxosTable } from './schema.ts';

/** The pool, or a Kysely bound to a transaction (a `Transaction<Tables>` is one too). */
type Db = Kysely<Tables>;

const CHUNK = 400;

async function insertChunked<T extends keyof Tables & string>(db: Db, table: T, rows: readonly InsertObject<Tables, T>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await db.insertInto(table).values(rows.slice(i, i + CHUNK)).execute();
}

function txoFromRow(r: Selectable<VaultTxosTable>): Txo {
  return {
    txid: r.txid,
    vout: toNum(r.vout),
    value: toBig(r.value),
    script: r.script,
    branch: toNum(r.branch) as Branch,
    index: toNum(r.idx),
    height: toNumOrNull(r.height),
    spentTxid: r.spent_txid,
    spentHeight: toNumOrNull(r.spent_height),
    frozen: toNum(r.frozen) === 1,
  };
}

function addressFromRow(r: Selectable<VaultAddressesTable>): VaultAddress {
  return {
    branch: toNum(r.branch) as Branch,
    index: toNum(r.idx),
    address: r.address,
    script: r.script,
    used: toNum(r.used) === 1,
    reserved: toNum(r.reserved) === 1,
  };
}

function txFromRow(r: Selectable<VaultTransactionsTable>): VaultTransaction {
  return {
    txid: r.txid,
    height: toNumOrNull(r.height),
    blockHash: r.block_hash,
    blockTime: toNumOrNull(r.block_time),
    txIndex: toNumOrNull(r.tx_index),
    received: toBig(r.received),
    spent: toBig(r.spent),
    fee: r.fee === null ? null : toBig(r.fee),
    category: r.category as TxCategory | null,
    rawHex: r.raw,
  };
}

function keyFromRow(k: Selectable<VaultKeysTable>): VaultKey {
  return { position: toNum(k.position), fingerprint: k.fingerprint, originPath: k.origin_path, xpub: k.xpub, holder: k.holder };
}

const addrRow = (vaultId: string, a: VaultAddress): Insertable<VaultAddressesTable> => ({
  vault_id: vaultId, branch: a.branch, idx: a.index, address: a.address, script: a.script, used: a.used ? 1 : 0, reserved: a.reserved ? 1 : 0,
});
const txoRow = (vaultId: string, t: Txo): Insertable<VaultTxosTable> => ({
  vault_id: vaultId, txid: t.txid, vout: t.vout, value: t.value, script: t.script, branch: t.branch, idx: t.index,
  height: t.height, spent_txid: t.spentTxid, spent_height: t.spentHeight, frozen: t.frozen ? 1 : 0,
});
const txRow = (vaultId: string, t: VaultTransaction): Insertable<VaultTransactionsTable> => ({
  vault_id: vaultId, txid: t.txid, height: t.height, block_hash: t.blockHash, block_time: t.blockTime === null ? null : BigInt(t.blockTime),
  tx_index: t.txIndex, received: t.received, spent: t.spent, fee: t.fee, category: t.category, raw: t.rawHex,
});

/** VaultStore over Kysely; identical behaviour on SQLite and PostgreSQL. */
export class SqlVaultStore implements VaultStore {
  readonly #k: Db;
  readonly #bound: boolean;
  /**
   * `bound`: a Kysely already inside a transaction (see `inWriteTransaction`); the store then
   * runs every change on it directly instead of opening transactions of its own.
   */
  constructor(database: Database, bound?: Kysely<Tables>) {
    this.#k = bound ?? database.db;
    this.#bound = bound !== undefined;
  }

  #tx<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.#bound ? fn(this.#k) : this.#k.transaction().execute(fn);
  }

  async createVault(vault: Vault, addresses: readonly VaultAddress[]): Promise<void> {
    try {
      await this.#tx(async (trx) => {
        await trx.insertInto('vaults').values({
          id: vault.id, name: vault.name, kind: vault.kind, descriptor: vault.descriptor, network: vault.network,
          threshold: vault.threshold, birthday_height: vault.birthdayHeight,
          birthday_time: vault.birthdayTime === null ? null : BigInt(vault.birthdayTime), gap_limit: vault.gapLimit, created_at: vault.createdAt,
        }).execute();
        if (vault.keys.length) {
          await insertChunked(trx, 'vault_keys', vault.keys.map((k) => ({
            vault_id: vault.id, position: k.position, fingerprint: k.fingerprint, origin_path: k.originPath, xpub: k.xpub, holder: k.holder,
          })));
        }
        await insertChunked(trx, 'vault_addresses', addresses.map((a) => addrRow(vault.id, a)));
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', `a vault named "${vault.name}" (id ${vault.id}) already exists`);
      throw e;
    }
  }

  async findVault(idOrName: string): Promise<Vault | null> {
    const row = await this.#k.selectFrom('vaults').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (!row) return null;
    return this.#vaultFromRow(row);
  }

  async listVaults(): Promise<Vault[]> {
    const rows = await this.#k.selectFrom('vaults').selectAll().orderBy('created_at').orderBy('id').execute();
    return Promise.all(rows.map((r) => this.#vaultFromRow(r)));
  }

  async #vaultFromRow(r: Selectable<VaultsTable>): Promise<Vault> {
    const keys = await this.#k.selectFrom('vault_keys').selectAll().where('vault_id', '=', r.id).orderBy('position').execute();
    return {
      id: r.id,
      name: r.name,
      kind: r.kind as VaultKind,
      descriptor: r.descriptor,
      network: r.network as Network,
      threshold: toNumOrNull(r.threshold),
      birthdayHeight: toNum(r.birthday_height),
      birthdayTime: toNumOrNull(r.birthday_time),
      gapLimit: toNum(r.gap_limit),
      createdAt: r.created_at,
      keys: keys.map(keyFromRow),
    };
  }

  async resolveBirthday(vaultId: string, height: number): Promise<void> {
    await this.#k.updateTable('vaults').set({ birthday_height: height, birthday_time: null }).where('id', '=', vaultId).execute();
  }

  async addresses(vaultId: string): Promise<VaultAddress[]> {
    const rows = await this.#k.selectFrom('vault_addresses').selectAll().where('vault_id', '=', vaultId).orderBy('branch').orderBy('idx').execute();
    return rows.map(addressFromRow);
  }

  async unspentTxos(vaultId: string): Promise<Txo[]> {
    const rows = await this.#k.selectFrom('vault_txos').selectAll().where('vault_id', '=', vaultId)
      .where((eb) => eb.or([eb('spent_txid', 'is', null), eb('spent_height', 'is', null)]))
      .orderBy('height').orderBy('txid').orderBy('vout').execute();
    return rows.map(txoFromRow);
  }

  async allTxos(vaultId: string): Promise<Txo[]> {
    const rows = await this.#k.selectFrom('vault_txos').selectAll().where('vault_id', '=', vaultId).orderBy('txid').orderBy('vout').execute();
    return rows.map(txoFromRow);
  }

  async checkpoints(vaultId: string, limit: number): Promise<Checkpoint[]> {
    const rows = await this.#k.selectFrom('vault_checkpoints').select(['height', 'hash']).where('vault_id', '=', vaultId).orderBy('height', 'desc').limit(limit).execute();
    return rows.map((r) => ({ height: toNum(r.height), hash: r.hash }));
  }

  async tipCheckpoint(vaultId: string): Promise<Checkpoint | null> {
    return (await this.checkpoints(vaultId, 1))[0] ?? null;
  }

  /** Remove the unconfirmed view (mempool txos, mempool spends, unconfirmed transactions). */
  async #clearMempool(trx: Db, vaultId: string): Promise<void> {
    await trx.deleteFrom('vault_txos').where('vault_id', '=', vaultId).where('height', 'is', null).execute();
    await trx.updateTable('vault_txos').set({ spent_txid: null }).where('vault_id', '=', vaultId).where('spent_height', 'is', null).where('spent_txid', 'is not', null).execute();
    await trx.deleteFrom('vault_transactions').where('vault_id', '=', vaultId).where('height', 'is', null).execute();
  }

  async #applyCommon(trx: Db, vaultId: string, c: BlockChanges | MempoolChanges, spentHeight: number | null): Promise<void> {
    await insertChunked(trx, 'vault_addresses', c.newAddresses.map((a) => addrRow(vaultId, a)));
    await insertChunked(trx, 'vault_txos', c.newTxos.map((t) => txoRow(vaultId, t)));
    for (const s of c.spends) {
      await trx.updateTable('vault_txos').set({ spent_txid: s.spentTxid, spent_height: spentHeight })
        .where('vault_id', '=', vaultId).where('txid', '=', s.txid).where('vout', '=', s.vout).execute();
    }
    await insertChunked(trx, 'vault_transactions', c.transactions.map((t) => txRow(vaultId, t)));
    const byBranch = new Map<number, number[]>();
    for (const u of c.usedAddresses) byBranch.set(u.branch, [...(byBranch.get(u.branch) ?? []), u.index]);
    for (const [branch, idxs] of byBranch) {
      for (let i = 0; i < idxs.length; i += CHUNK) {
        await trx.updateTable('vault_addresses').set({ used: 1 }).where('vault_id', '=', vaultId).where('branch', '=', branch).where('idx', 'in', idxs.slice(i, i + CHUNK)).execute();
      }
    }
  }

  async applyBlock(vaultId: string, changes: BlockChanges): Promise<void> {
    await this.#syncWrite(vaultId, changes.height, () => this.#tx(async (trx) => {
      await this.#clearMempool(trx, vaultId);
      // Categories set by people survive a transaction moving from the mempool into a block.
      await this.#applyCommon(trx, vaultId, changes, changes.height);
      await addToDaily(trx, vaultId, changes.transactions); // migration 0015's daily aggregate, same transaction
      await trx.insertInto('vault_checkpoints').values({ vault_id: vaultId, height: changes.height, hash: changes.hash }).execute();
    }));
  }

  async addCheckpoints(vaultId: string, checkpoints: readonly Checkpoint[]): Promise<void> {
    await this.#syncWrite(vaultId, checkpoints[0]?.height ?? 0, () => this.#tx(async (trx) => {
      await insertChunked(trx, 'vault_checkpoints', checkpoints.map((c) => ({ vault_id: vaultId, height: c.height, hash: c.hash })));
    }));
  }

  /**
   * A sync's write that another sync of the same vault (a second `soberana sync`, or the server's
   * follower) committed first: the transaction rolled back whole, so nothing is lost or doubled;
   * it is reported as a typed conflict that `syncVaults` answers by reloading and going again.
   */
  async #syncWrite(vaultId: string, height: number, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const what = height < 0 ? 'its mempool view' : `block ${height}`;
      throw new DomainError('INVALID_STATE', `another sync of vault ${vaultId} recorded ${what} at the same time; nothing was lost, run the sync again`, { reason: CONCURRENT_SYNC });
    }
  }

  async rollbackTo(vaultId: string, height: number): Promise<void> {
    await this.#tx(async (trx) => {
      await this.#clearMempool(trx, vaultId);
      await trx.deleteFrom('vault_txos').where('vault_id', '=', vaultId).where('height', '>', height).execute();
      await trx.updateTable('vault_txos').set({ spent_txid: null, spent_height: null }).where('vault_id', '=', vaultId).where('spent_height', '>', height).execute();
      await removeFromDaily(trx, vaultId, height); // before the rows go: the daily aggregate loses what they added
      await trx.deleteFrom('vault_transactions').where('vault_id', '=', vaultId).where('height', '>', height).execute();
      await trx.deleteFrom('vault_checkpoints').where('vault_id', '=', vaultId).where('height', '>', height).execute();
      await sql`update vault_addresses set used = case when exists (
          select 1 from vault_txos t where t.vault_id = vault_addresses.vault_id and t.script = vault_addresses.script
        ) then 1 else 0 end where vault_id = ${vaultId}`.execute(trx);
    });
  }

  async replaceMempool(vaultId: string, changes: MempoolChanges): Promise<void> {
    await this.#syncWrite(vaultId, -1, () => this.#tx(async (trx) => {
      await this.#clearMempool(trx, vaultId);
      await this.#applyCommon(trx, vaultId, changes, null);
    }));
  }

  async balance(vaultId: string): Promise<Balance> {
    const rows = await this.#k.selectFrom('vault_txos').select(['value', 'height', 'spent_txid', 'spent_height']).where('vault_id', '=', vaultId)
      .where((eb) => eb.or([eb('spent_txid', 'is', null), eb('spent_height', 'is', null)])).execute();
    let confirmed = 0n;
    let unconfirmed = 0n;
    for (const r of rows) {
      const v = toBig(r.value);
      const conf = r.height !== null;
      const spentInMempool = r.spent_txid !== null;
      if (conf) {
        confirmed += v;
        if (spentInMempool) unconfirmed -= v;
      } else if (!spentInMempool) unconfirmed += v;
    }
    return { confirmed, unconfirmed };
  }

  async transactions(vaultId: string): Promise<VaultTransaction[]> {
    const rows = await this.#k.selectFrom('vault_transactions as t').leftJoin('tx_categories as c', 'c.txid', 't.txid')
      .selectAll('t').select('c.category as set_category').where('t.vault_id', '=', vaultId).execute();
    const txs = rows.map((r) => ({ ...txFromRow(r), category: (r.set_category ?? r.category) as TxCategory | null }));
    // Newest first; unconfirmed on top.
    return txs.sort((a, b) => (b.height ?? Infinity) - (a.height ?? Infinity) || (b.txIndex ?? 0) - (a.txIndex ?? 0));
  }

  async setCategory(txid: string, category: TxCategory): Promise<void> {
    await this.#k.insertInto('tx_categories').values({ txid, category })
      .onConflict((oc) => oc.column('txid').doUpdateSet({ category })).execute();
  }

  async setFrozen(vaultId: string, txid: string, vout: number, frozen: boolean): Promise<void> {
    const r = await this.#k.updateTable('vault_txos').set({ frozen: frozen ? 1 : 0 }).where('vault_id', '=', vaultId).where('txid', '=', txid).where('vout', '=', vout).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new DomainError('NOT_FOUND', `vault "${vaultId}" has no output ${txid}:${vout}`);
  }

  async reserveAddress(vaultId: string, branch: Branch): Promise<VaultAddress | null> {
    return this.#tx(async (trx) => {
      const row = await trx.selectFrom('vault_addresses').selectAll().where('vault_id', '=', vaultId).where('branch', '=', branch)
        .where('used', '=', 0).where('reserved', '=', 0).orderBy('idx').limit(1).executeTakeFirst();
      if (!row) return null;
      await trx.updateTable('vault_addresses').set({ reserved: 1 }).where('vault_id', '=', vaultId).where('branch', '=', branch).where('idx', '=', row.idx).execute();
      return { ...addressFromRow(row), reserved: true };
    });
  }

  async addAddresses(vaultId: string, addresses: readonly VaultAddress[]): Promise<void> {
    await insertChunked(this.#k, 'vault_addresses', addresses.map((a) => addrRow(vaultId, a)));
  }

  async labels(): Promise<Label[]> {
    const rows = await this.#k.selectFrom('labels').selectAll().orderBy('type').orderBy('ref').execute();
    return rows.map((r) => ({
      type: r.type, ref: r.ref, label: r.label, origin: r.origin,
      spendable: r.spendable === null ? null : toNum(r.spendable) === 1,
    }));
  }

  async upsertLabels(labels: readonly Label[]): Promise<number> {
    await this.#tx(async (trx) => {
      for (const l of labels) {
        await trx.insertInto('labels')
          .values({ type: l.type, ref: l.ref, label: l.label, origin: l.origin, spendable: l.spendable === null ? null : l.spendable ? 1 : 0 })
          .onConflict((oc) => oc.columns(['type', 'ref']).doUpdateSet({ label: l.label, origin: l.origin, spendable: l.spendable === null ? null : l.spendable ? 1 : 0 }))
          .execute();
      }
    });
    return labels.length;
  }
}
