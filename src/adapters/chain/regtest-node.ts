/**
 * The embedded regtest node: a bcoin@1.0.2 full node started in-process on a loopback port, plus
 * the harness the demo and the tests drive it with (mine, mine at a date, fund, reorg).
 *
 * bcoin facts this file works around (found on this machine, see issue #4):
 * - its regtest speaks bech32 `rb` and base58 prefixes of its own: set to Bitcoin Core's
 *   (`bcrt`, 0x6f, 0xc4) before the node starts, so addresses agree with every other tool;
 * - witness spends are accepted only from height 432: the harness wallet is legacy P2PKH;
 * - `sendrawtransaction` returns before validation: replaced here by a version that goes
 *   through the mempool and answers Core's error code -26 with the real reason;
 * - `estimatesmartfee` answers in bcoin's shape and asserts on targets above 15: replaced by one
 *   that clamps the target (as Core does at 1008) and answers in Core's shape;
 * - after `invalidateblock` the disconnected transactions do not return to the mempool (the P2P
 *   pool, not connected here, throws on the chain's reset event, so the mempool never hears it and
 *   keeps the old tip): the harness resets the mempool and resubmits them, as Core would;
 * - Taproot spends are NOT validated by bcoin 1.0.2: never take its acceptance as evidence.
 *
 * Security: the RPC listens on 127.0.0.1 only, with a random password; P2P does not listen.
 */
import { randomBytes } from 'node:crypto';
import type { BroadcastResult, ChainSource } from '../../core/chain/chain-source.ts';
import { DomainError } from '../../core/errors.ts';
import { BitcoindChainSource } from './bitcoind-chain-source.ts';
import { BCOIN_MAX_FEE_TARGET, BcoinChainSource, bcoinFeeEstimate, revHex, submitToMempool } from './bcoin-chain-source.ts';
import { loadBcoin, type BcoinFullNode, type BcoinModule } from './bcoin-types.ts';
import { assertHash } from './errors.ts';
import { COINBASE_MATURITY, HarnessWallet, regtestOutputScript, type WalletCoin } from './harness-wallet.ts';
import { RPC_CODE } from './rpc-client.ts';
import { submitWithReplacement } from './regtest-rbf.ts';
import { signKeySpend, type KeySpendRequest } from './regtest-key-spend.ts';

export interface RegtestNode {
  readonly rpcUrl: string;
  readonly rpcUser: string;
  readonly rpcPassword: string;
  readonly network: 'regtest';
  /** The harness wallet's address (P2PKH; regtest only). */
  readonly walletAddress: string;
  /** In-process adapter (no HTTP). */
  chainSource(): ChainSource;
  /** BitcoindChainSource pointed at this node's RPC. */
  rpcChainSource(): ChainSource;
  height(): number;
  /** Mine `n` blocks (to the harness wallet by default); returns their hashes. */
  mine(n: number, address?: string): Promise<string[]>;
  /** Mine one block with the given timestamp (it must exceed the median time past). */
  mineBlockAt(timeSec: number, opts?: { address?: string; txs?: Uint8Array[] }): Promise<string>;
  /** Pay `sats` to `address` from the harness wallet's matured coinbases; returns the txid. */
  fund(address: string, sats: bigint, opts?: { confirm?: boolean }): Promise<string>;
  /** Submit through the mempool, with the real rejection reason. */
  submitTx(raw: Uint8Array): Promise<BroadcastResult>;
  /**
   * Spend chosen coins (confirmed or in the mempool) with single keys the caller holds — P2WPKH or
   * P2PKH outputs, regtest only (e.g. the demo's watch-only government wallets) — paying `payments`
   * and the rest, less the fee, to `changeAddress` (the last output). Returns the txid and the change.
   */
  spendCoins(req: KeySpendRequest, opts?: { confirm?: boolean }): Promise<{ txid: string; change: { vout: number; sats: bigint } | null; fee: bigint }>;
  /** Invalidate a block (and its descendants) to force a reorg. */
  invalidateBlock(hash: string, opts?: { resubmit?: boolean }): Promise<void>;
  /**
   * Mine (to the harness wallet) up to height 432, from which bcoin accepts witness spends
   * (below it, it refuses them with "no-witness-yet"). Paying TO witness outputs works at any height.
   */
  activateSegwit(): Promise<void>;
  stop(): Promise<void>;
}

