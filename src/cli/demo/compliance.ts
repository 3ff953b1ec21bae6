/**
 * The demo's IMF-programme compliance (issue #15, "the real test case"): El Salvador's public
 * wallets in the register — the reserve (our 2-of-3 multisig) and, WATCH-ONLY, the Bitcoin Office's
 * hot wallet and Chivo (published addresses; ILLUSTRATIVE, see government-wallets.ts) — the 2025 IMF
 * commitment ("from 2025-02-26 the public-sector stock of BTC, excluding seizures and mining, does
 * not increase") recorded, and the commitments monitored over the synced history, as `soberana
 * sync` does.
 *
 * What the demo chain holds (build-alliance.ts), the IMF staff's own account of 2025: every receipt
 * of the reserve after 2025-02-26 is moved from the other government wallets (all inputs and outputs
 * registered: internal consolidation, public stock flat) except the 21 BTC of 2025-09-07, bought
 * from outside — the one external acquisition, the one alert; and one ILLUSTRATIVE seizure, labelled
 * with its (illustrative) court order, is excluded from the commitment.
 *
 * Run after the first sync of every start: entries and the commitment are recorded once (a second
 * start finds them), and monitoring raises only what is new. A data folder built before the other
 * wallets existed registers the reserve alone.
 */
import type { Database } from '../../adapters/store/database.ts';
import { SqlComplianceStore } from '../../adapters/store/compliance-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import type { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import type { ComplianceDeps } from '../../app/compliance/flows.ts';
import { addRegisterEntry } from '../../app/compliance/register.ts';
import { addCommitment, monitorCommitments } from '../../app/compliance/commitments.ts';
import { registerHistory } from '../../app/compliance/flows.ts';
import { currentRegister } from '../../core/compliance/types.ts';
import { GOVERNMENT_WALLETS } from './government-wallets.ts';

export const DEMO_COMMITMENT = {
  id: 'imf-2025-no-accumulation',
  version: 1,
  title: 'From 2025-02-26 the public-sector stock of BTC, excluding seizures and mining, does not increase',
  source: 'IMF Extended Fund Facility for El Salvador, approved 2025-02-26',
  effectiveFrom: '2025-02-26',
  effectiveTo: null,
  rule: { kind: 'no-increase', wallets: 'all', exclude: ['seizure', 'mining-reward'] },
} as const;

const BY = { actor: 'demo', role: 'admin' };

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * Register El Salvador's public wallets and record the commitment (once), then monitor; logs one
 * line naming what the chain shows after 2025-02-26: consolidations, acquisitions (→ alerts) and
 * seizures excluded.
 */
export async function ensureDemoCompliance(opts: { db: Database; store: SqlVaultStore; elSalvador: string; log: (line: string) => void }): Promise<{ open: number; raised: number; consolidations: number; acquisitions: number; seizures: number }> {
  const deps: ComplianceDeps = { compliance: new SqlComplianceStore(opts.db), vaults: opts.store, now: () => Date.now(), spends: new SqlSpendStore(opts.db) };
  const registered = currentRegister(await deps.compliance.registerVersions());
  if (!registered.has(opts.elSalvador)) {
    await addRegisterEntry(deps, BY, {
      vault: opts.elSalvador, owner: 'Government of El Salvador (Central Reserve Bank, Ministry of Finance, Bitcoin Office)',
      legalBasis: 'Bitcoin Law, Legislative Decree 57 (2021)', purpose: 'national bitcoin reserve', joinedOn: '2021-09-06',
    });
  }
  const others: string[] = [];
  for (const w of [GOVERNMENT_WALLETS.office, GOVERNMENT_WALLETS.chivo]) {
    const v = await opts.store.findVault(w.name);
    if (!v) continue; // a data folder built before these wallets were part of the demo
    others.push(w.name);
    if (!registered.has(v.id)) await addRegisterEntry(deps, BY, { vault: v.id, owner: w.owner, legalBasis: w.legalBasis, purpose: w.purpose, joinedOn: w.fundedOn });
  }
  if (!(await deps.compliance.commitments()).some((c) => c.commitment.id === DEMO_COMMITMENT.id)) await addCommitment(deps, BY, JSON.stringify(DEMO_COMMITMENT));
  const m = await monitorCommitments(deps);
  const after = (await registerHistory(deps)).flows.filter((f) => f.date !== null && f.date >= DEMO_COMMITMENT.effectiveFrom);
  const count = (c: string) => after.filter((f) => f.class === c).length;
  const r = { open: m.open.length, raised: m.raised.length, consolidations: count('internal-consolidation'), acquisitions: count('external-acquisition'), seizures: count('seizure') };
  opts.log(
    `compliance: register of public wallets: El Salvador Reserve${others.length > 0 ? ` and, watch-only, ${others.join(' and ')} (ILLUSTRATIVE)` : ''}; IMF commitment '${DEMO_COMMITMENT.id}' (no increase from ${DEMO_COMMITMENT.effectiveFrom}, seizures and mining excluded). ` +
    `Since ${DEMO_COMMITMENT.effectiveFrom}: ${plural(r.consolidations, 'consolidation', 'consolidations')}, ${plural(r.acquisitions, 'acquisition', 'acquisitions')} → ${plural(r.open, 'alert', 'alerts')} (${r.raised} new), ${plural(r.seizures, 'seizure', 'seizures')} excluded` +
    (others.length > 0 ? ` — the IMF staff's account of 2025: the reserve's receipts were moved from other government wallets (public stock flat), except the 21 BTC bought from outside on 2025-09-07 (see /api/v1/compliance/alerts, docs/compliance.md)` : ' (see /api/v1/compliance/alerts, docs/compliance.md)'),
  );
  return r;
}
