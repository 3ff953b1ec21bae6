/**
 * Strict reading of a policy decision stored as JSON (written with `core/json.ts` `toJson`, so
 * bigints are decimal strings). Anything that is not a decision the engine could have made is
 * refused with DomainError('MALFORMED_DATA') naming the field, e.g.
 * `proposal 12's policy decision: price.date: expected a day as YYYY-MM-DD, got "2026-02-30"`.
 *
 * Decisions stored before decisions became a union on `outcome` are read too: they carry
 * `requirement: null, signingDelaySeconds: 0` on allow and deny (dropped here) and no `price`
 * (read as null: no rule needed one then, since USD limits never matched without a price).
 */
import { DomainError } from '../errors.ts';
import { MAX_DEPTH, ID_RE } from './parse-policy.ts';
import { dayStartMs } from './price-source.ts';
import type { ApprovalRequirement, PolicyDecision, PriceQuote } from './types.ts';

type Obj = Record<string, unknown>;

const FIELDS = ['outcome', 'policyVersion', 'ruleId', 'explanation', 'price', 'requirement', 'signingDelaySeconds'] as const;
/** Longest signing delay a decision may carry (the policy parser allows 30 days). */
const MAX_DELAY_SECONDS = 366 * 86_400;

/**
 * Validate a stored decision: the parsed JSON value, or the JSON text itself.
 * @param what names the decision in messages, e.g. "proposal 12's policy decision"
 * @throws DomainError MALFORMED_DATA naming the offending field
 * @example parsePolicyDecision(JSON.parse(toJson(decision))) // deep-equals `decision`
 */
export function parsePolicyDecision(json: unknown, what = 'stored policy decision'): PolicyDecision {
  const fail = (path: string, message: string): never => {
    throw new DomainError('MALFORMED_DATA', `${what}: ${path === '' ? '' : `${path}: `}${message}`);
  };
  let doc = json;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch (e) {
      fail('', `not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('', 'expected an object');
  const o = doc as Obj;
  for (const k of Object.keys(o)) {
    if (!(FIELDS as readonly string[]).includes(k)) fail(k, `unknown field (allowed: ${FIELDS.join(', ')})`);
  }

  const outcome = o.outcome;
  if (outcome !== 'allow' && outcome !== 'deny' && outcome !== 'approval') return fail('outcome', `expected "allow", "deny" or "approval", got ${show(outcome)}`);
  const policyVersion = o.policyVersion;
  if (typeof policyVersion !== 'number' || !Number.isSafeInteger(policyVersion) || policyVersion < 1) return fail('policyVersion', `expected a whole number from 1, got ${show(policyVersion)}`);
  const ruleId = o.ruleId;
  if (ruleId === null) {
    if (outcome !== 'deny') fail('ruleId', `missing: ${outcome === 'allow' ? 'an allow' : 'an approval'} decision names the rule that matched`);
  } else if (typeof ruleId !== 'string' || !ID_RE.test(ruleId)) {
    fail('ruleId', `expected a rule id or null, got ${show(ruleId)}`);
  }
  const explanation = o.explanation;
  if (!Array.isArray(explanation) || explanation.length === 0) return fail('explanation', 'expected a non-empty list of lines');
  explanation.forEach((line, i) => {
    if (typeof line !== 'string') fail(`explanation[${i}]`, `expected a string, got ${show(line)}`);
  });
  const lines = explanation as string[];
  const price = o.price === undefined || o.price === null ? null : quote(o.price, fail);

  if (outcome === 'approval') {
    if (o.requirement === undefined || o.requirement === null) fail('requirement', 'missing: an approval decision says who must approve');
    const requirement = approvalRequirement(o.requirement, 'requirement', 0, fail);
    const delay = o.signingDelaySeconds;
    if (typeof delay !== 'number' || !Number.isSafeInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
      return fail('signingDelaySeconds', `expected a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}, got ${show(delay)}`);
    }
    return { outcome, policyVersion, ruleId: ruleId as string, requirement, signingDelaySeconds: delay, explanation: lines, price };
  }
  // allow and deny: only the legacy placeholders may appear
  const an = outcome === 'allow' ? 'an allow' : 'a deny';
  if (o.requirement !== undefined && o.requirement !== null) fail('requirement', `${an} decision has no requirement`);
  if (o.signingDelaySeconds !== undefined && o.signingDelaySeconds !== 0) fail('signingDelaySeconds', `${an} decision has no signing delay, got ${show(o.signingDelaySeconds)}`);
  if (outcome === 'allow') return { outcome, policyVersion, ruleId: ruleId as string, explanation: lines, price };
  return { outcome, policyVersion, ruleId: ruleId as string | null, explanation: lines, price };
}

type Fail = (path: string, message: string) => never;

function quote(v: unknown, fail: Fail): PriceQuote {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('price', 'expected an object or null');
  const o = v as Obj;
  for (const k of Object.keys(o)) {
    if (k !== 'usdPerBtcCents' && k !== 'date' && k !== 'source') fail(`price.${k}`, 'unknown field (allowed: usdPerBtcCents, date, source)');
  }
  const cents = o.usdPerBtcCents;
  let usdPerBtcCents: bigint;
  if (typeof cents === 'bigint') usdPerBtcCents = cents;
  else if (typeof cents === 'string' && /^\d{1,19}$/.test(cents)) usdPerBtcCents = BigInt(cents);
  else return fail('price.usdPerBtcCents', `expected a whole number of US cents as a string, got ${show(cents)}`);
  if (usdPerBtcCents <= 0n) fail('price.usdPerBtcCents', 'expected a positive price');
  const date = o.date;
  if (typeof date !== 'string' || dayStartMs(date) === null) return fail('price.date', `expected a day as YYYY-MM-DD, got ${show(date)}`);
  const source = o.source;
  if (typeof source !== 'string' || source.trim() === '') return fail('price.source', `expected a non-empty string, got ${show(source)}`);
  return { usdPerBtcCents, date, source };
}

function approvalRequirement(v: unknown, path: string, depth: number, fail: Fail): ApprovalRequirement {
  if (depth > MAX_DEPTH) fail(path, `nested more than ${MAX_DEPTH} levels deep`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'expected a requirement object');
  const o = v as Obj;
  const only = (allowed: readonly string[]): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
  };
  switch (o.kind) {
    case 'group': {
      only(['kind', 'group', 'count']);
      if (typeof o.group !== 'string' || !ID_RE.test(o.group)) return fail(`${path}.group`, `expected a group name, got ${show(o.group)}`);
      if (typeof o.count !== 'number' || !Number.isSafeInteger(o.count) || o.count < 1 || o.count > 100) return fail(`${path}.count`, `expected a whole number from 1 to 100, got ${show(o.count)}`);
      return { kind: 'group', group: o.group, count: o.count };
    }
    case 'all':
    case 'any': {
      only(['kind', 'of']);
      if (!Array.isArray(o.of) || o.of.length === 0) return fail(`${path}.of`, 'expected a non-empty list of requirements');
      return { kind: o.kind, of: o.of.map((x, i) => approvalRequirement(x, `${path}.of[${i}]`, depth + 1, fail)) };
    }
    default:
      return fail(`${path}.kind`, `expected "group", "all" or "any", got ${show(o.kind)}`);
  }
}

/** A value in a message: short, on one line. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `${v}n`;
  const s = JSON.stringify(v) ?? String(v);
  const line = s.replace(/[\r\n\t]+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
