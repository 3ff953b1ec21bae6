// Each flow class from the transaction graph and labels, with the reason recorded (issue #15):
// a mixed transaction with an outside input, a coinbase, a labelled pool payout, a seizure with
// and without its legal reference, settlement receipt and payment, a sale, a payment; and a
// person's override winning over the classifier while the classifier's verdict is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFlow, classifyFlows } from '../../src/core/compliance/classify-flows.ts';
import { parseFlowClass, type FlowOverride } from '../../src/core/compliance/types.ts';
import { tx } from './fixtures.ts';

test('a mixed transaction with an outside input that raises the stock is an external acquisition', () => {
  const f = classifyFlow(tx({ date: '2025-09-07', ins: [['reserve', 1_000n], [null, null]], outs: [['reserve', 3_000n]] }), null);
  assert.equal(f.class, 'external-acquisition');
  assert.equal(f.stockDelta, 2_000n);
  assert.equal(f.fromOutsideSats, 2_000n);
  assert.equal(f.feeSats, null, 'the fee is unknown when an input is not the register\'s');
  assert.match(f.reason, /mixed transaction: 1 input from outside the register/);
});

test('a mixed transaction that lowers the stock is an outflow (payment)', () => {
  const f = classifyFlow(tx({ date: '2025-09-07', ins: [['reserve', 5_000n], [null, null]], outs: [['reserve', 1_000n], [null, 4_500n]] }), null);
  assert.equal(f.class, 'payment');
  assert.match(f.reason, /mixed transaction with 1 input from outside, net outflow/);
});

test('a coinbase paying a registered wallet is a mining reward; so is a payout labelled as a pool payout', () => {
  const cb = classifyFlow(tx({ date: '2025-07-15', coinbase: true, ins: [[null, null]], outs: [['pk-mining', 312_500_000n]] }), null);
  assert.equal(cb.class, 'mining-reward');
  assert.equal(cb.stockDelta, 312_500_000n);
  assert.match(cb.reason, /coinbase/);
  const pool = classifyFlow(tx({ date: '2025-07-15', ins: [[null, null]], outs: [['pk-reserve', 2_000n]], labels: ['Pool payout, June 2025'] }), null);
  assert.equal(pool.class, 'mining-reward');
  const cat = classifyFlow(tx({ date: '2025-07-15', ins: [[null, null]], outs: [['pk-reserve', 2_000n]], category: 'mining' }), null);
  assert.equal(cat.class, 'mining-reward');
});

test('a seizure is a seizure only with its legal reference; without one it counts as an acquisition', () => {
  const s = classifyFlow(tx({ date: '2025-10-01', ins: [[null, null]], outs: [['reserve', 7_000n]], labels: ['Seizure: Juzgado Especializado, case 123/2025'] }), null);
  assert.equal(s.class, 'seizure');
  assert.match(s.reason, /legal reference: Seizure: Juzgado Especializado, case 123\/2025/);
  const byCategory = classifyFlow(tx({ date: '2025-10-01', ins: [[null, null]], outs: [['reserve', 7_000n]], category: 'seizure', labels: ['Court order 77/2025'] }), null);
  assert.equal(byCategory.class, 'seizure');
  const bare = classifyFlow(tx({ date: '2025-10-01', ins: [[null, null]], outs: [['reserve', 7_000n]], category: 'seizure' }), null);
  assert.equal(bare.class, 'external-acquisition');
  assert.match(bare.reason, /no legal reference is recorded/);
  const bareLabel = classifyFlow(tx({ date: '2025-10-01', ins: [[null, null]], outs: [['reserve', 7_000n]], labels: ['seized'] }), null);
  assert.equal(bareLabel.class, 'external-acquisition');
});

test('alliance settlements: a receipt in, a payment out', () => {
  const inn = classifyFlow(tx({ date: '2025-11-01', ins: [[null, null]], outs: [['reserve', 500n]], category: 'settlement' }), null);
  assert.equal(inn.class, 'settlement-receipt');
  const out = classifyFlow(tx({ date: '2025-11-01', ins: [['reserve', 1_000n]], outs: [[null, 500n], ['reserve', 490n]], labels: ['Net settlement Q3 with Pakistan'] }), null);
  assert.equal(out.class, 'settlement-payment');
  assert.equal(out.feeSats, 10n);
  assert.equal(out.stockDelta, -510n);
});

test('outflows: labelled as a sale → sale; otherwise → payment', () => {
  const sale = classifyFlow(tx({ date: '2025-11-02', ins: [['bitcoin-office', 1_000n]], outs: [[null, 990n]], labels: ['Sale of 10 BTC to exchange X'] }), null);
  assert.equal(sale.class, 'sale');
  assert.match(sale.reason, /990 sats left the register from bitcoin-office to 1 outside output; labelled as a sale/);
  const pay = classifyFlow(tx({ date: '2025-11-02', ins: [['bitcoin-office', 1_000n]], outs: [[null, 990n]] }), null);
  assert.equal(pay.class, 'payment');
});

test('an override wins, with its reason, and the classifier\'s verdict is kept beside it', () => {
  const t = tx({ date: '2025-10-01', ins: [[null, null]], outs: [['reserve', 7_000n]] });
  const o: FlowOverride = { txid: t.txid, class: 'seizure', reason: 'Court order 123/2025 (label missing at sync time)', setBy: 'irene', setAtMs: 1 };
  const [f] = classifyFlows([t], new Map([[t.txid, o]]));
  assert.equal(f?.class, 'seizure');
  assert.equal(f?.reason, 'overridden by irene: Court order 123/2025 (label missing at sync time)');
  assert.deepEqual(f?.classified?.class, 'external-acquisition');
});

test('flow classes typed by people: known ones only, one clear line otherwise', () => {
  assert.equal(parseFlowClass(' Seizure '), 'seizure');
  assert.throws(() => parseFlowClass('purchase'), { code: 'INVALID_ARGUMENT', message: /unknown flow class "purchase": use one of internal-consolidation, external-acquisition/ });
});
