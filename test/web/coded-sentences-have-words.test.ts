// Every sentence the server sends as a code (src/core/text/coded-sentence.ts) has words in every
// language of the page (issue #18 item 7: "the language switch changes every visible string"): a
// code without a key in en.ts and es.ts would leave the server's English on the Spanish page. The
// codes are read from the server's sources (each `coded('…')` call) and from the risk report of a
// real price file, so a new sentence cannot be added without its words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { en } from '../../web/src/i18n/en.ts';
import { es } from '../../web/src/i18n/es.ts';
import { codedRisk } from '../../src/server/routes/accounting.ts';
import { riskReport, riskSentences } from '../../src/core/accounting/risk.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { loadRateBook } from '../../src/core/accounting/reference-rate.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The page's key for a code: risk sentences and methods carry their own prefix, notices take "notice.". */
const keyOf = (code: string): string => (code.startsWith('risk.') ? code : `notice.${code}`);

test('every code the server can send has words in English and in Spanish', () => {
  const codes = new Set<string>();
  for (const f of sources(SRC)) for (const m of readFileSync(f, 'utf8').matchAll(/\bcoded\('([^']+)'/g)) codes.add(m[1] as string);
  assert.ok(codes.size >= 20, `${codes.size} codes found in the sources`);
  for (const c of codes) {
    assert.ok(Object.hasOwn(en, keyOf(c)), `en.ts has no "${keyOf(c)}"`);
    assert.ok(Object.hasOwn(es, keyOf(c)), `es.ts has no "${keyOf(c)}"`);
  }
  for (const k of ['valuation.direct', 'valuation.via-usd']) assert.ok(Object.hasOwn(en, k) && Object.hasOwn(es, k), k);
});

test('the risk report gives one coded sentence and one coded method per English sentence, in the same order', async () => {
  const book = await loadRateBook(shippedReferenceRates(), ['USD']);
  const r = riskReport({ asOf: '2026-12-01', sats: 481_900_000_000n, usd: book.usd, scenarios: [{ name: 'a week of −5 % days', returns: [-0.05, -0.05, -0.05, -0.05, -0.05, -0.05, -0.05] }], figures: [{ name: 'GDP', amount: { currency: 'USD', minor: 3_400_000_000_000n }, period: '2024' }] });
  const english = riskSentences(r);
  const coded = codedRisk(r);
  assert.equal(coded.length, english.length);
  assert.deepEqual(coded.map((c) => c.said.code), ['risk.value.old', 'risk.volatility', 'risk.volatility', 'risk.volatility', 'risk.var.day', 'risk.var.day', 'risk.var.days', 'risk.var.days', 'risk.shock', 'risk.replay.2022', 'risk.path', english.at(-2)?.includes('below its peak') ? 'risk.belowPeak' : 'risk.atPeak', 'risk.share']);
  // the same figures: each English sentence holds the coded amounts, as the English formats them
  const dollars = (minor: string): string => `$${(BigInt(minor) / 100n).toLocaleString('en-US')}.${(BigInt(minor) % 100n).toString().padStart(2, '0')}`;
  coded.forEach((c, i) => {
    for (const k of ['value', 'var', 'es', 'loss', 'more']) if (c.said.params[k] !== undefined) assert.ok(english[i]?.includes(dollars(c.said.params[k] as string)), `${english[i]} holds ${k}`);
  });
});
