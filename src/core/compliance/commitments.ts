/**
 * Programme commitments as machine-checked rules (issue #15): a JSON document, dated and
 * versioned, and its evaluation against a classified history (monitoring after sync) and against
 * a proposed spend (refused before signing).
 *
 * The document:
 * ```json
 * { "id": "imf-2025-no-accumulation", "version": 1,
 *   "title": "No voluntary accumulation of bitcoin by the public sector",
 *   "source": "IMF Extended Fund Facility, approved 2025-02-26",
 *   "effectiveFrom": "2025-02-26", "effectiveTo": null,
 *   "rule": { "kind": "no-increase", "wallets": "all", "exclude": ["seizure", "mining-reward"] } }
 * ```
 * Rule kinds:
 * - `no-increase`: from `effectiveFrom`, the stock of `wallets` (all registered wallets, or a list),
 *   not counting flows of the `exclude` classes, does not rise above its level on that day. Each
 *   flow that takes the running change since that day above zero is a breach.
 * - `no-acquisition`: no flow classed `external-acquisition` into `wallets`.
 * - `sales-only-from`: flows of `classes` (default `["sale"]`) leave the register only from the
 *   wallets listed in `from`.
 * The latest version of a commitment is the one in force; older ones stay on record.
 */
import { DomainError } from '../errors.ts';
import { FLOW_CLASSES, parseDay, type ClassifiedFlow, type FlowClass } from './types.ts';

export const RULE_KINDS = ['no-increase', 'no-acquisition', 'sales-only-from'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export type CommitmentRule =
  | { readonly kind: 'no-increase'; readonly wallets: 'all' | readonly string[]; readonly exclude: readonly FlowClass[] }
  | { readonly kind: 'no-acquisition'; readonly wallets: 'all' | readonly string[] }
  | { readonly kind: 'sales-only-from'; readonly from: readonly string[]; readonly classes: readonly FlowClass[] };

export interface Commitment {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly source: string | null;
  readonly effectiveFrom: string;
  readonly effectiveTo: string | null;
  readonly rule: CommitmentRule;
}

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const bad = (m: string): DomainError => new DomainError('INVALID_ARGUMENT', `commitment: ${m}`);

function stringField(o: Record<string, unknown>, k: string, required: boolean): string | null {
  const v = o[k];
  if (v === undefined || v === null) {
    if (required) throw bad(`"${k}" is required`);
    return null;
  }
  if (typeof v !== 'string' || v.trim() === '') throw bad(`"${k}" must be a non-empty string`);
  if (v.length > 500) throw bad(`"${k}" is at most 500 characters`);
  return v.trim();
}

function walletList(v: unknown, k: string, allowAll: boolean): 'all' | string[] {
  if (allowAll && (v === undefined || v === 'all')) return 'all';
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x.trim() === '')) throw bad(`rule."${k}" must be ${allowAll ? '"all" or ' : ''}a non-empty list of vault ids or names`);
  return (v as string[]).map((x) => x.trim());
}

function classList(v: unknown, k: string, dflt: FlowClass[]): FlowClass[] {
  if (v === undefined) return dflt;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !(FLOW_CLASSES as readonly string[]).includes(x))) throw bad(`rule."${k}" must be a list of flow classes (${FLOW_CLASSES.join(', ')})`);
  return [...new Set(v as FlowClass[])];
}

/**
 * Parse a commitment document (JSON text). Wallets are kept as written; the caller resolves names
 * to vault ids (`resolveWallets`).
 * @throws INVALID_ARGUMENT with one line naming the field
 * @example parseCommitment('{"id":"no-buy","version":1,"title":"No purchases","effectiveFrom":"2025-02-26","rule":{"kind":"no-acquisition"}}').rule.kind // 'no-acquisition'
 */
