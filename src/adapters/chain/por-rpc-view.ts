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
import { JsonRpcClient, RpcError, RPC_CODE, type RpcClientOptions } from './rpc-client.ts';
import { HEX64 } from './errors.ts';

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

  async function outputs(outpoints: readonly Outpoint[], height: number): Promise<readonly (ChainOutput | null)[]> {
    const result: (ChainOutput | null)[] = [];
    const spentKeys = new Map<string, number>();
    const txCache = new Map<string, { tx: Transaction; height: number } | null>();
    for (const op of outpoints) {
      if (!HEX64.test(op.txid)) throw new RangeError(`"txid" expected 64 lowercase hex characters, got ${op.txid.slice(0, 70)}`);
      let found = txCache.get(op.txid);
      if (found === undefined) {
        let raw: { hex?: unknown; blockhash?: unknown } | null;
        try {
          raw = (await rpc.call('getrawtransaction', [op.txid, true])) as { hex?: unknown; blockhash?: unknown } | null;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          raw = null;
        }
        if (!raw || typeof raw.hex !== 'string' || typeof raw.blockhash !== 'string' || !HEX64.test(raw.blockhash)) found = null; // unknown or unconfirmed
        else {
          let tx: Transaction;
          try {
            tx = Transaction.fromHex(raw.hex);
          } catch {
            throw bad(endpoint, `getrawtransaction ${op.txid} with a transaction that does not parse`);
          }
          if (tx.getId() !== op.txid) throw bad(endpoint, `getrawtransaction ${op.txid} with another transaction`);
          const h = await heightOf(raw.blockhash);
          found = h < 0 ? null : { tx, height: h };
        }
        txCache.set(op.txid, found);
      }
      const out = found?.tx.outs[op.vout];
      if (!found || !out) {
        result.push(null);
        continue;
      }
      const utxo = await rpc.call('gettxout', [op.txid, op.vout, false]);
      const spentNow = utxo === null;
      if (spentNow) spentKeys.set(`${op.txid}:${op.vout}`, result.length);
      result.push({ amount: out.value as Sats, script: hex.encode(out.script), createdHeight: found.height, spentNow, spentHeight: null });
    }
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
