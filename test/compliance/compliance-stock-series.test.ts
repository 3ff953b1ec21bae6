// The public-sector stock over time, split by class (issue #15 item 5), on hand-built flows: a
// small chain of transactions among four government wallets and the outside world, classified as
// the app does (a wallet counts from the day it joins the register, until the day it leaves). The
// series' total on every day equals the registered wallets' balances added up, computed apart from
// the raw transactions; a consolidation moves the total only by its fee (the fee under `fee`, the
// consolidation's own part zero); coins a wallet held when it joined are not an acquisition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFlows, type FlowTx } from '../../src/core/compliance/classify-flows.ts';
import { flowParts, STOCK_COMPONENTS, stockSeries, thinPoints, type StockComponent } from '../../src/core/compliance/stock-series.ts';
import { inRegisterOn, type RegisterEntry } from '../../src/core/compliance/types.ts';
import { day, txid } from './fixtures.ts';

type Side = Array<[string | null, bigint]>;
interface RawTx { id: string; date: string; ins: Side; outs: Side; labels?: string[]; category?: FlowTx['category']; coinbase?: boolean }

const entry = (vaultId: string, joinedOn: string, leftOn: string | null = null): RegisterEntry => ({
  vaultId, version: 1, owner: 'Government of El Salvador', legalBasis: 'Bitcoin Law (2021)', purpose: 'reserve', joinedOn, leftOn, recordedBy: 'rosa', recordedAtMs: 0,
});

/** A wallet's balance at the end of `d`, from the raw transactions (register or not). */
function balanceOf(chain: readonly RawTx[], wallet: string, d: string): bigint {
  let b = 0n;
  for (const t of chain) {
    if (t.date > d) continue;
    for (const [w, s] of t.outs) if (w === wallet) b += s;
    for (const [w, s] of t.ins) if (w === wallet) b -= s;
  }
  return b;
}

/** The transactions as the app hands them to the classifier: a wallet not in the register that day is outside. */
function asFlowTxs(chain: readonly RawTx[], register: readonly RegisterEntry[]): FlowTx[] {
  const member = (w: string | null, d: string): string | null => (w !== null && register.some((e) => e.vaultId === w && inRegisterOn(e, d)) ? w : null);
  return chain
    .map((t, i) => ({
      txid: t.id, height: 100 + i, time: day(t.date), coinbase: t.coinbase ?? false,
      inputs: t.ins.map(([w, s]) => {
        const m = member(w, t.date);
        return { wallet: m, sats: m === null ? null : s };
      }),
      outputs: t.outs.map(([w, s]) => ({ wallet: member(w, t.date), sats: s, data: false })),
      category: t.category ?? null, labels: t.labels ?? [],
    }))
    .filter((t) => t.inputs.some((i) => i.wallet !== null) || t.outputs.some((o) => o.wallet !== null));
}

const raw = (date: string, ins: Side, outs: Side, more: Partial<RawTx> = {}): RawTx => ({ id: txid(), date, ins, outs, ...more });

// El Salvador, hand-built: the reserve and Chivo from 2021; the Bitcoin Office joins in 2024 with
// coins it bought before; CEL (a state power company) mines, then leaves the register in 2025.
const REGISTER = [entry('reserve', '2021-09-07'), entry('chivo', '2021-09-07'), entry('bitcoin-office', '2024-01-10'), entry('cel', '2023-01-01', '2025-10-01')];
const CHAIN: RawTx[] = [
  raw('2021-09-07', [[null, 0n]], [['reserve', 400_000n]], { category: 'purchase' }),
  raw('2021-10-01', [[null, 0n]], [['chivo', 150_000n]]),
  raw('2023-06-01', [], [['cel', 6_250n]], { coinbase: true }),
  raw('2023-12-01', [[null, 0n]], [['bitcoin-office', 90_000n]]), // before it joined: comes in with it
  raw('2024-05-05', [[null, 0n]], [['reserve', 30_000n]], { labels: ['Seizure: Juzgado Especializado, case 123/2024'] }),
  // 2025-08-29: consolidation of three wallets into the reserve (the IMF's argument), 40 sats fee
  raw('2025-08-29', [['chivo', 150_000n], ['bitcoin-office', 90_000n], ['cel', 6_250n]], [['reserve', 246_210n]]),
  // the same day: a self-transfer with change
  raw('2025-08-29', [['reserve', 400_000n]], [['reserve', 399_990n]]),
  raw('2025-09-07', [[null, 0n]], [['reserve', 21_000n]], { labels: ['Announced purchase: 21 BTC'] }),
  raw('2025-09-08', [['reserve', 246_210n]], [[null, 100_000n], ['reserve', 146_200n]], { labels: ['Sale of 1 BTC to exchange X'] }),
  raw('2025-09-09', [['reserve', 146_200n]], [[null, 5_000n], ['reserve', 141_190n]]),
  raw('2025-09-10', [['reserve', 30_000n]], [[null, 12_000n], ['reserve', 17_990n]], { category: 'settlement', labels: ['alliance settlement, cycle 3'] }),
  raw('2025-09-20', [[null, 0n]], [['cel', 3_125n]], { labels: ['pool payout, mining'] }),
  raw('2025-11-01', [[null, 0n]], [['cel', 50_000n]]), // after CEL left the register: not counted
];

const series = () => {
  const flows = classifyFlows(asFlowTxs(CHAIN, REGISTER), new Map());
  return { flows, s: stockSeries({ register: REGISTER, flows, balanceAt: (w, d) => balanceOf(CHAIN, w, d) }) };
};
const registeredBalance = (d: string): bigint => REGISTER.filter((e) => inRegisterOn(e, d)).reduce((a, e) => a + balanceOf(CHAIN, e.vaultId, d), 0n);

