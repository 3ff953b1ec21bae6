/** Who am I, and token management (admin only). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { permissionsOf, ROLES, type ApiTokenInfo, type Role } from '../../core/auth/roles.ts';
import type { ServerDeps } from '../deps.ts';
import type { ApiRoute } from '../registry.ts';
import { nonEmptyName } from '../schemas.ts';
import { issueToken, revokeToken, type Issuer } from '../../app/issue-token.ts';

/** Who acts: the admin token's member, or the token itself when it is issued to no member. */
const issuerOf = (req: FastifyRequest): Issuer => ({ actor: req.tokenMemberId ?? `token:${req.tokenId ?? '?'}`, role: req.principal });

const tokenInfo = {
  type: 'object',
  required: ['id', 'name', 'role', 'createdAt', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    memberId: { type: ['string', 'null'], description: 'the member the token is issued to (it acts in governance as that member only)' },
  },
} as const;

function wire(t: ApiTokenInfo): Record<string, unknown> {
  return { id: t.id, name: t.name, role: t.role, createdAt: t.createdAt, revokedAt: t.revokedAt, memberId: t.memberId };
}

export function accessRoutes(deps: ServerDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/session',
      permission: 'session.read',
      tag: 'access',
      summary: 'The role of the token you used and what it may do',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['role', 'tokenId', 'tokenName', 'permissions'],
            properties: {
              role: { type: 'string' },
              tokenId: { type: 'string' },
              tokenName: { type: 'string' },
              permissions: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        return { role: req.principal, tokenId: req.tokenId, tokenName: req.tokenName, permissions: permissionsOf(req.principal) };
      },
    },
    {
      method: 'GET',
      path: '/tokens',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Every API token (never the secret, which is shown once at creation)',
      schema: { response: { 200: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: tokenInfo } } } } },
      async handler() {
        return { tokens: (await deps.tokens.list()).map(wire) };
      },
    },
    {
      method: 'POST',
      path: '/tokens',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Create a token; the response is the only time its secret is shown',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: { name: nonEmptyName, role: { type: 'string', enum: [...ROLES] }, member: { type: 'string', minLength: 1, maxLength: 64, description: 'issue it to this member (by id); the role must be one the member holds' } },
        },
        response: {
          201: {
            type: 'object',
            required: [...tokenInfo.required, 'token'],
            properties: { ...tokenInfo.properties, token: { type: 'string', description: 'the secret; store it now' } },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const body = req.body as { name: string; role: Role; member?: string };
        // Audited (who issued which token to whom) wherever governance is served.
        const t = deps.governance
          ? await issueToken({ tokens: deps.tokens, spends: deps.governance.spends.withAuditContext({ token: req.tokenId ?? 'none' }), now: () => deps.clock.now() }, issuerOf(req), { name: body.name, role: body.role, memberId: body.member })
          : await deps.tokens.create({ name: body.name, role: body.role, memberId: null });
        void reply.code(201);
        return { ...wire(t), token: t.token };
      },
    },
    {
      method: 'DELETE',
      path: '/tokens/:id',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Revoke a token; it stops working at once',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^tok_[0-9a-f]{12}$' } } },
        response: { 200: tokenInfo },
      },
      async handler(req: FastifyRequest) {
        const { id } = req.params as { id: string };
        if (deps.governance) return wire(await revokeToken({ tokens: deps.tokens, spends: deps.governance.spends.withAuditContext({ token: req.tokenId ?? 'none' }), now: () => deps.clock.now() }, issuerOf(req), id));
        return wire(await deps.tokens.revoke(id));
      },
    },
  ];
}
