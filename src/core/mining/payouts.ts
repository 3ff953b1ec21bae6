/**
 * Recognising a venture's payouts among the transactions sync stored for its vault (issue #17),
 * attributing each to a site and a period. Pure: the caller hands over the vault's transactions,
 * its outputs, the labels (BIP-329) and the sites.
 *
 * A confirmed transaction that pays the venture vault and spends none of its coins is a payout when:
 *  1. it is a coinbase (the vault mined the block: solo mining) — kind `coinbase`;
 *  2. one of its inputs spends from an address in a site's pool address list — kind `pool`, that site.
 *     The payer's address is read from the input itself: P2PKH and P2SH-P2WPKH/P2WSH from the
 *     scriptSig and witness, P2WPKH from the witness's public key, P2WSH from the witness script.
 *     A taproot key-path input names no address: label such payouts instead;
 *  3. it is labelled with a site's pool name (the transaction's label or its receiving address's,
 *     e.g. "Luxor payout 2026-11"), or recorded as category `mining` — kind `pool`.
 * Anything else paying the vault (a purchase, a transfer) is not a payout.
 *
 * Site: the pool address or pool name that matched; else a label naming the site's id or name;
 * else the venture's only solo site (for a coinbase) or its only site; else null ("unattributed").
 * Period: the UTC month of the block time. Unconfirmed transactions are left out until confirmed.
 */
