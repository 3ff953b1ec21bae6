// Every principal against every operation of the server's own OpenAPI document, through the real
// server on both engines: each role's token (admin, operator, approver, auditor), no token (the
// public), and a REVOKED token of each role.
//
// The expectation (EXPECTED below) is written here by hand, not derived from the code's permission
// matrix, so a change of permissions in the code fails this test. The operations walked are the
// ones GET /api/v1/openapi.json lists, and they must be exactly EXPECTED's keys: a new route
// without a line here fails, and so does a line whose route is gone.
//
// What each outcome means:
// - allowed: the call gets past authentication and the permission check AND does what it is for —
//   a 2xx — on real fixtures (a proposal waiting for approval, one approved and exported, one fully
//   signed, one finalized, a pending policy change, a token and an enrolment code to revoke…). The
//   few operations listed in PAST_AUTH may instead answer a domain refusal that is not 401/403
//   (each with the reason); nothing else may.
// - refused: 401 UNAUTHENTICATED for the public, 403 FORBIDDEN for a role without the permission,
//   before the handler runs (nothing changes: checked below).
// - member-scoped (MEMBER_SCOPED): the alliance settlement's operator token is a member state's
//   (bound to El Salvador's API identity): it holds "settlement.read" but the alliance-wide reads
//   (the alliance view, the screening holds) refuse a member with 403 FORBIDDEN from the use case —
//   not the permission check's refusal (checked by its message).
// - revoked token: 401 UNAUTHENTICATED on every operation. Public operations included: a request
//   that carries an Authorization header must carry a valid token (src/server/app.ts), so a client
//   whose token was revoked learns it at once instead of silently reading as the public.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { base64urlnopad } from '@scure/base';
import type { FastifyInstance } from 'fastify';
import { PRINCIPALS, ROLES, type Principal, type Role } from '../../src/core/auth/roles.ts';
import { buildServer } from '../../src/server/app.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../src/adapters/prices/csv-reference-rates.ts';
import { SqlAccountingStore } from '../../src/adapters/store/accounting-store.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { SqlComplianceStore } from '../../src/adapters/store/compliance-store.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { exportProposal } from '../../src/app/export-proposal.ts';
import { importPartialPsbt } from '../../src/app/import-partial-psbt.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import type { SettlementDeps } from '../../src/app/settlement/deps.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import { loadScreeningList } from '../../src/app/settlement/screening.ts';
import { decideInvoices, submitInvoice } from '../../src/app/settlement/submit-invoice.ts';
import { closeCycle } from '../../src/app/settlement/close-cycle.ts';
import { ADMIN, as, receiveDescriptor } from '../settlement/settlement-fixture.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { FOREIGN, policyDoc, setupGovernance, signAndFinalize, signAs, type Governance } from '../spend/fixtures.ts';

const ALL: readonly Principal[] = ['public', 'admin', 'operator', 'approver', 'auditor'];
const TOKEN_HOLDERS: readonly Principal[] = ['admin', 'operator', 'approver', 'auditor'];

/**
 * Who may call what: `METHOD /path` as in the OpenAPI document (under /api/v1, `{param}` syntax).
 * One line per operation; keep it in the order of the document.
 */
