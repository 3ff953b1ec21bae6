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
 * Amounts are strings (sats), as in the CLI's JSON.
 */
import type { FastifyRequest } from 'fastify';
import { toJson } from '../../core/json.ts';
import { commitmentsInForce } from '../../core/compliance/commitments.ts';
import { FLOW_CLASSES } from '../../core/compliance/types.ts';
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
  readonly compliance: ComplianceStore;
  /** The vault store; without it only the public route is offered. */
  readonly vaults: VaultStore | null;
  /** When given, a spend proposal's memo labels its transaction (as in the CLI). */
  readonly spends?: SpendStore | undefined;
  readonly now: () => number;
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

/** What the public may know of each commitment in force: no txid, wallet or amount. */
export async function publicCompliance(store: ComplianceStore): Promise<{ commitments: Array<{ id: string; version: number; title: string; source: string | null; effectiveFrom: string; effectiveTo: string | null; status: 'kept' | 'breached'; openAlerts: number; resolvedAlerts: number }> }> {
  const inForce = commitmentsInForce((await store.commitments()).map((c) => c.commitment));
  const alerts = await store.alerts();
  return {
    commitments: inForce.map((c) => {
      const mine = alerts.filter((a) => a.commitmentId === c.id);
      const open = mine.filter((a) => a.resolvedAtMs === null).length;
      return { id: c.id, version: c.version, title: c.title, source: c.source, effectiveFrom: c.effectiveFrom, effectiveTo: c.effectiveTo, status: open > 0 ? 'breached' : 'kept', openAlerts: open, resolvedAlerts: mine.length - open };
    }),
  };
}

const actorOf = (req: FastifyRequest): { actor: string; role: string } => ({ actor: req.tokenMemberId ?? `token:${req.tokenId ?? '?'}`, role: req.principal });

export function complianceRoutes(deps: ComplianceRouteDeps): ApiRoute[] {
  const tag = 'compliance';
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
        return publicCompliance(deps.compliance);
      },
    },
  ];
  const vaults = deps.vaults;
  if (vaults === null) return routes;
  const app: ComplianceDeps = { compliance: deps.compliance, vaults, now: deps.now, spends: deps.spends };
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
        const versions = await deps.compliance.registerVersions();
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
        const alerts = (await deps.compliance.alerts()).map(alertWire).sort((a, b) => a.raisedAtMs - b.raisedAtMs);
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
