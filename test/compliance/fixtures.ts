/** Hand-built transactions for the classifier and commitment tests (no chain: FlowTx as the app builds them). */
import type { FlowTx } from '../../src/core/compliance/classify-flows.ts';
import type { TxCategory } from '../../src/core/vault/types.ts';

let n = 0;
/** A fresh txid. */
export const txid = (): string => (++n).toString(16).padStart(64, '0');

export const day = (d: string): number => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);

export function tx(p: {
  date?: string;
  ins?: Array<[string | null, bigint | null]>;
  outs?: Array<[string | null, bigint]>;
  coinbase?: boolean;
  category?: TxCategory | null;
  labels?: string[];
  data?: boolean;
  id?: string;
}): FlowTx {
  return {
    txid: p.id ?? txid(),
    height: p.date ? 100 + n : null,
    time: p.date ? day(p.date) : null,
    coinbase: p.coinbase ?? false,
    inputs: (p.ins ?? []).map(([wallet, sats]) => ({ wallet, sats })),
    outputs: [...(p.outs ?? []).map(([wallet, sats]) => ({ wallet, sats, data: false })), ...(p.data ? [{ wallet: null, sats: 0n, data: true }] : [])],
    category: p.category ?? null,
    labels: p.labels ?? [],
  };
}
