import { DomainError } from '../core/errors.ts';
import type { Network } from '../core/network.ts';
import { addressToScript } from '../core/bitcoin/address.ts';
import { checkDescriptorNetwork, parseDescriptor } from '../core/bitcoin/descriptor.ts';
import { refusePrivateKeys } from '../core/bitcoin/private-keys.ts';
import { hex } from '@scure/base';
import { vaultIdFromName, type Vault, type VaultAddress, type VaultKey } from '../core/vault/types.ts';
import type { VaultStore } from '../core/vault/vault-store.ts';
import { WatchState } from '../core/vault/watch-state.ts';
import { BIRTHDAY_MARGIN_SECONDS } from '../core/vault/birthday.ts';
import { deriverFor } from './vault-deriver.ts';

export interface AddVaultInput {
  readonly name: string;
  readonly network: Network;
  /** A multipath (`<0;1>/*`) or ranged descriptor with checksum, or `addr(…)`. */
  readonly descriptor?: string | undefined;
  /** Published addresses, for a watch-only list vault. */
  readonly addresses?: readonly string[] | undefined;
  /**
   * Block height, or a Unix time (seconds): at the first sync, the first block whose
   * median-time-past is at least a day before it (core/vault/birthday.ts).
   */
  readonly birthday?: { height: number } | { time: number } | undefined;
  readonly gapLimit?: number | undefined;
  /** Holder names by key fingerprint (lower-case hex), e.g. { "f57ec65d": "Ministry of Finance" }. */
  readonly holders?: Readonly<Record<string, string>> | undefined;
  /** Creation time (ISO), injected. */
  readonly now: string;
}

export interface AddVaultDeps {
  readonly store: VaultStore;
}

const ADDR_RE = /^addr\((.+)\)(#[a-z0-9]{8})?$/;

/**
 * Register a watch-only vault: a multisig descriptor (keys held by separate institutions) or a list
 * of published addresses. Derives the first gap window on both branches.
 */
export async function addVault(deps: AddVaultDeps, input: AddVaultInput): Promise<Vault> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new DomainError('INVALID_ARGUMENT', 'a vault needs a name of 1 to 100 characters');
  const id = vaultIdFromName(name);
  const gapLimit = input.gapLimit ?? 20;
  if (!Number.isInteger(gapLimit) || gapLimit < 1 || gapLimit > 1000) throw new DomainError('INVALID_ARGUMENT', `gap limit must be 1..1000, got ${gapLimit}`);
  const birthdayHeight = input.birthday && 'height' in input.birthday ? input.birthday.height : 0;
  const birthdayTime = input.birthday && 'time' in input.birthday ? input.birthday.time : null;
  if (!Number.isInteger(birthdayHeight) || birthdayHeight < 0) throw new DomainError('INVALID_ARGUMENT', `birthday height must be a whole number ≥ 0`);
  if (birthdayTime !== null) {
    if (!Number.isSafeInteger(birthdayTime) || birthdayTime < 0) throw new DomainError('INVALID_ARGUMENT', 'birthday time must be a Unix time in seconds');
    // A birthday after today would skip the blocks that are about to hold the vault's first coins.
    if (birthdayTime > Date.parse(input.now) / 1000 + BIRTHDAY_MARGIN_SECONDS) throw new DomainError('INVALID_ARGUMENT', `birthday ${new Date(birthdayTime * 1000).toISOString().slice(0, 10)} is in the future`);
  }
  if ((input.descriptor === undefined) === (input.addresses === undefined)) {
    throw new DomainError('INVALID_ARGUMENT', 'give either a descriptor or a list of addresses');
  }
  if (input.descriptor !== undefined) refusePrivateKeys(input.descriptor);
  const base = { id, name, network: input.network, birthdayHeight, birthdayTime, gapLimit, createdAt: input.now };

  const listed = input.addresses ?? addrDescriptorList(input.descriptor);
  if (listed) {
    if (listed.length === 0) throw new DomainError('INVALID_ARGUMENT', 'the address list is empty');
    const seen = new Set<string>();
    const addresses: VaultAddress[] = listed.map((address, index) => {
      const script = hex.encode(addressToScript(address, input.network));
      if (seen.has(script)) throw new DomainError('INVALID_ARGUMENT', `address ${address} is listed twice`);
      seen.add(script);
      return { branch: 0, index, address, script, used: false, reserved: false };
    });
    const vault: Vault = { ...base, kind: 'addresses', descriptor: null, threshold: null, keys: [] };
    await refuseOverlap(deps.store, addresses);
    await deps.store.createVault(vault, addresses);
    return vault;
  }

  const parsed = parseDescriptor(input.descriptor ?? '');
  checkDescriptorNetwork(parsed, input.network);
  if (!parsed.ranged) throw new DomainError('INVALID_DESCRIPTOR', 'a vault descriptor must be ranged (end in /* or <0;1>/*) so fresh addresses can be derived');
  const keys: VaultKey[] = parsed.keys.map((k, position) => ({
    position,
    fingerprint: k.fingerprint,
    originPath: k.originPath,
    xpub: k.xpub,
    holder: (k.fingerprint && input.holders?.[k.fingerprint.toLowerCase()]) || null,
  }));
  const unknownHolders = Object.keys(input.holders ?? {}).filter((fp) => !keys.some((k) => k.fingerprint?.toLowerCase() === fp.toLowerCase()));
  if (unknownHolders.length) throw new DomainError('INVALID_ARGUMENT', `no key in the descriptor has fingerprint ${unknownHolders.join(', ')}`);
  const vault: Vault = { ...base, kind: 'descriptor', descriptor: parsed.descriptor, threshold: parsed.threshold, keys };
  const state = new WatchState({ gapLimit, deriver: deriverFor(vault) });
  const addresses = state.ensureLookahead();
  for (const other of await deps.store.listVaults()) {
    if (other.descriptor === vault.descriptor) throw new DomainError('ALREADY_EXISTS', `vault "${other.name}" already watches this descriptor: registering it twice would count its coins twice`);
  }
  await refuseOverlap(deps.store, addresses);
  await deps.store.createVault(vault, addresses);
  return vault;
}

/** `addr(A)` descriptors become one-address list vaults. */
function addrDescriptorList(descriptor: string | undefined): string[] | undefined {
  if (descriptor === undefined) return undefined;
  const m = ADDR_RE.exec(descriptor.trim());
  if (!m) return undefined;
  parseDescriptor(descriptor, { requireChecksum: descriptor.includes('#') });
  return [m[1] ?? ''];
}

/** Refuse a vault that would watch an address another vault already watches (double counting). */
async function refuseOverlap(store: VaultStore, addresses: readonly VaultAddress[]): Promise<void> {
  const mine = new Map(addresses.map((a) => [a.script, a.address]));
  for (const other of await store.listVaults()) {
    for (const a of await store.addresses(other.id)) {
      const hit = mine.get(a.script);
      if (hit) throw new DomainError('ALREADY_EXISTS', `address ${hit} is already watched by vault "${other.name}": its coins would be counted twice`);
    }
  }
}
