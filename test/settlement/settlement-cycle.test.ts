/**
 * Cycle close on both engines: equals `settlement net` (netInput, the stateless command's code) on
 * the same confirmed invoices; only confirmed invoices due by the cutoff enter; two concurrent
 * closes give one cycle; rates locked from the shipped price and FX files with their source; a
 * rescind reopens the rest without the defaulter's invoices.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { DomainError } from '../../src/core/errors.ts';
import { netInput } from '../../src/core/settlement/net-file.ts';
import type { NettableInvoice } from '../../src/core/settlement/types.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { closeCycle, lockRates } from '../../src/app/settlement/close-cycle.ts';
import { decideInvoices, importInvoices, listInvoices } from '../../src/app/settlement/submit-invoice.ts';
import { allianceView, memberStatement, memberStatementCsv } from '../../src/app/settlement/statement.ts';
import { ADMIN, RATES, addMembers, as, depsOf } from './settlement-fixture.ts';

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;

/** A deterministic pseudo-random invoice set over the three members and currencies. */
function invoices(n: number, seed: number): { reference: string; exporter: string; importer: string; amount: string; currency: string; due: string }[] {
  let s = seed;
  const rnd = (k: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % k;
  };
  const members = ['SLV', 'PAK', 'RUS'];
  const currencies = ['USD', 'PKR', 'RUB'];
  const out = [];
  for (let i = 0; i < n; i++) {
    const e = rnd(3);
    const imp = (e + 1 + rnd(2)) % 3;
    out.push({ reference: `R${i}`, exporter: members[e] as string, importer: members[imp] as string, amount: `${1 + rnd(5_000_000)}.${String(rnd(100)).padStart(2, '0')}`, currency: currencies[rnd(3)] as string, due: `2026-12-0${1 + rnd(9)}` });
  }
  return out;
}

const csvOf = (rows: ReturnType<typeof invoices>): string => ['reference,exporter,importer,amount,currency,due', ...rows.map((r) => `${r.reference},${r.exporter},${r.importer},${r.amount},${r.currency},${r.due}`)].join('\n');

