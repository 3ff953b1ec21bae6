/**
 * TEST DOUBLE — an in-memory PublicReserveView.
 *
 * Why it exists: the real implementation reads the vault tables of migration 0002, which the
 * lead was still writing when the server landed. The API, role, fuzz and browser tests need a
 * reserve to show, so this double computes the same public dataset from a plain list of
 * transactions (each moving sats into or out of one address). Totals, holdings and paging are
 * computed here, not hard-coded, so the tests check the server against independent arithmetic.
 * Replace with the SQL view in the tests once it exists.
 */
import type { Sats } from '../../src/core/money.ts';
import { seededRandom } from '../../src/core/coinselect/seeded-random.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { Network } from '../../src/core/network.ts';
import type {
  HoldingPoint,
  PublicAddress,
  PublicReserveView,
  PublicSummary,
  PublicTip,
  PublicTransaction,
  PublicVerification,
  PublishedVault,
  TransactionPage,
  TransactionQuery,
  TxCategory,
} from '../../src/core/transparency/public-view.ts';

export interface FakeTx {
  txid: string;
  vault: string;
  address: string;
  /** null = unconfirmed */
  height: number | null;
  time: number | null;
  category: TxCategory;
  netSats: bigint;
}

export interface FakeReserve {
  network: Network;
  tip: PublicTip | null;
  vaults: PublishedVault[];
  addresses: Array<{ address: string; vault: string; kind: 'receive' | 'change' | 'watched'; index: number }>;
  txs: FakeTx[];
}

export class MemoryPublicView implements PublicReserveView {
  readonly data: FakeReserve;
  readonly #ordered: FakeTx[];
  readonly #position: Map<string, number>;

  constructor(data: FakeReserve) {
    this.data = data;
    // newest first: unconfirmed, then height descending, then txid
    this.#ordered = [...data.txs].sort((a, b) => {
      const ha = a.height ?? Number.MAX_SAFE_INTEGER;
      const hb = b.height ?? Number.MAX_SAFE_INTEGER;
      return hb - ha || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0);
    });
    this.#position = new Map(this.#ordered.map((t, i) => [t.txid, i]));
  }

  async summary(): Promise<PublicSummary> {
    const vaults = this.data.vaults.map((v) => {
      const txs = this.data.txs.filter((t) => t.vault === v.id);
      return {
        id: v.id,
        name: v.name,
        confirmedSats: fixtureSats(txs.filter((t) => t.height !== null).reduce((s, t) => s + t.netSats, 0n)),
        unconfirmedSats: txs.filter((t) => t.height === null).reduce((s, t) => s + t.netSats, 0n),
        addressCount: this.data.addresses.filter((a) => a.vault === v.id).length,
      };
    });
    return {
      network: this.data.network,
      tip: this.data.tip,
      confirmedSats: fixtureSats(vaults.reduce((s, v) => s + v.confirmedSats, 0n)),
      unconfirmedSats: vaults.reduce((s, v) => s + v.unconfirmedSats, 0n),
      vaults,
    };
  }

  async holdings(): Promise<HoldingPoint[]> {
    const byDay = new Map<string, bigint>();
    for (const t of this.data.txs) {
      if (t.height === null || t.time === null) continue;
      const d = new Date(t.time * 1000).toISOString().slice(0, 10);
      byDay.set(d, (byDay.get(d) ?? 0n) + t.netSats);
    }
    let running = 0n;
    return [...byDay.keys()].sort().map((date) => {
      running += byDay.get(date) ?? 0n;
      return { date, sats: fixtureSats(running) };
    });
  }

  async addresses(): Promise<PublicAddress[]> {
    return this.data.addresses.map((a) => {
      const txs = this.data.txs.filter((t) => t.address === a.address);
      return {
        ...a,
        confirmedSats: fixtureSats(txs.filter((t) => t.height !== null).reduce((s, t) => s + t.netSats, 0n)),
        unconfirmedSats: txs.filter((t) => t.height === null).reduce((s, t) => s + t.netSats, 0n),
        txCount: txs.length,
      };
    });
  }

  async transactions(q: TransactionQuery): Promise<TransactionPage> {
    let start = 0;
    if (q.before !== undefined) {
      const p = this.#position.get(q.before);
      if (p === undefined) throw new DomainError('INVALID_ARGUMENT', `not a cursor this server issued: ${q.before}`);
      start = p + 1;
    }
    const slice = this.#ordered.slice(start, start + q.limit);
    const tipHeight = this.data.tip?.height ?? 0;
    const items: PublicTransaction[] = slice.map((t) => ({
      txid: t.txid,
      time: t.time,
      height: t.height,
      confirmations: t.height === null ? 0 : Math.max(0, tipHeight - t.height + 1),
      category: t.category,
      netSats: t.netSats,
      vault: t.vault,
    }));
    const last = slice[slice.length - 1];
    return { items, nextBefore: last && start + q.limit < this.#ordered.length ? last.txid : null };
  }

  async verification(): Promise<PublicVerification> {
    return { network: this.data.network, tip: this.data.tip, vaults: this.data.vaults };
  }
}

