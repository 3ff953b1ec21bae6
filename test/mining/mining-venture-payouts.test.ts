// Which of a venture vault's transactions are payouts (core/mining/payouts.ts): a coinbase; a
// payment from an address in a site's pool list (the payer's address read from the input's
// witness); a payment labelled with the pool's name; one recorded as category mining. A plain
// receipt, an unconfirmed payout, and a transaction spending the vault's own coins are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction, payments, networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { recognisePayouts } from '../../src/core/mining/payouts.ts';
import type { Site } from '../../src/core/mining/venture.ts';
import type { Txo, TxCategory, VaultTransaction } from '../../src/core/vault/types.ts';
import { addressToScript } from '../../src/core/bitcoin/address.ts';

const VAULT = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const vaultScript = addressToScript(VAULT, 'regtest');
const pubkey = (b: number): Uint8Array => Uint8Array.from([0x02, ...new Array<number>(32).fill(b)]);
const payerOf = (b: number): string => payments.p2wpkh({ pubkey: pubkey(b), network: networks.regtest }).address as string;

const site = (id: string, pool: string | null, poolAddresses: string[]): Site => ({
  ventureId: 'v', id, name: `Site ${id}`, capacityKw: 1n, energySource: 'hydro', tariffMinorPerMwh: 1n, currency: 'USD', marketTariffMinorPerMwh: null, fleetThs: 1n,
  efficiencyMjPerTh: 1n, uptimeBps: 10_000, pool, poolFeeBps: 0, poolAddresses, addedBy: 'r', addedAtMs: 0,
});

function tx(n: number, opts: { coinbase?: boolean; payer?: number; spends?: string } = {}): Transaction {
  const t = new Transaction();
  if (opts.coinbase) t.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, Uint8Array.from([1, n]));
  else {
    const prev = opts.spends ? Uint8Array.from(hex.decode(opts.spends)).reverse() : new Uint8Array(32).fill(n);
    t.addInput(prev, 0);
    t.setWitness(0, [new Uint8Array(72).fill(1), pubkey(opts.payer ?? 0x55)]);
  }
  t.addOutput(vaultScript, BigInt(1000 * n));
  return t;
}

test('coinbase, pool address, pool name label and category mining are payouts; the rest are not', () => {
  const sites = [site('north', 'Luxor', [payerOf(0x11)]), site('south', 'Braiins', [])];
  const made: Array<{ t: Transaction; height: number | null; category: TxCategory | null }> = [
    { t: tx(1, { coinbase: true }), height: 10, category: null },
    { t: tx(2, { payer: 0x11 }), height: 11, category: null },
    { t: tx(3), height: 12, category: null },
    { t: tx(4), height: 13, category: 'mining' },
    { t: tx(5), height: 14, category: null },
    { t: tx(6, { payer: 0x11 }), height: null, category: null },
  ];
  const own = made[0]!.t.getId();
  made.push({ t: tx(7, { spends: own }), height: 15, category: 'mining' });
  const transactions: VaultTransaction[] = made.map((m) => ({ txid: m.t.getId(), height: m.height, blockHash: null, blockTime: m.height === null ? null : Date.parse('2026-11-01T00:00:00Z') / 1000 + m.height, txIndex: 0, received: m.t.outs[0]!.value, spent: 0n, fee: null, category: m.category, rawHex: m.t.toHex() }));
  const txos: Txo[] = made.map((m) => ({ txid: m.t.getId(), vout: 0, value: m.t.outs[0]!.value, script: hex.encode(vaultScript), branch: 0, index: 0, height: m.height, spentTxid: null, spentHeight: null, frozen: false }));
  const txLabels = new Map([[made[2]!.t.getId(), ['Braiins payout, November']], [made[3]!.t.getId(), ['site north']]]);
  const got = recognisePayouts({ network: 'regtest', transactions, txos, sites, txLabels, addressLabels: new Map() });
  assert.deepEqual(got.map((p) => [p.height, p.kind, p.siteId, p.sats, p.period]), [
    [10, 'coinbase', null, 1000n, '2026-11'], // two sites, no label: unattributed
    [11, 'pool', 'north', 2000n, '2026-11'], // paid from Luxor's listed address
    [12, 'pool', 'south', 3000n, '2026-11'], // labelled with Braiins
    [13, 'pool', 'north', 4000n, '2026-11'], // category mining, the label names the site
  ]);
  assert.match(got[1]!.reason, /Luxor's address/);
});
