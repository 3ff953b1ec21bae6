/**
 * The test API server (startTestApi) with the alliance settlement too: the settlement store (rates
 * locked from the shipped reference) and, in it, three members (SLV, PAK, RUS; API identities
 * id-slv, id-pak, id-rus), a screening list, a closed cycle, open confirmed and submitted invoices
 * and one pending screening hold — so the route tables (role matrix, rate limits, public privacy,
 * OpenAPI conformance) walk the settlement routes over real data.
 *
 * @example
 *   const api = await startSettlementTestApi();
 *   await api.app.inject({ url: '/api/v1/settlement/cycles', headers: { authorization: `Bearer ${api.token.admin}` } });
 */
import { apiRoutes, buildServer } from '../../src/server/app.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import type { SettlementDeps } from '../../src/app/settlement/deps.ts';
import { loadScreeningList } from '../../src/app/settlement/screening.ts';
import { decideInvoices, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { closeCycle } from '../../src/app/settlement/close-cycle.ts';
import { ADMIN, addMembers, as } from '../settlement/settlement-fixture.ts';
import { startTestApi, TEST_NOW, type TestApi } from './api-server.ts';

/** Invoice references the seeded settlement holds (none may reach a public answer). */
export const SEEDED_REFERENCES = ['SV-CYCLE-REF-7731', 'PK-OPEN-REF-8842', 'RU-SUBMITTED-REF-9953', 'SV-HELD-REF-1064'] as const;

export interface SettlementTestApi extends TestApi {
  readonly settlement: SettlementDeps;
  /** The closed cycle and the pending hold seeded. */
  readonly cycleId: string;
  readonly holdId: string;
}

export async function startSettlementTestApi(opts: Parameters<typeof startTestApi>[0] = {}): Promise<SettlementTestApi> {
  const api = await startTestApi(opts);
  const settlement: SettlementDeps = { settlement: new SqlSettlementStore(api.db), now: () => TEST_NOW, network: 'regtest', rates: shippedReferenceRates() };
  await addMembers(settlement);
  await loadScreeningList(settlement, ADMIN, JSON.stringify({ source: 'test', entries: [{ id: 'T-1', names: ['Acme Shadow Trading'] }] }), 'test-screening.json');
  const [cycleRef, openRef, submittedRef, heldRef] = SEEDED_REFERENCES;
  const submit = (by: string, reference: string, importer: string, due: string, buyer?: string) => submitInvoice(settlement, as(by), { reference, exporter: by, importer, amount: '1250.50', currency: 'USD', due, buyer });
  await submit('SLV', cycleRef, 'RUS', '2025-06-10');
  await decideInvoices(settlement, as('RUS'), [{ exporter: 'SLV', reference: cycleRef }], 'confirm');
  const { cycle } = await closeCycle(settlement, ADMIN, { cutoff: '2025-06-15' });
  await submit('PAK', openRef, 'SLV', '2025-06-20');
  await decideInvoices(settlement, as('SLV'), [{ exporter: 'PAK', reference: openRef }], 'confirm');
  await submit('RUS', submittedRef, 'PAK', '2025-06-25');
  await submit('SLV', heldRef, 'PAK', '2025-06-25', 'Acme Shadow Trading Karachi');
  const holdId = (await settlement.settlement.holds({ status: 'pending' }))[0]?.id;
  if (holdId === undefined) throw new RangeError('startSettlementTestApi: the screening hold was not raised');

  const deps: ServerDeps = { ...api.deps, settlement: { store: settlement.settlement, network: 'regtest', rates: settlement.rates } };
  const app = await buildServer(deps);
  return {
    ...api,
    app,
    deps,
    routes: apiRoutes(deps),
    settlement,
    cycleId: cycle.id,
    holdId,
    async close() {
      await app.close();
      await api.close();
    },
  };
}
