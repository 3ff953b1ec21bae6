/**
 * A mining site described in words a person writes: a JSON file (`--site FILE`) and/or command-line
 * flags, every value a decimal string (or a JSON number) in the units people use — tariffs in the
 * currency's major unit per MWh, hashrate in TH/s, efficiency in J/TH, capacity in MW, uptime and
 * pool fee in percent. Parsed strictly into the core's `MiningSite` (exact, no floats): unknown
 * keys, a value with more decimals than its unit allows, or a missing field are one-line
 * INVALID_ARGUMENT errors naming the field.
 *
 * @example
 *   {"name": "Berlín geothermal", "energySource": "geothermal", "currency": "USD",
 *    "tariffPerMwh": "45.00", "fleetThs": "250000", "efficiencyJPerTh": "18.5",
 *    "capacityMw": "5", "uptime": "95", "poolFee": "2", "pool": "Braiins"}
 */
import { DomainError } from '../../core/errors.ts';
import { checkSite, ENERGY_SOURCES, type EnergySource, type MiningSite } from '../../core/mining/forecast.ts';
import { parseRatio, type Ratio } from '../../core/mining/ratio.ts';
import { minorDigitsOf } from '../prices/fx-csv.ts';

/** The keys a site file may have (each also a flag: tariffPerMwh ↔ --tariff, …). */
export const SITE_KEYS = ['name', 'energySource', 'currency', 'tariffPerMwh', 'marketTariffPerMwh', 'fleetThs', 'capacityMw', 'efficiencyJPerTh', 'uptime', 'poolFee', 'pool'] as const;
export type SiteKey = (typeof SITE_KEYS)[number];
export type SiteSpec = Partial<Record<SiteKey, string>>;

const shown = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}…` : s).replace(/[\r\n\t]+/g, ' ');

/**
 * The fields of a site JSON document, as strings.
 * @throws DomainError INVALID_ARGUMENT (not JSON, not an object, unknown key, a value neither text nor number)
 */
export function parseSiteJson(text: string, origin = 'site file'): SiteSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `${origin} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DomainError('INVALID_ARGUMENT', `${origin} must be a JSON object with the site's fields (${SITE_KEYS.join(', ')})`);
  const out: SiteSpec = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!(SITE_KEYS as readonly string[]).includes(k)) throw new DomainError('INVALID_ARGUMENT', `${origin}: unknown field "${shown(k)}" (fields: ${SITE_KEYS.join(', ')})`);
    if (v === null) continue;
    if (typeof v === 'string') out[k as SiteKey] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[k as SiteKey] = String(v);
    else throw new DomainError('INVALID_ARGUMENT', `${origin}: field "${k}" must be text or a number`);
  }
  return out;
}

/** Major units with at most `digits` decimals → minor units, exactly. */
export function parseMajor(text: string, digits: number, label: string): bigint {
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text.trim());
  if (!m || (m[2] ?? '').length > digits) throw new DomainError('INVALID_ARGUMENT', `${label} must be an amount with at most ${digits} decimals, got "${shown(text)}"`);
  return BigInt(m[1] ?? '0') * 10n ** BigInt(digits) + BigInt((m[2] ?? '').padEnd(digits, '0') || '0');
}

/** A percentage ("95", "95%", "2.5") → basis points; at most two decimals, 0…100. */
export function parsePercentBps(text: string, label: string): number {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?\s*%?$/.exec(text.trim());
  const v = m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0') : NaN;
  if (!m || v > 10_000) throw new DomainError('INVALID_ARGUMENT', `${label} must be a percentage from 0 to 100 with at most 2 decimals, got "${shown(text)}"`);
  return v;
}

const positiveRatio = (text: string | undefined, label: string): Ratio | undefined => (text === undefined ? undefined : parseRatio(text, label));

/**
 * Build a checked `MiningSite` from its fields (flags override file fields by merging before).
 * Uptime defaults to 100 %, the pool fee to 0 %.
 * @throws DomainError INVALID_ARGUMENT naming the field
 */
export function siteFromSpec(spec: SiteSpec): MiningSite {
  const need = (k: SiteKey, flag: string): string => {
    const v = spec[k];
    if (v === undefined || v.trim() === '') throw new DomainError('INVALID_ARGUMENT', `the site needs ${flag} (file field "${k}")`);
    return v;
  };
  const currency = need('currency', '--currency').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new DomainError('INVALID_ARGUMENT', `the currency must be an ISO 4217 code like USD or PKR, got "${shown(currency)}"`);
  const digits = minorDigitsOf(currency);
  let energySource: EnergySource | undefined;
  if (spec.energySource !== undefined) {
    if (!(ENERGY_SOURCES as readonly string[]).includes(spec.energySource)) throw new DomainError('INVALID_ARGUMENT', `the energy source must be one of ${ENERGY_SOURCES.join(', ')}, got "${shown(spec.energySource)}"`);
    energySource = spec.energySource as EnergySource;
  }
  const fleetThs = positiveRatio(spec.fleetThs, 'the fleet hashrate (TH/s)');
  const capacityMw = positiveRatio(spec.capacityMw, 'the capacity (MW)');
  const site: MiningSite = {
    name: need('name', '--name').trim(),
    currency,
    minorDigits: digits,
    tariffPerMwh: parseMajor(need('tariffPerMwh', '--tariff'), digits, 'the tariff per MWh'),
    efficiencyJPerTh: parseRatio(need('efficiencyJPerTh', '--efficiency'), 'the efficiency (J/TH)'),
    uptimeBps: spec.uptime === undefined ? 10_000 : parsePercentBps(spec.uptime, 'the uptime'),
    poolFeeBps: spec.poolFee === undefined ? 0 : parsePercentBps(spec.poolFee, 'the pool fee'),
    ...(energySource === undefined ? {} : { energySource }),
    ...(spec.marketTariffPerMwh === undefined ? {} : { marketTariffPerMwh: parseMajor(spec.marketTariffPerMwh, digits, 'the market tariff per MWh') }),
    ...(fleetThs === undefined ? {} : { fleetThs }),
    ...(capacityMw === undefined ? {} : { capacityMw }),
    ...(spec.pool === undefined ? {} : { pool: spec.pool.trim() }),
  };
  checkSite(site);
  return site;
}
