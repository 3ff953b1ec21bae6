/**
 * IMF-programme compliance over HTTP (issue #15): the register of public wallets, every flow
 * classified with its reason, the commitments and their status, the alerts monitoring raised, and
 * the quarterly statement — the same answers as `soberana compliance … --json`, computed by the
 * same functions (src/app/compliance/*) over the same stores.
 *
 * Token holders (`reserve.read`: operators, approvers, admins and auditors — the programme's
 * reviewers read with an auditor token):
 *   GET /compliance/register      every registered wallet as it stands, with every version
 *   GET /compliance/flows         every flow touching a registered wallet: class, reason, override
 *   GET /compliance/alerts        every alert, open and resolved
 *   GET /compliance/commitments   every commitment version (which is in force) and each in-force one's status
 *   GET /compliance/statement?quarter=2025Q3   the quarterly statement (JSON) and its SHA-256, which
 *                                 is recorded in the audit log (`compliance.statement`, the token's
 *                                 member as actor), as the CLI does
 *
 * Public (no token): GET /public/compliance — for each commitment in force only its id, version,
 * title, source, effective dates, "kept"/"breached" and how many alerts are open and resolved.
 * No txid, wallet id, wallet name, amount or alert message: the register holds our own multisig
 * vaults too, whose transactions are not published (a txid would expose their coins and link
 * them), and a commitment's rule names vault ids. The status is the monitoring's (breached while
 * an alert is open; monitoring runs after every sync), so an anonymous request never walks the
 * whole history.
 *
 * Public (no token): GET /public/compliance/stock — the public-sector stock over time, split by
 * class (core/compliance/stock-series.ts; at most 400 points), and the alerts as public items
 * (date, commitment, class, amount, txid). Only registered wallets that the public view publishes
 * (the vaults of /public/summary) are counted, and an alert is listed only when every registered
 * wallet its transaction touches is published: our own unpublished vaults in the register never
 * show a txid, an amount or a date. Cached like the other public answers: computed once per
 * answer of the (cached) public view, so a live event or the cache's age makes it fresh.
 * Both public routes exist on every server (empty without a compliance store), so the dashboard
 * never meets a 404.
 *
 * Amounts are strings (sats), as in the CLI's JSON.
 */
import type { FastifyRequest } from 'fastify';
import { toJson } from '../../core/json.ts';
import { commitmentsInForce, type CommitmentRule } from '../../core/compliance/commitments.ts';
import { FLOW_CLASSES, currentRegister, dayOfTime, inRegisterOn, type FlowClass } from '../../core/compliance/types.ts';
import { STOCK_COMPONENTS, stockSeries, thinPoints } from '../../core/compliance/stock-series.ts';
import type { PublicReserveView } from '../../core/transparency/public-view.ts';
import type { ComplianceAlert, ComplianceStore } from '../../core/compliance/ports.ts';
import type { SpendStore } from '../../core/spend/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { registerHistory, type ComplianceDeps } from '../../app/compliance/flows.ts';
import { listRegister } from '../../app/compliance/register.ts';
import { checkCommitments, listCommitments } from '../../app/compliance/commitments.ts';
import { makeStatement } from '../../app/compliance/statement.ts';
import type { ApiRoute } from '../registry.ts';
import { isoDate, satsString, txid, type JsonSchema } from '../schemas.ts';

export interface ComplianceRouteDeps {
  /** The compliance store; without it only the public routes are offered, and they answer empty. */
  readonly compliance: ComplianceStore | null;
  /** The vault store; without it only the public route is offered. */
  readonly vaults: VaultStore | null;
  /** When given, a spend proposal's memo labels its transaction (as in the CLI). */
  readonly spends?: SpendStore | undefined;
  readonly now: () => number;
  /** The (cached) public view: which vaults are published, and the key the public answers are cached on. */
  readonly publicView?: PublicReserveView | undefined;
  /** The proof store, read only: the quarterly statement refers to the proofs of reserves published. */
  readonly proofs?: ComplianceDeps['proofs'];
}

// ---- schemas ----------------------------------------------------------------------------------

