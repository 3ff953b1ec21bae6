// The pure steps of script-history sync: the gap-limit window, merging histories (one place per
// transaction, the sync's height range), merkle proofs checked against bitcoinjs's own merkle root,
// headers that must hash to their block, and the per-transaction scan giving what the block
// scanner gives on the whole block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Block, Transaction, payments } from 'bitcoinjs-lib';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { checkedHeader, mergeHistories, merkleRootOf, nextIndexesToFetch, scanAnchoredTransactions, type ScriptHistoryEntry } from '../../src/core/chain/script-history.ts';
import { parseBlockHeader, scanBlock } from '../../src/core/bitcoin/block-scanner.ts';
import { OutpointSet, ScriptSet } from '../../src/core/bitcoin/byte-sets.ts';

const bip32 = BIP32Factory(ecc);
const root = bip32.fromSeed(new Uint8Array(32).fill(11));
const spk = (i: number) => payments.p2wpkh({ pubkey: Uint8Array.from(root.derive(i).publicKey) }).output ?? new Uint8Array();

function tx(inputs: Array<{ txid: string; vout: number }>, outputs: Array<{ script: Uint8Array; value: bigint }>): Transaction {
  const t = new Transaction();
  t.version = 2;
  for (const i of inputs) {
    t.addInput(Uint8Array.from(hex.decode(i.txid)).reverse(), i.vout, 0xfffffffd);
    t.setWitness(t.ins.length - 1, [new Uint8Array(72).fill(1), new Uint8Array(33).fill(2)]);
  }
  for (const o of outputs) t.addOutput(o.script, o.value);
  return t;
}

function coinbase(): Transaction {
  const t = new Transaction();
  t.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, Uint8Array.from([3, 1, 0, 0]));
  t.addOutput(spk(99), 50_0000_0000n);
  return t;
}

function block(txs: Transaction[]): Uint8Array {
  const b = new Block();
  b.version = 0x20000000;
  b.prevHash = new Uint8Array(32);
  b.timestamp = 1_700_000_000;
  b.bits = 0x207fffff;
  b.nonce = 0;
  b.transactions = txs;
  b.merkleRoot = Block.calculateMerkleRoot(txs);
  return Uint8Array.from(b.toBuffer());
}

/** Electrum's merkle branch for position `pos`, built here independently of the code under test. */
function branch(txids: string[], pos: number): string[] {
  let level = txids.map((id) => hex.decode(id).reverse());
  const out: string[] = [];
  let p = pos;
  while (level.length > 1) {
    if (level.length % 2) level.push(level[level.length - 1] as Uint8Array);
    out.push(hex.encode(Uint8Array.from(level[p ^ 1] as Uint8Array).reverse()));
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256(sha256(new Uint8Array([...(level[i] as Uint8Array), ...(level[i + 1] as Uint8Array)]))));
    level = next;
    p >>= 1;
  }
  return out;
}

test('gap limit: each branch is fetched up to `gap` scripts past its last used one, and no further', () => {
  assert.deepEqual(nextIndexesToFetch({ branches: [0, 1], fetched: [20, 20], lastUsed: [-1, -1], gap: 20 }), []);
  assert.deepEqual(nextIndexesToFetch({ branches: [0, 1], fetched: [20, 20], lastUsed: [4, 19], gap: 20 }), [{ branch: 0, from: 20, to: 25 }, { branch: 1, from: 20, to: 40 }]);
  assert.deepEqual(nextIndexesToFetch({ branches: [0], fetched: [3, 0], lastUsed: [2, -1], gap: 3 }), [{ branch: 0, from: 3, to: 6 }]);
  assert.throws(() => nextIndexesToFetch({ branches: [0], fetched: [0, 0], lastUsed: [-1, -1], gap: 0 }), RangeError);
});

