// Approvals are signatures and approver identities are governed (issue #19 item 1), through the
// use cases on the embedded regtest node, SQLite and PostgreSQL. Outside regtest (here the
// governance network is set to signet, while the coins stay on the regtest node):
// - an approval without a signature is refused; a signature by another key, or over another
//   proposal, is refused;
// - the administrator cannot meet a quorum alone: a new approver she adds (with her own key) is only
//   a pending change until the existing quorum approves it, and cannot approve meanwhile;
// - an approval row written into the database by hand (a forged signature) does not count at export;
// - with valid signatures from both institutions the PSBT goes out.
// On regtest, a member without a key may still approve unsigned (the demo and tests), but a member
// with a key must sign.
// A passkey (the dashboard's kind of member key) is bound only by the quorum, never by the member's
// token alone; a valid assertion over the approval digest counts, one from another origin or with a
// byte changed does not, and the checks before export and audit verify check it again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { addMember, changeMember } from '../../src/app/add-member.ts';
import { approvePolicy, policyChangeSubject } from '../../src/app/approve-policy.ts';
import { spendStatement, type GovernanceDeps } from '../../src/app/governance.ts';
import { approvalStatement } from '../../src/core/auth/approval-signature.ts';
import { proposalId, txid } from '../../src/core/ids.ts';
import { createMemberKeyFile, readMemberKeyFile, signApproval, type MemberKey } from '../../src/adapters/signers/member-key.ts';
import { FOREIGN, policyDoc, setupGovernance } from './fixtures.ts';
import { proposeOwnApprovalKey } from '../../src/app/add-member.ts';
import { testPolicy } from '../../src/app/test-policy.ts';
import { approvalDigest } from '../../src/core/auth/approval-signature.ts';
import { encodePasskeyAssertion } from '../../src/core/auth/webauthn.ts';
import { assertWithSoftwarePasskey, makeSoftwarePasskey, softwarePasskeySignature } from '../helpers/software-passkey.ts';
import { base64urlnopad } from '@scure/base';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { checkApprovalSignatures } from '../../src/core/auth/approval-audit.ts';

const regtest = useRegtestNode();

