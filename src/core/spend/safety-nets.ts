/**
 * Safety nets of a spend proposal: the fee cap, dust outputs, and parsing of the amounts and fee
 * rates people type.
 */
import { DomainError } from '../errors.ts';
import { SATS_PER_BTC, parseAmount } from '../money.ts';

/** 0.01 BTC: the absolute part of the default fee cap. */
export const DEFAULT_FEE_CAP_SATS = SATS_PER_BTC / 100n;

/**
 * The default fee cap: 1% of the amount or 0.01 BTC, whichever is less.
 * @example defaultFeeCap(50_000_000n) === 500_000n
 */
export function defaultFeeCap(amountSats: bigint): bigint {
  const onePercent = amountSats / 100n;
  return onePercent < DEFAULT_FEE_CAP_SATS ? onePercent : DEFAULT_FEE_CAP_SATS;
}

/**
 * @throws DomainError FEE_TOO_HIGH unless `force`
 * @example assertFeeWithinCap(2_000n, 1_000_000n, false) // ok: the cap is 10,000 sats
 */
export function assertFeeWithinCap(feeSats: bigint, amountSats: bigint, force: boolean, cap: bigint = defaultFeeCap(amountSats)): void {
  if (!force && feeSats > cap) {
    throw new DomainError('FEE_TOO_HIGH', `the fee of ${feeSats} sats is above the cap of ${cap} sats (1% of the amount or 0.01 BTC, whichever is less); use --force to pay it anyway`);
  }
}

/**
 * Bitcoin Core's dust threshold at its 3 sat/vB dust relay fee, by output script:
 * P2WPKH 294, P2WSH/P2TR 330, P2SH 540, P2PKH 546 sats (other scripts: 546).
 * @example dustLimitForScript(34) === 330n
 */
export function dustLimitForScript(script: Uint8Array | number): bigint {
  const len = typeof script === 'number' ? script : script.length;
  const witness = typeof script === 'number' ? len === 22 || len === 34 : script[0] === 0x00 || (script[0] !== undefined && script[0] >= 0x51 && script[0] <= 0x60 && script[1] === len - 2);
  // Core's GetDustThreshold: (output size + spending input size) × 3 sat/vB, the input counted
  // as 67 vB for witness programs (32+4+1+107/4+4) and 148 B otherwise.
  const outputSize = 8 + 1 + len;
  return BigInt(outputSize + (witness ? 67 : 148)) * 3n;
}

/**
 * "ADDR:AMOUNT[,ADDR:AMOUNT…]" with amounts in BTC ("0.5") or sats ("50000sat").
 * @example parsePaymentList('bcrt1q…:0.1,bcrt1q…:5000sat')
 */
export function parsePaymentList(text: string): { address: string; sats: bigint }[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new DomainError('INVALID_ARGUMENT', '--to needs at least one ADDRESS:AMOUNT');
  return items.map((item) => {
    const at = item.lastIndexOf(':');
    if (at <= 0 || at === item.length - 1) throw new DomainError('INVALID_ARGUMENT', `"${item}" is not ADDRESS:AMOUNT (e.g. bcrt1q…:0.5 or bcrt1q…:50000sat)`);
    const sats = parseAmount(item.slice(at + 1));
    if (sats <= 0n) throw new DomainError('INVALID_AMOUNT', `the amount for ${item.slice(0, at)} must be positive`);
    return { address: item.slice(0, at), sats };
  });
}

/** Highest fee rate accepted without question, in sat/vB. */
export const MAX_FEE_RATE_SAT_VB = 1_000;

/**
 * A fee rate in sat/vB as typed ("2", "2.5", up to 3 decimals) into sat per 1000 vB.
 * @example parseFeeRate('2.5') === 2_500n
 */
export function parseFeeRate(text: string): bigint {
  const m = /^(\d{1,7})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `fee rate "${text}" is not a number of sat/vB (e.g. 2 or 2.5)`);
  const kvb = BigInt(m[1] ?? '0') * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
  if (kvb < 1000n) throw new DomainError('INVALID_ARGUMENT', `fee rate ${text} sat/vB is below the 1 sat/vB relay minimum`);
  if (kvb > BigInt(MAX_FEE_RATE_SAT_VB) * 1000n) throw new DomainError('INVALID_ARGUMENT', `fee rate ${text} sat/vB is above ${MAX_FEE_RATE_SAT_VB} sat/vB`);
  return kvb;
}

/** "2.5" from 2_500n. */
export function formatFeeRate(kvb: bigint): string {
  const whole = kvb / 1000n;
  const frac = (kvb % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}
