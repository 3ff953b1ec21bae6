// Spend governance through the HTTP API, end to end on the embedded regtest node and both
// engines: an operator token proposes, the list says in plain words what is missing, two
// approvers (finance, central bank) approve, the PSBT is downloaded as binary and as base64,
// two cosigners sign separately, their partial PSBTs are uploaded, the proposal is finalized and
// broadcast, mined, and shows as confirmed. Identity: each token acts as the member of its name.
// Also: a token with no member is refused, a bad upload is a 4xx, the audit log verifies, and
// the public sees none of it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64 } from '@scure/base';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { buildServer } from '../../src/server/app.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { FOREIGN, setupGovernance, signAs } from '../spend/fixtures.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';

const regtest = useRegtestNode();

interface Wire {
  proposal: { id: number; state: string; memo: string | null; approval: { satisfied: boolean; summary: string; required: string | null }; approvals: { approverId: string }[] };
}

forEachEngine('governance over HTTP', (t) => {
  test('propose → approve ×2 → download → sign ×2 → upload → finalize → broadcast → confirmed', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n] });
    const tokens = new SqlApiTokenStore(db, { clock: { now: g.clock.now } });
    const tok = async (name: string, role: 'admin' | 'operator' | 'approver' | 'auditor') => (await tokens.create({ name, role, memberId: name })).token;
    const luis = await tok('luis', 'operator');
    const maria = await tok('maria', 'approver');
    const pedro = await tok('pedro', 'approver');
    const auditor = await tok('ana', 'auditor'); // ana is an admin member; an auditor token reads the log
    const stranger = await tok('nobody', 'operator');
    const app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: g.vaults,
      governance: { spends: g.spends, chain: g.deps.chain, network: 'regtest' }, clock: { now: g.clock.now }, webRoot: null, rateLimit: null,
    });
    try {
      const call = async (token: string | null, method: 'GET' | 'POST', url: string, payload?: unknown) => {
        const res = await app.inject({ method, url: `/api/v1${url}`, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
        return res;
      };
      const memo = 'settlement with the State Bank of Pakistan, tranche 1';
      const pay = { vault: g.vault.name, payments: [{ address: FOREIGN, sats: '70000000' }], feeRateSatPerVb: '2', memo };

      const refused = await call(stranger, 'POST', '/proposals', pay);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'FORBIDDEN');

      const created = await call(luis, 'POST', '/proposals', pay);
      assert.equal(created.statusCode, 201, created.body);
      const id = (created.json() as Wire).proposal.id;
      assert.equal((created.json() as Wire).proposal.state, 'proposed');
      // the transaction commits the audit-log head read when it was proposed (the entry before its own)
      const anchor = (created.json() as { proposal: { anchor: { vout: number; seq: number; commitment: string } | null } }).proposal.anchor;
      assert.ok(anchor, 'a governed spend carries the audit anchor');
      const logAtPropose = (await call(auditor, 'GET', '/audit')).json() as { entries: { seq: number; action: string }[] };
      const proposeEntry = logAtPropose.entries.find((e) => e.action === 'spend.propose');
      assert.equal(anchor.seq, (proposeEntry?.seq ?? 0) - 1, 'anchored head = the entry just before the proposal');

      const listed = (await call(luis, 'GET', '/proposals')).json() as { proposals: Wire['proposal'][] };
      assert.equal(listed.proposals.length, 1);
      assert.equal(listed.proposals[0]?.memo, memo);
      assert.equal(listed.proposals[0]?.approval.satisfied, false);
      assert.equal(listed.proposals[0]?.approval.required, '1 of finance AND 1 of central-bank');
      assert.match(listed.proposals[0]?.approval.summary ?? '', /needs 2 more approvals from finance and 1 more from central-bank|needs 1 more approval from finance and 1 more from central-bank/);

      // not approved yet: no download
      const early = await call(luis, 'GET', `/proposals/${id}/psbt`);
      assert.equal(early.statusCode, 422, early.body);
      assert.equal(early.json().error.code, 'APPROVAL_REQUIRED');

      const a1 = await call(maria, 'POST', `/proposals/${id}/approve`);
      assert.equal(a1.statusCode, 200, a1.body);
      assert.equal((a1.json() as Wire).proposal.approval.summary, 'waiting: needs 1 more approval from central-bank (requirement: 1 of finance AND 1 of central-bank)');
      const twice = await call(maria, 'POST', `/proposals/${id}/approve`);
      assert.equal(twice.statusCode, 409, twice.body);
      const a2 = await call(pedro, 'POST', `/proposals/${id}/approve`);
      assert.equal((a2.json() as Wire).proposal.state, 'approved');
      assert.equal((a2.json() as Wire).proposal.approval.satisfied, true);

      const bin = await call(luis, 'GET', `/proposals/${id}/psbt?format=binary`);
      assert.equal(bin.statusCode, 200);
      assert.equal(bin.headers['content-type'], 'application/octet-stream');
      assert.deepEqual([...bin.rawPayload.subarray(0, 5)], [0x70, 0x73, 0x62, 0x74, 0xff], 'PSBT magic');
      const b64 = (await call(luis, 'GET', `/proposals/${id}/psbt`)).json() as { psbt: string };
      assert.deepEqual(base64.decode(b64.psbt), new Uint8Array(bin.rawPayload), 'both formats carry the same PSBT');

      const junk = await call(luis, 'POST', `/proposals/${id}/psbt`, { psbt: 'not a psbt at all' });
      assert.equal(junk.statusCode, 400, junk.body);
      assert.equal(junk.json().error.code, 'INVALID_PSBT');

      // finance signs from the binary file, the central bank from the base64 text
      const up1 = await call(luis, 'POST', `/proposals/${id}/psbt`, { psbt: signAs(g, 0, new Uint8Array(bin.rawPayload)) });
      assert.equal(up1.statusCode, 200, up1.body);
      assert.equal(up1.json().complete, false);
      const early2 = await call(luis, 'POST', `/proposals/${id}/finalize`);
      assert.equal(early2.statusCode, 422, early2.body);
      const up2 = await call(luis, 'POST', `/proposals/${id}/psbt`, { psbt: signAs(g, 2, b64.psbt) });
      assert.equal(up2.json().complete, true, up2.body);

      const fin = await call(luis, 'POST', `/proposals/${id}/finalize`);
      assert.equal(fin.statusCode, 200, fin.body);
      const bc = await call(luis, 'POST', `/proposals/${id}/broadcast`);
      assert.equal(bc.statusCode, 200, bc.body);
      assert.equal(bc.json().txid, fin.json().txid);

      await g.node.mine(1);
      await g.sync();
      const stillBroadcast = (await call(maria, 'GET', `/proposals/${id}`)).json() as Wire;
      assert.equal(stillBroadcast.proposal.state, 'broadcast', 'a read changes nothing: sync follows the chain');
      await trackProposals(g.deps, { vaultId: g.vault.id }); // what "soberana sync" does after the vaults
      const shown = (await call(maria, 'GET', `/proposals/${id}`)).json() as Wire;
      assert.equal(shown.proposal.state, 'confirmed');

      const verify = await call(auditor, 'GET', '/audit/verify');
      assert.equal(verify.json().ok, true, verify.body);
      const log = (await call(auditor, 'GET', '/audit?limit=100')).json() as { entries: { actor: string; action: string }[] };
      for (const want of ['luis:spend.propose', 'maria:spend.approve', 'pedro:spend.approve', 'luis:spend.export', 'luis:spend.import', 'luis:spend.broadcast']) {
        assert.ok(log.entries.some((e) => `${e.actor}:${e.action}` === want), `audit has ${want}`);
      }
      assert.equal((await call(luis, 'GET', '/audit')).statusCode, 403, 'an operator does not read the audit log');

      const policy = (await call(maria, 'GET', '/policy')).json() as { active: { version: number; rules: { then: string }[] } };
      assert.equal(policy.active.version, 1);
      assert.equal(policy.active.rules[0]?.then, 'needs 1 of finance AND 1 of central-bank');

      const members = (await call(luis, 'GET', '/members')).json() as { members: { id: string }[]; you: { id: string } | null };
      assert.equal(members.you?.id, 'luis');
      assert.ok(members.members.length >= 5);

      // the public: nothing of this
      for (const url of ['/proposals', `/proposals/${id}`, '/audit', '/members', '/policy']) {
        const res = await call(null, 'GET', url);
        assert.equal(res.statusCode, 401, url);
        assert.ok(!res.body.includes(memo));
      }
      for (const url of ['/public/summary', '/public/transactions?limit=500', '/public/addresses']) {
        const res = await call(null, 'GET', url);
        assert.equal(res.statusCode, 200, url);
        assert.ok(!res.body.includes(memo) && !res.body.includes('maria') && !res.body.includes('spend.approve'), `${url} leaks governance data`);
      }
    } finally {
      await app.close();
    }
  });
});
