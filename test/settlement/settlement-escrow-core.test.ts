// The escrow state machine (issue #16 item 5), pure: pay-ins per net payer, their status from
// observed outputs (pending / seen / confirmed at K), payout only when every pay-in is confirmed,
// rescind after a missed deadline (refunds of what arrived, defaulters, re-net request), a reorged
// pay-in back to pending, and the fee shared exactly among recipients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideEscrow, escrowPayIns, escrowPayouts, observePayIn, shareFee, type TrackedPayIn } from '../../src/core/settlement/escrow.ts';
import type { ClosedCycle } from '../../src/core/settlement/types.ts';
import type { Sats } from '../../src/core/money.ts';

const cycle: ClosedCycle = {
  id: 'W01', cutoff: '2026-01-05T00:00:00Z', rates: [], mode: 'escrow',
  positions: [{ member: 'SLV', sats: 500_000n }, { member: 'PAK', sats: -800_000n }, { member: 'RUS', sats: 300_000n }, { member: 'EGY', sats: 0n }],
  transfers: [{ from: 'PAK', to: 'SLV', sats: 500_000n as Sats }, { from: 'PAK', to: 'RUS', sats: 300_000n as Sats }],
};
const T = 'a'.repeat(64);

test('each net payer owes one pay-in of its net payable; net receivers get their net; a zero position neither', () => {
  assert.deepEqual(escrowPayIns(cycle), [{ payer: 'PAK', sats: 800_000n }]);
  assert.deepEqual(escrowPayouts(cycle), [{ member: 'RUS', sats: 300_000n }, { member: 'SLV', sats: 500_000n }]);
  assert.throws(() => escrowPayIns({ ...cycle, positions: [{ member: 'A', sats: 1n }] }), RangeError);
});

test('a pay-in is pending until its full amount is visible, seen below K confirmations, confirmed at K', () => {
  assert.equal(observePayIn(800_000n, [], 100, 6, 110).status, 'pending');
  assert.equal(observePayIn(800_000n, [{ txid: T, vout: 0, sats: 799_999n, height: 90 }], 100, 6, 110).status, 'pending', 'short by one sat');
  assert.equal(observePayIn(800_000n, [{ txid: T, vout: 0, sats: 800_000n, height: null }], 100, 6, 110).status, 'seen');
  const five = observePayIn(800_000n, [{ txid: T, vout: 0, sats: 800_000n, height: 96 }], 100, 6, 110);
  assert.deepEqual([five.status, five.confirmations], ['seen', 5]);
  const six = observePayIn(800_000n, [{ txid: T, vout: 0, sats: 800_000n, height: 95 }], 100, 6, 110);
  assert.deepEqual([six.status, six.confirmations], ['confirmed', 6]);
  // Two payments add up; the one that completes the amount sets the confirmations.
  const two = observePayIn(800_000n, [{ txid: T, vout: 1, sats: 300_000n, height: 99 }, { txid: T, vout: 0, sats: 500_000n, height: 80 }], 100, 6, 110);
  assert.deepEqual([two.status, two.confirmations], ['seen', 2]);
});

test('a reorged pay-in (its block gone, the transaction dropped) is pending again', () => {
  const before = observePayIn(800_000n, [{ txid: T, vout: 0, sats: 800_000n, height: 95 }], 100, 6, 110);
  assert.equal(before.status, 'confirmed');
  assert.equal(observePayIn(800_000n, [], 94, 6, 110).status, 'pending');
  assert.equal(observePayIn(800_000n, [{ txid: T, vout: 0, sats: 800_000n, height: null }], 94, 6, 110).status, 'seen', 'back in the mempool');
});

function tracked(outputs: { sats: bigint; height: number | null; vout?: number }[], tip: number, deadline: number): TrackedPayIn[] {
  return [{ payer: 'PAK', expected: 800_000n, observation: observePayIn(800_000n, outputs.map((o) => ({ txid: T, vout: o.vout ?? 0, sats: o.sats, height: o.height })), tip, 6, deadline) }];
}

test('payout is ready only when every pay-in has K confirmations, and spends exactly the pay-in outputs', () => {
  const waiting = decideEscrow({ cycle, payIns: tracked([{ sats: 800_000n, height: 98 }], 100, 110), tipHeight: 100, deadlineHeight: 110 });
  assert.deepEqual(waiting, { kind: 'waiting', pending: ['PAK'], blocksToDeadline: 10 });
  const ready = decideEscrow({ cycle, payIns: tracked([{ sats: 800_000n, height: 98 }], 103, 110), tipHeight: 103, deadlineHeight: 110 });
  assert.equal(ready.kind, 'payout-ready');
  if (ready.kind !== 'payout-ready') return;
  assert.deepEqual(ready.spend, [{ txid: T, vout: 0 }]);
  assert.equal(ready.spendSats, 800_000n);
  assert.deepEqual(ready.payouts.map((p) => [p.member, p.sats]), [['RUS', 300_000n], ['SLV', 500_000n]]);
  // Mined by the deadline, confirmed after it: still a payout.
  assert.equal(decideEscrow({ cycle, payIns: tracked([{ sats: 800_000n, height: 110 }], 115, 110), tipHeight: 115, deadlineHeight: 110 }).kind, 'payout-ready');
});

test('a payer not mined by the deadline rescinds the cycle: what arrived is refunded, the defaulter recorded, a re-net asked', () => {
  const d = decideEscrow({ cycle, payIns: tracked([{ sats: 300_000n, height: 105 }], 111, 110), tipHeight: 111, deadlineHeight: 110 });
  assert.equal(d.kind, 'rescind');
  if (d.kind !== 'rescind') return;
  assert.deepEqual(d.defaulters, ['PAK']);
  assert.deepEqual(d.refunds, [{ payer: 'PAK', sats: 300_000n, spend: [{ txid: T, vout: 0 }] }]);
  assert.deepEqual(d.renet.excludeMembers, ['PAK']);
  assert.equal(d.renet.cycleId, 'W01');
  // At the deadline itself it is still waiting.
  assert.equal(decideEscrow({ cycle, payIns: tracked([], 110, 110), tipHeight: 110, deadlineHeight: 110 }).kind, 'waiting');
  // Nothing arrived: rescinded with no refund.
  const none = decideEscrow({ cycle, payIns: tracked([{ sats: 800_000n, height: null }], 111, 110), tipHeight: 111, deadlineHeight: 110 });
  assert.equal(none.kind === 'rescind' && none.refunds.length, 0, 'a mempool pay-in is not refunded (it has not arrived)');
});

test('the fee is shared in proportion to amounts, the shares sum to the fee exactly, dust refused', () => {
  const r = shareFee([{ member: 'SLV', sats: 500_000n }, { member: 'RUS', sats: 300_000n }], 1_001n, 294n);
  assert.equal(r.reduce((s, x) => s + x.feeShare, 0n), 1_001n);
  assert.deepEqual(r.map((x) => [x.member, x.sats]), [['SLV', 499_374n], ['RUS', 299_625n]]);
  assert.throws(() => shareFee([{ member: 'SLV', sats: 500n }], 300n, 294n), { code: 'DUST_OUTPUT' });
});
