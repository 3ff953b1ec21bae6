/**
 * Mining ventures (issue #17): partners owning a venture by shares in basis points, the share
 * tables over time, the sites, and the exact split of a period's payouts between partners.
 *
 * Shares are versioned: each table is in force from a block time (`effectiveFrom`, seconds) until
 * the next one. A payout is split by the table in force at ITS block time, so a period that spans a
 * change is split pro rata by the payouts' dates: the payouts under each table are summed and that
 * sum split with `splitByShares` (largest remainder), and a partner's part of the period is the sum
 * of its parts under each table. Every part sums to the total, to the sat.
 *
 * The network fee of the distribution is taken from the total BEFORE it is paid out: each partner
 * bears a part of the fee in proportion to its gross part (largest remainder again, so the fee parts
 * sum to the fee exactly), and is paid its gross part minus its fee part. The venture keeps nothing.
 *
 * Pure: no I/O, no clock. The store port (`MiningStore`) is implemented in
 * adapters/store/mining-store.ts.
 */
import { DomainError } from '../errors.ts';
import type { Sats } from '../money.ts';
import type { AuditFields } from '../spend/types.ts';
import { assertShares, splitByShares, type Share } from './split.ts';

import { ENERGY_SOURCES, type EnergySource } from './forecast.ts';

/** The energy sources a site may use (one list, defined with the forecast). */
export { ENERGY_SOURCES, type EnergySource };

export interface Venture {
  readonly id: string;
  readonly name: string;
  /** The vault that receives the venture's rewards (coinbase outputs, pool payouts). */
  readonly vaultId: string;
  /** A public-sector venture's rewards count as public-sector accumulation (mining) for the compliance rules. */
  readonly publicSector: boolean;
  readonly createdBy: string;
  readonly createdAtMs: number;
}

/** Where a partner's part is paid: a fresh receive address of a vault here, or of a descriptor. */
export type Settlement = { readonly kind: 'vault'; readonly vaultId: string } | { readonly kind: 'descriptor'; readonly descriptor: string };

export interface Partner {
  readonly ventureId: string;
  /** A short code, e.g. "LAGEO"; the name in share tables. */
  readonly id: string;
  readonly name: string;
  readonly settlement: Settlement;
  /** Next receive index to derive from a settlement descriptor (unused for a vault). */
  readonly nextIndex: number;
  readonly addedBy: string;
  readonly addedAtMs: number;
}

export interface ShareVersion {
  readonly ventureId: string;
  /** 1, 2, … */
  readonly version: number;
  /** Block time (seconds) from which this table is in force. */
  readonly effectiveFrom: number;
  readonly note: string | null;
  readonly shares: readonly Share[];
  readonly recordedBy: string;
  readonly recordedAtMs: number;
}

export interface Site {
  readonly ventureId: string;
  readonly id: string;
  readonly name: string;
  /** Electrical capacity, kW (1 MW = 1,000 kW). */
  readonly capacityKw: bigint;
  readonly energySource: EnergySource;
  /** What the site pays for energy, minor units of `currency` per MWh. */
  readonly tariffMinorPerMwh: bigint;
  /** ISO 4217 code of both tariffs. */
  readonly currency: string;
  /** The market tariff when the site's is subsidised (the subsidy is market − tariff), else null. */
  readonly marketTariffMinorPerMwh: bigint | null;
  /** Fleet hashrate, TH/s. */
  readonly fleetThs: bigint;
  /** Fleet efficiency, millijoules per TH (17.5 J/TH = 17,500). */
  readonly efficiencyMjPerTh: bigint;
  /** Share of the time the fleet runs, basis points. */
  readonly uptimeBps: number;
  /** The pool's name (labels naming it mark its payouts), or null when the site mines solo. */
  readonly pool: string | null;
  readonly poolFeeBps: number;
  /** Addresses the pool pays from (a payout spending from one is the pool's). */
  readonly poolAddresses: readonly string[];
  readonly addedBy: string;
  readonly addedAtMs: number;
}

export const DISTRIBUTION_STATES = ['claimed', 'proposed'] as const;
export type DistributionState = (typeof DISTRIBUTION_STATES)[number];

export interface DistributionRecord {
  readonly ventureId: string;
  /** YYYY-MM (UTC). */
  readonly period: string;
  /** `claimed`: a distribute run took the period and is proposing; `proposed`: the proposal exists. */
  readonly state: DistributionState;
  readonly proposalId: number | null;
  readonly totalSats: Sats;
  readonly feeSats: Sats;
  /** The plan as proposed (canonical JSON). */
  readonly document: string;
  readonly claimedBy: string;
  readonly claimedAtMs: number;
  readonly proposedAtMs: number | null;
}

