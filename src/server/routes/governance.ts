/**
 * Spend governance over HTTP: proposals with their approval state in plain words, approvals, PSBT
 * download (base64 or binary) and upload, finalize, broadcast, cancel; the policy in force, its
 * changes and how it decides a proposal; the audit log and its verification; members.
 *
 * Identity: the token's ROLE decides which endpoints it may call (src/core/auth/roles.ts); the
 * governance use cases then want a MEMBER: the one the token was issued to (by id, never by name),
 * whose own roles and groups the use case checks as on the command line. A token issued to no member
 * may read, but every action answers 403 FORBIDDEN.
 *
 * Approvals are signatures: a BIP340 signature (`signature`, a key file on the CLI) or a passkey's
 * WebAuthn assertion (`assertion`, the dashboard) over the approval statement's digest. An approver
 * proposes a passkey as their key with POST /members/me/passkey; it binds only when the quorum
 * approves that member change. Passkey settings: `deps.webauthn`, else rpId "localhost" and the
 * origin http://localhost:<port> the request came in on.
 *
 * Broadcast exists only when the server has a chain source; without one the route is left out.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { base64, base64urlnopad, hex } from '@scure/base';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { approvalStatus, describeRequirement } from '../../core/policy/approvals.ts';
import type { Approval, PolicyDecision, RuleOutcome } from '../../core/policy/types.ts';
import { parseFeeRate, formatFeeRate } from '../../core/spend/safety-nets.ts';
import type { Member, SpendProposal } from '../../core/spend/types.ts';
import type { GovernanceDeps, WebAuthnSettings } from '../../app/governance.ts';
import { requireActor, requireProposal, spendStatement } from '../../app/governance.ts';
import { approvalDigest, approvalStatement, memberKeyKind } from '../../core/auth/approval-signature.ts';
import { encodePasskeyAssertion, encodePasskeyCredential, isWebAuthnText, parsePasskeyCredential, passkeyFromSpki, type PasskeyAssertion } from '../../core/auth/webauthn.ts';
import { proposeOwnApprovalKey } from '../../app/add-member.ts';
import { anchorOfPsbt, proposeSpend } from '../../app/propose-spend.ts';
import type { Network } from '../../core/network.ts';
import { approveProposal } from '../../app/approve-proposal.ts';
import { exportProposal } from '../../app/export-proposal.ts';
import { importPartialPsbt } from '../../app/import-partial-psbt.ts';
import { finalizeProposal } from '../../app/finalize-proposal.ts';
import { broadcastProposal } from '../../app/broadcast-proposal.ts';
import { cancelByReplacement, cancelProposal } from '../../app/cancel-proposal.ts';
import { proposePolicy } from '../../app/propose-policy.ts';
import { approvePolicy, policyChangeSubject } from '../../app/approve-policy.ts';
import { testPolicy } from '../../app/test-policy.ts';
import { verifyAuditLog } from '../../app/verify-audit-log.ts';
import { parseHead } from '../../core/audit/kept-heads.ts';
import type { ApiRoute } from '../registry.ts';
import { satsString, txid } from '../schemas.ts';

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } } as const;
const iso = { type: 'string', description: 'ISO 8601 time, UTC' } as const;
const strArray = { type: 'array', items: { type: 'string' } } as const;
const lines = { type: 'array', items: { type: 'string' }, description: 'plain-words explanation, one line per rule looked at' } as const;

const approvalSchema = {
  type: 'object',
  required: ['approverId', 'groups', 'at'],
  properties: {
    approverId: { type: 'string' }, groups: strArray, at: iso,
    signedWith: { type: ['string', 'null'], enum: ['bip340', 'passkey', null], description: 'the kind of signature stored with the approval (null: unsigned, regtest only); it counts only if it verifies, which export and broadcast check again' },
  },
} as const;

const proposalSchema = {
  type: 'object',
  required: ['id', 'vaultId', 'kind', 'state', 'outputs', 'amount', 'fee', 'feeRateSatPerVb', 'change', 'memo', 'proposer', 'unsignedTxid', 'txid',
    'replaces', 'replacedBy', 'parent', 'policyVersion', 'createdAt', 'updatedAt', 'approvals', 'approval'],
  properties: {
    id: { type: 'integer' },
    vaultId: { type: 'string' },
    kind: { type: 'string' },
    state: { type: 'string', description: 'proposed, approved, signed, broadcasting, broadcast, confirmed, cancelled, replaced or conflicted' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['address', 'sats', 'btc', 'internal', 'internalVault'],
        properties: { address: { type: 'string' }, sats: satsString, btc: { type: 'string' }, internal: { type: 'boolean' }, internalVault: { type: ['string', 'null'] } },
      },
    },
    amount: { type: 'object', required: ['sats', 'btc'], properties: { sats: satsString, btc: { type: 'string' } } },
    fee: { type: 'object', required: ['sats', 'btc'], properties: { sats: satsString, btc: { type: 'string' } } },
    feeRateSatPerVb: { type: 'string' },
    change: { type: 'object', required: ['sats', 'index'], properties: { sats: satsString, index: { type: ['integer', 'null'] } } },
    memo: { type: ['string', 'null'] },
    proposer: { type: 'string' },
    unsignedTxid: txid,
    txid: { type: ['string', 'null'] },
    replaces: { type: ['integer', 'null'] },
    replacedBy: { type: ['integer', 'null'] },
    parent: { type: ['integer', 'null'] },
    policyVersion: { type: 'integer' },
    createdAt: iso,
    updatedAt: iso,
    approvals: { type: 'array', items: approvalSchema },
    anchor: {
      type: ['object', 'null'],
      required: ['vout', 'seq', 'commitment'],
      description: 'the audit-log head this transaction commits to in its zero-value OP_RETURN output (not a payment); null when it carries none. Check it with "soberana audit anchors" once confirmed',
      properties: { vout: { type: 'integer' }, seq: { type: 'integer' }, commitment: { type: 'string', pattern: '^[0-9a-f]+$' } },
    },
    approval: {
      type: 'object',
      required: ['outcome', 'rule', 'required', 'satisfied', 'summary'],
      description: 'the approval state in plain words',
      properties: {
        outcome: { type: 'string', enum: ['allow', 'deny', 'approval'] },
        rule: { type: ['string', 'null'] },
        required: { type: ['string', 'null'], description: 'e.g. "1 of finance AND 1 of central-bank"; null when no approval is needed' },
        satisfied: { type: 'boolean' },
        summary: { type: 'string', description: 'what is missing, or why it may go ahead' },
      },
    },
  },
} as const;

const memberSchema = {
  type: 'object',
  required: ['id', 'name', 'roles', 'groups', 'createdAt'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, roles: strArray, groups: strArray, createdAt: iso,
    approvalKey: { type: ['string', 'null'], enum: ['bip340', 'passkey', null], description: 'the kind of approval key registered: a BIP340 key (CLI), a passkey (dashboard), or none' },
  },
} as const;

const b64url = (description: string, maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$', description: `${description} (base64url, no padding)` }) as const;

/** An approval's signature in a request body: a BIP340 signature (CLI keys) or a passkey's WebAuthn assertion (the dashboard). */
const approvalBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    signature: { type: 'string', minLength: 128, maxLength: 128, pattern: '^[0-9a-fA-F]+$', description: 'BIP340 signature (hex) over the approval statement\'s digest (GET …/approval-statement); for members whose key is a BIP340 key' },
    assertion: {
      type: 'object',
      additionalProperties: false,
      required: ['credentialId', 'authenticatorData', 'clientDataJSON', 'signature'],
      description: 'for members whose key is a passkey: what navigator.credentials.get returned with challenge = the approval statement\'s digest',
      properties: {
        credentialId: b64url('the credential id (rawId)', 1400),
        authenticatorData: b64url('response.authenticatorData', 8192),
        clientDataJSON: b64url('response.clientDataJSON', 8192),
        signature: b64url('response.signature (ASN.1 DER ECDSA)', 200),
      },
    },
  },
  description: 'one of signature or assertion; neither only on regtest for a member without a key',
} as const;

