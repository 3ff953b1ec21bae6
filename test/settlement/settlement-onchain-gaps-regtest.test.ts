// Alliance settlement on chain (issue #16 items 5 and 6), the cases that once needed an operator:
// embedded regtest node, SQLite and PostgreSQL, one world per engine (escrow-regtest-fixture.ts).
// - screening at payout: a screening list naming the receiver's next address holds the payout (a
//   screening hold, no proposal) until a compliance officer releases it; the released payout pays
//   exactly the address that was screened;
// - a rejected payout address: the cycle cannot pay that receiver, so it is rescinded — every
//   pay-in refunded, the cycle handed back to be netted again without the refused receiver;
// - crash between proposing and recording: a fault-injecting wrapper around the real store
//   (SqlSettlementOnchainStore) fails `recordSpend` once, after proposeSpend made the proposal; the
//   retry adopts that proposal (found by the intent tag in its memo) instead of proposing again;
// - a late pay-in (still in the mempool when the cycle was rescinded) is not kept: once mined it
//   gets a follow-up refund, signed, broadcast and confirmed;
// - direct mode: the payer's batched payment is tracked block by block; a reorg that drops it puts
//   it back to pending; at K confirmations it is paid and the closed cycle is settled; a receiver
//   address on the screening list holds the instructions, and rejected, the cycle is handed back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { SqlSettlementOnchainStore } from '../../src/adapters/store/settlement-onchain-store.ts';
import { openEscrow, proposeEscrowPayout, proposeEscrowRefund, readEscrow, trackAllOnchain, type SettlementOnchainDeps } from '../../src/app/settlement/escrow.ts';
import { openDirect, settlementInstructions, trackDirect } from '../../src/app/settlement/direct.ts';
import { decideHold, listHolds, loadScreeningList } from '../../src/app/settlement/screening.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import { decideInvoices, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { closeCycle } from '../../src/app/settlement/close-cycle.ts';
import { parseInstruction } from '../../src/core/settlement/instruction.ts';
import type { AuditFields } from '../../src/core/spend/types.ts';
import type { PlannedTransfer, SpendIntentStatus } from '../../src/core/settlement/onchain-store.ts';
import { hexToBytes } from '@noble/hashes/utils.js';
import { setupEscrowWorld, cycleOf, payInOf, FEE_RATE, type EscrowWorld } from './escrow-regtest-fixture.ts';
import { RATES } from './settlement-fixture.ts';

const regtest = useRegtestNode();
const COMPLIANCE = { actor: 'compliance-officer', role: 'admin', member: null };

/** A real store whose recordSpend fails once, AFTER the proposal was made: a crash between the two steps. */
class CrashBeforeRecord extends SqlSettlementOnchainStore {
  crashes = 1;
  override async recordSpend(cycleId: string, spend: { kind: 'payout' | 'refund'; proposalId: number | null; transfers: readonly PlannedTransfer[]; defaulters: readonly string[]; intentSeq?: number | undefined }, audit: AuditFields, atMs: number): Promise<void> {
    if (this.crashes > 0) {
      this.crashes--;
      throw new Error('injected crash between proposeSpend and recordSpend');
    }
    return super.recordSpend(cycleId, spend, audit, atMs);
  }

  override async updateSpendIntent(cycleId: string, seq: number, from: SpendIntentStatus, change: { status: SpendIntentStatus; transfers?: readonly PlannedTransfer[] | undefined; proposalId?: number | undefined }, atMs: number, audit?: AuditFields): Promise<void> {
    if (change.status === 'proposed' && this.crashes > 0) {
      this.crashes--;
      throw new Error('injected crash between proposeSpend and recording the follow-up refund');
    }
    return super.updateSpendIntent(cycleId, seq, from, change, atMs, audit);
  }
}