forEachEngine('approvals are signatures', (t) => {
  test('unsigned, mis-signed and forged approvals do not count; an admin cannot create an approver alone', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n] });
    const dir = mkdtempSync(join(tmpdir(), 'soberana-approval-keys-'));
    try {
      const keyOf = (who: string): MemberKey => {
        createMemberKeyFile(join(dir, `${who}.key`), who);
        return readMemberKeyFile(join(dir, `${who}.key`));
      };
      const keys = { maria: keyOf('maria'), marta: keyOf('marta'), pedro: keyOf('pedro'), ana: keyOf('ana') };

      // Registering approvers' keys is a governed change: the current quorum (2 finance + 1
      // central-bank, unsigned while on regtest and keyless) approves each one.
      for (const who of ['maria', 'marta', 'pedro'] as const) {
        const r = await changeMember(g.deps, { actor: 'ana', id: who, publicKey: keys[who].publicKey });
        assert.ok(r.pending, `${who}'s key waits for the quorum`);
        assert.equal((await g.spends.findMember(who))?.publicKey ?? null, null, 'not in force yet');
        for (const approver of ['maria', 'marta', 'pedro']) {
          const member = await g.spends.findMember(approver);
          const current = await g.spends.activePolicy();
          const change = await g.spends.policyChange(r.pending.changeId);
          assert.ok(member && current && change);
          const key = member.publicKey ? keys[approver as keyof typeof keys] : undefined;
          const signature = key ? signApproval(key, approvalStatement('regtest', approver, policyChangeSubject(change, current.version))) : undefined;
          const res = await approvePolicy(g.deps, { actor: approver, changeId: r.pending.changeId, signature });
          if (res.active) break;
        }
        assert.equal((await g.spends.findMember(who))?.publicKey, keys[who].publicKey);
      }

      const signet: GovernanceDeps = { ...g.deps, network: 'signet' };
      const { proposal } = await proposeSpend(signet, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
      const sign = (who: 'maria' | 'marta' | 'pedro' | 'ana', p = proposal) => signApproval(keys[who], spendStatement(signet, who, p));

      await assert.rejects(approveProposal(signet, { actor: 'maria', proposalId: proposal.id }), { code: 'FORBIDDEN', message: /must be signed/ });
      await assert.rejects(approveProposal(signet, { actor: 'maria', proposalId: proposal.id, signature: signApproval(keys.pedro, spendStatement(signet, 'maria', proposal)) }), { code: 'INVALID_SIGNATURE' });
      await assert.rejects(approveProposal(signet, { actor: 'maria', proposalId: proposal.id, signature: sign('maria', { ...proposal, id: proposalId(proposal.id + 1) }) }), { code: 'INVALID_SIGNATURE' }, 'a signature for another proposal');
      await assert.rejects(approveProposal({ ...g.deps }, { actor: 'maria', proposalId: proposal.id }), { code: 'FORBIDDEN' }, 'a member with a key must sign, on regtest too');

      // The administrator's attack: a new central-bank approver with her own key.
      const added = await addMember(signet, { actor: 'ana', name: 'pedro2', roles: ['approver'], groups: ['central-bank'], publicKey: keys.ana.publicKey });
      assert.ok(added.pending, 'a new approver is a pending change');
      assert.equal(await g.spends.findMember('pedro2'), null);
      await assert.rejects(approveProposal(signet, { actor: 'pedro2', proposalId: proposal.id, signature: sign('ana') }), { code: 'FORBIDDEN' });
      await assert.rejects(approvePolicy(signet, { actor: 'ana', changeId: added.pending.changeId }), { code: 'FORBIDDEN' }, 'an admin is not an approver');
      await assert.rejects(addMember(signet, { actor: 'luis', name: 'eve', roles: ['approver'], groups: ['finance'] }), { code: 'FORBIDDEN' });

      // maria signs; a forged row for pedro (signature of the wrong statement) is written by hand.
      await approveProposal(signet, { actor: 'maria', proposalId: proposal.id, signature: sign('maria') });
      const forged = signApproval(keys.pedro, spendStatement(signet, 'pedro', { ...proposal, unsignedTxid: txid('f'.repeat(64)) }));
      await sql`insert into spend_approvals (proposal_id, approver, groups, at_ms, signature, public_key) values (${proposal.id}, 'pedro', '["central-bank"]', ${BigInt(g.clock.now())}, ${forged}, ${keys.pedro.publicKey})`.execute(db.db);
      await sql`update spend_proposals set state = 'approved' where id = ${proposal.id}`.execute(db.db);
      await assert.rejects(exportProposal(signet, { actor: 'luis', proposalId: proposal.id, destination: 'usb' }), { code: 'APPROVAL_REQUIRED', message: /central-bank/ }, 'the forged approval does not count');
      await sql`delete from spend_approvals where proposal_id = ${proposal.id} and approver = 'pedro'`.execute(db.db);
      await sql`update spend_proposals set state = 'proposed' where id = ${proposal.id}`.execute(db.db);

      const done = await approveProposal(signet, { actor: 'pedro', proposalId: proposal.id, signature: sign('pedro') });
      assert.equal(done.state, 'approved');
      const out = await exportProposal(signet, { actor: 'luis', proposalId: proposal.id, destination: 'usb' });
      assert.equal(out.unsignedTxid, proposal.unsignedTxid);
      const entries = (await g.spends.auditLog()).filter((e) => e.action === 'spend.approve' && e.object === `proposal:${proposal.id}`);
      assert.deepEqual(entries.map((e) => [e.actor, (e.details as { signed?: boolean }).signed]), [['maria', true], ['pedro', true]]);

      // audit verify checks the signatures themselves: the log as written verifies; an approval
      // added with a consistent chain but signed by the admin's key (never registered for pedro),
      // or with its signature altered, does not.
      const verdict = await verifyAuditLog({ spends: g.spends });
      assert.equal(verdict.ok, true, verdict.problems.map((p) => p.message).join('; '));
      assert.ok(verdict.approvals.signed >= 2, 'both spend approvals (and the key registrations approved with keys already in force) are signed and verified');
      const log = await g.spends.auditLog();
      const real = entries[1];
      assert.ok(real);
      const last = log[log.length - 1];
      assert.ok(last);
      const forgedByAdmin = { ...real, seq: last.seq + 1, details: { ...(real.details as object), signature: sign('ana'), publicKey: keys.ana.publicKey } };
      assert.match(checkApprovalSignatures([...log, forgedByAdmin]).problems[0]?.message ?? '', /key the log never registered/);
      const altered = { ...real, seq: last.seq + 1, details: { ...(real.details as object), unsignedTxid: 'e'.repeat(64) } };
      assert.match(checkApprovalSignatures([...log, altered]).problems[0]?.message ?? '', /does not verify/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a passkey approval counts once the quorum bound the passkey; forged, replayed or other-origin assertions do not; export and audit verify check it again', async () => {
    const db = await t.open();
    // policy changes need 1 of finance AND 1 of central-bank (so that maria's own change, which
    // she cannot approve herself, can still reach the quorum)
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n], policy: policyDoc({ policyChange: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } }) });
    const deps: GovernanceDeps = { ...g.deps, webauthn: { rpId: 'localhost', origins: ['http://localhost:8080'] } };
    const passkey = makeSoftwarePasskey('localhost');

    await assert.rejects(proposeOwnApprovalKey(deps, { actor: 'luis', publicKey: passkey.memberKey }), { code: 'FORBIDDEN' }, 'an operator has no approval key to set');
    const r = await proposeOwnApprovalKey(deps, { actor: 'maria', publicKey: passkey.memberKey });
    assert.equal((await g.spends.findMember('maria'))?.publicKey ?? null, null, 'not bound by maria\'s token alone');
    const own = await approvePolicy(deps, { actor: 'maria', changeId: r.pending.changeId });
    assert.equal(own.active, false, 'her own approval does not count');
    assert.equal((await approvePolicy(deps, { actor: 'marta', changeId: r.pending.changeId })).active, false);
    assert.equal((await approvePolicy(deps, { actor: 'pedro', changeId: r.pending.changeId })).active, true);
    assert.equal((await g.spends.findMember('maria'))?.publicKey, passkey.memberKey);

    const { proposal } = await proposeSpend(deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
    const digest = approvalDigest(spendStatement(deps, 'maria', proposal));
    const good = assertWithSoftwarePasskey(passkey, digest, { origin: 'http://localhost:8080' });
    await assert.rejects(approveProposal(deps, { actor: 'maria', proposalId: proposal.id }), { code: 'FORBIDDEN', message: /must be signed/ });
    await assert.rejects(approveProposal(deps, { actor: 'maria', proposalId: proposal.id, signature: softwarePasskeySignature(passkey, digest, { origin: 'http://localhost:9999' }) }), { code: 'INVALID_SIGNATURE', message: /origin/ });
    await assert.rejects(approveProposal(deps, { actor: 'maria', proposalId: proposal.id, signature: softwarePasskeySignature(passkey, approvalDigest(spendStatement(deps, 'maria', { ...proposal, id: proposalId(proposal.id + 1) })), { origin: 'http://localhost:8080' }) }), { code: 'INVALID_SIGNATURE', message: /challenge/ }, 'an assertion for another proposal');
    const flipped = base64urlnopad.decode(good.signature);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    await assert.rejects(approveProposal(deps, { actor: 'maria', proposalId: proposal.id, signature: encodePasskeyAssertion({ ...good, signature: base64urlnopad.encode(flipped) }) }), { code: 'INVALID_SIGNATURE' });
    const stranger = makeSoftwarePasskey('localhost');
    await assert.rejects(approveProposal(deps, { actor: 'maria', proposalId: proposal.id, signature: encodePasskeyAssertion({ ...assertWithSoftwarePasskey(stranger, digest, { origin: 'http://localhost:8080' }), credentialId: passkey.credential.credentialId }) }), { code: 'INVALID_SIGNATURE' }, 'another passkey claiming her credential id');

    const first = await approveProposal(deps, { actor: 'maria', proposalId: proposal.id, signature: encodePasskeyAssertion(good) });
    assert.equal(first.state, 'proposed', 'one institution of two');
    assert.equal((await approveProposal(deps, { actor: 'pedro', proposalId: proposal.id })).state, 'approved');
    assert.equal((await testPolicy(deps, { proposalId: proposal.id })).readiness.ready, true);
    await exportProposal({ ...g.deps }, { actor: 'luis', proposalId: proposal.id, destination: 'usb' }); // without the server's passkey settings: counted all the same

    const verdict = await verifyAuditLog({ spends: g.spends });
    assert.equal(verdict.ok, true, verdict.problems.map((p) => p.message).join('; '));
    const log = await g.spends.auditLog();
    assert.equal(checkApprovalSignatures(log).passkeys, 1, 'maria\'s passkey approval verified by audit verify');
    const entry = log.find((e) => e.action === 'spend.approve' && e.actor === 'maria');
    assert.ok(entry);
    const stored = (entry.details as { signature: string }).signature;
    assert.equal(stored, encodePasskeyAssertion(good));
    // one byte of the assertion changed in the audit entry: named by audit verify
    const d = JSON.parse(stored.slice('webauthn:v1:'.length)) as Record<string, string>;
    const ad = base64urlnopad.decode(d.authenticatorData ?? '');
    ad[33] = (ad[33] ?? 0) ^ 1;
    const tampered = `webauthn:v1:${JSON.stringify({ ...d, authenticatorData: base64urlnopad.encode(ad) })}`;
    const problems = checkApprovalSignatures(log.map((e) => (e.seq === entry.seq ? { ...e, details: { ...(e.details as object), signature: tampered } } : e))).problems;
    assert.match(problems[0]?.message ?? '', /passkey signature of maria's approval does not verify/);
    // the same change in the approval row: it no longer counts before signing or broadcast
    await sql`update spend_approvals set signature = ${tampered} where proposal_id = ${proposal.id} and approver = 'maria'`.execute(db.db);
    const after = await testPolicy(deps, { proposalId: proposal.id });
    assert.equal(after.readiness.ready, false, after.readiness.reason);
    assert.match(after.readiness.reason, /finance/);
  });
});
