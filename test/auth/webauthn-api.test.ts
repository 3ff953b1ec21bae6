// Passkeys over the HTTP API (issue #19 item 1), through the real server on SQLite:
// - GET /members/me/passkey tells an approver the relying party and origins (default: localhost and
//   http://localhost:<port>); other roles may not call it;
// - POST /members/me/passkey takes only an ES256 (P-256) SubjectPublicKeyInfo and proposes it as a
//   member change: the key is bound only after the quorum approves, never by the token alone;
// - approval statements give the digest as hex and as the WebAuthn challenge, with the member's
//   passkey credential; a policy change approved with a passkey assertion counts, a forged one is a
//   400 INVALID_SIGNATURE; a body with both a signature and an assertion is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { base64urlnopad, hex } from '@scure/base';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { approvePolicy } from '../../src/app/approve-policy.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import { policyDoc } from '../spend/fixtures.ts';
import { assertWithSoftwarePasskey, makeSoftwarePasskey } from '../helpers/software-passkey.ts';

let api: TestApi;
let deps: GovernanceDeps;
const passkey = makeSoftwarePasskey('localhost');

before(async () => {
  api = await startTestApi({ extra: 2 });
  const gov = api.deps.governance;
  const vaults = api.deps.vaults;
  assert.ok(gov && vaults);
  deps = { spends: gov.spends, vaults, now: () => api.deps.clock.now(), network: 'regtest' };
  await addMember(deps, { actor: undefined, id: 'test-admin', name: 'Ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'test-admin', id: 'test-approver', name: 'Maria', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'test-admin', id: 'marta', name: 'Marta', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'test-admin', id: 'pedro', name: 'Pedro', roles: ['approver'], groups: ['central-bank'] });
  await addMember(deps, { actor: 'test-admin', id: 'test-operator', name: 'Luis', roles: ['operator'], groups: [] });
  await proposePolicy(deps, { actor: 'test-admin', document: policyDoc({ policyChange: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } }) });
});
after(async () => {
  await api?.close();
});

const call = (role: 'approver' | 'operator' | 'admin', method: 'GET' | 'POST', url: string, payload?: unknown) =>
  api.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${api.token[role]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

test('an approver proposes a passkey as their key: only ES256, and bound only by the quorum', async () => {
  const info = await call('approver', 'GET', '/members/me/passkey');
  assert.equal(info.statusCode, 200, info.body);
  const i = info.json<{ rpId: string; origins: string[]; approvalKey: string | null; passkey: unknown; member: { id: string } }>();
  assert.equal(i.rpId, 'localhost');
  assert.equal(i.origins.length, 1);
  assert.match(i.origins[0] ?? '', /^http:\/\/localhost(:\d+)?$/, 'http://localhost:<port>, the default port left out as browsers write it');
  assert.deepEqual([i.approvalKey, i.passkey, i.member.id], [null, null, 'test-approver']);
  assert.equal((await call('operator', 'GET', '/members/me/passkey')).statusCode, 403);
  assert.equal((await call('operator', 'POST', '/members/me/passkey', { credentialId: passkey.credential.credentialId, publicKey: base64urlnopad.encode(passkey.spki) })).statusCode, 403);

  const ed = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }));
  const refused = await call('approver', 'POST', '/members/me/passkey', { credentialId: 'AQID', publicKey: base64urlnopad.encode(ed) });
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.json<{ error: { code: string } }>().error.code, 'INVALID_ARGUMENT');
  assert.equal((await call('approver', 'POST', '/members/me/passkey', { credentialId: 'AQID', publicKey: base64urlnopad.encode(passkey.spki), publicKeyAlgorithm: -8 })).statusCode, 400);

  const res = await call('approver', 'POST', '/members/me/passkey', { credentialId: passkey.credential.credentialId, publicKey: base64urlnopad.encode(passkey.spki), publicKeyAlgorithm: -7 });
  assert.equal(res.statusCode, 201, res.body);
  const { changeId } = res.json<{ changeId: number }>();
  assert.equal((await deps.spends.findMember('test-approver'))?.publicKey ?? null, null, 'the token alone binds nothing');

  const st = await call('approver', 'GET', `/policy/changes/${changeId}/approval-statement`);
  assert.equal(st.statusCode, 200, st.body);
  const s = st.json<{ digest: string; challenge: string; passkey: unknown }>();
  assert.equal(hex.encode(base64urlnopad.decode(s.challenge)), s.digest, 'the WebAuthn challenge is the digest');

  assert.equal((await approvePolicy(deps, { actor: 'marta', changeId })).active, false);
  assert.equal((await approvePolicy(deps, { actor: 'pedro', changeId })).active, true);
  assert.equal((await deps.spends.findMember('test-approver'))?.publicKey, passkey.memberKey);
  const now = (await call('approver', 'GET', '/members/me/passkey')).json<{ approvalKey: string; passkey: { credentialId: string; rpId: string } }>();
  assert.deepEqual([now.approvalKey, now.passkey], ['passkey', { credentialId: passkey.credential.credentialId, rpId: 'localhost' }]);
  const members = (await call('approver', 'GET', '/members')).json<{ members: Array<{ id: string; approvalKey: string | null }> }>().members;
  assert.equal(members.find((m) => m.id === 'test-approver')?.approvalKey, 'passkey');
});

