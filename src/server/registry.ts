/**
 * One place that registers an API route with its permission and schemas, and remembers it for
 * the OpenAPI document and the role-matrix test. Handlers never run unless the caller holds the
 * route's permission.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Permission, Principal } from '../core/auth/roles.ts';
import { can } from '../core/auth/roles.ts';
import { DomainError } from '../core/errors.ts';
import { errorBody, type JsonSchema } from './schemas.ts';

export const API_PREFIX = '/api/v1';

export interface RouteSchema {
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  /** Success responses by status. Error responses are added for every route. */
  readonly response: Readonly<Record<number, JsonSchema>>;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path under /api/v1, Fastify syntax (`/tokens/:id`). */
  readonly path: string;
  readonly permission: Permission;
  readonly summary: string;
  readonly tag: string;
  /** Public endpoints are rate limited per client address. */
  readonly rateLimited?: boolean;
  readonly schema: RouteSchema;
  handler(req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    tokenId: string | null;
    tokenName: string | null;
    /** The member the token is issued to; governance acts as this member only. */
    tokenMemberId: string | null;
  }
}

const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] as const;

/** Register the routes on `app` (which must have the auth hook) and return them. */
export function registerRoutes(app: FastifyInstance, routes: readonly ApiRoute[], rateLimit: { max: number; timeWindow: number } | null): void {
  for (const r of routes) {
    const response: Record<number, JsonSchema> = { ...r.schema.response };
    for (const s of ERROR_STATUSES) response[s] = errorBody;
    app.route({
      method: r.method,
      url: API_PREFIX + r.path,
      schema: {
        ...(r.schema.params ? { params: r.schema.params } : {}),
        ...(r.schema.querystring ? { querystring: r.schema.querystring } : {}),
        ...(r.schema.body ? { body: r.schema.body } : {}),
        response,
      },
      ...(r.rateLimited && rateLimit ? { config: { rateLimit } } : {}),
      // checked on request, before the body is parsed or validated: no token, no parsing
      onRequest: async (req) => {
        if (can(req.principal, r.permission)) return;
        if (req.principal === 'public') throw new DomainError('UNAUTHENTICATED', 'this needs an API token (Authorization: Bearer <token>)');
        throw new DomainError('FORBIDDEN', `the ${req.principal} role may not do this (needs "${r.permission}")`);
      },
      handler: r.handler,
    });
  }
}