/** The port the mining use cases store through; every write is one transaction with its audit entry. */
export interface MiningStore {
  ventures(): Promise<Venture[]>;
  venture(idOrName: string): Promise<Venture | null>;
  addVenture(v: Venture, audit: AuditFields): Promise<void>;
  partners(ventureId: string): Promise<Partner[]>;
  addPartner(p: Partner, audit: AuditFields): Promise<void>;
  /** Take `count` receive indexes of a descriptor partner: returns the first (the next starts after). */
  takePartnerIndexes(ventureId: string, partnerId: string, count: number): Promise<number>;
  shareVersions(ventureId: string): Promise<ShareVersion[]>;
  /** ALREADY_EXISTS when `version` is not the next one (someone changed the table meanwhile). */
  addShareVersion(v: ShareVersion, audit: AuditFields): Promise<void>;
  sites(ventureId: string): Promise<Site[]>;
  addSite(s: Site, audit: AuditFields): Promise<void>;
  distributions(ventureId: string): Promise<DistributionRecord[]>;
  distribution(ventureId: string, period: string): Promise<DistributionRecord | null>;
  /**
   * Take a period for distribution: inserts a `claimed` row unless one exists. Returns the row now
   * stored and whether this call inserted it (at most one concurrent caller does).
   */
  claimDistribution(r: DistributionRecord, audit: AuditFields): Promise<{ record: DistributionRecord; claimed: boolean }>;
  /** The claim became a proposal. */
  completeDistribution(ventureId: string, period: string, proposalId: number, document: string, totalSats: Sats, feeSats: Sats, atMs: number, audit: AuditFields): Promise<void>;
  /** A distribution whose proposal was cancelled is reopened (audited): the period can be distributed again. */
  reopenDistribution(ventureId: string, period: string, proposalId: number, audit: AuditFields): Promise<void>;
  /** A claim whose proposal could not be made is released (the period can be distributed again). */
  releaseDistribution(ventureId: string, period: string, claimedAtMs: number): Promise<void>;
}

/** A slug id from a name ("LaGeo Geothermal" → "lageo-geothermal"). */
export function slugOf(name: string, what: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (!slug) throw new DomainError('INVALID_ARGUMENT', `${what} "${name}" has no letters or digits`);
  return slug.slice(0, 64);
}

/** A partner code: letters, digits, `-` and `_`, 1–32 characters (it names the partner in share tables). */
export function assertPartnerCode(code: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(code)) throw new DomainError('INVALID_ARGUMENT', `partner code "${code}" must be 1–32 letters, digits, "-" or "_" (e.g. LAGEO)`);
}

const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Check a period: a UTC month, YYYY-MM. */
export function assertPeriod(period: string): void {
  if (!PERIOD_RE.test(period)) throw new DomainError('INVALID_ARGUMENT', `a period is a month written YYYY-MM (e.g. 2026-11), got "${period}"`);
}

/** The UTC month of a block time (seconds). @example periodOfTime(1793491200) // '2026-11' */
export function periodOfTime(timeSec: number): string {
  return new Date(timeSec * 1000).toISOString().slice(0, 7);
}

/** A period's bounds in block time (seconds): [start, end). */
export function periodBounds(period: string): { startSec: number; endSec: number } {
  assertPeriod(period);
  const m = PERIOD_RE.exec(period) as RegExpExecArray;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { startSec: Date.UTC(y, mo - 1, 1) / 1000, endSec: Date.UTC(y, mo, 1) / 1000 };
}

/**
 * Check a new share table against the venture's partners and its earlier tables: every partner
 * named exists, shares sum to exactly 10,000 bps, and it takes effect after the latest table.
 */
export function assertNewShareTable(shares: readonly Share[], partners: readonly Partner[], earlier: readonly ShareVersion[], effectiveFrom: number): void {
  assertShares(shares);
  const known = new Set(partners.map((p) => p.id));
  for (const s of shares) if (!known.has(s.partner)) throw new DomainError('INVALID_ARGUMENT', `no partner "${s.partner}" in this venture (add it first: "soberana mining venture add-partner")`);
  if (!Number.isSafeInteger(effectiveFrom) || effectiveFrom < 0) throw new DomainError('INVALID_ARGUMENT', `the share table needs a start time, got ${String(effectiveFrom)}`);
  const last = earlier.reduce<ShareVersion | null>((a, v) => (a === null || v.version > a.version ? v : a), null);
  if (last !== null && effectiveFrom <= last.effectiveFrom) {
    throw new DomainError('INVALID_ARGUMENT', `a new share table must take effect after the current one (version ${last.version}, from ${new Date(last.effectiveFrom * 1000).toISOString()})`);
  }
}

/** The share table in force at block time `timeSec`: the latest version that started at or before it, or null. */
export function shareTableAt(versions: readonly ShareVersion[], timeSec: number): ShareVersion | null {
  let best: ShareVersion | null = null;
  for (const v of versions) if (v.effectiveFrom <= timeSec && (best === null || v.effectiveFrom > best.effectiveFrom || (v.effectiveFrom === best.effectiveFrom && v.version > best.version))) best = v;
  return best;
}

/**
 * Split `total` by non-negative integer weights, exactly (largest remainder; ties: larger weight,
 * then earlier index). The parts sum to `total`. All-zero weights with a positive total is a fault.
 * @example apportion(10n, [1n, 1n, 1n]) // [4n, 3n, 3n]
 */
