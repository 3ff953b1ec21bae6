// The fast block scanner finds exactly what bitcoinjs-lib's full parse finds: the outputs paying to
// watched scripts and the inputs spending watched outpoints, with the same txids, values and raw
// transactions, on four real mainnet blocks and on generated segwit/legacy blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Block } from 'bitcoinjs-lib';
import { parseBlockHeader, scanBlock, blockOutputScripts } from '../../src/core/bitcoin/block-scanner.ts';
import { OutpointSet, ScriptSet } from '../../src/core/bitcoin/byte-sets.ts';
import { comparable, displayTxid, generateBlock, hex, loadMainnetBlocks, oracleScan, rng } from './scan-oracle.ts';

const blocks = loadMainnetBlocks();

interface Watch {
  scripts: Uint8Array[];
  outpoints: Array<{ txid: string; vout: number }>;
}

function sets(w: Watch): { scripts: ScriptSet; outpoints: OutpointSet; scriptHex: Set<string>; outpointKeys: Set<string> } {
  const outpoints = new OutpointSet();
  for (const o of w.outpoints) outpoints.add(o.txid, o.vout);
  return {
    scripts: new ScriptSet(w.scripts),
    outpoints,
    scriptHex: new Set(w.scripts.map(hex)),
    outpointKeys: new Set(w.outpoints.map((o) => `${o.txid}:${o.vout}`)),
  };
}

function assertSameAsOracle(raw: Uint8Array, w: Watch, label: string): { outputs: number; spends: number } {
  const s = sets(w);
  const ours = comparable(scanBlock(raw, s));
  const { result } = oracleScan(raw, s.scriptHex, s.outpointKeys);
  assert.deepStrictEqual(ours, result, label);
  return { outputs: ours.outputs.length, spends: ours.spends.length };
}

/** Watch every `so`-th output script and every `si`-th input prevout of the block (0 = none). */
function everyNth(block: Block, so: number, si: number): Watch {
  const w: Watch = { scripts: [], outpoints: [] };
  let k = 0;
  let j = 0;
  for (const tx of block.transactions ?? []) {
    for (const o of tx.outs) if (so > 0 && k++ % so === 0) w.scripts.push(o.script);
    for (const i of tx.ins) if (si > 0 && j++ % si === 0) w.outpoints.push({ txid: displayTxid(i.hash), vout: i.index });
  }
  return w;
}

test('parseBlockHeader reads the four mainnet headers as the manifest and bitcoinjs-lib do', () => {
  for (const { meta, raw } of blocks) {
    const h = parseBlockHeader(raw);
    const b = Block.fromBuffer(raw);
    assert.equal(h.hash, meta.block_hash);
    assert.equal(h.prevHash, meta.prev_block_hash);
    assert.equal(h.merkleRoot, meta.merkle_root);
    assert.equal(h.nonce, meta.nonce);
    assert.equal(h.bits, Number(meta.bits_hex));
    assert.equal(h.version, Number(meta.version_hex));
    assert.equal(h.time, Date.parse(meta.time_utc) / 1000);
    assert.equal(h.version, b.version);
  }
});

test('mainnet blocks: same matches as the full parse with no watch set, a sparse one and everything', () => {
  for (const { meta, raw } of blocks) {
    const b = Block.fromBuffer(raw);
    const none = assertSameAsOracle(raw, { scripts: [], outpoints: [] }, `${meta.height} none`);
    assert.deepEqual(none, { outputs: 0, spends: 0 });
    const sparse = assertSameAsOracle(raw, everyNth(b, 7, 5), `${meta.height} every 7th script, every 5th prevout`);
    assert.ok(sparse.outputs > 0 && sparse.spends > 0, 'the sparse watch set matches something');
    const all = assertSameAsOracle(raw, everyNth(b, 1, 1), `${meta.height} all`);
    const outs = (b.transactions ?? []).reduce((n, tx) => n + tx.outs.length, 0);
    const ins = (b.transactions ?? []).reduce((n, tx) => n + tx.ins.length, 0);
    assert.equal(all.outputs, outs, 'watching every script matches every output');
    assert.equal(all.spends, ins, 'watching every prevout matches every input');
    assert.equal(scanBlock(raw, sets(everyNth(b, 0, 0))).txCount, meta.tx_count);
  }
});

test('mainnet blocks: watched outpoints and scripts that are not in the block match nothing', () => {
  const r = rng(7);
  const w: Watch = { scripts: Array.from({ length: 2000 }, () => r.bytes(22)), outpoints: Array.from({ length: 500 }, () => ({ txid: hex(r.bytes(32)), vout: r.int(4) })) };
  for (const { meta, raw } of blocks) assert.deepEqual(assertSameAsOracle(raw, w, `${meta.height} absent`), { outputs: 0, spends: 0 });
});