/** The signature text the use cases take, from an approval body (a passkey assertion becomes `webauthn:v1:{…}`). */
function signatureOf(body: unknown): string | undefined {
  const b = (body ?? {}) as { signature?: string; assertion?: PasskeyAssertion };
  if (b.signature !== undefined && b.assertion !== undefined) throw new DomainError('INVALID_ARGUMENT', 'give either "signature" (a BIP340 key) or "assertion" (a passkey), not both');
  return b.assertion !== undefined ? encodePasskeyAssertion(b.assertion) : b.signature;
}

const statementSchema = {
  type: 'object',
  required: ['statement', 'digest', 'challenge', 'passkey'],
  properties: {
    statement: { type: 'object', additionalProperties: true },
    digest: { type: 'string', description: 'SHA-256 of the statement\'s canonical JSON, hex: what a BIP340 key signs' },
    challenge: { type: 'string', description: 'the same digest in base64url: the WebAuthn challenge for a passkey' },
    passkey: {
      type: ['object', 'null'],
      required: ['credentialId', 'rpId'],
      properties: { credentialId: { type: 'string' }, rpId: { type: 'string' } },
      description: 'your registered passkey (allowCredentials), or null when your key is not a passkey',
    },
  },
} as const;

const changeSchema = {
  type: 'object',
  required: ['id', 'version', 'state', 'proposer', 'createdAt', 'approvals', 'document'],
  properties: { id: { type: 'integer' }, version: { type: 'integer' }, state: { type: 'string' }, proposer: { type: 'string' }, createdAt: iso, approvals: { type: 'array', items: approvalSchema }, document: { type: 'string' } },
} as const;