test('the series\' total on every day is the registered wallets\' balances added up; the last point is today\'s stock', () => {
  const { s } = series();
  assert.ok(s.points.length >= 10, `${s.points.length} points`);
  for (const p of s.points) assert.equal(p.totalSats, registeredBalance(p.date), p.date);
  const last = s.points.at(-1);
  assert.equal(last?.date, '2025-10-01', 'the last change: CEL leaves the register (its later receipt does not count)');
  assert.equal(last?.totalSats, balanceOf(CHAIN, 'reserve', '2026-01-01') + balanceOf(CHAIN, 'chivo', '2026-01-01') + balanceOf(CHAIN, 'bitcoin-office', '2026-01-01'));
  assert.deepEqual([...new Set(s.points.map((p) => p.date))], s.points.map((p) => p.date), 'one point per day, in order');
  assert.deepEqual(s.points.map((p) => p.date), [...s.points.map((p) => p.date)].sort());
});

test('the components add up to the total on every point', () => {
  const { s } = series();
  for (const p of s.points) assert.equal(STOCK_COMPONENTS.reduce((a, c) => a + p.byComponent[c], 0n), p.totalSats, p.date);
});

test('consolidations do not move the total: their own part stays zero, the total moves only by their fee', () => {
  const { s, flows } = series();
  const consolidations = flows.filter((f) => f.class === 'internal-consolidation');
  assert.equal(consolidations.length, 2, 'the three-wallet consolidation and the self-transfer');
  for (const p of s.points) assert.equal(p.byComponent['internal-consolidation'], 0n, p.date);
  const at = (d: string) => s.points.find((p) => p.date === d);
  const before = s.points.filter((p) => p.date < '2025-08-29').at(-1);
  assert.equal((at('2025-08-29')?.totalSats ?? 0n) - (before?.totalSats ?? 0n), -50n, 'the two fees (40 + 10 sats), nothing else');
  assert.equal((at('2025-08-29')?.byComponent.fee ?? 0n) - (before?.byComponent.fee ?? 0n), -50n);
  // a consolidation on its own, without a fee, leaves the total exactly where it was
  const zeroFee = stockSeries({
    register: [entry('a', '2025-01-01'), entry('b', '2025-01-01')],
    flows: classifyFlows([{ txid: txid(), height: 1, time: day('2025-03-01'), coinbase: false, inputs: [{ wallet: 'a', sats: 500n }], outputs: [{ wallet: 'b', sats: 500n, data: false }], category: null, labels: [] }], new Map()),
    balanceAt: (w) => (w === 'a' ? 500n : 0n),
  });
  assert.deepEqual(zeroFee.points.map((p) => [p.date, p.totalSats]), [['2025-01-01', 500n], ['2025-03-01', 500n]]);
});

test('each class shows its own change: joining with coins, acquisition, seizure, mining, sale, payment, settlement, fee', () => {
  const { s } = series();
  const last = s.points.at(-1)?.byComponent as Record<StockComponent, bigint>;
  assert.deepEqual(
    Object.fromEntries(Object.entries(last).filter(([, v]) => v !== 0n)),
    {
      // reserve 400,000 + chivo 150,000 joined empty and then received (those are acquisitions);
      // the Bitcoin Office brought 90,000, CEL joined empty; CEL left holding 3,125 (mined after the consolidation)
      'register-change': 90_000n - 3_125n,
      'external-acquisition': 400_000n + 150_000n + 21_000n,
      'mining-reward': 6_250n + 3_125n,
      seizure: 30_000n,
      sale: -100_000n,
      payment: -5_000n,
      'settlement-payment': -12_000n,
      fee: -(40n + 10n + 10n + 10n + 10n),
    },
  );
  assert.deepEqual(s.components, ['register-change', 'external-acquisition', 'mining-reward', 'seizure', 'settlement-payment', 'sale', 'payment', 'fee']);
});

test('counted over some wallets only, a flow touching others gives its whole change to its class (no fee split)', () => {
  const { flows } = series();
  const consolidation = flows.find((f) => f.class === 'internal-consolidation' && Object.keys(f.walletDeltas).length > 1);
  assert.ok(consolidation);
  assert.deepEqual(flowParts(consolidation, new Set(['reserve', 'chivo', 'bitcoin-office', 'cel'])), [['internal-consolidation', 0n], ['fee', -40n]]);
  assert.deepEqual(flowParts(consolidation, new Set(['reserve'])), [['internal-consolidation', 246_210n]]);
  assert.deepEqual(flowParts(consolidation, new Set(['nobody'])), []);
});

test('thinning keeps the first and last points and at most max', () => {
  const pts = Array.from({ length: 1000 }, (_, i) => i);
  const t = thinPoints(pts, 400);
  assert.ok(t.length <= 400 && t.length >= 399, `${t.length}`);
  assert.equal(t[0], 0);
  assert.equal(t.at(-1), 999);
  assert.deepEqual(thinPoints([1, 2, 3], 400), [1, 2, 3]);
  assert.throws(() => thinPoints(pts, 1), RangeError);
});

test('a wallet given twice is a programmer fault', () => {
  assert.throws(() => stockSeries({ register: [entry('a', '2025-01-01'), entry('a', '2025-02-01')], flows: [], balanceAt: () => 0n }), /wallet a is in the register input twice/);
});
