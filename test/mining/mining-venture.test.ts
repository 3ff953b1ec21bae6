// Pure rules of mining ventures (core/mining/venture.ts): the table in force at a payout's block
// time; a period split per share-table version with the fee borne by gross part always sums to the
// total, to the sat, for random tables and amounts; share tables that do not sum to 10,000 bps,
// unknown partners and tables not after the current one are refused; periods are UTC months.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apportion, assertNewShareTable, parseShareTable, periodBounds, periodOfTime, shareTableAt, splitPeriod, type Partner, type ShareVersion } from '../../src/core/mining/venture.ts';

const v = (version: number, effectiveFrom: number, table: string): ShareVersion => ({ ventureId: 'g', version, effectiveFrom, note: null, shares: parseShareTable(table), recordedBy: 'r', recordedAtMs: 0 });
const partner = (id: string): Partner => ({ ventureId: 'g', id, name: id, settlement: { kind: 'vault', vaultId: 'x' }, nextIndex: 0, addedBy: 'r', addedAtMs: 0 });

test('the share table in force at a block time is the latest that started at or before it', () => {
  const vs = [v(1, 100, 'A:5000,B:5000'), v(2, 200, 'A:4000,B:6000')];
  assert.equal(shareTableAt(vs, 99), null);
  assert.equal(shareTableAt(vs, 100)?.version, 1);
  assert.equal(shareTableAt(vs, 199)?.version, 1);
  assert.equal(shareTableAt(vs, 200)?.version, 2);
});

test('a period spanning a share change splits each payout by the table at its block time (by hand)', () => {
  const vs = [v(1, 100, 'A:5000,B:3000,C:2000'), v(2, 200, 'A:4000,B:3000,C:3000')];
  const s = splitPeriod([{ txid: 'x', blockTime: 150, sats: 1001n }, { txid: 'y', blockTime: 250, sats: 10n }], vs, 0n);
  // v1: 1001 → A 500.5, B 300.3, C 200.2 → A 501 (largest remainder), B 300, C 200; v2: 10 → 4, 3, 3
  assert.deepEqual(s.parts.map((p) => [p.partner, p.grossSats, p.netSats]), [['A', 505n, 505n], ['B', 303n, 303n], ['C', 203n, 203n]]);
  assert.deepEqual(s.byVersion.map((b) => [b.version, b.sats]), [[1, 1001n], [2, 10n]]);
  const f = splitPeriod([{ txid: 'x', blockTime: 150, sats: 1001n }, { txid: 'y', blockTime: 250, sats: 10n }], vs, 101n);
  assert.deepEqual(f.parts.map((p) => [p.partner, p.feeSats]), [['A', 51n], ['B', 30n], ['C', 20n]], 'the fee by gross part: 101 × 505/1011 = 50.45 → 51 by largest remainder');
  assert.equal(f.parts.reduce((a, p) => a + p.netSats + p.feeSats, 0n), 1011n);
});

test('parts and fee parts always sum to the total and the fee, to the sat (random tables and amounts)', () => {
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 300; round++) {
    const n = 1 + rnd(6);
    const versions: ShareVersion[] = [];
    for (let k = 0; k < 1 + rnd(3); k++) {
      const cuts = Array.from({ length: n - 1 }, () => rnd(10_001)).sort((a, b) => a - b);
      const bps = [...cuts, 10_000].map((c, i) => c - (i === 0 ? 0 : (cuts[i - 1] as number)));
      versions.push(v(k + 1, k * 1000, bps.map((b, i) => `P${i}:${b}`).join(',')));
    }
    const payouts = Array.from({ length: 1 + rnd(5) }, (_, i) => ({ txid: `t${i}`, blockTime: rnd(versions.length * 1000), sats: BigInt(1 + rnd(2 ** 30)) * BigInt(1 + rnd(1000)) }));
    const total = payouts.reduce((a, p) => a + p.sats, 0n);
    const fee = BigInt(rnd(Number(total < 100_000n ? total : 100_000n)));
    const s = splitPeriod(payouts, versions, fee);
    assert.equal(s.parts.reduce((a, p) => a + p.grossSats, 0n), total);
    assert.equal(s.parts.reduce((a, p) => a + p.feeSats, 0n), fee);
    assert.equal(s.parts.reduce((a, p) => a + p.netSats, 0n), total - fee);
    for (const p of s.parts) assert.ok(p.netSats >= 0n && p.feeSats <= p.grossSats);
  }
});

test('apportion is exact and deterministic', () => {
  assert.deepEqual(apportion(10n, [1n, 1n, 1n]), [4n, 3n, 3n]);
  assert.deepEqual(apportion(0n, [0n, 0n]), [0n, 0n]);
  assert.throws(() => apportion(1n, [0n]), RangeError);
});

test('share tables: not summing to 10000 bps, unknown partner, or not after the current table are refused', () => {
  const partners = [partner('A'), partner('B')];
  assert.throws(() => parseShareTable('A:5000,B:4000'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => parseShareTable('A:fifty'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => assertNewShareTable(parseShareTable('A:5000,Z:5000'), partners, [], 0), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => assertNewShareTable(parseShareTable('A:5000,B:5000'), partners, [v(1, 100, 'A:10000')], 100), { code: 'INVALID_ARGUMENT' });
  assert.doesNotThrow(() => assertNewShareTable(parseShareTable('A:5000,B:5000'), partners, [v(1, 100, 'A:10000')], 101));
});

test('a payout before the first share table cannot be split; periods are UTC months', () => {
  assert.throws(() => splitPeriod([{ txid: 'x', blockTime: 5, sats: 1n }], [v(1, 100, 'A:10000')], 0n), { code: 'INVALID_STATE' });
  assert.equal(periodOfTime(Date.parse('2026-11-30T23:59:59Z') / 1000), '2026-11');
  assert.deepEqual(periodBounds('2026-12'), { startSec: Date.parse('2026-12-01T00:00:00Z') / 1000, endSec: Date.parse('2027-01-01T00:00:00Z') / 1000 });
  assert.throws(() => periodBounds('2026-13'), { code: 'INVALID_ARGUMENT' });
});
