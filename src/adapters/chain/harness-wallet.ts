/**
 * The regtest harness wallet: one software key, used ONLY on regtest (never mainnet), a legacy
 * P2PKH address so its coinbases can be spent at any height (bcoin accepts witness spends only
 * from height 432). The key is fixed, so the harness address is the same in every run.
 */
import { address as btcAddress, networks, payments, Psbt } from 'bitcoinjs-lib';
import { ECPairFactory, type ECPairInterface } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DomainError } from '../../core/errors.ts';

/** Regtest rule: a coinbase output is spendable in a block 100 blocks after its own. */
export const COINBASE_MATURITY = 100;
/** Fee rate the harness pays, sat/vB (bcoin's regtest minimum relay fee is 1). */
export const HARNESS_FEE_RATE = 2n;
const DUST = 546n;

export interface WalletCoin {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly height: number;
  readonly coinbase: boolean;
}

export interface SpendPlan {
  readonly inputs: readonly WalletCoin[];
  readonly fee: bigint;
  readonly change: bigint;
}

export class HarnessWallet {
  readonly address: string;
  readonly #key: ECPairInterface;

  constructor() {
    const ECPair = ECPairFactory(ecc);
    // A well-known key: anyone can spend these coins, which is fine on regtest and nowhere else.
    this.#key = ECPair.fromPrivateKey(sha256(utf8ToBytes('soberana regtest harness wallet — regtest only')), { network: networks.regtest });
    const p = payments.p2pkh({ pubkey: this.#key.publicKey, network: networks.regtest });
    if (!p.address) throw new TypeError('HarnessWallet: cannot derive the p2pkh address');
    this.address = p.address;
  }

  /** Coins spendable in the next block: matured coinbases and any other output. */
  static spendable(coins: readonly WalletCoin[], tipHeight: number): WalletCoin[] {
    return coins.filter((c) => !c.coinbase || (c.height >= 0 && tipHeight + 1 - c.height >= COINBASE_MATURITY));
  }

  /** Largest coins first until the amount and the fee are covered; null if they are not. */
  static plan(coins: readonly WalletCoin[], amount: bigint, outputScriptLen: number): SpendPlan | null {
    const sorted = [...coins].sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1));
    const inputs: WalletCoin[] = [];
    let total = 0n;
    for (const c of sorted) {
      inputs.push(c);
      total += c.value;
      // P2PKH input ≈ 148 vB, P2PKH change 34 vB, recipient 9 + script length, overhead 10 vB.
      const fee = HARNESS_FEE_RATE * BigInt(10 + 148 * inputs.length + 34 + 9 + outputScriptLen);
      if (total >= amount + fee) {
        let change = total - amount - fee;
        let paid = fee;
        if (change < DUST) {
          paid += change;
          change = 0n;
        }
        return { inputs, fee: paid, change };
      }
    }
    return null;
  }

  /** Build and sign the transaction paying `amount` to `to`; `prevTx` gives each input's full previous transaction. */
  sign(plan: SpendPlan, to: string, amount: bigint, prevTx: (txid: string) => Uint8Array): Uint8Array {
    const psbt = new Psbt({ network: networks.regtest });
    for (const c of plan.inputs) psbt.addInput({ hash: c.txid, index: c.vout, nonWitnessUtxo: prevTx(c.txid) });
    psbt.addOutput({ script: regtestOutputScript(to), value: amount });
    if (plan.change > 0n) psbt.addOutput({ script: regtestOutputScript(this.address), value: plan.change });
    psbt.signAllInputs(this.#key);
    psbt.finalizeAllInputs();
    return psbt.extractTransaction().toBuffer();
  }
}

/** The scriptPubKey of a regtest address; INVALID_ADDRESS for anything else. */
export function regtestOutputScript(addr: string): Uint8Array {
  try {
    return btcAddress.toOutputScript(addr, networks.regtest);
  } catch {
    throw new DomainError('INVALID_ADDRESS', `"${addr}" is not a regtest address`);
  }
}
