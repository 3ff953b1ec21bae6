// A passkey as an approval key, in Debian's chromium (playwright-core, never a downloaded browser)
// with Chrome DevTools' virtual authenticator (CTAP2, internal, resident key, user verified):
// - maria (finance approver) signs in at http://localhost:PORT (WebAuthn refuses IP addresses) and
//   registers a passkey: it is only a pending member change; it binds once marta (finance) and pedro
//   (central bank) approve it with their BIP340 key files' signatures;
// - maria approves a spend with "Approve with passkey" (and a policy change from the policy panel);
//   pedro's signed approval completes the spend's quorum;
//   the passkey approval counts before export, and audit verify reports the log intact with one
//   passkey approval verified;
// - one byte of the stored assertion changed in the database — in the approval row, and in the
//   audit entry with the hash chain recomputed as a database owner would — and it no longer counts,
//   and audit verify names it. Screenshots go to test-output/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../helpers/chromium.ts';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { base64urlnopad } from '@scure/base';
import { startServer } from '../../src/server/app.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { AUDIT_HEAD_KEY } from '../../src/adapters/store/audit-store.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { createMemberKeyFile, readMemberKeyFile, signApproval, type MemberKey } from '../../src/adapters/signers/member-key.ts';
import { changeMember } from '../../src/app/add-member.ts';
import { approvePolicy, policyChangeSubject } from '../../src/app/approve-policy.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { testPolicy } from '../../src/app/test-policy.ts';
import { spendStatement } from '../../src/app/governance.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { approvalStatement } from '../../src/core/auth/approval-signature.ts';
import { checkApprovalSignatures } from '../../src/core/auth/approval-audit.ts';
import { auditEntryHash, canonicalJson, GENESIS_PREV_HASH } from '../../src/core/audit/hash-chain.ts';
import { parsePasskeyCredential } from '../../src/core/auth/webauthn.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { FOREIGN, policyDoc, setupGovernance, type Governance } from '../spend/fixtures.ts';

const skip = chromiumSkip;
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const regtest = useRegtestNode();

let dir = '';
let db: Database;
let g: Governance;
let app: FastifyInstance;
let url = '';
let context: BrowserContext;
let mariaToken = '';
const keys: Record<'marta' | 'pedro', MemberKey> = {} as Record<'marta' | 'pedro', MemberKey>;
const problems: string[] = [];

/** Sign a policy or member change as `who` with their key file (the quorum's side, on the command line). */
async function approveChangeSigned(who: 'marta' | 'pedro', changeId: number): Promise<boolean> {
  const change = await g.spends.policyChange(changeId);
  const current = await g.spends.activePolicy();
  assert.ok(change && current);
  const signature = (await g.spends.findMember(who))?.publicKey ? signApproval(keys[who], approvalStatement('regtest', who, policyChangeSubject(change, current.version))) : undefined;
  return (await approvePolicy(g.deps, { actor: who, changeId, signature })).active;
}

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'soberana-e2e-passkey-'));
  db = await openDatabase({ url: join(dir, 'soberana.db') });
  // policy changes (members included) need 1 of finance AND 1 of central-bank, never counting the proposer
  g = await setupGovernance(await regtest.ready(), db, { fund: [100_000_000n], policy: policyDoc({ policyChange: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } }) });
  // marta and pedro approve with BIP340 key files, each bound by the quorum
  for (const who of ['marta', 'pedro'] as const) {
    createMemberKeyFile(join(dir, `${who}.key`), who);
    keys[who] = readMemberKeyFile(join(dir, `${who}.key`));
    const r = await changeMember(g.deps, { actor: 'ana', id: who, publicKey: keys[who].publicKey });
    assert.ok(r.pending);
    let active = false;
    for (const approver of ['marta', 'pedro', 'maria'] as const) {
      if (active) break;
      active = approver === 'maria' ? (await approvePolicy(g.deps, { actor: 'maria', changeId: r.pending.changeId })).active : await approveChangeSigned(approver, r.pending.changeId);
    }
    assert.equal((await g.spends.findMember(who))?.publicKey, keys[who].publicKey);
  }
  const tokens = new SqlApiTokenStore(db);
  mariaToken = (await tokens.create({ name: 'maria', role: 'approver', memberId: 'maria' })).token;
  const webRoot = await ensureWebBuilt();
  ({ app } = await startServer(
    {
      publicView: new SqlPublicView(db, 'regtest'), tokens, vaults: g.vaults,
      governance: { spends: g.spends, network: 'regtest', chain: g.node.chainSource() },
      prices: loadPriceHistory(), clock: g.clock, webRoot, rateLimit: null,
    },
    { port: 0, host: '127.0.0.1' },
  ));
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  url = `http://localhost:${addr.port}/`; // the default relying party: localhost, origin http://localhost:<port>
  context = await launchChromium(join(dir, 'profile'));
});

