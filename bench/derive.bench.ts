/**
 * Address derivation for a 2-of-3 `wsh(sortedmulti(…/<0;1>/*))` vault (issue #3, target ≥ 10,000
 * addresses/s on one core), what gap-limit discovery does thousands of times.
 *
 * Ours: `createDeriver(…).deriveRange` (branch nodes cached; the last CKDpub step by hand, its
 * k·G + K batched over the run with a fixed-base comb and one inversion per step, fixed-base.ts;
 * witness script, SHA-256 and bech32 built directly). A second row shows `derive()` one at a time.
 * Peer: bitcoinjs-lib + bip32 with the same cached branch nodes (`node.derive(i)` per cosigner,
 * sorted keys, `payments.p2wsh(p2ms)`), the textbook way. Both derive the same indexes, checked equal.
 */
import { networks, payments } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Benchmark, BenchRow } from './harness.ts';
import { compareMedian } from './harness.ts';
import { bip32 } from '../src/core/bitcoin/ecc.ts';
import { createDeriver, descriptorChecksum, parseDescriptor } from '../src/core/bitcoin/descriptor.ts';
import { MIN_BATCH } from '../src/core/bitcoin/derive.ts';

const N = 2000;

const bench: Benchmark = {
  name: 'derive',
  description: '2-of-3 wsh(sortedmulti) address derivation, ours vs bitcoinjs-lib + bip32 with cached chain nodes',
  async run(): Promise<BenchRow[]> {
    const accounts = [11, 22, 33].map((s) => bip32().fromSeed(new Uint8Array(32).fill(s)).derivePath("m/48'/0'/0'/2'").neutered());
    const body = `wsh(sortedmulti(2,${accounts.map((a) => `${a.toBase58()}/<0;1>/*`).join(',')}))`;
    const deriver = createDeriver(parseDescriptor(`${body}#${descriptorChecksum(body)}`), 'main');
    const branchNodes = accounts.map((a) => a.derive(0));

    let base = 0;
    const ours = (start: number): string[] => deriver.deriveRange(false, start, N).map((r) => r.address);
    const oursOneByOne = (start: number): string[] => {
      const out: string[] = [];
      for (let i = start; i < start + N / 10; i++) out.push(deriver.derive(false, i).address);
      return out;
    };
    const peer = (start: number): string[] => {
      const out: string[] = [];
      for (let i = start; i < start + N; i++) {
        const pubkeys = branchNodes.map((n) => n.derive(i).publicKey).sort((a, b) => bytesToHex(a).localeCompare(bytesToHex(b)));
        out.push(payments.p2wsh({ redeem: payments.p2ms({ m: 2, pubkeys, network: networks.bitcoin }), network: networks.bitcoin }).address as string);
      }
      return out;
    };
    // Same answers first (on indexes the timed runs do not reuse).
    const a = ours(1_000_000);
    const b = peer(1_000_000);
    if (a.join() !== b.join()) throw new Error('derive bench: ours and the peer disagree');
    if (oursOneByOne(1_000_000).join() !== a.slice(0, N / 10).join()) throw new Error('derive bench: one-by-one and batched disagree');

    // Fresh indexes on every call, so neither side benefits from anything but the branch cache.
    const t = await compareMedian(
      () => ours((base += N)),
      () => peer(base),
      { warmup: 1, runs: 5 },
    );
    const t1 = await compareMedian(
      () => oursOneByOne((base += N)),
      () => peer(base),
      { warmup: 1, runs: 3 },
    );
    return [
      {
        name: '2-of-3 wsh(sortedmulti) addresses',
        unit: 'addr/s',
        ours: N / t.ours,
        peer: N / t.peer,
        peerName: 'bitcoinjs-lib 7 + bip32 5 (cached chain nodes)',
        higherIsBetter: true,
        target: 10_000,
        notes: `deriveRange: ${N} fresh consecutive indexes per run (batched), median of 5 after 1 warm-up; one core`,
      },
      {
        name: '2-of-3 wsh(sortedmulti), derive() per address',
        unit: 'addr/s',
        ours: N / 10 / t1.ours,
        peer: N / t1.peer,
        peerName: 'bitcoinjs-lib 7 + bip32 5 (cached chain nodes)',
        higherIsBetter: true,
        target: null,
        notes: `derive(change, i) for ${N / 10} consecutive i per run (reads ahead ${MIN_BATCH} after 8 consecutive calls), median of 3`,
      },
    ];
  },
};

export default bench;
