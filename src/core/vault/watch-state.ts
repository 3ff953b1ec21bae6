import { hex } from '@scure/base';
import { OutpointSet, ScriptSet } from '../bitcoin/byte-sets.ts';
import type { Branch, Txo, VaultAddress } from './types.ts';

/** Derives the address at (branch, index) of a vault's descriptor. */
export interface AddressDeriver {
  /** [0, 1] for a multipath `<0;1>` descriptor, [0] for a single-path one. */
  readonly branches: readonly Branch[];
  derive(branch: Branch, index: number): { address: string; script: string };
}

export interface AddressSlot {
  readonly branch: Branch;
  readonly index: number;
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/**
 * What a vault watches while syncing: its scripts (with a gap-limit lookahead on both branches)
 * and its unspent outpoints. Pure and in memory; the store loads it and persists the changes.
 */
export class WatchState {
  readonly scripts = new ScriptSet();
  readonly outpoints = new OutpointSet();
  readonly byScript = new Map<string, AddressSlot>();
  readonly unspent = new Map<string, Txo>();
  /** Number of addresses derived per branch (indexes 0..n-1). */
  readonly derived: [number, number] = [0, 0];
  /** Highest used index per branch, -1 when none. */
  readonly maxUsed: [number, number] = [-1, -1];
  readonly gapLimit: number;
  readonly deriver: AddressDeriver | null;

  constructor(opts: { gapLimit: number; deriver: AddressDeriver | null }) {
    if (!Number.isInteger(opts.gapLimit) || opts.gapLimit < 1 || opts.gapLimit > 10_000) throw new RangeError(`WatchState: gapLimit ${opts.gapLimit}`);
    this.gapLimit = opts.gapLimit;
    this.deriver = opts.deriver;
  }

  /** Load a known address (from the store). */
  addAddress(a: Pick<VaultAddress, 'branch' | 'index' | 'script' | 'used'>): void {
    this.scripts.add(hex.decode(a.script));
    this.byScript.set(a.script, { branch: a.branch, index: a.index });
    this.derived[a.branch] = Math.max(this.derived[a.branch], a.index + 1);
    if (a.used) this.maxUsed[a.branch] = Math.max(this.maxUsed[a.branch], a.index);
  }

  /** Load an unspent (or unconfirmed-spent) txo. */
  addUnspent(t: Txo): void {
    this.unspent.set(outpointKey(t.txid, t.vout), t);
    this.outpoints.add(t.txid, t.vout);
  }

  removeUnspent(txid: string, vout: number): Txo | undefined {
    const key = outpointKey(txid, vout);
    const t = this.unspent.get(key);
    this.unspent.delete(key);
    this.outpoints.delete(txid, vout);
    return t;
  }

  /** Record that (branch, index) received coins. Returns true if the lookahead must grow. */
  markUsed(slot: AddressSlot): boolean {
    if (slot.index <= this.maxUsed[slot.branch]) return false;
    this.maxUsed[slot.branch] = slot.index;
    return this.deriver !== null && this.derived[slot.branch] < slot.index + 1 + this.gapLimit;
  }

  /**
   * Derive addresses until each branch has `gapLimit` unused addresses after its highest used one.
   * Returns the newly derived addresses (to persist).
   */
  ensureLookahead(): VaultAddress[] {
    if (!this.deriver) return [];
    const fresh: VaultAddress[] = [];
    for (const branch of this.deriver.branches) {
      const want = this.maxUsed[branch] + 1 + this.gapLimit;
      while (this.derived[branch] < want) {
        const index = this.derived[branch];
        const { address, script } = this.deriver.derive(branch, index);
        const a: VaultAddress = { branch, index, address, script, used: false, reserved: false };
        this.addAddress(a);
        fresh.push(a);
      }
    }
    return fresh;
  }
}
