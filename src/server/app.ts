/**
 * The HTTP server: `buildServer(deps)` makes a Fastify app (not listening: tests use `inject`),
 * `startServer(deps, {port, host})` listens. The API lives under /api/v1; the dashboard
 * (web/dist) is served at /.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { DomainError, isDomainError, type ErrorCode } from '../core/errors.ts';
import type { ServerDeps } from './deps.ts';
import { cachedPublicView } from './cached-view.ts';
import { HTTP_STATUS_BY_ERROR } from './error-map.ts';
import { buildOpenApi } from './openapi.ts';
import { API_PREFIX, registerRoutes, type ApiRoute } from './registry.ts';
import { accessRoutes } from './routes/access.ts';
import { publicRoutes } from './routes/public.ts';
import { vaultRoutes } from './routes/vaults.ts';
import { governanceRoutes } from './routes/governance.ts';
import { plainTextReplies } from './plain-text.ts';

export type { ServerDeps } from './deps.ts';

export const API_VERSION = '0.1.0';
const BODY_LIMIT = 1024 * 1024;
const BEARER_RE = /^Bearer +([\x21-\x7e]{1,200})$/i; // the scheme is case-insensitive (RFC 9110)

/** Every API route this server offers (the role-matrix and fuzz tests walk this list). */
export function apiRoutes(deps: ServerDeps): ApiRoute[] {
  const routes: ApiRoute[] = [...publicRoutes(deps), ...accessRoutes(deps), ...(deps.vaults ? vaultRoutes(deps.vaults) : []), ...(deps.vaults && deps.governance ? governanceRoutes({ spends: deps.governance.spends, vaults: deps.vaults, now: () => deps.clock.now(), chain: deps.governance.chain ?? undefined }) : [])];
  const doc = buildOpenApi([...routes, openApiRoute(() => ({}))], { version: API_VERSION });
  routes.push(openApiRoute(() => doc));
  return routes;
}

function openApiRoute(doc: () => Record<string, unknown>): ApiRoute {
  return {
    method: 'GET',
    path: '/openapi.json',
    permission: 'public.read',
    tag: 'meta',
    summary: 'This API described as an OpenAPI 3.1 document',
    schema: { response: { 200: { type: 'object', additionalProperties: true } } },
    async handler() {
      return doc();
    },
  };
}

function errorReply(code: ErrorCode | 'INTERNAL', message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** Fastify's own 4xx errors (bad JSON, wrong content type, too large) as a domain code. */
function codeForFastifyError(e: FastifyError): ErrorCode {
  if (e.statusCode === 429) return 'RATE_LIMITED';
  if (e.statusCode === 404) return 'NOT_FOUND';
  return 'INVALID_ARGUMENT';
}

export async function buildServer(given: ServerDeps): Promise<FastifyInstance> {
  const deps: ServerDeps = { ...given, publicView: cachedPublicView(given.publicView, given.publicCacheMs ?? 5000, given.clock) };
  const app = Fastify({
    logger: deps.logLevel ? { level: deps.logLevel, redact: ['req.headers.authorization'] } : false,
    bodyLimit: BODY_LIMIT,
    // a querystring like ?limit=1&limit=2 becomes an array, which the schema rejects
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // errors the router raises before any route runs (bad URL encoding, a too-long parameter)
    frameworkErrors: (err, _req, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void reply.code(status).send(errorReply('INVALID_ARGUMENT', err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is malformed'));
    },
  });

  app.decorateRequest('principal', 'public');
  app.decorateRequest('tokenId', null);
  app.decorateRequest('tokenName', null);
  plainTextReplies(app); // every string in every JSON reply shown with control and bidi characters escaped (issue #19)

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isDomainError(err)) {
      return reply.code(HTTP_STATUS_BY_ERROR[err.code]).send(errorReply(err.code, err.message));
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
      const detail = first?.message ?? 'is invalid';
      return reply.code(400).send(errorReply('INVALID_ARGUMENT', `${where}${field ? ` field "${field}"` : ''} ${detail}`));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorReply(codeForFastifyError(err), err.message.split('\n')[0] ?? 'bad request'));
    }
    req.log.error({ err }, 'internal error');
    return reply.code(500).send(errorReply('INTERNAL', 'internal error'));
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorReply('NOT_FOUND', `no such endpoint: ${req.method} ${req.url.split('?')[0] ?? ''}`));
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // served on loopback over plain HTTP by default; a TLS proxy in front sets HSTS
    strictTransportSecurity: false,
  });

  const limit = deps.rateLimit === undefined ? { max: 300, timeWindowMs: 60_000 } : deps.rateLimit;
  if (limit) {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, ctx) => new DomainError('RATE_LIMITED', `too many requests; retry in ${ctx.after}`),
    });
  }

  // Who is calling: no Authorization header = the public; a header must carry a valid token.
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith(API_PREFIX)) return;
    const header = req.headers.authorization;
    if (header === undefined) return;
    const m = BEARER_RE.exec(header);
    if (!m) throw new DomainError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
    const info = await deps.tokens.authenticate(m[1] ?? '');
    if (!info) throw new DomainError('UNAUTHENTICATED', 'the token is unknown or revoked');
    req.principal = info.role;
    req.tokenId = info.id;
    req.tokenName = info.name;
  });

  await app.register(
    async (api) => {
      registerRoutes(api, apiRoutes(deps), limit ? { max: limit.max, timeWindow: limit.timeWindowMs } : null);
    },
  );

  if (deps.webRoot) {
    await app.register(fastifyStatic, { root: deps.webRoot, prefix: '/', index: ['index.html'], wildcard: true, cacheControl: true, maxAge: 0 });
  }
  return app;
}

/** Build and listen; resolves to the app and the URL it is listening on. */
export async function startServer(deps: ServerDeps, opts: { port: number; host: string }): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildServer(deps);
  await app.listen({ port: opts.port, host: opts.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { app, url: `http://${host}:${port}/` };
}