const statusSchema = {
  type: 'object',
  required: ['satisfied', 'summary'],
  properties: { satisfied: { type: 'boolean' }, summary: { type: 'string' } },
} as const;

const isoOf = (ms: number): string => new Date(ms).toISOString();
const amountOf = (sats: bigint) => ({ sats: sats.toString(), btc: formatBtc(sats) });
const approvalWire = (a: Approval) => ({ approverId: a.approverId, groups: [...a.groups], at: isoOf(a.atMs), signedWith: a.signature ? (isWebAuthnText(a.signature) ? 'passkey' : 'bip340') : null });
const memberWire = (m: Member) => ({ id: m.id, name: m.name, roles: [...m.roles], groups: [...m.groups], createdAt: isoOf(m.createdAtMs), approvalKey: m.publicKey ? memberKeyKind(m.publicKey) : null });

/** The statement a member signs, with its digest as hex (BIP340) and base64url (a WebAuthn challenge), and their passkey if that is their key. */
function statementWire(statement: ReturnType<typeof approvalStatement>, me: Member) {
  const digest = approvalDigest(statement);
  const key = me.publicKey ?? null;
  let passkey: { credentialId: string; rpId: string } | null = null;
  if (key !== null && isWebAuthnText(key)) {
    const c = parsePasskeyCredential(key);
    passkey = { credentialId: c.credentialId, rpId: c.rpId };
  }
  return { statement, digest: hex.encode(digest), challenge: base64urlnopad.encode(digest), passkey };
}

/** "what is missing" for a proposal, from its recorded decision and the approvals so far. */
export function approvalState(p: SpendProposal, approvals: readonly Approval[]): { outcome: PolicyDecision['outcome']; rule: string | null; required: string | null; satisfied: boolean; summary: string } {
  const d = p.decision as PolicyDecision;
  const rule = d.ruleId;
  if (d.outcome === 'deny') return { outcome: d.outcome, rule, required: null, satisfied: false, summary: `denied by policy version ${d.policyVersion}` };
  if (d.outcome === 'allow' || d.requirement === null) {
    return { outcome: d.outcome, rule, required: null, satisfied: true, summary: `no approval needed: allowed by policy version ${d.policyVersion}${rule ? ` (rule '${rule}')` : ''}` };
  }
  const required = describeRequirement(d.requirement);
  const s = approvalStatus(d.requirement, approvals, p.proposer);
  const summary = s.satisfied
    ? `approved: ${required} reached${d.signingDelaySeconds > 0 ? `; signing delay ${d.signingDelaySeconds} s after the quorum` : ''}`
    : `waiting: ${s.missing} (requirement: ${required})`;
  return { outcome: d.outcome, rule, required, satisfied: s.satisfied, summary };
}

function proposalWire(p: SpendProposal, approvals: readonly Approval[], network: Network): Record<string, unknown> {
  const anchor = anchorOfPsbt(p.psbt, network);
  return {
    id: p.id,
    vaultId: p.vaultId,
    kind: p.kind,
    state: p.state,
    outputs: p.outputs.map((o) => ({ address: o.address, sats: o.sats.toString(), btc: formatBtc(o.sats), internal: o.internal, internalVault: o.internalVault })),
    amount: amountOf(p.amountSats),
    fee: amountOf(p.feeSats),
    feeRateSatPerVb: formatFeeRate(p.feeRateSatPerKvb),
    change: { sats: p.changeSats.toString(), index: p.changeIndex },
    memo: p.memo,
    proposer: p.proposer,
    unsignedTxid: p.unsignedTxid,
    txid: p.txid,
    replaces: p.replaces,
    replacedBy: p.replacedBy,
    parent: p.parent,
    policyVersion: p.policyVersion,
    createdAt: isoOf(p.createdAtMs),
    updatedAt: isoOf(p.updatedAtMs),
    approvals: approvals.map(approvalWire),
    anchor: anchor ? { vout: anchor.vout, seq: anchor.seq, commitment: anchor.commitment } : null,
    approval: approvalState(p, approvals),
  };
}

function outcomeWords(o: RuleOutcome): string {
  if (o.outcome === 'allow') return 'allow';
  if (o.outcome === 'deny') return 'deny';
  return `needs ${describeRequirement(o.requirement)}${o.signingDelaySeconds > 0 ? `, then a signing delay of ${o.signingDelaySeconds} s` : ''}`;
}

