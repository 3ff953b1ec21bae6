/**
 * The compliance gate the spend governance asks (GovernanceDeps.compliance): reads the register,
 * its addresses and labels, and the commitments, then checks a proposed spend as the flow it
 * would be (core/compliance/spend-check.ts).
 */
import type { Breach } from '../../core/compliance/commitments.ts';
import { commitmentsInForce } from '../../core/compliance/commitments.ts';
import type { ComplianceStore, ProposedSpend, SpendComplianceGate } from '../../core/compliance/ports.ts';
import { checkSpend, type SpendCheckData } from '../../core/compliance/spend-check.ts';
import { currentRegister } from '../../core/compliance/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';

async function readCheckData(deps: { compliance: ComplianceStore; vaults: VaultStore }): Promise<SpendCheckData | null> {
  const commitments = commitmentsInForce((await deps.compliance.commitments()).map((c) => c.commitment));
  if (commitments.length === 0) return null;
  const register = currentRegister(await deps.compliance.registerVersions());
  const registerAddresses = new Map<string, string>();
  for (const id of register.keys()) for (const a of await deps.vaults.addresses(id)) registerAddresses.set(a.address, id);
  const addressLabels = new Map<string, string[]>();
  for (const l of await deps.vaults.labels()) if (l.type === 'addr') addressLabels.set(l.ref, [...(addressLabels.get(l.ref) ?? []), l.label]);
  return { register, registerAddresses, addressLabels, commitments };
}

function pinnedGate(data: SpendCheckData | null): SpendComplianceGate {
  const gate: SpendComplianceGate = {
    pin: async () => gate,
    check: async (spend: ProposedSpend): Promise<Breach | null> => (data === null ? null : checkSpend(data, spend)),
  };
  return gate;
}

/**
 * The gate over the stores (use the pool-bound stores: `pin()` is called before the governance
 * transaction opens; `check()` without pinning reads afresh, for use outside any transaction).
 * @example const deps: GovernanceDeps = { ...base, compliance: complianceGate({ compliance: new SqlComplianceStore(db), vaults }) }
 */
export function complianceGate(deps: { compliance: ComplianceStore; vaults: VaultStore }): SpendComplianceGate {
  return {
    pin: async () => pinnedGate(await readCheckData(deps)),
    check: async (spend) => pinnedGate(await readCheckData(deps)).check(spend),
  };
}
