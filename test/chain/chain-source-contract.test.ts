/**
 * The ChainSource contract: one body of tests, run against every adapter.
 *   (a) the embedded bcoin regtest node through the Bitcoin Core RPC adapter (real HTTP JSON-RPC);
 *   (b) the same node through the in-process harness source;
 *   (c) the Esplora adapter against an Esplora-shaped HTTP server over the same node, live;
 *   (d) the Esplora adapter against RECORDED responses in test/fixtures/esplora/contract-regtest.json.
 * Where (d)'s recording came from: there is no internet here, so it was recorded from (c) — the
 * Esplora-shaped server in test/chain/esplora-shaped-server.ts (shape per Blockstream/esplora
 * API.md) answering from the embedded regtest node — by running this file with
 * SOBERANA_RECORD_ESPLORA=1. It is not a recording of blockstream.info or mempool.space.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Block, networks, payments, Psbt, Transaction } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { GENESIS_HASH } from '../../src/core/network.ts';
import { assertChainNetwork } from '../../src/adapters/chain/open-chain-source.ts';
import { EsploraChainSource } from '../../src/adapters/chain/esplora-chain-source.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { startEsploraShapedServer, type EsploraShapedServer } from './esplora-shaped-server.ts';
import { recordingFetch, replayFetch, type RecordedExchange } from './recorded-fetch.ts';

/** What the contract body needs besides the source: facts about the chain it serves. */
interface ContractEnv {
  readonly source: ChainSource;
  /** A confirmed non-coinbase transaction and the block it is in. */
  readonly confirmedTxid: string;
  readonly confirmedBlockHash: string;
  /** A valid transaction nobody has broadcast yet. */
  readonly freshTx: Uint8Array;
  /** Spends the same output as freshTx with a lower fee: refused once freshTx is in. */
  readonly conflictTx: Uint8Array;
}

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'esplora', 'contract-regtest.json');
const RECORD = process.env.SOBERANA_RECORD_ESPLORA === '1';
const UNKNOWN = 'ab'.repeat(32);

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

/** Fund a fresh test key on the node and prepare two conflicting spends of it. */
async function makeEnv(node: RegtestNode, source: ChainSource, label: string): Promise<ContractEnv> {
  if (node.height() < 101) await node.mine(101 - node.height());
  const ECPair = ECPairFactory(ecc);
  const key = ECPair.fromPrivateKey(sha256(utf8ToBytes(`soberana contract test key ${label}`)), { network: networks.regtest });
  const pay = payments.p2pkh({ pubkey: key.publicKey, network: networks.regtest });
  const amount = 100_000_000n;
  const confirmedTxid = await node.fund(pay.address as string, amount, { confirm: true });
  const confirmedBlockHash = (await node.chainSource().tip()).hash;
  const fundRaw = await node.chainSource().rawTransaction(confirmedTxid);
  const fundTx = Transaction.fromBuffer(fundRaw);
  const vout = fundTx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(pay.output as Uint8Array));
  assert.ok(vout >= 0);
  const spend = (fee: bigint, to: string): Uint8Array => {
    const psbt = new Psbt({ network: networks.regtest });
    psbt.addInput({ hash: confirmedTxid, index: vout, nonWitnessUtxo: fundRaw });
    psbt.addOutput({ address: to, value: amount - fee });
    psbt.signAllInputs(key);
    psbt.finalizeAllInputs();
    return psbt.extractTransaction().toBuffer();
  };
  return { source, confirmedTxid, confirmedBlockHash, freshTx: spend(2_000n, node.walletAddress), conflictTx: spend(1_000n, pay.address as string) };
}

