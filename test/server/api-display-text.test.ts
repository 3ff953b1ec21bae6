// What people read is what is true (issue #19), over HTTP: a memo, a member's name and an error
// message carrying terminal escape codes and a bidirectional override come back in JSON written
// out visibly (`\u001b`, `\u202e`), never as the characters themselves; the binary PSBT download
// is the same bytes as the base64 one (the hook leaves non-JSON replies alone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64 } from '@scure/base';
import { useRegtestNode } from '../helpers/regtest.ts';
import { buildServer } from '../../src/server/app.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { addMember } from '../../src/app/add-member.ts';
import { FOREIGN, policyDoc, setupGovernance } from '../spend/fixtures.ts';

const regtest = useRegtestNode();

const FORGED_MEMO = 'settlement #1\u001b[1A\u001b[2K\r  pay:       0.01000000 BTC (DISPLAY FORGED)';
const FORGED_MEMO_SHOWN = 'settlement #1\\u001b[1A\\u001b[2K\\r  pay:       0.01000000 BTC (DISPLAY FORGED)';
const NAME = 'Auditor \u202eFMI\u202c\u0007';
const NAME_SHOWN = 'Auditor \\u202eFMI\\u202c\\u0007';
/** C0, DEL, C1 and bidi controls, raw. */
// eslint-disable-next-line no-control-regex -- looking for exactly those characters
const RAW = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A policy file as people write it: indented, several lines. */
const POLICY = `${JSON.stringify(JSON.parse(policyDoc()), null, 2)}\n`;

test('JSON replies show control and bidi characters escaped; the binary PSBT is untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-display-'));
  const db = await openDatabase({ url: join(dir, 'api.db') });
  try {
    const g = await setupGovernance(regtest.node(), db, { fund: [100_000_000n], policy: POLICY });
    await addMember(g.deps, { actor: 'ana', name: NAME, id: 'imf', roles: ['auditor'], groups: [] });
    const tokens = new SqlApiTokenStore(db, { clock: { now: g.clock.now } });
    const luis = (await tokens.create({ name: 'luis', role: 'operator', memberId: 'luis' })).token;
    const maria = (await tokens.create({ name: 'maria', role: 'approver', memberId: 'maria' })).token;
    const pedro = (await tokens.create({ name: 'pedro', role: 'approver', memberId: 'pedro' })).token;
    const imf = (await tokens.create({ name: 'imf', role: 'auditor' })).token;
    const app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: g.vaults,
      governance: { spends: g.spends, chain: g.deps.chain, network: 'regtest' }, clock: { now: g.clock.now }, webRoot: null, rateLimit: null,
    });
    try {
      const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
        app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

      const created = await call(luis, 'POST', '/proposals', { vault: g.vault.name, payments: [{ address: FOREIGN, sats: '70000000' }], feeRateSatPerVb: '2', memo: FORGED_MEMO });
      assert.equal(created.statusCode, 201, created.body);
      const id = (created.json() as { proposal: { id: number; memo: string } }).proposal.id;
      assert.equal((created.json() as { proposal: { memo: string } }).proposal.memo, FORGED_MEMO_SHOWN, 'the reply to the proposer');

      const shown = await call(maria, 'GET', `/proposals/${id}`);
      assert.equal(shown.statusCode, 200, shown.body);
      assert.equal((shown.json() as { proposal: { memo: string } }).proposal.memo, FORGED_MEMO_SHOWN);
      assert.ok(shown.body.includes(JSON.stringify(FORGED_MEMO_SHOWN)), 'the body carries the escapes as visible text');
      assert.ok(!RAW.test(shown.json<{ proposal: { memo: string } }>().proposal.memo));
      const listed = (await call(maria, 'GET', '/proposals')).json() as { proposals: { memo: string }[] };
      assert.equal(listed.proposals[0]?.memo, FORGED_MEMO_SHOWN);

      const members = (await call(luis, 'GET', '/members')).json() as { members: { id: string; name: string }[] };
      assert.equal(members.members.find((m) => m.id === 'imf')?.name, NAME_SHOWN);

      // an error message that quotes what the caller typed
      const missing = await call(luis, 'GET', `/vaults/${encodeURIComponent('x\u001b[2Ky\u202e')}`);
      assert.equal(missing.statusCode, 404, missing.body);
      const message = (missing.json() as { error: { message: string } }).error.message;
      assert.ok(message.includes('x\\u001b[2Ky\\u202e'), message);

      // the audit log's details are JSON text: the memo stays readable there, and nothing raw slips through
      const log = (await call(imf, 'GET', '/audit?limit=50')).json() as { entries: { action: string; details: string }[] };
      const proposeEntry = log.entries.find((e) => e.action === 'spend.propose');
      assert.ok(proposeEntry, 'the proposal is audited');
      assert.ok(!RAW.test(proposeEntry.details), proposeEntry.details);
      assert.equal((JSON.parse(proposeEntry.details) as { memo?: string }).memo, FORGED_MEMO, 'the details still decode to what was typed');

      // binary download: the same PSBT bytes as the base64 in JSON
      assert.equal((await call(maria, 'POST', `/proposals/${id}/approve`)).statusCode, 200);
      assert.equal((await call(pedro, 'POST', `/proposals/${id}/approve`)).statusCode, 200);
      const bin = await call(luis, 'GET', `/proposals/${id}/psbt?format=binary`);
      assert.equal(bin.statusCode, 200, bin.body);
      assert.equal(bin.headers['content-type'], 'application/octet-stream');
      assert.deepEqual([...bin.rawPayload.subarray(0, 5)], [0x70, 0x73, 0x62, 0x74, 0xff], 'PSBT magic');
      const b64 = (await call(luis, 'GET', `/proposals/${id}/psbt`)).json() as { psbt: string };
      assert.deepEqual(new Uint8Array(bin.rawPayload), base64.decode(b64.psbt), 'both formats carry the same PSBT');

      // the policy document (a whole file) keeps its line breaks
      const policy = (await call(maria, 'GET', '/policy')).json() as { active: { document: string } };
      assert.equal(policy.active.document, POLICY);
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