const EXPECTED: Readonly<Record<string, readonly Principal[]>> = {
  'GET /public/summary': ALL,
  'GET /public/holdings': ALL,
  'GET /public/addresses': ALL,
  'GET /public/transactions': ALL,
  'GET /public/verify': ALL,
  'GET /public/audit-head': ALL,
  'GET /public/downloads/holdings.csv': ALL,
  'GET /public/downloads/holdings.json': ALL,
  'GET /public/downloads/transactions.csv': ALL,
  'GET /public/downloads/transactions.json': ALL,
  'GET /public/downloads/addresses.csv': ALL,
  'GET /public/downloads/addresses.json': ALL,
  'GET /session': TOKEN_HOLDERS,
  'GET /tokens': ['admin'],
  'POST /tokens': ['admin'],
  'DELETE /tokens/{id}': ['admin'],
  'GET /tokens/enrolments': ['admin'],
  'POST /tokens/enrolments': ['admin'],
  'DELETE /tokens/enrolments/{id}': ['admin'],
  'POST /enrol': ALL, // the one-time code is the credential
  'GET /vaults': TOKEN_HOLDERS,
  'GET /balance': TOKEN_HOLDERS,
  'GET /vaults/{vault}': TOKEN_HOLDERS,
  'GET /vaults/{vault}/utxos': TOKEN_HOLDERS,
  'GET /vaults/{vault}/history': TOKEN_HOLDERS,
  'GET /vaults/{vault}/addresses': TOKEN_HOLDERS,
  'GET /proposals': TOKEN_HOLDERS,
  'POST /proposals': ['operator'],
  'GET /proposals/{id}': TOKEN_HOLDERS,
  'POST /proposals/{id}/approve': ['approver'],
  'GET /proposals/{id}/approval-statement': ['approver'],
  'GET /proposals/{id}/psbt': ['operator'],
  'POST /proposals/{id}/psbt': ['operator'],
  'POST /proposals/{id}/finalize': ['operator'],
  'POST /proposals/{id}/cancel': ['operator'],
  'GET /proposals/{id}/policy-test': TOKEN_HOLDERS,
  'GET /policy': TOKEN_HOLDERS,
  'POST /policy': ['admin'],
  'POST /policy/changes/{id}/approve': ['approver'],
  'GET /policy/changes/{id}/approval-statement': ['approver'],
  'GET /members/me/passkey': ['approver'],
  'POST /members/me/passkey': ['approver'],
  'GET /audit': ['admin', 'auditor'],
  'GET /audit/verify': ['admin', 'auditor'],
  'GET /members': TOKEN_HOLDERS,
  'POST /proposals/{id}/broadcast': ['operator'], // offered when the server has a chain source (it has here)
  'GET /public/books': ALL,
  'GET /books/holdings': TOKEN_HOLDERS,
  'GET /books/lots': TOKEN_HOLDERS,
  'GET /books/pnl': TOKEN_HOLDERS,
  'GET /books/risk': TOKEN_HOLDERS,
  'GET /public/proof': ALL,
  'POST /por/challenges': ['admin', 'auditor'],
  'GET /por/challenges/{id}': ['admin', 'auditor'],
  'GET /public/compliance': ALL,
  'GET /public/compliance/stock': ALL,
  'GET /public/settlement': ALL,
  'GET /compliance/register': TOKEN_HOLDERS,
  'GET /compliance/flows': TOKEN_HOLDERS,
  'GET /compliance/alerts': TOKEN_HOLDERS,
  'GET /compliance/commitments': TOKEN_HOLDERS,
  'GET /compliance/statement': TOKEN_HOLDERS,
  'GET /mining/ventures': TOKEN_HOLDERS, // mining ventures (issue #17)
  // alliance settlement (issue #16): the operator is El Salvador's office (its token bound to SLV's API identity)
  'GET /settlement/members': TOKEN_HOLDERS,
  'GET /settlement/invoices': TOKEN_HOLDERS,
  'GET /settlement/invoices/{exporter}/{reference}': TOKEN_HOLDERS,
  'POST /settlement/invoices': ['operator'],
  'POST /settlement/invoices/{exporter}/{reference}/confirm': ['operator'],
  'POST /settlement/invoices/{exporter}/{reference}/dispute': ['operator'],
  'GET /settlement/positions': TOKEN_HOLDERS,
  'GET /settlement/cycles': TOKEN_HOLDERS,
  'POST /settlement/cycles': ['admin'],
  'GET /settlement/cycles/{id}': TOKEN_HOLDERS,
  'GET /settlement/cycles/{id}/statement': TOKEN_HOLDERS,
  'GET /settlement/screening': TOKEN_HOLDERS, // the operator: MEMBER_SCOPED
  'POST /settlement/screening/{id}/decision': ['approver'],
  'GET /settlement/alliance': TOKEN_HOLDERS, // the operator: MEMBER_SCOPED
  'GET /openapi.json': ALL,
};

/**
 * Operations an allowed caller may see refused by the use case (never 401/403), and why. Empty
 * today: every operation succeeds for every allowed caller on the fixtures below.
 */
const PAST_AUTH: Readonly<Record<string, string>> = {};

/**
 * Operations a principal holds the permission for but its token, being a member state's, is
 * refused by the use case (403 FORBIDDEN, not the permission check's "may not do this"), and why.
 */
const MEMBER_SCOPED: Readonly<Record<string, Partial<Record<Principal, string>>>> = {
  'GET /settlement/alliance': { operator: 'the alliance view is the administrator\'s; a member state reads its own statements' },
  'GET /settlement/screening': { operator: 'screening holds are the compliance officer\'s; a member state sees its own invoices\' status' },
};

const regtest = useRegtestNode();

