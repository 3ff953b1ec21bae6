/**
 * ProofChainView over a Bitcoin Core-style JSON-RPC node (Bitcoin Core with `txindex=1`, or bcoin
 * with its transaction index, as the embedded regtest node runs).
 *
 * Calls used, all in bcoin 1.0.2 and Bitcoin Core: getblockcount, getblockhash, getblockheader
 * (verbose: the height of a block), getrawtransaction (verbose: raw hex plus the block holding
 * it; needs the transaction index), gettxout (includemempool=false: unspent on the best chain
 * now), getblock (verbosity 0: the raw block).
 *
 * "Unspent at height H": the creating transaction is in a block at or below H, and either
 * gettxout says the output is unspent now, or its spend is found in one of the blocks H+1…tip,
 * which are scanned once (raw blocks, decoded here) for every spent output together. A spend not
 * found above H is at or below H. Amounts and scripts are read from the raw transaction, never
 * from the node's BTC-denominated JSON.
 */
import { Block, Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import type { Sats } from '../../core/money.ts';
import type { ChainOutput, Outpoint, ProofChainView } from '../../core/por/verify.ts';
import { JsonRpcClient, RpcError, RPC_CODE, type RpcCall, type RpcClientOptions, type RpcOutcome } from './rpc-client.ts';
import { HEX64 } from './errors.ts';

/** Calls per JSON-RPC batch request. */
const BATCH = 100;

function bad(endpoint: string, what: string): DomainError {
  return new DomainError('CHAIN_BAD_RESPONSE', `the node at ${endpoint} answered ${what}`);
}

function isNotFound(e: unknown): boolean {
  return e instanceof RpcError && (e.code === RPC_CODE.INVALID_ADDRESS_OR_KEY || e.code === RPC_CODE.MISC_ERROR || e.code === RPC_CODE.INVALID_PARAMETER);
}

/** A ProofChainView over RPC. `close()` releases the client. */
export interface RpcProofChainView extends ProofChainView {
  close(): void;
}

/**
 * @example const view = rpcProofChainView({ url: 'http://user:pass@127.0.0.1:8332/' }); await verifyProof(file, view); view.close();
 */
export function rpcProofChainView(opts: RpcClientOptions): RpcProofChainView {
  const rpc = new JsonRpcClient(opts);
  const endpoint = rpc.endpoint;

  async function blockHashAt(height: number): Promise<string | null> {
    if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`"height" expected a non-negative integer, got ${String(height)}`);
    try {
      const h = await rpc.call('getblockhash', [height]);
      if (typeof h !== 'string' || !HEX64.test(h)) throw bad(endpoint, 'getblockhash with something that is not a block hash');
      return h;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async function tipHeight(): Promise<number> {
    const n = await rpc.call('getblockcount', []);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(endpoint, 'getblockcount with something that is not a height');
    return n;
  }

  const heightOfBlock = new Map<string, number>();
  async function heightOf(blockhash: string): Promise<number> {
    const known = heightOfBlock.get(blockhash);
    if (known !== undefined) return known;
    const hdr = (await rpc.call('getblockheader', [blockhash, true])) as { height?: unknown; confirmations?: unknown } | null;
    if (!hdr || typeof hdr.height !== 'number' || !Number.isSafeInteger(hdr.height)) throw bad(endpoint, 'getblockheader without a height');
    // a block off the best chain has confirmations -1: its transactions are not confirmed
    const h = typeof hdr.confirmations === 'number' && hdr.confirmations < 0 ? -1 : hdr.height;
    heightOfBlock.set(blockhash, h);
    return h;
  }

  /** Run calls in batches of BATCH; a node error for one call is its outcome, not a throw. */
  async function batched(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    const out: RpcOutcome[] = [];
    for (let i = 0; i < calls.length; i += BATCH) out.push(...(await rpc.batch(calls.slice(i, i + BATCH))));
    return out;
  }

  async function outputs(outpoints: readonly Outpoint[], height: number): Promise<readonly (ChainOutput | null)[]> {
    for (const op of outpoints) if (!HEX64.test(op.txid)) throw new RangeError(`"txid" expected 64 lowercase hex characters, got ${op.txid.slice(0, 70)}`);
    // the creating transactions, each once
    const txids = [...new Set(outpoints.map((o) => o.txid))];
    const raws = await batched(txids.map((t) => ({ method: 'getrawtransaction', params: [t, true] })));
    const created = new Map<string, { tx: Transaction; blockhash: string } | null>();
    raws.forEach((r, k) => {
      const txid = txids[k] as string;
      if (!r.ok) {
        if (!isNotFound(r.error)) throw r.error;
        created.set(txid, null);
        return;
      }
      const raw = r.result as { hex?: unknown; blockhash?: unknown } | null;
      if (!raw || typeof raw.hex !== 'string' || typeof raw.blockhash !== 'string' || !HEX64.test(raw.blockhash)) {
        created.set(txid, null); // unknown or unconfirmed
        return;
      }
      let tx: Transaction;
      try {
        tx = Transaction.fromHex(raw.hex);
      } catch {
        throw bad(endpoint, `getrawtransaction ${txid} with a transaction that does not parse`);
      }
      if (tx.getId() !== txid) throw bad(endpoint, `getrawtransaction ${txid} with another transaction`);
      created.set(txid, { tx, blockhash: raw.blockhash });
    });
    for (const c of created.values()) if (c) await heightOf(c.blockhash);
    // which are unspent on the best chain now
    const utxoAnswers = await batched(outpoints.map((o) => ({ method: 'gettxout', params: [o.txid, o.vout, false] })));
    const result: (ChainOutput | null)[] = [];
    const spentKeys = new Map<string, number>();
    outpoints.forEach((op, k) => {
      const c = created.get(op.txid);
      const h = c ? (heightOfBlock.get(c.blockhash) ?? -1) : -1;
      const out = c?.tx.outs[op.vout];
      if (!c || !out || h < 0) {
        result.push(null);
        return;
      }
      const a = utxoAnswers[k];
      if (!a) throw bad(endpoint, 'a batch without every gettxout answer');
      if (!a.ok) throw a.error;
      const spentNow = a.result === null;
      if (spentNow) spentKeys.set(`${op.txid}:${op.vout}`, result.length);
      result.push({ amount: out.value as Sats, script: hex.encode(out.script), createdHeight: h, spentNow, spentHeight: null });
    });
    if (spentKeys.size > 0) {
      // find each spend among the blocks above the proof's height
      const tip = await tipHeight();
      for (let h = height + 1; h <= tip && spentKeys.size > 0; h++) {
        const hash = await blockHashAt(h);
        if (hash === null) break;
        const rawBlock = await rpc.call('getblock', [hash, false]);
        if (typeof rawBlock !== 'string') throw bad(endpoint, `getblock ${hash} without the raw block`);
        let block: Block;
        try {
          block = Block.fromHex(rawBlock);
        } catch {
          throw bad(endpoint, `getblock ${hash} with a block that does not parse`);
        }
        for (const tx of block.transactions ?? []) {
          for (const txin of tx.ins) {
            const key = `${hex.encode(Uint8Array.from(txin.hash).reverse())}:${txin.index}`;
            const k = spentKeys.get(key);
            if (k === undefined) continue;
            const prev = result[k];
            if (prev) result[k] = { ...prev, spentHeight: h };
            spentKeys.delete(key);
          }
        }
      }
    }
    return result;
  }

  return { blockHashAt, tipHeight, outputs, close: () => rpc.close() };
}