const flowClass = { type: 'string', enum: [...FLOW_CLASSES] } as const;
const ms = { type: 'integer', description: 'milliseconds since the Unix epoch' } as const;
const msOrNull = { type: ['integer', 'null'], description: 'milliseconds since the Unix epoch' } as const;
const dateOrNull = { ...isoDate, type: ['string', 'null'] } as const;
const walletDeltas = { type: 'object', description: 'change per registered wallet it touches (vault id → sats)', additionalProperties: satsString } as const;

const registerEntry = {
  type: 'object',
  required: ['vaultId', 'version', 'owner', 'legalBasis', 'purpose', 'joinedOn', 'leftOn', 'recordedBy', 'recordedAtMs'],
  properties: {
    vaultId: { type: 'string' },
    version: { type: 'integer' },
    owner: { type: 'string', description: 'the public body holding it' },
    legalBasis: { type: 'string' },
    purpose: { type: 'string' },
    joinedOn: { ...isoDate, description: 'the day it joined the public sector\'s holdings' },
    leftOn: { ...dateOrNull, description: 'the day it left, or null' },
    recordedBy: { type: 'string' },
    recordedAtMs: ms,
  },
} as const;

const walletList = {
  description: '"all" registered wallets, or a list of vault ids',
  anyOf: [{ type: 'string', enum: ['all'] }, { type: 'array', items: { type: 'string' } }],
} as const;
const rule = {
  type: 'object',
  required: ['kind'],
  description: 'no-increase: wallets, exclude; no-acquisition: wallets; sales-only-from: from, classes',
  properties: {
    kind: { type: 'string', enum: ['no-increase', 'no-acquisition', 'sales-only-from'] },
    wallets: walletList,
    exclude: { type: 'array', items: flowClass },
    from: { type: 'array', items: { type: 'string' } },
    classes: { type: 'array', items: flowClass },
  },
} as const;
const commitment = {
  type: 'object',
  required: ['id', 'version', 'title', 'source', 'effectiveFrom', 'effectiveTo', 'rule'],
  properties: { id: { type: 'string' }, version: { type: 'integer' }, title: { type: 'string' }, source: { type: ['string', 'null'] }, effectiveFrom: isoDate, effectiveTo: dateOrNull, rule },
} as const;
const breach = {
  type: 'object',
  required: ['commitmentId', 'commitmentVersion', 'txid', 'date', 'message'],
  properties: { commitmentId: { type: 'string' }, commitmentVersion: { type: 'integer' }, txid, date: dateOrNull, message: { type: 'string' } },
} as const;

const flow = {
  type: 'object',
  required: ['txid', 'height', 'time', 'date', 'class', 'reason', 'classified', 'stockDelta', 'walletDeltas', 'feeSats', 'fromOutsideSats', 'toOutsideSats'],
  properties: {
    txid,
    height: { type: ['integer', 'null'] },
    time: { type: ['integer', 'null'], description: 'block time, seconds since the Unix epoch; null while unconfirmed' },
    date: dateOrNull,
    class: flowClass,
    reason: { type: 'string', description: 'why this class, in plain words (the override\'s reason when a person overrode it)' },
    classified: {
      type: ['object', 'null'],
      required: ['class', 'reason'],
      description: 'what the classifier said, when a person overrode it; null otherwise',
      properties: { class: flowClass, reason: { type: 'string' } },
    },
    stockDelta: { ...satsString, description: 'change of the public stock (sum over registered wallets), sats' },
    walletDeltas,
    feeSats: { ...satsString, type: ['string', 'null'], description: 'the fee when every input is a registered wallet\'s' },
    fromOutsideSats: satsString,
    toOutsideSats: satsString,
  },
} as const;

const alert = {
  type: 'object',
  required: ['commitmentId', 'commitmentVersion', 'txid', 'message', 'status', 'raisedAtMs', 'resolvedAtMs', 'resolution'],
  properties: {
    commitmentId: { type: 'string' },
    commitmentVersion: { type: 'integer' },
    txid,
    message: { type: 'string' },
    status: { type: 'string', enum: ['open', 'resolved'] },
    raisedAtMs: ms,
    resolvedAtMs: msOrNull,
    resolution: { type: ['string', 'null'] },
  },
} as const;

