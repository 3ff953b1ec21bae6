/**
 * Shared world for the settlement-on-chain regtest tests (the same setup as
 * settlement-escrow-regtest.test.ts): three member states SLV, PAK, RUS, each with its own 2-of-3
 * vault, a 2-of-3 alliance vault, all spending under a policy that needs 1 of finance AND 1 of
 * central-bank; PAK and RUS hold one 0.1 BTC coin each. Here the deps also carry the cycle store
 * (members, cycles, the screening list and its holds), so payout addresses are screened and
 * cycles are settled or handed back.
 */
import assert from 'node:assert/strict';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { testClock, policyDoc } from '../spend/fixtures.ts';
import { openDatabase, type Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlSettlementOnchainStore } from '../../src/adapters/store/settlement-onchain-store.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { parseExtendedPrivateKey, signPsbtWithKey, type SoftwareKey } from '../../src/adapters/signers/software-signer.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { importPartialPsbt } from '../../src/app/import-partial-psbt.ts';
import { finalizeProposal } from '../../src/app/finalize-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { trackProposals } from '../../src/app/track-proposals.ts';
import { settlementInstructions } from '../../src/app/settlement/direct.ts';
import type { SettlementOnchainDeps } from '../../src/app/settlement/escrow.ts';
import type { SettlementDeps } from '../../src/app/settlement/deps.ts';
import { parseInstruction } from '../../src/core/settlement/instruction.ts';
import type { AllianceMember, ClosedCycle } from '../../src/core/settlement/types.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import type { Sats } from '../../src/core/money.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';

export const FEE_RATE = 2_000n; // sat per 1000 vB
export const MEMBER_CODES = ['SLV', 'PAK', 'RUS'] as const;

export interface EscrowWorld {
  node: RegtestNode;
  deps: SettlementOnchainDeps & { vaults: SqlVaultStore; spends: SqlSpendStore; onchain: SqlSettlementOnchainStore; cycles: SqlSettlementStore };
  /** The cycle store's use-case deps (screening list, holds, invoices, cycles). */
  sdeps: SettlementDeps;
  alliance: Vault;
  vaults: Record<string, Vault>;
  keys: Record<string, SoftwareKey[]>;
  members: AllianceMember[];
  sync(): Promise<void>;
  balance(code: string): Promise<bigint>;
  /** The receive address a payout to this member's vault derives next (its lowest unused, unreserved one). */
  nextReceiveAddress(code: string): Promise<string>;
  /** Approve (finance + central bank), sign with two of the vault's keys, finalize, broadcast. */
  signAndBroadcast(proposalId: number, vaultKey: string): Promise<string>;
  pay(code: string, payments: readonly { address: string; sats: bigint }[], memo: string): Promise<{ txid: string; fee: bigint; proposalId: number }>;
  url: string;
  db: Database;
  close(): Promise<void>;
}