forEachEngine('settlement cycle', (t) => {
  test('a cycle close equals settlement net on the same confirmed invoices; disputed and later-due invoices stay out', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const rows = invoices(300, 7);
    await importInvoices(deps, ADMIN, csvOf(rows), 'batch.csv');
    // each importer confirms its invoices, except every 7th which it disputes
    const confirmed: typeof rows = [];
    for (const m of ['SLV', 'PAK', 'RUS']) {
      const mine = rows.filter((r) => r.importer === m);
      const dispute = mine.filter((_, i) => i % 7 === 3);
      const confirm = mine.filter((_, i) => i % 7 !== 3);
      await decideInvoices(deps, as(m), confirm.map((r) => ({ exporter: r.exporter, reference: r.reference })), 'confirm');
      await decideInvoices(deps, as(m), dispute.map((r) => ({ exporter: r.exporter, reference: r.reference })), 'dispute', 'not delivered');
      confirmed.push(...confirm);
    }
    const cutoff = '2026-12-06';
    const entering = confirmed.filter((r) => r.due <= cutoff);
    const { cycle, created } = await closeCycle(deps, ADMIN, { cutoff, rates: RATES });
    assert.equal(created, true);
    const expected = netInput({
      rates: RATES, repeated: 0, rows: [],
      invoices: entering.map((r): NettableInvoice => ({ reference: r.reference, exporter: r.exporter, importer: r.importer, currency: r.currency, amountMinor: BigInt(r.amount.replace('.', '')) })),
    });
    assert.deepEqual(cycle.positions, expected.positions);
    assert.deepEqual(cycle.transfers, expected.transfers);
    assert.equal(cycle.positions.reduce((s, p) => s + p.sats, 0n), 0n);
    assert.ok(cycle.transfers.length <= 2);
    assert.equal((await listInvoices(deps, ADMIN, { cycleId: cycle.id })).length, entering.length);
    // what was due later stays open for the next cycle
    const open = await deps.settlement.openPositions();
    assert.equal(open.reduce((s, p) => s + p.invoices, 0) / 2, confirmed.length - entering.length);
    // statements: the member's invoices gross, the rates, its net, its transfers
    const st = await memberStatement(deps, as('PAK'), cycle.id, 'PAK');
    assert.equal(st.netSats, expected.positions.find((p) => p.member === 'PAK')?.sats);
    assert.equal(st.invoices.length, entering.filter((r) => r.exporter === 'PAK' || r.importer === 'PAK').length);
    assert.match(memberStatementCsv(st), /^kind,cycle,member,reference/);
    await assert.rejects(memberStatement(deps, as('PAK'), cycle.id, 'SLV'), code('FORBIDDEN'));
    const view = await allianceView(deps, ADMIN);
    assert.equal(view.cycles[0]?.invoices, entering.length);
    assert.ok(view.cycles[0] && view.cycles[0].settledSats < view.cycles[0].grossSats);
    // a confirmed invoice in a closed cycle cannot be disputed any more
    const inCycle = entering[0];
    assert.ok(inCycle);
    await assert.rejects(decideInvoices(deps, as(inCycle.importer), [{ exporter: inCycle.exporter, reference: inCycle.reference }], 'dispute', 'late'), code('INVALID_STATE'));
  });

  test('two concurrent closes at one cutoff give one cycle', async () => {
    const db = await t.open();
    const deps = depsOf(db);
    await addMembers(deps);
    const rows = invoices(40, 3);
    await importInvoices(deps, ADMIN, csvOf(rows), 'b.csv');
    for (const m of ['SLV', 'PAK', 'RUS']) await decideInvoices(deps, as(m), rows.filter((r) => r.importer === m).map((r) => ({ exporter: r.exporter, reference: r.reference })), 'confirm');
    const [a, b] = await Promise.all([closeCycle(deps, ADMIN, { cutoff: '2026-12-31', rates: RATES }), closeCycle(deps, ADMIN, { cutoff: '2026-12-31', rates: RATES })]);
    assert.equal(a.cycle.id, b.cycle.id);
    assert.deepEqual([a.created, b.created].sort(), [false, true]);
    assert.equal((await deps.settlement.cycles()).length, 1);
    await assert.rejects(closeCycle(deps, ADMIN, { cutoff: '2027-01-07', rates: RATES }), code('INVALID_STATE'), 'nothing left to settle');
  });

  test('rates are locked at the cutoff from the shipped daily BTC/USD and monthly PKR/RUB files, with their source', async () => {
    const rates = await lockRates(shippedReferenceRates(), ['USD', 'PKR', 'RUB'], '2025-06-30');
    assert.deepEqual(rates.map((r) => r.currency), ['PKR', 'RUB', 'USD']);
    const usd = rates.find((r) => r.currency === 'USD');
    assert.match(usd?.source ?? '', /BTC_USD.*2025-06-30/);
    assert.match(rates.find((r) => r.currency === 'PKR')?.source ?? '', /usd_pkr.*2025-0[56]-3[01].*PKR\/USD/);
    assert.ok((rates.find((r) => r.currency === 'PKR')?.btcPriceMinor ?? 0n) > (usd?.btcPriceMinor ?? 0n) * 200n);
    await assert.rejects(lockRates(shippedReferenceRates(), ['RUB'], '2026-08-01'), code('PRICE_UNAVAILABLE'), 'the RUB rate ends in 2025: too old for a 2026 cutoff');
  });

  test('rescinding a cycle excludes the defaulter\'s invoices and nets the rest again in the next close', async () => {
    const db = await t.open();
    const deps = { ...depsOf(db), rates: shippedReferenceRates() };
    await addMembers(deps);
    const rows = invoices(60, 11).map((r) => ({ ...r, due: '2025-06-20' }));
    await importInvoices(deps, ADMIN, csvOf(rows), 'b.csv');
    for (const m of ['SLV', 'PAK', 'RUS']) await decideInvoices(deps, as(m), rows.filter((r) => r.importer === m).map((r) => ({ exporter: r.exporter, reference: r.reference })), 'confirm');
    const { cycle } = await closeCycle(deps, ADMIN, { cutoff: '2025-06-30' });
    assert.equal(cycle.rates.length, 3);
    assert.ok(await deps.settlement.closedCycle(cycle.id));
    const { excluded } = await deps.settlement.rescindCycle(cycle.id, ['PAK'], 'PAK missed its pay-in', { actor: 'escrow', role: 'system', action: 'settlement.cycle.rescind', object: `cycle:${cycle.id}`, details: {}, atMs: 1 });
    assert.equal(excluded, rows.filter((r) => r.exporter === 'PAK' || r.importer === 'PAK').length);
    assert.equal(await deps.settlement.closedCycle(cycle.id), null);
    const again = await closeCycle(deps, ADMIN, { cutoff: '2025-06-30' });
    assert.equal(again.created, true);
    assert.deepEqual(again.cycle.positions.map((p) => p.member), ['RUS', 'SLV']);
    const rest = rows.filter((r) => r.exporter !== 'PAK' && r.importer !== 'PAK');
    const expected = netInput({ rates: again.cycle.rates.filter((r) => r.currency !== 'X'), repeated: 0, rows: [], invoices: rest.map((r) => ({ reference: r.reference, exporter: r.exporter, importer: r.importer, currency: r.currency, amountMinor: BigInt(r.amount.replace('.', '')) })) });
    assert.deepEqual(again.cycle.positions, expected.positions);
    assert.deepEqual((await deps.settlement.closedCycles()).map((c) => c.id), [again.cycle.id]);
  });
});
