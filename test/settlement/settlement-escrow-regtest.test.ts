// Alliance settlement on chain (issue #16 item 5) on the embedded regtest node, SQLite and
// PostgreSQL: three member states, each with its own 2-of-3 vault, and a 2-of-3 alliance vault,
// all spending under a policy that needs 1 of finance AND 1 of central-bank.
// - escrow: the net payer pays in (its own proposal, from its instruction file), the pay-in is
//   seen at 1 confirmation and confirmed at exactly 6; the payout is ONE batched proposal in the
//   alliance vault spending only the pay-in; the node accepts it; every vault's balance moves by its
//   net minus fees (the payer: its net plus its pay-in fee; each receiver: its net minus its share
//   of the payout fee, the shares summing to the fee); the alliance vault ends empty;
// - rescind: a payer mined after the deadline → both pay-ins refunded in ONE transaction, the
//   defaulter recorded, a re-net without it asked for;
// - reorg: a confirmed pay-in whose block is reorged out (transaction dropped) is pending again;
// - direct: the payer's instruction file → `soberana spend propose --from-instruction` → one
//   proposal with one batched payment to the receivers' fresh addresses; a file for another
//   network is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { openEscrow, proposeEscrowPayout, proposeEscrowRefund, readEscrow, trackEscrow } from '../../src/app/settlement/escrow.ts';
import { openDirect, settlementInstructions } from '../../src/app/settlement/direct.ts';
import { buildInstruction, serializeInstruction } from '../../src/core/settlement/instruction.ts';
import { setupEscrowWorld, cycleOf, payInOf, FEE_RATE, MEMBER_CODES as MEMBERS, type EscrowWorld as World } from './escrow-regtest-fixture.ts';

const regtest = useRegtestNode();
const runCli = cliInProcess();
const setup = (node: Parameters<typeof setupEscrowWorld>[0], url: string): Promise<World> => setupEscrowWorld(node, url, 140);

