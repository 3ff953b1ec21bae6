// Malformed or truncated block bytes give DomainError('MALFORMED_DATA') naming the offset — never a
// hang, never another kind of throw, never an answer that differs from bitcoinjs-lib's full parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction } from 'bitcoinjs-lib';
import type { Block } from 'bitcoinjs-lib';
import { scanBlock } from '../../src/core/bitcoin/block-scanner.ts';
import { OutpointSet, ScriptSet } from '../../src/core/bitcoin/byte-sets.ts';
import { DomainError } from '../../src/core/errors.ts';
import { MAX_MONEY } from '../../src/core/money.ts';
import { assembleBlock, comparable, concat, displayTxid, generateBlock, hex, loadMainnetBlocks, oracleScan, OracleRejects, rng } from './scan-oracle.ts';

const blocks = loadMainnetBlocks();
const EMPTY = { scripts: new ScriptSet(), outpoints: new OutpointSet() };

function assertMalformed(raw: Uint8Array, label: string): DomainError {
  let caught: unknown;
  try {
    scanBlock(raw, EMPTY);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DomainError, `${label}: expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, 'MALFORMED_DATA', label);
  const offset = caught.details?.['offset'];
  assert.equal(typeof offset, 'number', `${label}: details.offset`);
  assert.ok((offset as number) >= 0 && (offset as number) <= raw.length, `${label}: offset ${String(offset)} within the data`);
  assert.match(caught.message, /offset \d+/, label);
  return caught;
}

test('a truncated block is malformed at every cut, on a generated block and on the mainnet blocks', { timeout: 120_000 }, () => {
  const g = generateBlock(77, { txs: 30 }).raw;
  for (let cut = 0; cut < g.length; cut++) assertMalformed(g.subarray(0, cut), `generated cut ${cut}`);
  const r = rng(3);
  for (const { meta, raw } of blocks) {
    const cuts = new Set<number>([0, 79, 80, 81, raw.length - 1, raw.length - 4, raw.length - 5]);
    for (let i = 0; i < 200; i++) cuts.add(i);
    while (cuts.size < 600) cuts.add(r.int(raw.length));
    for (const cut of cuts) assertMalformed(raw.subarray(0, cut), `${meta.height} cut ${cut}`);
  }
});

test('trailing bytes after the last transaction are malformed', () => {
  for (const { raw } of blocks) {
    const e = assertMalformed(concat([raw, Uint8Array.of(0)]), 'one trailing byte');
    assert.equal(e.details?.['offset'], raw.length);
  }
});

/** A minimal valid legacy transaction, built with bitcoinjs-lib. */
function legacyTx(value = 1000n): Uint8Array {
  const tx = new Transaction();
  tx.addInput(new Uint8Array(32).fill(7), 1, 0xffffffff, Uint8Array.of(0x51));
  tx.addOutput(Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(9)), value);
  return tx.toBuffer();
}

test('each structural fault is named: counts, varints, empty inputs, witness flag, value, lengths', () => {
  const header = new Uint8Array(80).fill(1);
  const ok = assembleBlock(header, [legacyTx(), legacyTx(5n)]);
  assert.equal(scanBlock(ok, EMPTY).txCount, 2, 'the unbroken block parses');
  const tx = legacyTx();
  const noInputOutput = concat([new Uint8Array(8), Uint8Array.of(30), new Uint8Array(30).fill(0x51)]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['header only', header, /transaction count runs past the end/],
    ['no transactions', concat([header, Uint8Array.of(0)]), /no transactions/],
    ['non-minimal transaction count', concat([header, Uint8Array.of(0xfd, 2, 0), tx, tx]), /not minimally encoded/],
    ['absurd transaction count', concat([header, Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0x0f), tx]), /absurdly large/],
    ['64-bit transaction count', concat([header, Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0), tx]), /absurdly large/],
    ['count beyond the data', concat([header, Uint8Array.of(0xfd, 0x00, 0x10), tx]), /cannot fit/],
    // version, 0 inputs, then 2 outputs: bitcoinjs-lib reads a transaction without inputs here.
    ['transaction without inputs', concat([header, Uint8Array.of(1), Uint8Array.of(1, 0, 0, 0, 0, 2), noInputOutput, noInputOutput, Uint8Array.of(0, 0, 0, 0)]), /no inputs/],
    ['witness flag with empty witnesses', concat([header, Uint8Array.of(1), tx.subarray(0, 4), Uint8Array.of(0, 1), tx.subarray(4, tx.length - 4), Uint8Array.of(0), tx.subarray(tx.length - 4)]), /witness flag but no witness data/],
    ['value above 21M BTC', assembleBlock(header, [legacyTx(MAX_MONEY + 1n)]), /above 21 million/],
    ['input count beyond the data', concat([header, Uint8Array.of(1), tx.subarray(0, 4), Uint8Array.of(0xfd, 0xff, 0xff), tx.subarray(5)]), /cannot fit/],
    ['scriptPubKey past the end', concat([header, Uint8Array.of(1), tx.subarray(0, tx.length - 27), Uint8Array.of(0xfd, 0x00, 0x01), new Uint8Array(30)]), /runs past the end/],
  ];
  assert.equal(scanBlock(assembleBlock(header, [legacyTx(MAX_MONEY)]), EMPTY).txCount, 1, 'exactly 21M BTC is a valid value');
  for (const [label, raw, message] of cases) assert.match(assertMalformed(raw, label).message, message, label);
});

test('a block repeating a matched transaction (merkle malleation) is refused, not counted twice', () => {
  const header = new Uint8Array(80).fill(2);
  const tx = legacyTx(777n);
  const raw = assembleBlock(header, [legacyTx(1n), tx, tx]);
  const spk = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(9));
  assert.equal(scanBlock(raw, EMPTY).txCount, 3, 'unwatched, the repetition is not looked at');
  let caught: unknown;
  try {
    scanBlock(raw, { scripts: new ScriptSet([spk]), outpoints: new OutpointSet() });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DomainError && caught.code === 'MALFORMED_DATA' && /appears twice/.test(caught.message), String(caught));
});

/**
 * Where the scanner is deliberately stricter than bitcoinjs-lib: a transaction without inputs (its
 * serialization is ambiguous with the segwit marker), an output value outside 0..21M BTC, the same
 * transaction twice in one block.
 */
function stricterReason(block: Block): string | null {
  const ids = new Set<string>();
  for (const tx of block.transactions ?? []) {
    if (tx.ins.length === 0) return 'transaction without inputs';
    if (tx.outs.some((o) => o.value < 0n || o.value > MAX_MONEY)) return 'value outside 0..21M BTC';
    if (ids.has(tx.getId())) return 'repeated transaction';
    ids.add(tx.getId());
  }
  return null;
}

interface FlipStats {
  same: number;
  bothMalformed: number;
  stricter: number;
}

/** Scans a corrupted block with both; the scanner must match the oracle or throw MALFORMED_DATA. */
function checkCorrupted(raw: Uint8Array, scripts: Uint8Array[], outpoints: Array<{ txid: string; vout: number }>, stats: FlipStats, label: string): void {
  const op = new OutpointSet();
  for (const o of outpoints) op.add(o.txid, o.vout);
  let ours: ReturnType<typeof comparable> | DomainError;
  try {
    ours = comparable(scanBlock(raw, { scripts: new ScriptSet(scripts), outpoints: op }));
  } catch (e) {
    assert.ok(e instanceof DomainError && e.code === 'MALFORMED_DATA', `${label}: threw ${String(e)}`);
    ours = e;
  }
  let oracle: ReturnType<typeof oracleScan> | null = null;
  try {
    oracle = oracleScan(raw, new Set(scripts.map(hex)), new Set(outpoints.map((o) => `${o.txid}:${o.vout}`)));
  } catch (e) {
    if (!(e instanceof OracleRejects)) throw e;
  }
  if (ours instanceof DomainError) {
    if (oracle === null) stats.bothMalformed++;
    else {
      assert.ok(stricterReason(oracle.block) !== null, `${label}: we refused (${ours.message}) a block the oracle accepts`);
      stats.stricter++;
    }
  } else {
    assert.ok(oracle !== null, `${label}: we returned a result for a block the oracle refuses`);
    assert.deepStrictEqual(ours, oracle.result, label);
    stats.same++;
  }
}

/** Byte offset of every transaction in a valid block. */
function txStarts(block: Block): number[] {
  const txs = block.transactions ?? [];
  let at = 80 + (txs.length < 0xfd ? 1 : txs.length <= 0xffff ? 3 : 5);
  return txs.map((tx) => {
    const start = at;
    at += tx.byteLength();
    return start;
  });
}

function watchOf(block: Block): { scripts: Uint8Array[]; outpoints: Array<{ txid: string; vout: number }> } {
  const scripts: Uint8Array[] = [];
  const outpoints: Array<{ txid: string; vout: number }> = [];
  let k = 0;
  for (const tx of block.transactions ?? []) {
    for (const o of tx.outs) if (k++ % 3 === 0) scripts.push(o.script);
    for (const i of tx.ins) if (k++ % 3 === 0) outpoints.push({ txid: displayTxid(i.hash), vout: i.index });
  }
  return { scripts, outpoints };
}

test('random byte corruption of generated blocks: the oracle\'s answer or MALFORMED_DATA', { timeout: 300_000 }, () => {
  const stats: FlipStats = { same: 0, bothMalformed: 0, stricter: 0 };
  for (let seed = 1; seed <= 40; seed++) {
    const g = generateBlock(seed * 7919, { txs: 1 + (seed % 12) });
    const w = watchOf(oracleScan(g.raw, new Set(), new Set()).block);
    const r = rng(seed);
    for (let i = 0; i < 60; i++) {
      const bad = g.raw.slice();
      const at = 80 + r.int(bad.length - 80);
      if (r.chance(0.5)) bad[at] = (bad[at] as number) ^ (1 << r.int(8));
      else bad[at] = r.pick([0x00, 0x01, 0xfc, 0xfd, 0xfe, 0xff, r.int(256)]);
      checkCorrupted(bad, w.scripts, w.outpoints, stats, `seed ${seed} byte ${at}`);
    }
  }
  // Both outcomes must actually occur, or the test proves nothing.
  assert.ok(stats.same > 1000 && stats.bothMalformed > 20, JSON.stringify(stats));
});

test('random byte corruption of the mainnet blocks: the oracle\'s answer or MALFORMED_DATA', { timeout: 300_000 }, () => {
  const stats: FlipStats = { same: 0, bothMalformed: 0, stricter: 0 };
  const r = rng(11);
  for (const { meta, raw } of blocks) {
    const { block } = oracleScan(raw, new Set(), new Set());
    const w = watchOf(block);
    const starts = txStarts(block);
    // Half anywhere (mostly script and signature bytes), half on a transaction's marker, flag or
    // input count, where a flip changes the structure.
    for (let i = 0; i < 12; i++) {
      const bad = raw.slice();
      const at = i % 2 ? r.int(raw.length) : r.pick(starts) + 4 + r.int(3);
      bad[at] = (bad[at] as number) ^ (1 << r.int(8));
      checkCorrupted(bad, w.scripts, w.outpoints, stats, `${meta.height} byte ${at}`);
    }
  }
  assert.ok(stats.same > 20 && stats.bothMalformed > 10, JSON.stringify(stats));
});
