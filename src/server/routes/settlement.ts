/**
 * Alliance settlement over HTTP (issue #16): members, invoices (submit, confirm, dispute, list),
 * open positions, cycles and statements — the same use cases as `soberana alliance …` and
 * `soberana settlement …` (src/app/settlement/*) over the same store.
 *
 * Who sees what: a token bound (by enrolment) to a member id that is an alliance member's API
 * identity acts as that member and sees ONLY its own invoices, positions, transfers and statements
 * (another member's invoice is 404, another's statement 403); an admin or auditor token bound to no
 * alliance member sees everything and the alliance view; any other token is refused (403).
 *
 * Permissions (src/core/auth/roles.ts): reads need `settlement.read`; submitting, confirming and
 * disputing need `settlement.write` (an operator token bound to the member), and only the importer
 * confirms or disputes; closing a cycle needs `settlement.close` (the admin, as the alliance
 * administrator); deciding a screening hold needs `settlement.screen` (an approver as the compliance
 * officer, bound to no alliance member: a member state never decides a hold, its own or another's).
 * An approver bound to no member reads everything too, to see what it decides on. The actor in the
 * audit log is always the token's member (or the token), never a name from the request.
 *
 * Money is strings: minor units of the invoice's currency, sats for positions and transfers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReferenceRateSource } from '../../core/accounting/reference-rate.ts';
import { DomainError } from '../../core/errors.ts';
import { toJson } from '../../core/json.ts';
import type { Network } from '../../core/network.ts';
import { INVOICE_STATUSES, type HoldStatus, type SettlementStore, type StoredCycle } from '../../core/settlement/store-port.ts';
import { actorOfToken, type SettlementActor, type SettlementDeps } from '../../app/settlement/deps.ts';
import { decideInvoices, listInvoices, parseInvoiceStatus, showInvoice, submitInvoice } from '../../app/settlement/submit-invoice.ts';
import { closeCycle, showCycle } from '../../app/settlement/close-cycle.ts';
import { decideHold, listHolds } from '../../app/settlement/screening.ts';
import { allianceView, memberStatement, memberStatementCsv } from '../../app/settlement/statement.ts';
import type { ApiRoute } from '../registry.ts';
import { isoDate, satsString, type JsonSchema } from '../schemas.ts';

export interface SettlementRouteDeps {
  readonly store: SettlementStore;
  readonly network: Network;
  readonly rates?: ReferenceRateSource | undefined;
  readonly now: () => number;
}

const minor = { type: 'string', pattern: '^-?[0-9]+$', description: 'minor units of the currency, as a decimal string' } as const;
const code = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$' } as const;
const reference = { type: 'string', minLength: 1, maxLength: 100 } as const;

const member = {
  type: 'object',
  required: ['code', 'state', 'institution', 'currency', 'receiveDescriptor', 'status'],
  properties: { code: { type: 'string' }, state: { type: 'string' }, institution: { type: 'string' }, currency: { type: 'string' }, receiveDescriptor: { type: 'string' }, status: { type: 'string', enum: ['active', 'held', 'rejected'] } },
} as const;

const invoice = {
  type: 'object',
  required: ['exporter', 'reference', 'importer', 'amountMinor', 'currency', 'dueDate', 'status', 'cycleId'],
  properties: {
    exporter: { type: 'string' }, reference: { type: 'string' }, importer: { type: 'string' }, amountMinor: minor, currency: { type: 'string' }, dueDate: isoDate,
    seller: { type: ['string', 'null'] }, buyer: { type: ['string', 'null'] }, status: { type: 'string', enum: [...INVOICE_STATUSES] }, cycleId: { type: ['string', 'null'] },
    submittedBy: { type: 'string' }, submittedAtMs: { type: 'integer' }, decidedBy: { type: ['string', 'null'] }, decidedAtMs: { type: ['integer', 'null'] }, note: { type: ['string', 'null'] },
  },
} as const;

const position = {
  type: 'object',
  required: ['member', 'currency', 'receivableMinor', 'payableMinor', 'netMinor', 'invoices'],
  properties: { member: { type: 'string' }, currency: { type: 'string' }, receivableMinor: minor, payableMinor: minor, netMinor: minor, invoices: { type: 'integer' } },
} as const;

const rate = { type: 'object', required: ['currency', 'minorDigits', 'btcPriceMinor', 'source'], properties: { currency: { type: 'string' }, minorDigits: { type: 'integer' }, btcPriceMinor: minor, source: { type: 'string' } } } as const;
const netPosition = { type: 'object', required: ['member', 'sats'], properties: { member: { type: 'string' }, sats: satsString } } as const;
const transfer = { type: 'object', required: ['from', 'to', 'sats'], properties: { from: { type: 'string' }, to: { type: 'string' }, sats: satsString } } as const;
const cycle = {
  type: 'object',
  required: ['id', 'cutoff', 'status', 'mode', 'rates', 'positions', 'transfers'],
  properties: {
    id: { type: 'string' }, cutoff: isoDate, status: { type: 'string', enum: ['closed', 'settled', 'rescinded'] }, mode: { type: 'string', enum: ['escrow', 'direct'] },
    rates: { type: 'array', items: rate }, positions: { type: 'array', items: netPosition, description: 'a member token sees only its own' }, transfers: { type: 'array', items: transfer, description: 'a member token sees only those it pays or receives' },
    closedAtMs: { type: 'integer' },
  },
} as const;

const statement = {
  type: 'object',
  required: ['cycle', 'member', 'invoices', 'gross', 'rates', 'netSats', 'transfers'],
  properties: {
    cycle: { type: 'object', required: ['id', 'cutoff', 'status', 'mode'], properties: { id: { type: 'string' }, cutoff: isoDate, status: { type: 'string' }, mode: { type: 'string' } } },
    member: { type: 'string' },
    invoices: {
      type: 'array',
      items: { type: 'object', required: ['reference', 'exporter', 'importer', 'side', 'amountMinor', 'currency', 'due'], properties: { reference: { type: 'string' }, exporter: { type: 'string' }, importer: { type: 'string' }, side: { type: 'string', enum: ['receivable', 'payable'] }, amountMinor: minor, currency: { type: 'string' }, due: isoDate } },
    },
    gross: { type: 'array', items: { type: 'object', required: ['currency', 'receivableMinor', 'payableMinor', 'invoices'], properties: { currency: { type: 'string' }, receivableMinor: minor, payableMinor: minor, invoices: { type: 'integer' } } } },
    rates: { type: 'array', items: rate },
    netSats: satsString,
    transfers: { type: 'array', items: transfer },
  },
} as const;

const cycleView = {
  type: 'object',
  required: ['invoices', 'grossSats', 'settledSats', 'nettingEfficiencyBp', 'transfers', 'transfersSaved'],
  properties: {
    id: { type: 'string' }, cutoff: isoDate, status: { type: 'string' }, mode: { type: 'string' }, invoices: { type: 'integer' }, grossSats: satsString, settledSats: satsString,
    nettingEfficiencyBp: { type: 'integer', description: '1 − settled/gross in basis points' }, transfers: { type: 'integer' }, transfersSaved: { type: 'integer' },
  },
} as const;

const invoiceParams = { type: 'object', required: ['exporter', 'reference'], properties: { exporter: code, reference } } as const satisfies JsonSchema;

/** Bigints as decimal strings (the CLI's --json form). */
const wire = (v: unknown): unknown => JSON.parse(toJson(v)) as unknown;