const satsOrNull = { ...satsString, type: ['string', 'null'] } as const;
const statement = {
  type: 'object',
  required: ['quarter', 'wallets', 'totals', 'flows', 'byClass', 'feesSats', 'reconciliation', 'commitments', 'breaches'],
  properties: {
    quarter: { type: 'object', required: ['label', 'from', 'to'], properties: { label: { type: 'string' }, from: isoDate, to: isoDate } },
    wallets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['vaultId', 'name', 'owner', 'watchOnly', 'joinedOn', 'leftOn', 'openingSats', 'closingSats'],
        properties: {
          vaultId: { type: 'string' }, name: { type: 'string' }, owner: { type: 'string' }, watchOnly: { type: 'boolean' }, joinedOn: isoDate, leftOn: dateOrNull,
          openingSats: { ...satsOrNull, description: 'stock at the end of the day before the quarter; null when not in the register then' },
          closingSats: { ...satsOrNull, description: 'stock at the end of the quarter\'s last day; null when not in the register then' },
        },
      },
    },
    totals: { type: 'object', required: ['openingSats', 'closingSats'], properties: { openingSats: satsString, closingSats: satsString } },
    flows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['txid', 'height', 'date', 'class', 'reason', 'stockDelta', 'walletDeltas', 'feeSats', 'overridden'],
        properties: { txid, height: { type: ['integer', 'null'] }, date: dateOrNull, class: flowClass, reason: { type: 'string' }, stockDelta: satsString, walletDeltas, feeSats: satsOrNull, overridden: { type: 'boolean' } },
      },
    },
    byClass: { type: 'array', items: { type: 'object', required: ['class', 'count', 'netSats'], properties: { class: flowClass, count: { type: 'integer' }, netSats: satsString } } },
    feesSats: satsString,
    reconciliation: {
      type: 'object',
      required: ['openingSats', 'joinedSats', 'leftSats', 'flowsNetSats', 'closingSats', 'reconciles'],
      description: 'opening + joined − left + flows = closing',
      properties: { openingSats: satsString, joinedSats: satsString, leftSats: satsString, flowsNetSats: satsString, closingSats: satsString, reconciles: { type: 'boolean' } },
    },
    commitments: {
      type: 'array',
      items: { ...commitment, required: [...commitment.required, 'status'], properties: { ...commitment.properties, status: { type: 'string', enum: ['kept', 'breached'] } } },
    },
    proofs: {
      type: 'array',
      description: 'the proofs of reserves published in the quarter, or the latest before its end (absent when the server has no proof store)',
      items: {
        type: 'object',
        required: ['id', 'publishedOn', 'height', 'blockHash', 'totalSats', 'vaultIds', 'registeredVaultIds', 'fileSha256'],
        properties: {
          id: { type: 'integer' }, publishedOn: isoDate, height: { type: 'integer' }, blockHash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, totalSats: satsString,
          vaultIds: { type: 'array', items: { type: 'string' } }, registeredVaultIds: { type: 'array', items: { type: 'string' } },
          fileSha256: { type: ['string', 'null'], description: 'SHA-256 of the published proof file, as sha256sum prints it' },
        },
      },
    },
    breaches: {
      type: 'array',
      items: {
        type: 'object',
        required: [...breach.required, 'alert', 'resolution'],
        properties: { ...breach.properties, alert: { type: 'string', enum: ['open', 'resolved', 'not raised yet'] }, resolution: { type: ['string', 'null'] } },
      },
    },
  },
} as const;

const publicCommitment = {
  type: 'object',
  required: ['id', 'version', 'title', 'source', 'effectiveFrom', 'effectiveTo', 'status', 'openAlerts', 'resolvedAlerts'],
  properties: {
    id: { type: 'string' },
    version: { type: 'integer', description: 'the version in force (the latest)' },
    title: { type: 'string' },
    source: { type: ['string', 'null'], description: 'where the commitment comes from (e.g. the programme and the day it was approved)' },
    effectiveFrom: isoDate,
    effectiveTo: dateOrNull,
    status: { type: 'string', enum: ['kept', 'breached'], description: 'breached while an alert of this commitment is open (monitoring runs after every sync)' },
    openAlerts: { type: 'integer', minimum: 0 },
    resolvedAlerts: { type: 'integer', minimum: 0 },
    rule: {
      type: 'object',
      required: ['kind', 'allWallets', 'classes'],
      description: 'the rule in structured form, so that a page can say it in its own language (the title is the operator\'s wording): classes are those excluded (no-increase) or allowed (sales-only-from); no wallet is named',
      properties: { kind: { type: 'string', enum: ['no-increase', 'no-acquisition', 'sales-only-from'] }, allWallets: { type: 'boolean' }, classes: { type: 'array', items: { type: 'string' } } },
    },
  },
} as const;

