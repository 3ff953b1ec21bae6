// USD limits through the spend use cases (issue #11 item 5), on the embedded regtest node and both
// engines: with the day's price from the configured source, a rule "up to $25,000: allowed" allows
// 0.5 BTC at $50,000 and sends 0.50000001 BTC to approval; the decision stored with the proposal
// records the price used; a price older than the limit, or none at all, is PRICE_UNAVAILABLE —
// never a silent pass — and nothing is recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import type { BtcPriceSource } from '../../src/core/policy/price-source.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import type { PriceQuote } from '../../src/core/policy/types.ts';
import { FOREIGN, policyDoc, setupGovernance, T0 } from './fixtures.ts';

const regtest = useRegtestNode();

const USD_POLICY = policyDoc({
  rules: [
    { id: 'up-to-25k-usd', when: { maxAmountUsdCents: '2500000' }, then: 'allow' },
    { id: 'above', when: {}, then: { approval: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } } },
  ],
});

/** A source that knows one day's price (in-memory: the adapters have their own tests). */
function fixedPrice(quote: PriceQuote | null): BtcPriceSource {
  return { description: 'test reference rate', latest: async () => quote };
}

forEachEngine('USD-limited spend rules', (t) => {
  test('allowed below the limit, approval above, at the recorded price; a stale or missing price refuses', async () => {
    const db = await t.open();
    const g = await setupGovernance(regtest.node(), db, { policy: USD_POLICY, fund: [100_000_000n, 100_000_000n, 100_000_000n] });
    const day = new Date(T0).toISOString().slice(0, 10);
    const quote: PriceQuote = { usdPerBtcCents: 5_000_000n, date: day, source: 'test reference rate' }; // $50,000
    const deps = { ...g.deps, prices: fixedPrice(quote) };
    const pay = (sats: bigint, d: GovernanceDeps = deps) => proposeSpend(d, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats }], feeRateSatPerKvb: 2_000n });

    const at = await pay(50_000_000n); // exactly $25,000.00: the limit is inclusive
    assert.equal(at.decision.outcome, 'allow');
    assert.equal(at.proposal.state, 'approved');
    assert.deepEqual(at.decision.price, quote);
    assert.deepEqual((await g.spends.proposal(at.proposal.id))?.decision.price, quote, 'the stored decision records the price used');

    const above = await pay(50_000_001n); // one sat more: $25,000.01 rounded up
    assert.equal(above.decision.outcome, 'approval');
    assert.equal(above.decision.ruleId, 'above');
    assert.equal(above.proposal.state, 'proposed');
    assert.deepEqual(above.decision.price, quote);

    const before = (await g.spends.proposals(g.vault.id)).length;
    g.clock.set(T0 + 3 * 86_400_000); // the price is now 3 days old; the default limit is 2
    await assert.rejects(pay(1_000_000n), { code: 'PRICE_UNAVAILABLE', message: /'up-to-25k-usd'.*no older than 2 days/ });
    await assert.rejects(pay(1_000_000n, { ...g.deps, prices: fixedPrice(null) }), { code: 'PRICE_UNAVAILABLE' });
    await assert.rejects(pay(1_000_000n, { ...g.deps, prices: undefined }), { code: 'PRICE_UNAVAILABLE', message: /no price source is configured/ });
    assert.equal((await g.spends.proposals(g.vault.id)).length, before, 'nothing recorded when the policy cannot decide');
    assert.equal((await pay(1_000_000n, { ...deps, maxPriceAgeMs: 4 * 86_400_000 })).decision.outcome, 'allow', 'a treasury may allow an older price explicitly');
  });
});