forEachEngine('settlement on chain: screening, crash recovery, late pay-ins, direct settlement (regtest)', (t) => {
  let w: EscrowWorld;
  let listedSlv: string;
  let listedRus: string;

  test('a payout address on the screening list holds the payout (no proposal) until a compliance officer releases it; then exactly that address is paid', async () => {
    w = await setupEscrowWorld(regtest.node(), await t.url(), 400);
    listedSlv = await w.nextReceiveAddress('SLV');
    listedRus = await w.nextReceiveAddress('RUS');
    await loadScreeningList(w.sdeps, COMPLIANCE, JSON.stringify({ source: 'test list', entries: [{ id: 'E1', addresses: [listedSlv] }, { id: 'E2', addresses: [listedRus] }] }), 'list.json');

    const cycle = cycleOf('G01', 'escrow', { PAK: -300_000n, SLV: 300_000n }, [['PAK', 'SLV', 300_000n]]);
    await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.id, deadlineBlocks: 30, confirmations: 1 });
    await w.pay('PAK', [await payInOf(w, 'G01', 'PAK')], 'G01 pay-in');
    await w.node.mine(1);
    await w.sync();
    const proposalsBefore = (await w.deps.spends.proposals(w.alliance.id)).length;

    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G01', feeRateSatPerKvb: FEE_RATE }), (e: Error & { code?: string }) => e.code === 'INVALID_STATE' && /held by screening/.test(e.message) && e.message.includes(listedSlv));
    assert.equal((await w.deps.spends.proposals(w.alliance.id)).length, proposalsBefore, 'no proposal while held');
    let holds = (await listHolds(w.sdeps, 'pending')).filter((h) => h.subject === listedSlv);
    assert.equal(holds.length, 1, 'one address hold raised');
    const [intent] = await w.deps.onchain.spendIntents('G01');
    assert.deepEqual([intent?.kind, intent?.status], ['payout', 'held']);

    // Asking again: still held, no second hold, no other address derived.
    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G01', feeRateSatPerKvb: FEE_RATE }), { code: 'INVALID_STATE' });
    assert.equal((await listHolds(w.sdeps)).filter((h) => h.kind === 'address').length, 1);
    assert.equal((await w.deps.onchain.spendIntents('G01')).length, 1);

    const hold = holds[0];
    assert.ok(hold);
    await decideHold(w.sdeps, COMPLIANCE, hold.id, 'release', 'same name, different entity (registry check)');
    const r = await proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G01', feeRateSatPerKvb: FEE_RATE });
    assert.ok(r.proposal);
    assert.deepEqual(r.proposal.outputs.map((o) => o.address), [listedSlv], 'the released address is the one paid');
    assert.match(r.proposal.memo ?? '', /\[settlement-intent:G01\/1\]/);
    assert.equal((await w.deps.onchain.spendIntents('G01'))[0]?.status, 'proposed');
    holds = await listHolds(w.sdeps, 'pending');
    assert.equal(holds.length, 0);
    const audit = (await w.deps.spends.auditLog()).map((e) => e.action);
    for (const a of ['settlement.screening.hold', 'settlement.screening.release', 'settlement.escrow.screening-cleared', 'settlement.escrow.payout']) assert.ok(audit.includes(a), `audit has ${a}`);
  });

  test('a rejected payout address: the cycle cannot pay that receiver — it is rescinded, every pay-in refunded, and handed back to be netted without it', async () => {
    const cycle = cycleOf('G02', 'escrow', { PAK: -200_000n, RUS: 200_000n }, [['PAK', 'RUS', 200_000n]]);
    await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.id, deadlineBlocks: 30, confirmations: 1 });
    const pak = await w.pay('PAK', [await payInOf(w, 'G02', 'PAK')], 'G02 pay-in');
    await w.node.mine(1);
    await w.sync();
    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G02', feeRateSatPerKvb: FEE_RATE }), /held by screening/);
    const hold = (await listHolds(w.sdeps, 'pending')).find((h) => h.subject === listedRus);
    assert.ok(hold);
    await decideHold(w.sdeps, COMPLIANCE, hold.id, 'reject', 'listed entity confirmed');
    const v = await readEscrow(w.deps, 'G02');
    assert.equal(v.decision?.kind, 'rescind');
    assert.deepEqual(v.decision?.kind === 'rescind' ? [v.decision.refused, v.decision.defaulters, v.decision.renet.excludeMembers] : null, [['RUS'], [], ['RUS']]);
    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G02', feeRateSatPerKvb: FEE_RATE }), /cannot pay RUS/);

    const r = await proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'G02', feeRateSatPerKvb: FEE_RATE });
    assert.ok(r.proposal);
    assert.deepEqual(r.proposal.inputs.map((i) => i.txid), [pak.txid], 'the pay-in goes back');
    assert.deepEqual(r.transfers.map((x) => x.member), ['PAK']);
    assert.ok(!r.proposal.outputs.some((o) => o.address === listedRus), 'nothing to the rejected address');
    assert.deepEqual(r.renet?.excludeMembers, ['RUS']);
    assert.deepEqual((await w.deps.onchain.spendIntents('G02')).map((i) => [i.kind, i.status]), [['payout', 'abandoned'], ['refund', 'proposed']]);
    assert.equal((await w.deps.onchain.cycle('G02'))?.phase, 'refund-proposed');
  });

  test('a crash between proposing and recording: the retry adopts the proposal made (found by its intent tag), never a second one', async () => {
    const cycle = cycleOf('G03', 'escrow', { PAK: -250_000n, SLV: 250_000n }, [['PAK', 'SLV', 250_000n]]);
    await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.id, deadlineBlocks: 30, confirmations: 1 });
    await w.pay('PAK', [await payInOf(w, 'G03', 'PAK')], 'G03 pay-in');
    await w.node.mine(1);
    await w.sync();
    const known = new Set((await w.deps.spends.proposals(w.alliance.id)).map((p) => p.id));
    const before = known.size;
    const crashing: SettlementOnchainDeps = { ...w.deps, onchain: new CrashBeforeRecord(w.db) };
    await assert.rejects(proposeEscrowPayout(crashing, { actor: 'luis', cycleId: 'G03', feeRateSatPerKvb: FEE_RATE }), /injected crash/);
    const made = (await w.deps.spends.proposals(w.alliance.id)).filter((p) => !known.has(p.id));
    assert.equal(made.length, 1, 'the proposal was made before the crash');
    assert.equal((await w.deps.onchain.cycle('G03'))?.phase, 'collecting', 'but not recorded');
    assert.equal((await w.deps.onchain.spendIntents('G03'))[0]?.status, 'claimed', 'the intent was recorded first');

    const r = await proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'G03', feeRateSatPerKvb: FEE_RATE });
    assert.equal(r.proposal?.id, made[0]?.id, 'the retry adopts it');
    assert.equal((await w.deps.spends.proposals(w.alliance.id)).length, before + 1, 'no second proposal');
    const stored = await w.deps.onchain.cycle('G03');
    assert.deepEqual([stored?.phase, stored?.payoutProposalId], ['payout-proposed', made[0]?.id]);
    assert.deepEqual((await w.deps.onchain.transfers('G03')).map((x) => [x.member, x.sats + x.feeShare]), [['SLV', 250_000n]]);
  });

  test('a late pay-in to a rescinded escrow (in the mempool at rescind time) is refunded by a follow-up refund once mined', async () => {
    const cycle = cycleOf('G04', 'escrow', { PAK: -150_000n, RUS: -100_000n, SLV: 250_000n }, [['PAK', 'SLV', 150_000n], ['RUS', 'SLV', 100_000n]]);
    await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.id, deadlineBlocks: 2, confirmations: 1 });
    const pak = await w.pay('PAK', [await payInOf(w, 'G04', 'PAK')], 'G04 pay-in');
    await w.node.mine(3); // past the deadline
    const rus = await w.pay('RUS', [await payInOf(w, 'G04', 'RUS')], 'G04 pay-in, late');
    await w.sync(); // RUS's pay-in is in the mempool
    const first = await proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'G04', feeRateSatPerKvb: FEE_RATE });
    assert.deepEqual(first.defaulters, ['RUS']);
    assert.deepEqual(first.proposal?.inputs.map((i) => i.txid), [pak.txid], 'the first refund: what was mined');
    let v = await readEscrow(w.deps, 'G04');
    assert.deepEqual(v.decision, { kind: 'late-refund', refunds: [], unconfirmed: ['RUS'] }, 'the late pay-in is seen, not forgotten');
    await assert.rejects(proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'G04', feeRateSatPerKvb: FEE_RATE }), /unconfirmed/);

    await w.node.mine(1);
    await w.sync();
    v = await readEscrow(w.deps, 'G04');
    assert.equal(v.decision?.kind, 'late-refund');
    // The follow-up refund crashes once between its proposal and its recording; the retry records that proposal.
    const known = new Set((await w.deps.spends.proposals(w.alliance.id)).map((p) => p.id));
    await assert.rejects(proposeEscrowRefund({ ...w.deps, onchain: new CrashBeforeRecord(w.db) }, { actor: 'luis', cycleId: 'G04', feeRateSatPerKvb: FEE_RATE }), /injected crash/);
    const made = (await w.deps.spends.proposals(w.alliance.id)).filter((p) => !known.has(p.id));
    assert.equal(made.length, 1);
    const late = await proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'G04', feeRateSatPerKvb: FEE_RATE });
    assert.ok(late.proposal);
    assert.equal(late.proposal.id, made[0]?.id, 'adopted, not proposed again');
    assert.equal((await w.deps.spends.proposals(w.alliance.id)).filter((p) => !known.has(p.id)).length, 1);
    assert.deepEqual(late.proposal.inputs.map((i) => i.txid), [rus.txid], 'the follow-up spends only the late pay-in');
    assert.deepEqual(late.transfers.map((x) => x.member), ['RUS']);
    assert.match(late.proposal.memo ?? '', /late pay-in/);
    assert.equal((await readEscrow(w.deps, 'G04')).decision, null, 'nothing late left unrefunded');
    await w.signAndBroadcast(late.proposal.id, 'alliance');
    await w.node.mine(1);
    await w.sync();
    assert.equal((await w.deps.spends.proposal(late.proposal.id))?.state, 'confirmed', 'the node accepted and mined the follow-up refund');
    assert.deepEqual((await w.deps.onchain.spendIntents('G04')).map((i) => [i.kind, i.status]), [['refund', 'proposed'], ['refund', 'proposed']]);
    assert.ok((await w.deps.spends.auditLog()).some((e) => e.action === 'settlement.escrow.late-refund'));
  });

  test('direct mode: the payer\'s batched payment is tracked to K confirmations (a reorg puts it back to pending); all paid → the cycle is settled', async () => {
    try {
      for (const m of w.members) await addAllianceMember(w.sdeps, COMPLIANCE, { ...m, apiIdentity: `id-${m.code.toLowerCase()}` });
      for (const [exporter, reference, amount] of [['PAK', 'PAK-TEX-1', '200.00'], ['SLV', 'SLV-CAFE-1', '100.00']] as const) {
        await submitInvoice(w.sdeps, { actor: exporter, role: 'operator', member: exporter }, { reference, exporter, importer: 'RUS', amount, currency: 'USD', due: '2026-01-04' });
        await decideInvoices(w.sdeps, { actor: 'RUS', role: 'operator', member: 'RUS' }, [{ exporter, reference }], 'confirm');
      }
      const { cycle: stored } = await closeCycle(w.sdeps, COMPLIANCE, { cutoff: '2026-01-05', mode: 'direct', rates: RATES });
      const cycle = await w.deps.cycles.closedCycle(stored.id);
      assert.ok(cycle);
      await openDirect(w.deps, { actor: 'luis', cycle, members: await w.deps.cycles.members(), confirmations: 2 });
      const [file] = await settlementInstructions(w.deps, cycle.id);
      assert.equal(file?.payer, 'RUS');
      const ins = parseInstruction(file?.text ?? '');
      let tracked = await trackDirect(w.deps, cycle.id);
      assert.deepEqual(tracked.payments.map((p) => [p.payer, p.status]), [['RUS', 'pending']]);

      const paid = await w.pay('RUS', ins.payments.map((p) => ({ address: p.address, sats: p.sats })), `settlement ${cycle.id} (direct)`);
      const [block] = await w.node.mine(1);
      await w.sync();
      tracked = await trackDirect(w.deps, cycle.id);
      assert.deepEqual(tracked.payments.map((p) => [p.status, p.confirmations, p.txid]), [['seen', 1, paid.txid]]);
      assert.equal(tracked.settled, false);

      await w.node.invalidateBlock(block ?? '', { resubmit: false });
      await w.node.mine(2);
      await w.sync();
      const all = await trackAllOnchain(w.deps); // what soberana sync runs after its walk
      const direct = all.direct.find((d) => d.cycleId === cycle.id);
      assert.deepEqual(direct?.changes, [['RUS', 'seen', 'pending']], 'sync reports the direct payer going back to pending');
      tracked = await trackDirect(w.deps, cycle.id);
      assert.deepEqual(tracked.payments.map((p) => p.status), ['pending'], 'reorged out: pending again');
      assert.deepEqual(tracked.changes, [], 'stored: nothing changed since');
      assert.equal((await w.deps.cycles.cycle(cycle.id))?.status, 'closed');

      // The payer's transaction is broadcast again (same signed transaction) and mined twice.
      const hex = (await w.deps.spends.proposal(paid.proposalId))?.finalHex;
      assert.ok(hex);
      const sent = await w.node.chainSource().broadcast(hexToBytes(hex));
      assert.ok(sent.accepted, sent.accepted ? '' : sent.reason);
      await w.node.mine(1);
      await w.sync();
      assert.deepEqual((await trackDirect(w.deps, cycle.id)).payments.map((p) => [p.status, p.confirmations]), [['seen', 1]]);
      await w.node.mine(1);
      await w.sync();
      tracked = await trackDirect(w.deps, cycle.id);
      assert.deepEqual(tracked.payments.map((p) => [p.status, p.confirmations]), [['paid', 2]]);
      assert.equal(tracked.settled, true);
      assert.equal((await w.deps.cycles.cycle(cycle.id))?.status, 'settled');
      assert.equal((await trackDirect(w.deps, cycle.id)).settled, false, 'settled once');
    } catch (e) {
      await w.close();
      throw e;
    }
  });

  test('direct mode: a receiver address on the screening list holds the instructions; rejected, the cycle is handed back to be netted without that receiver', async () => {
    try {
      const listedPak = await w.nextReceiveAddress('PAK');
      await loadScreeningList(w.sdeps, COMPLIANCE, JSON.stringify({ source: 'test list v2', entries: [{ id: 'E3', addresses: [listedPak] }] }), 'list-v2.json');
      for (const [exporter, reference, amount] of [['PAK', 'PAK-TEX-2', '150.00'], ['SLV', 'SLV-CAFE-2', '50.00']] as const) {
        await submitInvoice(w.sdeps, { actor: exporter, role: 'operator', member: exporter }, { reference, exporter, importer: 'RUS', amount, currency: 'USD', due: '2026-01-11' });
        await decideInvoices(w.sdeps, { actor: 'RUS', role: 'operator', member: 'RUS' }, [{ exporter, reference }], 'confirm');
      }
      const { cycle: stored } = await closeCycle(w.sdeps, COMPLIANCE, { cutoff: '2026-01-12', mode: 'direct', rates: RATES });
      const cycle = await w.deps.cycles.closedCycle(stored.id);
      assert.ok(cycle);
      await openDirect(w.deps, { actor: 'luis', cycle, members: await w.deps.cycles.members(), confirmations: 2 });
      await assert.rejects(settlementInstructions(w.deps, cycle.id), (e: Error & { code?: string }) => e.code === 'INVALID_STATE' && /held by screening/.test(e.message) && e.message.includes(listedPak));
      const hold = (await listHolds(w.sdeps, 'pending')).find((h) => h.subject === listedPak);
      assert.ok(hold, 'the direct payment address is held');
      await decideHold(w.sdeps, COMPLIANCE, hold.id, 'reject', 'listed entity confirmed');
      await assert.rejects(settlementInstructions(w.deps, cycle.id), /netted again/);
      await trackDirect(w.deps, cycle.id);
      const after = await w.deps.cycles.cycle(cycle.id);
      assert.equal(after?.status, 'rescinded');
      assert.match(after?.note ?? '', /PAK/);
    } finally {
      await w.close();
    }
  });
});