function contract(name: string, env: () => ContractEnv): void {
  describe(name, () => {
    test('serves regtest, recognised by its genesis block hash', async () => {
      const { source } = env();
      assert.equal(await source.genesisHash(), GENESIS_HASH.regtest);
      assert.equal(await source.network(), 'regtest');
      await assertChainNetwork(source, 'regtest');
    });

    test('refuses to stand in for another network, naming both', async () => {
      const e = await rejectsWith(assertChainNetwork(env().source, 'test'), 'NETWORK_MISMATCH');
      assert.match(e.message, /serves regtest but the vault is on testnet/);
    });

    test('tip, block hashes and headers link up to genesis', async () => {
      const { source } = env();
      const tip = await source.tip();
      assert.ok(tip.height >= 102);
      assert.equal(await source.blockHash(tip.height), tip.hash);
      for (const h of [tip.height, tip.height - 1, 1]) {
        const hash = await source.blockHash(h);
        const header = await source.header(hash);
        assert.equal(header.hash, hash);
        assert.equal(header.height, h);
        assert.equal(header.prevHash, await source.blockHash(h - 1));
        assert.ok(Number.isSafeInteger(header.time) && header.time > 1_296_688_602);
      }
      const genesis = await source.header(GENESIS_HASH.regtest);
      assert.deepEqual({ height: genesis.height, prevHash: genesis.prevHash, time: genesis.time }, { height: 0, prevHash: '0'.repeat(64), time: 1_296_688_602 });
    });

    test('raw blocks hash to their id, match their header and carry their transactions', async () => {
      const { source, confirmedBlockHash, confirmedTxid } = env();
      const raw = await source.rawBlock(confirmedBlockHash);
      const block = Block.fromBuffer(raw);
      assert.equal(block.getId(), confirmedBlockHash);
      const header = await source.header(confirmedBlockHash);
      assert.equal(bytesToHex(Uint8Array.from(block.merkleRoot as Uint8Array).reverse()), header.merkleRoot);
      assert.equal(block.timestamp, header.time);
      assert.ok(block.checkTxRoots(), 'merkle root commits to the transactions');
      assert.ok(block.transactions?.some((t) => t.getId() === confirmedTxid));
    });

    test('raw transactions hash to their txid', async () => {
      const { source, confirmedTxid } = env();
      const raw = await source.rawTransaction(confirmedTxid);
      assert.equal(Transaction.fromBuffer(raw).getId(), confirmedTxid);
    });

    test('unknown heights, blocks and transactions are NOT_FOUND', async () => {
      const { source } = env();
      const tip = await source.tip();
      await rejectsWith(source.blockHash(tip.height + 1000), 'NOT_FOUND');
      await rejectsWith(source.header(UNKNOWN), 'NOT_FOUND');
      await rejectsWith(source.rawBlock(UNKNOWN), 'NOT_FOUND');
      await rejectsWith(source.rawTransaction(UNKNOWN), 'NOT_FOUND');
    });

    test('malformed arguments are programmer faults, not chain errors', async () => {
      const { source } = env();
      await assert.rejects(source.header('not-a-hash'), TypeError);
      await assert.rejects(source.rawBlock(UNKNOWN.toUpperCase()), TypeError);
      await assert.rejects(source.blockHash(-1), RangeError);
      await assert.rejects(source.estimateFeeRate(0), RangeError);
    });

    test('broadcast accepts a valid transaction, which then shows in the mempool', async () => {
      const { source, freshTx } = env();
      const txid = Transaction.fromBuffer(freshTx).getId();
      assert.deepEqual(await source.broadcast(freshTx), { accepted: true, txid });
      const pool = await source.mempool();
      const entry = pool.find((t) => t.txid === txid);
      assert.ok(entry, 'the broadcast transaction is in the mempool');
      assert.equal(bytesToHex(entry.raw), bytesToHex(freshTx));
      assert.equal(bytesToHex(await source.rawTransaction(txid)), bytesToHex(freshTx));
    });

    test('broadcast refuses a conflicting spend and garbage, with the node\'s reason', async () => {
      const { source, conflictTx } = env();
      const r = await source.broadcast(conflictTx);
      assert.equal(r.accepted, false);
      assert.ok(!r.accepted && r.reason.length > 0);
      const g = await source.broadcast(hexToBytes('0100'));
      assert.equal(g.accepted, false);
    });

    test('fee estimate is null or a positive rate; block filter is null or bytes', async () => {
      const { source, confirmedBlockHash } = env();
      const fee = await source.estimateFeeRate(6);
      assert.ok(fee === null || (typeof fee === 'number' && fee > 0));
      const filter = await source.blockFilter(confirmedBlockHash);
      assert.ok(filter === null || filter instanceof Uint8Array);
    });
  });
}