/** What a member sees of a cycle: its own position and its own transfers. */
function cycleFor(actor: SettlementActor, c: StoredCycle): unknown {
  const mine = (m: string): boolean => actor.member === null || m === actor.member;
  return wire({
    id: c.id, cutoff: c.cutoff, status: c.status, mode: c.mode, rates: c.rates, closedAtMs: c.closedAtMs,
    positions: c.positions.filter((p) => mine(p.member)), transfers: c.transfers.filter((t) => mine(t.from) || mine(t.to)),
  });
}

const hold = {
  type: 'object',
  required: ['id', 'kind', 'subject', 'matches', 'listVersion', 'status', 'raisedAtMs', 'decidedBy', 'decidedAtMs', 'reason'],
  properties: {
    id: { type: 'string' }, kind: { type: 'string', enum: ['member', 'invoice', 'address'] }, subject: { type: 'string', description: 'the member code, EXPORTER/REFERENCE of the invoice, or the address' },
    matches: { type: 'array', items: { type: 'object', required: ['entry', 'field', 'listed', 'screened'], properties: { entry: { type: 'string' }, field: { type: 'string', enum: ['name', 'country', 'address'] }, listed: { type: 'string' }, screened: { type: 'string' } } } },
    listVersion: { type: 'integer' }, status: { type: 'string', enum: ['pending', 'released', 'rejected'] }, raisedAtMs: { type: 'integer' },
    decidedBy: { type: ['string', 'null'], description: 'the deciding token\'s member (never a name from the request)' }, decidedAtMs: { type: ['integer', 'null'] }, reason: { type: ['string', 'null'] },
  },
} as const;

