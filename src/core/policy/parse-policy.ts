/**
 * Strict parsing of a policy document (JSON) into a typed `Policy`. Every refusal is a
 * DomainError('INVALID_CONFIG') whose message names the field, e.g.
 * `rules[1].when.maxAmountSats: expected a whole number of sats as a string, like "100000000"`.
 * Unknown fields are refused too: a misspelt condition must not silently vanish from a rule.
 *
 * JSON form (amounts are strings of sats, since JSON numbers cannot carry them exactly):
 * ```json
 * { "version": 1, "name": "Reserve", "groups": ["finance", "central-bank"],
 *   "allowlistDelaySeconds": 259200,
 *   "policyChange": { "all": [{ "group": "finance", "count": 2 }, { "group": "central-bank", "count": 1 }] },
 *   "rules": [
 *     { "id": "unlisted", "when": { "destinations": "not-allowlisted" }, "then": "deny" },
 *     { "id": "small", "when": { "maxAmountSats": "100000000", "timeOfDayUtc": { "from": "08:00", "to": "18:00" } },
 *       "then": { "approval": { "group": "finance", "count": 1 }, "signingDelaySeconds": 0 } },
 *     { "id": "rest", "then": "deny" } ] }
 * ```
 */
import { DomainError } from '../errors.ts';
import { MAX_MONEY } from '../money.ts';
import { DESTINATION_CONDITIONS, type ApprovalRequirement, type DestinationCondition, type Policy, type PolicyRule, type RuleConditions, type RuleOutcome, type TimeOfDayWindow } from './types.ts';

/** Largest number of alternatives an approval requirement may expand to (AND over OR multiplies). */
export const MAX_REQUIREMENT_ALTERNATIVES = 256;
/** How deeply AND/OR requirements may nest. */
export const MAX_DEPTH = 8;
/** Rule ids and group names. */
export const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function fail(path: string, message: string): never {
  throw new DomainError('INVALID_CONFIG', `${path === '' ? 'policy' : path}: ${message}`);
}

type Obj = Record<string, unknown>;

