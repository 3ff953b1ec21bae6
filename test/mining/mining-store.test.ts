// The mining store (migration 0014) on SQLite and PostgreSQL: ventures, partners, versioned share
// tables, sites and distributions round-trip; every write leaves an audit entry; a share table
// version is taken once; a period is claimed for distribution by exactly one of concurrent callers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { SqlMiningStore } from '../../src/adapters/store/mining-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import type { DistributionRecord, Site } from '../../src/core/mining/venture.ts';
import type { Sats } from '../../src/core/money.ts';

const audit = (action: string) => ({ actor: 'rosa', role: 'admin', action, object: 'mining:test', details: {}, atMs: 1_000 });

const SITE: Site = {
  ventureId: 'geo', id: 'berlin', name: 'Berlín geothermal plant', capacityKw: 102_500n, energySource: 'geothermal', tariffMinorPerMwh: 4_500n, currency: 'USD',
  marketTariffMinorPerMwh: 9_000n, fleetThs: 3_000_000n, efficiencyMjPerTh: 17_500n, uptimeBps: 9_500, pool: 'Luxor', poolFeeBps: 200,
  poolAddresses: ['bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'], addedBy: 'rosa', addedAtMs: 5,
};

forEachEngine('mining store', (t) => {
  test('ventures, partners, share versions and sites round-trip, each write audited', async () => {
    const db = await t.open();
    const store = new SqlMiningStore(db);
    await store.addVenture({ id: 'geo', name: 'Geothermal Venture', vaultId: 'venture-vault', publicSector: true, createdBy: 'rosa', createdAtMs: 1 }, audit('mining.venture.add'));
    await assert.rejects(store.addVenture({ id: 'geo2', name: 'Geothermal Venture', vaultId: 'x', publicSector: false, createdBy: 'rosa', createdAtMs: 1 }, audit('x')), { code: 'ALREADY_EXISTS' });
    assert.deepEqual(await store.venture('Geothermal Venture'), { id: 'geo', name: 'Geothermal Venture', vaultId: 'venture-vault', publicSector: true, createdBy: 'rosa', createdAtMs: 1 });
    await store.addPartner({ ventureId: 'geo', id: 'LAGEO', name: 'LaGeo', settlement: { kind: 'vault', vaultId: 'es' }, nextIndex: 0, addedBy: 'rosa', addedAtMs: 2 }, audit('mining.partner.add'));
    await store.addPartner({ ventureId: 'geo', id: 'PAK', name: 'Pakistan', settlement: { kind: 'descriptor', descriptor: 'wpkh(xpub/0/*)' }, nextIndex: 0, addedBy: 'rosa', addedAtMs: 2 }, audit('mining.partner.add'));
    const partners = await store.partners('geo');
    assert.deepEqual(partners.map((p) => [p.id, p.settlement.kind]), [['LAGEO', 'vault'], ['PAK', 'descriptor']]);
    assert.equal(await store.takePartnerIndexes('geo', 'PAK', 2), 0);
    assert.equal(await store.takePartnerIndexes('geo', 'PAK', 1), 2);

    const v1 = { ventureId: 'geo', version: 1, effectiveFrom: 100, note: null, shares: [{ partner: 'LAGEO', bps: 5000 }, { partner: 'PAK', bps: 5000 }], recordedBy: 'rosa', recordedAtMs: 3 };
    await store.addShareVersion(v1, audit('mining.shares.set'));
    await assert.rejects(store.addShareVersion({ ...v1, effectiveFrom: 200 }, audit('x')), { code: 'ALREADY_EXISTS' }, 'version 1 is taken');
    await assert.rejects(store.addShareVersion({ ...v1, version: 2, effectiveFrom: 100 }, audit('x')), { code: 'INVALID_ARGUMENT' }, 'must start after version 1');
    await store.addShareVersion({ ...v1, version: 2, effectiveFrom: 200, note: 'Pakistan buys in', shares: [{ partner: 'LAGEO', bps: 4000 }, { partner: 'PAK', bps: 6000 }] }, audit('mining.shares.set'));
    const versions = await store.shareVersions('geo');
    assert.deepEqual(versions.map((v) => [v.version, v.effectiveFrom, v.note, v.shares]), [
      [1, 100, null, [{ partner: 'LAGEO', bps: 5000 }, { partner: 'PAK', bps: 5000 }]],
      [2, 200, 'Pakistan buys in', [{ partner: 'LAGEO', bps: 4000 }, { partner: 'PAK', bps: 6000 }]],
    ]);

    await store.addSite(SITE, audit('mining.site.add'));
    await assert.rejects(store.addSite(SITE, audit('x')), { code: 'ALREADY_EXISTS' });
    assert.deepEqual(await store.sites('geo'), [SITE]);

    const actions = (await new SqlSpendStore(db).auditLog()).map((e) => e.action);
    assert.deepEqual(actions, ['mining.venture.add', 'mining.partner.add', 'mining.partner.add', 'mining.shares.set', 'mining.shares.set', 'mining.site.add']);
  });

  test('a period is claimed by exactly one of concurrent callers; released claims can be taken again; completed claims are kept', async () => {
    const db = await t.open();
    const store = new SqlMiningStore(db);
    const rec = (by: string, atMs: number): DistributionRecord => ({
      ventureId: 'geo', period: '2026-11', state: 'claimed', proposalId: null, totalSats: 0n as Sats, feeSats: 0n as Sats, document: '{}', claimedBy: by, claimedAtMs: atMs, proposedAtMs: null,
    });
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((by, i) => store.claimDistribution(rec(by, 10 + i), audit('mining.distribute.claim'))));
    assert.equal(results.filter((r) => r.claimed).length, 1);
    const winner = results.find((r) => r.claimed)?.record;
    assert.ok(winner);
    for (const r of results) assert.equal(r.record.claimedBy, winner.claimedBy);
    await store.releaseDistribution('geo', '2026-11', winner.claimedAtMs);
    assert.equal(await store.distribution('geo', '2026-11'), null);
    const again = await store.claimDistribution(rec('e', 20), audit('mining.distribute.claim'));
    assert.equal(again.claimed, true);
    await store.completeDistribution('geo', '2026-11', 7, '{"parts":[]}', 1000n as Sats, 10n as Sats, 30, audit('mining.distribute'));
    await store.releaseDistribution('geo', '2026-11', 20); // a completed distribution is not released
    const d = await store.distribution('geo', '2026-11');
    assert.deepEqual(d && [d.state, d.proposalId, d.totalSats, d.feeSats, d.proposedAtMs, d.document], ['proposed', 7, 1000n, 10n, 30, '{"parts":[]}']);
    await assert.rejects(store.completeDistribution('geo', '2026-11', 8, '{}', 1n as Sats, 0n as Sats, 31, audit('x')), { code: 'INVALID_STATE' });
    assert.equal((await store.distributions('geo')).length, 1);
  });
});
