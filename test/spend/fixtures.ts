/**
 * Shared setup of the spend-governance tests: a 2-of-3 vault on the embedded regtest node, its
 * cosigners' test keys (held only by the tests), members in groups, a policy, and an injected clock.
 */
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import { parseExtendedPrivateKey, signPsbtWithKey, type SoftwareKey } from '../../src/adapters/signers/software-signer.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import { cosigner, multisigDescriptor, type TestCosigner } from '../helpers/vault-keys.ts';

/** A regtest address that belongs to no vault. */
export const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
export const MAINNET_ADDRESS = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

/** 2026-01-05 10:00 UTC, a Monday during office hours. */
export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = T0): Clock {
  let t = start;
  return { now: () => t, set: (ms) => (t = ms), advance: (ms) => (t += ms) };
}

/** Two approver groups; 1 of finance AND 1 of central-bank above 1 BTC (below: allowed), policy changes need 2 + 1. */
export function policyDoc(overrides: Partial<{ version: number; rules: unknown[]; policyChange: unknown; allowlistDelaySeconds: number }> = {}): string {
  return JSON.stringify({
    version: overrides.version ?? 1,
    name: 'test reserve policy',
    groups: ['finance', 'central-bank'],
    allowlistDelaySeconds: overrides.allowlistDelaySeconds ?? 0,
    policyChange: overrides.policyChange ?? { all: [{ group: 'finance', count: 2 }, { group: 'central-bank', count: 1 }] },
    rules: overrides.rules ?? [
      { id: 'two-institutions', when: {}, then: { approval: { all: [{ group: 'finance', count: 1 }, { group: 'central-bank', count: 1 }] } } },
    ],
  });
}

export interface Governance {
  readonly node: RegtestNode;
  readonly db: Database;
  readonly deps: GovernanceDeps & { chain: ChainSource };
  readonly vaults: SqlVaultStore;
  readonly spends: SqlSpendStore;
  readonly vault: Vault;
  readonly signers: readonly TestCosigner[];
  readonly keys: readonly SoftwareKey[];
  readonly clock: Clock;
  sync(): Promise<void>;
  addr(branch: 0 | 1, index: number): Promise<string>;
}

let seed = 90;

/**
 * Members: ana (admin), luis (operator, treasury-operator), maria and marta (approvers, finance),
 * pedro (approver, central-bank). Policy version 1 from `policy` (bootstrapped by ana).
 */
export async function setupGovernance(node: RegtestNode, db: Database, opts: { policy?: string; chain?: ChainSource; fund?: readonly bigint[] } = {}): Promise<Governance> {
  await node.activateSegwit();
  const vaults = new SqlVaultStore(db);
  const spends = new SqlSpendStore(db);
  const signers = [cosigner(++seed), cosigner(++seed), cosigner(++seed)];
  const keys = signers.map((s) => parseExtendedPrivateKey(s.root.toBase58(), 'test key'));
  const vault = await addVault({ store: vaults }, { name: `reserve-${seed}`, network: 'regtest', descriptor: multisigDescriptor(2, signers), birthday: { height: node.height() }, gapLimit: 10, now: '2026-01-01T00:00:00Z' });
  const clock = testClock();
  const chain = opts.chain ?? node.chainSource();
  const deps = { spends, vaults, now: clock.now, chain, network: 'regtest' as const };
  await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator', 'treasury-operator'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'maria', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'marta', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'pedro', roles: ['approver'], groups: ['central-bank'] });
  await proposePolicy(deps, { actor: 'ana', document: opts.policy ?? policyDoc() });
  const addr = async (branch: 0 | 1, index: number): Promise<string> => {
    const a = (await vaults.addresses(vault.id)).find((x) => x.branch === branch && x.index === index);
    if (!a) throw new Error(`address ${branch}/${index} not derived`);
    return a.address;
  };
  const sync = async (): Promise<void> => {
    await syncVault({ chain: node.chainSource(), store: vaults }, vault);
  };
  let i = 0;
  for (const sats of opts.fund ?? [100_000_000n]) await node.fund(await addr(0, i++), sats);
  await node.mine(1);
  await sync();
  return { node, db, deps, vaults, spends, vault, signers, keys, clock, sync, addr };
}

/** One cosigner signs the PSBT bytes it was given, as a separate signer would, and returns its partial PSBT. */
export function signAs(g: Governance, signer: number, psbt: Uint8Array | string): string {
  const key = g.keys[signer];
  if (!key) throw new Error(`no signer ${signer}`);
  return signPsbtWithKey(psbt, key).psbt;
}

/** Members and the first policy only (no vault, no node): for policy-change and audit tests. */
export async function setupMembers(db: Database, policy = policyDoc()): Promise<{ deps: GovernanceDeps; spends: SqlSpendStore; clock: Clock }> {
  const spends = new SqlSpendStore(db);
  const vaults = new SqlVaultStore(db);
  const clock = testClock();
  const deps = { spends, vaults, now: clock.now, network: 'regtest' as const };
  await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'maria', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'marta', roles: ['approver'], groups: ['finance'] });
  await addMember(deps, { actor: 'ana', name: 'pedro', roles: ['approver'], groups: ['central-bank'] });
  await proposePolicy(deps, { actor: 'ana', document: policy });
  return { deps, spends, clock };
}

/** Export, have cosigners 0 and 2 sign separately, import both, finalize: the proposal becomes signed. */
export async function signAndFinalize(g: Governance, proposalId: number): Promise<{ txid: string; fee: bigint }> {
  const { exportProposal } = await import('../../src/app/export-proposal.ts');
  const { importPartialPsbt } = await import('../../src/app/import-partial-psbt.ts');
  const { finalizeProposal } = await import('../../src/app/finalize-proposal.ts');
  const { psbt } = await exportProposal(g.deps, { actor: 'luis', proposalId, destination: 'test' });
  for (const signer of [0, 2]) await importPartialPsbt(g.deps, { actor: 'luis', proposalId, psbt: signAs(g, signer, psbt) });
  const tx = await finalizeProposal(g.deps, { actor: 'luis', proposalId });
  return { txid: tx.txid, fee: tx.fee };
}