describe('ChainSource contract', () => {
  const regtest = useRegtestNode();
  let rpcEnv: ContractEnv | undefined;
  let inProcessEnv: ContractEnv | undefined;
  let esploraEnv: ContractEnv | undefined;
  let esploraServer: EsploraShapedServer | undefined;
  const recorded: RecordedExchange[] = [];

  before(async () => {
    const node = regtest.node();
    rpcEnv = await makeEnv(node, node.rpcChainSource(), 'rpc');
    inProcessEnv = await makeEnv(node, node.chainSource(), 'in-process');
    esploraServer = await startEsploraShapedServer(node.chainSource());
    const base = esploraServer.url;
    const fetch = RECORD ? recordingFetch(base, recorded) : undefined;
    esploraEnv = await makeEnv(node, new EsploraChainSource({ url: base, ...(fetch ? { fetch } : {}) }), 'esplora');
  });

  after(async () => {
    await rpcEnv?.source.close();
    await esploraEnv?.source.close();
    await esploraServer?.close();
    if (RECORD && esploraEnv) {
      const fixture = {
        source:
          'Recorded by test/chain/chain-source-contract.test.ts with SOBERANA_RECORD_ESPLORA=1 from the Esplora-shaped server in test/chain/esplora-shaped-server.ts over the embedded bcoin regtest node (no internet here; shape per Blockstream/esplora API.md).',
        env: {
          confirmedTxid: esploraEnv.confirmedTxid,
          confirmedBlockHash: esploraEnv.confirmedBlockHash,
          freshTx: bytesToHex(esploraEnv.freshTx),
          conflictTx: bytesToHex(esploraEnv.conflictTx),
        },
        exchanges: recorded,
      };
      writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
    }
  });

  contract('Bitcoin Core RPC adapter against the embedded regtest node', () => rpcEnv as ContractEnv);
  contract('in-process harness source of the embedded regtest node', () => inProcessEnv as ContractEnv);
  contract('Esplora adapter against an Esplora-shaped server over the regtest node (live)', () => esploraEnv as ContractEnv);

  if (!RECORD) {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      env: { confirmedTxid: string; confirmedBlockHash: string; freshTx: string; conflictTx: string };
      exchanges: RecordedExchange[];
    };
    const base = 'http://esplora.recorded.invalid/api/';
    const replayEnv: ContractEnv = {
      source: new EsploraChainSource({ url: base, fetch: replayFetch(base, fixture.exchanges), retries: 0 }),
      confirmedTxid: fixture.env.confirmedTxid,
      confirmedBlockHash: fixture.env.confirmedBlockHash,
      freshTx: hexToBytes(fixture.env.freshTx),
      conflictTx: hexToBytes(fixture.env.conflictTx),
    };
    contract('Esplora adapter against recorded responses (test/fixtures/esplora/contract-regtest.json)', () => replayEnv);
  }

  describe('both paths into the embedded node agree', () => {
    test('same tip, headers, raw blocks and mempool through RPC and in-process', async () => {
      const node = regtest.node();
      const viaRpc = node.rpcChainSource();
      const inProc = node.chainSource();
      try {
        const tip = await inProc.tip();
        assert.deepEqual(await viaRpc.tip(), tip);
        for (const h of [0, 1, Math.floor(tip.height / 2), tip.height]) {
          const hash = await inProc.blockHash(h);
          assert.equal(await viaRpc.blockHash(h), hash);
          assert.deepEqual(await viaRpc.header(hash), await inProc.header(hash));
          assert.equal(bytesToHex(await viaRpc.rawBlock(hash)), bytesToHex(await inProc.rawBlock(hash)));
        }
        const ids = (pool: { txid: string }[]): string[] => pool.map((t) => t.txid).sort();
        assert.deepEqual(ids(await viaRpc.mempool()), ids(await inProc.mempool()));
      } finally {
        await viaRpc.close();
      }
    });
  });
});
