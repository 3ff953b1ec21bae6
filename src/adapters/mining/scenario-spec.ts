/**
 * Forecast scenarios written on a command line: `NAME[:key=value,…]` with
 *   difficulty=+2%   difficulty change at every retarget (2,016 blocks), compounding
 *   price=-30%       BTC price change over the whole horizon, linear in blocks
 *   fees=0.1         fees per block, BTC (or `25000000sat`); default the history's average
 * e.g. `bear:difficulty=+2%,price=-30%,fees=0.05`. A name alone is flat (no change).
 */
import { DomainError } from '../../core/errors.ts';
import type { Scenario } from '../../core/mining/forecast.ts';
import { parseAmount, type Sats } from '../../core/money.ts';

const shown = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}…` : s).replace(/[\r\n\t]+/g, ' ');

/**
 * A signed percentage ("+2", "-30%", "1.5%") → basis points; at most 2 decimals.
 * @example parseSignedPercentBps('-30%', 'price') === -3000
 */
export function parseSignedPercentBps(text: string, label: string): number {
  const m = /^([+\-\u2212]?)(\d{1,5})(?:\.(\d{1,2}))?%?$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `${label} must be a percentage like +2% or -30% (at most 2 decimals), got "${shown(text)}"`);
  const v = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] === '-' || m[1] === '\u2212' ? -v : v;
}

/**
 * Parse one scenario.
 * @throws DomainError INVALID_ARGUMENT (malformed, unknown or repeated key), INVALID_AMOUNT (fees)
 * @example parseScenario('bear:difficulty=+2%,price=-30%') // { name: 'bear', difficultyGrowthBpsPerEpoch: 200, priceChangeBps: -3000 }
 */
export function parseScenario(text: string): Scenario {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,39}$/.test(name)) throw new DomainError('INVALID_ARGUMENT', `a scenario must start with a name (letters, digits, " _.+-", up to 40), got "${shown(text)}"; e.g. "bear:difficulty=+2%,price=-30%"`);
  let difficulty = 0;
  let price = 0;
  let fees: Sats | undefined;
  const seen = new Set<string>();
  const body = colon < 0 ? '' : text.slice(colon + 1).trim();
  for (const part of body === '' ? [] : body.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (eq < 0 || value === '') throw new DomainError('INVALID_ARGUMENT', `scenario "${name}": "${shown(part)}" is not key=value (keys: difficulty, price, fees)`);
    if (seen.has(key)) throw new DomainError('INVALID_ARGUMENT', `scenario "${name}": ${key} is given twice`);
    seen.add(key);
    if (key === 'difficulty') difficulty = parseSignedPercentBps(value, `scenario "${name}": difficulty`);
    else if (key === 'price') price = parseSignedPercentBps(value, `scenario "${name}": price`);
    else if (key === 'fees') fees = parseAmount(value);
    else throw new DomainError('INVALID_ARGUMENT', `scenario "${name}": unknown key "${shown(key)}" (keys: difficulty, price, fees)`);
  }
  return { name, difficultyGrowthBpsPerEpoch: difficulty, priceChangeBps: price, ...(fees === undefined ? {} : { feesPerBlock: fees }) };
}