function object(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) fail(path === '' ? k : `${path}.${k}`, `unknown field (allowed here: ${allowed.join(', ')})`);
  }
  return v as Obj;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `expected a whole number from ${min} to ${max}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail(path, 'expected a non-empty string');
  return v;
}

function id(v: unknown, path: string): string {
  const s = str(v, path);
  if (!ID_RE.test(s)) fail(path, `"${s}" is not a valid name (lowercase letters, digits, ".", "_", "-"; up to 64)`);
  return s;
}

function sats(v: unknown, path: string, what = 'sats'): bigint {
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v)) fail(path, `expected a whole number of ${what} as a string, like "100000000"`);
  const n = BigInt(v);
  if (what === 'sats' && n > MAX_MONEY) fail(path, `${v} sats is more than 21 million BTC`);
  return n;
}

function timeOfDay(v: unknown, path: string): TimeOfDayWindow {
  const o = object(v, path, ['from', 'to']);
  const minute = (x: unknown, p: string): number => {
    const m = typeof x === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(x) : null;
    if (!m) fail(p, 'expected a UTC time as "HH:MM", from "00:00" to "23:59"');
    return Number(m[1]) * 60 + Number(m[2]);
  };
  const fromMinute = minute(o.from, `${path}.from`);
  const toMinute = minute(o.to, `${path}.to`);
  if (fromMinute === toMinute) fail(path, '"from" and "to" are equal; leave the condition out to mean the whole day');
  return { fromMinute, toMinute };
}

function requirement(v: unknown, path: string, groups: readonly string[], depth = 0): ApprovalRequirement {
  if (depth > MAX_DEPTH) fail(path, `nested more than ${MAX_DEPTH} levels deep`);
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && ('all' in v || 'any' in v)) {
    const key = 'all' in v ? 'all' : 'any';
    const o = object(v, path, [key]);
    const list = o[key];
    if (!Array.isArray(list) || list.length === 0) fail(`${path}.${key}`, 'expected a non-empty list of requirements');
    const of = list.map((x, i) => requirement(x, `${path}.${key}[${i}]`, groups, depth + 1));
    return { kind: key, of };
  }
  const o = object(v, path, ['group', 'count']);
  const group = id(o.group, `${path}.group`);
  if (!groups.includes(group)) fail(`${path}.group`, `"${group}" is not one of the declared groups (${groups.join(', ')})`);
  return { kind: 'group', group, count: int(o.count, `${path}.count`, 1, 100) };
}

/** Number of alternatives a requirement expands to (OR adds, AND multiplies). */
export function countAlternatives(r: ApprovalRequirement): number {
  switch (r.kind) {
    case 'group':
      return 1;
    case 'any':
      return r.of.reduce((s, x) => s + countAlternatives(x), 0);
    case 'all':
      return r.of.reduce((s, x) => Math.min(s * countAlternatives(x), Number.MAX_SAFE_INTEGER), 1);
  }
}

function checkedRequirement(v: unknown, path: string, groups: readonly string[]): ApprovalRequirement {
  const r = requirement(v, path, groups);
  if (countAlternatives(r) > MAX_REQUIREMENT_ALTERNATIVES) fail(path, `too many ways to satisfy it (more than ${MAX_REQUIREMENT_ALTERNATIVES}); simplify the AND/OR nesting`);
  return r;
}

function conditions(v: unknown, path: string): RuleConditions {
  if (v === undefined) return {};
  const o = object(v, path, ['maxAmountSats', 'maxAmountUsdCents', 'velocity', 'destinations', 'maxShareOfBalanceBps', 'timeOfDayUtc', 'initiatorRoles']);
  const c: {
    -readonly [K in keyof RuleConditions]: RuleConditions[K];
  } = {};
  if (o.maxAmountSats !== undefined) c.maxAmountSats = sats(o.maxAmountSats, `${path}.maxAmountSats`);
  if (o.maxAmountUsdCents !== undefined) c.maxAmountUsdCents = sats(o.maxAmountUsdCents, `${path}.maxAmountUsdCents`, 'US cents');
  if (o.velocity !== undefined) {
    const vel = object(o.velocity, `${path}.velocity`, ['windowSeconds', 'maxSats']);
    c.velocity = { windowSeconds: int(vel.windowSeconds, `${path}.velocity.windowSeconds`, 1, 366 * 86_400), maxSats: sats(vel.maxSats, `${path}.velocity.maxSats`) };
  }
  if (o.destinations !== undefined) {
    if (!DESTINATION_CONDITIONS.includes(o.destinations as DestinationCondition)) fail(`${path}.destinations`, `expected one of ${DESTINATION_CONDITIONS.join(', ')}`);
    c.destinations = o.destinations as DestinationCondition;
  }
  if (o.maxShareOfBalanceBps !== undefined) c.maxShareOfBalanceBps = int(o.maxShareOfBalanceBps, `${path}.maxShareOfBalanceBps`, 0, 10_000);
  if (o.timeOfDayUtc !== undefined) c.timeOfDayUtc = timeOfDay(o.timeOfDayUtc, `${path}.timeOfDayUtc`);
  if (o.initiatorRoles !== undefined) {
    if (!Array.isArray(o.initiatorRoles) || o.initiatorRoles.length === 0) fail(`${path}.initiatorRoles`, 'expected a non-empty list of roles');
    c.initiatorRoles = o.initiatorRoles.map((r, i) => id(r, `${path}.initiatorRoles[${i}]`));
  }
  return c;
}

function outcome(v: unknown, path: string, groups: readonly string[]): RuleOutcome {
  if (v === 'allow' || v === 'deny') return { outcome: v };
  if (typeof v === 'string') fail(path, `expected "allow", "deny" or { "approval": … }, got "${v}"`);
  const o = object(v, path, ['approval', 'signingDelaySeconds']);
  if (o.approval === undefined) fail(`${path}.approval`, 'missing: who must approve');
  return {
    outcome: 'approval',
    requirement: checkedRequirement(o.approval, `${path}.approval`, groups),
    signingDelaySeconds: o.signingDelaySeconds === undefined ? 0 : int(o.signingDelaySeconds, `${path}.signingDelaySeconds`, 0, 30 * 86_400),
  };
}

/**
 * Validate a parsed JSON value as a policy.
 * @throws DomainError INVALID_CONFIG naming the offending field
 * @example parsePolicy(JSON.parse(readFileSync('policy.json', 'utf8'))).rules[0].id
 */
export function parsePolicy(doc: unknown): Policy {
  const o = object(doc, '', ['$schema', 'version', 'name', 'groups', 'allowlistDelaySeconds', 'policyChange', 'rules']);
  const version = int(o.version, 'version', 1, 1_000_000_000);
  const name = str(o.name, 'name');
  if (!Array.isArray(o.groups) || o.groups.length === 0) fail('groups', 'expected a non-empty list of approver group names');
  const groups = o.groups.map((g, i) => id(g, `groups[${i}]`));
  const dup = groups.find((g, i) => groups.indexOf(g) !== i);
  if (dup !== undefined) fail('groups', `"${dup}" is listed twice`);
  const allowlistDelaySeconds = int(o.allowlistDelaySeconds, 'allowlistDelaySeconds', 0, 366 * 86_400);
  if (o.policyChange === undefined) fail('policyChange', 'missing: who must approve a change to this policy');
  const policyChange = checkedRequirement(o.policyChange, 'policyChange', groups);
  if (!Array.isArray(o.rules) || o.rules.length === 0) fail('rules', 'expected a non-empty list of rules');
  const seen = new Set<string>();
  const rules: PolicyRule[] = o.rules.map((r, i) => {
    const path = `rules[${i}]`;
    const ro = object(r, path, ['id', 'description', 'when', 'then']);
    const ruleId = id(ro.id, `${path}.id`);
    if (seen.has(ruleId)) fail(`${path}.id`, `"${ruleId}" is used by an earlier rule`);
    seen.add(ruleId);
    const description = ro.description === undefined ? null : str(ro.description, `${path}.description`);
    if (ro.then === undefined) fail(`${path}.then`, 'missing: "allow", "deny" or { "approval": … }');
    return { id: ruleId, description, when: conditions(ro.when, `${path}.when`), then: outcome(ro.then, `${path}.then`, groups) };
  });
  return { version, name, groups, allowlistDelaySeconds, policyChange, rules };
}

/**
 * Parse policy JSON text.
 * @throws DomainError INVALID_CONFIG when the text is not JSON or not a valid policy
 */
export function parsePolicyJson(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DomainError('INVALID_CONFIG', `policy is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parsePolicy(doc);
}
