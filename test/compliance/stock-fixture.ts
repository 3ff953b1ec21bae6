/**
 * A register on a real regtest chain for the public stock tests (the API's and the dashboard's):
 * four watch-only government wallets, all registered from 2021-09-07, and the 2025 "no increase"
 * commitment. 2024: purchases into the Bitcoin Office, Chivo and a treasury wallet. 2025-08-29:
 * Bitcoin Office + Chivo consolidated into the reserve (internal; the fee is all that moves).
 * 2025-09-07: a purchase into the reserve (external acquisition, an alert). 2025-09-10: a purchase
 * into the treasury (another alert — on a wallet a test may leave unpublished). Monitoring has run.
 */
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments, Psbt, Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import type { ComplianceDeps } from '../../src/app/compliance/flows.ts';
import { addRegisterEntry } from '../../src/app/compliance/register.ts';
import { addCommitment, monitorCommitments } from '../../src/app/compliance/commitments.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import type { PublicReserveView } from '../../src/core/transparency/public-view.ts';

const bip32 = BIP32Factory(ecc);
export const at = (d: string): number => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);
export const STOCK_NOW = Date.UTC(2025, 11, 1, 12);
export const COMMITMENT = {
  id: 'imf-2025-no-accumulation', version: 1, title: 'No voluntary accumulation of bitcoin by the public sector',
  source: 'IMF Extended Fund Facility for El Salvador, approved 2025-02-26', effectiveFrom: '2025-02-26',
  rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] },
};
/** Odd amounts, so a test can look for them in a body. */
export const AMOUNTS = { office: 500_000_000n, chivo: 300_000_000n, fee: 10_000n, purchase: 21_000_000n, treasury: 234_567_891n, treasuryPurchase: 43_210_987n } as const;

interface Wallet { readonly key: BIP32Interface; readonly address: string; vault: Vault }

export interface StockFixture {
  readonly deps: ComplianceDeps;
  readonly store: SqlVaultStore;
  readonly wallets: Record<'office' | 'chivo' | 'reserve' | 'treasury', Wallet>;
  readonly txids: { consolidation: string; purchase: string; treasuryFund: string; treasuryPurchase: string };
  sync(): Promise<void>;
}

function keyOf(seed: number): { key: BIP32Interface; address: string } {
  const key = bip32.fromSeed(new Uint8Array(32).fill(seed), networks.testnet).derivePath("m/44'/1'/0'/0/0");
  return { key, address: payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string };
}

export async function buildStockFixture(node: RegtestNode, db: Database): Promise<StockFixture> {
  let time = at('2024-01-01');
  while (node.height() < 110) await node.mineBlockAt((time += 600));
  const store = new SqlVaultStore(db);
  const deps: ComplianceDeps = { compliance: new SqlComplianceStore(db), vaults: store, now: () => STOCK_NOW };
  const by = { actor: 'rosa', role: 'admin' };
  const make = async (seed: number, name: string, owner: string): Promise<Wallet> => {
    const k = keyOf(seed);
    const vault = await addVault({ store }, { name, network: 'regtest', addresses: [k.address], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
    await addRegisterEntry(deps, by, { vault: name, owner, legalBasis: 'Bitcoin Law, Legislative Decree 57 (2021)', purpose: 'public-sector bitcoin holdings', joinedOn: '2021-09-07' });
    return { ...k, vault };
  };
  const wallets = {
    office: await make(91, 'Bitcoin Office', 'Bitcoin Office'),
    chivo: await make(92, 'Chivo', 'Chivo S.A. de C.V.'),
    reserve: await make(93, 'Reserve cold wallet', 'Central Reserve Bank'),
    treasury: await make(94, 'Treasury operations vault', 'Ministry of Finance'),
  };
  await addCommitment(deps, by, JSON.stringify(COMMITMENT));
  const sync = async (): Promise<void> => {
    await syncVaults({ chain: node.chainSource(), store }, await store.listVaults());
  };
  const fundA = await node.fund(wallets.office.address, AMOUNTS.office);
  const fundB = await node.fund(wallets.chivo.address, AMOUNTS.chivo);
  const treasuryFund = await node.fund(wallets.treasury.address, AMOUNTS.treasury);
  await node.mineBlockAt(at('2024-03-14'));
  await sync();
  const psbt = new Psbt({ network: networks.regtest });
  for (const [txid, w] of [[fundA, wallets.office], [fundB, wallets.chivo]] as const) {
    const raw = (await store.transactions(w.vault.id)).find((x) => x.txid === txid)?.rawHex ?? '';
    const prev = Buffer.from(raw, 'hex');
    const script = payments.p2pkh({ address: w.address, network: networks.regtest }).output as Buffer;
    psbt.addInput({ hash: txid, index: Transaction.fromBuffer(prev).outs.findIndex((o) => Buffer.from(o.script).equals(script)), nonWitnessUtxo: prev });
  }
  psbt.addOutput({ address: wallets.reserve.address, value: (AMOUNTS.office + AMOUNTS.chivo - AMOUNTS.fee) as never });
  psbt.signInput(0, { publicKey: Buffer.from(wallets.office.key.publicKey), sign: (h: Buffer) => Buffer.from(wallets.office.key.sign(h)) });
  psbt.signInput(1, { publicKey: Buffer.from(wallets.chivo.key.publicKey), sign: (h: Buffer) => Buffer.from(wallets.chivo.key.sign(h)) });
  psbt.finalizeAllInputs();
  const consolidation = psbt.extractTransaction();
  await node.mineBlockAt(at('2025-08-29'), { txs: [hex.decode(consolidation.toHex())] });
  const purchase = await node.fund(wallets.reserve.address, AMOUNTS.purchase);
  await node.mineBlockAt(at('2025-09-07'));
  const treasuryPurchase = await node.fund(wallets.treasury.address, AMOUNTS.treasuryPurchase);
  await node.mineBlockAt(at('2025-09-10'));
  await sync();
  await monitorCommitments(deps);
  return { deps, store, wallets, txids: { consolidation: consolidation.getId(), purchase, treasuryFund, treasuryPurchase }, sync };
}

/** The same view, publishing only the vaults in `ids` (as a server that publishes some of its vaults). */
export function publishing(view: PublicReserveView, ids: ReadonlySet<string>): PublicReserveView {
  return {
    summary: async () => {
      const s = await view.summary();
      return { ...s, vaults: s.vaults.filter((v) => ids.has(v.id)) };
    },
    holdings: () => view.holdings(),
    addresses: async () => (await view.addresses()).filter((a) => ids.has(a.vault)),
    transactions: async (q) => {
      const p = await view.transactions(q);
      return { ...p, items: p.items.filter((x) => ids.has(x.vault)) };
    },
    verification: async () => {
      const v = await view.verification();
      return { ...v, vaults: v.vaults.filter((x) => ids.has(x.id)) };
    },
  };
}