test('merging histories: grouped by block in height order, mempool apart, the range respected, a contradiction reported', () => {
  const raw = new Uint8Array([1]);
  const e = (txid: string, height: number | null, blockHash: string | null): ScriptHistoryEntry => ({ txid, raw, height, blockHash });
  const [a, b, c, d, m] = ['a', 'b', 'c', 'd', 'e'].map((x) => x.repeat(64)) as [string, string, string, string, string];
  const h1 = '11'.repeat(32);
  const h2 = '22'.repeat(32);
  const u = mergeHistories([[e(b, 120, h2), e(a, 110, h1)], [e(a, 110, null), e(c, 100, '33'.repeat(32)), e(d, 140, '44'.repeat(32)), e(m, null, null)]], { afterHeight: 100, tipHeight: 130 });
  assert.ok(!('inconsistent' in u));
  assert.deepEqual(u.blocks.map((x) => [x.height, x.claimedHash, x.txs.map((t) => t.txid)]), [[110, h1, [a]], [120, h2, [b]]], 'c is at or below afterHeight; a appears once');
  assert.deepEqual(u.mempool.map((t) => t.txid), [m]);
  assert.equal(u.aboveTip, 1);
  assert.deepEqual(mergeHistories([[e(a, 110, h1)], [e(a, null, null)]], { afterHeight: 0, tipHeight: 200 }), { inconsistent: a });
  assert.deepEqual(mergeHistories([[e(a, 110, h1)], [e(a, 110, h2)]], { afterHeight: 0, tipHeight: 200 }), { inconsistent: a });
  assert.deepEqual(mergeHistories([[e(a, 110, h1), e(b, 110, h2)]], { afterHeight: 0, tipHeight: 200 }), { inconsistent: b }, 'two hashes for one height');
});

test('merkle proofs lead to the root bitcoinjs computes, for every position of blocks of 1 to 7 transactions; a wrong position does not', () => {
  for (let n = 1; n <= 7; n++) {
    const txs = [coinbase(), ...Array.from({ length: n - 1 }, (_, i) => tx([{ txid: 'aa'.repeat(32), vout: i }], [{ script: spk(i), value: 1000n + BigInt(i) }]))];
    const ids = txs.map((t) => t.getId());
    const rootHex = hex.encode(Block.calculateMerkleRoot(txs).reverse());
    ids.forEach((id, pos) => {
      const proof = { pos, merkle: branch(ids, pos) };
      assert.equal(merkleRootOf(id, proof), rootHex, `n=${n} pos=${pos}`);
      // (The last of an odd row is paired with itself: there the neighbour's position is the same leaf.)
      if (n > 1 && !(pos === n - 1 && n % 2 === 1)) assert.notEqual(merkleRootOf(id, { pos: pos ^ 1, merkle: proof.merkle }), rootHex, `n=${n}: a neighbour's position fails`);
    });
    assert.equal(merkleRootOf(ids[0] as string, { pos: 1 << branch(ids, 0).length, merkle: branch(ids, 0) }), '', 'a position past the tree proves nothing');
  }
});

test('a header is accepted only when it hashes to the block asked for', () => {
  const raw = block([coinbase()]);
  const h = parseBlockHeader(raw);
  assert.equal(checkedHeader(raw.subarray(0, 80), h.hash)?.merkleRoot, h.merkleRoot);
  assert.equal(checkedHeader(raw.subarray(0, 80), 'ab'.repeat(32)), null);
  assert.equal(checkedHeader(raw.subarray(0, 79), h.hash), null);
});

test('scanning the anchored transactions finds what the block scanner finds in the whole block', () => {
  const fund = tx([{ txid: 'cc'.repeat(32), vout: 0 }], [{ script: spk(1), value: 5000n }, { script: spk(50), value: 7000n }]);
  const spend = tx([{ txid: fund.getId(), vout: 0 }, { txid: 'dd'.repeat(32), vout: 3 }], [{ script: spk(60), value: 4000n }, { script: spk(2), value: 900n }]);
  const unrelated = tx([{ txid: 'ee'.repeat(32), vout: 1 }], [{ script: spk(70), value: 1n }]);
  const txs = [coinbase(), fund, unrelated, spend];
  const raw = block(txs);
  const scripts = new ScriptSet([spk(1), spk(2)]);
  const outpoints = new OutpointSet();
  outpoints.add(fund.getId(), 0);
  outpoints.add('dd'.repeat(32), 3);
  const full = scanBlock(raw, { scripts, outpoints });
  const anchored = scanAnchoredTransactions(parseBlockHeader(raw), txs.slice(1).map((t, i) => ({ txid: t.getId(), raw: Uint8Array.from(t.toBuffer()), txIndex: i + 1 })).reverse(), { scripts, outpoints });
  const norm = (r: typeof full) => ({
    outputs: r.outputs.map((o) => ({ ...o, script: hex.encode(o.script) })),
    spends: r.spends,
    txs: [...r.transactions.entries()].map(([id, t]) => [id, hex.encode(t.raw), t.txIndex]).sort(),
  });
  assert.deepEqual(norm(anchored), norm(full));
  assert.equal(anchored.spends.length, 2);
  assert.equal(anchored.outputs.length, 2);
});
