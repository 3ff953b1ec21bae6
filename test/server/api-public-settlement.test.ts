// GET /public/settlement (issue #16, the alliance view) against the demo's settlement on a real
// regtest chain, on both engines (SQLite and PostgreSQL), through the server's own wiring
// (serverDepsFor): three cycles settled with their pay-in and payout txids confirmed, one rescinded
// with El Salvador as defaulter and Pakistan's refund txid; nets sum to zero, at most N−1 transfers,
// gross vs settled; and no invoice reference or address is published. A server without a settlement
// store answers an empty alliance. A member's state or institution carrying a bidi override or a
// control character reaches the answer escaped, as every public answer's display text (issue #19).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { useRegtestNode } from '../helpers/regtest.ts';
import { forEachEngine } from '../helpers/engines.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { buildServer } from '../../src/server/app.ts';
import { serverDepsFor } from '../../src/server/database-deps.ts';
import type { PublicSettlementAnswer } from '../../src/server/routes/settlement-public.ts';
import { buildDemoSettlement } from '../settlement/public-settlement-fixture.ts';
import { LiveHub } from '../../src/server/live-events.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import { displaySafe } from '../../src/core/text/display-text.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';

forEachEngine('GET /public/settlement on the demo\'s alliance', (t) => {
  const regtest = useRegtestNode();
  let dir = '';
  let db: Database;
  let app: FastifyInstance;
  let built: { settled: string[]; rescinded: string[] };
  let body = '';
  let answer: PublicSettlementAnswer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'soberana-public-settlement-'));
    db = await t.open();
    built = await buildDemoSettlement(await regtest.ready(), db, dir);
    app = await buildServer({ ...(await serverDepsFor(db, 'regtest', { dashboard: false })), rateLimit: null, publicCacheMs: 0 });
    const res = await app.inject({ url: '/api/v1/public/settlement' });
    assert.equal(res.statusCode, 200, res.body);
    body = res.body;
    answer = res.json<PublicSettlementAnswer>();
  });

  after(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('settled cycles show their nets, transfers, pay-in and payout txids with confirmations', () => {
    assert.deepEqual(answer.members.map((m) => m.code).sort(), ['PAK', 'RUS', 'SLV']);
    assert.equal(answer.cycles.length, 4);
    const settled = answer.cycles.filter((c) => c.status === 'settled');
    assert.deepEqual(settled.map((c) => c.id).sort(), [...built.settled].sort());
    for (const c of settled) {
      assert.equal(c.mode, 'escrow');
      assert.equal(c.positions.reduce((s, p) => s + BigInt(p.sats), 0n), 0n, 'nets sum to zero');
      assert.ok(c.transfers.length >= 1 && c.transfers.length <= answer.members.length - 1, 'at most N−1 transfers');
      assert.equal(c.payIns.length, c.positions.filter((p) => BigInt(p.sats) < 0n).length, 'one pay-in per net payer');
      for (const p of c.payIns) {
        assert.equal(p.status, 'confirmed');
        assert.match(p.tx?.txid ?? '', /^[0-9a-f]{64}$/);
        assert.ok((p.tx?.confirmations ?? 0) >= 6, `pay-in of ${p.payer} has its six confirmations`);
      }
      assert.match(c.payout?.tx?.txid ?? '', /^[0-9a-f]{64}$/);
      assert.ok((c.payout?.tx?.confirmations ?? 0) >= 1, 'the payout is mined');
      assert.deepEqual(c.payout?.payments.map((p) => p.member).sort(), c.positions.filter((p) => BigInt(p.sats) > 0n).map((p) => p.member).sort(), 'every net receiver is paid');
      assert.equal(c.refund, null);
      assert.deepEqual(c.defaulters, []);
      assert.ok(BigInt(c.settledSats) < BigInt(c.grossSats), 'netting moves less than the invoices');
      assert.equal(c.settledSats, c.positions.reduce((s, p) => (BigInt(p.sats) > 0n ? s + BigInt(p.sats) : s), 0n).toString());
      assert.ok(c.nettingEfficiencyBp > 0 && c.nettingEfficiencyBp < 10000);
      assert.equal(c.transfersSaved, c.invoices - c.transfers.length);
      assert.deepEqual(c.gross.map((g) => g.currency), ['USD']);
    }
  });

  test('the rescinded cycle names El Salvador as defaulter and shows the refund of Pakistan\'s pay-in', () => {
    const r = answer.cycles.filter((c) => c.status === 'rescinded');
    assert.deepEqual(r.map((c) => c.id), built.rescinded);
    const c = r[0];
    assert.ok(c);
    assert.deepEqual(c.defaulters, ['SLV']);
    assert.equal(c.payout, null);
    assert.deepEqual(c.refund?.payments.map((p) => p.member), ['PAK']);
    assert.match(c.refund?.tx?.txid ?? '', /^[0-9a-f]{64}$/);
    assert.ok((c.refund?.tx?.confirmations ?? 0) >= 1, 'the refund is mined');
    const slv = c.payIns.find((p) => p.payer === 'SLV');
    assert.ok(slv, 'El Salvador owed a pay-in');
    assert.equal(slv.tx, null, 'and never paid it');
    assert.equal(answer.totals.rescinded, 1);
    assert.equal(answer.totals.settled, 3);
    assert.equal(answer.totals.invoices, answer.cycles.filter((x) => x.status !== 'rescinded').reduce((s, x) => s + x.invoices, 0), 'totals count the cycles that stand');
  });

  test('no invoice reference and no address is published', () => {
    assert.doesNotMatch(body, /ILLUSTRATIVE-/, 'invoice references stay private');
    assert.doesNotMatch(body, /reference/i);
    assert.doesNotMatch(body, /bcrt1[02-9ac-hj-np-z]{20,}/, 'no address');
    assert.doesNotMatch(body, /descriptor|xpub|tpub/i);
  });

  test('a server without a settlement store answers an empty alliance', async () => {
    const { settlement: _s, settlementOnchain: _o, ...rest } = await serverDepsFor(db, 'regtest', { dashboard: false });
    const bare = await buildServer({ ...rest, rateLimit: null });
    try {
      const res = await bare.inject({ url: '/api/v1/public/settlement' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json<PublicSettlementAnswer>().cycles, []);
    } finally {
      await bare.close();
    }
  });

  test('the answer is cached with the public view and a live event makes it fresh', async () => {
    const live = new LiveHub();
    const cachedApp = await buildServer({ ...(await serverDepsFor(db, 'regtest', { dashboard: false })), rateLimit: null, publicCacheMs: 600_000, live });
    try {
      const read = async (): Promise<string[]> => (await cachedApp.inject({ url: '/api/v1/public/settlement' })).json<PublicSettlementAnswer>().members.map((m) => m.code).sort();
      assert.deepEqual(await read(), ['PAK', 'RUS', 'SLV']);
      const settlement = new SqlSettlementStore(db);
      await addAllianceMember({ settlement, now: () => Date.now(), network: 'regtest' }, { actor: 'admin', role: 'admin', member: null }, { code: 'KAZ', state: 'Kazakhstan', institution: 'National Bank of Kazakhstan', currency: 'KZT', receiveDescriptor: multisigDescriptor(1, [cosigner(777)]) });
      assert.deepEqual(await read(), ['PAK', 'RUS', 'SLV'], 'the cached answer is reused');
      live.publish({ kind: 'block', height: 1, hash: '00'.repeat(32), time: 0 });
      assert.deepEqual(await read(), ['KAZ', 'PAK', 'RUS', 'SLV'], 'a live event empties the cache');
    } finally {
      await cachedApp.close();
    }
  });

  test('a member\'s state or institution with a bidi override or control characters reaches the public answer escaped', async () => {
    const state = 'Republic of \u202Eanitsub\u202C\u0007 Evil';
    const institution = 'Bank\u2066 of\u001b[31m Evil';
    const settlement = new SqlSettlementStore(db);
    await addAllianceMember({ settlement, now: () => Date.now(), network: 'regtest' }, { actor: 'admin', role: 'admin', member: null }, { code: 'EVL', state, institution, currency: 'USD', receiveDescriptor: multisigDescriptor(1, [cosigner(778)]) });
    const res = await app.inject({ url: '/api/v1/public/settlement' });
    assert.equal(res.statusCode, 200, res.body);
    for (const ch of ['\u202E', '\u202C', '\u0007', '\u2066', '\u001b']) assert.ok(!res.body.includes(ch), `no raw U+${ch.codePointAt(0)?.toString(16).padStart(4, '0')} in the answer`);
    const evl = res.json<PublicSettlementAnswer>().members.find((m) => m.code === 'EVL');
    assert.ok(evl, 'the member is published');
    assert.equal(evl.state, displaySafe(state));
    assert.equal(evl.institution, displaySafe(institution));
    assert.match(evl.state, /\\u202e/i, 'the override is shown as an escape');
  });
});
