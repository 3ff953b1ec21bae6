/**
 * Spend chosen coins with single keys the caller holds — regtest only (the demo's watch-only
 * government wallets, whose published addresses are single-key P2WPKH or P2PKH). bitcoinjs-lib
 * builds and signs the PSBT; nothing here does cryptography by hand.
 *
 * The fee is the harness's rate (HARNESS_FEE_RATE sat/vB) times an estimate of the size; the rest
 * goes to one change address (dropped to the fee when it would be dust).
 */
import { networks, payments as btcPayments, Psbt } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import { DomainError } from '../../core/errors.ts';
import { HARNESS_FEE_RATE, regtestOutputScript } from './harness-wallet.ts';

const DUST = 546n;

/** A coin to spend: its outpoint, the key that owns it, and (looked up on the node) its previous transaction. */
export interface KeyCoin {
  readonly txid: string;
  readonly vout: number;
  /** The 32-byte private key of the coin's P2WPKH or P2PKH output (regtest only). */
  readonly privateKey: Uint8Array;
}

export interface KeySpendRequest {
  readonly coins: readonly KeyCoin[];
  readonly payments: readonly { readonly address: string; readonly sats: bigint }[];
  readonly changeAddress: string;
}

export interface KeySpendResult {
  readonly raw: Uint8Array;
  /** The change output (always the last output), or null when it was dust and went to the fee. */
  readonly change: { readonly vout: number; readonly sats: bigint } | null;
  readonly fee: bigint;
}

/** A transaction's outputs as bitcoinjs reads them (`prevTx` returns its raw bytes). */
interface PrevOut {
  readonly script: Uint8Array;
  readonly value: bigint;
}

function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Build and sign the spend. `prevTx(txid)` gives each coin's previous transaction (raw), and
 * `prevOut(txid, vout)` its output.
 * @throws INSUFFICIENT_FUNDS when the coins do not cover the payments and the fee;
 *         INVALID_ARGUMENT when a key does not own its coin
 * @example signKeySpend({ coins: [{ txid, vout: 0, privateKey }], payments: [{ address, sats: 700_000_000n }], changeAddress }, prevTx, prevOut)
 */
export function signKeySpend(req: KeySpendRequest, prevTx: (txid: string) => Uint8Array, prevOut: (txid: string, vout: number) => PrevOut): KeySpendResult {
  if (req.coins.length === 0) throw new RangeError('signKeySpend: no coins to spend');
  const ECPair = ECPairFactory(ecc);
  const psbt = new Psbt({ network: networks.regtest });
  let inSum = 0n;
  let vbytes = 11n;
  const keys = [];
  for (const c of req.coins) {
    const key = ECPair.fromPrivateKey(c.privateKey, { network: networks.regtest });
    const out = prevOut(c.txid, c.vout);
    const wpkh = btcPayments.p2wpkh({ pubkey: key.publicKey, network: networks.regtest }).output;
    const pkh = btcPayments.p2pkh({ pubkey: key.publicKey, network: networks.regtest }).output;
    if (wpkh && eqBytes(out.script, wpkh)) {
      psbt.addInput({ hash: c.txid, index: c.vout, witnessUtxo: { script: out.script, value: out.value } });
      vbytes += 68n;
    } else if (pkh && eqBytes(out.script, pkh)) {
      psbt.addInput({ hash: c.txid, index: c.vout, nonWitnessUtxo: prevTx(c.txid) });
      vbytes += 148n;
    } else {
      throw new DomainError('INVALID_ARGUMENT', `coin ${c.txid}:${c.vout} is not a P2WPKH or P2PKH output of the key given for it`);
    }
    inSum += out.value;
    keys.push(key);
  }
  let outSum = 0n;
  for (const p of req.payments) {
    if (typeof p.sats !== 'bigint' || p.sats < DUST) throw new RangeError(`signKeySpend: payment of ${String(p.sats)} sats is below dust`);
    const script = regtestOutputScript(p.address);
    psbt.addOutput({ script, value: p.sats });
    outSum += p.sats;
    vbytes += 9n + BigInt(script.length);
  }
  const changeScript = regtestOutputScript(req.changeAddress);
  const feeWithChange = HARNESS_FEE_RATE * (vbytes + 9n + BigInt(changeScript.length));
  let change = inSum - outSum - feeWithChange;
  let fee = feeWithChange;
  if (change < DUST) {
    fee = inSum - outSum;
    change = 0n;
    if (fee < HARNESS_FEE_RATE * vbytes) throw new DomainError('INSUFFICIENT_FUNDS', `the coins (${inSum} sats) do not cover ${outSum} sats and the fee`);
  } else {
    psbt.addOutput({ script: changeScript, value: change });
  }
  keys.forEach((k, i) => psbt.signInput(i, k));
  psbt.finalizeAllInputs();
  return { raw: psbt.extractTransaction().toBuffer(), change: change > 0n ? { vout: req.payments.length, sats: change } : null, fee };
}