export async function setupEscrowWorld(node: RegtestNode, url: string, seedStart: number): Promise<EscrowWorld> {
  let seed = seedStart;
  await node.activateSegwit();
  const db = await openDatabase({ url });
  const vaultStore = new SqlVaultStore(db);
  const spends = new SqlSpendStore(db);
  const clock = testClock();
  const cycles = new SqlSettlementStore(db);
  const deps = { spends, vaults: vaultStore, now: clock.now, chain: node.chainSource(), network: 'regtest' as const, onchain: new SqlSettlementOnchainStore(db), cycles };
  await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'maria', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'pedro', roles: ['approver'], groups: ['central-bank'] });
  await proposePolicy(deps, { actor: 'ana', document: policyDoc() });
  const vaults: Record<string, Vault> = {};
  const keys: Record<string, SoftwareKey[]> = {};
  for (const name of ['alliance', ...MEMBER_CODES]) {
    const signers = [cosigner(++seed), cosigner(++seed), cosigner(++seed)];
    keys[name] = signers.map((s) => parseExtendedPrivateKey(s.root.toBase58(), 'test key'));
    vaults[name] = await addVault({ store: vaultStore }, { name: `${name.toLowerCase()}-${seed}`, network: 'regtest', descriptor: multisigDescriptor(2, signers), birthday: { height: node.height() }, gapLimit: 20, now: '2026-01-01T00:00:00Z' });
  }
  const members: AllianceMember[] = MEMBER_CODES.map((code) => ({ code, state: code, institution: `${code} central bank`, currency: 'USD', receiveDescriptor: vaults[code]?.descriptor ?? '' }));
  const sync = async (): Promise<void> => {
    await syncVaults({ chain: node.chainSource(), store: vaultStore }, await vaultStore.listVaults());
    await trackProposals(deps);
  };
  for (const code of ['PAK', 'RUS']) {
    const a = (await vaultStore.addresses((vaults[code] as Vault).id)).find((x) => x.branch === 0 && x.index === 0);
    await node.fund(a?.address ?? '', 10_000_000n);
  }
  await node.mine(1);
  await sync();
  const signAndBroadcast = async (proposalId: number, vaultKey: string): Promise<string> => {
    const p = await spends.proposal(proposalId);
    if (p?.state === 'proposed') {
      clock.advance(60_000);
      await approveProposal(deps, { actor: 'maria', proposalId });
      clock.advance(60_000);
      await approveProposal(deps, { actor: 'pedro', proposalId });
    }
    const { psbt } = await exportProposal(deps, { actor: 'luis', proposalId, destination: 'test' });
    for (const k of [0, 2]) await importPartialPsbt(deps, { actor: 'luis', proposalId, psbt: signPsbtWithKey(psbt, (keys[vaultKey] as SoftwareKey[])[k] as SoftwareKey).psbt });
    await finalizeProposal(deps, { actor: 'luis', proposalId });
    return (await broadcastProposal(deps, { actor: 'luis', proposalId })).txid;
  };
  return {
    node, deps, alliance: vaults.alliance as Vault, vaults, keys, members, sync, url, db, signAndBroadcast,
    sdeps: { settlement: cycles, now: clock.now, network: 'regtest' },
    balance: async (code) => (await vaultStore.balance((vaults[code] as Vault).id)).confirmed,
    nextReceiveAddress: async (code) => {
      const free = (await vaultStore.addresses((vaults[code] as Vault).id)).filter((a) => a.branch === 0 && !a.used && !a.reserved).sort((a, b) => a.index - b.index);
      assert.ok(free[0], `${code} has a free receive address`);
      return free[0].address;
    },
    pay: async (code, payments, memo) => {
      const { proposal } = await proposeSpend(deps, { actor: 'luis', vault: (vaults[code] as Vault).id, payments, feeRateSatPerKvb: FEE_RATE, memo });
      return { txid: await signAndBroadcast(proposal.id, code), fee: proposal.feeSats, proposalId: proposal.id };
    },
    close: () => db.close(),
  };
}

export function cycleOf(id: string, mode: 'escrow' | 'direct', positions: Record<string, bigint>, transfers: [string, string, bigint][]): ClosedCycle {
  return {
    id, cutoff: '2026-01-05T00:00:00Z', mode, rates: [{ currency: 'USD', minorDigits: 2, btcPriceMinor: 7_829_371n, source: 'test fixture' }],
    positions: Object.entries(positions).map(([member, sats]) => ({ member, sats })),
    transfers: transfers.map(([from, to, sats]) => ({ from, to, sats: sats as Sats })),
  };
}

/** The pay-in a payer's instruction file asks for, read back through the strict parser. */
export async function payInOf(w: EscrowWorld, cycleId: string, payer: string): Promise<{ address: string; sats: bigint }> {
  const file = (await settlementInstructions(w.deps, cycleId)).find((f) => f.payer === payer);
  assert.ok(file, `an instruction for ${payer}`);
  const ins = parseInstruction(file.text);
  assert.equal(ins.mode, 'escrow');
  return { address: ins.payments[0]?.address ?? '', sats: ins.payments[0]?.sats ?? 0n };
}
