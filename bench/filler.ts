/**
 * Filler payouts for benches that need regtest blocks of a realistic (if still small) weight: in
 * each block, batches of 1,000-sat outputs to the bench's own throwaway p2wpkh addresses (never a
 * vault's), each payout spending the previous one's change. One funding transaction from the
 * harness wallet starts the chain.
 *
 * The payer is a p2wsh whose script drops the witness items and leaves OP_TRUE: it is spent with
 * no signature, yet its witness carries signature-sized items (72 bytes each), so a payout holds
 * output bytes and witness bytes as mainnet blocks do (roughly half each). Why not sign: bcoin
 * 1.0.2 verifies ECDSA in pure JavaScript (~6 ms a signature here, at mempool entry and again when
 * the block connects); with one signed 80-output payout per block the 10,000-block chain took
 * 361 s to build on this machine (2 cores), with this one (40 outputs, 16 items) 101 s. A client
 * reading the blocks — the block walk being measured — checks no signatures, so the bytes and the
 * work it is measured on are the same either way.
 *
 * Regtest only: anyone can spend the payer's coins. bcoin accepts witness spends only from height
 * 432 (BCOIN_WITNESS_HEIGHT): call `fund` above it.
 */
import { opcodes, payments, Transaction, networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { hex } from '@scure/base';
import type { RegtestNode } from '../src/adapters/chain/regtest-node.ts';

/** Each filler output's value, sats (above p2wpkh dust). */
const OUTPUT_SATS = 1_000n;
/** Fee rate, sat/vB (bcoin's regtest relay minimum is 1). */
const FEE_RATE = 2n;
/** Size of each signature-sized witness item (a DER signature with its sighash byte: 71–72 bytes). */
const WITNESS_ITEM_LEN = 72;
/** bcoin's (and Core's) standardness limit on a p2wsh spend's stack items. */
const MAX_WITNESS_ITEMS = 100;

export interface FillerShape {
  /** Payouts per block (each spends the previous payout's change, in the same block or the one before). */
  readonly txsPerBlock: number;
  /** Throwaway outputs per payout, besides the change. */
  readonly outputsPerTx: number;
  /** Signature-sized (72-byte) items in each payout's witness, dropped by its script (as a multisig spend's bytes, unverified). */
  readonly witnessItems: number;
}

export class FillerPayouts {
  readonly #node: RegtestNode;
  readonly #shape: FillerShape;
  readonly #changeScript: Uint8Array;
  readonly #address: string;
  readonly #witnessScript: Uint8Array;
  readonly #witness: Uint8Array[];
  readonly #payees: Uint8Array[];
  #prev: { txid: string; vout: number; value: bigint } | null = null;
  #payouts = 0;

  constructor(node: RegtestNode, shape: FillerShape) {
    if (!Number.isSafeInteger(shape.txsPerBlock) || shape.txsPerBlock < 0) throw new RangeError(`FillerPayouts: "txsPerBlock" must be a non-negative integer, got ${String(shape.txsPerBlock)}`);
    if (!Number.isSafeInteger(shape.outputsPerTx) || shape.outputsPerTx < 1) throw new RangeError(`FillerPayouts: "outputsPerTx" must be a positive integer, got ${String(shape.outputsPerTx)}`);
    if (!Number.isSafeInteger(shape.witnessItems) || shape.witnessItems < 0 || shape.witnessItems > MAX_WITNESS_ITEMS) throw new RangeError(`FillerPayouts: "witnessItems" must be an integer in 0..${MAX_WITNESS_ITEMS}, got ${String(shape.witnessItems)}`);
    this.#node = node;
    this.#shape = shape;
    // OP_DROP for each item, then OP_TRUE: spendable with no signature (regtest only).
    this.#witnessScript = Uint8Array.from([...Array<number>(shape.witnessItems).fill(opcodes['OP_DROP'] as number), opcodes['OP_TRUE'] as number]);
    this.#witness = [...Array.from({ length: shape.witnessItems }, (_, i) => sha256(utf8ToBytes(`filler witness ${i}`))).map((h) => Uint8Array.from({ length: WITNESS_ITEM_LEN }, (_, j) => h[j % h.length] as number ^ j)), this.#witnessScript];
    const ECPair = ECPairFactory(ecc);
    const keyOf = (label: string) => ECPair.fromPrivateKey(sha256(utf8ToBytes(`soberana bench filler — regtest only — ${label}`)), { network: networks.regtest });
    const payer = payments.p2wsh({ redeem: { output: this.#witnessScript }, network: networks.regtest });
    if (!payer.output || !payer.address) throw new TypeError('FillerPayouts: cannot build the payer\'s p2wsh');
    this.#changeScript = payer.output;
    this.#address = payer.address;
    this.#payees = Array.from({ length: shape.outputsPerTx }, (_, i) => p2wpkh(keyOf(`payee ${i}`).publicKey));
  }

  /** The payer's address (p2wsh, regtest). */
  get address(): string {
    return this.#address;
  }

  /** Payouts submitted so far. */
  get payouts(): number {
    return this.#payouts;
  }

  /** Fund the payer from the harness wallet for `blocks` blocks of payouts (confirmed in the next block). */
  async fund(blocks: number): Promise<void> {
    const perTx = OUTPUT_SATS * BigInt(this.#shape.outputsPerTx) + FEE_RATE * BigInt(this.#vsizeBound());
    const sats = perTx * BigInt(this.#shape.txsPerBlock * blocks) + 100_000n;
    const txid = await this.#node.fund(this.address, sats, { confirm: true });
    const tx = Transaction.fromBuffer(await this.#node.chainSource().rawTransaction(txid));
    const vout = tx.outs.findIndex((o) => hex.encode(o.script) === hex.encode(this.#changeScript));
    if (vout < 0) throw new Error(`filler: the funding transaction ${txid} does not pay the payer`);
    this.#prev = { txid, vout, value: sats };
  }

  /** Submit this block's payouts to the node's mempool; the next `mine` includes them. */
  async submitBlockPayouts(): Promise<void> {
    for (let i = 0; i < this.#shape.txsPerBlock; i++) {
      const raw = this.#next();
      const r = await this.#node.submitTx(raw);
      if (!r.accepted) throw new Error(`filler: the regtest node refused payout ${this.#payouts}: ${r.reason}`);
      this.#payouts++;
    }
  }

  #vsizeBound(): number {
    // Version, counts, locktime and segwit marker ≈ 11 vB; the input 41 bytes + its witness /4;
    // 31 bytes per p2wpkh output, 43 for the p2wsh change.
    const witness = 1 + this.#witness.reduce((n, item) => n + 3 + item.length, 0);
    return Math.ceil(11 + 41 + witness / 4 + 31 * this.#shape.outputsPerTx + 43);
  }

  #next(): Uint8Array {
    const prev = this.#prev;
    if (!prev) throw new Error('filler: fund the payer before submitting payouts');
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hex.decode(prev.txid).reverse(), prev.vout);
    tx.addOutput(this.#changeScript, 0n);
    for (const s of this.#payees) tx.addOutput(s, OUTPUT_SATS);
    const change = prev.value - OUTPUT_SATS * BigInt(this.#payees.length) - FEE_RATE * BigInt(this.#vsizeBound());
    if (change < OUTPUT_SATS) throw new Error(`filler: the payer ran out of coins after ${this.#payouts} payouts`);
    (tx.outs[0] as { value: bigint }).value = change;
    tx.setWitness(0, this.#witness);
    this.#prev = { txid: tx.getId(), vout: 0, value: change };
    return tx.toBuffer();
  }
}

function p2wpkh(pubkey: Uint8Array): Uint8Array {
  const out = payments.p2wpkh({ pubkey, network: networks.regtest }).output;
  if (!out) throw new TypeError('filler: cannot build a p2wpkh output script');
  return out;
}
