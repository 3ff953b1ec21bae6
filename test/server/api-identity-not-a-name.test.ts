// Identity is not a name (issue #19 item 1), through the real server on both engines:
// - the reviewer's attack: an admin creates a token NAMED "pedro" with the approver role and
//   approves with it — now the token acts as no member and is refused;
// - an admin cannot bind a token to pedro at all (POST /tokens with member is refused): only pedro's
//   own enrolment does (a one-time code the admin issues, pedro redeems);
// - a token enrolled TO pedro (by id) acts as pedro, but outside regtest it cannot approve without
//   pedro's own signature, so even an admin who redeems pedro's code cannot approve in his name;
// - a token must carry a role its member holds;
// - issuing and revoking tokens is in the audit log, and every audit row a request writes names the
//   token it came with (details.via.token) as well as the member (actor).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { buildServer } from '../../src/server/app.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import type { Network } from '../../src/core/network.ts';
import { FOREIGN, setupGovernance } from '../spend/fixtures.ts';

const regtest = useRegtestNode();

forEachEngine('identity is not a name', (t) => {
  for (const network of ['regtest', 'signet'] as const satisfies readonly Network[]) {
    test(`governance on ${network}: a token acts only as the member it was issued to`, async () => {
      const db = await t.open();
      const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n] });
      const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
      const tokens = new SqlApiTokenStore(db, { clock: { now: g.clock.now } });
      const admin = await tokens.create({ name: 'ana', role: 'admin', memberId: 'ana' });
      const app = await buildServer({
        publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: g.vaults,
        governance: { spends: g.spends, chain: g.deps.chain, network }, clock: { now: g.clock.now }, webRoot: null, rateLimit: null,
      });
      try {
        const call = (token: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
          app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

        // The attack as written: a token that only carries the name.
        const named = await call(admin.token, 'POST', '/tokens', { name: 'pedro', role: 'approver' });
        assert.equal(named.statusCode, 201, named.body);
        assert.equal(named.json().memberId, null);
        const refused = await call(named.json().token as string, 'POST', `/proposals/${proposal.id}/approve`);
        assert.equal(refused.statusCode, 403, refused.body);
        assert.match(refused.json().error.message, /not issued to a member/);
        assert.equal((await call(named.json().token as string, 'GET', '/members')).json().you, null);

        // The admin cannot bind a token to pedro directly, whatever the role.
        const before = await tokens.list();
        for (const role of ['approver', 'admin']) {
          const direct = await call(admin.token, 'POST', '/tokens', { name: `pedro ${role}`, role, member: 'pedro' });
          assert.equal(direct.statusCode, 403, direct.body);
          assert.match(direct.json().error.message, /enrolment/);
        }
        assert.deepEqual(await tokens.list(), before, 'no token bound to pedro');
        // A role the member does not hold: not even an enrolment code.
        const wrongRole = await call(admin.token, 'POST', '/tokens/enrolments', { member: 'pedro', role: 'admin' });
        assert.equal(wrongRole.statusCode, 403, wrongRole.body);

        // Enrolled by pedro's code: the token is pedro — but outside regtest an approval is pedro's signature.
        const code = await call(admin.token, 'POST', '/tokens/enrolments', { member: 'pedro', role: 'approver' });
        assert.equal(code.statusCode, 201, code.body);
        const issued = await app.inject({ method: 'POST', url: '/api/v1/enrol', payload: { code: code.json().code as string, name: 'pedro laptop' } });
        assert.equal(issued.statusCode, 201, issued.body);
        const pedro = issued.json().token as string;
        assert.equal((await call(pedro, 'GET', '/members')).json().you.id, 'pedro');
        const approved = await call(pedro, 'POST', `/proposals/${proposal.id}/approve`);
        if (network === 'regtest') assert.equal(approved.statusCode, 200, approved.body);
        else {
          assert.equal(approved.statusCode, 403, approved.body);
          assert.match(approved.json().error.message, /an approval is a signature/);
        }

        const revoked = await call(admin.token, 'DELETE', `/tokens/${issued.json().id as string}`);
        assert.equal(revoked.statusCode, 200, revoked.body);
        assert.equal((await call(pedro, 'GET', '/members')).statusCode, 401);

        const log = await g.spends.auditLog();
        const issues = log.filter((e) => e.action === 'token.issued' || e.action === 'token.enrolment.issue' || e.action === 'token.enrolment.redeem');
        assert.deepEqual(issues.map((e) => [e.action, e.actor, (e.details as { member: string | null }).member]), [['token.issued', 'ana', null], ['token.enrolment.issue', 'ana', 'pedro'], ['token.enrolment.redeem', 'pedro', 'pedro']]);
        for (const e of issues.slice(0, 2)) assert.equal((e.details as { via?: { token?: string } }).via?.token, admin.id, 'names the admin token');
        assert.equal((issues[2]?.details as { token?: string }).token, issued.json().id, 'the redemption names the token it made');
        assert.ok(log.some((e) => e.action === 'token.revoke' && e.object === `token:${issued.json().id as string}`));
        if (network === 'regtest') {
          const approval = log.find((e) => e.action === 'spend.approve');
          assert.equal(approval?.actor, 'pedro');
          assert.equal((approval?.details as { via?: { token?: string } }).via?.token, issued.json().id, 'the approval names the token it came with');
        }
      } finally {
        await app.close();
      }
    });
  }
});
