// Governance under concurrency, through the REAL server (buildServer + app.inject, the full
// Fastify stack) on the embedded regtest node and both engines: for each transition, ≥ 20
// requests fired at once (Promise.all), then invariants. Every governance transition runs in one
// transaction under the governance write lock, so whatever the interleaving:
//   1. approvals from 24 approvers (each twice) at once: no 5xx, 200 or 409 only; `approved` iff the
//      stored approvals meet the requirement; approvals stored == 200s == `spend.approve` entries;
//      nothing is approved after the quorum;
//   2. proposals over the same coins: exactly one proposal takes a contested coin (coin control
//      through the use case; over HTTP, an amount only that coin can pay), and 20 proposals needing
//      more coins than exist never share a coin (proposal inputs and the proposal_coins table);
//   3. reads during a broadcast: every read 200, exactly one of 5 broadcasts succeeds, and the
//      reads add nothing to the audit log; then 20 syncs at once confirm it exactly once;
//   4. a policy change approved by 24 approvers while spend approvals fly: exactly one
//      `policy.activate`, the new version active, approvals stored == 200s;
//   5. cancel / export / import / finalize / broadcast / cancel-by-replacement races: exactly one
//      winner where there can be only one, no signature lost or counted twice, never a plain cancel
//      after an export; a cancelled proposal's coins are released and a new proposal can take them.
// After every scenario: the audit log verifies, each proposal's state is what its last
// state-changing audit entry says, and the coins held are exactly the live proposals' inputs, no
// coin in two live proposals except within one replacement family (a cancel by replacement shares
// its original's coin, by design).
// The last test shows what a policy change can leave behind (an approved proposal that can neither
// collect the approval the new policy asks for nor go out for signing).
// The scenarios share one database and server per engine and run in order.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { approvalStatus } from '../../src/core/policy/approvals.ts';
import { evaluatePolicyChange } from '../../src/core/policy/policy-change.ts';
import { parsePolicyJson } from '../../src/core/policy/parse-policy.ts';
import { isDomainError } from '../../src/core/errors.ts';
import { signPsbtWithKey, type SoftwareKey } from '../../src/adapters/signers/software-signer.ts';
import {
  APPROVERS, FOREIGN, approveQuorum, assertInvariants, assertOnly, concurrencyPolicy, pay, propose, setupConcurrency, signFully, tally,
  type Env, type Reply,
} from './governance-concurrency-fixtures.ts';

const regtest = useRegtestNode();

/** Interleave several lists of request thunks (a, b, a, b, …) and fire them all at once. */
function fireAll(...lists: (() => Promise<Reply>)[][]): Promise<Reply[][]> {
  const order: { list: number; i: number; f: () => Promise<Reply> }[] = [];
  const longest = Math.max(...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) lists.forEach((l, list) => { const f = l[i]; if (f) order.push({ list, i, f }); });
  return Promise.all(order.map((o) => o.f().then((r) => ({ ...o, r })))).then((done) => lists.map((l, list) => done.filter((d) => d.list === list).sort((x, y) => x.i - y.i).map((d) => d.r)));
}

const actionsOn = async (env: Env, object: string, action: string) => (await env.spends.auditLog()).filter((e) => e.object === object && e.action === action);