import { Transaction, payments, networks as bjsNetworks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { scriptToAddress } from '../bitcoin/address.ts';
import { DomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import type { Sats } from '../money.ts';
import type { Txo, VaultTransaction } from '../vault/types.ts';
import { periodOfTime, type Site } from './venture.ts';

export const PAYOUT_KINDS = ['coinbase', 'pool'] as const;
export type PayoutKind = (typeof PAYOUT_KINDS)[number];

export interface Payout {
  readonly txid: string;
  readonly kind: PayoutKind;
  readonly height: number;
  readonly blockTime: number;
  /** YYYY-MM (UTC) of the block time. */
  readonly period: string;
  /** What the venture vault received. */
  readonly sats: Sats;
  /** The vault's outputs of this payout (what a distribution spends). */
  readonly outputs: readonly { readonly vout: number; readonly sats: Sats; readonly spentTxid: string | null }[];
  readonly siteId: string | null;
  /** Why it counts as a payout, and why that site, in plain words. */
  readonly reason: string;
}

export interface RecogniseInput {
  readonly network: Network;
  readonly transactions: readonly VaultTransaction[];
  /** Every output the vault owns or owned (`VaultStore.allTxos`). */
  readonly txos: readonly Txo[];
  readonly sites: readonly Site[];
  /** Labels by transaction id, and by address. */
  readonly txLabels: ReadonlyMap<string, readonly string[]>;
  readonly addressLabels: ReadonlyMap<string, readonly string[]>;
}

function bjsNetwork(network: Network): bjsNetworks.Network {
  return network === 'main' ? bjsNetworks.bitcoin : network === 'regtest' ? bjsNetworks.regtest : bjsNetworks.testnet;
}

/**
 * The addresses an input spends from, as far as the input itself shows them (see the module
 * comment); an empty list when it does not (taproot key path, bare scripts).
 * @example payerAddresses(tx.ins[0], 'regtest') // ['mhX…'] for a P2PKH input
 */
export function payerAddresses(input: Transaction['ins'][number], network: Network): string[] {
  const net = bjsNetwork(network);
  const w = input.witness;
  const s = input.script;
  const out: string[] = [];
  const tryPush = (f: () => string | undefined): void => {
    try {
      const a = f();
      if (a !== undefined) out.push(a);
    } catch {
      /* not this form */
    }
  };
  if (s.length === 0 && w.length === 2 && (w[1]?.length === 33 || w[1]?.length === 65)) {
    tryPush(() => payments.p2wpkh({ pubkey: w[1] as Uint8Array, network: net }).address);
  } else if (s.length === 0 && w.length >= 2) {
    tryPush(() => payments.p2wsh({ redeem: { output: w[w.length - 1] as Uint8Array }, network: net }).address);
  } else if (s.length > 0 && w.length > 0) {
    // P2SH-wrapped segwit: the scriptSig pushes the redeem script (a witness program).
    tryPush(() => payments.p2sh({ input: s, network: net }).address);
  } else if (s.length > 0) {
    tryPush(() => payments.p2pkh({ input: s, network: net }).address);
    if (out.length === 0) tryPush(() => payments.p2sh({ input: s, network: net }).address);
  }
  return out;
}

const escapeRe = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mentions = (labels: readonly string[], word: string): boolean => {
  const w = word.trim();
  if (w === '') return false;
  const re = new RegExp(`(^|[^A-Za-z0-9])${escapeRe(w)}([^A-Za-z0-9]|$)`, 'i');
  return labels.some((l) => re.test(l));
};

/**
 * Every payout into the venture vault (see the module comment), oldest first.
 * @example recognisePayouts({ network: 'regtest', transactions, txos, sites, txLabels, addressLabels }).filter((p) => p.period === '2026-11')
 */
export function recognisePayouts(input: RecogniseInput): Payout[] {
  const poolSiteByAddress = new Map<string, Site>();
  for (const site of input.sites) for (const a of site.poolAddresses) poolSiteByAddress.set(a, site);
  const ownOutpoints = new Set(input.txos.map((t) => `${t.txid}:${t.vout}`));
  const txosByTxid = new Map<string, Txo[]>();
  for (const t of input.txos) txosByTxid.set(t.txid, [...(txosByTxid.get(t.txid) ?? []), t]);
  const solo = input.sites.filter((s) => s.pool === null);
  const out: Payout[] = [];
  for (const vt of input.transactions) {
    if (vt.height === null || vt.blockTime === null || vt.received <= 0n) continue;
    let tx: Transaction;
    try {
      tx = Transaction.fromHex(vt.rawHex);
    } catch {
      throw new DomainError('MALFORMED_DATA', `the stored transaction ${vt.txid} does not parse: sync the vault again`);
    }
    const coinbase = tx.isCoinbase();
    const spendsOwn = !coinbase && tx.ins.some((i) => ownOutpoints.has(`${hex.encode(Uint8Array.from(i.hash).reverse())}:${i.index}`));
    if (spendsOwn) continue;
    const mine = (txosByTxid.get(vt.txid) ?? []).sort((a, b) => a.vout - b.vout);
    if (mine.length === 0) continue;
    const labels = [...(input.txLabels.get(vt.txid) ?? [])];
    for (const o of mine) {
      const a = scriptToAddress(hex.decode(o.script), input.network);
      if (a !== null) labels.push(...(input.addressLabels.get(a) ?? []));
    }
    const byLabel = input.sites.find((s) => mentions(labels, s.id) || mentions(labels, s.name)) ?? null;
    let kind: PayoutKind | null = null;
    let site: Site | null = null;
    let reason = '';
    if (coinbase) {
      kind = 'coinbase';
      site = byLabel ?? (solo.length === 1 ? (solo[0] as Site) : input.sites.length === 1 ? (input.sites[0] as Site) : null);
      reason = 'coinbase: the venture vault mined the block';
    } else {
      const payers = tx.ins.flatMap((i) => payerAddresses(i, input.network));
      const fromPool = payers.map((a) => poolSiteByAddress.get(a)).find((s) => s !== undefined) ?? null;
      const namedPool = input.sites.find((s) => s.pool !== null && mentions(labels, s.pool)) ?? null;
      if (fromPool) {
        kind = 'pool';
        site = fromPool;
        reason = `pool payout: paid from ${fromPool.pool ?? 'the pool'}'s address listed for site ${fromPool.id}`;
      } else if (namedPool) {
        kind = 'pool';
        site = namedPool;
        reason = `pool payout: labelled with the pool's name (${namedPool.pool ?? ''})`;
      } else if (vt.category === 'mining') {
        kind = 'pool';
        site = byLabel ?? (input.sites.length === 1 ? (input.sites[0] as Site) : null);
        reason = 'pool payout: recorded as category mining';
      }
    }
    if (kind === null) continue;
    if (site !== null && !reason.includes(site.id)) reason += `; site ${site.id}${byLabel === site ? ' (named in a label)' : ''}`;
    if (site === null) reason += '; no site could be attributed (label the transaction with the site)';
    out.push({
      txid: vt.txid, kind, height: vt.height, blockTime: vt.blockTime, period: periodOfTime(vt.blockTime), sats: mine.reduce((s, o) => s + o.value, 0n) as Sats,
      outputs: mine.map((o) => ({ vout: o.vout, sats: o.value as Sats, spentTxid: o.spentTxid })), siteId: site?.id ?? null, reason,
    });
  }
  return out.sort((a, b) => a.height - b.height || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0));
}

/** Payouts of one period, per site (null: unattributed), with totals. */
export function payoutsBySite(payouts: readonly Payout[], period: string | null): { siteId: string | null; count: number; sats: Sats }[] {
  const m = new Map<string | null, { count: number; sats: bigint }>();
  for (const p of payouts) {
    if (period !== null && p.period !== period) continue;
    const e = m.get(p.siteId) ?? { count: 0, sats: 0n };
    e.count++;
    e.sats += p.sats;
    m.set(p.siteId, e);
  }
  return [...m.entries()].map(([siteId, e]) => ({ siteId, count: e.count, sats: e.sats as Sats })).sort((a, b) => String(a.siteId).localeCompare(String(b.siteId)));
}
