// Which price source is used (prices.source / SOBERANA_PRICE_SOURCE: shipped, a file, a URL) and
// how old a price may be (prices.maxAgeDays, default 2); the shipped history as a source; and a
// failing source blocking only the decisions a USD rule governs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/adapters/config/load-config.ts';
import { shippedPriceSource } from '../../src/adapters/prices/history-price-source.ts';
import { maxPriceAgeMs, openPriceSource } from '../../src/adapters/prices/open-price-source.ts';
import { DEFAULT_PRICE_CONFIG, parsePriceSourceSetting } from '../../src/adapters/prices/price-config.ts';
import { DomainError, isDomainError } from '../../src/core/errors.ts';
import { evaluatePolicy } from '../../src/core/policy/evaluate-policy.ts';
import { priceForDecision, type BtcPriceSource } from '../../src/core/policy/price-source.ts';
import { parsePolicy } from '../../src/core/policy/parse-policy.ts';
import { DEFAULT_MAX_PRICE_AGE_MS } from '../../src/core/policy/types.ts';
import { context } from './fixtures.ts';

function withConfig(t: { after: (fn: () => void) => void }, doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'soberana.config.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

test('by default: the shipped history, prices at most 2 days old (the engine default too)', (t) => {
  const cfg = loadConfig({ config: withConfig(t, {}) }, {});
  assert.deepEqual(cfg.prices, { source: { kind: 'shipped' }, maxAgeDays: 2, cacheSeconds: 600 });
  assert.deepEqual(cfg.prices, DEFAULT_PRICE_CONFIG);
  assert.equal(maxPriceAgeMs(cfg.prices), DEFAULT_MAX_PRICE_AGE_MS);
});

test('prices.source in the file: a path (resolved against the working directory) or a URL; the environment overrides it', (t) => {
  const file = withConfig(t, { prices: { source: 'rates/btc-usd.csv', maxAgeDays: 5, cacheSeconds: 60 } });
  assert.deepEqual(loadConfig({ config: file }, {}).prices, { source: { kind: 'file', path: resolve('rates/btc-usd.csv') }, maxAgeDays: 5, cacheSeconds: 60 });
  const env = { SOBERANA_PRICE_SOURCE: 'https://treasury.example/btc-usd.json' };
  assert.deepEqual(loadConfig({ config: file }, env).prices.source, { kind: 'url', url: 'https://treasury.example/btc-usd.json' });
  assert.deepEqual(loadConfig({ config: file }, { SOBERANA_PRICE_SOURCE: 'shipped' }).prices.source, { kind: 'shipped' });
  assert.deepEqual(parsePriceSourceSetting('/srv/treasury/btc-usd.csv'), { kind: 'file', path: '/srv/treasury/btc-usd.csv' });
});

test('bad price settings are INVALID_CONFIG naming the setting', (t) => {
  const cases: [unknown, Record<string, string>, RegExp][] = [
    [{ prices: 'shipped' }, {}, /config "prices" must be an object/],
    [{ prices: { source: 5 } }, {}, /config "prices\.source" must be a string/],
    [{ prices: { source: '' } }, {}, /config "prices\.source" must be "shipped", a file path or an http\(s\) URL/],
    [{ prices: { source: 'ftp://rates.example/btc.csv' } }, {}, /config "prices\.source" must be an http\(s\) URL, not ftp:/],
    [{ prices: { maxAgeDays: 0 } }, {}, /config "prices\.maxAgeDays" must be a whole number from 1 to 366/],
    [{ prices: { maxAgeDays: 1.5 } }, {}, /prices\.maxAgeDays/],
    [{ prices: { cacheSeconds: -1 } }, {}, /prices\.cacheSeconds/],
    [{ prices: { maxAge: 2 } }, {}, /config "prices\.maxAge" is not a setting/],
    [{}, { SOBERANA_PRICE_SOURCE: 'file://x' }, /SOBERANA_PRICE_SOURCE must be an http\(s\) URL, not file:/],
  ];
  for (const [doc, env, pattern] of cases) {
    assert.throws(() => loadConfig({ config: withConfig(t, doc) }, env), (e) => isDomainError(e) && e.code === 'INVALID_CONFIG' && pattern.test(e.message), JSON.stringify(doc));
  }
});

test('openPriceSource builds the configured kind', () => {
  assert.match(openPriceSource(DEFAULT_PRICE_CONFIG).description, /^shipped daily history btc_fiat_daily_bitstamp_first_minute_2012-01-01_2026-08-22\.csv$/);
  assert.equal(openPriceSource({ ...DEFAULT_PRICE_CONFIG, source: { kind: 'file', path: '/srv/r.csv' } }).description, 'reference rate file /srv/r.csv');
  const never: typeof fetch = () => Promise.reject(new Error('not called'));
  assert.equal(openPriceSource({ ...DEFAULT_PRICE_CONFIG, source: { kind: 'url', url: 'https://rates.example/btc?key=1' } }, { fetch: never }).description, 'price URL https://rates.example/btc?…');
});

const usdPolicy = parsePolicy({
  version: 3, name: 'usd', groups: ['finance'], allowlistDelaySeconds: 0, policyChange: { group: 'finance', count: 1 },
  rules: [
    { id: 'small', when: { maxAmountSats: '1000' }, then: 'allow' },
    { id: 'above-1m-usd', when: { maxAmountUsdCents: '100000000' }, then: 'deny' },
  ],
});

test('the shipped history gives its last day; on 2 December 2026 a USD rule refuses it as 102 days old', async () => {
  const now = Date.UTC(2026, 11, 2, 0, 0);
  const source = shippedPriceSource();
  const q = await source.latest(now);
  assert.deepEqual(q, { usdPerBtcCents: 7_829_371n, date: '2026-08-22', source: source.description });
  assert.equal((await source.latest(Date.UTC(2020, 0, 1, 12)))?.date, '2020-01-01');
  const { price, priceProblem } = await priceForDecision(source, now);
  assert.throws(
    () => evaluatePolicy(usdPolicy, context({ sats: 5_000n, nowMs: now, price, priceProblem, maxPriceAgeMs: maxPriceAgeMs(DEFAULT_PRICE_CONFIG) })),
    (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE' &&
      e.message === `policy version 3 rule 'above-1m-usd' needs a BTC/USD price no older than 2 days; the latest is from 2026-08-22 (102 days old, ${source.description}) — update the price source`,
  );
  // a spend the first rule decides needs no price at all
  assert.equal(evaluatePolicy(usdPolicy, context({ sats: 1_000n, nowMs: now, price, priceProblem })).outcome, 'allow');
});

test('a broken source blocks only decisions a USD rule governs, and the refusal quotes its complaint', async () => {
  const broken: BtcPriceSource = {
    description: 'price URL https://rates.example/btc',
    latest: () => Promise.reject(new TypeError('boom')),
  };
  await assert.rejects(priceForDecision(broken, 0), /boom/, 'programmer faults are not swallowed');
  const down: BtcPriceSource = {
    description: 'price URL https://rates.example/btc',
    latest: () => Promise.reject(new DomainError('PRICE_UNAVAILABLE', 'price URL https://rates.example/btc answered HTTP 503')),
  };
  const now = Date.UTC(2026, 11, 2, 9);
  const got = await priceForDecision(down, now);
  assert.deepEqual(got, { price: null, priceProblem: 'price URL https://rates.example/btc answered HTTP 503' });
  assert.equal(evaluatePolicy(usdPolicy, context({ sats: 1_000n, nowMs: now, ...got })).outcome, 'allow');
  assert.throws(
    () => evaluatePolicy(usdPolicy, context({ sats: 5_000n, nowMs: now, ...got })),
    (e) => isDomainError(e) && e.code === 'PRICE_UNAVAILABLE' &&
      e.message === "policy version 3 rule 'above-1m-usd' needs a BTC/USD price no older than 2 days; there is none: price URL https://rates.example/btc answered HTTP 503 — update the price source",
  );
  const empty: BtcPriceSource = { description: 'reference rate file /srv/r.csv', latest: async () => null };
  assert.deepEqual(await priceForDecision(empty, now), { price: null, priceProblem: 'reference rate file /srv/r.csv has no price on or before 2026-12-02' });
});