test('a policy change approved with a passkey assertion counts; a forged one or a body with both kinds is refused', async () => {
  const { change } = await proposePolicy(deps, { actor: 'test-admin', document: policyDoc({ version: 2, policyChange: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } }) });
  const st = (await call('approver', 'GET', `/policy/changes/${change.id}/approval-statement`)).json<{ challenge: string; passkey: { credentialId: string; rpId: string } | null }>();
  assert.deepEqual(st.passkey, { credentialId: passkey.credential.credentialId, rpId: 'localhost' });
  const origin = (await call('approver', 'GET', '/members/me/passkey')).json<{ origins: string[] }>().origins[0];
  const good = assertWithSoftwarePasskey(passkey, base64urlnopad.decode(st.challenge), { origin });

  const both = await call('approver', 'POST', `/policy/changes/${change.id}/approve`, { signature: 'a'.repeat(128), assertion: good });
  assert.equal(both.statusCode, 400);
  assert.equal(both.json<{ error: { code: string } }>().error.code, 'INVALID_ARGUMENT');
  const sig = base64urlnopad.decode(good.signature);
  sig[8] = (sig[8] ?? 0) ^ 1;
  const forged = await call('approver', 'POST', `/policy/changes/${change.id}/approve`, { assertion: { ...good, signature: base64urlnopad.encode(sig) } });
  assert.equal(forged.statusCode, 400);
  assert.equal(forged.json<{ error: { code: string } }>().error.code, 'INVALID_SIGNATURE');
  const elsewhere = await call('approver', 'POST', `/policy/changes/${change.id}/approve`, { assertion: assertWithSoftwarePasskey(passkey, base64urlnopad.decode(st.challenge), { origin: 'http://localhost:1' }) });
  assert.equal(elsewhere.statusCode, 400, 'an origin this server does not serve');
  const unsigned = await call('approver', 'POST', `/policy/changes/${change.id}/approve`);
  assert.equal(unsigned.statusCode, 403, 'a member with a key must sign, on regtest too');

  const ok = await call('approver', 'POST', `/policy/changes/${change.id}/approve`, { assertion: good });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json<{ active: boolean }>().active, false, 'finance is in; the central bank is missing');
  const policy = (await call('approver', 'GET', '/policy')).json<{ changes: Array<{ id: number; approvals: Array<{ approverId: string; signedWith: string | null }> }> }>();
  assert.deepEqual(policy.changes.find((c) => c.id === change.id)?.approvals.map((a) => [a.approverId, a.signedWith]), [['test-approver', 'passkey']]);
  assert.equal((await approvePolicy(deps, { actor: 'pedro', changeId: change.id })).active, true, 'the passkey approval counted toward the quorum');
});