forEachEngine('governance concurrency over HTTP', (t) => {
  let envP: Promise<Env> | undefined;
  const env = (): Promise<Env> => (envP ??= (async () => setupConcurrency(await regtest.ready(), await t.open()))());
  after(async () => {
    if (envP) await (await envP.catch(() => undefined))?.app.close();
  });

  test('1. 24 approvers approve at once (each twice): approved iff the stored approvals meet the requirement; one audit entry per approval', async () => {
    const e = await env();
    const id = await propose(e, e.vaultA, 50_000_000n);
    e.spends.maxInFlight = 0;
    const [first, second] = await fireAll(
      APPROVERS.map((a) => () => e.call(a.name, 'POST', `/proposals/${id}/approve`)),
      APPROVERS.map((a) => () => e.call(a.name, 'POST', `/proposals/${id}/approve`)),
    );
    const all = tally([...(first ?? []), ...(second ?? [])]);
    assert.equal(all.replies.length, 2 * APPROVERS.length);
    assertOnly(all, ['200', '409:INVALID_STATE', '409:ALREADY_EXISTS'], 'approvals');
    assert.ok(e.spends.maxInFlight >= 2, `the requests overlapped (at most ${e.spends.maxInFlight} governance transactions in flight at once)`);

    const shown = await e.call('fin-01', 'GET', `/proposals/${id}`);
    assert.equal(shown.status, 200, shown.body);
    const stored = await e.spends.approvals(id);
    const p = await e.spends.proposal(id);
    assert.ok(p && p.decision.outcome === 'approval');
    const met = approvalStatus(p.decision.requirement, stored, p.proposer).satisfied;
    assert.equal(p.state === 'approved', met, `state ${p.state}, requirement met: ${String(met)}`);
    assert.equal(p.state, 'approved', 'with 24 approvers the quorum is reached');
    assert.equal(shown.json.proposal.state, 'approved');
    assert.equal(shown.json.proposal.approvals.length, stored.length);
    assert.equal(stored.length, all.count(200), `approvals stored == 200 replies (${all.summary})`);
    for (const a of APPROVERS) {
      const ok = [first?.[APPROVERS.indexOf(a)], second?.[APPROVERS.indexOf(a)]].filter((r) => r?.status === 200).length;
      assert.ok(ok <= 1, `${a.name} approved at most once`);
      assert.equal(ok === 1, stored.some((s) => s.approverId === a.name), `${a.name}: a 200 iff an approval is stored`);
    }
    // nothing counted after the quorum: the entry that reached it is the last, and the ones before did not reach it
    const entries = await actionsOn(e, `proposal:${id}`, 'spend.approve');
    assert.equal(entries.length, stored.length, 'one spend.approve audit entry per stored approval');
    assert.deepEqual(entries.map((x) => x.actor).sort(), stored.map((s) => s.approverId).sort());
    assert.equal(entries.filter((x) => (x.details as { quorum?: boolean }).quorum === true).length, 1, 'exactly one approval reached the quorum');
    assert.equal((entries.at(-1)?.details as { quorum?: boolean }).quorum, true, 'the quorum-reaching approval is the last one stored');
    const order = entries.map((x) => stored.find((s) => s.approverId === x.actor)).filter((s) => s !== undefined);
    assert.equal(approvalStatus(p.decision.requirement, order.slice(0, -1), p.proposer).satisfied, false, 'the approvals before the last did not meet the requirement');
    await assertInvariants(e);
  });

  test('2. proposals over the same coins: one takes a contested coin; many proposals never share a coin', async () => {
    const e = await env();
    const coins = (await e.vaults.unspentTxos(e.vaultB.id)).filter((c) => c.spentTxid === null);
    const big = coins.find((c) => c.value === 200_000_000n);
    assert.ok(big, 'vault B has its 2 BTC coin');

    // Coin control is not part of the HTTP API: the body schema has no `utxos` and refuses it.
    const cc = await e.call('luis', 'POST', '/proposals', { ...pay(e.vaultB, 10_000_000n), utxos: [{ txid: big.txid, vout: big.vout }] });
    assert.equal(cc.status, 400, cc.body);

    // 2a. coin control through the use case (as `spend propose --utxo`): 20 at once on the big coin
    const results = await Promise.allSettled(Array.from({ length: 20 }, () =>
      proposeSpend(e.deps, { actor: 'luis', vault: e.vaultB.name, payments: [{ address: FOREIGN, sats: 10_000_000n }], feeRateSatPerKvb: 2000n, utxos: [{ txid: big.txid, vout: big.vout }] })));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, 'exactly one proposal takes the coin');
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(isDomainError(r.reason) && r.reason.code === 'INVALID_STATE', `refused with INVALID_STATE: ${String(r.reason)}`);
    }
    const winner = won[0]?.status === 'fulfilled' ? won[0].value.proposal : undefined;
    assert.ok(winner && winner.inputs.some((i) => i.txid === big.txid && i.vout === big.vout), 'the winner spends the contested coin');
    await assertInvariants(e);
    const cancelled = await e.call('luis', 'POST', `/proposals/${winner.id}/cancel`, { reason: 'free the coin for the HTTP round' });
    assert.equal(cancelled.status, 200, cancelled.body);

    // 2b. over HTTP: 1.5 BTC can only be paid with the 2 BTC coin (the six others make 1.2 BTC)
    const round1 = tally(await Promise.all(Array.from({ length: 20 }, (_, i) => e.call('luis', 'POST', '/proposals', pay(e.vaultB, 150_000_000n, `round 1 #${i}`)))));
    assertOnly(round1, ['201', '422:INSUFFICIENT_FUNDS'], 'round 1');
    assert.equal(round1.count(201), 1, `exactly one 201 (${round1.summary})`);
    const one = await e.spends.proposal(round1.replies.find((r) => r.status === 201)?.json.proposal.id as number);
    assert.ok(one?.inputs.some((i) => i.txid === big.txid && i.vout === big.vout), 'the winner spends the 2 BTC coin');
    await assertInvariants(e);

    // 2c. no coin control; 20 proposals of 0.15 BTC, each payable by any one free 0.2 BTC coin: more than there are coins
    const held = new Set((await e.spends.coinHolds(e.vaultB.id)).map((h) => `${h.txid}:${h.vout}`));
    const free = coins.filter((c) => !held.has(`${c.txid}:${c.vout}`));
    const round2 = tally(await Promise.all(Array.from({ length: 20 }, (_, i) => e.call('luis', 'POST', '/proposals', pay(e.vaultB, 15_000_000n, `round 2 #${i}`)))));
    assertOnly(round2, ['201', '422:INSUFFICIENT_FUNDS'], 'round 2');
    assert.equal(round2.count(201), free.length, `one proposal per free coin (${free.length} free; ${round2.summary})`);
    const ids = round2.replies.filter((r) => r.status === 201).map((r) => r.json.proposal.id as number);
    const taken = new Set<string>();
    for (const id of ids) {
      const p = await e.spends.proposal(id);
      assert.ok(p);
      for (const i of p.inputs) {
        const k = `${i.txid}:${i.vout}`;
        assert.ok(!held.has(k) && !taken.has(k), `coin ${k} of proposal ${id} is in no other live proposal`);
        taken.add(k);
      }
    }
    const holds = await e.spends.coinHolds(e.vaultB.id);
    assert.equal(holds.length, held.size + taken.size, 'the proposal_coins table holds each coin once');
    await assertInvariants(e);
  });

  test('3. reads during a broadcast: every read 200, one of 5 broadcasts succeeds, reads write nothing', async () => {
    const e = await env();
    const id = await propose(e, e.vaultA, 30_000_000n);
    await approveQuorum(e, id);
    await signFully(e, id);
    const fin = await e.call('luis', 'POST', `/proposals/${id}/finalize`);
    assert.equal(fin.status, 200, fin.body);
    const before = (await e.spends.auditLog()).length;

    const [broadcasts, lists, ones] = await fireAll(
      Array.from({ length: 5 }, () => () => e.call('luis', 'POST', `/proposals/${id}/broadcast`)),
      Array.from({ length: 20 }, (_, i) => () => e.call(APPROVERS[i]?.name ?? 'luis', 'GET', '/proposals')),
      Array.from({ length: 20 }, (_, i) => () => e.call(APPROVERS[i]?.name ?? 'luis', 'GET', `/proposals/${id}`)),
    );
    const b = tally(broadcasts ?? []);
    assertOnly(b, ['200', '409:INVALID_STATE'], 'broadcasts');
    assert.equal(b.count(200), 1, `exactly one broadcast (${b.summary})`);
    const reads = tally([...(lists ?? []), ...(ones ?? [])]);
    assert.equal(reads.replies.length, 40);
    assertOnly(reads, ['200'], 'reads');
    for (const r of ones ?? []) assert.ok(['signed', 'broadcasting', 'broadcast'].includes(r.json.proposal.state as string), `a read sees ${String(r.json.proposal.state)}`);

    const log = await e.spends.auditLog();
    assert.deepEqual(log.slice(before).map((x) => `${x.object}:${x.action}`), [`proposal:${id}:spend.broadcast.start`, `proposal:${id}:spend.broadcast`], 'only the broadcast wrote to the audit log');
    // a few more reads afterwards change nothing either
    await Promise.all([e.call('luis', 'GET', '/proposals'), e.call('luis', 'GET', `/proposals/${id}`), e.call('fin-05', 'GET', `/proposals/${id}/policy-test`)]);
    assert.equal((await e.spends.auditLog()).length, log.length);
    const p = await e.spends.proposal(id);
    assert.equal(p?.state, 'broadcast');
    assert.ok((await e.chain.mempool()).some((m) => m.txid === p?.txid), 'the node has the transaction');
    await assertInvariants(e);

    // mined; 20 `sync`s follow the proposal at once (as 20 processes would): it is confirmed once
    await e.node.mine(1);
    await e.sync();
    const tracked = await Promise.all(Array.from({ length: 20 }, () => trackProposals(e.deps)));
    const moves = tracked.flat().filter((c) => c.proposalId === id);
    assert.deepEqual(moves.map((m) => `${m.from}→${m.to}`), ['broadcast→confirmed'], 'one sync moved it, once');
    assert.equal((await actionsOn(e, `proposal:${id}`, 'spend.confirmed')).length, 1, 'one spend.confirmed entry');
    assert.equal((await e.call('fin-02', 'GET', `/proposals/${id}`)).json.proposal.state, 'confirmed');
    await assertInvariants(e);
  });

  test('4. a policy change approved by 24 approvers while spend approvals fly: one activation, approvals stored == 200s', async () => {
    const e = await env();
    const spendId = await propose(e, e.vaultA, 10_000_000n);
    const proposed = await e.call('ana', 'POST', '/policy', { document: concurrencyPolicy(2, { all: [{ group: 'finance', count: 4 }, { group: 'central-bank', count: 2 }] }) });
    assert.equal(proposed.status, 201, proposed.body);
    assert.equal(proposed.json.active, false);
    const changeId = proposed.json.change.id as number;

    const [pol, spend] = await fireAll(
      APPROVERS.map((a) => () => e.call(a.name, 'POST', `/policy/changes/${changeId}/approve`)),
      APPROVERS.map((a) => () => e.call(a.name, 'POST', `/proposals/${spendId}/approve`)),
    );
    const tp = tally(pol ?? []);
    const ts = tally(spend ?? []);
    assertOnly(tp, ['200', '409:INVALID_STATE'], 'policy approvals');
    assertOnly(ts, ['200', '409:INVALID_STATE'], 'spend approvals');

    const log = await e.spends.auditLog();
    const activations = log.filter((x) => x.action === 'policy.activate' && x.object === 'policy:v2');
    assert.equal(activations.length, 1, 'exactly one policy.activate');
    const policy = await e.call('fin-01', 'GET', '/policy');
    assert.equal(policy.json.active.version, 2, 'the new version is active');
    const change = policy.json.changes.find((x: { id: number }) => x.id === changeId) as { state: string; approvals: { approverId: string }[] };
    assert.equal(change.state, 'accepted');
    assert.equal(change.approvals.length, tp.count(200), `policy approvals stored == 200s (${tp.summary})`);
    assert.equal(tp.replies.filter((r) => r.status === 200 && r.json.active === true).length, 1, 'one reply says it activated the change');
    const approveEntries = log.filter((x) => x.action === 'policy.approve' && x.object === 'policy:v2');
    assert.equal(approveEntries.length, change.approvals.length, 'one policy.approve entry per stored approval');
    const activation = activations[0];
    assert.ok(activation);
    assert.ok(approveEntries.every((x) => x.seq < activation.seq), 'no approval recorded after the activation');
    assert.equal(log.find((x) => x.seq === activation.seq - 1)?.action, 'policy.approve', 'the approval that reached the quorum activated it in the same transaction');
    // the quorum is that of version 1, reached exactly by the last approval
    const v1 = parsePolicyJson(concurrencyPolicy(1));
    const v2 = parsePolicyJson(concurrencyPolicy(2, { all: [{ group: 'finance', count: 4 }, { group: 'central-bank', count: 2 }] }));
    const stored = approveEntries.map((x) => ({ approverId: x.actor, groups: (x.details as { groups: string[] }).groups, atMs: x.atMs }));
    assert.equal(evaluatePolicyChange(v1, v2, stored, 'ana').satisfied, true);
    assert.equal(evaluatePolicyChange(v1, v2, stored.slice(0, -1), 'ana').satisfied, false);

    const sp = await e.spends.proposal(spendId);
    assert.ok(sp && sp.decision.outcome === 'approval');
    const sa = await e.spends.approvals(spendId);
    assert.equal(sa.length, ts.count(200), `spend approvals stored == 200s (${ts.summary})`);
    assert.equal(sp.state === 'approved', approvalStatus(sp.decision.requirement, sa, sp.proposer).satisfied);
    assert.equal(sp.state, 'approved');
    assert.equal((await actionsOn(e, `proposal:${spendId}`, 'spend.approve')).length, sa.length);
    await assertInvariants(e);
  });
  test('5. cancel / export / import / finalize / broadcast / replace races: exactly one winner; no signature lost; cancelled coins are released and can be taken again', async () => {
    const e = await env();
    // 5a. 20 cancels of one proposal
    const id = await propose(e, e.vaultA, 40_000_000n);
    const inputs = (await e.spends.proposal(id))?.inputs ?? [];
    assert.ok(inputs.length > 0);
    const c = tally(await Promise.all(Array.from({ length: 20 }, (_, i) => e.call('luis', 'POST', `/proposals/${id}/cancel`, { reason: `cancel #${i}` }))));
    assertOnly(c, ['200', '409:INVALID_STATE'], 'cancels');
    assert.equal(c.count(200), 1, `exactly one cancel (${c.summary})`);
    assert.equal((await actionsOn(e, `proposal:${id}`, 'spend.cancel')).length, 1, 'one spend.cancel entry');
    const holds = new Set((await e.spends.coinHolds(e.vaultA.id)).map((h) => `${h.txid}:${h.vout}`));
    for (const i of inputs) assert.ok(!holds.has(`${i.txid}:${i.vout}`), `coin ${i.txid}:${i.vout} is released`);
    const again = await proposeSpend(e.deps, { actor: 'luis', vault: e.vaultA.name, payments: [{ address: FOREIGN, sats: 40_000_000n }], feeRateSatPerKvb: 2000n, utxos: inputs.map((i) => ({ txid: i.txid, vout: i.vout })) });
    for (const i of inputs) assert.ok(again.proposal.inputs.some((x) => x.txid === i.txid && x.vout === i.vout), 'a new proposal takes the released coin');
    await assertInvariants(e);

    // 5b. 20 exports at once, then 20 partial-PSBT uploads at once (10 per cosigner): no signature
    // lost or counted twice; then 20 finalizes of the fully signed proposal
    const f = again.proposal.id;
    await approveQuorum(e, f);
    const exports = tally(await Promise.all(Array.from({ length: 20 }, () => e.call('luis', 'GET', `/proposals/${f}/psbt`))));
    assertOnly(exports, ['200'], 'exports');
    assert.equal(new Set(exports.replies.map((r) => r.json.psbt as string)).size, 1, 'every export hands out the same PSBT');
    assert.equal((await actionsOn(e, `proposal:${f}`, 'spend.export')).length, 20, 'every export is audited');
    assert.notEqual((await e.spends.proposal(f))?.exportedAtMs, null);
    const unsigned = exports.replies[0]?.json.psbt as string;
    const partial = [0, 2].map((k) => signPsbtWithKey(unsigned, e.keysA[k] as SoftwareKey).psbt);
    const uploads = tally(await Promise.all(Array.from({ length: 20 }, (_, i) => e.call('luis', 'POST', `/proposals/${f}/psbt`, { psbt: partial[i % 2] }))));
    assertOnly(uploads, ['200'], 'uploads');
    assert.equal(uploads.replies.reduce((n, r) => n + (r.json.added as number), 0), 2, 'each of the two signatures is added exactly once');
    assert.equal(uploads.replies.filter((r) => r.json.complete === true).length >= 1, true, 'the last uploads see a complete PSBT');
    const partials = await e.spends.partials(f);
    assert.deepEqual(partials.map((x) => x.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'partials numbered 1..20, none lost');
    assert.equal((await actionsOn(e, `proposal:${f}`, 'spend.import')).length, 20, 'every upload is audited');
    const fins = tally(await Promise.all(Array.from({ length: 20 }, () => e.call('luis', 'POST', `/proposals/${f}/finalize`))));
    assertOnly(fins, ['200', '409:INVALID_STATE'], 'finalizes');
    assert.equal(fins.count(200), 1, `exactly one finalize (${fins.summary})`);
    assert.equal((await actionsOn(e, `proposal:${f}`, 'spend.finalize')).length, 1, 'one spend.finalize entry');
    await assertInvariants(e);

    // 5c. an approved proposal never exported: 10 exports and 10 plain cancels at once. A plain
    // cancel is refused once the PSBT went out for signing, so exactly one side wins: the proposal
    // ends cancelled with no export recorded, or exported with no cancel recorded. (Fired together,
    // the exports win: a GET reaches its handler before a POST's body is parsed. The second round
    // fires the exports once the first cancel has reached the store, to see the other side win too.)
    for (const exportsFirst of [true, false]) {
      const g = await propose(e, e.vaultA, 20_000_000n);
      await approveQuorum(e, g);
      const exportsOf = Array.from({ length: 10 }, () => () => e.call('luis', 'GET', `/proposals/${g}/psbt`));
      const cancelsOf = Array.from({ length: 10 }, (_, i) => () => e.call('luis', 'POST', `/proposals/${g}/cancel`, { reason: `race #${i}` }));
      const [ge, gc] = exportsFirst ? await fireAll(exportsOf, cancelsOf) : await (async () => {
        const cancels = Promise.all(cancelsOf.map((f) => f()));
        for (let n = 0; e.spends.inFlight === 0 && n < 10_000; n++) await new Promise((r) => setImmediate(r));
        const exports = Promise.all(exportsOf.map((f) => f()));
        return [await exports, await cancels];
      })();
      const te = tally(ge ?? []);
      const tc = tally(gc ?? []);
      assertOnly(te, ['200', '409:INVALID_STATE'], 'exports racing cancels');
      assertOnly(tc, ['200', '409:INVALID_STATE'], 'cancels racing exports');
      const gp = await e.spends.proposal(g);
      const gLog = (await e.spends.auditLog()).filter((x) => x.object === `proposal:${g}` && ['spend.export', 'spend.cancel'].includes(x.action));
      if (tc.count(200) === 1) {
        assert.equal(te.count(200), 0, `cancelled: no export went out (${te.summary})`);
        assert.equal(gp?.state, 'cancelled');
        assert.equal(gp?.exportedAtMs, null);
        assert.deepEqual(gLog.map((x) => x.action), ['spend.cancel']);
      } else {
        assert.equal(tc.count(200), 0, `at most one cancel (${tc.summary})`);
        assert.ok(te.count(200) >= 1, `exported: every cancel refused (${te.summary})`);
        assert.equal(gp?.state, 'approved');
        assert.notEqual(gp?.exportedAtMs, null);
        assert.deepEqual(gLog.map((x) => x.action), Array.from({ length: te.count(200) }, () => 'spend.export'));
      }
      await assertInvariants(e);
    }

    // 5d. an exported proposal: 20 cancels by replacement at once → exactly one replacement (it
    // shares the original's coin, in the original's family), the others refused
    const h = await propose(e, e.vaultA, 15_000_000n);
    await approveQuorum(e, h);
    assert.equal((await e.call('luis', 'GET', `/proposals/${h}/psbt`)).status, 200);
    const plain = await e.call('luis', 'POST', `/proposals/${h}/cancel`);
    assert.equal(plain.status, 409, plain.body);
    const rep = tally(await Promise.all(Array.from({ length: 20 }, (_, i) => e.call('luis', 'POST', `/proposals/${h}/cancel`, { replace: true, feeRateSatPerVb: '3', reason: `replace #${i}` }))));
    assertOnly(rep, ['201', '409:INVALID_STATE'], 'cancels by replacement');
    assert.equal(rep.count(201), 1, `exactly one replacement (${rep.summary})`);
    const r = await e.spends.proposal(rep.replies.find((x) => x.status === 201)?.json.proposal.id as number);
    assert.ok(r);
    assert.equal(r.kind, 'cancel');
    assert.equal(r.replaces, h);
    assert.equal((await e.spends.proposals(e.vaultA.id)).filter((x) => x.replaces === h).length, 1, 'one proposal replaces it');
    await assertInvariants(e);

    // 5e. the signed proposal of 5b: 10 cancels by replacement and 10 broadcasts at once. Exactly one
    // broadcast (a pending replacement does not stop it: it pays more and replaces it on the
    // network); a replacement only if it was recorded before the broadcast started.
    const [fr, fb] = await fireAll(
      Array.from({ length: 10 }, () => () => e.call('luis', 'POST', `/proposals/${f}/cancel`, { replace: true, feeRateSatPerVb: '3' })),
      Array.from({ length: 10 }, () => () => e.call('luis', 'POST', `/proposals/${f}/broadcast`)),
    );
    const tb = tally(fb ?? []);
    const tr = tally(fr ?? []);
    assertOnly(tb, ['200', '409:INVALID_STATE'], 'broadcasts racing replacements');
    assertOnly(tr, ['201', '409:INVALID_STATE'], 'replacements racing broadcasts');
    assert.equal(tb.count(200), 1, `exactly one broadcast (${tb.summary})`);
    assert.ok(tr.count(201) <= 1, `at most one replacement (${tr.summary})`);
    const fLog = await e.spends.auditLog();
    const started = fLog.find((x) => x.object === `proposal:${f}` && x.action === 'spend.broadcast.start');
    assert.ok(started);
    if (tr.count(201) === 1) {
      const made = await e.spends.proposal(tr.replies.find((x) => x.status === 201)?.json.proposal.id as number);
      const created = fLog.find((x) => x.object === 'proposal:new' && (x.details as { unsignedTxid?: string }).unsignedTxid === made?.unsignedTxid);
      assert.ok(created && created.seq < started.seq, 'the replacement was recorded before the broadcast started');
    }
    const fp = await e.spends.proposal(f);
    assert.equal(fp?.state, 'broadcast');
    assert.ok((await e.chain.mempool()).some((m) => m.txid === fp?.txid), 'the node has the transaction');
    await assertInvariants(e);
  });

  test('after 4: an approved proposal that the policy now in force finds short of approvals can still collect them (no dead end)', async () => {
    const e = await env();
    // Deterministic version of what scenario 4's race can leave behind: a proposal approved under
    // one version (here v2: 4 of finance and 2 of central-bank), then a policy change that asks more.
    const id = await propose(e, e.vaultA, 5_000_000n);
    for (const name of ['fin-01', 'fin-02', 'fin-03', 'fin-04', 'cb-01', 'cb-02']) assert.equal((await e.call(name, 'POST', `/proposals/${id}/approve`)).status, 200);
    assert.equal((await e.spends.proposal(id))?.state, 'approved');
    const v3 = await e.call('ana', 'POST', '/policy', { document: concurrencyPolicy(3, { all: [{ group: 'finance', count: 5 }, { group: 'central-bank', count: 2 }] }) });
    assert.equal(v3.status, 201, v3.body);
    for (const name of ['fin-01', 'fin-02', 'fin-03', 'fin-04', 'fin-05', 'cb-01', 'cb-02']) assert.equal((await e.call(name, 'POST', `/policy/changes/${v3.json.change.id as number}/approve`)).status, 200);
    assert.equal((await e.call('ana', 'GET', '/policy')).json.active.version, 3);

    const refused = await e.call('luis', 'GET', `/proposals/${id}/psbt`);
    assert.equal(refused.status, 422, refused.body);
    assert.equal(refused.json.error.code, 'APPROVAL_REQUIRED'); // "needs 1 more approval from finance"
    // …so a fifth finance approver approves. Today: 409 INVALID_STATE "is approved, not awaiting
    // approval" — the proposal can neither collect the approval it is told it needs nor go out for
    // signing; only cancelling and proposing again gets the money out.
    const more = await e.call('fin-05', 'POST', `/proposals/${id}/approve`);
    assert.equal(more.status, 200, `export says "${String(refused.json.error.message)}" but approve answers ${more.status} ${more.body}`);
    const ok = await e.call('luis', 'GET', `/proposals/${id}/psbt`);
    assert.equal(ok.status, 200, ok.body);
    await assertInvariants(e);
  });
});
