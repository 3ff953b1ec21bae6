/**
 * Who am I, token management (admin only), and enrolment: an admin issues a one-time code for a
 * member (`POST /tokens/enrolments`), the member redeems it without a token (`POST /enrol`) for a
 * token bound to them. A token is bound to a member in no other way (`POST /tokens` with `member`
 * is refused), so no administrator can make a token that acts as someone else.
 */
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { enrolmentState, permissionsOf, ROLES, type ApiTokenInfo, type EnrolmentInfo, type Role } from '../../core/auth/roles.ts';
import { DomainError } from '../../core/errors.ts';
import type { ServerDeps } from '../deps.ts';
import type { ApiRoute } from '../registry.ts';
import { nonEmptyName } from '../schemas.ts';
import { enrolmentOnly, issueToken, revokeToken, type Issuer } from '../../app/issue-token.ts';
import { issueEnrolment, listEnrolments, redeemEnrolment, revokeEnrolment } from '../../app/enrol-member.ts';

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

const ENROLMENT_STATES = ['pending', 'redeemed', 'revoked', 'expired'] as const;
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const enrolmentInfo = {
  type: 'object',
  required: ['id', 'memberId', 'role', 'state', 'issuedBy', 'createdAt', 'expiresAt', 'redeemedAt', 'tokenId', 'revokedAt'],
  properties: {
    id: { type: 'string', description: 'enr_ and 12 hex digits' },
    memberId: { type: 'string', description: 'the member the code enrols' },
    role: { type: 'string', enum: [...ROLES] },
    state: { type: 'string', enum: [...ENROLMENT_STATES] },
    issuedBy: { type: 'string' },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
    redeemedAt: { type: ['string', 'null'] },
    tokenId: { type: ['string', 'null'], description: 'the token the redemption made' },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

function wireEnrolment(e: EnrolmentInfo, nowMs: number): Record<string, unknown> {
  return {
    id: e.id, memberId: e.memberId, role: e.role, state: enrolmentState(e, nowMs), issuedBy: e.issuedBy, createdAt: new Date(e.createdAtMs).toISOString(),
    expiresAt: new Date(e.expiresAtMs).toISOString(), redeemedAt: isoOrNull(e.redeemedAtMs), tokenId: e.tokenId, revokedAt: isoOrNull(e.revokedAtMs),
  };
}

/** What `rateLimit` leaves the failed-enrolment limit at: the failed-authentication allowance (10 per address in 15 minutes unless configured), or off. */
function failedEnrolmentLimit(given: ServerDeps['rateLimit']): { max: number; timeWindow: number } | null {
  if (given === null) return null;
  return { max: given?.authFailureMax ?? 10, timeWindow: given?.authFailureWindowMs ?? 15 * 60_000 };
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Failed enrolment redemptions per client address, counted like failed bearer authentications: an
 * address over the allowance is refused (429, Retry-After) before its code is even looked up.
 * Made on first use from the server's rate-limit plugin (absent when limits are off).
 */
function enrolmentLimiter(deps: ServerDeps): (req: FastifyRequest) => Limiter | null {
  const limit = failedEnrolmentLimit(deps.rateLimit);
  let limiter: Limiter | null | undefined;
  return (req) => {
    if (limiter !== undefined) return limiter;
    limiter = limit && typeof req.server.createRateLimit === 'function' ? req.server.createRateLimit({ ...limit, keyGenerator: (r) => `enrol:${normalizeIP(r.ip)}` }) : null;
    return limiter;
  };
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
      summary: 'Create a token bound to no member (it reads what its role allows); the response is the only time its secret is shown',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: nonEmptyName,
            role: { type: 'string', enum: [...ROLES] },
            member: { type: 'string', minLength: 1, maxLength: 64, description: 'refused (403): a token is bound to a member only by their own enrolment (POST /tokens/enrolments, then POST /enrol)' },
          },
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
        if (body.member !== undefined) throw enrolmentOnly(body.member, body.role);
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
    ...enrolmentRoutes(deps),
  ];
}

/** Enrolment codes: only where the token store keeps them and governance (members, audit) is served. */
function enrolmentRoutes(deps: ServerDeps): ApiRoute[] {
  const governance = deps.governance;
  if (!deps.tokens.enrolments || !governance) return [];
  const adminDeps = (req: FastifyRequest) => ({ tokens: deps.tokens, spends: governance.spends, now: () => deps.clock.now(), via: { token: req.tokenId ?? 'none' } });
  const limiterFor = enrolmentLimiter(deps);
  return [
    {
      method: 'GET',
      path: '/tokens/enrolments',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Every enrolment code issued, with its state (never the code, which is shown once at issue)',
      schema: { response: { 200: { type: 'object', required: ['enrolments'], properties: { enrolments: { type: 'array', items: enrolmentInfo } } } } },
      async handler() {
        const now = deps.clock.now();
        return { enrolments: (await listEnrolments(deps)).map((e) => wireEnrolment(e, now)) };
      },
    },
    {
      method: 'POST',
      path: '/tokens/enrolments',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Issue a one-time enrolment code for a member and a role they hold; the response is the only time the code is shown',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['member', 'role'],
          properties: {
            member: { type: 'string', minLength: 1, maxLength: 64, description: 'the member\'s id' },
            role: { type: 'string', enum: [...ROLES], description: 'a role the member holds; the token they redeem carries it' },
            expiresInSeconds: { type: 'integer', minimum: 60, maximum: 30 * 86_400, description: 'how long the code works (default 86400: 24 hours)' },
          },
        },
        response: {
          201: {
            type: 'object',
            required: [...enrolmentInfo.required, 'code'],
            properties: { ...enrolmentInfo.properties, code: { type: 'string', description: 'the one-time code (soe_…); give it to the member now' } },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const body = req.body as { member: string; role: Role; expiresInSeconds?: number };
        const e = await issueEnrolment(adminDeps(req), issuerOf(req), { memberId: body.member, role: body.role, lifetimeMs: body.expiresInSeconds === undefined ? undefined : body.expiresInSeconds * 1000 });
        void reply.code(201);
        return { ...wireEnrolment(e, deps.clock.now()), code: e.code };
      },
    },
    {
      method: 'DELETE',
      path: '/tokens/enrolments/:id',
      permission: 'tokens.manage',
      tag: 'access',
      summary: 'Revoke an enrolment code nobody has redeemed yet; it stops working at once',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^enr_[0-9a-f]{12}$' } } },
        response: { 200: enrolmentInfo },
      },
      async handler(req: FastifyRequest) {
        const { id } = req.params as { id: string };
        return wireEnrolment(await revokeEnrolment(adminDeps(req), issuerOf(req), id), deps.clock.now());
      },
    },
    {
      method: 'POST',
      path: '/enrol',
      permission: 'tokens.enrol',
      tag: 'access',
      summary: 'Redeem a one-time enrolment code (no token needed: the code is the credential) for a token bound to its member; the response is the only time the token is shown',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'name'],
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 100, description: 'the code from your administrator (soe_…)' },
            name: { ...nonEmptyName, description: 'what holds the token, e.g. "maria laptop"' },
          },
        },
        response: {
          201: {
            type: 'object',
            required: [...tokenInfo.required, 'memberId', 'token'],
            properties: { ...tokenInfo.properties, token: { type: 'string', description: 'the secret; store it now' } },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const limiter = limiterFor(req);
        if (limiter) {
          const seen = await limiter(req, { increment: false });
          if (!seen.isAllowed && seen.remaining === 0) {
            const seconds = Math.max(1, seen.ttlInSeconds);
            void reply.header('retry-after', seconds);
            throw new DomainError('RATE_LIMITED', `too many failed enrolment attempts from this address; retry in ${seconds} s`);
          }
        }
        const body = req.body as { code: string; name: string };
        try {
          const t = await redeemEnrolment({ tokens: deps.tokens, now: () => deps.clock.now(), ...(req.tokenId ? { via: { token: req.tokenId } } : {}) }, body.code, { name: body.name });
          void reply.code(201);
          return { ...wire(t), token: t.token };
        } catch (e) {
          if (limiter) {
            const counted = await limiter(req);
            if (!counted.isAllowed && counted.remaining === 0) req.log.warn({ address: req.ip }, 'failed enrolment attempts reached the limit; this address is refused until the window ends');
          }
          throw e;
        }
      },
    },
  ];
}
