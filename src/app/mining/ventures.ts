/**
 * Mining ventures (issue #17): add a venture, its partners, a share table (a new version), a site;
 * show and list. Every change is audited in the same transaction (SqlMiningStore). Configuration is
 * an admin's job: the actor must be a member with the admin role.
 */
import { DomainError } from '../../core/errors.ts';
import { createDeriver, parseDescriptor } from '../../core/bitcoin/descriptor.ts';
import { addressToScript } from '../../core/bitcoin/address.ts';
import { assertNewShareTable, assertPartnerCode, ENERGY_SOURCES, parseShareTable, slugOf, type EnergySource, type MiningStore, type Partner, type Settlement, type ShareVersion, type Site, type Venture } from '../../core/mining/venture.ts';
import type { Network } from '../../core/network.ts';
import type { SpendStore } from '../../core/spend/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { auditOf, requireActor } from '../governance.ts';

export interface MiningDeps {
  readonly mining: MiningStore;
  readonly vaults: VaultStore;
  readonly spends: SpendStore;
  readonly network: Network;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
}

const text = (v: string, what: string, max = 200): string => {
  const t = v.trim();
  if (t === '') throw new DomainError('INVALID_ARGUMENT', `${what} may not be empty`);
  if (t.length > max) throw new DomainError('INVALID_ARGUMENT', `${what} is at most ${max} characters`);
  return t;
};

/** The venture by id or name; NOT_FOUND otherwise. */
export async function requireVenture(mining: MiningStore, ref: string): Promise<Venture> {
  const v = await mining.venture(ref.trim()) ?? (await mining.venture(slugOf(ref, 'venture').trim()));
  if (!v) throw new DomainError('NOT_FOUND', `no mining venture "${ref}" (see "soberana mining venture list")`);
  return v;
}

/**
 * Add a venture whose rewards arrive in `vault` (a descriptor vault: its coins are distributed by
 * proposals). `publicSector`: its coins are public-sector accumulation for the compliance rules
 * (register the vault there; its payouts classify as mining rewards).
 * @throws FORBIDDEN, VAULT_NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS
 * @example await addVenture(deps, 'rosa', { name: 'Tecapa Geothermal Venture', vault: 'venture', publicSector: true })
 */
export async function addVenture(deps: MiningDeps, actor: string | undefined, input: { name: string; vault: string; publicSector: boolean }): Promise<Venture> {
  const by = await requireActor(deps.spends, actor, 'admin');
  const name = text(input.name, 'the venture name', 120);
  const vault = await deps.vaults.findVault(input.vault);
  if (!vault) throw new DomainError('VAULT_NOT_FOUND', `no vault "${input.vault}" (add the venture's vault first: "soberana vault add")`);
  if (vault.network !== deps.network) throw new DomainError('NETWORK_MISMATCH', `vault ${vault.name} is on ${vault.network}, this Soberana runs on ${deps.network}`);
  if (!vault.descriptor) throw new DomainError('INVALID_ARGUMENT', `vault ${vault.name} is a watch-only address list: a venture's vault must be able to propose the distribution`);
  const atMs = deps.now();
  const v: Venture = { id: slugOf(name, 'venture name'), name, vaultId: vault.id, publicSector: input.publicSector, createdBy: by.id, createdAtMs: atMs };
  await deps.mining.addVenture(v, auditOf(by, 'admin', 'mining.venture.add', `venture:${v.id}`, { name, vault: vault.id, publicSector: v.publicSector }, atMs));
  return v;
}

/**
 * Add a partner: its code (named in share tables) and where its part is paid — a vault here
 * (`settlementVault`) or a descriptor (`settlementDescriptor`, checked against the network; each
 * distribution pays the next unused index of its receive branch).
 * @throws FORBIDDEN, NOT_FOUND, VAULT_NOT_FOUND, INVALID_ARGUMENT, INVALID_DESCRIPTOR, NETWORK_MISMATCH, ALREADY_EXISTS
 */