forEachEngine('settlement on chain, regtest', (t) => {
  let w: World;

  test('escrow: pay-in seen, confirmed at K=6 block by block; one batched payout from the alliance vault; balances move by the nets minus fees', async () => {
    w = await setup(regtest.node(), await t.url());
    // PAK owes 2,000,000 sats net; RUS receives 1,400,000 and SLV 600,000.
    const cycle = cycleOf('W01', 'escrow', { PAK: -2_000_000n, RUS: 1_400_000n, SLV: 600_000n }, [['PAK', 'RUS', 1_400_000n], ['PAK', 'SLV', 600_000n]]);
    const before = Object.fromEntries(await Promise.all(MEMBERS.map(async (c) => [c, await w.balance(c)] as const)));
    const { payIns } = await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.name, deadlineBlocks: 20 });
    assert.deepEqual(payIns.map((p) => [p.payer, p.sats, p.status]), [['PAK', 2_000_000n, 'pending']]);
    await assert.rejects(openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.name }), { code: 'ALREADY_EXISTS' });

    const due = await payInOf(w, 'W01', 'PAK');
    assert.equal(due.sats, 2_000_000n);
    const payIn = await w.pay('PAK', [due], 'settlement W01 pay-in');
    await w.sync();
    assert.equal((await trackEscrow(w.deps, 'W01')).payIns[0]?.status, 'seen', 'in the mempool: seen');

    for (let conf = 1; conf <= 6; conf++) {
      await w.node.mine(1);
      await w.sync();
      const v = await trackEscrow(w.deps, 'W01');
      assert.equal(v.payIns[0]?.confirmations, conf);
      assert.equal(v.payIns[0]?.status, conf < 6 ? 'seen' : 'confirmed', `after ${conf} confirmation(s)`);
      if (conf < 6) await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'W01', feeRateSatPerKvb: FEE_RATE }), { code: 'INVALID_STATE' });
    }
    assert.equal(await w.balance('PAK'), (before.PAK as bigint) - 2_000_000n - payIn.fee, 'the payer paid its net plus its own pay-in fee');

    const r = await proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'W01', feeRateSatPerKvb: FEE_RATE });
    const p = r.proposal;
    assert.ok(p);
    assert.equal(p.vaultId, w.alliance.id);
    assert.equal(p.state, 'proposed', "the alliance's own quorum applies");
    assert.deepEqual(p.inputs.map((i) => i.txid), [payIn.txid], 'spends only the pay-in');
    assert.equal(p.outputs.length, 2, 'one batched payout to both receivers');
    assert.equal(p.changeIndex, null, 'nothing left in the alliance vault');
    const shares = r.transfers.reduce((s, x) => s + x.feeShare, 0n);
    assert.equal(shares, p.feeSats, 'the receivers share the payout fee exactly');
    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'W01', feeRateSatPerKvb: FEE_RATE }), { code: 'INVALID_STATE' });

    const txid = await w.signAndBroadcast(p.id, 'alliance');
    await w.node.mine(1);
    await w.sync();
    assert.equal((await w.deps.spends.proposal(p.id))?.state, 'confirmed', 'the node accepted and mined the payout');
    assert.equal((await w.deps.vaults.transactions(w.alliance.id)).filter((x) => x.txid === txid).length, 1);
    for (const t of r.transfers) {
      const code = t.member;
      const net = code === 'RUS' ? 1_400_000n : 600_000n;
      assert.equal(t.sats, net - t.feeShare);
      assert.equal(await w.balance(code), (before[code] as bigint) + net - t.feeShare, `${code} receives its net minus its fee share`);
    }
    assert.equal(await w.balance('alliance'), 0n, 'the alliance vault holds nothing after the payout');
    const view = await readEscrow(w.deps, 'W01');
    assert.equal(view.onchain.phase, 'payout-proposed');
    assert.equal(view.proposal?.state, 'confirmed');
  });

  test('rescind: a payer mined after the deadline; every pay-in that arrived is refunded in ONE transaction; the defaulter is recorded and a re-net asked', async () => {
    const cycle = cycleOf('W02', 'escrow', { PAK: -500_000n, RUS: -300_000n, SLV: 800_000n }, [['PAK', 'SLV', 500_000n], ['RUS', 'SLV', 300_000n]]);
    const before = { PAK: await w.balance('PAK'), RUS: await w.balance('RUS'), SLV: await w.balance('SLV') };
    const { onchain } = await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.name, deadlineBlocks: 2 });
    const pak = await w.pay('PAK', [await payInOf(w, 'W02', 'PAK')], 'W02 pay-in');
    await w.node.mine(1);
    await w.sync();
    await assert.rejects(proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'W02', feeRateSatPerKvb: FEE_RATE }), { code: 'INVALID_STATE' }, 'before the deadline: no rescind');
    await w.node.mine(2); // past the deadline
    const rus = await w.pay('RUS', [await payInOf(w, 'W02', 'RUS')], 'W02 pay-in, late');
    await w.node.mine(1);
    await w.sync();
    const v = await trackEscrow(w.deps, 'W02');
    assert.ok(v.tipHeight > (onchain.deadlineHeight as number));
    assert.equal(v.decision?.kind, 'rescind');
    await assert.rejects(proposeEscrowPayout(w.deps, { actor: 'luis', cycleId: 'W02', feeRateSatPerKvb: FEE_RATE }), { code: 'INVALID_STATE' });

    const r = await proposeEscrowRefund(w.deps, { actor: 'luis', cycleId: 'W02', feeRateSatPerKvb: FEE_RATE });
    assert.deepEqual(r.defaulters, ['RUS']);
    assert.deepEqual(r.renet, { cycleId: 'W02', excludeMembers: ['RUS'], reason: `RUS missed the pay-in deadline at height ${onchain.deadlineHeight}` });
    const p = r.proposal;
    assert.ok(p);
    assert.deepEqual(p.inputs.map((i) => i.txid).sort(), [pak.txid, rus.txid].sort(), 'both pay-ins, nothing else');
    assert.equal(p.outputs.length, 2, 'one transaction refunds both');
    await w.signAndBroadcast(p.id, 'alliance');
    await w.node.mine(1);
    await w.sync();
    assert.equal((await w.deps.spends.proposal(p.id))?.state, 'confirmed');
    for (const [code, fee] of [['PAK', pak.fee], ['RUS', rus.fee]] as const) {
      const share = r.transfers.find((x) => x.member === code)?.feeShare ?? -1n;
      assert.equal(await w.balance(code), before[code] - fee - share, `${code} gets its pay-in back, less its pay-in fee and its share of the refund fee`);
    }
    assert.equal(await w.balance('SLV'), before.SLV, 'the receiver is paid nothing from a rescinded cycle');
    assert.equal(await w.balance('alliance'), 0n);
    const stored = await w.deps.onchain.cycle('W02');
    assert.equal(stored?.phase, 'refund-proposed');
    assert.deepEqual(stored?.defaulters, ['RUS']);
  });

  test('reorg: a confirmed pay-in whose block leaves the chain (its transaction dropped) is pending again', async () => {
    const cycle = cycleOf('W03', 'escrow', { PAK: -300_000n, SLV: 300_000n }, [['PAK', 'SLV', 300_000n]]);
    await openEscrow(w.deps, { actor: 'luis', cycle, members: w.members, vault: w.alliance.name, deadlineBlocks: 50 });
    await w.pay('PAK', [await payInOf(w, 'W03', 'PAK')], 'W03 pay-in');
    const [block] = await w.node.mine(1);
    await w.node.mine(1);
    await w.sync();
    let v = await trackEscrow(w.deps, 'W03');
    assert.deepEqual([v.payIns[0]?.status, v.payIns[0]?.confirmations], ['seen', 2]);
    await w.node.invalidateBlock(block ?? '', { resubmit: false });
    await w.node.mine(3);
    await w.sync();
    v = await trackEscrow(w.deps, 'W03');
    assert.equal(v.payIns[0]?.status, 'pending');
    assert.deepEqual(v.changes, [['PAK', 'seen', 'pending']]);
    assert.equal((await w.deps.onchain.payIns('W03'))[0]?.status, 'pending', 'stored');
  });

  test('direct: the payer imports its instruction file with "spend propose --from-instruction": one proposal, one batched payment; another network refused', async () => {
    const cycle = cycleOf('W04', 'direct', { RUS: -700_000n, PAK: 400_000n, SLV: 300_000n }, [['RUS', 'PAK', 400_000n], ['RUS', 'SLV', 300_000n]]);
    await openDirect(w.deps, { actor: 'luis', cycle, members: w.members });
    const files = await settlementInstructions(w.deps, 'W04');
    assert.deepEqual(files.map((f) => f.fileName), ['W04-RUS.json']);
    assert.deepEqual(await settlementInstructions(w.deps, 'W04'), files, 'the same file every time (addresses kept)');
    const ins = files[0]?.instruction;
    assert.ok(ins);
    const dir = mkdtempSync(join(tmpdir(), 'soberana-instruction-'));
    try {
      const file = join(dir, 'W04-RUS.json');
      writeFileSync(file, files[0]?.text ?? '');
      const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_DB: w.url, SOBERANA_ACTOR: '' };
      const r = await runCli(['spend', 'propose', '--as', 'luis', '--vault', w.vaults.RUS?.name ?? '', '--from-instruction', file, '--fee-rate', '2', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { proposal: { vaultId: string; outputs: { address: string; sats: string }[]; memo: string } };
      assert.equal(out.proposal.vaultId, w.vaults.RUS?.id);
      assert.deepEqual(out.proposal.outputs.map((o) => [o.address, BigInt(o.sats)]), ins.payments.map((p) => [p.address, p.sats]), 'one batched payment to every receiver');
      assert.match(out.proposal.memo, /W04/);
      const mine = (await w.deps.vaults.addresses(w.vaults.PAK?.id ?? '')).map((a) => a.address);
      assert.ok(mine.includes(ins.payments.find((p) => p.member === 'PAK')?.address ?? ''), "PAK is paid at an address of its own receive vault");

      // The same file through `settlement instructions`, and the escrow seen through the CLI.
      const outDir = join(dir, 'out');
      const written = await runCli(['settlement', 'instructions', 'W04', '--out', outDir, '--json'], { env });
      assert.equal(written.code, 0, written.stderr);
      assert.equal(readFileSync(join(outDir, 'W04-RUS.json'), 'utf8'), files[0]?.text);
      const status = await runCli(['settlement', 'escrow', 'status', 'W01', '--json'], { env });
      assert.equal(status.code, 0, status.stderr);
      const st = JSON.parse(status.stdout) as { cycles: { phase: string; proposal: { state: string } | null; payIns: { status: string }[] }[] };
      assert.deepEqual([st.cycles[0]?.phase, st.cycles[0]?.proposal?.state, st.cycles[0]?.payIns[0]?.status], ['payout-proposed', 'confirmed', 'confirmed']);
      const payoutAgain = await runCli(['settlement', 'escrow', 'payout', 'W01', '--as', 'luis', '--fee-rate', '2'], { env });
      assert.notEqual(payoutAgain.code, 0, 'a second payout is refused');
      assert.match(payoutAgain.stderr, /payout-proposed/);

      const mainnet = join(dir, 'main.json');
      writeFileSync(mainnet, serializeInstruction(buildInstruction({ ...ins, network: 'main' })));
      const bad = await runCli(['spend', 'propose', '--as', 'luis', '--vault', w.vaults.RUS?.name ?? '', '--from-instruction', mainnet, '--fee-rate', '2'], { env });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /main/);
      assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line, no stack');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await w.close();
    }
  });
});
