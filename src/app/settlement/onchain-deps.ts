/**
 * What the on-chain phase of alliance settlement needs (escrow and direct mode), and the fresh
 * receive addresses it derives from members' receive descriptors. Shared by escrow.ts and direct.ts.
 */
import { DomainError } from '../../core/errors.ts';
import { vaultOutput } from '../../core/bitcoin/psbt.ts';
import type { SettlementOnchainStore } from '../../core/settlement/onchain-store.ts';
import type { AllianceMember } from '../../core/settlement/types.ts';
import type { SettlementStore } from '../../core/settlement/store-port.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { Network } from '../../core/network.ts';
import type { GovernanceDeps } from '../governance.ts';

export interface SettlementOnchainDeps extends GovernanceDeps {
  readonly onchain: SettlementOnchainStore;
  /**
   * The cycle store (members, invoices, cycles), when there is one: a rescinded cycle is handed
   * back to it (`rescindCycle`: netted again without the defaulters' invoices) and a cycle whose
   * payout confirmed is marked settled. Without it the caller acts on `renet` itself.
   * Its screening list screens every receiver address a payout, refund or direct payment derives
   * (a match is a screening hold: no proposal until a compliance officer releases it).
   */
  readonly cycles?: Pick<SettlementStore, 'cycle' | 'markCycleSettled' | 'rescindCycle' | 'screeningList' | 'raiseHold' | 'hold'> | undefined;
}

/** Blocks between opening a cycle's escrow and its pay-in deadline, unless told: one week of blocks. */
export const DEFAULT_DEADLINE_BLOCKS = 1008;

/**
 * A fresh receive address from a member's receive descriptor, never asked of the member: when the
 * descriptor is a vault watched here, its next unused receive address (reserved); otherwise the
 * next index of a sequence kept per descriptor (0, 1, 2…, so the member's wallet finds them
 * within its gap limit).
 */
export async function freshReceiveAddress(deps: { vaults: VaultStore; onchain: SettlementOnchainStore }, member: AllianceMember, network: Network): Promise<string> {
  const descriptor = member.receiveDescriptor.trim();
  if (descriptor === '') throw new DomainError('INVALID_STATE', `member ${member.code} has no receive descriptor`);
  const vault = (await deps.vaults.listVaults()).find((v) => v.descriptor !== null && v.descriptor.trim() === descriptor);
  if (vault) {
    if (vault.network !== network) throw new DomainError('NETWORK_MISMATCH', `member ${member.code}'s receive vault ${vault.name} is on ${vault.network}, not ${network}`);
    const a = await deps.vaults.reserveAddress(vault.id, 0);
    if (!a) throw new DomainError('INVALID_STATE', `vault ${vault.name} (member ${member.code}) has no unused receive address left: run "soberana sync" first`);
    return a.address;
  }
  const index = await deps.onchain.takeReceiveIndex(descriptor);
  const address = vaultOutput(descriptor, network, 0, index).getAddress();
  return address;
}

