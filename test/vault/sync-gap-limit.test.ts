// Gap-limit discovery and intra-block chains in the pure sync core (BIP44-style gap limit on
// both branches): a payment beyond the first gap window is found once an earlier address is
// used, and an output spent later in the same block is never counted as unspent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Block, Transaction, payments } from 'bitcoinjs-lib';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { hex } from '@scure/base';
import { WatchState, type AddressDeriver } from '../../src/core/vault/watch-state.ts';
import { applyBlockScan, matchMempool, scanToFixedPoint } from '../../src/core/vault/apply-scan.ts';
import { scanBlock } from '../../src/core/bitcoin/block-scanner.ts';

const bip32 = BIP32Factory(ecc);
const root = bip32.fromSeed(new Uint8Array(32).fill(7));

// A real (single-key p2wpkh) deriver: the sync core only needs "branch, index → script".
const deriver: AddressDeriver = {
  branches: [0, 1],
  derive(branch, index) {
    const pubkey = root.derive(branch).derive(index).publicKey;
    const p = payments.p2wpkh({ pubkey: Uint8Array.from(pubkey) });
    return { address: p.address ?? '', script: hex.encode(p.output ?? new Uint8Array()) };
  },
};
const spk = (branch: 0 | 1, index: number) => hex.decode(deriver.derive(branch, index).script);
const foreign = payments.p2wpkh({ pubkey: Uint8Array.from(bip32.fromSeed(new Uint8Array(32).fill(9)).publicKey) }).output ?? new Uint8Array();

function tx(inputs: Array<{ txid: string; vout: number }>, outputs: Array<{ script: Uint8Array; value: bigint }>, witness = true): Transaction {
  const t = new Transaction();
  t.version = 2;
  for (const i of inputs) {
    t.addInput(Uint8Array.from(hex.decode(i.txid)).reverse(), i.vout, 0xfffffffd);
    if (witness) t.setWitness(t.ins.length - 1, [new Uint8Array(72).fill(1), new Uint8Array(33).fill(2)]);
  }
  for (const o of outputs) t.addOutput(o.script, o.value);
  return t;
}

function coinbase(height: number): Transaction {
  const t = new Transaction();
  t.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, Uint8Array.from([3, height & 0xff, (height >> 8) & 0xff, 0]));
  t.addOutput(foreign, 50_0000_0000n);
  return t;
}

function block(prevHash: string, txs: Transaction[], time: number): Uint8Array {
  const b = new Block();
  b.version = 0x20000000;
  b.prevHash = Uint8Array.from(hex.decode(prevHash)).reverse();
  b.merkleRoot = new Uint8Array(32);
  b.timestamp = time;
  b.bits = 0x207fffff;
  b.nonce = 0;
  b.transactions = txs;
  b.merkleRoot = Block.calculateMerkleRoot(txs);
  return Uint8Array.from(b.toBuffer());
}

const external = { txid: 'aa'.repeat(32), vout: 0 };

test('a payment beyond the first gap window is found after an earlier address is used (same block)', () => {
  const state = new WatchState({ gapLimit: 5, deriver });
  const initial = state.ensureLookahead();
  assert.equal(initial.length, 10, '5 receive + 5 change');
  const pay = tx([external], [
    { script: spk(0, 3), value: 1_000n },
    { script: spk(0, 8), value: 2_000n }, // beyond 0..4; inside 0..8 once index 3 is used
    { script: spk(1, 2), value: 3_000n },
  ]);
  const raw = block('00'.repeat(32), [coinbase(1), pay], 1_700_000_000);
  const { result, newAddresses } = scanToFixedPoint(state, () => scanBlock(raw, { scripts: state.scripts, outpoints: state.outpoints }));
  assert.deepEqual(result.outputs.map((o) => o.value).sort(), [1_000n, 2_000n, 3_000n]);
  const ch = applyBlockScan(state, result, { height: 1, hash: 'bb'.repeat(32), time: 1_700_000_000 }, newAddresses);
  assert.equal(ch.newTxos.length, 3);
  assert.equal(state.maxUsed[0], 8);
  assert.equal(state.maxUsed[1], 2);
  assert.equal(state.derived[0], 8 + 1 + 5, 'receive lookahead extends to maxUsed + 1 + gap');
  assert.equal(state.derived[1], 2 + 1 + 5);
  assert.equal(ch.transactions.length, 1);
  assert.equal(ch.transactions[0]?.received, 6_000n);
  assert.equal(ch.transactions[0]?.fee, null, 'the input was not ours: fee unknown');
  assert.equal(ch.transactions[0]?.category, 'receipt');
});

test('an output received and spent in the same block is spent, and the fee of an all-ours spend is exact', () => {
  const state = new WatchState({ gapLimit: 5, deriver });
  state.ensureLookahead();
  const receive = tx([external], [{ script: spk(0, 0), value: 100_000n }], false);
  const spend = tx([{ txid: receive.getId(), vout: 0 }], [{ script: foreign, value: 60_000n }, { script: spk(1, 0), value: 39_000n }]);
  const raw = block('00'.repeat(32), [coinbase(2), receive, spend], 1_700_000_600);
  const { result, newAddresses } = scanToFixedPoint(state, () => scanBlock(raw, { scripts: state.scripts, outpoints: state.outpoints }));
  const ch = applyBlockScan(state, result, { height: 2, hash: 'cc'.repeat(32), time: 1_700_000_600 }, newAddresses);
  assert.equal(ch.spends.length, 1);
  assert.equal(ch.spends[0]?.txid, receive.getId());
  const unspent = [...state.unspent.values()];
  assert.deepEqual(unspent.map((u) => u.value), [39_000n], 'only the change is unspent');
  const out = ch.transactions.find((t) => t.txid === spend.getId());
  assert.equal(out?.fee, 1_000n);
  assert.equal(out?.category, 'payment');
  assert.equal(out?.spent, 100_000n);
  assert.equal(out?.received, 39_000n);
});

test('mempool chains are matched whatever their order, without touching the confirmed set', () => {
  const state = new WatchState({ gapLimit: 5, deriver });
  state.ensureLookahead();
  const parent = tx([external], [{ script: spk(0, 1), value: 50_000n }]);
  const child = tx([{ txid: parent.getId(), vout: 0 }], [{ script: spk(0, 2), value: 49_000n }]);
  const m = matchMempool(state, [
    { txid: child.getId(), raw: Uint8Array.from(child.toBuffer()) },
    { txid: parent.getId(), raw: Uint8Array.from(parent.toBuffer()) },
  ]);
  assert.equal(m.newTxos.length, 2);
  assert.equal(m.spends.length, 1);
  assert.equal(m.transactions.find((t) => t.txid === child.getId())?.category, 'internal consolidation');
  assert.equal(state.unspent.size, 0);
});
