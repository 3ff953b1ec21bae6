/**
 * Proof of reserves over HTTP (issue #14):
 * - `GET /public/proof`: the newest published proof — date, block, proven total vs the holdings
 *   reported now, the gap in plain words, and the exact `soberana por verify` command;
 * - `GET /public/proof?format=file`: its proof file (JSON), as a download;
 * - `POST /por/challenges`: an auditor (a token with `audit.read`: auditor or admin, bound to a
 *   member) asks for a challenge, a random nonce the next proof must sign before it expires;
 * - `GET /por/challenges/:id`: the challenge and whether a proof has answered it.
 * Public routes are rate limited like the rest of the public dataset.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import type { ProofChallenge, ProofStore } from '../../core/por/round.ts';
import { latestPublishedProof } from '../../app/por/published-proof.ts';
import { requestChallenge, type ProofDeps } from '../../app/por/proof-round.ts';
import type { PublicReserveView } from '../../core/transparency/public-view.ts';
import { API_PREFIX, type ApiRoute } from '../registry.ts';
import { satsString } from '../schemas.ts';

export interface PorRouteDeps {
  /** Absent: a server that keeps no proofs; `/public/proof` still answers (`proof: null`), so the dashboard never meets a 404. */
  readonly proofs?: ProofStore | undefined;
  readonly publicView: PublicReserveView;
  /** For challenges (members, audit log); absent: only the public routes. */
  readonly governance?: ProofDeps | undefined;
  /** The node URL printed in the verify command (the demo gives its own); null: a placeholder. */
  readonly verifyNodeUrl?: string | null | undefined;
}

const iso = { type: 'string', description: 'ISO 8601 time, UTC' } as const;

const proofSchema = {
  type: ['object', 'null'],
  description: 'the newest published proof; null when none has been published',
  required: ['id', 'publishedAt', 'createdAt', 'block', 'message', 'challengeId', 'challengeNonce', 'vaults', 'provenSats', 'provenBtc', 'reportedSats', 'reportedBtc', 'gapSats', 'coversAll', 'explanation', 'fileName', 'fileUrl', 'verifyCommand'],
  properties: {
    id: { type: 'integer' },
    publishedAt: iso,
    createdAt: iso,
    block: { type: 'object', required: ['height', 'hash'], properties: { height: { type: 'integer' }, hash: { type: 'string' } } },
    message: { type: 'string' },
    challengeId: { type: ['string', 'null'] },
    challengeNonce: { type: ['string', 'null'] },
    vaults: {
      type: 'array',
      items: { type: 'object', required: ['id', 'name', 'provenSats', 'coins'], properties: { id: { type: 'string' }, name: { type: 'string' }, provenSats: satsString, coins: { type: 'integer' } } },
    },
    provenSats: satsString,
    provenBtc: { type: 'string' },
    reportedSats: satsString,
    reportedBtc: { type: 'string' },
    gapSats: { ...satsString, description: 'reported minus proven; negative when the proof covers more than is reported now' },
    coversAll: { type: 'boolean', description: 'false when the proof covers less than the reported holdings' },
    explanation: { type: 'string', description: 'the gap in plain words (English)' },
    reportedVaults: {
      type: 'array',
      description: 'the holdings reported now, vault by vault: with `vaults` and `block`, what a page needs to say the gap in its own language (the same facts as `explanation`)',
      items: { type: 'object', required: ['id', 'name', 'sats'], properties: { id: { type: 'string' }, name: { type: 'string' }, sats: satsString } },
    },
    fileName: { type: 'string' },
    fileUrl: { type: 'string' },
    verifyCommand: { type: 'string', description: 'the exact command that verifies the file against a node' },
  },
} as const;

const challengeSchema = {
  type: 'object',
  required: ['id', 'nonce', 'requestedBy', 'note', 'createdAt', 'expiresAt', 'status', 'proofId'],
  properties: {
    id: { type: 'string' },
    nonce: { type: 'string', description: 'what the proof must commit to: its message is followed by "challenge: <nonce>"' },
    requestedBy: { type: 'string' },
    note: { type: ['string', 'null'] },
    createdAt: iso,
    expiresAt: iso,
    status: { type: 'string', enum: ['open', 'being-answered', 'answered', 'expired'] },
    proofId: { type: ['integer', 'null'] },
  },
} as const;

