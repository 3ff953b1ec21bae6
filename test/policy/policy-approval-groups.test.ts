// Approval quorums: groups combined with AND/OR (nested), the proposer never counted, each approver
// counted once across the whole requirement, and the time the quorum was reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalStatus, describeRequirement } from '../../src/core/policy/approvals.ts';
import type { Approval, ApprovalRequirement } from '../../src/core/policy/types.ts';

const g = (group: string, count: number): ApprovalRequirement => ({ kind: 'group', group, count });
const all = (...of: ApprovalRequirement[]): ApprovalRequirement => ({ kind: 'all', of });
const any = (...of: ApprovalRequirement[]): ApprovalRequirement => ({ kind: 'any', of });
const ap = (approverId: string, groups: string[], atMs: number): Approval => ({ approverId, groups, atMs });

const TWO_FIN_ONE_CB = all(g('finance', 2), g('central-bank', 1));

test('"2 of finance AND 1 of central-bank" is satisfied by three distinct approvers, at the last one', () => {
  const s = approvalStatus(TWO_FIN_ONE_CB, [ap('ana', ['finance'], 10), ap('ben', ['central-bank'], 20), ap('eva', ['finance'], 30)], 'luis');
  assert.deepEqual(s, { satisfied: true, missing: '', satisfiedAtMs: 30 });
  assert.equal(describeRequirement(TWO_FIN_ONE_CB), '2 of finance AND 1 of central-bank');
});

test("the proposer's own approval never counts, and the message says so", () => {
  const s = approvalStatus(g('finance', 2), [ap('luis', ['finance'], 5), ap('ana', ['finance'], 10)], 'luis');
  assert.equal(s.satisfied, false);
  assert.equal(s.missing, "needs 1 more approval from finance; the proposer's own approval does not count");
});

test('an approver in two groups fills one seat only', () => {
  // ana is in finance and central-bank: with ben (finance) that is two people, three seats needed.
  const two = [ap('ana', ['finance', 'central-bank'], 10), ap('ben', ['finance'], 20)];
  const s = approvalStatus(TWO_FIN_ONE_CB, two, 'luis');
  assert.equal(s.satisfied, false);
  // Seats can shift: a finance member would complete it (ana moves to central-bank), so would a central-bank one.
  assert.equal(s.missing, 'needs 1 more approval from finance or central-bank');
  // A third finance member completes it: ana must then sit in central-bank (found by matching).
  const s3 = approvalStatus(TWO_FIN_ONE_CB, [...two, ap('eva', ['finance'], 30)], 'luis');
  assert.deepEqual(s3, { satisfied: true, missing: '', satisfiedAtMs: 30 });
});

test('the seat assignment does not depend on arrival order', () => {
  // ana (both groups) arrives first; a greedy count would seat her in finance and then miss central-bank.
  const approvals = [ap('ana', ['finance', 'central-bank'], 1), ap('ben', ['finance'], 2), ap('eva', ['finance'], 3)];
  assert.equal(approvalStatus(TWO_FIN_ONE_CB, approvals, 'luis').satisfied, true);
  assert.equal(approvalStatus(TWO_FIN_ONE_CB, [...approvals].reverse(), 'luis').satisfied, true);
});

test('the same approver approving twice counts once, from their first approval', () => {
  const s = approvalStatus(g('finance', 2), [ap('ana', ['finance'], 10), ap('ana', ['finance'], 20)], 'luis');
  assert.equal(s.satisfied, false);
  const s2 = approvalStatus(g('finance', 2), [ap('ana', ['finance'], 50), ap('ben', ['finance'], 20), ap('ana', ['finance'], 10)], 'luis');
  assert.equal(s2.satisfiedAtMs, 20);
});

test('an approver counts only for groups they were in when approving', () => {
  const s = approvalStatus(g('central-bank', 1), [ap('ana', ['finance'], 10)], 'luis');
  assert.equal(s.missing, 'needs 1 more approval from central-bank');
});

test('OR: either branch suffices; nested AND inside OR', () => {
  const req = any(all(g('finance', 2), g('central-bank', 1)), g('board', 3));
  assert.equal(describeRequirement(req), '(2 of finance AND 1 of central-bank) OR 3 of board');
  const board = [ap('b1', ['board'], 1), ap('b2', ['board'], 2), ap('b3', ['board'], 3)];
  assert.deepEqual(approvalStatus(req, board, 'luis'), { satisfied: true, missing: '', satisfiedAtMs: 3 });
  const partial = approvalStatus(req, [ap('ana', ['finance'], 1), ap('b1', ['board'], 2)], 'luis');
  assert.equal(partial.satisfied, false);
  // Closest alternative: one more finance and one central-bank (2 missing) beats two more board (2)? tie → first.
  assert.equal(partial.missing, 'needs 1 more approval from finance and 1 more from central-bank (requirement: (2 of finance AND 1 of central-bank) OR 3 of board)');
});

test('deep nesting: all(any(2 finance, 1 minister), any(1 central-bank, 2 audit))', () => {
  const req = all(any(g('finance', 2), g('minister', 1)), any(g('central-bank', 1), g('audit', 2)));
  assert.equal(approvalStatus(req, [ap('m', ['minister'], 1), ap('a1', ['audit'], 2), ap('a2', ['audit'], 3)], 'p').satisfied, true);
  assert.equal(approvalStatus(req, [ap('m', ['minister', 'audit'], 1), ap('a1', ['audit'], 2)], 'p').satisfied, false);
  assert.equal(approvalStatus(req, [ap('m', ['minister', 'audit'], 1), ap('a1', ['audit'], 2), ap('cb', ['central-bank'], 9)], 'p').satisfiedAtMs, 9);
});

test('quorum time: the approval that completed the quorum, even when later ones follow', () => {
  const s = approvalStatus(g('finance', 2), [ap('a', ['finance'], 100), ap('b', ['finance'], 200), ap('c', ['finance'], 300)], 'p');
  assert.equal(s.satisfiedAtMs, 200);
});