/** A deterministic generator (the core's seeded mulberry32) so fixtures and fuzz runs are reproducible. */
export function seeded(seed: number): () => number {
  return seededRandom(seed);
}

function hex64(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return s;
}

/**
 * A believable reserve: two vaults, purchases on real 2021–2022 dates, a consolidation, a
 * payment, and `extra` further generated transactions (for the benchmark), one unconfirmed.
 */
export function sampleReserve(opts: { extra?: number; seed?: number } = {}): FakeReserve {
  const rand = seeded(opts.seed ?? 7);
  const sv = 'el-salvador';
  const pk = 'pakistan';
  const svAddr = Array.from({ length: 6 }, (_, i) => `bcrt1qsv${String(i).padStart(2, '0')}${hex64(rand).slice(0, 30)}`);
  const pkAddr = Array.from({ length: 2 }, (_, i) => `bcrt1qpk${String(i).padStart(2, '0')}${hex64(rand).slice(0, 30)}`);
  const day = (iso: string): number => Math.floor(Date.parse(`${iso}T12:00:00Z`) / 1000);
  const txs: FakeTx[] = [];
  let height = 100;
  const add = (vault: string, address: string, iso: string, category: TxCategory, btc: bigint): void => {
    txs.push({ txid: hex64(rand), vault, address, height: ++height, time: day(iso), category, netSats: btc });
  };
  add(sv, svAddr[0] ?? '', '2021-09-06', 'purchase', 400n * 100_000_000n);
  add(sv, svAddr[1] ?? '', '2021-09-19', 'purchase', 150n * 100_000_000n);
  add(sv, svAddr[2] ?? '', '2021-10-27', 'purchase', 420n * 100_000_000n);
  add(sv, svAddr[3] ?? '', '2021-12-04', 'purchase', 150n * 100_000_000n);
  add(sv, svAddr[4] ?? '', '2022-05-09', 'purchase', 500n * 100_000_000n);
  add(sv, svAddr[4] ?? '', '2022-06-30', 'payment', -12_345_678n);
  add(pk, pkAddr[0] ?? '', '2025-06-01', 'mining', 312_500_000n);
  add(pk, pkAddr[1] ?? '', '2025-07-15', 'seizure', 25n * 100_000_000n);
  const extra = opts.extra ?? 0;
  const start = day('2022-07-01');
  for (let i = 0; i < extra; i++) {
    const v = rand() < 0.8 ? sv : pk;
    const addrs = v === sv ? svAddr : pkAddr;
    txs.push({
      txid: hex64(rand),
      vault: v,
      address: addrs[Math.floor(rand() * addrs.length)] ?? '',
      height: ++height,
      time: start + Math.floor((i * 86_400 * 1200) / Math.max(1, extra)),
      category: rand() < 0.7 ? 'purchase' : 'mining',
      netSats: BigInt(1 + Math.floor(rand() * 100_000_000)),
    });
  }
  txs.push({ txid: hex64(rand), vault: sv, address: svAddr[5] ?? '', height: null, time: null, category: 'purchase', netSats: 100_000_000n });
  return {
    network: 'regtest',
    tip: { height: height + 5, hash: hex64(rand), time: day('2026-08-20') },
    vaults: [
      {
        id: sv,
        name: 'El Salvador reserve',
        descriptors: ["wsh(sortedmulti(2,[aaaaaaaa/48'/1'/0'/2']tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/<0;1>/*,[bbbbbbbb/48'/1'/0'/2']tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/<0;1>/*,[cccccccc/48'/1'/0'/2']tpubD6NzVbkrYhZ4WLczPJWReQycCJdd6YVWXubbVUFnJ5KgU5MDQrD998ZJLSmaB7GVcCnJSDWprxmrGkJ6SvgQC6QAffVpqSvonXmeizXcrkN/<0;1>/*))#xxxxxxxx"],
        addresses: [],
        threshold: 2,
        keyCount: 3,
      },
      { id: pk, name: 'Pakistan strategic reserve', descriptors: [], addresses: pkAddr, threshold: null, keyCount: null },
    ],
    addresses: [
      ...svAddr.map((address, i) => ({ address, vault: sv, kind: 'receive' as const, index: i })),
      ...pkAddr.map((address, i) => ({ address, vault: pk, kind: 'watched' as const, index: i })),
    ],
    txs,
  };
}

/** The fake reports whatever its fixture adds up to, unchecked (the SQL view brands with sats()). */
function fixtureSats(v: bigint): Sats {
  return v as Sats;
}