/** bcoin@1.0.2 regtest accepts witness spends only once the chain reaches this height. */
export const BCOIN_WITNESS_HEIGHT = 432;

export interface StartRegtestOptions {
  /** Keep the chain in this directory (default: in memory). */
  readonly dataDir?: string;
  /** RPC port on 127.0.0.1 (default: a free port). */
  readonly port?: number;
  /** bcoin's log level: none, error, warning, info, debug, spam (default none). */
  readonly logLevel?: string;
  /** RPC password (default: random). Useful to restart a node with the same credentials. */
  readonly rpcPassword?: string;
}

/** Bitcoin Core's regtest address prefixes. */
const CORE_REGTEST_PREFIXES = { pubkeyhash: 0x6f, scripthash: 0xc4, bech32: 'bcrt' } as const;
const RPC_USER = 'soberana';
/** How far ahead of the tip's time a default block goes, seconds (regtest's target spacing). */
const SPACING = 600;
/** Blocks more than 2 hours in the future are invalid. */
const MAX_FUTURE = 2 * 60 * 60;
/** bcoin's consensus.BIP16_TIME (2012-04-01): blocks before it are checked without P2SH. */
const BIP16_TIME = 1_333_238_400;
/** `fund` mines at most this many blocks to mature a coinbase before giving up. */
const MAX_AUTO_MINE = 200;

function useCoreRegtestPrefixes(bcoin: BcoinModule): void {
  Object.assign(bcoin.networks.regtest.addressPrefix, CORE_REGTEST_PREFIXES);
}

/** An error bcoin's RPC layer reports with our code (its `getCode` reads `type` and `code`). */
class NodeRpcError extends Error {
  readonly type = 'RPCError';
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Start an embedded regtest node. A test file should start one and reuse it.
 *
 * @example
 *   const node = await startRegtestNode();
 *   await node.mine(101);
 *   const txid = await node.fund('bcrt1q…', 100_000_000n, { confirm: true });
 *   await node.stop();
 */
export async function startRegtestNode(opts: StartRegtestOptions = {}): Promise<RegtestNode> {
  const bcoin = loadBcoin();
  useCoreRegtestPrefixes(bcoin);
  const password = opts.rpcPassword ?? randomBytes(24).toString('hex');
  const node = new bcoin.FullNode({
    network: 'regtest',
    memory: opts.dataDir === undefined,
    ...(opts.dataDir !== undefined ? { prefix: opts.dataDir } : {}),
    indexTX: true,
    indexAddress: true,
    httpHost: '127.0.0.1',
    httpPort: opts.port ?? 0,
    apiKey: password,
    listen: false,
    host: '127.0.0.1',
    logLevel: opts.logLevel ?? 'none',
    logConsole: opts.logLevel !== undefined && opts.logLevel !== 'none',
    workers: false,
  });
  node.on('error', () => {
    // bcoin emits recoverable errors (e.g. a peer it cannot reach); the harness reports its own.
  });
  node.rpc.calls.sendrawtransaction = async (args) => {
    const hex = args[0];
    if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(hex)) throw new NodeRpcError(RPC_CODE.DESERIALIZATION_ERROR, 'TX decode failed');
    // BIP125 replacement, which bcoin lacks, is added by the harness (regtest-rbf.ts).
    const r = await submitWithReplacement(bcoin, node, Buffer.from(hex, 'hex'));
    if (!r.accepted) throw new NodeRpcError(r.reason === 'TX decode failed' ? RPC_CODE.DESERIALIZATION_ERROR : RPC_CODE.VERIFY_REJECTED, r.reason);
    return r.txid;
  };
  node.rpc.calls.estimatesmartfee = async (args) => {
    const target = args[0];
    if (typeof target !== 'number' || !Number.isSafeInteger(target) || target < 1) throw new NodeRpcError(RPC_CODE.INVALID_PARAMETER, 'Invalid conf_target');
    const perKb = bcoinFeeEstimate(node, target);
    const blocks = Math.min(target, BCOIN_MAX_FEE_TARGET);
    // Core's shape: BTC per 1000 vB, or `errors` when there is no estimate.
    return perKb > 0 ? { feerate: perKb / 1e8, blocks } : { errors: ['Insufficient data or no feerate found'], blocks };
  };
  try {
    await node.ensure();
    await node.open();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new DomainError('CHAIN_UNAVAILABLE', `cannot start the regtest node: port ${String(opts.port)} on 127.0.0.1 is in use`);
    throw e;
  }
  return new EmbeddedRegtestNode(bcoin, node, password);
}

