/**
 * The policy engine: evaluates a proposed spend against the ordered rules of a policy; the first
 * rule whose conditions all hold decides. No rule matching means deny. Pure: the time, the
 * vault's recent spends, its allowlist and the price all come in through the context.
 *
 * Conditions, precisely:
 * - `maxAmountSats`: totalSats ≤ limit.
 * - `maxAmountUsdCents`: ceil(totalSats × usdPerBtcCents / 10^8) ≤ limit, at `ctx.price`. A rule with
 *   this condition that the engine reaches (it is the first rule, or every rule before it was
 *   skipped) needs a price no older than `maxPriceAgeMs` (from 00:00 UTC of the price's day to
 *   nowMs, and not dated after nowMs); without one the engine throws PRICE_UNAVAILABLE rather than
 *   let the rule silently pass or fail (ADR 0006). The decision records the price it used.
 * - `velocity`: the spends with `atMs > nowMs − window` (a spend exactly one window ago is outside;
 *   one a millisecond later is inside), plus this one, sum to ≤ maxSats.
 * - `destinations`: an output's address is usable when the allowlist has it with
 *   `addedAtMs + allowlistDelay ≤ nowMs` (its earliest entry counts); `allowlisted` holds when every
 *   output is usable, `not-allowlisted` when at least one is not.
 * - `maxShareOfBalanceBps`: totalSats × 10,000 ≤ bps × vaultBalanceSats (integers only).
 * - `timeOfDayUtc`: the UTC minute of `nowMs` is in [from, to), wrapping past midnight when from > to.
 * - `initiatorRoles`: the proposer has at least one of the roles.
 */
import { DomainError } from '../errors.ts';
import { SATS_PER_BTC } from '../money.ts';
import { describeRequirement } from './approvals.ts';
import { formatDuration, formatMinute, formatTime } from './explain.ts';
import { dayStartMs, formatAge, formatMaxAge } from './price-source.ts';
import { DEFAULT_MAX_PRICE_AGE_MS, type Policy, type PolicyContext, type PolicyDecision, type PolicyRule, type PriceQuote, type RuleConditions } from './types.ts';

interface Check {
  readonly holds: boolean;
  readonly text: string;
}

const MS_PER_MINUTE = 60_000;

/**
 * The price a USD-limited rule may use, or a PRICE_UNAVAILABLE refusal naming the rule, the limit
 * on age and what the source had.
 */
function usablePrice(ctx: PolicyContext, policy: Policy, rule: PolicyRule): PriceQuote {
  const maxAgeMs = ctx.maxPriceAgeMs ?? DEFAULT_MAX_PRICE_AGE_MS;
  const needs = `policy version ${policy.version} rule '${rule.id}' needs a BTC/USD price no older than ${formatMaxAge(maxAgeMs)}`;
  const details = { policyVersion: policy.version, ruleId: rule.id, maxPriceAgeMs: maxAgeMs };
  const price = ctx.price;
  if (price === null) {
    const why = ctx.priceProblem ? `: ${ctx.priceProblem}` : '';
    throw new DomainError('PRICE_UNAVAILABLE', `${needs}; there is none${why} — update the price source`, { ...details, priceDate: null });
  }
  const ageMs = ctx.nowMs - (dayStartMs(price.date) as number);
  if (ageMs < 0) {
    throw new DomainError('PRICE_UNAVAILABLE', `${needs}; the latest (${price.source}) is dated ${price.date}, after now (${formatTime(ctx.nowMs)}) — check the price source`, { ...details, priceDate: price.date });
  }
  if (ageMs > maxAgeMs) {
    throw new DomainError('PRICE_UNAVAILABLE', `${needs}; the latest is from ${price.date} (${formatAge(ageMs)} old, ${price.source}) — update the price source`, { ...details, priceDate: price.date });
  }
  return price;
}

/** ceil(sats × centsPerBtc / 10^8): the USD value in cents, rounded up. */
export function usdCentsRoundedUp(sats: bigint, usdPerBtcCents: bigint): bigint {
  return (sats * usdPerBtcCents + SATS_PER_BTC - 1n) / SATS_PER_BTC;
}

