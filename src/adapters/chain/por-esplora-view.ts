/**
 * ProofChainView over an Esplora HTTP API (Blockstream / mempool.space shape), for a verifier
 * without a node of their own.
 *
 * Endpoints: GET /block-height/:h (a block hash; 404 above the tip), /blocks/tip/height,
 * /tx/:txid/hex (the raw transaction: amounts and scripts are decoded here, never taken from JSON
 * floats), /tx/:txid/status (confirmed, block_height), /tx/:txid/outspend/:vout (spent, and the
 * status of the spending transaction with its block_height). Esplora reports the best chain only.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import type { Sats } from '../../core/money.ts';
import type { ChainOutput, Outpoint, ProofChainView } from '../../core/por/verify.ts';
import { HEX64, type FetchResponseLike } from './errors.ts';
import { esploraHttp, esploraSend, type EsploraHttpOptions } from './esplora-http.ts';

/** Largest answer read (a raw transaction with 2000 inputs is under 1 MB). */
const MAX_BODY_CHARS = 8 * 1024 * 1024;

/** A ProofChainView over Esplora. `close()` aborts requests in flight. */
export interface EsploraProofChainView extends ProofChainView {
  close(): void;
}

interface TxStatus {
  confirmed?: unknown;
  block_height?: unknown;
}

/**
 * @example const view = esploraProofChainView({ url: 'https://mempool.space/api/' }); await verifyProof(file, view);
 */
export function esploraProofChainView(opts: EsploraHttpOptions): EsploraProofChainView {
  const http = esploraHttp(opts);
  const bad = (what: string): DomainError => new DomainError('CHAIN_BAD_RESPONSE', `the Esplora API at ${http.endpoint} answered ${what}`);

  async function get(path: string): Promise<string | null> {
    const { status, value } = await esploraSend(http, 'GET', path, undefined, async (res: FetchResponseLike) => (res.status === 200 ? res.text() : ''));
    if (status === 404 || status === 400) return null;
    if (status !== 200) throw bad(`HTTP ${status} for ${path}`);
    if (value.length > MAX_BODY_CHARS) throw bad(`an answer over ${MAX_BODY_CHARS} characters for ${path}`);
    return value;
  }

  async function json(path: string): Promise<unknown> {
    const t = await get(path);
    if (t === null) return null;
    try {
      return JSON.parse(t) as unknown;
    } catch {
      throw bad(`something that is not JSON for ${path}`);
    }
  }

  async function blockHashAt(height: number): Promise<string | null> {
    if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`"height" expected a non-negative integer, got ${String(height)}`);
    const t = await get(`block-height/${height}`);
    if (t === null) return null;
    const h = t.trim();
    if (!HEX64.test(h)) throw bad(`block-height/${height} with something that is not a block hash`);
    return h;
  }

  async function tipHeight(): Promise<number> {
    const t = await get('blocks/tip/height');
    const n = t === null ? NaN : Number(t.trim());
    if (!Number.isSafeInteger(n) || n < 0) throw bad('blocks/tip/height with something that is not a height');
    return n;
  }

  function confirmedHeight(s: unknown, path: string): number | null {
    if (typeof s !== 'object' || s === null) throw bad(`${path} without a status`);
    const st = s as TxStatus;
    if (st.confirmed !== true) return null;
    if (typeof st.block_height !== 'number' || !Number.isSafeInteger(st.block_height)) throw bad(`${path}: a confirmed status without block_height`);
    return st.block_height;
  }

  async function outputs(outpoints: readonly Outpoint[], _height: number): Promise<readonly (ChainOutput | null)[]> {
    const txs = new Map<string, { tx: Transaction; height: number } | null>();
    const result: (ChainOutput | null)[] = [];
    for (const op of outpoints) {
      if (!HEX64.test(op.txid)) throw new RangeError(`"txid" expected 64 lowercase hex characters, got ${op.txid.slice(0, 70)}`);
      let found = txs.get(op.txid);
      if (found === undefined) {
        const status = await json(`tx/${op.txid}/status`);
        const h = status === null ? null : confirmedHeight(status, `tx/${op.txid}/status`);
        const rawHex = h === null ? null : await get(`tx/${op.txid}/hex`);
        if (h === null || rawHex === null) found = null;
        else {
          let tx: Transaction;
          try {
            tx = Transaction.fromHex(rawHex.trim());
          } catch {
            throw bad(`tx/${op.txid}/hex with a transaction that does not parse`);
          }
          if (tx.getId() !== op.txid) throw bad(`tx/${op.txid}/hex with another transaction`);
          found = { tx, height: h };
        }
        txs.set(op.txid, found);
      }
      const out = found?.tx.outs[op.vout];
      if (!found || !out) {
        result.push(null);
        continue;
      }
      const path = `tx/${op.txid}/outspend/${op.vout}`;
      const os = (await json(path)) as { spent?: unknown; status?: unknown } | null;
      if (!os || typeof os.spent !== 'boolean') throw bad(`${path} without "spent"`);
      const spentHeight = os.spent ? confirmedHeight(os.status, path) : null;
      result.push({ amount: out.value as Sats, script: hex.encode(out.script), createdHeight: found.height, spentNow: spentHeight !== null, spentHeight });
    }
    return result;
  }

  return {
    blockHashAt,
    tipHeight,
    outputs,
    close: () => {
      for (const c of http.inflight) c.abort();
    },
  };
}
