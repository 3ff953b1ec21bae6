// Commitments as machine-checked rules (issue #15): the JSON document (one clear line for each
// mistake), effective dates, versions (the latest in force), and each rule kind on a history —
// no increase excluding seizures and mining, no acquisition by any public wallet, sales only from
// a named wallet — and on a proposed spend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFlows } from '../../src/core/compliance/classify-flows.ts';
import { commitmentsInForce, evaluateCommitments, parseCommitment } from '../../src/core/compliance/commitments.ts';
import { checkSpend } from '../../src/core/compliance/spend-check.ts';
import type { RegisterEntry } from '../../src/core/compliance/types.ts';
import { tx } from './fixtures.ts';

const doc = (over: Record<string, unknown>) => JSON.stringify({ id: 'c', version: 1, title: 'T', effectiveFrom: '2025-02-26', rule: { kind: 'no-acquisition' }, ...over });

test('the document: every mistake is one line naming the field', () => {
  const bad: Array<[string, RegExp]> = [
    ['{', /commitment: not JSON/],
    [doc({ id: 'Has Space' }), /"id" must be lower-case/],
    [doc({ version: 0 }), /"version" must be a whole number from 1/],
    [doc({ effectiveFrom: '2025-02-30' }), /"effectiveFrom" must be a date YYYY-MM-DD/],
    [doc({ effectiveTo: '2025-01-01' }), /"effectiveTo" must come after "effectiveFrom"/],
    [doc({ rule: { kind: 'no-buying' } }), /rule "kind" must be one of no-increase, no-acquisition, sales-only-from/],
    [doc({ rule: { kind: 'no-increase', exclude: ['purchase'] } }), /rule."exclude" must be a list of flow classes/],
    [doc({ rule: { kind: 'sales-only-from' } }), /rule."from" must be a non-empty list/],
    [doc({ rule: { kind: 'no-acquisition', from: ['x'] } }), /rule "no-acquisition" has no field "from"/],
    [doc({ extra: 1 }), /unknown field "extra"/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseCommitment(text), { code: 'INVALID_ARGUMENT', message: re }, text);
  const ok = parseCommitment(doc({ rule: { kind: 'no-increase' } }));
  assert.deepEqual(ok.rule, { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] }, 'no-increase excludes seizures and mining by default');
});

test('no increase, excluding seizures and mining: only counted inflows after the effective date breach', () => {
  const c = parseCommitment(doc({ rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] } }));
  const flows = classifyFlows([
    tx({ date: '2025-01-10', ins: [[null, null]], outs: [['reserve', 5_000n]] }), // before the date: not judged
    tx({ date: '2025-03-01', ins: [['reserve', 1_000n]], outs: [[null, 990n]], labels: ['sale'] }), // −1,000
    tx({ date: '2025-03-02', ins: [[null, null]], outs: [['reserve', 9_000n]], labels: ['Seizure: case 9/2025, Fiscalía General'] }), // excluded
    tx({ date: '2025-03-03', coinbase: true, outs: [['reserve', 3_000n]] }), // excluded
    tx({ date: '2025-03-04', ins: [[null, null]], outs: [['reserve', 600n]] }), // +600: running −400, kept
    tx({ date: '2025-03-05', ins: [[null, null]], outs: [['reserve', 600n]] }), // +600: running +200, breach
  ], new Map());
  const b = evaluateCommitments([c], flows);
  assert.deepEqual(b.map((x) => x.txid), [flows[5]?.txid]);
  assert.match(b[0]?.message ?? '', /now \+200 sats/);
});

test('no acquisition by any public wallet; a list of wallets narrows it', () => {
  const all = parseCommitment(doc({ rule: { kind: 'no-acquisition' } }));
  const some = parseCommitment(doc({ id: 'd', rule: { kind: 'no-acquisition', wallets: ['reserve'] } }));
  const flows = classifyFlows([
    tx({ date: '2025-03-01', ins: [[null, null]], outs: [['chivo', 100n]] }),
    tx({ date: '2025-03-02', ins: [[null, null]], outs: [['reserve', 100n]] }),
    tx({ date: '2025-03-03', ins: [[null, null]], outs: [['reserve', 100n]], category: 'settlement' }),
  ], new Map());
  assert.deepEqual(evaluateCommitments([all], flows).map((x) => x.txid), [flows[0]?.txid, flows[1]?.txid]);
  assert.deepEqual(evaluateCommitments([some], flows).map((x) => x.txid), [flows[1]?.txid]);
});