function checkConditions(c: RuleConditions, ctx: PolicyContext, policy: Policy, price: PriceQuote | null): Check[] {
  const checks: Check[] = [];
  const total = ctx.totalSats;
  if (c.maxAmountSats !== undefined) {
    const holds = total <= c.maxAmountSats;
    checks.push({ holds, text: `amount ${total} sats ${holds ? '≤' : '>'} limit ${c.maxAmountSats} sats` });
  }
  if (c.maxAmountUsdCents !== undefined) {
    if (price === null) throw new TypeError('checkConditions: a USD limit without a usable price');
    const cents = usdCentsRoundedUp(total, price.usdPerBtcCents);
    const holds = cents <= c.maxAmountUsdCents;
    checks.push({
      holds,
      text: `amount ${cents} US cents at ${price.usdPerBtcCents} US cents/BTC (${price.date}, ${price.source}) ${holds ? '≤' : '>'} limit ${c.maxAmountUsdCents} US cents`,
    });
  }
  if (c.velocity !== undefined) {
    const from = ctx.nowMs - c.velocity.windowSeconds * 1000;
    const earlier = ctx.recentSpends.filter((s) => s.atMs > from).reduce((s, x) => s + x.sats, 0n);
    const sum = earlier + total;
    const holds = sum <= c.velocity.maxSats;
    checks.push({
      holds,
      text: `spent in the last ${formatDuration(c.velocity.windowSeconds)} ${earlier} sats + this ${total} sats = ${sum} sats ${holds ? '≤' : '>'} limit ${c.velocity.maxSats} sats`,
    });
  }
  if (c.destinations !== undefined) {
    const delayMs = policy.allowlistDelaySeconds * 1000;
    const problems: string[] = [];
    for (const o of ctx.outputs) {
      let added: number | null = null;
      for (const e of ctx.allowlist) if (e.address === o.address && (added === null || e.addedAtMs < added)) added = e.addedAtMs;
      if (added === null) problems.push(`${o.address} is not on the allowlist`);
      else if (added + delayMs > ctx.nowMs) problems.push(`${o.address} was added at ${formatTime(added)} and is usable only from ${formatTime(added + delayMs)}`);
    }
    if (c.destinations === 'allowlisted') {
      checks.push(problems.length === 0 ? { holds: true, text: 'every output goes to a usable allowlisted address' } : { holds: false, text: problems.join('; ') });
    } else {
      checks.push(problems.length > 0 ? { holds: true, text: problems.join('; ') } : { holds: false, text: 'every output goes to a usable allowlisted address' });
    }
  }
  if (c.maxShareOfBalanceBps !== undefined) {
    const bps = BigInt(c.maxShareOfBalanceBps);
    const holds = total * 10_000n <= bps * ctx.vaultBalanceSats;
    checks.push({ holds, text: `amount ${total} sats is ${holds ? 'within' : 'more than'} ${formatBps(c.maxShareOfBalanceBps)} of the vault balance ${ctx.vaultBalanceSats} sats` });
  }
  if (c.timeOfDayUtc !== undefined) {
    const { fromMinute, toMinute } = c.timeOfDayUtc;
    const minute = (((Math.floor(ctx.nowMs / MS_PER_MINUTE) % 1440) + 1440) % 1440);
    const holds = fromMinute < toMinute ? minute >= fromMinute && minute < toMinute : minute >= fromMinute || minute < toMinute;
    checks.push({ holds, text: `time ${formatMinute(minute)} UTC is ${holds ? 'inside' : 'outside'} ${formatMinute(fromMinute)}–${formatMinute(toMinute)} UTC` });
  }
  if (c.initiatorRoles !== undefined) {
    const role = c.initiatorRoles.find((r) => ctx.proposer.roles.includes(r));
    checks.push(
      role !== undefined
        ? { holds: true, text: `proposer ${ctx.proposer.id} has role ${role}` }
        : { holds: false, text: `proposer ${ctx.proposer.id} has none of the roles ${c.initiatorRoles.join(', ')}` },
    );
  }
  return checks;
}

function formatBps(bps: number): string {
  const whole = Math.floor(bps / 100);
  const frac = bps % 100;
  return `${whole}${frac === 0 ? '' : '.' + String(frac).padStart(2, '0').replace(/0$/, '')}%`;
}