export function apportion(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n) throw new RangeError(`apportion: negative total ${total}`);
  const sum = weights.reduce((a, w) => {
    if (w < 0n) throw new RangeError(`apportion: negative weight ${w}`);
    return a + w;
  }, 0n);
  if (sum === 0n) {
    if (total === 0n) return weights.map(() => 0n);
    throw new RangeError('apportion: all weights are zero');
  }
  const base = weights.map((w, i) => ({ i, w, q: (total * w) / sum, r: (total * w) % sum }));
  let left = total - base.reduce((a, b) => a + b.q, 0n);
  const order = [...base].sort((a, b) => (a.r !== b.r ? (b.r > a.r ? 1 : -1) : a.w !== b.w ? (b.w > a.w ? 1 : -1) : a.i - b.i));
  for (const b of order) {
    if (left === 0n) break;
    if (b.r === 0n) continue;
    b.q += 1n;
    left -= 1n;
  }
  if (left !== 0n) throw new RangeError(`apportion: ${left} left over (invariant)`);
  return base.map((b) => b.q);
}

/** A payout as the split needs it. */
export interface PayoutForSplit {
  readonly txid: string;
  readonly blockTime: number;
  readonly sats: bigint;
}

export interface PartnerPart {
  readonly partner: string;
  /** The partner's part of the payouts. */
  readonly grossSats: Sats;
  /** Its part of the network fee. */
  readonly feeSats: Sats;
  /** What it is paid: gross − fee. */
  readonly netSats: Sats;
}

export interface PeriodSplit {
  readonly totalSats: Sats;
  readonly feeSats: Sats;
  /** Per share-table version used: the payouts it covers and their split. */
  readonly byVersion: readonly { readonly version: number; readonly effectiveFrom: number; readonly sats: Sats; readonly txids: readonly string[]; readonly parts: readonly { partner: string; sats: Sats }[] }[];
  /** Per partner of any version used, in partner-code order. */
  readonly parts: readonly PartnerPart[];
}

/**
 * Split a period's payouts between the partners (see the module comment): each payout by the
 * table in force at its block time; then the fee by gross part.
 * @throws INVALID_STATE (a payout before the first share table), INSUFFICIENT_FUNDS (fee ≥ total)
 * @example splitPeriod([{ txid, blockTime: t, sats: 100n }], [v1], 0n).parts // [{ partner: 'A', grossSats: 60n, … }, …]
 */
export function splitPeriod(payouts: readonly PayoutForSplit[], versions: readonly ShareVersion[], feeSats: bigint): PeriodSplit {
  if (feeSats < 0n) throw new RangeError(`splitPeriod: negative fee ${feeSats}`);
  const groups = new Map<number, { v: ShareVersion; sats: bigint; txids: string[] }>();
  for (const p of payouts) {
    if (p.sats <= 0n) throw new RangeError(`splitPeriod: payout ${p.txid} of ${p.sats} sats`);
    const v = shareTableAt(versions, p.blockTime);
    if (v === null) throw new DomainError('INVALID_STATE', `payout ${p.txid} (block time ${new Date(p.blockTime * 1000).toISOString()}) predates the venture's first share table: record a table in force then ("soberana mining shares set --from …")`);
    const g = groups.get(v.version) ?? { v, sats: 0n, txids: [] };
    g.sats += p.sats;
    g.txids.push(p.txid);
    groups.set(v.version, g);
  }
  const total = payouts.reduce((a, p) => a + p.sats, 0n);
  if (total > 0n && feeSats >= total) throw new DomainError('INSUFFICIENT_FUNDS', `the fee (${feeSats} sats) would take the whole period's ${total} sats`);
  const byVersion = [...groups.values()].sort((a, b) => a.v.version - b.v.version).map((g) => ({
    version: g.v.version, effectiveFrom: g.v.effectiveFrom, sats: g.sats as Sats, txids: g.txids, parts: splitByShares(g.sats as Sats, g.v.shares),
  }));
  const gross = new Map<string, bigint>();
  for (const g of byVersion) for (const p of g.parts) gross.set(p.partner, (gross.get(p.partner) ?? 0n) + p.sats);
  const codes = [...gross.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const grossList = codes.map((c) => gross.get(c) ?? 0n);
  const fees = total === 0n ? codes.map(() => 0n) : apportion(feeSats, grossList);
  const parts = codes.map((c, i) => {
    const g = grossList[i] ?? 0n;
    const f = fees[i] ?? 0n;
    return { partner: c, grossSats: g as Sats, feeSats: f as Sats, netSats: (g - f) as Sats };
  });
  return { totalSats: total as Sats, feeSats: (total === 0n ? 0n : feeSats) as Sats, byVersion, parts };
}

/**
 * Parse a share table written "LAGEO:2300,CEL:2700,PAK:5000".
 * @throws INVALID_ARGUMENT
 */
export function parseShareTable(text: string): Share[] {
  const out: Share[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([^:]+):(\d+)$/.exec(item);
    if (!m) throw new DomainError('INVALID_ARGUMENT', `"${item}" is not PARTNER:BPS (e.g. LAGEO:2300)`);
    out.push({ partner: (m[1] as string).trim(), bps: Number(m[2]) });
  }
  assertShares(out);
  return out;
}
