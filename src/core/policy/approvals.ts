/**
 * Whether the approvals collected so far satisfy an approval requirement.
 *
 * Rules: the proposer's own approval never counts; each approver counts once in the whole
 * requirement (someone in both finance and central-bank fills one seat, not two: "2 of finance AND
 * 1 of central-bank" needs three different people); an approver counts for a group only if they
 * were in it when approving. Seats are filled by a bipartite matching, so the answer does not depend
 * on the order approvals arrived in.
 */
import type { Approval, ApprovalRequirement, ApprovalStatus } from './types.ts';

interface Term {
  readonly group: string;
  readonly count: number;
}

/** The requirement as a list of alternatives (OR), each a list of seats to fill (AND). */
export function alternatives(r: ApprovalRequirement): Term[][] {
  switch (r.kind) {
    case 'group':
      return [[{ group: r.group, count: r.count }]];
    case 'any':
      return r.of.flatMap(alternatives);
    case 'all':
      return r.of.reduce<Term[][]>((acc, x) => acc.flatMap((a) => alternatives(x).map((b) => [...a, ...b])), [[]]);
  }
}

/**
 * "2 of finance AND 1 of central-bank", with parentheses where AND and OR nest.
 * @example describeRequirement({ kind: 'group', group: 'finance', count: 2 }) === '2 of finance'
 */
export function describeRequirement(r: ApprovalRequirement): string {
  switch (r.kind) {
    case 'group':
      return `${r.count} of ${r.group}`;
    case 'all':
    case 'any': {
      const sep = r.kind === 'all' ? ' AND ' : ' OR ';
      return r.of.map((x) => (x.kind === 'group' || r.of.length === 1 ? describeRequirement(x) : `(${describeRequirement(x)})`)).join(sep);
    }
  }
}

/** Seats filled per term by a maximum matching of approvers to seats. */
function fill(terms: readonly Term[], approvers: readonly Approval[]): number[] {
  const assigned: number[][] = terms.map(() => []);
  const tryAssign = (a: number, visited: Set<number>): boolean => {
    const groups = (approvers[a] as Approval).groups;
    for (let t = 0; t < terms.length; t++) {
      const term = terms[t] as Term;
      if (visited.has(t) || !groups.includes(term.group)) continue;
      visited.add(t);
      const seats = assigned[t] as number[];
      if (seats.length < term.count) {
        seats.push(a);
        return true;
      }
      for (let k = 0; k < seats.length; k++) {
        if (tryAssign(seats[k] as number, visited)) {
          seats[k] = a;
          return true;
        }
      }
    }
    return false;
  };
  for (let a = 0; a < approvers.length; a++) tryAssign(a, new Set());
  return assigned.map((s) => s.length);
}

function satisfiedBy(alts: readonly Term[][], approvers: readonly Approval[]): boolean {
  return alts.some((terms) => fill(terms, approvers).every((n, t) => n >= (terms[t] as Term).count));
}

/**
 * @param requirement what the matched rule (or `policyChange`) asks for
 * @param approvals every approval recorded for the proposal, in any order
 * @param proposerId whose approvals never count
 * @example approvalStatus({ kind: 'group', group: 'finance', count: 2 },
 *   [{ approverId: 'ana', groups: ['finance'], atMs: 5 }], 'luis')
 *   // → { satisfied: false, missing: 'needs 1 more approval from finance', satisfiedAtMs: null }
 */
export function approvalStatus(requirement: ApprovalRequirement, approvals: readonly Approval[], proposerId: string): ApprovalStatus {
  // One approval per approver (their first), never the proposer's; in time order.
  const first = new Map<string, Approval>();
  for (const a of approvals) {
    if (!Number.isFinite(a.atMs)) throw new RangeError(`"approvals[].atMs" expected a time in ms, got ${a.atMs}`);
    if (a.approverId === proposerId) continue;
    const seen = first.get(a.approverId);
    if (!seen || a.atMs < seen.atMs) first.set(a.approverId, a);
  }
  const ordered = [...first.values()].sort((x, y) => x.atMs - y.atMs || (x.approverId < y.approverId ? -1 : 1));
  const alts = alternatives(requirement);

  if (satisfiedBy(alts, ordered)) {
    // The quorum was reached at the approval that first made it complete.
    let k = 1;
    while (!satisfiedBy(alts, ordered.slice(0, k))) k++;
    return { satisfied: true, missing: '', satisfiedAtMs: (ordered[k - 1] as Approval).atMs };
  }

  // Describe the alternative closest to completion.
  let bestShort: { group: string; n: number }[] = [];
  let bestTotal = Infinity;
  let bestTerms: readonly Term[] = [];
  for (const terms of alts) {
    const filled = fill(terms, ordered);
    const short = new Map<string, number>();
    terms.forEach((t, i) => {
      const n = t.count - (filled[i] as number);
      if (n > 0) short.set(t.group, (short.get(t.group) ?? 0) + n);
    });
    const total = [...short.values()].reduce((s, n) => s + n, 0);
    if (total < bestTotal) {
      bestTotal = total;
      bestShort = [...short].map(([group, n]) => ({ group, n }));
      bestTerms = terms;
    }
  }
  if (bestTotal === 1) {
    // One seat short: seats can shift between groups, so name every group whose member would complete it.
    const groups = [...new Set(bestTerms.map((t) => t.group))].filter((group) =>
      satisfiedBy([bestTerms as Term[]], [...ordered, { approverId: '\u0000candidate', groups: [group], atMs: 0 }]),
    );
    bestShort = [{ group: groups.join(' or '), n: 1 }];
  }
  const parts = bestShort.map((s, i) => (i === 0 ? `${s.n} more approval${s.n === 1 ? '' : 's'} from ${s.group}` : `${s.n} more from ${s.group}`));
  let missing = `needs ${parts.join(' and ')}`;
  if (alts.length > 1) missing += ` (requirement: ${describeRequirement(requirement)})`;
  if (approvals.some((a) => a.approverId === proposerId)) missing += "; the proposer's own approval does not count";
  return { satisfied: false, missing, satisfiedAtMs: null };
}
