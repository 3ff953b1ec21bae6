import type { Network } from '../network.ts';

/** 0 = receive branch, 1 = change branch (BIP389 `<0;1>`). Address-list vaults use 0 only. */
export type Branch = 0 | 1;

export const VAULT_KINDS = ['descriptor', 'addresses'] as const;
export type VaultKind = (typeof VAULT_KINDS)[number];

export interface VaultKey {
  readonly position: number;
  readonly fingerprint: string | null;
  readonly originPath: string | null;
  readonly xpub: string | null;
  /** The institution holding this key, e.g. "Ministry of Finance". */
  readonly holder: string | null;
}

export interface Vault {
  readonly id: string;
  readonly name: string;
  readonly kind: VaultKind;
  /** Multipath descriptor with checksum; null for an address-list vault. */
  readonly descriptor: string | null;
  readonly network: Network;
  readonly threshold: number | null;
  /** First block that can hold the vault's coins. */
  readonly birthdayHeight: number;
  /** When the birthday was given as a date (seconds), until it is resolved to a height. */
  readonly birthdayTime: number | null;
  readonly gapLimit: number;
  readonly createdAt: string;
  readonly keys: readonly VaultKey[];
}

export interface VaultAddress {
  readonly branch: Branch;
  readonly index: number;
  readonly address: string;
  /** scriptPubKey, hex. */
  readonly script: string;
  readonly used: boolean;
  readonly reserved: boolean;
}

/** A transaction output the vault owns (or owned). */
export interface Txo {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly script: string;
  readonly branch: Branch;
  readonly index: number;
  /** null while unconfirmed. */
  readonly height: number | null;
  readonly spentTxid: string | null;
  readonly spentHeight: number | null;
  readonly frozen: boolean;
}

export interface Checkpoint {
  readonly height: number;
  readonly hash: string;
}

/** Categories of flows, as the public and the IMF read them. */
export const TX_CATEGORIES = ['purchase', 'mining', 'seizure', 'internal consolidation', 'settlement', 'payment', 'receipt', 'donation'] as const;
export type TxCategory = (typeof TX_CATEGORIES)[number];

/** A transaction as it touches one vault. */
export interface VaultTransaction {
  readonly txid: string;
  readonly height: number | null;
  readonly blockHash: string | null;
  readonly blockTime: number | null;
  readonly txIndex: number | null;
  /** Sum of the vault's outputs created by this transaction. */
  readonly received: bigint;
  /** Sum of the vault's outputs spent by this transaction. */
  readonly spent: bigint;
  /** Known when every input was the vault's. */
  readonly fee: bigint | null;
  readonly category: TxCategory | null;
  readonly rawHex: string;
}

/** Deterministic slug for a vault id from its name. */
export function vaultIdFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!slug) throw new RangeError(`vaultIdFromName: name "${name}" has no letters or digits`);
  return slug.slice(0, 64);
}
