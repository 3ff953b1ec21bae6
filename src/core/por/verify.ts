/**
 * Proof of reserves, verification for anyone: given a proof file and a view of the chain the
 * verifier trusts (their own node, an Esplora they choose), say what the proof proves.
 *
 * Nothing in the file is trusted. The amounts and scripts of the UTXOs come from the chain; the
 * file's own amounts and scripts are only compared with them (a disagreement is a named failure).
 * Every input of every proof transaction is run through the script interpreter (BIP-322 full,
 * with the chain's outputs as the spent outputs); input 0 must be the commitment to the file's
 * message and challenge; every UTXO must have been created at or before the stated block and not
 * spent at or before it; the stated block must be on the verifier's best chain.
 *
 * Pure: the chain is a port (`ProofChainView`), implemented by adapters over RPC and Esplora.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { isDomainError } from '../errors.ts';
import { GENESIS_HASH } from '../network.ts';
import type { Sats } from '../money.ts';
import { displaySafe } from '../text/display-text.ts';
import { ScriptFailure, verifyInput, type Prevout } from '../bitcoin/bip322-interpreter.ts';
import { assertProofCannotMoveCoins } from './build.ts';
import type { ProofFile } from './proof-file.ts';

/** An outpoint: transaction id (display order) and output index. */
export interface Outpoint {
  readonly txid: string;
  readonly vout: number;
}

/** An output as the verifier's chain has it. */
export interface ChainOutput {
  readonly amount: Sats;
  /** scriptPubKey, hex. */
  readonly script: string;
  /** Height of the block (on the best chain) holding the transaction that created it. */
  readonly createdHeight: number;
  /** Whether a transaction in a block of the best chain spends it now (mempool spends do not count). */
  readonly spentNow: boolean;
  /**
   * When spent: the height of the block that spends it, when the view knows it. A view that only
   * searched the blocks above the proof's height reports null when the spend is not among them
   * (it is then at or below that height).
   */
  readonly spentHeight: number | null;
}

/**
 * What the verifier needs from a chain. Implemented over a Bitcoin Core-style RPC node
 * (`por-rpc-view.ts`) and over Esplora (`por-esplora-view.ts`).
 */
export interface ProofChainView {
  /** The hash of the best chain's block at `height` (display order), or null above the tip. */
  blockHashAt(height: number): Promise<string | null>;
  /** The best chain's height. */
  tipHeight(): Promise<number>;
  /**
   * For each outpoint, the output as the best chain has it, or null when no confirmed transaction
   * has it. `height` is the proof's block: a view that must search for spends searches above it.
   */
  outputs(outpoints: readonly Outpoint[], height: number): Promise<readonly (ChainOutput | null)[]>;
}

/** Which part of the proof a failure is about. */
export type ProofField = 'network' | 'block.hash' | 'block.height' | 'message' | 'transaction' | 'outpoint' | 'amount' | 'script' | 'spent' | 'signature' | 'total';

export interface ProofFailure {
  readonly field: ProofField;
  /** The transaction (index in the file) and input the failure is about, when it is about one. */
  readonly transaction?: number;
  readonly input?: number;
  /** `txid:vout` of the UTXO concerned. */
  readonly outpoint?: string;
  /** One display-safe sentence. */
  readonly message: string;
}

export interface VerifiedUtxo {
  readonly txid: string;
  readonly vout: number;
  /** From the chain; null when the chain does not have the output. */
  readonly amount: Sats | null;
  readonly script: string | null;
  /** Signed, existed unspent at the proof's block, and agrees with the file. */
  readonly proven: boolean;
  /** Still unspent on the best chain now; null when unknown. */
  readonly unspentNow: boolean | null;
  readonly spentHeight: number | null;
}

export interface ProofVerification {
  /** No failure: every UTXO proven. */
  readonly ok: boolean;
  readonly network: ProofFile['network'];
  readonly message: string;
  readonly challenge: string | null;
  readonly block: ProofFile['block'];
  readonly tipHeight: number | null;
  readonly utxos: readonly VerifiedUtxo[];
  /** What the file claims. */
  readonly claimedTotal: Sats;
  /** Sum (chain amounts) of the UTXOs proven at the block. */
  readonly provenTotal: Sats;
  /** Of those, the ones still unspent now. */
  readonly unspentNowTotal: Sats;
  readonly failures: readonly ProofFailure[];
}

function safe(text: string): string {
  return displaySafe(text);
}

function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

function txidOf(hash: Uint8Array): string {
  return hex.encode(Uint8Array.from(hash).reverse());
}