/** Real objects the path parameters and bodies name. */
interface Fixtures {
  g: Governance;
  app: FastifyInstance;
  token: Record<Role, string>;
  revoked: Record<Role, string>;
  /** proposals: waiting for approval, to cancel, approved and exported, fully signed, finalized */
  proposed: number;
  toCancel: number;
  exported: number;
  complete: number;
  finalized: number;
  /** a valid partial PSBT of `exported` */
  partial: string;
  pendingChange: number;
  victimToken: string;
  victimEnrolment: string;
  /** one enrolment code per principal allowed to redeem one */
  codes: Record<Principal, string>;
  /** alliance settlement: a closed cycle, a pending screening hold */
  cycleId: string;
  holdId: string;
}

interface Call {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

/** How to call each operation so that an allowed caller succeeds (a missing line: no params, no body). */
const CALLS: Readonly<Record<string, (f: Fixtures, who: Principal) => Call>> = {
  'POST /tokens': (_f, who) => ({ body: { name: `made by ${who}`, role: 'auditor' } }),
  'DELETE /tokens/{id}': (f) => ({ params: { id: f.victimToken } }),
  'POST /tokens/enrolments': () => ({ body: { member: 'marta', role: 'approver' } }),
  'DELETE /tokens/enrolments/{id}': (f) => ({ params: { id: f.victimEnrolment } }),
  'POST /enrol': (f, who) => ({ body: { code: f.codes[who], name: `enrolled by ${who}` } }),
  'GET /vaults/{vault}': (f) => ({ params: { vault: f.g.vault.name } }),
  'GET /vaults/{vault}/utxos': (f) => ({ params: { vault: f.g.vault.name } }),
  'GET /vaults/{vault}/history': (f) => ({ params: { vault: f.g.vault.name } }),
  'GET /vaults/{vault}/addresses': (f) => ({ params: { vault: f.g.vault.name } }),
  'POST /proposals': (f) => ({ body: { vault: f.g.vault.name, payments: [{ address: FOREIGN, sats: '20000000' }], feeRateSatPerVb: '2' } }),
  'GET /proposals/{id}': (f) => ({ params: { id: String(f.exported) } }),
  'POST /proposals/{id}/approve': (f) => ({ params: { id: String(f.proposed) } }),
  'GET /proposals/{id}/approval-statement': (f) => ({ params: { id: String(f.proposed) } }),
  'GET /proposals/{id}/psbt': (f) => ({ params: { id: String(f.exported) } }),
  'POST /proposals/{id}/psbt': (f) => ({ params: { id: String(f.exported) }, body: { psbt: f.partial } }),
  'POST /proposals/{id}/finalize': (f) => ({ params: { id: String(f.complete) } }),
  'POST /proposals/{id}/cancel': (f) => ({ params: { id: String(f.toCancel) }, body: { reason: 'role matrix' } }),
  'GET /proposals/{id}/policy-test': (f) => ({ params: { id: String(f.exported) } }),
  'POST /proposals/{id}/broadcast': (f) => ({ params: { id: String(f.finalized) } }),
  'POST /policy': () => ({ body: { document: policyDoc({ version: 3 }) } }),
  'POST /policy/changes/{id}/approve': (f) => ({ params: { id: String(f.pendingChange) } }),
  'GET /policy/changes/{id}/approval-statement': (f) => ({ params: { id: String(f.pendingChange) } }),
  'GET /por/challenges/{id}': () => ({ params: { id: 'ch_1111111111111111' } }), // made in before() with a fixed random source
  'GET /compliance/statement': () => ({ query: '?quarter=2025Q3' }),
  'GET /settlement/invoices/{exporter}/{reference}': () => ({ params: { exporter: 'PAK', reference: 'PK-CONFIRM' } }),
  'POST /settlement/invoices': () => ({ body: { reference: 'SV-NEW', exporter: 'SLV', importer: 'PAK', amount: '10.00', currency: 'USD', due: '2025-07-15' } }),
  'POST /settlement/invoices/{exporter}/{reference}/confirm': () => ({ params: { exporter: 'PAK', reference: 'PK-CONFIRM' } }),
  'POST /settlement/invoices/{exporter}/{reference}/dispute': () => ({ params: { exporter: 'RUS', reference: 'RU-DISPUTE' }, body: { reason: 'role matrix' } }),
  'POST /settlement/cycles': () => ({ body: { cutoff: '2025-06-30' } }),
  'GET /settlement/cycles/{id}': (f) => ({ params: { id: f.cycleId } }),
  'GET /settlement/cycles/{id}/statement': (f) => ({ params: { id: f.cycleId }, query: '?member=SLV' }),
  'POST /settlement/screening/{id}/decision': (f) => ({ params: { id: f.holdId }, body: { decision: 'release', reason: 'role matrix' } }),
  'POST /members/me/passkey': () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { body: { credentialId: base64urlnopad.encode(randomBytes(32)), publicKey: base64urlnopad.encode(publicKey.export({ type: 'spki', format: 'der' })), publicKeyAlgorithm: -7 } };
  },
};

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
}

