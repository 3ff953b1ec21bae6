// Internal consolidation (issue #15): a transaction whose every input comes from a registered
// public wallet and whose every output goes to one (a zero-value data output and the fee aside) is
// internal — the public stock moves only by the fee. El Salvador's 2025 case: coins consolidated
// from several government wallets into the reserve keep the stock flat and keep the "no increase"
// commitment; a purchase from outside is an external acquisition and breaches it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFlow, classifyFlows } from '../../src/core/compliance/classify-flows.ts';
import { evaluateCommitments, parseCommitment } from '../../src/core/compliance/commitments.ts';
import { tx } from './fixtures.ts';

const NO_INCREASE = parseCommitment(JSON.stringify({
  id: 'imf-2025-no-accumulation', version: 1, title: 'No voluntary accumulation of bitcoin by the public sector', source: 'IMF EFF, 2025-02-26',
  effectiveFrom: '2025-02-26', rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] },
}));

test('consolidation across three registered wallets is internal; only the fee leaves the stock', () => {
  const f = classifyFlow(tx({ date: '2025-08-29', ins: [['bitcoin-office', 300n], ['chivo', 200n], ['bandesal', 100n]], outs: [['reserve', 590n]] }), null);
  assert.equal(f.class, 'internal-consolidation');
  assert.equal(f.feeSats, 10n);
  assert.equal(f.stockDelta, -10n);
  assert.deepEqual(f.walletDeltas, { 'bitcoin-office': -300n, chivo: -200n, bandesal: -100n, reserve: 590n });
  assert.match(f.reason, /all 3 inputs from registered wallets \(bandesal, bitcoin-office, chivo\).*every output to registered wallets \(reserve\).*fee \(10 sats\)/);
});

test('a self-transfer with change (and an audit-anchor data output) is internal too', () => {
  const f = classifyFlow(tx({ date: '2025-09-01', ins: [['reserve', 1_000n]], outs: [['reserve', 600n], ['reserve', 390n]], data: true }), null);
  assert.equal(f.class, 'internal-consolidation');
  assert.match(f.reason, /self-transfer within reserve/);
  assert.equal(f.stockDelta, -10n);
});

test('one output outside the register makes it a payment, not a consolidation', () => {
  const f = classifyFlow(tx({ date: '2025-09-01', ins: [['reserve', 1_000n]], outs: [['reserve', 600n], [null, 390n]] }), null);
  assert.equal(f.class, 'payment');
  assert.equal(f.toOutsideSats, 390n);
});

test("El Salvador 2025: consolidation into the reserve keeps the stock flat and the commitment kept; a purchase from outside breaches it", () => {
  // Before the programme: purchases into the government's wallets (2024).
  const before = [
    tx({ date: '2024-03-14', ins: [[null, null]], outs: [['bitcoin-office', 5_000n]], category: 'purchase' }),
    tx({ date: '2024-06-01', ins: [[null, null]], outs: [['chivo', 3_000n]], category: 'purchase' }),
  ];
  // 2025-08-29: split/consolidation among registered wallets (the "increase" public trackers saw).
  const consolidation = tx({ date: '2025-08-29', ins: [['bitcoin-office', 5_000n], ['chivo', 3_000n]], outs: [['reserve', 4_000n], ['reserve-2', 3_990n]] });
  const flows = classifyFlows([...before, consolidation], new Map());
  assert.deepEqual(flows.map((f) => f.class), ['external-acquisition', 'external-acquisition', 'internal-consolidation']);
  const stock = (fs: typeof flows) => fs.reduce((a, f) => a + f.stockDelta, 0n);
  assert.equal(stock(flows), 7_990n, 'stock after the consolidation = 8,000 bought before the programme − the 10 sats fee');
  assert.deepEqual(evaluateCommitments([NO_INCREASE], flows), [], 'the consolidation keeps "no increase"');

  // 2025-09-07: a purchase from outside the register.
  const purchase = tx({ date: '2025-09-07', ins: [[null, null]], outs: [['reserve', 2_100n]], labels: ['Announced purchase 2025-09-07: 21 BTC'] });
  const withPurchase = classifyFlows([...before, consolidation, purchase], new Map());
  assert.equal(withPurchase.at(-1)?.class, 'external-acquisition');
  const breaches = evaluateCommitments([NO_INCREASE], withPurchase);
  assert.equal(breaches.length, 1);
  assert.equal(breaches[0]?.txid, purchase.txid);
  assert.match(breaches[0]?.message ?? '', /commitment 'imf-2025-no-accumulation' version 1 .*external-acquisition raised the public stock by 2100 sats; the change since 2025-02-26 .* is now \+2090 sats/);
});
