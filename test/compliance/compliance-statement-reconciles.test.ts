// The quarterly statement reconciles (issue #15 item 4): opening stock + wallets joining − wallets
// leaving + the quarter's flows = closing stock, with a wallet joining mid-quarter (its coins are
// not an acquisition) and one leaving; flows by class; quarters parsed strictly; the hash changes
// when anything in the statement changes; the proofs of reserves it cites are those published in the
// quarter, or the latest published before its end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFlows } from '../../src/core/compliance/classify-flows.ts';
import { buildStatement, parseQuarter, proofReferencesFor, statementCsv, statementDocument, statementHash, type ProofReference } from '../../src/core/compliance/statement.ts';
import type { RegisterEntry } from '../../src/core/compliance/types.ts';
import { tx } from './fixtures.ts';

const entry = (vaultId: string, joinedOn: string, leftOn: string | null = null): RegisterEntry => ({ vaultId, version: 1, owner: `owner of ${vaultId}`, legalBasis: 'l', purpose: 'p', joinedOn, leftOn, recordedBy: 'x', recordedAtMs: 0 });

test('quarters: 2025Q3 is 2025-07-01 to 2025-09-30; anything else is one clear line', () => {
  assert.deepEqual(parseQuarter('2025q3'), { label: '2025Q3', from: '2025-07-01', to: '2025-09-30' });
  assert.deepEqual(parseQuarter('2024Q1'), { label: '2024Q1', from: '2024-01-01', to: '2024-03-31' });
  assert.throws(() => parseQuarter('2025Q5'), { code: 'INVALID_ARGUMENT', message: /like 2025Q3/ });
});

test('opening + joined − left + flows = closing, with a wallet joining and one leaving mid-quarter', () => {
  // reserve: 1,000 before; chivo joins 2025-08-01 holding 300 (bought in July, before it was public);
  // old-fund leaves 2025-09-15 holding 200.
  const register = [entry('reserve', '2021-09-07'), entry('chivo', '2025-08-01'), entry('old-fund', '2021-09-07', '2025-09-15')];
  const raw = [
    tx({ date: '2025-07-10', ins: [[null, null]], outs: [[null, 300n]] }), // chivo's July purchase: not yet public (wallet null)
    tx({ date: '2025-08-20', ins: [['chivo', 300n]], outs: [['reserve', 290n]] }), // consolidation
    tx({ date: '2025-09-01', ins: [['reserve', 100n]], outs: [[null, 95n]], labels: ['sale'] }), // sale
  ];
  const flows = classifyFlows(raw, new Map());
  const balances: Record<string, Array<[string, bigint]>> = {
    reserve: [['2025-06-30', 1_000n], ['2025-08-20', 1_290n], ['2025-09-01', 1_190n]],
    chivo: [['2025-07-10', 300n], ['2025-08-20', 0n]],
    'old-fund': [['2021-01-01', 200n]],
  };
  const balanceAt = (v: string, day: string): bigint => [...(balances[v] ?? [])].filter(([d]) => d <= day).at(-1)?.[1] ?? 0n;
  const s = buildStatement({ quarter: parseQuarter('2025Q3'), register, wallets: new Map(), balanceAt, flows: flows.filter((f) => f.walletDeltas && Object.keys(f.walletDeltas).length > 0), commitments: [], breaches: [], alerts: [] });
  assert.deepEqual(s.totals, { openingSats: 1_200n, closingSats: 1_190n });
  assert.deepEqual(s.wallets.map((w) => [w.vaultId, w.openingSats, w.closingSats]), [['chivo', null, 0n], ['old-fund', 200n, null], ['reserve', 1_000n, 1_190n]]);
  assert.deepEqual(s.reconciliation, { openingSats: 1_200n, joinedSats: 300n, leftSats: 200n, flowsNetSats: -10n - 100n, closingSats: 1_190n, reconciles: true });
  assert.deepEqual(s.byClass.map((c) => [c.class, c.count, c.netSats]), [['internal-consolidation', 1, -10n], ['sale', 1, -100n]]);
  assert.match(statementCsv(s), /\nopening_sats,joined_sats,left_sats,flows_net_sats,closing_sats,reconciles\n1200,300,200,-110,1190,true\n/);
  const h = statementHash(s);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.notEqual(statementHash({ ...s, totals: { ...s.totals, closingSats: 1_191n } }), h, 'a later edit changes the hash');
});

test('a statement cites the proofs of reserves published in the quarter, else the latest published before its end, else none', () => {
  const proof = (id: number, publishedOn: string): ProofReference => ({ id, publishedOn, height: 800 + id, blockHash: String(id).repeat(64).slice(0, 64), totalSats: BigInt(id) * 100_000_000n, vaultIds: ['reserve', 'pk'], fileSha256: 'ab'.repeat(32) });
  const all = [proof(1, '2025-02-10'), proof(2, '2025-05-01'), proof(3, '2025-08-20'), proof(4, '2025-09-30'), proof(5, '2025-10-01')];
  assert.deepEqual(proofReferencesFor(parseQuarter('2025Q3'), all).map((p) => p.id), [3, 4], 'both published in the quarter (the last day included)');
  assert.deepEqual(proofReferencesFor(parseQuarter('2026Q1'), all).map((p) => p.id), [5], 'none in the quarter: the latest before its end');
  assert.deepEqual(proofReferencesFor(parseQuarter('2024Q4'), all), [], 'none published by then');

  const base = { quarter: parseQuarter('2025Q3'), register: [entry('reserve', '2021-09-07')], wallets: new Map(), balanceAt: () => 0n, flows: [], commitments: [], breaches: [], alerts: [] };
  const cited = buildStatement({ ...base, proofs: all });
  assert.deepEqual(cited.proofs?.map((p) => [p.id, p.registeredVaultIds]), [[3, ['reserve']], [4, ['reserve']]], 'each with the registered wallets it covers');
  assert.match(statementCsv(cited), /\n3,2025-08-20,803,3{64},300000000,reserve pk,reserve,(ab){32}\n/);
  const table = statementDocument(cited, 'h').tables.find((t) => t.heading.startsWith('Proofs of reserves'));
  assert.deepEqual(table?.rows.map((r) => r[0]), ['3', '4']);
  const without = buildStatement(base);
  assert.equal('proofs' in without, false, 'no proof store read: no proofs field (not an empty list)');
  assert.equal(statementDocument(without, 'h').tables.find((t) => t.heading.startsWith('Proofs of reserves'))?.empty, 'Proofs of reserves were not looked up for this statement.');
  assert.notEqual(statementHash(cited), statementHash(buildStatement({ ...base, proofs: all.slice(0, 3) })), 'the proofs cited are part of the hash');
});