// ---- wire helpers -----------------------------------------------------------------------------

/** Bigints as decimal strings, the rest unchanged (the CLI's --json form). */
function wire<T>(v: T): unknown {
  return JSON.parse(toJson(v)) as unknown;
}

/** An alert as the API shows it: with its status spelled out. */
export function alertWire(a: ComplianceAlert): ComplianceAlert & { status: 'open' | 'resolved' } {
  return { ...a, status: a.resolvedAtMs === null ? 'open' : 'resolved' };
}

/** A rule as the public sees it: its kind, whether it covers every registered wallet, and its classes (no wallet named). */
function publicRule(r: CommitmentRule): { kind: string; allWallets: boolean; classes: string[] } {
  switch (r.kind) {
    case 'no-increase':
      return { kind: r.kind, allWallets: r.wallets === 'all', classes: [...r.exclude] };
    case 'no-acquisition':
      return { kind: r.kind, allWallets: r.wallets === 'all', classes: [] };
    case 'sales-only-from':
      return { kind: r.kind, allWallets: false, classes: [...r.classes] };
  }
}

/** What the public may know of each commitment in force: no txid, wallet or amount. */
export async function publicCompliance(store: ComplianceStore): Promise<{ commitments: Array<{ id: string; version: number; title: string; source: string | null; effectiveFrom: string; effectiveTo: string | null; status: 'kept' | 'breached'; openAlerts: number; resolvedAlerts: number; rule: { kind: string; allWallets: boolean; classes: string[] } }> }> {
  const inForce = commitmentsInForce((await store.commitments()).map((c) => c.commitment));
  const alerts = await store.alerts();
  return {
    commitments: inForce.map((c) => {
      const mine = alerts.filter((a) => a.commitmentId === c.id);
      const open = mine.filter((a) => a.resolvedAtMs === null).length;
      return { id: c.id, version: c.version, title: c.title, source: c.source, effectiveFrom: c.effectiveFrom, effectiveTo: c.effectiveTo, status: open > 0 ? 'breached' : 'kept', openAlerts: open, resolvedAlerts: mine.length - open, rule: publicRule(c.rule) };
    }),
  };
}

// ---- the public stock over time and the alerts as public items ---------------------------------

/** At most this many points of the stock series go out (the first and last always). */
export const PUBLIC_STOCK_POINTS = 400;
/** At most this many alerts are listed (the newest). */
export const PUBLIC_ALERT_ITEMS = 400;

const stockComponent = { type: 'string', enum: [...STOCK_COMPONENTS] } as const;
const publicStock = {
  type: 'object',
  required: ['asOf', 'wallets', 'components', 'pointCount', 'points', 'alerts'],
  properties: {
    asOf: { ...isoDate, description: 'today (UTC)' },
    wallets: { type: 'integer', minimum: 0, description: 'how many registered public wallets the stock counts today: those in the register that the public view publishes' },
    components: {
      type: 'array',
      items: stockComponent,
      description: 'the parts of the stock that are not zero on some point: register-change (coins a wallet held when it joined the register, or took with it when it left), then each flow class (its change of the stock, its fee set apart under "fee": an internal consolidation nets to zero)',
    },
    pointCount: { type: 'integer', minimum: 0, description: 'how many days the stock changed on; when more than the points listed, the points are spread evenly over them (each is exact on its day)' },
    points: {
      type: 'array',
      maxItems: PUBLIC_STOCK_POINTS,
      items: {
        type: 'object',
        required: ['date', 'sats', 'byComponent'],
        properties: {
          date: { ...isoDate, description: 'the stock at the end of this day (UTC)' },
          sats: { ...satsString, description: 'the public-sector stock: the counted wallets\' confirmed balances added up' },
          byComponent: { type: 'object', description: 'cumulative change by component since the first wallet joined (component → sats, signed); they add up to sats', additionalProperties: { type: 'string', pattern: '^-?[0-9]+$' } },
        },
      },
    },
    alerts: {
      type: 'object',
      required: ['items', 'notListed'],
      properties: {
        items: {
          type: 'array',
          maxItems: PUBLIC_ALERT_ITEMS,
          description: 'newest first',
          items: {
            type: 'object',
            required: ['date', 'commitmentId', 'commitmentVersion', 'class', 'sats', 'txid', 'status'],
            properties: {
              date: isoDate,
              commitmentId: { type: 'string' },
              commitmentVersion: { type: 'integer' },
              class: flowClass,
              sats: { type: 'string', pattern: '^-?[0-9]+$', description: 'the change the transaction made to the public stock' },
              txid,
              status: { type: 'string', enum: ['open', 'resolved'] },
            },
          },
        },
        notListed: { type: 'integer', minimum: 0, description: 'alerts not listed: their transaction touches a registered wallet that is not published, is no longer on the chain, or is beyond the newest listed' },
      },
    },
  },
} as const;