test('sales only from the named wallet', () => {
  const c = parseCommitment(doc({ rule: { kind: 'sales-only-from', from: ['bitcoin-office'] } }));
  const flows = classifyFlows([
    tx({ date: '2025-03-01', ins: [['bitcoin-office', 1_000n]], outs: [[null, 990n]], labels: ['sale to exchange'] }),
    tx({ date: '2025-03-02', ins: [['reserve', 1_000n]], outs: [[null, 990n]], labels: ['sale to exchange'] }),
    tx({ date: '2025-03-03', ins: [['reserve', 1_000n]], outs: [[null, 990n]] }), // a payment: not a sale
  ], new Map());
  const b = evaluateCommitments([c], flows);
  assert.deepEqual(b.map((x) => x.txid), [flows[1]?.txid]);
  assert.match(b[0]?.message ?? '', /sale from reserve, which may not \(only from bitcoin-office\)/);
});

test('the latest version is in force, within its dates', () => {
  const v1 = parseCommitment(doc({ rule: { kind: 'no-acquisition' } }));
  const v2 = parseCommitment(doc({ version: 2, effectiveFrom: '2025-06-01', effectiveTo: '2025-12-31', rule: { kind: 'no-acquisition' } }));
  assert.deepEqual(commitmentsInForce([v2, v1]).map((c) => c.version), [2]);
  const flows = classifyFlows([
    tx({ date: '2025-03-01', ins: [[null, null]], outs: [['reserve', 100n]] }),
    tx({ date: '2025-07-01', ins: [[null, null]], outs: [['reserve', 100n]] }),
    tx({ date: '2026-01-02', ins: [[null, null]], outs: [['reserve', 100n]] }),
  ], new Map());
  const b = evaluateCommitments([v1, v2], flows);
  assert.deepEqual(b.map((x) => [x.txid, x.commitmentVersion]), [[flows[1]?.txid, 2]]);
});

test('a proposed spend: a sale from a wallet that may not sell is refused with the rule named; a payment is not', () => {
  const reg = (vaultId: string): RegisterEntry => ({ vaultId, version: 1, owner: 'o', legalBasis: 'l', purpose: 'p', joinedOn: '2021-09-07', leftOn: null, recordedBy: 'x', recordedAtMs: 0 });
  const data = {
    register: new Map([['reserve', reg('reserve')], ['bitcoin-office', reg('bitcoin-office')]]),
    registerAddresses: new Map([['bcrt1-office', 'bitcoin-office']]),
    addressLabels: new Map([['bcrt1-exchange', ['Exchange X (sale desk)']]]),
    commitments: [parseCommitment(doc({ id: 'sales-office-only', title: 'Sales only by the Bitcoin Office', rule: { kind: 'sales-only-from', from: ['bitcoin-office'] } })), parseCommitment(doc({ id: 'no-buy', rule: { kind: 'no-acquisition' } }))],
  };
  const nowMs = Date.UTC(2026, 0, 5);
  const sale = checkSpend(data, { vaultId: 'reserve', outputs: [{ address: 'bcrt1-other', sats: 5_000n }], memo: 'Sale of 0.5 BTC', nowMs });
  assert.equal(sale?.commitmentId, 'sales-office-only');
  assert.match(sale?.message ?? '', /commitment 'sales-office-only' version 1 \("Sales only by the Bitcoin Office"\): this spend would be a sale: sale from reserve/);
  assert.equal(checkSpend(data, { vaultId: 'reserve', outputs: [{ address: 'bcrt1-exchange', sats: 5_000n }], memo: null, nowMs })?.commitmentId, 'sales-office-only', 'the destination\'s label says sale');
  assert.equal(checkSpend(data, { vaultId: 'reserve', outputs: [{ address: 'bcrt1-other', sats: 5_000n }], memo: 'Supplier invoice 42', nowMs }), null);
  assert.equal(checkSpend(data, { vaultId: 'bitcoin-office', outputs: [{ address: 'bcrt1-other', sats: 5_000n }], memo: 'Sale of 0.5 BTC', nowMs }), null);
  assert.equal(checkSpend(data, { vaultId: 'reserve', outputs: [{ address: 'bcrt1-office', sats: 5_000n }], memo: 'Sale', nowMs }), null, 'to another registered wallet: internal');
  const fromOutside = checkSpend(data, { vaultId: 'pakistan', outputs: [{ address: 'bcrt1-office', sats: 5_000n }], memo: null, nowMs });
  assert.equal(fromOutside?.commitmentId, 'no-buy', 'an unregistered vault paying a registered wallet is an acquisition');
  assert.equal(checkSpend(data, { vaultId: 'reserve', outputs: [{ address: 'bcrt1-other', sats: 5_000n }], memo: 'Sale', nowMs: Date.UTC(2025, 0, 1) }), null, 'before the effective date');
});
