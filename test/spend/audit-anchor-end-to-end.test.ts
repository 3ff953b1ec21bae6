// Issue #19 item 3: the audit log's head timestamped in Bitcoin by the governed transactions
// themselves. On the embedded regtest node (one per file), on SQLite and PostgreSQL:
// propose → approve → sign → broadcast → mine → sync, and the mined transaction carries the head
// read when it was proposed in a zero-value OP_RETURN output, at the fee rate asked for, paying
// nobody; `audit anchors` finds it and the log verifies against it. Then one row before that entry
// is rewritten in the database with every later hash and the stored head recomputed: the plain
// chain check still passes, the anchor check fails naming the transaction and the entry.
// Bumps keep the original's anchor; cancel-replacements anchor the head of their moment;
// `auditAnchor: false` leaves it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { Transaction } from 'bitcoinjs-lib';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import type { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { anchorOfPsbt, proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { bumpFee } from '../../src/app/bump-fee.ts';
import { cancelByReplacement } from '../../src/app/cancel-proposal.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { checkAuditAnchors, assertAnchorsHold, proposalAnchor } from '../../src/app/check-audit-anchors.ts';
import { anchorCommitsTo, auditAnchorScript, findAuditAnchors } from '../../src/core/audit/anchor.ts';
import { auditEntryHash, canonicalJson, type AuditEntry } from '../../src/core/audit/hash-chain.ts';
import { DomainError } from '../../src/core/errors.ts';
import { allowDestination } from '../../src/app/allow-destination.ts';
import { FOREIGN, policyDoc, setupGovernance, signAndFinalize, type Governance } from './fixtures.ts';

/** `soberana` in-process (its compiled main(), see cliInProcess): the commands' output and exit codes. */
const runCli = cliInProcess();

const regtest = useRegtestNode();

/** The attack no chain check sees: entry `seq` rewritten, every later hash and the stored head recomputed. */
async function rewriteAndRehash(db: Database, spends: SqlSpendStore, seq: number): Promise<void> {
  const log = await spends.auditLog();
  let prev = log[seq - 2] as AuditEntry;
  for (const e of log.slice(seq - 1)) {
    const details = e.seq === seq ? { ...(e.details as object), groups: ['central-bank'] } : e.details;
    const content = { ...e, details, prevHash: prev.hash };
    const hash = auditEntryHash(content);
    await sql`update audit_log set details = ${canonicalJson(details ?? null)}, prev_hash = ${content.prevHash}, hash = ${hash} where seq = ${e.seq}`.execute(db.db);
    prev = { ...content, hash };
  }
  await sql`update settings set value = ${JSON.stringify({ seq: prev.seq, hash: prev.hash })} where key = 'audit_head'`.execute(db.db);
}

async function approveByBoth(g: Governance, id: number): Promise<void> {
  g.clock.advance(60_000);
  await approveProposal(g.deps, { actor: 'maria', proposalId: id });
  g.clock.advance(60_000);
  const a = await approveProposal(g.deps, { actor: 'pedro', proposalId: id });
  assert.equal(a.state, 'approved');
}