/** `GET /proposals/{id}` for every operation the document lists (prefix /api/v1 dropped). */
function operationsOf(doc: OpenApiDoc): { key: string; method: 'GET' | 'POST' | 'DELETE'; path: string; pathParams: string[] }[] {
  const ops = [];
  for (const [p, byMethod] of Object.entries(doc.paths)) {
    assert.ok(p.startsWith('/api/v1/'), `${p} is under /api/v1`);
    const path = p.slice('/api/v1'.length);
    for (const [m, op] of Object.entries(byMethod)) {
      const method = m.toUpperCase() as 'GET' | 'POST' | 'DELETE';
      ops.push({ key: `${method} ${path}`, method, path, pathParams: (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name) });
    }
  }
  return ops;
}

forEachEngine('role × endpoint matrix from the OpenAPI document', (t) => {
  let f: Fixtures;
  let doc: OpenApiDoc;
  before(async () => {
    const db = await t.open();
    const g = await setupGovernance(await regtest.ready(), db, { fund: Array.from({ length: 7 }, () => 100_000_000n) });
    await addMember(g.deps, { actor: 'ana', name: 'audrey', roles: ['auditor'], groups: [] });
    const tokens = new SqlApiTokenStore(db, { clock: { now: g.clock.now } });
    const memberOf: Record<Role, string> = { admin: 'ana', operator: 'luis', approver: 'maria', auditor: 'audrey' };
    const token = {} as Record<Role, string>;
    const revoked = {} as Record<Role, string>;
    for (const r of ROLES) {
      token[r] = (await tokens.create({ name: `${memberOf[r]} matrix`, role: r, memberId: memberOf[r] })).token;
      const gone = await tokens.create({ name: `${memberOf[r]} revoked`, role: r, memberId: memberOf[r] });
      await tokens.revoke(gone.id);
      revoked[r] = gone.token;
    }
    const victim = await tokens.create({ name: 'victim', role: 'auditor', memberId: null });

    const spend = async (sats: bigint) => (await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats }], feeRateSatPerKvb: 2_000n })).proposal.id;
    const approve = async (id: number) => {
      for (const actor of ['marta', 'pedro']) await approveProposal(g.deps, { actor, proposalId: id });
    };
    const proposed = await spend(30_000_000n);
    const toCancel = await spend(31_000_000n);
    const exported = await spend(32_000_000n);
    await approve(exported);
    const { psbt } = await exportProposal(g.deps, { actor: 'luis', proposalId: exported, destination: 'matrix' });
    const complete = await spend(33_000_000n);
    await approve(complete);
    const out = await exportProposal(g.deps, { actor: 'luis', proposalId: complete, destination: 'matrix' });
    for (const s of [0, 2]) await importPartialPsbt(g.deps, { actor: 'luis', proposalId: complete, psbt: signAs(g, s, out.psbt) });
    const finalized = await spend(34_000_000n);
    await approve(finalized);
    await signAndFinalize(g, finalized);
    const change = await proposePolicy(g.deps, { actor: 'ana', document: policyDoc({ version: 2 }) });

    await new SqlProofStore(db, { random: { bytes: (n) => new Uint8Array(n).fill(0x11) } }).createChallenge({ requestedBy: 'audrey', note: null, createdAtMs: g.clock.now(), expiresAtMs: g.clock.now() + 86_400_000 }, { actor: 'audrey', role: 'auditor', action: 'proof.challenge', object: 'challenge:new', details: {}, atMs: g.clock.now() });
    // the alliance: El Salvador's office is the operator's token (its API identity is luis), a screening list, invoices
    const settlement: SettlementDeps = { settlement: new SqlSettlementStore(db), now: g.clock.now, network: 'regtest', rates: shippedReferenceRates() };
    for (const [i, m] of [{ code: 'SLV', currency: 'USD', id: 'luis' }, { code: 'PAK', currency: 'PKR', id: 'id-pak' }, { code: 'RUS', currency: 'RUB', id: 'id-rus' }].entries()) {
      await addAllianceMember(settlement, ADMIN, { code: m.code, state: m.code, institution: `${m.code} central bank`, currency: m.currency, receiveDescriptor: receiveDescriptor(i), apiIdentity: m.id });
    }
    await loadScreeningList(settlement, ADMIN, JSON.stringify({ source: 'matrix', entries: [{ id: 'M-1', names: ['Acme Shadow Trading'] }] }), 'matrix.json');
    const invoice = async (by: string, reference: string, importer: string, due: string, buyer?: string) => (await submitInvoice(settlement, as(by), { reference, exporter: by, importer, amount: '100.00', currency: 'USD', due, buyer })).invoice;
    await invoice('SLV', 'SV-CYCLE', 'RUS', '2025-06-10');
    await decideInvoices(settlement, as('RUS'), [{ exporter: 'SLV', reference: 'SV-CYCLE' }], 'confirm');
    const { cycle } = await closeCycle(settlement, ADMIN, { cutoff: '2025-06-15' });
    await invoice('PAK', 'PK-TO-CLOSE', 'RUS', '2025-06-20');
    await decideInvoices(settlement, as('RUS'), [{ exporter: 'PAK', reference: 'PK-TO-CLOSE' }], 'confirm');
    await invoice('PAK', 'PK-CONFIRM', 'SLV', '2025-07-20');
    await invoice('RUS', 'RU-DISPUTE', 'SLV', '2025-07-20');
    assert.equal((await invoice('SLV', 'SV-HELD', 'PAK', '2025-07-20', 'Acme Shadow Trading Ltd')).status, 'held');
    const holdId = (await settlement.settlement.holds({ status: 'pending' }))[0]?.id ?? '';

    const app = await buildServer({
      publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: g.vaults,
      governance: { spends: g.spends, chain: g.deps.chain, network: 'regtest' }, clock: { now: g.clock.now }, webRoot: null, rateLimit: null,
      accounting: { store: new SqlAccountingStore(db), rates: shippedReferenceRates() },
      proofs: { store: new SqlProofStore(db) },
      compliance: { store: new SqlComplianceStore(db) },
      settlement: { store: settlement.settlement, network: 'regtest', rates: settlement.rates },
    });
    // enrolment codes, issued by the admin over the API: one per principal that may redeem one, one to revoke
    const enrol = async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/tokens/enrolments', headers: { authorization: `Bearer ${token.admin}` }, payload: { member: 'marta', role: 'approver' } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { id: string; code: string };
    };
    const codes = {} as Record<Principal, string>;
    for (const p of PRINCIPALS) codes[p] = (await enrol()).code;
    const victimEnrolment = (await enrol()).id;
    f = { g, app, token, revoked, proposed, toCancel, exported, complete, finalized, partial: signAs(g, 1, psbt), pendingChange: change.change.id, victimToken: victim.id, victimEnrolment, codes, cycleId: cycle.id, holdId };
    doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as OpenApiDoc;
  });
  after(async () => {
    await f?.app.close();
  });

  test('the OpenAPI document lists exactly the operations the table expects', () => {
    const offered = operationsOf(doc).map((o) => o.key).sort();
    const expected = Object.keys(EXPECTED).sort();
    const missing = offered.filter((k) => !expected.includes(k));
    const stale = expected.filter((k) => !offered.includes(k));
    assert.deepEqual({ 'routes without a line in EXPECTED': missing, 'lines in EXPECTED without a route': stale }, { 'routes without a line in EXPECTED': [], 'lines in EXPECTED without a route': [] });
  });

  test('the OpenAPI document says a token is optional exactly where the public is allowed', () => {
    for (const [p, byMethod] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(byMethod) as [string, { security?: unknown[] }][]) {
        const key = `${m.toUpperCase()} ${p.slice('/api/v1'.length)}`;
        const open = EXPECTED[key]?.includes('public') === true;
        assert.equal(op.security?.some((s) => Object.keys(s as object).length === 0) === true, open, `${key}: the document says ${open ? 'no' : 'a'} token is needed`);
      }
    }
  });

  test('every principal against every operation: allowed does its job, refused is 401/403, a revoked token is 401', async (tt) => {
    const callers: { who: Principal; revoked: boolean; authorization?: string }[] = [
      { who: 'public', revoked: false },
      ...ROLES.map((r) => ({ who: r, revoked: false, authorization: `Bearer ${f.token[r]}` })),
      ...ROLES.map((r) => ({ who: r, revoked: true, authorization: `Bearer ${f.revoked[r]}` })),
    ];
    let calls = 0;
    // refused callers first, so a refusal is checked against the fixtures as they were set up
    for (const op of operationsOf(doc)) {
      const allowed = EXPECTED[op.key];
      if (!allowed) continue; // reported by the test above
      const ordered = [...callers].sort((a, b) => Number(!a.revoked && allowed.includes(a.who)) - Number(!b.revoked && allowed.includes(b.who)));
      await tt.test(op.key, async () => {
        for (const c of ordered) {
          const call = CALLS[op.key]?.(f, c.who) ?? {};
          let url = `/api/v1${op.path}`;
          for (const name of op.pathParams) {
            const value = call.params?.[name];
            assert.ok(value !== undefined, `${op.key}: no fixture for the path parameter "${name}" (add a line to CALLS)`);
            url = url.replace(`{${name}}`, encodeURIComponent(value));
          }
          const res = await f.app.inject({
            method: op.method,
            url: url + (call.query ?? ''),
            headers: c.authorization ? { authorization: c.authorization } : {},
            ...(op.method === 'POST' ? { payload: (call.body ?? {}) as object } : {}),
          });
          calls++;
          const label = `${c.revoked ? 'revoked ' : ''}${c.who} ${op.key} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          const error = String(res.headers['content-type'] ?? '').includes('json') ? (res.json() as { error?: { code: string; message: string } }).error : undefined;
          if (c.revoked) {
            assert.equal(res.statusCode, 401, label);
            assert.equal(error?.code, 'UNAUTHENTICATED', label);
          } else if (allowed.includes(c.who) && MEMBER_SCOPED[op.key]?.[c.who] !== undefined) {
            assert.equal(res.statusCode, 403, `${label} (${MEMBER_SCOPED[op.key]?.[c.who] ?? ''})`);
            assert.equal(error?.code, 'FORBIDDEN', label);
            assert.doesNotMatch(error.message, /may not do this/, `${label}: refused by the use case, not by the permission check`);
          } else if (allowed.includes(c.who)) {
            const why = PAST_AUTH[op.key];
            if (why !== undefined && res.statusCode >= 400) {
              assert.ok(res.statusCode < 500 && ![401, 403].includes(res.statusCode), `${label} (${why})`);
              assert.ok(error && !['UNAUTHENTICATED', 'FORBIDDEN'].includes(error.code), label);
            } else {
              assert.ok(res.statusCode >= 200 && res.statusCode < 300, `allowed, so it must succeed: ${label}`);
              assert.equal(error, undefined, label);
            }
          } else {
            assert.equal(res.statusCode, c.who === 'public' ? 401 : 403, label);
            assert.equal(error?.code, c.who === 'public' ? 'UNAUTHENTICATED' : 'FORBIDDEN', label);
            assert.ok((error?.message.length ?? 0) > 0, label);
          }
        }
      });
    }
    assert.equal(calls, operationsOf(doc).filter((o) => EXPECTED[o.key]).length * callers.length);
  });

  test('a refused call changes nothing: an operator cannot create or revoke tokens', async () => {
    const tokens = f.app.inject.bind(f.app);
    const list = async () => (await tokens({ url: '/api/v1/tokens', headers: { authorization: `Bearer ${f.token.admin}` } })).json() as unknown;
    const before = await list();
    const auditBefore = (await f.g.spends.auditLog()).length;
    await tokens({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${f.token.operator}` }, payload: { name: 'sneaky', role: 'admin' } });
    await tokens({ method: 'DELETE', url: `/api/v1/tokens/${f.victimToken}`, headers: { authorization: `Bearer ${f.token.approver}` } });
    await tokens({ method: 'POST', url: `/api/v1/proposals/${f.exported}/approve`, headers: { authorization: `Bearer ${f.token.operator}` } });
    assert.deepEqual(await list(), before);
    assert.equal((await f.g.spends.auditLog()).length, auditBefore, 'no audit entry either');
  });

  test('a bad or revoked token is 401 everywhere, even on public endpoints', async () => {
    for (const authorization of [`Bearer ${f.revoked.admin}`, 'Bearer sob_nope', 'Basic YWRtaW46YWRtaW4=', 'Bearer', `Token ${f.token.admin}`]) {
      const res = await f.app.inject({ url: '/api/v1/public/summary', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
      assert.equal((res.json() as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    }
    const lower = await f.app.inject({ url: '/api/v1/session', headers: { authorization: `bearer ${f.token.auditor}` } });
    assert.equal(lower.statusCode, 200, 'the scheme name is case-insensitive');
  });
});
