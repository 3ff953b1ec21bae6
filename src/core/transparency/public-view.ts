/**
 * The public read side of the reserve: everything the transparency dashboard and a citizen's
 * own checks need, and nothing else (no memos, no audit entries, no tokens, no key holders).
 *
 * `PublicReserveView` is a port: the store implements it over the synced vault tables, the
 * HTTP server only reads through it. Amounts are bigint sats; the server turns them into strings.
 * Pure helpers below value holdings in fiat minor units and express them as a share of 21M.
 */
import { MAX_MONEY, SATS_PER_BTC, type Sats } from '../money.ts';
import type { Network } from '../network.ts';

/**
 * How each flow is classified on the public dashboard: the vault categories, plus `unknown` for a
 * transaction nobody has classified yet.
 */
export const TX_CATEGORIES = ['purchase', 'mining', 'seizure', 'internal consolidation', 'settlement', 'payment', 'receipt', 'donation', 'unknown'] as const;
export type TxCategory = (typeof TX_CATEGORIES)[number];

/** The best block the reserve was last synced to. */
export interface PublicTip {
  readonly height: number;
  readonly hash: string;
  /** Block time, seconds since the Unix epoch, when known. */
  readonly time: number | null;
}

export interface PublicVaultTotal {
  readonly id: string;
  readonly name: string;
  readonly confirmedSats: Sats;
  /** Net effect of mempool transactions (a signed delta: may be negative while a spend is pending). */
  readonly unconfirmedSats: bigint;
  readonly addressCount: number;
}

export interface PublicSummary {
  readonly network: Network;
  /** null before the first sync. */
  readonly tip: PublicTip | null;
  readonly confirmedSats: Sats;
  /** Net effect of mempool transactions (may be negative while a spend is pending). */
  readonly unconfirmedSats: bigint;
  readonly vaults: readonly PublicVaultTotal[];
}

/** The confirmed balance at the end of a UTC day; one point per day on which it changed. */
export interface HoldingPoint {
  /** YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly sats: Sats;
  /** Each vault's confirmed balance at the end of that day (vaults that had a transaction by then), when the view knows it. */
  readonly vaults?: ReadonlyArray<{ readonly vault: string; readonly sats: Sats }>;
}

export interface PublicAddress {
  readonly address: string;
  readonly vault: string;
  /** 'receive' or 'change' for descriptor vaults; 'watched' for plain address lists. */
  readonly kind: 'receive' | 'change' | 'watched';
  readonly index: number;
  readonly confirmedSats: Sats;
  readonly unconfirmedSats: bigint;
  readonly txCount: number;
}

export interface PublicTransaction {
  readonly txid: string;
  /** Block time in seconds since the epoch; null while unconfirmed. */
  readonly time: number | null;
  readonly height: number | null;
  readonly confirmations: number;
  readonly category: TxCategory;
  /** What the transaction did to the vault: positive in, negative out. */
  readonly netSats: bigint;
  readonly vault: string;
}

export interface TransactionPage {
  readonly items: readonly PublicTransaction[];
  /** Pass as `before` to get the next (older) page; null on the last page. Opaque. */
  readonly nextBefore: string | null;
}

export interface TransactionQuery {
  /** 1..500 */
  readonly limit: number;
  /** An opaque cursor from `nextBefore` (base64url characters only, at most 200). */
  readonly before?: string;
}

export interface PublishedVault {
  readonly id: string;
  readonly name: string;
  /** Public output descriptors with checksums (no private keys ever exist in Soberana). */
  readonly descriptors: readonly string[];
  /** For vaults that watch a plain list of addresses. */
  readonly addresses: readonly string[];
  /** e.g. 2 of a 2-of-3; null when not a multisig descriptor. */
  readonly threshold: number | null;
  readonly keyCount: number | null;
}

export interface PublicVerification {
  readonly network: Network;
  readonly tip: PublicTip | null;
  readonly vaults: readonly PublishedVault[];
}

/**
 * The port. Implementations must only return public data. `transactions` orders newest first
 * (unconfirmed, then by height descending); a `before` cursor it did not issue is an
 * INVALID_ARGUMENT DomainError.
 */
export interface PublicReserveView {
  summary(): Promise<PublicSummary>;
  holdings(): Promise<HoldingPoint[]>;
  addresses(): Promise<PublicAddress[]>;
  transactions(q: TransactionQuery): Promise<TransactionPage>;
  verification(): Promise<PublicVerification>;
}

/** One day's BTC price in a fiat currency's minor units (USD cents). */
export interface DailyPrice {
  /** YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly cents: bigint;
}

/** A daily BTC price history in one currency (port; the adapter loads a CSV). */
export interface PriceHistory {
  /** ISO-4217 code, e.g. "USD". */
  readonly currency: string;
  /** The price on `date`, or on the latest earlier day that has one; null before the first. */
  onOrBefore(date: string): DailyPrice | null;
  readonly first: DailyPrice;
  readonly last: DailyPrice;
}

/**
 * Value of `sats` at `centsPerBtc`, in cents, rounded half away from zero.
 * @example valueInCents(150_000_000n, 6_000_000n) === 9_000_000n   // 1.5 BTC at $60,000
 */
export function valueInCents(sats: bigint, centsPerBtc: bigint): bigint {
  if (centsPerBtc < 0n) throw new RangeError(`"centsPerBtc" must not be negative: ${centsPerBtc}`);
  const num = sats * centsPerBtc;
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (a + SATS_PER_BTC / 2n) / SATS_PER_BTC;
  return neg ? -q : q;
}

/**
 * `sats` as a percentage of the 21,000,000 BTC that will ever exist, as an exact decimal string
 * with `decimals` places (truncated).
 * @example shareOf21MPercent(2_100_000_000_000n) === '0.100000'   // 21,000 BTC
 */
export function shareOf21MPercent(sats: bigint, decimals = 6): string {
  if (sats < 0n) throw new RangeError(`"sats" must not be negative: ${sats}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) throw new RangeError(`"decimals" out of range: ${decimals}`);
  const scale = 10n ** BigInt(decimals);
  const scaled = (sats * 100n * scale) / MAX_MONEY;
  const whole = scaled / scale;
  if (decimals === 0) return whole.toString();
  return `${whole}.${(scaled % scale).toString().padStart(decimals, '0')}`;
}

/** The same share in basis points (1/100 of a percent), truncated. */
export function shareOf21MBasisPoints(sats: bigint): bigint {
  if (sats < 0n) throw new RangeError(`"sats" must not be negative: ${sats}`);
  return (sats * 10_000n) / MAX_MONEY;
}