export async function addPartner(deps: MiningDeps, actor: string | undefined, input: { venture: string; code: string; name: string; settlementVault?: string | undefined; settlementDescriptor?: string | undefined }): Promise<Partner> {
  const by = await requireActor(deps.spends, actor, 'admin');
  const venture = await requireVenture(deps.mining, input.venture);
  const code = input.code.trim();
  assertPartnerCode(code);
  const name = text(input.name, 'the partner name', 200);
  let settlement: Settlement;
  if ((input.settlementVault === undefined) === (input.settlementDescriptor === undefined)) {
    throw new DomainError('INVALID_ARGUMENT', 'give exactly one of --settlement-vault or --settlement-descriptor: where the partner\'s part is paid');
  }
  if (input.settlementVault !== undefined) {
    const vault = await deps.vaults.findVault(input.settlementVault);
    if (!vault) throw new DomainError('VAULT_NOT_FOUND', `no vault "${input.settlementVault}"`);
    if (vault.network !== deps.network) throw new DomainError('NETWORK_MISMATCH', `vault ${vault.name} is on ${vault.network}, this Soberana runs on ${deps.network}`);
    if (vault.id === venture.vaultId) throw new DomainError('INVALID_ARGUMENT', 'a partner cannot be paid into the venture\'s own vault');
    settlement = { kind: 'vault', vaultId: vault.id };
  } else {
    const parsed = parseDescriptor(input.settlementDescriptor as string, { requireChecksum: false });
    if (!parsed.ranged) throw new DomainError('INVALID_DESCRIPTOR', 'the settlement descriptor must be ranged (end in /* or /<0;1>/*): every distribution pays a fresh address');
    const address = createDeriver(parsed, deps.network).derive(false, 0).address; // NETWORK_MISMATCH
    addressToScript(address, deps.network);
    settlement = { kind: 'descriptor', descriptor: parsed.descriptor };
  }
  const atMs = deps.now();
  const p: Partner = { ventureId: venture.id, id: code, name, settlement, nextIndex: 0, addedBy: by.id, addedAtMs: atMs };
  await deps.mining.addPartner(p, auditOf(by, 'admin', 'mining.partner.add', `venture:${venture.id}`, { partner: code, name, settlement }, atMs));
  return p;
}

/**
 * Record a new share table (the next version), in force from block time `effectiveFrom` (seconds).
 * @throws FORBIDDEN, NOT_FOUND, INVALID_ARGUMENT (shares not summing to 10,000 bps, unknown partner, not after the current table), ALREADY_EXISTS (changed meanwhile)
 * @example await setShares(deps, 'rosa', { venture: 'geo', shares: 'LAGEO:2300,CEL:2700,PAK:5000', effectiveFrom: 1_790_000_000 })
 */
export async function setShares(deps: MiningDeps, actor: string | undefined, input: { venture: string; shares: string; effectiveFrom: number; note?: string | undefined }): Promise<ShareVersion> {
  const by = await requireActor(deps.spends, actor, 'admin');
  const venture = await requireVenture(deps.mining, input.venture);
  const shares = parseShareTable(input.shares);
  const earlier = await deps.mining.shareVersions(venture.id);
  assertNewShareTable(shares, await deps.mining.partners(venture.id), earlier, input.effectiveFrom);
  const atMs = deps.now();
  const v: ShareVersion = {
    ventureId: venture.id, version: earlier.reduce((m, e) => Math.max(m, e.version), 0) + 1, effectiveFrom: input.effectiveFrom,
    note: input.note === undefined ? null : text(input.note, 'the note', 300), shares, recordedBy: by.id, recordedAtMs: atMs,
  };
  await deps.mining.addShareVersion(v, auditOf(by, 'admin', 'mining.shares.set', `venture:${venture.id}`, { version: v.version, effectiveFrom: v.effectiveFrom, shares, note: v.note }, atMs));
  return v;
}

export interface SiteInput {
  readonly venture: string;
  readonly name: string;
  /** Decimal MW, e.g. "102.5". */
  readonly capacityMw: string;
  readonly energySource: string;
  /** Decimal major units per MWh, e.g. "45.00". */
  readonly tariffPerMwh: string;
  readonly currency: string;
  readonly marketTariffPerMwh?: string | undefined;
  readonly fleetThs: string;
  /** Decimal J/TH, e.g. "17.5". */
  readonly efficiencyJPerTh: string;
  /** Percent, e.g. "95" or "97.5". */
  readonly uptimePercent: string;
  readonly pool?: string | undefined;
  /** Percent, e.g. "2". */
  readonly poolFeePercent?: string | undefined;
  readonly poolAddresses?: readonly string[] | undefined;
}

