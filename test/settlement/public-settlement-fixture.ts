// The demo's alliance settlement (src/cli/demo/settlement.ts) built on a regtest node and a given
// database, with the demo's members and policy: four weekly escrow cycles, three settled, one
// rescinded after El Salvador missed its pay-in. Shared by the public settlement route's test and
// the dashboard's browser check.
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { DEMO_MEMBERS, DEMO_POLICY } from '../../src/cli/demo/build-alliance.ts';
import { ensureDemoSettlement } from '../../src/cli/demo/settlement.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';

export async function buildDemoSettlement(node: RegtestNode, db: Database, dataDir: string): Promise<{ settled: string[]; rescinded: string[] }> {
  await node.activateSegwit();
  const store = new SqlVaultStore(db);
  const deps = { spends: new SqlSpendStore(db), vaults: store, now: () => Date.now(), network: 'regtest' as const };
  await addMember(deps, { actor: undefined, ...DEMO_MEMBERS.admin });
  for (const m of [DEMO_MEMBERS.operator, DEMO_MEMBERS.finance, DEMO_MEMBERS.centralBank]) await addMember(deps, { actor: DEMO_MEMBERS.admin.name, ...m });
  await proposePolicy(deps, { actor: DEMO_MEMBERS.admin.name, document: JSON.stringify(DEMO_POLICY) });
  const r = await ensureDemoSettlement({ db, store, node, dataDir, log: () => undefined });
  if (!r) throw new RangeError('buildDemoSettlement: the demo settlement was already built');
  return r;
}
