/**
 * The register of public wallets: add an entry (or a new version of one), list, show. Every change
 * is a new version, audited in the same transaction. Any vault may be registered: a multisig we
 * sign for, or a watch-only list of published addresses (`vault add --addresses FILE`).
 */
import { DomainError } from '../../core/errors.ts';
import { currentRegister, parseDay, type RegisterEntry } from '../../core/compliance/types.ts';
import type { Vault } from '../../core/vault/types.ts';
import type { Actor, ComplianceDeps } from './flows.ts';

export interface RegisterInput {
  readonly vault: string;
  readonly owner?: string | undefined;
  readonly legalBasis?: string | undefined;
  readonly purpose?: string | undefined;
  /** YYYY-MM-DD. */
  readonly joinedOn?: string | undefined;
  /** YYYY-MM-DD, or '' to clear. */
  readonly leftOn?: string | undefined;
}

const text = (v: string | undefined, what: string): string | undefined => {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '') throw new DomainError('INVALID_ARGUMENT', `${what} may not be empty`);
  if (t.length > 300) throw new DomainError('INVALID_ARGUMENT', `${what} is at most 300 characters`);
  return t;
};

/**
 * Register a vault as a public wallet, or record a new version of its entry (fields not given keep
 * their value). The first version needs owner, legal basis, purpose and the day it joined.
 * @throws VAULT_NOT_FOUND, INVALID_ARGUMENT (a missing or malformed field; nothing changed)
 * @example await addRegisterEntry(deps, { actor: 'rosa', role: 'admin' }, { vault: 'El Salvador Reserve', owner: 'Central Reserve Bank', legalBasis: 'Bitcoin Law (Decree 57, 2021)', purpose: 'national reserve', joinedOn: '2021-09-07' })
 */
export async function addRegisterEntry(deps: ComplianceDeps, by: Actor, input: RegisterInput): Promise<{ entry: RegisterEntry; previous: RegisterEntry | null; vault: Vault }> {
  const vault = await deps.vaults.findVault(input.vault);
  if (!vault) throw new DomainError('VAULT_NOT_FOUND', `no vault "${input.vault}" (see "soberana vault list"; a watch-only list of published addresses is added with "vault add --addresses FILE")`);
  const versions = (await deps.compliance.registerVersions()).filter((e) => e.vaultId === vault.id);
  const previous = currentRegister(versions).get(vault.id) ?? null;
  const owner = text(input.owner, '--owner') ?? previous?.owner;
  const legalBasis = text(input.legalBasis, '--legal-basis') ?? previous?.legalBasis;
  const purpose = text(input.purpose, '--purpose') ?? previous?.purpose;
  const joinedOn = input.joinedOn !== undefined ? parseDay(input.joinedOn, '--joined') : previous?.joinedOn;
  const leftOn = input.leftOn === undefined ? (previous?.leftOn ?? null) : input.leftOn.trim() === '' ? null : parseDay(input.leftOn, '--left');
  const missing = [owner === undefined ? '--owner' : '', legalBasis === undefined ? '--legal-basis' : '', purpose === undefined ? '--purpose' : '', joinedOn === undefined ? '--joined' : ''].filter((x) => x !== '');
  if (missing.length > 0) throw new DomainError('INVALID_ARGUMENT', `a new register entry needs ${missing.join(', ')}`);
  if (leftOn !== null && joinedOn !== undefined && leftOn <= joinedOn) throw new DomainError('INVALID_ARGUMENT', `--left (${leftOn}) must come after --joined (${joinedOn})`);
  const atMs = deps.now();
  const entry: RegisterEntry = {
    vaultId: vault.id, version: (previous?.version ?? 0) + 1, owner: owner as string, legalBasis: legalBasis as string, purpose: purpose as string,
    joinedOn: joinedOn as string, leftOn, recordedBy: by.actor, recordedAtMs: atMs,
  };
  if (previous && previous.owner === entry.owner && previous.legalBasis === entry.legalBasis && previous.purpose === entry.purpose && previous.joinedOn === entry.joinedOn && previous.leftOn === entry.leftOn) {
    throw new DomainError('INVALID_ARGUMENT', `register entry ${vault.id} already says this (version ${previous.version}): nothing to change`);
  }
  const { recordedBy: _b, recordedAtMs: _t, ...fields } = entry;
  await deps.compliance.addRegisterVersion(entry, {
    actor: by.actor, role: by.role, action: previous ? 'compliance.register.change' : 'compliance.register.add', object: `vault:${vault.id}`,
    details: { ...fields, watchOnly: vault.kind === 'addresses', ...(previous ? { previousVersion: previous.version } : {}) }, atMs,
  });
  return { entry, previous, vault };
}

export interface RegisterRow {
  readonly entry: RegisterEntry;
  readonly name: string;
  /** A published address list we watch but cannot sign for. */
  readonly watchOnly: boolean;
}

/** The register as it stands (latest version of each entry), by when each joined. */
export async function listRegister(deps: ComplianceDeps): Promise<RegisterRow[]> {
  const rows: RegisterRow[] = [];
  for (const e of currentRegister(await deps.compliance.registerVersions()).values()) {
    const v = await deps.vaults.findVault(e.vaultId);
    rows.push({ entry: e, name: v?.name ?? '(vault removed)', watchOnly: v?.kind === 'addresses' });
  }
  return rows.sort((a, b) => a.entry.joinedOn.localeCompare(b.entry.joinedOn) || a.entry.vaultId.localeCompare(b.entry.vaultId));
}

/** One entry with every version it has had. NOT_FOUND when the vault is not registered. */
export async function showRegisterEntry(deps: ComplianceDeps, vaultRef: string): Promise<{ current: RegisterRow; versions: RegisterEntry[] }> {
  const vault = await deps.vaults.findVault(vaultRef);
  if (!vault) throw new DomainError('VAULT_NOT_FOUND', `no vault "${vaultRef}"`);
  const versions = (await deps.compliance.registerVersions()).filter((e) => e.vaultId === vault.id).sort((a, b) => a.version - b.version);
  const last = versions[versions.length - 1];
  if (!last) throw new DomainError('NOT_FOUND', `vault ${vault.id} is not in the register (see "soberana compliance register add --help")`);
  return { current: { entry: last, name: vault.name, watchOnly: vault.kind === 'addresses' }, versions };
}