export function parseCommitment(text: string): Commitment {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('the document must be a JSON object');
  const o = v as Record<string, unknown>;
  const known = new Set(['id', 'version', 'title', 'source', 'effectiveFrom', 'effectiveTo', 'rule']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw bad(`unknown field "${k}"`);
  const id = stringField(o, 'id', true) as string;
  if (!ID_RE.test(id)) throw bad(`"id" must be lower-case letters, digits, ".", "_" or "-" (at most 64), got "${id}"`);
  const version = o.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw bad('"version" must be a whole number from 1');
  const title = stringField(o, 'title', true) as string;
  const source = stringField(o, 'source', false);
  const effectiveFrom = parseDay(String(stringField(o, 'effectiveFrom', true)), 'commitment: "effectiveFrom"');
  const to = stringField(o, 'effectiveTo', false);
  const effectiveTo = to === null ? null : parseDay(to, 'commitment: "effectiveTo"');
  if (effectiveTo !== null && effectiveTo <= effectiveFrom) throw bad('"effectiveTo" must come after "effectiveFrom"');
  const r = o.rule;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('"rule" must be an object with a "kind"');
  const rr = r as Record<string, unknown>;
  const kind = rr.kind;
  let rule: CommitmentRule;
  const only = (keys: string[]) => {
    for (const k of Object.keys(rr)) if (!['kind', ...keys].includes(k)) throw bad(`rule "${String(kind)}" has no field "${k}"`);
  };
  switch (kind) {
    case 'no-increase':
      only(['wallets', 'exclude']);
      rule = { kind, wallets: walletList(rr.wallets, 'wallets', true), exclude: classList(rr.exclude, 'exclude', ['seizure', 'mining-reward']) };
      break;
    case 'no-acquisition':
      only(['wallets']);
      rule = { kind, wallets: walletList(rr.wallets, 'wallets', true) };
      break;
    case 'sales-only-from':
      only(['from', 'classes']);
      rule = { kind, from: walletList(rr.from, 'from', false) as string[], classes: classList(rr.classes, 'classes', ['sale']) };
      break;
    default:
      throw bad(`rule "kind" must be one of ${RULE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  return { id, version, title, source, effectiveFrom, effectiveTo, rule };
}

/** The same commitment with its wallet references mapped (names → vault ids). */
export function resolveWallets(c: Commitment, resolve: (ref: string) => string): Commitment {
  const list = (w: 'all' | readonly string[]) => (w === 'all' ? w : w.map(resolve));
  const r = c.rule;
  const rule: CommitmentRule = r.kind === 'sales-only-from' ? { ...r, from: r.from.map(resolve) } : { ...r, wallets: list(r.wallets) };
  return { ...c, rule };
}

/** The latest version of each commitment. */
export function commitmentsInForce(all: readonly Commitment[]): Commitment[] {
  const by = new Map<string, Commitment>();
  for (const c of all) {
    const had = by.get(c.id);
    if (!had || had.version < c.version) by.set(c.id, c);
  }
  return [...by.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Whether the commitment applies on `day` (YYYY-MM-DD). */
export function appliesOn(c: Commitment, day: string): boolean {
  return c.effectiveFrom <= day && (c.effectiveTo === null || day < c.effectiveTo);
}

/** How a commitment is named in refusals and alerts. */
export function commitmentName(c: Commitment): string {
  return `commitment '${c.id}' version ${c.version} ("${c.title}")`;
}

export interface Breach {
  readonly commitmentId: string;
  readonly commitmentVersion: number;
  readonly txid: string;
  readonly date: string | null;
  /** Plain words naming the commitment, the transaction and what it did. */
  readonly message: string;
}

const inScope = (w: 'all' | readonly string[], vault: string): boolean => w === 'all' || w.includes(vault);

function scopedDelta(f: ClassifiedFlow, w: 'all' | readonly string[]): bigint {
  let d = 0n;
  for (const [vault, delta] of Object.entries(f.walletDeltas)) if (inScope(w, vault)) d += delta;
  return d;
}

/** What a flow does against one rule, or null when it keeps it (running = the no-increase running change before the flow). */
function flowBreach(c: Commitment, f: ClassifiedFlow, running: bigint): string | null {
  const r = c.rule;
  switch (r.kind) {
    case 'no-increase': {
      if (r.exclude.includes(f.class)) return null;
      const d = scopedDelta(f, r.wallets);
      if (d > 0n && running + d > 0n) return `${f.class} raised the public stock by ${d} sats; the change since ${c.effectiveFrom} (${r.exclude.length > 0 ? `not counting ${r.exclude.join(', ')}` : 'all flows'}) is now +${running + d} sats`;
      return null;
    }
    case 'no-acquisition': {
      if (f.class !== 'external-acquisition') return null;
      const gained = Object.entries(f.walletDeltas).filter(([v, d]) => inScope(r.wallets, v) && d > 0n).map(([v]) => v);
      return gained.length > 0 ? `external acquisition by ${gained.join(', ')} (+${f.stockDelta} sats): ${f.reason}` : null;
    }
    case 'sales-only-from': {
      if (!r.classes.includes(f.class)) return null;
      const others = Object.entries(f.walletDeltas).filter(([v, d]) => d < 0n && !r.from.includes(v)).map(([v]) => v);
      return others.length > 0 ? `${f.class} from ${others.join(', ')}, which may not (only from ${r.from.join(', ')})` : null;
    }
  }
}

/**
 * Evaluate commitments in force against a classified history (confirmed flows only; unconfirmed
 * ones are judged once they confirm). Returns every breach, in chain order.
 * @example evaluateCommitments([noIncrease], flows).map((b) => b.txid)
 */
export function evaluateCommitments(commitments: readonly Commitment[], flows: readonly ClassifiedFlow[]): Breach[] {
  const out: Breach[] = [];
  for (const c of commitmentsInForce(commitments)) {
    let running = 0n;
    for (const f of flows) {
      if (f.date === null || !appliesOn(c, f.date)) continue;
      const why = flowBreach(c, f, running);
      if (c.rule.kind === 'no-increase' && !c.rule.exclude.includes(f.class)) running += scopedDelta(f, c.rule.wallets);
      if (why !== null) out.push({ commitmentId: c.id, commitmentVersion: c.version, txid: f.txid, date: f.date, message: `${commitmentName(c)}: transaction ${f.txid} (${f.date}): ${why}` });
    }
  }
  return out;
}

/**
 * Check a proposed spend, as the flow it would be, against the commitments in force on `day`.
 * A proposal is judged on its own (a no-increase rule refuses any proposal that would raise the
 * stock, without netting it against earlier sales). Returns the first breach, or null.
 */
export function checkProposedFlow(commitments: readonly Commitment[], flow: ClassifiedFlow, day: string): Breach | null {
  for (const c of commitmentsInForce(commitments)) {
    if (!appliesOn(c, day)) continue;
    const why = flowBreach(c, flow, 0n);
    if (why !== null) return { commitmentId: c.id, commitmentVersion: c.version, txid: flow.txid, date: day, message: `${commitmentName(c)}: this spend would be a ${flow.class}: ${why}` };
  }
  return null;
}
