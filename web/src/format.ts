// Exact formatting of amounts that arrive as strings of integers (sats, cents): no floats for money.
// Separators, currency signs and dates follow the page's language (i18n/index.ts), from the exact
// integers: Intl formats the whole part (a bigint) and the fraction is appended digit for digit.
import { locale, t } from './i18n/index.ts';
import { CURRENCY_MINOR_DIGITS } from '../../src/core/settlement/rates.ts';

const SATS_PER_BTC = 100_000_000n;

function intParts(loc: string): { group: string; decimal: string } {
  const parts = new Intl.NumberFormat(loc).formatToParts(12345.6);
  return { group: parts.find((p) => p.type === 'group')?.value ?? ',', decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.' };
}

/** A whole number with the locale's grouping (a bigint: exact at any size). */
export function integer(v: bigint | number): string {
  return new Intl.NumberFormat(locale(), { useGrouping: true }).format(v);
}

/** "164800154322" -> "1,648.00154322" (8 decimals, exact). */
export function btc(sats: string, opts: { sign?: boolean } = {}): string {
  const v = BigInt(sats);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = integer(a / SATS_PER_BTC);
  const frac = (a % SATS_PER_BTC).toString().padStart(8, '0');
  const sign = neg ? '−' : opts.sign && v > 0n ? '+' : '';
  return `${sign}${whole}${intParts(locale()).decimal}${frac}`;
}

/** Sats with thousands separators. */
export function sats(s: string): string {
  const v = BigInt(s);
  return (v < 0n ? '−' : '') + integer(v < 0n ? -v : v);
}

/**
 * Decimal places of a currency's minor unit (ISO 4217: USD 2, JPY 0, KWD 3), from the core's table;
 * 2 for a code the table does not know.
 */
export function minorDigits(currency: string): number {
  return Object.hasOwn(CURRENCY_MINOR_DIGITS, currency) ? (CURRENCY_MINOR_DIGITS[currency] ?? 2) : 2;
}

/**
 * An amount in the currency's minor units, exact: "12038970986" USD -> "$120,389,709.86", "980" JPY
 * -> "¥980", "1250" KWD -> "KWD 1.250" (the currency sign where the locale puts it).
 */
export function money(minor: string, currency: string, digits: number = minorDigits(currency)): string {
  const v = BigInt(minor);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const scale = 10n ** BigInt(digits);
  const frac = digits > 0 ? `${intParts(locale()).decimal}${(a % scale).toString().padStart(digits, '0')}` : '';
  let parts: Intl.NumberFormatPart[];
  try {
    parts = new Intl.NumberFormat(locale(), { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 0 }).formatToParts(a / scale);
  } catch {
    return `${neg ? '−' : ''}${currency} ${integer(a / scale)}${frac}`;
  }
  const lastInt = parts.map((p) => p.type).lastIndexOf('integer');
  const out = parts.map((p, i) => (i === lastInt ? `${p.value}${frac}` : p.value)).join('');
  return `${neg ? '−' : ''}${out}`;
}

/**
 * A headline amount of money, rounded and saying so in words ("$400.8 million"); the exact
 * figure is `money()`. Display only: a Number made from the exact integer of whole units.
 */
export function roundedMoney(cents: string, currency: string): string {
  const whole = Number(BigInt(cents) / 10n ** BigInt(minorDigits(currency)));
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency, notation: 'compact', compactDisplay: 'long', maximumFractionDigits: 1 }).format(whole);
  } catch {
    return money(cents, currency);
  }
}

/** Whole dollars, for chart axes: "$120.4M" style. Display only, from an exact integer. */
export function compactMoney(cents: bigint): string {
  const dollars = Number(cents / 100n);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: dollars >= 1e6 ? 1 : 0 }).format(dollars);
}

/** Seconds since the epoch -> "2024-03-14 10:22 UTC" (an unambiguous stamp, the same in every language). */
export function dateTime(seconds: number | null): string {
  if (seconds === null) return t('tx.pending');
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** Seconds since the epoch -> the locale's date and time, in UTC ("14 Mar 2024, 10:22 UTC"). */
export function localDateTime(seconds: number): string {
  return `${new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC', hourCycle: 'h23' }).format(new Date(seconds * 1000))} UTC`;
}

/** "2021-09-06" -> "6 Sep 2021" (English as in Britain: day first, the way most readers read it). */
export function longDate(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  const loc = locale().startsWith('en') ? 'en-GB' : locale();
  return d.toLocaleDateString(loc, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** The exact percentage string from the API ("1.904762") with the locale's decimal sign. */
export function percent(exact: string): string {
  return exact.replace('.', intParts(locale()).decimal);
}

export function shortId(s: string): string {
  return s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-8)}` : s;
}