/**
 * The member a token acts as: the one it was issued to, by id — never whoever shares its name.
 * A token issued to no member cannot act in governance.
 */
const actorOf = (req: FastifyRequest): string => {
  if (req.tokenMemberId === null) throw new DomainError('FORBIDDEN', `token ${req.tokenId ?? ''} is not issued to a member, so it cannot act in governance: the member gets one by redeeming an enrolment code ("soberana token enrol")`);
  return req.tokenMemberId;
};
const idOf = (req: FastifyRequest): number => (req.params as { id: number }).id;

export function governanceRoutes(deps: GovernanceDeps): ApiRoute[] {
  const tag = 'governance';
  /**
   * Passkey settings: the configured ones (`webauthn.rpId`, `webauthn.origins`), else rpId "localhost"
   * and the one origin http://localhost:<the port this request came in on> (the loopback default;
   * WebAuthn refuses IP addresses, so open the dashboard at localhost).
   */
  const webauthnOf = (req: FastifyRequest): WebAuthnSettings => {
    if (deps.webauthn) return deps.webauthn;
    const port = req.socket.localPort;
    // as the browser writes it: the scheme's default port (80) is left out
    return { rpId: 'localhost', origins: [new URL(`http://localhost${port ? `:${port}` : ''}`).origin] };
  };
  // Every audit entry a request writes names the token it came with (and, as its actor, the member).
  const viaToken = (req: FastifyRequest): GovernanceDeps => ({ ...deps, webauthn: webauthnOf(req), spends: deps.spends.withAuditContext({ token: req.tokenId ?? 'none' }) });
  const proposalOut = { type: 'object', required: ['proposal'], properties: { proposal: proposalSchema } } as const;
  const full = async (id: number) => {
    const p = await requireProposal(deps.spends, id);
    return proposalWire(p, await deps.spends.approvals(p.id), deps.network);
  };
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/proposals',
      permission: 'proposals.read',
      tag,
      summary: 'Spend proposals, newest first, each with its approval state in plain words',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { vault: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 200: { type: 'object', required: ['proposals'], properties: { proposals: { type: 'array', items: proposalSchema } } } },
      },
      async handler(req: FastifyRequest) {
        const { vault } = req.query as { vault?: string };
        const vaultId = vault === undefined ? undefined : (await deps.vaults.findVault(vault))?.id ?? vault;
        const list = await deps.spends.proposals(vaultId);
        return { proposals: await Promise.all(list.map(async (p) => proposalWire(p, await deps.spends.approvals(p.id), deps.network))) };
      },
    },
    {
      method: 'GET',
      path: '/proposals/:id',
      permission: 'proposals.read',
      tag,
      summary: 'One spend proposal: outputs, fee, policy decision, approvals and what is missing',
      schema: { params: idParam, response: { 200: proposalOut } },
      async handler(req: FastifyRequest) {
        const p = await requireProposal(deps.spends, idOf(req)); // reads never write: sync follows the chain
        return { proposal: await full(p.id) };
      },
    },
    {
      method: 'POST',
      path: '/proposals',
      permission: 'proposals.create',
      tag,
      summary: 'Propose a spend from a vault (as "soberana spend propose"), as the member the token is bound to; the transaction commits the audit-log head in an OP_RETURN unless "auditAnchor": false',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['vault', 'payments', 'feeRateSatPerVb'],
          properties: {
            vault: { type: 'string', minLength: 1, maxLength: 100 },
            payments: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: { type: 'object', additionalProperties: false, required: ['address', 'sats'], properties: { address: { type: 'string', minLength: 1, maxLength: 120 }, sats: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } } },
            },
            feeRateSatPerVb: { type: 'string', minLength: 1, maxLength: 12, description: 'sat/vB, e.g. "2" or "2.5"' },
            memo: { type: 'string', maxLength: 500 },
            force: { type: 'boolean', description: 'accept a fee above the cap' },
            auditAnchor: { type: 'boolean', description: 'commit the audit-log head in a zero-value OP_RETURN output (default true; false leaves it out)' },
          },
        },
        response: { 201: { type: 'object', required: ['proposal', 'explanation'], properties: { proposal: proposalSchema, explanation: lines } } },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const b = req.body as { vault: string; payments: { address: string; sats: string }[]; feeRateSatPerVb: string; memo?: string; force?: boolean; auditAnchor?: boolean };
        const r = await proposeSpend(viaToken(req), {
          actor: actorOf(req),
          vault: b.vault,
          payments: b.payments.map((x) => ({ address: x.address.trim(), sats: BigInt(x.sats) })),
          feeRateSatPerKvb: parseFeeRate(b.feeRateSatPerVb),
          memo: b.memo,
          force: b.force === true,
          auditAnchor: b.auditAnchor !== false,
        });
        void reply.code(201);
        return { proposal: await full(r.proposal.id), explanation: [...r.decision.explanation] };
      },
    },
    {
      method: 'POST',
      path: '/proposals/:id/approve',
      permission: 'proposals.approve',
      tag,
      summary: 'Approve a proposal as the member the token is issued to (counted for their groups; the proposer never counts). The approval is the member\'s signature over the approval statement — a BIP340 signature, or a passkey assertion from the dashboard; unsigned only on regtest',
      schema: { params: idParam, body: approvalBody, response: { 200: proposalOut } },
      async handler(req: FastifyRequest) {
        const signature = signatureOf(req.body);
        await approveProposal(viaToken(req), { actor: actorOf(req), proposalId: idOf(req), signature });
        return { proposal: await full(idOf(req)) };
      },
    },
    {
      method: 'GET',
      path: '/proposals/:id/approval-statement',
      permission: 'proposals.approve',
      tag,
      summary: 'What the member the token is issued to signs to approve this proposal: the statement and its SHA-256 digest (BIP340-sign the digest, or use it as the WebAuthn challenge of your passkey)',
      schema: { params: idParam, response: { 200: statementSchema } },
      async handler(req: FastifyRequest) {
        const me = await requireActor(deps.spends, actorOf(req), 'approver');
        return statementWire(spendStatement(deps, me.id, await requireProposal(deps.spends, idOf(req))), me);
      },
    },
    {
      method: 'GET',
      path: '/proposals/:id/psbt',
      permission: 'proposals.execute',
      tag,
      summary: 'Download an approved proposal\'s PSBT for signers: base64 in JSON, or ?format=binary for a .psbt file (audited)',
      schema: {
        params: idParam,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['base64', 'binary'], default: 'base64' } } },
        response: {
          200: {
            type: 'object',
            required: ['psbt', 'unsignedTxid'],
            description: 'with ?format=binary the body is the raw PSBT (application/octet-stream) instead',
            properties: { psbt: { type: 'string' }, unsignedTxid: txid },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const id = idOf(req);
        const { format } = req.query as { format: 'base64' | 'binary' };
        const r = await exportProposal(viaToken(req), { actor: actorOf(req), proposalId: id, destination: `HTTP download (${format})` });
        if (format === 'binary') {
          void reply.type('application/octet-stream').header('content-disposition', `attachment; filename="proposal-${id}.psbt"`);
          return Buffer.from(base64.decode(r.psbt));
        }
        return r;
      },
    },
    {
      method: 'POST',
      path: '/proposals/:id/psbt',
      permission: 'proposals.execute',
      tag,
      summary: 'Upload a partial PSBT from any signer (base64, or hex): same transaction, signatures verified for the vault\'s keys, then combined',
      schema: {
        params: idParam,
        body: { type: 'object', additionalProperties: false, required: ['psbt'], properties: { psbt: { type: 'string', minLength: 1, maxLength: 700000 } } },
        response: {
          200: {
            type: 'object',
            required: ['added', 'inputs', 'complete', 'proposal'],
            properties: {
              added: { type: 'integer', description: 'signatures this file added' },
              inputs: { type: 'array', items: { type: 'object', required: ['signatures', 'required'], properties: { signatures: { type: 'integer' }, required: { type: ['integer', 'null'] } } } },
              complete: { type: 'boolean' },
              proposal: proposalSchema,
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const { psbt } = req.body as { psbt: string };
        const r = await importPartialPsbt(viaToken(req), { actor: actorOf(req), proposalId: idOf(req), psbt });
        return { ...r, proposal: await full(idOf(req)) };
      },
    },
    {
      method: 'POST',
      path: '/proposals/:id/finalize',
      permission: 'proposals.execute',
      tag,
      summary: 'Finalize a fully signed proposal into its transaction',
      schema: {
        params: idParam,
        response: { 200: { type: 'object', required: ['txid', 'vsize', 'fee', 'proposal'], properties: { txid, vsize: { type: 'integer' }, fee: satsString, proposal: proposalSchema } } },
      },
      async handler(req: FastifyRequest) {
        const r = await finalizeProposal(viaToken(req), { actor: actorOf(req), proposalId: idOf(req) });
        return { txid: r.txid, vsize: r.vsize, fee: r.fee.toString(), proposal: await full(idOf(req)) };
      },
    },
    {
      method: 'POST',
      path: '/proposals/:id/cancel',
      permission: 'proposals.execute',
      tag,
      summary: 'Cancel a proposal that never went out for signing. Once it did (signatures may exist), only by replacement: "replace": true creates a proposal spending one of its coins back to the vault (201, the new proposal)',
      schema: {
        params: idParam,
        body: {
          type: ['object', 'null'], additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 500 }, replace: { type: 'boolean' }, feeRateSatPerVb: { type: 'string', minLength: 1, maxLength: 12 }, force: { type: 'boolean' }, auditAnchor: { type: 'boolean', description: 'with replace: commit the current audit-log head in an OP_RETURN (default true)' } },
        },
        response: { 200: proposalOut, 201: proposalOut },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const body = (req.body ?? {}) as { reason?: string; replace?: boolean; feeRateSatPerVb?: string; force?: boolean; auditAnchor?: boolean };
        if (body.replace === true) {
          const r = await cancelByReplacement(viaToken(req), { actor: actorOf(req), proposalId: idOf(req), feeRateSatPerKvb: parseFeeRate(body.feeRateSatPerVb ?? '2'), reason: body.reason, force: body.force === true, auditAnchor: body.auditAnchor !== false });
          reply.code(201);
          return { proposal: await full(r.proposal.id) };
        }
        await cancelProposal(viaToken(req), { actor: actorOf(req), proposalId: idOf(req), reason: body.reason });
        return { proposal: await full(idOf(req)) };
      },
    },
    {
      method: 'GET',
      path: '/proposals/:id/policy-test',
      permission: 'policy.read',
      tag,
      summary: 'How the policy in force decides this proposal now: the rule that matched, why, and whether it may be signed and broadcast',
      schema: {
        params: idParam,
        response: {
          200: {
            type: 'object',
            required: ['outcome', 'policyVersion', 'rule', 'required', 'explanation', 'ready', 'reason'],
            properties: {
              outcome: { type: 'string' }, policyVersion: { type: 'integer' }, rule: { type: ['string', 'null'] }, required: { type: ['string', 'null'] },
              explanation: lines, ready: { type: 'boolean' }, reason: { type: 'string' },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const { decision: d, readiness } = await testPolicy(deps, { proposalId: idOf(req) });
        return {
          outcome: d.outcome, policyVersion: d.policyVersion, rule: d.ruleId, required: d.outcome === 'approval' ? describeRequirement(d.requirement) : null,
          explanation: [...d.explanation], ready: readiness.ready, reason: readiness.reason,
        };
      },
    },
    {
      method: 'GET',
      path: '/policy',
      permission: 'policy.read',
      tag,
      summary: 'The spending policy in force (rules in plain words, the full document) and every proposed change',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['active', 'changes'],
            properties: {
              active: {
                type: ['object', 'null'],
                required: ['version', 'name', 'activatedAt', 'groups', 'policyChange', 'rules', 'document'],
                properties: {
                  version: { type: 'integer' }, name: { type: 'string' }, activatedAt: iso, groups: strArray,
                  policyChange: { type: 'string', description: 'the quorum a change of policy needs' },
                  rules: { type: 'array', items: { type: 'object', required: ['id', 'description', 'then'], properties: { id: { type: 'string' }, description: { type: ['string', 'null'] }, then: { type: 'string' } } } },
                  document: { type: 'string', description: 'the policy document as adopted (JSON text)' },
                },
              },
              changes: { type: 'array', items: changeSchema },
            },
          },
        },
      },
      async handler() {
        const [active, changes] = await Promise.all([deps.spends.activePolicy(), deps.spends.policyChanges()]);
        return {
          active: active && {
            version: active.version,
            name: active.policy.name,
            activatedAt: isoOf(active.activatedAtMs),
            groups: [...active.policy.groups],
            policyChange: describeRequirement(active.policy.policyChange),
            rules: active.policy.rules.map((r) => ({ id: r.id, description: r.description, then: outcomeWords(r.then) })),
            document: active.document,
          },
          changes: changes.map((c) => ({ id: c.id, version: c.version, state: c.state, proposer: c.proposer, createdAt: isoOf(c.createdAtMs), approvals: c.approvals.map(approvalWire), document: c.document })),
        };
      },
    },
    {
      method: 'POST',
      path: '/policy',
      permission: 'policy.write',
      tag,
      summary: 'Propose a new policy version (JSON text); it waits for the quorum the policy in force names (the first one is adopted at once)',
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['document'], properties: { document: { type: 'string', minLength: 2, maxLength: 200000 } } },
        response: { 201: { type: 'object', required: ['change', 'active', 'status'], properties: { change: changeSchema, active: { type: 'boolean' }, status: { ...statusSchema, type: ['object', 'null'] } } } },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const r = await proposePolicy(viaToken(req), { actor: actorOf(req), document: (req.body as { document: string }).document });
        void reply.code(201);
        const c = r.change;
        return {
          change: { id: c.id, version: c.version, state: c.state, proposer: c.proposer, createdAt: isoOf(c.createdAtMs), approvals: c.approvals.map(approvalWire), document: c.document },
          active: r.active,
          status: r.status && { satisfied: r.status.satisfied, summary: r.status.satisfied ? 'quorum reached' : r.status.missing },
        };
      },
    },
    {
      method: 'POST',
      path: '/policy/changes/:id/approve',
      permission: 'policy.approve',
      tag,
      summary: 'Approve a proposed policy change or member change (a new member, roles, an approval key); it takes effect once the quorum of the policy in force is met. Signed like a spend approval (BIP340 signature or passkey assertion)',
      schema: { params: idParam, body: approvalBody, response: { 200: { type: 'object', required: ['active', 'status'], properties: { active: { type: 'boolean' }, status: statusSchema } } } },
      async handler(req: FastifyRequest) {
        const signature = signatureOf(req.body);
        const r = await approvePolicy(viaToken(req), { actor: actorOf(req), changeId: idOf(req), signature });
        return { active: r.active, status: { satisfied: r.status.satisfied, summary: r.status.satisfied ? 'quorum reached' : r.status.missing } };
      },
    },
    {
      method: 'GET',
      path: '/policy/changes/:id/approval-statement',
      permission: 'policy.approve',
      tag,
      summary: 'What the member the token is issued to signs to approve this policy or member change: the statement (the change, its document\'s SHA-256, the version in force) and its digest',
      schema: { params: idParam, response: { 200: statementSchema } },
      async handler(req: FastifyRequest) {
        const me = await requireActor(deps.spends, actorOf(req), 'approver');
        const change = await deps.spends.policyChange(idOf(req));
        if (!change) throw new DomainError('NOT_FOUND', `no policy change ${idOf(req)}`);
        const active = await deps.spends.activePolicy();
        if (!active) throw new DomainError('INVALID_STATE', 'there is no active policy to change');
        return statementWire(approvalStatement(deps.network, me.id, policyChangeSubject(change, active.version)), me);
      },
    },
    {
      method: 'GET',
      path: '/members/me/passkey',
      permission: 'proposals.approve',
      tag,
      summary: 'Passkeys for the member the token is issued to: the relying party id and origins this server accepts, and the kind of approval key registered (a passkey\'s credential id for allowCredentials)',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['rpId', 'origins', 'userVerification', 'member', 'approvalKey', 'passkey'],
            properties: {
              rpId: { type: 'string' },
              origins: strArray,
              userVerification: { type: 'string', enum: ['required', 'preferred'] },
              member: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
              approvalKey: memberSchema.properties.approvalKey,
              passkey: { type: ['object', 'null'], required: ['credentialId', 'rpId'], properties: { credentialId: { type: 'string' }, rpId: { type: 'string' } } },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const me = await requireActor(deps.spends, actorOf(req), 'approver');
        const wa = webauthnOf(req);
        const key = me.publicKey ?? null;
        const passkey = key !== null && isWebAuthnText(key) ? parsePasskeyCredential(key) : null;
        return {
          rpId: wa.rpId, origins: [...wa.origins], userVerification: wa.requireUserVerification === true ? 'required' : 'preferred',
          member: { id: me.id, name: me.name }, approvalKey: key === null ? null : memberKeyKind(key),
          passkey: passkey && { credentialId: passkey.credentialId, rpId: passkey.rpId },
        };
      },
    },
    {
      method: 'POST',
      path: '/members/me/passkey',
      permission: 'proposals.approve',
      tag,
      summary: 'Propose a passkey made in this browser as your approval key (navigator.credentials.create with this server\'s rpId; ES256). Never immediate: a member change that the quorum the policy names for policy changes approves (your own approval does not count)',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['credentialId', 'publicKey'],
          properties: {
            credentialId: b64url('the new credential\'s id (rawId)', 1400),
            publicKey: b64url('response.getPublicKey(): the DER SubjectPublicKeyInfo of the P-256 key', 200),
            publicKeyAlgorithm: { type: 'integer', const: -7, description: 'response.getPublicKeyAlgorithm(): only ES256 (-7)' },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['changeId', 'requirement', 'member'],
            properties: { changeId: { type: 'integer' }, requirement: { type: 'string' }, member: memberSchema },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const b = req.body as { credentialId: string; publicKey: string };
        const credential = passkeyFromSpki(b.credentialId, base64urlnopad.decode(b.publicKey), webauthnOf(req).rpId);
        const r = await proposeOwnApprovalKey(viaToken(req), { actor: actorOf(req), publicKey: encodePasskeyCredential(credential) });
        void reply.code(201);
        return { changeId: r.pending.changeId, requirement: r.pending.requirement, member: memberWire(r.member) };
      },
    },
    {
      method: 'GET',
      path: '/audit',
      permission: 'audit.read',
      tag,
      summary: 'The hash-chained audit log, newest first',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 } } },
        response: {
          200: {
            type: 'object',
            required: ['entries', 'total'],
            properties: {
              total: { type: 'integer' },
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'actor', 'role', 'action', 'object', 'details', 'at', 'prevHash', 'hash'],
                  properties: {
                    seq: { type: 'integer' }, actor: { type: 'string' }, role: { type: 'string' }, action: { type: 'string' }, object: { type: 'string' },
                    details: { type: 'string', description: 'the details as JSON text' }, at: iso, prevHash: { type: 'string' }, hash: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const { limit } = req.query as { limit: number };
        const log = await deps.spends.auditLog();
        const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
        return {
          total: log.length,
          entries: log.slice(-limit).reverse().map((e) => ({ seq: e.seq, actor: e.actor, role: e.role, action: e.action, object: e.object, details: json(e.details), at: isoOf(e.atMs), prevHash: e.prevHash, hash: e.hash })),
        };
      },
    },
    {
      method: 'GET',
      path: '/audit/verify',
      permission: 'audit.read',
      tag,
      summary: 'Recompute the audit log\'s hash chain: sound, or which rows were edited, reordered, deleted or inserted; with ?head=SEQ:HASH (repeatable), also whether it still holds heads kept elsewhere',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { head: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 100 }, description: 'a head kept elsewhere, SEQ:HASH (repeatable): the log must hold that entry with exactly that hash' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['ok', 'entries', 'head', 'problems', 'summary'],
            properties: {
              ok: { type: 'boolean' },
              entries: { type: 'integer' },
              head: { type: ['object', 'null'], required: ['seq', 'hash'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } } },
              problems: { type: 'array', items: { type: 'object', required: ['seq', 'kind', 'message'], properties: { seq: { type: 'integer' }, kind: { type: 'string' }, message: { type: 'string' } } } },
              summary: { type: 'string' },
              kept: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'hash', 'ok', 'after', 'message'],
                  properties: { seq: { type: 'integer' }, hash: { type: 'string' }, ok: { type: 'boolean' }, after: { type: ['integer', 'null'] }, message: { type: ['string', 'null'] } },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const v = await verifyAuditLog(deps, { keptHeads: ((req.query as { head?: string[] }).head ?? []).map((h) => parseHead(h)) });
        const summary = v.ok ? `the audit log is intact: ${v.entries} entr${v.entries === 1 ? 'y' : 'ies'}, chain verified to the anchored head` : `the audit log was tampered with: ${v.problems.map((p) => p.message).join('; ')}`;
        return { ok: v.ok, entries: v.entries, head: v.head, problems: v.problems.map((p) => ({ seq: p.seq, kind: p.kind, message: p.message })), summary,
          kept: v.kept.map((k) => ({ seq: k.head.seq, hash: k.head.hash, ok: k.ok, after: k.after, message: k.problem?.message ?? null })) };
      },
    },
    {
      method: 'GET',
      path: '/members',
      permission: 'members.read',
      tag,
      summary: 'Members (who proposes, approves, audits) with roles and groups, and which member your token acts as',
      schema: {
        response: { 200: { type: 'object', required: ['members', 'you'], properties: { members: { type: 'array', items: memberSchema }, you: { ...memberSchema, type: ['object', 'null'] } } } },
      },
      async handler(req: FastifyRequest) {
        const id = req.tokenMemberId;
        const [members, you] = await Promise.all([deps.spends.members(), id !== null ? deps.spends.findMember(id) : Promise.resolve(null)]);
        return { members: members.map(memberWire), you: you && memberWire(you) };
      },
    },
  ];
  if (deps.chain) {
    routes.push({
      method: 'POST',
      path: '/proposals/:id/broadcast',
      permission: 'proposals.execute',
      tag,
      summary: 'Broadcast a finalized proposal — refused unless the policy, evaluated again now, is satisfied',
      schema: { params: idParam, response: { 200: { type: 'object', required: ['txid', 'reason', 'proposal'], properties: { txid, reason: { type: 'string' }, proposal: proposalSchema } } } },
      async handler(req: FastifyRequest) {
        const r = await broadcastProposal(viaToken(req), { actor: actorOf(req), proposalId: idOf(req) });
        return { txid: r.txid, reason: r.reason, proposal: await full(idOf(req)) };
      },
    });
  }
  return routes;
}
