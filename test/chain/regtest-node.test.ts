/**
 * The embedded regtest node and its harness (bcoin@1.0.2 run in-process): loopback-only RPC
 * with random credentials, Bitcoin Core's regtest addresses, mining (also at given dates),
 * funding from matured coinbases, rejection reasons, reorgs, a data directory that persists.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { address as btcAddress, Block, networks, payments, Psbt, Transaction } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { bytesToHex } from '@noble/hashes/utils.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { BCOIN_WITNESS_HEIGHT, startRegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { useRegtestNode } from '../helpers/regtest.ts';

const BECH32_ADDR = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(isDomainError(e), `expected DomainError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected DomainError ${code}, but the call succeeded`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function scriptHex(addr: string): string {
  return bytesToHex(btcAddress.toOutputScript(addr, networks.regtest));
}

describe('embedded regtest node', () => {
  const regtest = useRegtestNode();

  test('RPC on 127.0.0.1 only, with a random password, and no P2P listener', async (t) => {
    const node = regtest.node();
    const url = new URL(node.rpcUrl);
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok(node.rpcPassword.length >= 32);
    const port = Number(url.port);
    assert.equal(await canConnect('127.0.0.1', port), true);
    assert.equal(await canConnect('127.0.0.1', 48444), false, 'bcoin regtest P2P port is not listening');
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      t.diagnostic('no non-loopback IPv4 interface on this machine: the other-interface check did not run');
      return;
    }
    assert.equal(await canConnect(external.address, port), false, `RPC must not answer on ${external.address}`);
  });

  test('mine(n) links n blocks that pay the harness wallet, and Bitcoin Core bech32 addresses work', async () => {
    const node = regtest.node();
    const source = node.chainSource();
    const before = node.height();
    const hashes = await node.mine(3);
    assert.equal(hashes.length, 3);
    assert.equal(node.height(), before + 3);
    for (let i = 0; i < 3; i++) {
      const h = await source.header(hashes[i] as string);
      assert.equal(h.height, before + 1 + i);
      if (i > 0) assert.equal(h.prevHash, hashes[i - 1]);
      const block = Block.fromBuffer(await source.rawBlock(h.hash));
      assert.equal(bytesToHex(block.transactions?.[0]?.outs[0]?.script as Uint8Array), scriptHex(node.walletAddress));
    }
    assert.match(node.walletAddress, /^[mn]/, 'the harness wallet is a regtest P2PKH address');
    const [toBech32] = await node.mine(1, BECH32_ADDR);
    const cb = Block.fromBuffer(await source.rawBlock(toBech32 as string)).transactions?.[0];
    assert.equal(bytesToHex(cb?.outs[0]?.script as Uint8Array), scriptHex(BECH32_ADDR));
  });

  test('mineBlockAt sets the timestamp, takes given transactions, and refuses times at or below median time past', async () => {
    const node = regtest.node();
    const source = node.chainSource();
    if (node.height() < 101) await node.mine(101 - node.height());
    const tip = await source.header((await source.tip()).hash);
    const when = tip.time + 86_400;
    const fundTx = await node.fund(BECH32_ADDR, 5_000n * 1000n);
    const raw = await source.rawTransaction(fundTx);
    // Already in the mempool; passing it again must be harmless and it must be in the block.
    const hash = await node.mineBlockAt(when, { txs: [raw] });
    const header = await source.header(hash);
    assert.equal(header.time, when);
    const block = Block.fromBuffer(await source.rawBlock(hash));
    assert.ok(block.transactions?.some((t) => t.getId() === fundTx));
    await rejectsWith(node.mineBlockAt(tip.time - 3600), 'INVALID_ARGUMENT');
  });

  test('fund pays the exact amount from matured coinbases, confirmed or left in the mempool', async () => {
    const node = regtest.node();
    const source = node.chainSource();
    const sats = 123_456_789n;
    const txid = await node.fund(BECH32_ADDR, sats, { confirm: true });
    const tip = await source.tip();
    const block = Block.fromBuffer(await source.rawBlock(tip.hash));
    const tx = block.transactions?.find((t) => t.getId() === txid);
    assert.ok(tx, 'confirmed in the tip block');
    const paid = tx.outs.filter((o) => bytesToHex(o.script) === scriptHex(BECH32_ADDR));
    assert.deepEqual(paid.map((o) => o.value), [sats]);
    const pending = await node.fund(BECH32_ADDR, 1_000n);
    assert.ok((await source.mempool()).some((t) => t.txid === pending));
    await rejectsWith(node.fund('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 1_000n), 'INVALID_ADDRESS');
    await assert.rejects(node.fund(BECH32_ADDR, 0n), RangeError);
  });

  test('a fresh node funds by first maturing a coinbase', async () => {
    const fresh = await startRegtestNode();
    try {
      const txid = await fresh.fund(BECH32_ADDR, 10_000n, { confirm: true });
      assert.ok(fresh.height() >= 101);
      const tx = Transaction.fromBuffer(await fresh.chainSource().rawTransaction(txid));
      assert.equal(tx.getId(), txid);
    } finally {
      await fresh.stop();
    }
  });

  test('submitTx gives the real rejection reason, and the node RPC gives the same one', async () => {
    const node = regtest.node();
    const source = node.chainSource();
    const txid = await node.fund(BECH32_ADDR, 50_000n, { confirm: true });
    const raw = Transaction.fromBuffer(await source.rawTransaction(txid));
    // Same inputs, different output: spends coins already spent.
    const clone = raw.clone();
    (clone.outs[0] as { value: bigint }).value -= 1n;
    const direct = await node.submitTx(clone.toBuffer());
    assert.equal(direct.accepted, false);
    const rpc = node.rpcChainSource();
    try {
      const viaRpc = await rpc.broadcast(clone.toBuffer());
      assert.deepEqual(viaRpc, direct);
    } finally {
      await rpc.close();
    }
    assert.deepEqual(await node.submitTx(new Uint8Array([0xde, 0xad])), { accepted: false, reason: 'TX decode failed' });
  });

  test('invalidateBlock reorgs: the tip goes back, its transactions return to the mempool, mining goes on', async () => {
    const node = regtest.node();
    const source = node.chainSource();
    const txid = await node.fund(BECH32_ADDR, 77_000n, { confirm: true });
    const stale = await source.tip();
    await node.invalidateBlock(stale.hash);
    const after = await source.tip();
    assert.equal(after.height, stale.height - 1);
    assert.notEqual(after.hash, stale.hash);
    assert.ok((await source.mempool()).some((t) => t.txid === txid), 'the disconnected transaction is back in the mempool');
    const [replacement] = await node.mine(1);
    assert.notEqual(replacement, stale.hash);
    assert.equal(await source.blockHash(stale.height), replacement);
    const block = Block.fromBuffer(await source.rawBlock(replacement as string));
    assert.ok(block.transactions?.some((t) => t.getId() === txid), 'confirmed again on the new branch');
  });

  test('witness spends are refused below height 432 ("no-witness-yet") and accepted after activateSegwit', async () => {
    const node = regtest.node();
    assert.ok(node.height() < BCOIN_WITNESS_HEIGHT, 'this test needs a chain below 432');
    const key = ECPairFactory(ecc).fromPrivateKey(new Uint8Array(32).fill(7), { network: networks.regtest });
    const pay = payments.p2wpkh({ pubkey: key.publicKey, network: networks.regtest });
    const txid = await node.fund(pay.address as string, 1_000_000n, { confirm: true });
    const funding = Transaction.fromBuffer(await node.chainSource().rawTransaction(txid));
    const vout = funding.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(pay.output as Uint8Array));
    const psbt = new Psbt({ network: networks.regtest });
    psbt.addInput({ hash: txid, index: vout, witnessUtxo: { script: pay.output as Uint8Array, value: 1_000_000n } });
    psbt.addOutput({ address: node.walletAddress, value: 990_000n });
    psbt.signAllInputs(key);
    psbt.finalizeAllInputs();
    const spend = psbt.extractTransaction().toBuffer();
    assert.deepEqual(await node.submitTx(spend), { accepted: false, reason: 'no-witness-yet' });
    await node.activateSegwit();
    assert.equal(node.height(), BCOIN_WITNESS_HEIGHT);
    assert.deepEqual(await node.submitTx(spend), { accepted: true, txid: Transaction.fromBuffer(spend).getId() });
  });

  test('a data directory keeps the chain across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soberana-regtest-'));
    try {
      const first = await startRegtestNode({ dataDir: dir });
      await first.mine(5);
      const tip = await first.chainSource().tip();
      await first.stop();
      const second = await startRegtestNode({ dataDir: dir });
      try {
        assert.deepEqual(await second.chainSource().tip(), tip);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after stop, both sources fail with CHAIN_UNAVAILABLE and stop is idempotent', async () => {
    const node = await startRegtestNode();
    const inProc = node.chainSource();
    const rpc = node.rpcChainSource();
    await node.stop();
    await node.stop();
    await rejectsWith(inProc.tip(), 'CHAIN_UNAVAILABLE');
    const e = await rejectsWith(rpc.tip(), 'CHAIN_UNAVAILABLE');
    assert.match(e.message, /connection refused/);
  });
});