after(async () => {
  if (skip) return;
  await context?.close().catch(() => undefined);
  await app?.close().catch(() => undefined);
  await db?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function watch(page: Page): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

/** Flip one bit of one base64url field inside a stored `webauthn:v1:{…}` assertion. */
function tamper(stored: string, field: 'authenticatorData' | 'signature' | 'clientDataJSON', index: number): string {
  const v = JSON.parse(stored.slice('webauthn:v1:'.length)) as Record<string, string>;
  const bytes = base64urlnopad.decode(v[field] ?? '');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return `webauthn:v1:${JSON.stringify({ ...v, [field]: base64urlnopad.encode(bytes) })}`;
}

test('an approver registers a passkey in the dashboard, the quorum binds it, she approves a spend with it; audit verify checks it and catches a changed byte', { skip, timeout: 240_000 }, async () => {
  const page = await context.newPage();
  watch(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  await page.goto(`${url}#/operator`);
  await page.waitForSelector('#login-form');
  await page.fill('#token-input', mariaToken);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#op-approval-key');
  assert.equal(await page.getAttribute('#approval-key-kind', 'data-kind'), 'none');

  // register: a member change waiting for the quorum, never immediate
  await page.click('#passkey-register');
  await page.locator('#passkey-status', { hasText: /Proposed as member change \d+/ }).waitFor({ timeout: 60_000 });
  const changeId = Number(await page.getAttribute('#passkey-status', 'data-change'));
  assert.ok(changeId > 0);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the virtual authenticator holds the new passkey');
  assert.equal((await g.spends.findMember('maria'))?.publicKey ?? null, null, 'maria\'s token alone does not bind a key');
  const change = await g.spends.policyChange(changeId);
  const proposed = JSON.parse(change?.document ?? '{}') as { publicKey?: string };
  const credential = parsePasskeyCredential(proposed.publicKey ?? '');
  assert.equal(credential.credentialId, credentials[0]?.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  assert.equal(credential.rpId, 'localhost');
  await page.screenshot({ path: join(OUT, 'dashboard-passkey-registered.png'), fullPage: true });

  // the quorum (marta for finance, pedro for the central bank) binds it with their key files
  assert.equal(await approveChangeSigned('marta', changeId), false);
  assert.equal(await approveChangeSigned('pedro', changeId), true);
  assert.equal((await g.spends.findMember('maria'))?.publicKey, proposed.publicKey);

  // a spend; maria approves it with her passkey from the proposal card
  const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 25_000_000n }], feeRateSatPerKvb: 2_000n });
  const card = `#op-proposals article[data-proposal="${proposal.id}"]`;
  await page.reload();
  await page.waitForSelector(`${card} [data-action="Approve with passkey"]`);
  assert.equal(await page.getAttribute('#approval-key-kind', 'data-kind'), 'passkey');
  await page.click(`${card} [data-action="Approve with passkey"]`);
  await page.locator(`${card} .approvals`, { hasText: /maria \(finance, .*signed with a passkey\)/ }).waitFor({ timeout: 60_000 });
  const storedSignature = (await g.spends.approvals(proposal.id)).find((a) => a.approverId === 'maria')?.signature ?? '';
  assert.ok(storedSignature.startsWith('webauthn:v1:'), 'the approval row keeps the assertion');

  // pedro completes the quorum with his key file; maria's passkey approval counts before export
  const done = await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id, signature: signApproval(keys.pedro, spendStatement(g.deps, 'pedro', proposal)) });
  assert.equal(done.state, 'approved');
  assert.equal((await testPolicy(g.deps, { proposalId: proposal.id })).readiness.ready, true);
  await exportProposal(g.deps, { actor: 'luis', proposalId: proposal.id, destination: 'usb' });
  await page.reload();
  await page.waitForSelector(`${card}[data-state="approved"]`);
  await page.screenshot({ path: join(OUT, 'dashboard-passkey-approved.png'), fullPage: true });

  // a policy change, approved with the passkey from the policy panel
  const { change: v2 } = await proposePolicy(g.deps, { actor: 'ana', document: policyDoc({ version: 2, policyChange: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } }) });
  await page.reload();
  const pending = `#op-policy-pending li[data-change="${v2.id}"]`;
  await page.click(`${pending} [data-action="Approve with passkey"]`);
  await page.locator(pending, { hasText: /\(1 approval\)/ }).waitFor({ timeout: 60_000 });
  assert.equal((await g.spends.policyChange(v2.id))?.approvals[0]?.signature?.startsWith('webauthn:v1:'), true);

  const verdict = await verifyAuditLog({ spends: g.spends });
  assert.equal(verdict.ok, true, verdict.problems.map((p) => p.message).join('; '));
  const log = await g.spends.auditLog();
  assert.equal(checkApprovalSignatures(log).passkeys, 2, 'audit verify verified maria\'s two passkey approvals (the spend, the policy change)');

  // one byte of the stored assertion changed in the approval row: it no longer counts
  const badRow = tamper(storedSignature, 'authenticatorData', 33);
  await sql`update spend_approvals set signature = ${badRow} where proposal_id = ${proposal.id} and approver = 'maria'`.execute(db.db);
  const readiness = (await testPolicy(g.deps, { proposalId: proposal.id })).readiness;
  assert.equal(readiness.ready, false, readiness.reason);

  // one byte changed in the audit entry, with every later hash and the kept head recomputed as the
  // database's owner could: the chain is consistent again, the signature is not
  const entry = log.find((e) => e.action === 'spend.approve' && e.actor === 'maria');
  assert.ok(entry);
  const details = { ...(entry.details as Record<string, unknown>), signature: tamper(storedSignature, 'signature', 20) };
  let prevHash = GENESIS_PREV_HASH;
  for (const e of log) {
    const content = { ...e, prevHash, details: e.seq === entry.seq ? details : e.details };
    const hash = auditEntryHash(content);
    if (e.seq >= entry.seq) await sql`update audit_log set details = ${canonicalJson(content.details)}, prev_hash = ${prevHash}, hash = ${hash} where seq = ${e.seq}`.execute(db.db);
    prevHash = hash;
  }
  await sql`update settings set value = ${JSON.stringify({ seq: log[log.length - 1]?.seq, hash: prevHash })} where key = ${AUDIT_HEAD_KEY}`.execute(db.db);
  const after = await verifyAuditLog({ spends: g.spends });
  assert.equal(after.ok, false);
  assert.deepEqual(after.problems.map((p) => [p.seq, p.kind]), [[entry.seq, 'edited']], after.problems.map((p) => p.message).join('; '));
  assert.match(after.problems[0]?.message ?? '', /passkey signature of maria's approval does not verify \(the passkey signature does not verify\)/);
  await page.close();
  assert.deepEqual(problems.splice(0), []);
});
