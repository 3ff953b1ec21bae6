import type { BlockChanges, MempoolChanges } from './apply-scan.ts';
import type { Branch, Checkpoint, Txo, Vault, VaultAddress, VaultTransaction, TxCategory } from './types.ts';

import { DomainError } from '../errors.ts';

/**
 * `details.reason` of the `INVALID_STATE` conflict a store raises when two syncs of one vault write
 * the same block (or mempool view): the loser's transaction rolled back whole.
 */
export const CONCURRENT_SYNC = 'concurrent-sync';

/** Whether `e` is that conflict (the sync then reloads the vault from the store and goes again). */
export function isConcurrentSync(e: unknown): boolean {
  return e instanceof DomainError && e.code === 'INVALID_STATE' && e.details?.reason === CONCURRENT_SYNC;
}

export interface Balance {
  /** Unspent outputs confirmed in a block and not spent by a confirmed transaction. */
  readonly confirmed: bigint;
  /** Net effect of unconfirmed transactions (may be negative). */
  readonly unconfirmed: bigint;
}

export interface Label {
  readonly type: string;
  readonly ref: string;
  readonly label: string;
  readonly origin: string | null;
  readonly spendable: boolean | null;
}

/**
 * The persistence port of vaults and their sync state. Every mutating method commits atomically.
 * Implemented over SQLite and PostgreSQL in src/adapters/store/vault-store.ts.
 */
export interface VaultStore {
  /** ALREADY_EXISTS when the name or id is taken. */
  createVault(vault: Vault, addresses: readonly VaultAddress[]): Promise<void>;
  /** By id or by name; null when unknown. */
  findVault(idOrName: string): Promise<Vault | null>;
  listVaults(): Promise<Vault[]>;
  resolveBirthday(vaultId: string, height: number): Promise<void>;

  addresses(vaultId: string): Promise<VaultAddress[]>;
  /** Every txo not spent by a confirmed transaction (includes unconfirmed ones). */
  unspentTxos(vaultId: string): Promise<Txo[]>;
  allTxos(vaultId: string): Promise<Txo[]>;
  /** Highest first. */
  checkpoints(vaultId: string, limit: number): Promise<Checkpoint[]>;
  tipCheckpoint(vaultId: string): Promise<Checkpoint | null>;

  /** Persist one block's effects and its checkpoint in one transaction. */
  applyBlock(vaultId: string, changes: BlockChanges): Promise<void>;
  /** Record blocks that held nothing for the vault, in one transaction. */
  addCheckpoints(vaultId: string, checkpoints: readonly Checkpoint[]): Promise<void>;
  /** Undo every block above `height` (and the mempool view) in one transaction. */
  rollbackTo(vaultId: string, height: number): Promise<void>;
  /** Replace the vault's unconfirmed view in one transaction. */
  replaceMempool(vaultId: string, changes: MempoolChanges): Promise<void>;

  balance(vaultId: string): Promise<Balance>;
  transactions(vaultId: string): Promise<VaultTransaction[]>;
  /** A person's category for a transaction; overrides the inferred one, survives reorgs. */
  setCategory(txid: string, category: TxCategory): Promise<void>;
  setFrozen(vaultId: string, txid: string, vout: number, frozen: boolean): Promise<void>;
  /** Mark the lowest unused, unreserved receive address as reserved and return it. */
  reserveAddress(vaultId: string, branch: Branch): Promise<VaultAddress | null>;
  /** Persist addresses derived outside a sync (e.g. when `address new` runs past the lookahead). */
  addAddresses(vaultId: string, addresses: readonly VaultAddress[]): Promise<void>;

  labels(): Promise<Label[]>;
  upsertLabels(labels: readonly Label[]): Promise<number>;
}