export interface PublicStockAnswer {
  readonly asOf: string;
  readonly wallets: number;
  readonly components: string[];
  readonly pointCount: number;
  readonly points: Array<{ date: string; sats: string; byComponent: Record<string, string> }>;
  readonly alerts: { items: Array<{ date: string; commitmentId: string; commitmentVersion: number; class: FlowClass; sats: string; txid: string; status: 'open' | 'resolved' }>; notListed: number };
}

/** Each vault's confirmed balance at the end of a day, from its txos and its transactions' block times. */
async function balancesAt(vaults: VaultStore, ids: readonly string[]): Promise<(vaultId: string, day: string) => bigint> {
  const data = new Map<string, { txos: Awaited<ReturnType<VaultStore['allTxos']>>; days: Map<string, string | null> }>();
  for (const id of ids) {
    const days = new Map((await vaults.transactions(id)).map((t) => [t.txid, t.blockTime === null || t.height === null ? null : dayOfTime(t.blockTime)]));
    data.set(id, { txos: await vaults.allTxos(id), days });
  }
  return (vaultId, day) => {
    const d = data.get(vaultId);
    if (!d) throw new RangeError(`balancesAt: vault ${vaultId} was not loaded`);
    let sum = 0n;
    for (const o of d.txos) {
      const made = d.days.get(o.txid) ?? null;
      if (made === null || made > day) continue;
      const spent = o.spentTxid === null || o.spentHeight === null ? null : (d.days.get(o.spentTxid) ?? null);
      if (spent === null || spent > day) sum += o.value;
    }
    return sum;
  };
}

/**
 * The public stock series and alert items, counting only the registered wallets in `published`
 * (the public view's vault ids). An alert is listed when its transaction is on the chain and every
 * registered wallet it touches is published; otherwise it is only counted in `notListed`.
 * @example await publicStockAnswer({ compliance, vaults, now }, new Set((await view.summary()).vaults.map((v) => v.id)))
 */
export async function publicStockAnswer(app: ComplianceDeps, published: ReadonlySet<string>): Promise<PublicStockAnswer> {
  const asOf = dayOfTime(Math.floor(app.now() / 1000));
  const registered = currentRegister(await app.compliance.registerVersions());
  const counted = [...registered.values()].filter((e) => published.has(e.vaultId));
  const stored = await app.compliance.alerts();
  if (registered.size === 0) return { asOf, wallets: 0, components: [], pointCount: 0, points: [], alerts: { items: [], notListed: stored.length } };
  const { flows } = await registerHistory(app);
  const confirmed = flows.filter((f) => f.date !== null);
  const series = stockSeries({ register: counted, flows: confirmed, balanceAt: await balancesAt(app.vaults, counted.map((e) => e.vaultId)) });
  const byTxid = new Map(confirmed.map((f) => [f.txid, f]));
  const listable = stored.flatMap((a) => {
    const f = byTxid.get(a.txid);
    if (!f || f.date === null || !Object.keys(f.walletDeltas).every((w) => published.has(w))) return [];
    return [{ date: f.date, commitmentId: a.commitmentId, commitmentVersion: a.commitmentVersion, class: f.class, sats: f.stockDelta.toString(), txid: f.txid, status: a.resolvedAtMs === null ? ('open' as const) : ('resolved' as const) }];
  });
  listable.sort((a, b) => b.date.localeCompare(a.date) || a.commitmentId.localeCompare(b.commitmentId) || a.txid.localeCompare(b.txid));
  const items = listable.slice(0, PUBLIC_ALERT_ITEMS);
  return {
    asOf,
    wallets: counted.filter((e) => inRegisterOn(e, asOf)).length,
    components: series.components,
    pointCount: series.points.length,
    points: thinPoints(series.points, PUBLIC_STOCK_POINTS).map((p) => ({
      date: p.date,
      sats: p.totalSats.toString(),
      byComponent: Object.fromEntries(series.components.map((c) => [c, p.byComponent[c].toString()])),
    })),
    alerts: { items, notListed: stored.length - items.length },
  };
}