/** A non-negative decimal as an integer of `digits` decimal places ("17.5", 3 → 17500n). */
export function scaledDecimal(text: string, digits: number, what: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `${what} must be a non-negative number like 17.5, got "${text}"`);
  const frac = m[2] ?? '';
  if (frac.length > digits) throw new DomainError('INVALID_ARGUMENT', `${what} has more than ${digits} decimal places: "${text}"`);
  return BigInt(m[1] as string) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
}

/**
 * Add a site to a venture.
 * @throws FORBIDDEN, NOT_FOUND, INVALID_ARGUMENT, INVALID_ADDRESS, NETWORK_MISMATCH, ALREADY_EXISTS
 */
export async function addSite(deps: MiningDeps, actor: string | undefined, input: SiteInput): Promise<Site> {
  const by = await requireActor(deps.spends, actor, 'admin');
  const venture = await requireVenture(deps.mining, input.venture);
  const name = text(input.name, 'the site name', 120);
  if (!(ENERGY_SOURCES as readonly string[]).includes(input.energySource)) throw new DomainError('INVALID_ARGUMENT', `energy source must be one of ${ENERGY_SOURCES.join(', ')}, got "${input.energySource}"`);
  const currency = input.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new DomainError('INVALID_ARGUMENT', `the currency must be an ISO 4217 code like USD, got "${input.currency}"`);
  const tariff = scaledDecimal(input.tariffPerMwh, 2, 'the tariff per MWh');
  const market = input.marketTariffPerMwh === undefined ? null : scaledDecimal(input.marketTariffPerMwh, 2, 'the market tariff per MWh');
  if (market !== null && market < tariff) throw new DomainError('INVALID_ARGUMENT', 'the market tariff is below the site\'s tariff: a subsidy is market − tariff, so give the higher market tariff (or none)');
  const uptime = scaledDecimal(input.uptimePercent, 2, 'uptime (%)');
  const poolFee = scaledDecimal(input.poolFeePercent ?? '0', 2, 'the pool fee (%)');
  if (uptime > 10_000n || poolFee > 10_000n) throw new DomainError('INVALID_ARGUMENT', 'uptime and the pool fee are percentages from 0 to 100');
  const efficiency = scaledDecimal(input.efficiencyJPerTh, 3, 'the efficiency (J/TH)');
  if (efficiency === 0n) throw new DomainError('INVALID_ARGUMENT', 'the efficiency (J/TH) must be positive');
  const poolAddresses = [...new Set((input.poolAddresses ?? []).map((a) => a.trim()).filter((a) => a !== ''))];
  for (const a of poolAddresses) addressToScript(a, deps.network); // INVALID_ADDRESS / NETWORK_MISMATCH
  const pool = input.pool === undefined || input.pool.trim() === '' ? null : text(input.pool, 'the pool name', 80);
  if (pool === null && poolAddresses.length > 0) throw new DomainError('INVALID_ARGUMENT', 'pool addresses need the pool\'s name (--pool)');
  const atMs = deps.now();
  const site: Site = {
    ventureId: venture.id, id: slugOf(name, 'site name'), name, capacityKw: scaledDecimal(input.capacityMw, 3, 'the capacity (MW)'), energySource: input.energySource as EnergySource,
    tariffMinorPerMwh: tariff, currency, marketTariffMinorPerMwh: market, fleetThs: scaledDecimal(input.fleetThs, 0, 'the fleet hashrate (TH/s)'), efficiencyMjPerTh: efficiency,
    uptimeBps: Number(uptime), pool, poolFeeBps: Number(poolFee), poolAddresses, addedBy: by.id, addedAtMs: atMs,
  };
  await deps.mining.addSite(site, auditOf(by, 'admin', 'mining.site.add', `venture:${venture.id}`, { ...site, addedBy: undefined, addedAtMs: undefined }, atMs));
  return site;
}

export interface VentureView {
  readonly venture: Venture;
  readonly partners: Partner[];
  readonly shareVersions: ShareVersion[];
  readonly sites: Site[];
}

/** A venture with its partners, every share table and its sites. */
export async function showVenture(deps: Pick<MiningDeps, 'mining'>, ref: string): Promise<VentureView> {
  const venture = await requireVenture(deps.mining, ref);
  return { venture, partners: await deps.mining.partners(venture.id), shareVersions: await deps.mining.shareVersions(venture.id), sites: await deps.mining.sites(venture.id) };
}

/** Every venture. */
export async function listVentures(deps: Pick<MiningDeps, 'mining'>): Promise<Venture[]> {
  return deps.mining.ventures();
}
