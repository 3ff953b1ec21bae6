// BIP-329 labels: the BIP's own test-vector export parses, round-trips and keeps its meaning;
// the additional fields keep sats exact; bad lines are refused with their line number; records
// of unknown types are kept verbatim rather than applied or dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBip329, serializeBip329 } from '../../src/core/labels/bip329.ts';
import { DomainError } from '../../src/core/errors.ts';

const VECTOR = readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip329-labels.jsonl'), 'utf8');
const TXID = 'f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd';

function refusedAt(text: string, line: number, opts: Parameters<typeof parseBip329>[1] = {}): void {
  assert.throws(() => parseBip329(text, opts), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_IMPORT' && e.details?.['line'] === line, text);
}

test('the BIP\'s test-vector export parses into its seven records, one of each type', () => {
  const doc = parseBip329(VECTOR, { network: 'main' });
  assert.equal(doc.unknown.length, 0);
  assert.deepEqual(doc.labels.map((l) => l.type), ['tx', 'addr', 'pubkey', 'input', 'output', 'xpub', 'tx']);
  assert.deepEqual(doc.labels[0], { type: 'tx', ref: TXID, label: 'Transaction', origin: "wpkh([d34db33f/84'/0'/0'])" });
  assert.equal(doc.labels[4]?.spendable, false);
});

test('exporting the vector gives the same records line by line (key order and spacing aside)', () => {
  const out = serializeBip329(parseBip329(VECTOR).labels);
  const a = VECTOR.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  const b = out.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(b, a);
  assert.ok(out.endsWith('\n') && !out.includes('\n\n'));
  assert.deepEqual(parseBip329(out), parseBip329(VECTOR));
});

test('additional fields: fee and value are exact sats (bigint), negative values allowed on tx only', () => {
  const text = [
    `{"type":"tx","ref":"${TXID}","label":"buy","height":840000,"time":"2024-04-20T00:09:27Z","fee":4321,"value":-2100000000000000,"rate":{"USD":63846.12}}`,
    `{"type":"output","ref":"${TXID}:0","value":2100000000000000,"fmv":{"USD":1233.45},"keypath":"/0/5","height":840000,"spendable":true}`,
    `{"type":"addr","ref":"bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c","heights":[840000,840001],"keypath":"/1/2"}`,
  ].join('\n');
  const doc = parseBip329(text);
  assert.equal(doc.labels[0]?.fee, 4321n);
  assert.equal(doc.labels[0]?.value, -2_100_000_000_000_000n);
  assert.equal(doc.labels[1]?.value, 2_100_000_000_000_000n);
  assert.deepEqual(doc.labels[0]?.rate, { USD: 63846.12 });
  assert.deepEqual(doc.labels[2]?.heights, [840000, 840001]);
  const out = serializeBip329(doc.labels);
  assert.match(out, /"value":-2100000000000000/); // a JSON integer, not a string
  assert.deepEqual(parseBip329(out), doc);
  refusedAt(`{"type":"output","ref":"${TXID}:0","value":-1}`, 1);
  refusedAt(`{"type":"tx","ref":"${TXID}","fee":0.5}`, 1);
  refusedAt(`{"type":"tx","ref":"${TXID}","fee":"100"}`, 1);
  refusedAt(`{"type":"tx","ref":"${TXID}","value":9007199254740993}`, 1); // not exactly representable
});

test('unknown types are kept verbatim and written back, not applied; unknown fields on known types are kept', () => {
  const text = `{"type":"tx","ref":"${TXID}","label":"a","x-soberana-category":"acquisition"}\n{"type":"psbt","ref":"abc","label":"future type"}\n`;
  const doc = parseBip329(text);
  assert.equal(doc.labels.length, 1);
  assert.deepEqual(doc.labels[0]?.extra, { 'x-soberana-category': 'acquisition' });
  assert.deepEqual(doc.unknown, [{ line: 2, type: 'psbt', raw: '{"type":"psbt","ref":"abc","label":"future type"}' }]);
  assert.equal(serializeBip329(doc.labels, doc.unknown), text);
});

test('blank lines and CRLF line ends are tolerated', () => {
  const doc = parseBip329(`\n${VECTOR.trim().split('\n').join('\r\n\r\n')}\r\n`);
  assert.equal(doc.labels.length, 7);
});

test('malformed lines are refused with their line number', () => {
  const good = `{"type":"tx","ref":"${TXID}","label":"ok"}`;
  refusedAt(`${good}\n{"type":"tx","ref":`, 2);
  refusedAt(`${good}\n${good}\n[1,2]`, 3);
  refusedAt(`${good}\n"just a string"`, 2);
  refusedAt('{"ref":"x"}', 1);
  refusedAt('{"type":"tx"}', 1);
  refusedAt('{"type":"tx","ref":""}', 1);
  refusedAt(`\n\n{"type":"tx","ref":"${TXID}","label":5}`, 3);
  refusedAt(`{"type":"tx","ref":"${TXID}","origin":["wpkh"]}`, 1);
});

test('refs must be well-formed for their type', () => {
  refusedAt('{"type":"tx","ref":"f91d"}', 1);
  refusedAt(`{"type":"input","ref":"${TXID}"}`, 1);
  refusedAt(`{"type":"output","ref":"${TXID}:x"}`, 1);
  refusedAt(`{"type":"output","ref":"${TXID}:4294967296"}`, 1);
  refusedAt('{"type":"pubkey","ref":"0283409659"}', 1);
  refusedAt('{"type":"xpub","ref":"xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet9"}', 1);
  refusedAt('{"type":"addr","ref":"bc1 q34"}', 1);
  // with a network, addresses of another network are refused
  refusedAt('{"type":"addr","ref":"bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c"}', 1, { network: 'test' });
  refusedAt('{"type":"addr","ref":"bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7d"}', 1, { network: 'main' }); // bad bech32 checksum
});

test('spendable is a boolean and only on outputs', () => {
  refusedAt(`{"type":"output","ref":"${TXID}:1","spendable":"false"}`, 1);
  refusedAt(`{"type":"tx","ref":"${TXID}","spendable":false}`, 1);
  refusedAt(`{"type":"addr","ref":"bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c","spendable":true}`, 1);
  assert.throws(() => serializeBip329([{ type: 'tx', ref: TXID, spendable: true }]), TypeError);
});

test('labels with quotes, newlines and non-ASCII survive a round trip on one line each', () => {
  const labels = [{ type: 'tx' as const, ref: TXID, label: 'Compra "BTC"\nline 2 — Señor Ñandú 🇸🇻' }];
  const out = serializeBip329(labels);
  assert.equal(out.split('\n').length, 2);
  assert.deepEqual(parseBip329(out).labels, labels);
});
