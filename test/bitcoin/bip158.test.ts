// BIP-158 basic filters: SipHash-2-4 against its reference vectors and bcoin's bsip, every row of
// the BIP's testnet vectors (filter bytes and filter headers), and matching by sort-and-merge
// against a brute-force decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Block } from 'bitcoinjs-lib';
import { BASIC_FILTER_M, buildBasicFilter, decodeFilter, encodeFilter, FilterMatcher, filterHeader, hashToRange, matchAny } from '../../src/core/bitcoin/bip158.ts';
import { sipKey, siphash24 } from '../../src/core/bitcoin/siphash.ts';
import { DomainError } from '../../src/core/errors.ts';
import { hex, loadMainnetBlocks, rng } from './scan-oracle.ts';

const vectorsDir = new URL('../vectors/', import.meta.url);
const bsip = createRequire(import.meta.url)('bsip') as { siphash(data: Buffer, key: Buffer): [number, number] };

type Row = [number, string, string, string[], string, string, string, string];
const rows = (JSON.parse(readFileSync(new URL('bip158-testnet-19.json', vectorsDir), 'utf8')) as unknown[]).slice(1) as Row[];
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

test('SipHash-2-4 gives the reference implementation\'s 64 vectors', () => {
  const v = JSON.parse(readFileSync(new URL('siphash24-reference.json', vectorsDir), 'utf8')) as { key: string; vectors: Array<{ length: number; expected: string }> };
  assert.equal(v.vectors.length, 64);
  const key = sipKey(fromHex(v.key));
  for (const { length, expected } of v.vectors) {
    const msg = Uint8Array.from({ length }, (_, i) => i);
    const le = Buffer.from(expected, 'hex').readBigUInt64LE(0);
    assert.equal(siphash24(key, msg), le, `message of ${length} bytes`);
  }
});

