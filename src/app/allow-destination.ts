/**
 * Put an address on a vault's destination allowlist. It becomes usable by policy rules only after
 * the policy's `allowlistDelaySeconds` (the engine counts from `addedAtMs`).
 */
import { paymentScript } from '../core/bitcoin/address.ts';
import type { AllowlistEntry } from '../core/spend/types.ts';
import { atomically, auditOf, requireActor, requireVaultOf, type GovernanceDeps } from './governance.ts';

/**
 * @throws FORBIDDEN (not an admin), VAULT_NOT_FOUND, INVALID_ADDRESS, NETWORK_MISMATCH, ALREADY_EXISTS
 * @example await allowDestination(deps, { actor: 'ana', vault: 'reserve', address: 'bcrt1q…' })
 */
export async function allowDestination(deps: GovernanceDeps, input: { actor: string | undefined; vault: string; address: string }): Promise<AllowlistEntry> {
  return atomically(deps, async (tx) => {
    const admin = await requireActor(tx.spends, input.actor, 'admin');
    const vault = await requireVaultOf(tx.vaults, input.vault);
    const address = input.address.trim();
    paymentScript(address, vault.network);
    const nowMs = tx.now();
    const entry: AllowlistEntry = { vaultId: vault.id, address, addedAtMs: nowMs, addedBy: admin.id };
    await tx.spends.addToAllowlist(entry, auditOf(admin, 'admin', 'allowlist.add', `vault:${vault.id}`, { address }, nowMs));
    return entry;
  });
}