forEachEngine('audit anchor in governed spends', (t) => {
  test('a mined spend anchors the head read when it was proposed; audit anchors passes, then fails once a row before it is rewritten and rehashed', async () => {
    const url = await t.url();
    const db = await openDatabase({ url });
    try {
      const g = await setupGovernance(regtest.node(), db, { fund: [60_000_000n, 40_000_000n] });
      const headBefore = await g.spends.auditHead();
      assert.ok(headBefore && headBefore.seq >= 7, 'members and the policy are in the log');

      const rate = 2_000n;
      const { proposal, decision, anchor } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 70_000_000n }], feeRateSatPerKvb: rate, memo: 'settlement #1' });
      assert.deepEqual(anchor, { seq: headBefore.seq, hash: headBefore.hash }, 'the head at the moment of proposing');
      // The proposal's own audit entry comes right after it and records it.
      const entry = (await g.spends.auditLog()).at(-1) as AuditEntry;
      assert.equal(entry.action, 'spend.propose');
      assert.equal(entry.seq, headBefore.seq + 1);
      assert.deepEqual((entry.details as { anchor: unknown }).anchor, { seq: headBefore.seq, hash: headBefore.hash });

      // The output: last, zero value, the anchor script; not a payment for the policy.
      const out = anchorOfPsbt(proposal.psbt, 'regtest');
      assert.ok(out);
      assert.equal(out.vout, 2, 'payment, change, then the anchor');
      assert.deepEqual(out.script, auditAnchorScript(headBefore));
      assert.equal(proposal.amountSats, 70_000_000n, 'the amount the policy judges is the payment alone');
      assert.deepEqual(proposal.outputs.map((o) => o.address), [FOREIGN]);
      assert.equal(decision.outcome, 'approval');
      assert.equal(proposal.inputs.reduce((s, i) => s + i.value, 0n), 70_000_000n + proposal.changeSats + proposal.feeSats, 'the anchor carries 0 sats');
      assert.deepEqual(await proposalAnchor(g.deps, proposal, 'regtest'), { vout: 2, seq: headBefore.seq, commitment: out.commitment, hash: headBefore.hash });

      await approveByBoth(g, proposal.id);
      const fin = await signAndFinalize(g, proposal.id);
      const signed = await g.spends.proposal(proposal.id);
      const raw = Transaction.fromHex(signed?.finalHex ?? '');
      assert.equal(fin.fee, proposal.feeSats);
      assert.ok(fin.fee * 1000n >= rate * BigInt(raw.virtualSize()), `fee ${fin.fee} pays ${rate} sat/kvB on the real ${raw.virtualSize()} vB, anchor included`);
      assert.ok((fin.fee - 1n) * 1000n < rate * BigInt(raw.virtualSize() + 1), 'and not more than a rounding above it');
      assert.equal(raw.outs[2]?.value, 0n);

      await broadcastProposal(g.deps, { actor: 'luis', proposalId: proposal.id });
      await g.node.mine(1);
      await g.sync();
      await trackProposals(g.deps, { vaultId: g.vault.id });
      assert.equal((await g.spends.proposal(proposal.id))?.state, 'confirmed');

      // The vault's history holds the mined transaction; its anchor matches this log.
      const r = await checkAuditAnchors(g.deps);
      assert.equal(r.ok, true, JSON.stringify(r.anchors));
      assert.deepEqual(r.anchors.map((a) => [a.txid, a.vout, a.seq, a.ok, a.height]), [[fin.txid, 2, headBefore.seq, true, g.node.height()]]);
      assert.deepEqual(r.verdict.kept.map((k) => k.ok), [true]);
      assertAnchorsHold(r);
      const mined = (await g.vaults.transactions(g.vault.id)).find((x) => x.txid === fin.txid);
      const onChain = findAuditAnchors(Uint8Array.from(Buffer.from(mined?.rawHex ?? '', 'hex'))).anchors;
      assert.equal(onChain.length, 1);
      assert.ok(onChain[0] && anchorCommitsTo(onChain[0], headBefore), 'the stored raw transaction commits to the head');

      if (t.engine === 'sqlite') {
        const cli = await runCli(['--db', url, 'audit', 'anchors']);
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, new RegExp(`${fin.txid}:2 +entry ${headBefore.seq} +${headBefore.hash} +ok`));
        const show = await runCli(['--db', url, '--network', 'regtest', 'spend', 'show', String(proposal.id)]);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, new RegExp(`anchor: +audit anchor seq ${headBefore.seq} hash ${headBefore.hash} \\(output 2, 0 sats: not a payment\\)`));
      }

      // The attack: maria's entry (before the anchored one) rewritten, the chain made whole again.
      await rewriteAndRehash(db, g.spends, 4);
      assert.equal((await verifyAuditLog({ spends: g.spends })).ok, true, 'invisible to the chain check alone');
      const bad = await checkAuditAnchors(g.deps);
      assert.equal(bad.ok, false);
      assert.equal(bad.anchors[0]?.ok, false);
      const message = new RegExp(`transaction ${fin.txid} \\(block ${g.node.height()}\\) anchors entry ${headBefore.seq}, but the log's entry ${headBefore.seq} \\(hash [0-9a-f]{64}\\) is not the one it committed to: the log was rewritten at or before entry ${headBefore.seq}`);
      assert.throws(() => assertAnchorsHold(bad), (e: unknown) => e instanceof DomainError && e.code === 'AUDIT_TAMPERED' && message.test(e.message));
      if (t.engine === 'sqlite') {
        const cli = await runCli(['--db', url, 'audit', 'anchors']);
        assert.equal(cli.code, 10, cli.stdout);
        assert.match(cli.stderr, message);
        assert.doesNotMatch(cli.stderr, /\n\s+at /, 'one clear line, no stack trace');
      }
    } finally {
      await db.close();
    }
  });

  test('a bump keeps the same anchor; a cancel-replacement anchors the head of its moment; --no-audit-anchor leaves it out', async () => {
    const node = regtest.node();
    // Through the node's RPC, which applies BIP125 replacement (as in spend-rbf-bump.test.ts).
    const g = await setupGovernance(node, await t.open(), { chain: node.rpcChainSource(), fund: [30_000_000n, 30_000_000n, 30_000_000n] });
    const first = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 20_000_000n }], feeRateSatPerKvb: 1_000n });
    assert.ok(first.anchor);
    await approveByBoth(g, first.proposal.id);
    await signAndFinalize(g, first.proposal.id);
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: first.proposal.id });

    // Bump: the same anchor output byte for byte, though the log moved on; its weight is paid for.
    const bump = await bumpFee(g.deps, { actor: 'luis', proposalId: first.proposal.id, feeRateSatPerKvb: 5_000n });
    assert.ok(((await g.spends.auditHead())?.seq ?? 0) > first.anchor.seq + 5);
    const a0 = anchorOfPsbt(first.proposal.psbt, 'regtest');
    const a1 = anchorOfPsbt(bump.proposal.psbt, 'regtest');
    assert.ok(a0 && a1);
    assert.deepEqual([a1.vout, a1.seq, a1.commitment], [a0.vout, a0.seq, a0.commitment]);
    const bumpEntry = (await g.spends.auditLog()).at(-1) as AuditEntry;
    assert.deepEqual((bumpEntry.details as { anchor: unknown }).anchor, first.anchor);
    await approveByBoth(g, bump.proposal.id);
    await signAndFinalize(g, bump.proposal.id);
    const bumped = Transaction.fromHex((await g.spends.proposal(bump.proposal.id))?.finalHex ?? '');
    assert.ok(bump.proposal.feeSats * 1000n >= 5_000n * BigInt(bumped.virtualSize()), 'the bump pays its rate on the real size, anchor included');
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: bump.proposal.id });
    await g.node.mine(1);
    await g.sync();
    const r = await checkAuditAnchors(g.deps);
    assert.equal(r.ok, true, JSON.stringify(r.anchors));
    assert.deepEqual(r.anchors.map((a) => [a.txid, a.seq]), [[bumped.getId(), first.anchor.seq]]);

    // Cancel by replacement of a proposal that went out for signing: the head as it is now.
    const second = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 1_000_000n }], feeRateSatPerKvb: 1_000n });
    await approveByBoth(g, second.proposal.id);
    await exportProposal(g.deps, { actor: 'luis', proposalId: second.proposal.id, destination: 'test' });
    const headNow = await g.spends.auditHead();
    const cancel = await cancelByReplacement(g.deps, { actor: 'luis', proposalId: second.proposal.id, feeRateSatPerKvb: 3_000n });
    const ac = anchorOfPsbt(cancel.proposal.psbt, 'regtest');
    assert.ok(ac && headNow);
    assert.equal(ac.seq, headNow.seq);
    assert.ok(ac.seq > (second.anchor?.seq ?? 0), 'a later head than the original it cancels');
    assert.deepEqual(ac.vout, 1, 'change back to the vault, then the anchor');
    await approveByBoth(g, cancel.proposal.id);
    const cf = await signAndFinalize(g, cancel.proposal.id);
    const ctx = Transaction.fromHex((await g.spends.proposal(cancel.proposal.id))?.finalHex ?? '');
    assert.ok(cf.fee * 1000n >= 3_000n * BigInt(ctx.virtualSize()), 'the replacement pays its rate on the real size, anchor included');

    // Turned off for one proposal: no data output, recorded as such.
    const plain = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 500_000n }], feeRateSatPerKvb: 1_000n, auditAnchor: false });
    assert.equal(plain.anchor, null);
    assert.equal(anchorOfPsbt(plain.proposal.psbt, 'regtest'), null);
    assert.equal(((await g.spends.auditLog()).at(-1)?.details as { anchor: unknown }).anchor, null);
    assert.equal(await proposalAnchor(g.deps, plain.proposal, 'regtest'), null);
  });

  test('the anchor is not a payment: an allowlist-only policy allows a spend to a listed address, and an amount limit judges the payment alone', async () => {
    const LISTED = 'bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry';
    const policy = policyDoc({
      rules: [
        { id: 'unlisted', when: { destinations: 'not-allowlisted' }, then: 'deny' },
        { id: 'exactly-one-btc', when: { maxAmountSats: '100000000' }, then: 'allow' },
        { id: 'above', when: {}, then: 'deny' },
      ],
    });
    const g = await setupGovernance(regtest.node(), await t.open(), { policy, fund: [150_000_000n] });
    await allowDestination(g.deps, { actor: 'ana', vault: g.vault.name, address: LISTED });
    // The anchor output has no address: were it judged as a destination it would be "not
    // allowlisted" and the spend denied. The amount judged is the payment alone, at the limit.
    const r = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: LISTED, sats: 100_000_000n }], feeRateSatPerKvb: 1_000n });
    assert.ok(anchorOfPsbt(r.proposal.psbt, 'regtest'), 'the transaction carries the anchor');
    assert.equal(r.decision.outcome, 'allow');
    assert.equal(r.decision.ruleId, 'exactly-one-btc');
    assert.equal(r.proposal.amountSats, 100_000_000n);
    assert.equal(r.proposal.state, 'approved');
  });
});
