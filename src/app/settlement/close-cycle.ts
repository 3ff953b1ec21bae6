/**
 * Close a settlement cycle at a cutoff (issue #16 item 3): every confirmed invoice due on or before
 * the cutoff and not yet in a cycle enters; the rates are locked at the cutoff from the configured
 * reference and recorded with their source; positions and transfers are computed by the core
 * (`closePositions`, `settlementTransfers`) from the incremental positions, never from the invoices.
 * Two concurrent closes at one cutoff give one cycle (the store decides under the write lock).
 *
 * Rate lock: BTC/USD is the reference's daily price on the cutoff day (or the latest earlier day,
 * at most 7 days old); a currency with its own daily BTC price uses it the same way; any other is
 * crossed through the US dollar with the reference's exchange rate on or before the cutoff (the
 * shipped IMF rates are month-end: at most 62 days old).
 */
import { crossPrice } from '../../core/accounting/valuation.ts';
import { daysBetween, decimalText, loadRateBook, type ReferenceRateSource } from '../../core/accounting/reference-rate.ts';
import { DomainError } from '../../core/errors.ts';
import { closePositions, settlementTransfers } from '../../core/settlement/netting.ts';
import { currencyMinorDigits } from '../../core/settlement/rates.ts';
import { isDay } from '../../core/settlement/invoice-file.ts';
import type { StoredCycle } from '../../core/settlement/store-port.ts';
import type { LockedRate } from '../../core/settlement/types.ts';
import type { SettlementActor, SettlementDeps } from './deps.ts';

export const MAX_PRICE_AGE_DAYS = 7;
export const MAX_FX_AGE_DAYS = 62;

/**
 * The rates of `currencies` locked at `cutoff` from `source`, each with its source.
 * @throws PRICE_UNAVAILABLE (no price or rate on or before the cutoff, or too old), INVALID_ARGUMENT, UNKNOWN_CURRENCY
 */
export async function lockRates(source: ReferenceRateSource, currencies: readonly string[], cutoff: string): Promise<LockedRate[]> {
  const book = await loadRateBook(source, currencies);
  const usd = book.usd.onOrBefore(cutoff);
  if (!usd) throw new DomainError('PRICE_UNAVAILABLE', `${source.description} has no BTC/USD price on or before ${cutoff}`);
  const fresh = (day: string, maxDays: number, what: string): void => {
    if (daysBetween(day, cutoff) > maxDays) throw new DomainError('PRICE_UNAVAILABLE', `${what} is from ${day}, more than ${maxDays} days before the cutoff ${cutoff}`);
  };
  fresh(usd.date, MAX_PRICE_AGE_DAYS, `the BTC/USD price of ${source.description}`);
  const out: LockedRate[] = [];
  for (const currency of [...new Set(currencies)].sort()) {
    const minorDigits = currencyMinorDigits(currency);
    if (currency === 'USD') {
      out.push({ currency, minorDigits, btcPriceMinor: rescale(usd.minorPerBtc, book.usd.minorDigits, minorDigits), source: `${book.usd.origin}, ${usd.date}` });
      continue;
    }
    const direct = book.btc.get(currency);
    const d = direct?.onOrBefore(cutoff);
    if (direct && d && daysBetween(d.date, cutoff) <= MAX_PRICE_AGE_DAYS) {
      out.push({ currency, minorDigits, btcPriceMinor: rescale(d.minorPerBtc, direct.minorDigits, minorDigits), source: `${direct.origin}, ${d.date}` });
      continue;
    }
    const fx = book.fx.get(currency);
    const r = fx?.onOrBefore(cutoff);
    if (!fx || !r) throw new DomainError('PRICE_UNAVAILABLE', `${source.description} has no ${currency} rate on or before ${cutoff}`);
    fresh(r.date, MAX_FX_AGE_DAYS, `the ${currency} rate of ${fx.origin}`);
    out.push({
      currency, minorDigits, btcPriceMinor: crossPrice(usd.minorPerBtc, book.usd.minorDigits, r.perUsd, minorDigits),
      source: `${book.usd.origin}, ${usd.date} × ${fx.origin}, ${r.date} (${decimalText(r.perUsd)} ${currency}/USD)`,
    });
  }
  return out;
}

function rescale(minor: bigint, from: number, to: number): bigint {
  if (from === to) return minor;
  return from < to ? minor * 10n ** BigInt(to - from) : minor / 10n ** BigInt(from - to);
}

export interface CloseCycleInput {
  readonly cutoff: string;
  readonly mode?: 'escrow' | 'direct' | undefined;
  /** Rates given instead of the reference's (a test, or a rate file the alliance agreed on). */
  readonly rates?: readonly LockedRate[] | undefined;
}

/**
 * Close the cycle at `cutoff` (YYYY-MM-DD). Returns the cycle and whether this call made it.
 * @throws INVALID_ARGUMENT, INVALID_STATE (nothing to settle), PRICE_UNAVAILABLE, RATE_MISSING, FORBIDDEN (a member)
 * @example const { cycle } = await closeCycle(deps, admin, { cutoff: '2025-06-30' })
 */
export async function closeCycle(deps: SettlementDeps, by: SettlementActor, input: CloseCycleInput): Promise<{ cycle: StoredCycle; created: boolean }> {
  if (by.member !== null) throw new DomainError('FORBIDDEN', 'only the alliance administrator closes a cycle');
  const cutoff = input.cutoff.trim();
  if (!isDay(cutoff)) throw new DomainError('INVALID_ARGUMENT', `the cutoff must be a day as YYYY-MM-DD, got "${cutoff.slice(0, 20)}"`);
  const mode = input.mode ?? 'escrow';
  let rates = input.rates;
  if (rates === undefined) {
    const currencies = await deps.settlement.openCurrencies(cutoff);
    if (currencies.length > 0) {
      if (!deps.rates) throw new DomainError('PRICE_UNAVAILABLE', 'no rate reference is configured to lock the cycle\'s rates');
      rates = await lockRates(deps.rates, currencies, cutoff);
    } else rates = [];
  }
  const locked = rates;
  const atMs = deps.now();
  return deps.settlement.closeCycle({ cutoff, mode, rates: locked, closedBy: by.actor, atMs }, (book) => {
    const positions = closePositions(book, locked);
    return { positions, transfers: settlementTransfers(positions) };
  }, (c) => ({
    actor: by.actor, role: by.role, action: 'settlement.cycle.close', object: `cycle:${c.id}`, atMs,
    details: {
      cutoff, mode, rates: c.rates.map((r) => ({ currency: r.currency, btcPriceMinor: r.btcPriceMinor.toString(), source: r.source })),
      positions: c.positions.map((p) => ({ member: p.member, sats: p.sats.toString() })), transfers: c.transfers.map((t) => ({ from: t.from, to: t.to, sats: t.sats.toString() })),
      invoices: c.gross.reduce((n, g) => n + g.invoices, 0) / 2,
    },
  }));
}

export async function listCycles(deps: Pick<SettlementDeps, 'settlement'>): Promise<StoredCycle[]> {
  return deps.settlement.cycles();
}

export async function showCycle(deps: Pick<SettlementDeps, 'settlement'>, id: string): Promise<StoredCycle> {
  const c = await deps.settlement.cycle(id.trim());
  if (!c) throw new DomainError('NOT_FOUND', `no settlement cycle "${id}" (see "soberana settlement cycle list")`);
  return c;
}
