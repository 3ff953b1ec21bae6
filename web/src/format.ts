// Exact formatting of amounts that arrive as strings of integers (sats, cents): no floats for money.

const SATS_PER_BTC = 100_000_000n;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "164800154322" -> "1,648.00154322" (8 decimals, exact). */
export function btc(sats: string, opts: { sign?: boolean } = {}): string {
  const v = BigInt(sats);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = groupThousands((a / SATS_PER_BTC).toString());
  const frac = (a % SATS_PER_BTC).toString().padStart(8, '0');
  const sign = neg ? '−' : opts.sign && v > 0n ? '+' : '';
  return `${sign}${whole}.${frac}`;
}

/** Sats with thousands separators. */
export function sats(s: string): string {
  const v = BigInt(s);
  return (v < 0n ? '−' : '') + groupThousands((v < 0n ? -v : v).toString());
}

/** "12038970986" cents -> "$120,389,709.86" */
export function money(cents: string, currency: string): string {
  const v = BigInt(cents);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${neg ? '−' : ''}${symbol}${groupThousands((a / 100n).toString())}.${(a % 100n).toString().padStart(2, '0')}`;
}

/** Whole dollars, for chart axes: "$120.4M" style. Display only, from an exact integer. */
export function compactMoney(cents: bigint): string {
  const dollars = Number(cents / 100n);
  if (dollars >= 1e9) return `$${(dollars / 1e9).toFixed(1)}B`;
  if (dollars >= 1e6) return `$${(dollars / 1e6).toFixed(1)}M`;
  if (dollars >= 1e3) return `$${(dollars / 1e3).toFixed(0)}k`;
  return `$${dollars}`;
}

/** Seconds since the epoch -> "2024-03-14 10:22 UTC". */
export function dateTime(seconds: number | null): string {
  if (seconds === null) return 'waiting to be confirmed';
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** "2021-09-06" -> "6 Sep 2021" */
export function longDate(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function shortId(s: string): string {
  return s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-8)}` : s;
}