test('generated blocks (segwit and legacy, 0xfd sizes, empty scripts and witnesses): same as the full parse', () => {
  let outputs = 0;
  let spends = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const g = generateBlock(seed);
    const r = rng(seed * 1000);
    const w: Watch = {
      scripts: g.scriptPool.filter(() => r.chance(0.4)),
      outpoints: g.outpointPool.filter(() => r.chance(0.4)),
    };
    const n = assertSameAsOracle(g.raw, w, `seed ${seed}`);
    outputs += n.outputs;
    spends += n.spends;
    const b = Block.fromBuffer(g.raw);
    assertSameAsOracle(g.raw, everyNth(b, 1, 1), `seed ${seed} all`);
  }
  assert.ok(outputs > 100 && spends > 100, `generated blocks exercise matching (${outputs} outputs, ${spends} spends)`);
});

test('a generated block with hundreds of transactions, some with more than 252 inputs', () => {
  const g = generateBlock(4242, { txs: 400, maxInputs: 12 });
  const b = Block.fromBuffer(g.raw);
  assert.ok((b.transactions ?? []).some((tx) => tx.ins.length > 252 || tx.outs.length > 252));
  assertSameAsOracle(g.raw, everyNth(b, 3, 2), 'big generated block');
});

test('matched scripts and raw transactions are copies, not views into the block buffer', () => {
  const { raw } = blocks[3] as { raw: Uint8Array };
  const copy = raw.slice();
  const b = Block.fromBuffer(copy);
  const w = sets(everyNth(b, 50, 0));
  const r = scanBlock(copy, w);
  const before = comparable(r);
  copy.fill(0);
  assert.deepStrictEqual(comparable(r), before);
});

test('blockOutputScripts lists every output script in block order', () => {
  for (const { raw } of blocks.slice(0, 2)) {
    const b = Block.fromBuffer(raw);
    const expected = (b.transactions ?? []).flatMap((tx) => tx.outs.map((o) => hex(o.script)));
    assert.deepEqual(blockOutputScripts(raw).map(hex), expected);
  }
});

test('ScriptSet: membership by bytes in place, duplicates ignored, lengths distinguished', () => {
  const r = rng(99);
  const members = Array.from({ length: 3000 }, (_, i) => r.bytes(i % 40));
  const s = new ScriptSet();
  const truth = new Set<string>();
  for (const m of members) {
    s.add(m);
    truth.add(hex(m));
  }
  assert.equal(s.size, truth.size);
  for (let i = 0; i < 6000; i++) {
    const probe = i % 2 ? (members[i % members.length] as Uint8Array) : r.bytes(i % 40);
    const buf = new Uint8Array(probe.length + 10);
    buf.set(probe, 5);
    assert.equal(s.has(buf, 5, 5 + probe.length), truth.has(hex(probe)));
  }
  // A prefix or an extension of a member is not a member.
  const m = Uint8Array.of(0, 0x14, ...r.bytes(20));
  const one = new ScriptSet([m]);
  assert.equal(one.has(m, 0, 21), false);
  assert.equal(one.has(Uint8Array.of(...m, 0), 0, 23), false);
  assert.equal(one.has(Uint8Array.of(...m, 0), 0, 22), true);
});

test('OutpointSet: add, delete and re-add keep it equal to a plain Set through many rehashes', () => {
  const r = rng(5);
  const s = new OutpointSet();
  const truth = new Map<string, { txid: string; vout: number }>();
  const pool = Array.from({ length: 400 }, () => ({ txid: hex(r.bytes(32)), vout: r.int(3) }));
  for (let step = 0; step < 20000; step++) {
    const o = r.pick(pool);
    const key = `${o.txid}:${o.vout}`;
    if (r.chance(0.55)) {
      s.add(o.txid, o.vout);
      truth.set(key, o);
    } else {
      assert.equal(s.delete(o.txid, o.vout), truth.delete(key));
    }
    if (step % 97 === 0) {
      assert.equal(s.size, truth.size);
      for (const p of pool) {
        const wire = new Uint8Array(40);
        wire.set(Buffer.from(p.txid, 'hex').reverse(), 2);
        new DataView(wire.buffer).setUint32(34, p.vout, true);
        assert.equal(s.has(wire, 2), truth.has(`${p.txid}:${p.vout}`));
      }
    }
  }
  assert.throws(() => s.add('zz', 0), TypeError);
  assert.throws(() => s.add('00'.repeat(32), -1), RangeError);
});