function challengeWire(c: ProofChallenge, nowMs: number) {
  const status = c.answeredAtMs !== null ? 'answered' : nowMs >= c.expiresAtMs ? 'expired' : c.roundId !== null ? 'being-answered' : 'open';
  return { id: c.id, nonce: c.nonce, requestedBy: c.requestedBy, note: c.note, createdAt: new Date(c.createdAtMs).toISOString(), expiresAt: new Date(c.expiresAtMs).toISOString(), status, proofId: c.roundId };
}

export function porRoutes(deps: PorRouteDeps, now: () => number): ApiRoute[] {
  const tag = 'proof of reserves';
  const reported = async () => (await deps.publicView.summary()).vaults.map((v) => ({ vaultId: v.id, name: v.name, sats: v.confirmedSats }));
  const store = deps.proofs;
  const latest = async () => (store ? latestPublishedProof({ proofs: store, reported, verifyNodeUrl: deps.verifyNodeUrl }) : null);
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/public/proof',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'The newest published proof of reserves: block, proven total against the holdings reported now, the gap in plain words, and the command that verifies it; ?format=file downloads its proof file',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['summary', 'file'], default: 'summary' } } },
        response: { 200: { type: 'object', required: ['proof'], description: 'with ?format=file the body is the proof file itself (application/json, an attachment; 404 when none is published)', properties: { proof: proofSchema } } },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const l = await latest();
        if ((req.query as { format?: string }).format === 'file') {
          if (l === null || l.round.proofFile === null) throw new DomainError('NOT_FOUND', 'no proof of reserves has been published yet');
          void reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${l.proof.fileName}"`);
          return Buffer.from(l.round.proofFile, 'utf8');
        }
        if (l === null) return { proof: null };
        const p = l.proof;
        const reportedVaults = (await reported()).map((v) => ({ id: v.vaultId, name: v.name, sats: v.sats.toString() }));
        return {
          proof: {
            id: p.id, publishedAt: new Date(p.publishedAtMs).toISOString(), createdAt: new Date(p.createdAtMs).toISOString(), block: p.block, message: p.message,
            challengeId: p.challengeId, challengeNonce: p.challengeNonce,
            vaults: p.vaults.map((v) => ({ id: v.vaultId, name: v.name, provenSats: v.provenSats.toString(), coins: v.coins })),
            provenSats: p.provenSats.toString(), provenBtc: formatBtc(p.provenSats), reportedSats: p.reportedSats.toString(), reportedBtc: formatBtc(p.reportedSats),
            gapSats: p.gapSats.toString(), coversAll: p.coversAll, explanation: p.explanation, reportedVaults, fileName: p.fileName, fileUrl: `${API_PREFIX}/public/proof?format=file`, verifyCommand: p.verifyCommand,
          },
        };
      },
    },
  ];
  const gov = store ? deps.governance : undefined;
  if (gov) {
    routes.push(
      {
        method: 'POST',
        path: '/por/challenges',
        permission: 'audit.read',
        tag,
        summary: 'Ask for a challenge: a random nonce the next proof of reserves must sign before it expires (auditor or admin token bound to a member)',
        schema: {
          body: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 200 }, ttlHours: { type: 'integer', minimum: 1, maximum: 2160 } } },
          response: { 201: { type: 'object', required: ['challenge'], properties: { challenge: challengeSchema } } },
        },
        async handler(req: FastifyRequest, reply: FastifyReply) {
          if (req.tokenMemberId === null) throw new DomainError('FORBIDDEN', 'this token is not issued to a member: a challenge names who asked for it');
          const body = (req.body ?? {}) as { note?: string; ttlHours?: number };
          const proofs = gov.proofs.withAuditContext({ token: req.tokenId ?? 'none' });
          const c = await requestChallenge({ ...gov, proofs }, { requestedBy: req.tokenMemberId, role: req.principal, note: body.note, ttlMs: body.ttlHours === undefined ? undefined : body.ttlHours * 3_600_000 });
          void reply.code(201);
          return { challenge: challengeWire(c, now()) };
        },
      },
      {
        method: 'GET',
        path: '/por/challenges/:id',
        permission: 'audit.read',
        tag,
        summary: 'A challenge and whether a proof has answered it',
        schema: {
          params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^ch_[0-9a-f]{16}$' } } },
          response: { 200: { type: 'object', required: ['challenge'], properties: { challenge: challengeSchema } } },
        },
        async handler(req: FastifyRequest) {
          const c = await gov.proofs.challenge((req.params as { id: string }).id);
          if (!c) throw new DomainError('NOT_FOUND', 'no such challenge');
          return { challenge: challengeWire(c, now()) };
        },
      },
    );
  }
  return routes;
}