class EmbeddedRegtestNode implements RegtestNode {
  readonly network = 'regtest' as const;
  readonly rpcUrl: string;
  readonly rpcUser = RPC_USER;
  readonly rpcPassword: string;
  readonly walletAddress: string;
  readonly #bcoin: BcoinModule;
  readonly #node: BcoinFullNode;
  readonly #walletCoins = new Map<string, WalletCoin>();
  #scanned: { height: number; hash: string } = { height: -1, hash: '' };
  readonly #wallet = new HarnessWallet();
  #open = true;
  /** Serializes mining and funding so two calls never build on the same tip. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(bcoin: BcoinModule, node: BcoinFullNode, password: string) {
    this.#bcoin = bcoin;
    this.#node = node;
    this.rpcPassword = password;
    this.rpcUrl = `http://127.0.0.1:${node.http.address().port}/`;
    this.walletAddress = this.#wallet.address;
  }

  chainSource(): ChainSource {
    return new BcoinChainSource(this.#bcoin, this.#node, () => this.#open);
  }

  rpcChainSource(): ChainSource {
    return new BitcoindChainSource({ url: this.rpcUrl, user: this.rpcUser, password: this.rpcPassword, rest: false });
  }

  height(): number {
    return this.#live().chain.height;
  }

  async mine(n: number, address?: string): Promise<string[]> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`mine: expected a non-negative integer count, got ${String(n)}`);
    const to = this.#address(address ?? this.walletAddress);
    return this.#serial(async () => {
      const hashes: string[] = [];
      for (let i = 0; i < n; i++) hashes.push(await this.#mineOne(to, undefined));
      return hashes;
    });
  }

  async mineBlockAt(timeSec: number, opts: { address?: string; txs?: Uint8Array[] } = {}): Promise<string> {
    if (!Number.isSafeInteger(timeSec) || timeSec <= 0) throw new RangeError(`mineBlockAt: expected a Unix time in seconds, got ${String(timeSec)}`);
    const to = this.#address(opts.address ?? this.walletAddress);
    return this.#serial(async () => {
      const wanted: string[] = [];
      for (const raw of opts.txs ?? []) {
        const r = await submitToMempool(this.#bcoin, this.#live(), raw);
        if (!r.accepted) throw new DomainError('BROADCAST_REJECTED', `the regtest node refused a transaction for the block: ${r.reason}`);
        wanted.push(r.txid);
      }
      const hash = await this.#mineOne(to, timeSec);
      const block = await this.#live().chain.getBlock(revHex(hash));
      const included = new Set(block?.txs.map((t) => t.txid()) ?? []);
      const missing = wanted.filter((t) => !included.has(t));
      if (missing.length > 0) throw new DomainError('INVALID_STATE', `block ${hash} does not include transaction(s) ${missing.join(', ')}`);
      return hash;
    });
  }

  async fund(address: string, sats: bigint, opts: { confirm?: boolean } = {}): Promise<string> {
    if (typeof sats !== 'bigint') throw new TypeError('fund: "sats" expected bigint');
    if (sats <= 0n) throw new RangeError(`fund: "sats" must be positive, got ${sats}`);
    const script = regtestOutputScript(address);
    return this.#serial(async () => {
      let plan = HarnessWallet.plan(await this.#spendableCoins(), sats, script.length);
      for (let mined = 0; !plan && mined < MAX_AUTO_MINE; ) {
        // Not enough matured coinbase yet: mine to the wallet until one matures (at once on a young chain).
        const batch = Math.max(1, COINBASE_MATURITY + 1 - this.#live().chain.height);
        for (let i = 0; i < batch; i++) await this.#mineOne(this.#address(this.walletAddress), undefined);
        mined += batch;
        plan = HarnessWallet.plan(await this.#spendableCoins(), sats, script.length);
      }
      if (!plan) throw new DomainError('INSUFFICIENT_FUNDS', `the regtest harness wallet cannot pay ${sats} sats (regtest's whole supply is about 15,000 BTC)`);
      const prev = new Map<string, Uint8Array>();
      for (const c of plan.inputs) {
        const meta = await this.#live().getMeta(revHex(c.txid));
        if (!meta) throw new DomainError('INVALID_STATE', `the harness wallet's coin ${c.txid}:${c.vout} has no transaction on the node`);
        prev.set(c.txid, new Uint8Array(meta.tx.toRaw()));
      }
      const raw = this.#wallet.sign(plan, address, sats, (txid) => prev.get(txid) as Uint8Array);
      const r = await submitToMempool(this.#bcoin, this.#live(), raw);
      if (!r.accepted) throw new DomainError('BROADCAST_REJECTED', `the regtest node refused the funding transaction: ${r.reason}`);
      if (opts.confirm) await this.#mineOne(this.#address(this.walletAddress), undefined);
      return r.txid;
    });
  }

  submitTx(raw: Uint8Array): Promise<BroadcastResult> {
    return submitWithReplacement(this.#bcoin, this.#live(), raw);
  }

  async spendCoins(req: KeySpendRequest, opts: { confirm?: boolean } = {}): Promise<{ txid: string; change: { vout: number; sats: bigint } | null; fee: bigint }> {
    return this.#serial(async () => {
      const prev = new Map<string, Uint8Array>();
      const outs = new Map<string, { script: Uint8Array; value: bigint }[]>();
      for (const c of req.coins) {
        if (prev.has(c.txid)) continue;
        const meta = await this.#live().getMeta(revHex(c.txid));
        if (!meta) throw new DomainError('NOT_FOUND', `no transaction ${c.txid} on the regtest node (chain or mempool)`);
        prev.set(c.txid, new Uint8Array(meta.tx.toRaw()));
        outs.set(c.txid, meta.tx.outputs.map((o) => ({ script: new Uint8Array(o.script.toRaw()), value: BigInt(o.value) })));
      }
      const signed = signKeySpend(req, (txid) => prev.get(txid) as Uint8Array, (txid, vout) => {
        const o = outs.get(txid)?.[vout];
        if (!o) throw new DomainError('NOT_FOUND', `transaction ${txid} has no output ${vout}`);
        return o;
      });
      const r = await submitToMempool(this.#bcoin, this.#live(), signed.raw);
      if (!r.accepted) throw new DomainError('BROADCAST_REJECTED', `the regtest node refused the spend: ${r.reason}`);
      if (opts.confirm) await this.#mineOne(this.#address(this.walletAddress), undefined);
      return { txid: r.txid, change: signed.change, fee: signed.fee };
    });
  }

  /**
   * `resubmit: false` drops the disconnected transactions instead of returning them to the mempool,
   * as if the winning chain's miner never saw them (lets a test confirm a conflicting spend).
   */
  invalidateBlock(hash: string, opts: { resubmit?: boolean } = {}): Promise<void> {
    assertHash('invalidateBlock', hash);
    return this.#serial(async () => {
      const chain = this.#live().chain;
      const target = await chain.getEntry(revHex(hash));
      if (!target) throw new DomainError('NOT_FOUND', `block ${hash} not found on the regtest node`);
      // Collect the transactions the reorg disconnects, oldest block first.
      const disconnected: Uint8Array[][] = [];
      for (let h = chain.height; h >= target.height; h--) {
        const bh = await chain.getHash(h);
        const block = bh ? await chain.getBlock(bh) : null;
        if (block) disconnected.unshift(block.txs.filter((t) => !t.isCoinbase()).map((t) => new Uint8Array(t.toRaw())));
      }
      const pending = (await this.chainSource().mempool()).map((m) => m.raw);
      await chain.invalidate(target.hash);
      // bcoin's P2P pool throws on the chain's 'reset' event when it is not connected, which stops
      // the event before the mempool hears it: rebase the mempool ourselves.
      const node = this.#live();
      if (node.mempool.tip !== chain.tip.hash) await node.mempool._reset();
      // Return the disconnected transactions, then the earlier mempool, as Core does; those no
      // longer valid (e.g. spending a disconnected coinbase) stay out.
      for (const raw of [...(opts.resubmit === false ? [] : disconnected.flat()), ...pending]) await submitToMempool(this.#bcoin, node, raw);
    });
  }

  async activateSegwit(): Promise<void> {
    const missing = BCOIN_WITNESS_HEIGHT - this.height();
    if (missing > 0) await this.mine(missing);
  }

  async stop(): Promise<void> {
    if (!this.#open) return;
    await this.#queue.catch(() => undefined);
    this.#open = false;
    await this.#node.close();
  }

  #live(): BcoinFullNode {
    if (!this.#open) throw new DomainError('CHAIN_UNAVAILABLE', 'the embedded regtest node is stopped');
    return this.#node;
  }

  #address(addr: string): unknown {
    regtestOutputScript(addr);
    return this.#bcoin.Address.fromString(addr, 'regtest');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Mine one block on the tip; `time` defaults to tip + 10 min, capped at now, above the median time past. */
  async #mineOne(address: unknown, time: number | undefined): Promise<string> {
    const node = this.#live();
    const tip = node.chain.tip;
    const mtp = await node.chain.getMedianTime(tip);
    const now = Math.floor(Date.now() / 1000);
    let t: number;
    if (time === undefined) {
      // Never before BIP16's activation time: bcoin enables P2SH by block time only, and with segwit
      // active (height 432) but P2SH not, its script check asserts. Core's regtest has P2SH from genesis.
      t = Math.max(mtp + 1, BIP16_TIME, Math.min(now, tip.time + SPACING));
    } else {
      if (time <= mtp) throw new DomainError('INVALID_ARGUMENT', `block time ${time} is not after the median time past ${mtp} of the tip (regtest accepts past times only above it)`);
      if (time > now + MAX_FUTURE) throw new DomainError('INVALID_ARGUMENT', `block time ${time} is more than 2 hours in the future`);
      t = time;
    }
    const job = await node.miner.cpu.createJob(tip, address);
    job.attempt.time = t;
    job.refresh();
    const block = await job.mineAsync();
    const entry = await node.chain.add(block);
    if (!entry) throw new DomainError('INVALID_STATE', `the regtest node did not connect the block it mined (${block.rhash()})`);
    return block.rhash();
  }

  /**
   * The harness wallet's coins, found by scanning the chain once and then each new block: bcoin
   * 1.0.2 writes no address index for a node kept on disk (`getCoinsByAddress` returns nothing
   * there), and the demo's node is kept on disk. Coins spent by mempool transactions are left out.
   */
  async #spendableCoins(): Promise<WalletCoin[]> {
    const node = this.#live();
    const chain = node.chain;
    if (this.#scanned.height > chain.height || (this.#scanned.height >= 0 && (await chain.getHash(this.#scanned.height)) !== this.#scanned.hash)) {
      this.#walletCoins.clear(); // a reorg: rescan from genesis (cheap on regtest)
      this.#scanned = { height: -1, hash: '' };
    }
    const script = Buffer.from(regtestOutputScript(this.walletAddress));
    for (let h = this.#scanned.height + 1; h <= chain.height; h++) {
      const hash = await chain.getHash(h);
      const block = hash ? await chain.getBlock(hash) : null;
      if (!hash || !block) throw new DomainError('INVALID_STATE', `the regtest node has no block at height ${h}`);
      for (const tx of block.txs) {
        const coinbase = tx.isCoinbase();
        if (!coinbase) for (const input of tx.inputs) this.#walletCoins.delete(`${revHex(input.prevout.hash)}:${input.prevout.index}`);
        const txid = tx.txid();
        tx.outputs.forEach((o, vout) => {
          if (o.script.toRaw().equals(script)) this.#walletCoins.set(`${txid}:${vout}`, { txid, vout, value: BigInt(o.value), height: h, coinbase });
        });
      }
      this.#scanned = { height: h, hash };
    }
    const coins = [...this.#walletCoins.values()].filter((c) => !node.mempool.isSpent(revHex(c.txid), c.vout));
    return HarnessWallet.spendable(coins, chain.height);
  }

}