interface SignedInput {
  readonly tx: number;
  readonly input: number;
  readonly txid: string;
  readonly vout: number;
}

/**
 * Verify a proof file against a chain view. Returns a report (it does not throw for a proof that
 * fails: every failure is listed, naming the field and the input); chain errors (node unreachable)
 * propagate as the adapter's DomainErrors.
 *
 * @example const r = await verifyProof(parseProofFile(text), rpcProofChainView({ url })); if (!r.ok) console.log(r.failures[0].message)
 */
export async function verifyProof(file: ProofFile, chain: ProofChainView): Promise<ProofVerification> {
  const failures: ProofFailure[] = [];
  const fail = (f: ProofFailure): void => {
    failures.push({ ...f, message: safe(f.message) });
  };
  const H = file.block.height;

  // the chain: the right network, and the stated block on its best chain
  const genesis = await chain.blockHashAt(0);
  if (genesis !== GENESIS_HASH[file.network]) {
    fail({ field: 'network', message: `the proof is for ${file.network}, but the chain consulted is another network (genesis ${genesis ?? 'unknown'})` });
  }
  const tipHeight = await chain.tipHeight();
  const atH = await chain.blockHashAt(H);
  if (atH === null) fail({ field: 'block.height', message: `block ${H} is above the chain's tip (${tipHeight})` });
  else if (atH !== file.block.hash) fail({ field: 'block.hash', message: `block hash: the file says block ${H} is ${file.block.hash}, the chain has ${atH}` });

  // the transactions: each the proof of this message, none able to move coins
  const txs: (Transaction | null)[] = file.transactions.map((t, n) => {
    let tx: Transaction;
    try {
      tx = Transaction.fromHex(t.hex);
    } catch {
      fail({ field: 'transaction', transaction: n, message: `transaction ${n} does not parse` });
      return null;
    }
    try {
      assertProofCannotMoveCoins(tx, { message: file.message, challenge: file.challenge ?? undefined, messageScript: hex.decode(t.messageScript) });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      const aboutCommitment = /input 0 is not the commitment/.test(e.message);
      fail({
        field: aboutCommitment ? 'message' : 'transaction',
        transaction: n,
        ...(aboutCommitment ? { input: 0 } : {}),
        message: aboutCommitment
          ? `message: transaction ${n}'s input 0 does not commit to this message${file.challenge ? ' and challenge' : ''} (signed by script ${t.messageScript})`
          : `transaction ${n}: ${e.message}`,
      });
      return null;
    }
    return tx;
  });

  // the UTXOs the transactions sign, against the file's list
  const fileUtxo = new Map(file.utxos.map((u, n) => [outpointKey(u.txid, u.vout), { u, n }]));
  const signed: SignedInput[] = [];
  const signedKeys = new Set<string>();
  txs.forEach((tx, n) => {
    if (!tx) return;
    tx.ins.forEach((txin, i) => {
      if (i === 0) return;
      const txid = txidOf(txin.hash);
      const key = outpointKey(txid, txin.index);
      if (signedKeys.has(key)) {
        fail({ field: 'outpoint', transaction: n, input: i, outpoint: key, message: `outpoint: input ${i} of transaction ${n} spends ${key}, which another input already proves` });
        return;
      }
      signedKeys.add(key);
      signed.push({ tx: n, input: i, txid, vout: txin.index });
      if (!fileUtxo.has(key)) fail({ field: 'outpoint', transaction: n, input: i, outpoint: key, message: `outpoint: input ${i} of transaction ${n} spends ${key}, which the file's UTXO list does not have` });
    });
  });
  file.utxos.forEach((u, n) => {
    const key = outpointKey(u.txid, u.vout);
    if (!signedKeys.has(key) && txs.every((t) => t !== null)) fail({ field: 'outpoint', outpoint: key, message: `outpoint: utxos[${n}] ${key} is not an input of any proof transaction (nothing signs for it)` });
  });

  // the chain's view of every signed outpoint
  const outs = signed.length === 0 ? [] : await chain.outputs(signed.map((s) => ({ txid: s.txid, vout: s.vout })), H);
  const byKey = new Map<string, ChainOutput | null>();
  signed.forEach((s, k) => byKey.set(outpointKey(s.txid, s.vout), outs[k] ?? null));

  const bad = new Set<string>();
  const markBad = (key: string): void => {
    bad.add(key);
  };
  for (const s of signed) {
    const key = outpointKey(s.txid, s.vout);
    const at = `input ${s.input} of transaction ${s.tx} (${key})`;
    const o = byKey.get(key) ?? null;
    const claimed = fileUtxo.get(key);
    if (!claimed) markBad(key);
    if (!o) {
      fail({ field: 'outpoint', transaction: s.tx, input: s.input, outpoint: key, message: `outpoint: ${at}: no confirmed transaction on this chain has this output` });
      markBad(key);
      continue;
    }
    if (claimed && claimed.u.amount !== o.amount) {
      fail({ field: 'amount', transaction: s.tx, input: s.input, outpoint: key, message: `amount: ${at}: the file says ${claimed.u.amount} sats, the chain says ${o.amount} sats` });
      markBad(key);
    }
    if (claimed && claimed.u.script !== o.script) {
      fail({ field: 'script', transaction: s.tx, input: s.input, outpoint: key, message: `script: ${at}: the file says ${claimed.u.script}, the chain says ${o.script}` });
      markBad(key);
    }
    if (o.createdHeight > H) {
      fail({ field: 'outpoint', transaction: s.tx, input: s.input, outpoint: key, message: `outpoint: ${at}: created in block ${o.createdHeight}, after the proof's block ${H}` });
      markBad(key);
    }
    if (o.spentNow && (o.spentHeight === null || o.spentHeight <= H)) {
      fail({ field: 'spent', transaction: s.tx, input: s.input, outpoint: key, message: `spent: ${at}: already spent ${o.spentHeight === null ? 'at or before' : `in block ${o.spentHeight}, at or before`} the proof's block ${H}` });
      markBad(key);
    }
  }

  // the signatures: every input of every transaction, with the chain's outputs as prevouts
  txs.forEach((tx, n) => {
    if (!tx) return;
    const messageScript = hex.decode(file.transactions[n]?.messageScript ?? '');
    const prevouts: Prevout[] = tx.ins.map((txin, i) => {
      if (i === 0) return { script: messageScript, value: 0n }; // to_spend's output (the commitment was checked above)
      const key = outpointKey(txidOf(txin.hash), txin.index);
      const o = byKey.get(key);
      if (o) return { script: hex.decode(o.script), value: o.amount };
      const claimed = fileUtxo.get(key)?.u; // unknown to the chain (already a failure): the file's, so other inputs can still be checked
      return claimed ? { script: hex.decode(claimed.script), value: claimed.amount } : { script: new Uint8Array(), value: 0n };
    });
    for (let i = 0; i < tx.ins.length; i++) {
      const txin = tx.ins[i];
      if (!txin) continue;
      const key = i === 0 ? undefined : outpointKey(txidOf(txin.hash), txin.index);
      try {
        verifyInput(tx, i, prevouts);
      } catch (e) {
        if (!(e instanceof ScriptFailure)) throw e;
        fail({
          field: 'signature',
          transaction: n,
          input: i,
          ...(key ? { outpoint: key } : {}),
          message: `signature: input ${i} of transaction ${n}${key ? ` (${key})` : ' (the message commitment)'} does not verify: ${e.message}`,
        });
        if (key) markBad(key);
        else tx.ins.forEach((t, j) => j > 0 && markBad(outpointKey(txidOf(t.hash), t.index))); // the message is not signed: nothing in this transaction is proven
      }
    }
  });

  const utxos: VerifiedUtxo[] = signed.map((s) => {
    const key = outpointKey(s.txid, s.vout);
    const o = byKey.get(key) ?? null;
    return {
      txid: s.txid,
      vout: s.vout,
      amount: o?.amount ?? null,
      script: o?.script ?? null,
      proven: o !== null && !bad.has(key) && failures.every((f) => f.field !== 'network' && f.field !== 'block.hash' && f.field !== 'block.height'),
      unspentNow: o ? !o.spentNow : null,
      spentHeight: o?.spentHeight ?? null,
    };
  });
  const provenTotal = utxos.reduce((t, u) => (u.proven && u.amount !== null ? t + u.amount : t), 0n) as Sats;
  const unspentNowTotal = utxos.reduce((t, u) => (u.proven && u.unspentNow === true && u.amount !== null ? t + u.amount : t), 0n) as Sats;
  if (failures.length === 0 && provenTotal !== file.total) {
    fail({ field: 'total', message: `total: the file says ${file.total} sats, the chain proves ${provenTotal} sats` });
  }
  return {
    ok: failures.length === 0,
    network: file.network,
    message: file.message,
    challenge: file.challenge,
    block: file.block,
    tipHeight,
    utxos,
    claimedTotal: file.total,
    provenTotal,
    unspentNowTotal,
    failures,
  };
}
