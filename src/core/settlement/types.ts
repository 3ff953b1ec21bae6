/**
 * Alliance settlement (issue #16): the shared vocabulary of members, invoices, locked rates,
 * net positions and transfers. Pure types; the netting lives in `netting.ts`, the rate lock in
 * `rates.ts`, the on-chain phases in `escrow.ts`.
 *
 * Money: fiat in integer minor units (ISO 4217 digits) with its currency code; Bitcoin in sats.
 */
import type { Sats } from '../money.ts';

/** A member's short code, e.g. 'SLV', 'PAK', 'RUS' (ISO 3166 alpha-3 by convention). */
export type MemberCode = string;

export interface AllianceMember {
  readonly code: MemberCode;
  /** The state, e.g. 'El Salvador'. */
  readonly state: string;
  /** The settling institution (central bank or treasury). */
  readonly institution: string;
  /** ISO 4217 home currency, e.g. 'USD', 'PKR', 'RUB'. */
  readonly currency: string;
  /** Descriptor of the vault that receives this member's settlements (fresh addresses derived from it). */
  readonly receiveDescriptor: string;
}

/** An invoice as netting sees it: the exporter is owed, the importer owes. */
export interface NettableInvoice {
  readonly reference: string;
  readonly exporter: MemberCode;
  readonly importer: MemberCode;
  /** Positive, in the currency's minor units. */
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** The price of one BTC in a currency, in that currency's minor units, locked at a cycle's cutoff. */
export interface LockedRate {
  readonly currency: string;
  readonly minorDigits: number;
  /** Price of 1 BTC in minor units (e.g. 7829371n = $78,293.71). Positive. */
  readonly btcPriceMinor: bigint;
  /** Where the rate came from (file and row, or URL) and for which day. */
  readonly source: string;
}

/** A member's net in sats: positive = net receiver, negative = net payer. Positions sum to exactly 0. */
export interface NetPosition {
  readonly member: MemberCode;
  readonly sats: bigint;
}

/** One settlement transfer from a net payer to a net receiver. */
export interface SettlementTransfer {
  readonly from: MemberCode;
  readonly to: MemberCode;
  readonly sats: Sats;
}

/** A cycle once closed: what the on-chain phase (escrow or direct) works from. */
export interface ClosedCycle {
  readonly id: string;
  readonly cutoff: string;
  readonly rates: readonly LockedRate[];
  readonly positions: readonly NetPosition[];
  readonly transfers: readonly SettlementTransfer[];
  readonly mode: 'escrow' | 'direct';
}