const closed = { type: 'object', required: ['cycle', 'created'], properties: { cycle, created: { type: 'boolean', description: 'false: a cycle at this cutoff was already closed, and this is it' } } } as const;

/**
 * Who a token acts as: `actorOfToken` (the member whose API identity it is bound to; else an admin
 * or auditor for the alliance), and an approver bound to no alliance member acts for the alliance
 * too — the compliance officer, who reads what it decides on.
 */
async function actorOf(app: SettlementDeps, req: FastifyRequest): Promise<SettlementActor> {
  if (req.principal === 'approver') {
    const bound = req.tokenMemberId === null ? null : await app.settlement.memberByIdentity(req.tokenMemberId);
    if (!bound) return { actor: req.tokenMemberId ?? `token:${req.tokenId ?? '?'}`, role: req.principal, member: null };
  }
  return actorOfToken(app, { memberId: req.tokenMemberId, role: req.principal, tokenId: req.tokenId });
}

export function settlementRoutes(deps: SettlementRouteDeps): ApiRoute[] {
  const tag = 'settlement';
  const app: SettlementDeps = { settlement: deps.store, network: deps.network, now: deps.now, rates: deps.rates };
  const actor = (req: FastifyRequest): Promise<SettlementActor> => actorOf(app, req);
  return [
    {
      method: 'GET', path: '/settlement/members', permission: 'settlement.read', tag,
      summary: 'The alliance members: state, settling institution, home currency, receive descriptor, screening status',
      schema: { response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: member } } } } },
      async handler(req: FastifyRequest) {
        await actor(req);
        return { members: (await deps.store.members()).map((m) => ({ code: m.code, state: m.state, institution: m.institution, currency: m.currency, receiveDescriptor: m.receiveDescriptor, status: m.status })) };
      },
    },
    {
      method: 'GET', path: '/settlement/invoices', permission: 'settlement.read', tag,
      summary: 'Invoices: a member token sees only those it is exporter or importer of; filter by status or cycle',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: [...INVOICE_STATUSES] }, cycle: { type: 'string', maxLength: 40 }, limit: { type: 'integer', minimum: 1, maximum: 10000 } } },
        response: { 200: { type: 'object', required: ['invoices'], properties: { invoices: { type: 'array', items: invoice } } } },
      },
      async handler(req: FastifyRequest) {
        const q = req.query as { status?: string; cycle?: string; limit?: number };
        const invoices = await listInvoices(app, await actor(req), { status: q.status === undefined ? undefined : parseInvoiceStatus(q.status), cycleId: q.cycle, limit: q.limit ?? 1000 });
        return wire({ invoices });
      },
    },
    {
      method: 'GET', path: '/settlement/invoices/:exporter/:reference', permission: 'settlement.read', tag,
      summary: 'One invoice (404 when it does not exist or the member token is not a party to it)',
      schema: { params: invoiceParams, response: { 200: invoice } },
      async handler(req: FastifyRequest) {
        const p = req.params as { exporter: string; reference: string };
        return wire(await showInvoice(app, await actor(req), p.exporter, p.reference));
      },
    },
    {
      method: 'POST', path: '/settlement/invoices', permission: 'settlement.write', tag,
      summary: 'The exporter submits an invoice (idempotent by exporter and reference: the same again is the same invoice; other terms are 409 REFERENCE_CONFLICT); screened, a match holds it',
      schema: {
        body: {
          type: 'object', additionalProperties: false, required: ['reference', 'exporter', 'importer', 'amount', 'currency', 'due'],
          properties: { reference, exporter: code, importer: code, amount: { type: 'string', maxLength: 40, description: 'decimal in the currency\'s units, e.g. "1250.50"' }, currency: { type: 'string', pattern: '^[A-Za-z]{3}$' }, due: isoDate, seller: { type: 'string', maxLength: 200 }, buyer: { type: 'string', maxLength: 200 } },
        },
        response: { 200: { type: 'object', required: ['invoice', 'created'], properties: { invoice, created: { type: 'boolean' } } } },
      },
      async handler(req: FastifyRequest) {
        return wire(await submitInvoice(app, await actor(req), req.body as Record<string, string>));
      },
    },
    ...(['confirm', 'dispute'] as const).map((decision): ApiRoute => ({
      method: 'POST', path: `/settlement/invoices/:exporter/:reference/${decision}`, permission: 'settlement.write', tag,
      summary: decision === 'confirm'
        ? 'The importer confirms an invoice: it enters the positions (only the importer\'s token; 403 otherwise)'
        : 'The importer disputes an invoice, with a reason: it stays out of netting (only the importer\'s token; 403 otherwise)',
      schema: {
        params: invoiceParams,
        ...(decision === 'dispute' ? { body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } } } : {}),
        response: { 200: invoice },
      },
      async handler(req: FastifyRequest) {
        const p = req.params as { exporter: string; reference: string };
        const by = await actor(req);
        await decideInvoices(app, by, [{ exporter: p.exporter, reference: p.reference }], decision, decision === 'dispute' ? (req.body as { reason: string }).reason : undefined);
        return wire(await showInvoice(app, by, p.exporter, p.reference));
      },
    })),
    {
      method: 'GET', path: '/settlement/positions', permission: 'settlement.read', tag,
      summary: 'Open positions (confirmed invoices not yet in a cycle) per member and currency: a member token sees only its own',
      schema: { response: { 200: { type: 'object', required: ['positions'], properties: { positions: { type: 'array', items: position } } } } },
      async handler(req: FastifyRequest) {
        const by = await actor(req);
        return wire({ positions: await deps.store.openPositions({ member: by.member ?? undefined }) });
      },
    },
    {
      method: 'GET', path: '/settlement/cycles', permission: 'settlement.read', tag,
      summary: 'Closed cycles with their locked rates (and sources), net positions and transfers; a member token sees only its own position and transfers',
      schema: { response: { 200: { type: 'object', required: ['cycles'], properties: { cycles: { type: 'array', items: cycle } } } } },
      async handler(req: FastifyRequest) {
        const by = await actor(req);
        return { cycles: (await deps.store.cycles()).map((c) => cycleFor(by, c)) };
      },
    },
    {
      method: 'POST', path: '/settlement/cycles', permission: 'settlement.close', tag,
      summary: 'Close the cycle at a cutoff: every confirmed invoice due by then enters, the rates are locked at the cutoff from the configured reference (source recorded), positions netted into the fewest transfers; audited. Closing again at the same cutoff (or two closes at once) gives the one cycle (201 made, 200 already there)',
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['cutoff'], properties: { cutoff: isoDate, mode: { type: 'string', enum: ['escrow', 'direct'], description: 'default escrow' } } },
        response: { 200: closed, 201: closed },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const by = await actor(req);
        const b = req.body as { cutoff: string; mode?: 'escrow' | 'direct' };
        const r = await closeCycle(app, by, { cutoff: b.cutoff, mode: b.mode });
        void reply.code(r.created ? 201 : 200);
        return { cycle: cycleFor(by, r.cycle), created: r.created };
      },
    },
    {
      method: 'GET', path: '/settlement/cycles/:id', permission: 'settlement.read', tag,
      summary: 'One cycle (a member token sees only its own position and transfers)',
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 40 } } }, response: { 200: cycle } },
      async handler(req: FastifyRequest) {
        const by = await actor(req);
        return cycleFor(by, await showCycle(app, (req.params as { id: string }).id));
      },
    },
    {
      method: 'GET', path: '/settlement/cycles/:id/statement', permission: 'settlement.read', tag,
      summary: 'A member\'s statement for a cycle: every invoice (gross), the locked rates with their source, the net and the transfers; JSON or CSV (format=csv). A member token reads only its own',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 40 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { member: code, format: { type: 'string', enum: ['json', 'csv'] } } },
        response: { 200: { anyOf: [statement, { type: 'string', description: 'the CSV statement (format=csv)' }] } },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const by = await actor(req);
        const q = req.query as { member?: string; format?: string };
        const who = q.member ?? by.member;
        if (who === undefined || who === null) throw new DomainError('INVALID_ARGUMENT', 'name the member (?member=CODE)');
        const s = await memberStatement(app, by, (req.params as { id: string }).id, who);
        if (q.format === 'csv') {
          void reply.type('text/csv; charset=utf-8');
          return memberStatementCsv(s);
        }
        return wire(s);
      },
    },
    {
      method: 'GET', path: '/settlement/screening', permission: 'settlement.read', tag,
      summary: 'Screening holds (members, invoices, payout addresses that matched the screening list) and their decisions, oldest first; the alliance\'s, not a member token\'s (403: a member sees its own invoices\' status)',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['pending', 'released', 'rejected'] } } },
        response: { 200: { type: 'object', required: ['holds'], properties: { holds: { type: 'array', items: hold } } } },
      },
      async handler(req: FastifyRequest) {
        const by = await actor(req);
        if (by.member !== null) throw new DomainError('FORBIDDEN', 'screening holds are the alliance compliance officer\'s; a member reads the status of its own invoices');
        return { holds: await listHolds(app, (req.query as { status?: HoldStatus }).status) };
      },
    },
    {
      method: 'POST', path: '/settlement/screening/:id/decision', permission: 'settlement.screen', tag,
      summary: 'The compliance officer releases (back to submitted) or rejects (excluded) a held member, invoice or address, with a reason; audited under the token\'s member. A member state\'s token never decides (403); a hold decided already is 409',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 40 } } },
        body: { type: 'object', additionalProperties: false, required: ['decision', 'reason'], properties: { decision: { type: 'string', enum: ['release', 'reject'] }, reason: { type: 'string', minLength: 1, maxLength: 500 } } },
        response: { 200: hold },
      },
      async handler(req: FastifyRequest) {
        const b = req.body as { decision: 'release' | 'reject'; reason: string };
        return decideHold(app, await actor(req), (req.params as { id: string }).id, b.decision, b.reason);
      },
    },
    {
      method: 'GET', path: '/settlement/alliance', permission: 'settlement.read', tag,
      summary: 'The alliance view (admin and auditor tokens): per cycle gross value vs value settled (the netting efficiency) and the transfers saved',
      schema: {
        response: {
          200: {
            type: 'object', required: ['cycles', 'totals'],
            properties: { cycles: { type: 'array', items: cycleView }, totals: cycleView },
          },
        },
      },
      async handler(req: FastifyRequest) {
        return wire(await allianceView(app, await actor(req)));
      },
    },
  ];
}
