// The escrow state machine's answers to the on-chain gaps of issue #16, pure: a receiver whose
// payout address screening rejected rescinds the cycle (refund of what arrived, re-net without the
// receiver) even before the deadline; late pay-ins to a rescinded escrow are refunded once mined and
// named while unconfirmed; a direct payer's batched payment is paid only when every payment of it
// has K confirmations, and goes back to pending when a payment leaves the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideEscrow, directPaymentStatus, lateRefunds, observePayIn } from '../../src/core/settlement/escrow.ts';
import type { ClosedCycle } from '../../src/core/settlement/types.ts';
import type { Sats } from '../../src/core/money.ts';

const cycle: ClosedCycle = {
  id: 'W09', cutoff: '2026-01-05T00:00:00Z', rates: [], mode: 'escrow',
  positions: [{ member: 'SLV', sats: 500_000n }, { member: 'PAK', sats: -500_000n }],
  transfers: [{ from: 'PAK', to: 'SLV', sats: 500_000n as Sats }],
};
const T = 'a'.repeat(64);
const U = 'b'.repeat(64);

test('a receiver whose payout address screening rejected: the cycle is rescinded at once, pay-ins refunded, re-net without the receiver', () => {
  const obs = observePayIn(500_000n, [{ txid: T, vout: 0, sats: 500_000n, height: 95 }], 100, 6, 200);
  const payIns = [{ payer: 'PAK', expected: 500_000n, observation: obs }];
  assert.equal(decideEscrow({ cycle, payIns, tipHeight: 100, deadlineHeight: 200 }).kind, 'payout-ready', 'without the rejection');
  const d = decideEscrow({ cycle, payIns, tipHeight: 100, deadlineHeight: 200, refused: ['SLV'] });
  assert.equal(d.kind, 'rescind');
  if (d.kind !== 'rescind') return;
  assert.deepEqual(d.defaulters, []);
  assert.deepEqual(d.refused, ['SLV']);
  assert.deepEqual(d.refunds, [{ payer: 'PAK', sats: 500_000n, spend: [{ txid: T, vout: 0 }] }]);
  assert.deepEqual(d.renet.excludeMembers, ['SLV']);
  assert.match(d.renet.reason, /SLV was rejected by screening/);
});

test('late pay-ins: mined ones are refunded to their payer, unconfirmed ones are named and wait', () => {
  assert.deepEqual(lateRefunds([{ payer: 'PAK', outputs: [] }]), { refunds: [], unconfirmed: [] });
  const r = lateRefunds([
    { payer: 'RUS', outputs: [{ txid: U, vout: 1, sats: 7_000n, height: 120 }, { txid: T, vout: 0, sats: 3_000n, height: 121 }] },
    { payer: 'PAK', outputs: [{ txid: T, vout: 2, sats: 9_000n, height: null }] },
  ]);
  assert.deepEqual(r.refunds, [{ payer: 'RUS', sats: 10_000n, spend: [{ txid: T, vout: 0 }, { txid: U, vout: 1 }] }]);
  assert.deepEqual(r.unconfirmed, ['PAK']);
});

test('a direct payer is paid only when every payment of its batch has K confirmations; a payment gone from the chain is pending again', () => {
  const both = (h1: number | null, h2: number | null) => [
    { expected: 1_000n, outputs: [{ txid: T, vout: 0, sats: 1_000n, height: h1 }] },
    { expected: 2_000n, outputs: [{ txid: T, vout: 1, sats: 2_000n, height: h2 }] },
  ];
  assert.deepEqual(directPaymentStatus(both(99, 99), 100, 2), { status: 'paid', confirmations: 2, txid: T, height: 99 });
  assert.equal(directPaymentStatus(both(100, 100), 100, 2).status, 'seen', 'one confirmation of two');
  assert.equal(directPaymentStatus(both(null, null), 100, 2).status, 'seen', 'in the mempool');
  assert.deepEqual(directPaymentStatus([{ expected: 1_000n, outputs: [] }, { expected: 2_000n, outputs: [{ txid: T, vout: 1, sats: 2_000n, height: 99 }] }], 100, 2), { status: 'pending', confirmations: 0, txid: T, height: 99 }, 'one payment not on chain');
  assert.throws(() => directPaymentStatus([], 100, 2), RangeError);
});