test('SipHash-2-4 agrees with bcoin\'s bsip on random keys and messages', () => {
  const r = rng(158);
  for (let i = 0; i < 2000; i++) {
    const key = r.bytes(16);
    const msg = r.bytes(r.int(i < 1000 ? 64 : 600));
    const [hi, lo] = bsip.siphash(Buffer.from(msg), Buffer.from(key));
    assert.equal(siphash24(sipKey(key), msg), (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }
});

test('hashToRange is floor(siphash · F / 2^64), exact for F up to 2^53', () => {
  const r = rng(9);
  const fs = [1, 2, BASIC_FILTER_M, 10 * BASIC_FILTER_M, 123_456 * BASIC_FILTER_M, 2 ** 40 + 12345, 2 ** 53 - 1];
  for (let i = 0; i < 3000; i++) {
    const key = r.bytes(16);
    const msg = r.bytes(r.int(40));
    const f = fs[i % fs.length] as number;
    const expected = (siphash24(sipKey(key), msg) * BigInt(f)) >> 64n;
    assert.equal(hashToRange(sipKey(key), msg, f), Number(expected));
  }
});

test('every row of bip158 testnet-19: filter bytes and filter header', () => {
  assert.equal(rows.length, 10);
  for (const [height, blockHash, blockHex, prevScripts, prevHeader, filterHex, headerHex, notes] of rows) {
    const raw = fromHex(blockHex);
    const filter = buildBasicFilter(raw, prevScripts.map(fromHex));
    assert.equal(hex(filter), filterHex, `filter at height ${height} (${notes})`);
    assert.equal(filterHeader(fromHex(filterHex), prevHeader), headerHex, `header at height ${height}`);
    assert.equal(Block.fromBuffer(raw).getId(), blockHash);
  }
});

test('bip158 testnet-19: every element matches, random scripts do not, one matcher reused across blocks', () => {
  const r = rng(1);
  const strangers = Array.from({ length: 500 }, () => r.bytes(22 + r.int(12)));
  const shared = new FilterMatcher(strangers);
  let elements = 0;
  for (const [height, blockHash, blockHex, prevScripts, , filterHex] of rows) {
    const filter = fromHex(filterHex);
    const block = Block.fromBuffer(fromHex(blockHex));
    const outs = (block.transactions ?? []).flatMap((tx) => tx.outs.map((o) => o.script)).filter((s) => s.length > 0 && s[0] !== 0x6a);
    const members = [...outs, ...prevScripts.map(fromHex).filter((s) => s.length > 0)];
    for (const m of members) {
      assert.equal(matchAny(filter, blockHash, [m]), true, `height ${height}: ${hex(m)}`);
      assert.equal(matchAny(filter, blockHash, [...strangers.slice(0, 50), m]), true);
      assert.equal(matchAny(filter, blockHash, [m, m, strangers[0] as Uint8Array, m]), true, 'duplicate queries');
      elements++;
    }
    assert.equal(decodeFilter(filter).length, new Set(members.map(hex)).size, `N at height ${height}`);
    assert.equal(shared.matchAny(filter, blockHash), false, `height ${height}: no stranger matches`);
    assert.equal(matchAny(filter, blockHash, []), false);
  }
  assert.ok(elements > 30);
});

/** Brute force: hash each query, look for it among all decoded values. */
function bruteMatch(filter: Uint8Array, blockHash: string, scripts: Uint8Array[]): boolean {
  const values = new Set(decodeFilter(filter));
  if (values.size === 0) return false;
  const key = sipKey(Buffer.from(blockHash, 'hex').reverse().subarray(0, 16));
  const f = decodeFilter(filter).length * BASIC_FILTER_M;
  return scripts.some((s) => values.has(hashToRange(key, s, f)));
}

test('sort-and-merge matching agrees with a brute-force decode on generated filters', () => {
  const r = rng(2024);
  let positives = 0;
  for (let i = 0; i < 300; i++) {
    const blockHash = hex(r.bytes(32));
    const elements = Array.from({ length: r.int(300) }, () => r.bytes(1 + r.int(40)));
    const unique = [...new Map(elements.map((e) => [hex(e), e])).values()];
    const filter = encodeFilter(blockHash, unique);
    const queries = Array.from({ length: 1 + r.int(40) }, () => (r.chance(0.05) && unique.length ? r.pick(unique) : r.bytes(1 + r.int(40))));
    const expected = bruteMatch(filter, blockHash, queries);
    assert.equal(matchAny(filter, blockHash, queries), expected, `case ${i}`);
    if (expected) positives++;
    assert.deepEqual(decodeFilter(filter), [...decodeFilter(filter)].sort((a, b) => a - b));
  }
  assert.ok(positives > 5, `some cases match (${positives})`);
});

test('filters of the mainnet blocks (outputs only) match each of their scripts', () => {
  for (const { raw, meta } of loadMainnetBlocks()) {
    const filter = buildBasicFilter(raw, []);
    const block = Block.fromBuffer(raw);
    const scripts = (block.transactions ?? []).flatMap((tx) => tx.outs.map((o) => o.script)).filter((s) => s.length > 0 && s[0] !== 0x6a);
    assert.equal(decodeFilter(filter).length, new Set(scripts.map(hex)).size);
    const m = new FilterMatcher([]);
    assert.equal(m.matchAny(filter, meta.block_hash), false);
    for (let i = 0; i < scripts.length; i += 97) assert.equal(matchAny(filter, meta.block_hash, [scripts[i] as Uint8Array]), true);
  }
});

test('a truncated or empty filter is MALFORMED_DATA, not a wrong answer', () => {
  const [, blockHash, , , , filterHex] = rows[5] as Row; // 13 elements
  const filter = fromHex(filterHex);
  const malformed = (e: unknown): boolean => e instanceof DomainError && e.code === 'MALFORMED_DATA';
  assert.throws(() => decodeFilter(new Uint8Array(0)), malformed);
  assert.throws(() => decodeFilter(filter.subarray(0, filter.length - 3)), malformed);
  assert.throws(() => new FilterMatcher([Uint8Array.of(1, 2, 3)]).matchAny(filter.subarray(0, 2), blockHash), malformed);
  assert.throws(() => matchAny(filter, 'not a hash', [Uint8Array.of(1)]), TypeError);
});
