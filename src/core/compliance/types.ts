/**
 * IMF-programme compliance (issue #15): the register of public wallets, the classes a flow can
 * have, and what a classified flow records. Pure types and small helpers.
 */
import { DomainError } from '../errors.ts';

/**
 * The classes of a flow touching a registered public wallet, as a programme reviewer reads them:
 * - `internal-consolidation`: every input from a registered wallet, every output to one (apart from the fee);
 * - `external-acquisition`: value comes in from outside the register (a purchase, a donation, a mixed transaction);
 * - `mining-reward`: a coinbase, or a payout labelled as mining / a pool payout;
 * - `seizure`: coins seized, labelled with their legal reference;
 * - `settlement-receipt` / `settlement-payment`: an alliance settlement, labelled as such;
 * - `sale`: coins leaving the register, labelled as a sale;
 * - `payment`: coins leaving the register otherwise;
 * - `fee`: only a fee (a person's override; every flow also records its fee when it is known).
 */
export const FLOW_CLASSES = [
  'internal-consolidation',
  'external-acquisition',
  'mining-reward',
  'seizure',
  'settlement-receipt',
  'settlement-payment',
  'sale',
  'payment',
  'fee',
] as const;
export type FlowClass = (typeof FLOW_CLASSES)[number];

/** A class typed by a person; INVALID_ARGUMENT naming the classes otherwise. */
export function parseFlowClass(text: string): FlowClass {
  const c = text.trim().toLowerCase();
  if (!(FLOW_CLASSES as readonly string[]).includes(c)) throw new DomainError('INVALID_ARGUMENT', `unknown flow class "${text}": use one of ${FLOW_CLASSES.join(', ')}`);
  return c as FlowClass;
}

/** One version of a register entry: a vault (multisig or watch-only address list) of the public sector. */
export interface RegisterEntry {
  readonly vaultId: string;
  readonly version: number;
  /** The public body holding it, e.g. "Central Reserve Bank of El Salvador". */
  readonly owner: string;
  /** The law or decree under which it is held. */
  readonly legalBasis: string;
  readonly purpose: string;
  /** The day (UTC) it joined the public sector's holdings, YYYY-MM-DD. */
  readonly joinedOn: string;
  /** The day it left (sold off, transferred out of the public sector), or null. */
  readonly leftOn: string | null;
  readonly recordedBy: string;
  readonly recordedAtMs: number;
}

/** The latest version of each entry, by vault id. */
export function currentRegister(versions: readonly RegisterEntry[]): Map<string, RegisterEntry> {
  const out = new Map<string, RegisterEntry>();
  for (const e of versions) {
    const had = out.get(e.vaultId);
    if (!had || had.version < e.version) out.set(e.vaultId, e);
  }
  return out;
}

/** Whether `entry` is in the register on `day` (YYYY-MM-DD). */
export function inRegisterOn(entry: RegisterEntry, day: string): boolean {
  return entry.joinedOn <= day && (entry.leftOn === null || day < entry.leftOn);
}

/** A person's classification of a transaction, kept by txid. */
export interface FlowOverride {
  readonly txid: string;
  readonly class: FlowClass;
  readonly reason: string;
  readonly setBy: string;
  readonly setAtMs: number;
}

/** A flow: one transaction as it touches the register, with its class and why. */
export interface ClassifiedFlow {
  readonly txid: string;
  readonly height: number | null;
  /** Block time (seconds), null while unconfirmed. */
  readonly time: number | null;
  /** YYYY-MM-DD (UTC) of `time`; null while unconfirmed. */
  readonly date: string | null;
  readonly class: FlowClass;
  /** Plain words: why this class (the rule of the classifier that applied, or the override). */
  readonly reason: string;
  /** What the classifier said, when a person overrode it. */
  readonly classified: { readonly class: FlowClass; readonly reason: string } | null;
  /** Change of the public stock (sum over registered wallets), sats. */
  readonly stockDelta: bigint;
  /** Change per registered wallet (vault id → sats), only wallets the transaction touches. */
  readonly walletDeltas: Readonly<Record<string, bigint>>;
  /** The fee, when every input is a registered wallet's; null otherwise. */
  readonly feeSats: bigint | null;
  /** Value that came from outside the register (sats; 0 when none or not known). */
  readonly fromOutsideSats: bigint;
  /** Value that left for outside the register (sats), fee excluded. */
  readonly toOutsideSats: bigint;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day YYYY-MM-DD that exists; INVALID_ARGUMENT otherwise. */
export function parseDay(text: string, what: string): string {
  const d = text.trim();
  if (!DAY_RE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
    throw new DomainError('INVALID_ARGUMENT', `${what} must be a date YYYY-MM-DD, got "${text}"`);
  }
  return d;
}

/** The UTC day of a time in seconds. */
export function dayOfTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}