function validateContext(ctx: PolicyContext): void {
  if (!Number.isSafeInteger(ctx.nowMs)) throw new RangeError(`"nowMs" expected an integer time in ms, got ${ctx.nowMs}`);
  for (const [label, v] of [
    ['totalSats', ctx.totalSats],
    ['vaultBalanceSats', ctx.vaultBalanceSats],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n) throw new RangeError(`"${label}" expected a non-negative bigint, got ${String(v)}`);
  }
  const p: unknown = ctx.price;
  if (p !== null) {
    if (typeof p !== 'object') throw new TypeError(`"price" expected a price quote or null, got ${String(p)}`);
    const q = p as PriceQuote;
    if (typeof q.usdPerBtcCents !== 'bigint' || q.usdPerBtcCents <= 0n) throw new RangeError(`"price.usdPerBtcCents" expected a positive bigint, got ${String(q.usdPerBtcCents)}`);
    if (typeof q.date !== 'string' || dayStartMs(q.date) === null) throw new RangeError(`"price.date" expected a day as YYYY-MM-DD, got ${String(q.date)}`);
    if (typeof q.source !== 'string' || q.source.trim() === '') throw new RangeError(`"price.source" expected a non-empty string, got ${String(q.source)}`);
  }
  if (ctx.maxPriceAgeMs !== undefined && (!Number.isSafeInteger(ctx.maxPriceAgeMs) || ctx.maxPriceAgeMs < 0)) {
    throw new RangeError(`"maxPriceAgeMs" expected a non-negative integer, got ${ctx.maxPriceAgeMs}`);
  }
  for (const s of ctx.recentSpends) {
    if (typeof s.sats !== 'bigint' || s.sats < 0n) throw new RangeError(`"recentSpends[].sats" expected a non-negative bigint, got ${String(s.sats)}`);
  }
}

const label = (r: PolicyRule, i: number): string => `rule ${i + 1} '${r.id}'`;

/**
 * Decide a proposed spend.
 * @example
 *   const d = evaluatePolicy(policy, { vaultId: 'reserve', proposer: { id: 'luis', roles: ['treasury'] },
 *     outputs: [{ address: 'bc1q…', sats: 150_000_000n }], totalSats: 150_000_000n, vaultBalanceSats: 10n ** 11n,
 *     nowMs: Date.UTC(2026, 0, 5, 10), recentSpends: [], allowlist: [{ address: 'bc1q…', addedAtMs: 0 }],
 *     price: { usdPerBtcCents: 6_500_000n, date: '2026-01-05', source: 'file /srv/btc-usd.csv' } });
 *   d.outcome      // 'approval'
 *   d.explanation  // ["rule 1 'unlisted-destination' skipped: every output goes to a usable allowlisted address",
 *                  //  "rule 2 'small-payments' skipped: amount 150000000 sats > limit 100000000 sats", …]
 */
export function evaluatePolicy(policy: Policy, ctx: PolicyContext): PolicyDecision {
  validateContext(ctx);
  const explanation: string[] = [];
  let used: PriceQuote | null = null;
  for (const [i, rule] of policy.rules.entries()) {
    if (rule.when.maxAmountUsdCents !== undefined) used = usablePrice(ctx, policy, rule);
    const checks = checkConditions(rule.when, ctx, policy, used);
    const failed = checks.filter((c) => !c.holds);
    if (failed.length > 0) {
      explanation.push(`${label(rule, i)} skipped: ${failed.map((c) => c.text).join('; ')}`);
      continue;
    }
    const why = checks.length === 0 ? 'no conditions' : checks.map((c) => c.text).join('; ');
    const then = rule.then;
    switch (then.outcome) {
      case 'allow':
      case 'deny':
        explanation.push(`${label(rule, i)} matched: ${why} → ${then.outcome}`);
        return { outcome: then.outcome, policyVersion: policy.version, ruleId: rule.id, explanation, price: used };
      case 'approval': {
        const delay = then.signingDelaySeconds > 0 ? `, then a signing delay of ${formatDuration(then.signingDelaySeconds)}` : '';
        explanation.push(`${label(rule, i)} matched: ${why} → approval by ${describeRequirement(then.requirement)}${delay}`);
        return { outcome: 'approval', policyVersion: policy.version, ruleId: rule.id, requirement: then.requirement, signingDelaySeconds: then.signingDelaySeconds, explanation, price: used };
      }
    }
  }
  explanation.push('no rule matched → deny');
  return { outcome: 'deny', policyVersion: policy.version, ruleId: null, explanation, price: used };
}