const EMPTY_PUBLIC = { commitments: [] } as const;

const actorOf = (req: FastifyRequest): { actor: string; role: string } => ({ actor: req.tokenMemberId ?? `token:${req.tokenId ?? '?'}`, role: req.principal });

export function complianceRoutes(deps: ComplianceRouteDeps): ApiRoute[] {
  const tag = 'compliance';
  const store = deps.compliance;
  // Public answers are computed once per answer of the cached public view (a new object when its
  // cache is emptied by a live event or grows old), as the books do: thousands of readers share one.
  const publicAnswers = new WeakMap<object, Map<string, Promise<unknown>>>();
  const cachedPublic = async <T>(key: string, load: (published: ReadonlySet<string>) => Promise<T>): Promise<T> => {
    const view = deps.publicView;
    if (!view) return load(new Set());
    const summary = await view.summary();
    const published = new Set(summary.vaults.map((v) => v.id));
    let forSummary = publicAnswers.get(summary);
    if (!forSummary) publicAnswers.set(summary, (forSummary = new Map()));
    const hit = forSummary.get(key);
    if (hit) return hit as Promise<T>;
    const value = load(published);
    const kept = forSummary;
    kept.set(key, value);
    value.catch(() => kept.delete(key));
    return value;
  };
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/public/compliance',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'Programme commitments in force (title, source, effective dates), whether each is kept or breached, and how many alerts are open and resolved; no transaction or wallet is named',
      schema: { response: { 200: { type: 'object', required: ['commitments'], properties: { commitments: { type: 'array', items: publicCommitment } } } } },
      async handler() {
        return store === null ? EMPTY_PUBLIC : cachedPublic('status', () => publicCompliance(store));
      },
    },
    {
      method: 'GET',
      path: '/public/compliance/stock',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'The public-sector stock over time, split by class (internal consolidation, acquisition, mining, seizure, settlement, sale, payment, fee, wallets joining the register), and the commitment-breach alerts with date, class, amount and txid — counting only published registered wallets; an alert touching a wallet that is not published is only counted',
      schema: { response: { 200: publicStock } },
      async handler() {
        const vaultStore = deps.vaults;
        if (store === null || vaultStore === null) {
          return { asOf: dayOfTime(Math.floor(deps.now() / 1000)), wallets: 0, components: [], pointCount: 0, points: [], alerts: { items: [], notListed: store === null ? 0 : (await store.alerts()).length } };
        }
        return cachedPublic('stock', (published) => publicStockAnswer({ compliance: store, vaults: vaultStore, now: deps.now, spends: deps.spends }, published));
      },
    },
  ];
  const vaults = deps.vaults;
  if (vaults === null || store === null) return routes;
  const app: ComplianceDeps = { compliance: store, vaults, now: deps.now, spends: deps.spends, proofs: deps.proofs };
  const vaultQuery = { type: 'object', additionalProperties: false, properties: { vault: { type: 'string', minLength: 1, maxLength: 100, description: 'only flows touching this registered wallet (vault id or name)' } } } as const satisfies JsonSchema;
  routes.push(
    {
      method: 'GET',
      path: '/compliance/register',
      permission: 'reserve.read',
      tag,
      summary: 'The register of public wallets (our vaults and watch-only published address lists): each entry as it stands, with every version it has had',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['register'],
            properties: {
              register: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['entry', 'name', 'watchOnly', 'versions'],
                  properties: { entry: registerEntry, name: { type: 'string' }, watchOnly: { type: 'boolean', description: 'a published address list we watch but cannot sign for' }, versions: { type: 'array', items: registerEntry, description: 'oldest first' } },
                },
              },
            },
          },
        },
      },
      async handler() {
        const rows = await listRegister(app);
        const versions = await store.registerVersions();
        return wire({ register: rows.map((r) => ({ ...r, versions: versions.filter((v) => v.vaultId === r.entry.vaultId).sort((a, b) => a.version - b.version) })) });
      },
    },
    {
      method: 'GET',
      path: '/compliance/flows',
      permission: 'reserve.read',
      tag,
      summary: 'Every flow touching a registered wallet, oldest first: its class (internal consolidation, external acquisition, …), the reason, and a person\'s override with the classifier\'s verdict beside it',
      schema: { querystring: vaultQuery, response: { 200: { type: 'object', required: ['flows'], properties: { flows: { type: 'array', items: flow } } } } },
      async handler(req: FastifyRequest) {
        const { vault } = req.query as { vault?: string };
        return wire({ flows: (await registerHistory(app, { vault })).flows });
      },
    },
    {
      method: 'GET',
      path: '/compliance/alerts',
      permission: 'reserve.read',
      tag,
      summary: 'Every commitment-breach alert monitoring raised after a sync, open and resolved (with the resolution), oldest first',
      schema: { response: { 200: { type: 'object', required: ['open', 'resolved', 'alerts'], properties: { open: { type: 'integer' }, resolved: { type: 'integer' }, alerts: { type: 'array', items: alert } } } } },
      async handler() {
        const alerts = (await store.alerts()).map(alertWire).sort((a, b) => a.raisedAtMs - b.raisedAtMs);
        const open = alerts.filter((a) => a.status === 'open').length;
        return { open, resolved: alerts.length - open, alerts };
      },
    },
    {
      method: 'GET',
      path: '/compliance/commitments',
      permission: 'reserve.read',
      tag,
      summary: 'Every recorded version of every programme commitment (the latest of each is in force) and each in-force commitment checked against the register\'s confirmed history: kept or breached, with its breaches',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['commitments', 'statuses'],
            properties: {
              commitments: { type: 'array', items: { type: 'object', required: ['commitment', 'addedBy', 'addedAtMs', 'inForce'], properties: { commitment, addedBy: { type: 'string' }, addedAtMs: ms, inForce: { type: 'boolean' } } } },
              statuses: { type: 'array', items: { type: 'object', required: ['commitment', 'status', 'breaches'], properties: { commitment, status: { type: 'string', enum: ['kept', 'breached'] }, breaches: { type: 'array', items: breach } } } },
            },
          },
        },
      },
      async handler() {
        const r = await listCommitments(app);
        const inForce = new Set(r.inForce.map((c) => `${c.id}#${c.version}`));
        const { statuses } = await checkCommitments(app);
        return wire({ commitments: r.all.map((c) => ({ ...c, inForce: inForce.has(`${c.commitment.id}#${c.commitment.version}`) })), statuses });
      },
    },
    {
      method: 'GET',
      path: '/compliance/statement',
      permission: 'reserve.read',
      tag,
      summary: 'The quarterly statement for the programme\'s reviewers (JSON): stock per wallet at both ends, every flow by class, commitments and breaches, the reconciliation; its SHA-256 is recorded in the audit log',
      schema: {
        querystring: { type: 'object', additionalProperties: false, required: ['quarter'], properties: { quarter: { type: 'string', pattern: '^[0-9]{4}[Qq][1-4]$', description: 'e.g. 2025Q3' } } },
        response: { 200: { type: 'object', required: ['statement', 'sha256'], properties: { statement, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the statement\'s canonical JSON, as recorded in the audit log' } } } },
      },
      async handler(req: FastifyRequest) {
        const { quarter } = req.query as { quarter: string };
        return wire(await makeStatement(app, actorOf(req), quarter, 'json'));
      },
    },
  );
  return routes;
}
