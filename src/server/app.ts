/**
 * The HTTP server: `buildServer(deps)` makes a Fastify app (not listening: tests use `inject`),
 * `startServer(deps, {port, host})` listens. The API lives under /api/v1; the dashboard
 * (web/dist) is served at /.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { securityHeaders } from './security-headers.ts';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { DomainError, isDomainError, type ErrorCode } from '../core/errors.ts';
import type { RateLimits, ServerDeps } from './deps.ts';
import { cachedPublicView } from './cached-view.ts';
import { HTTP_STATUS_BY_ERROR } from './error-map.ts';
import { buildOpenApi } from './openapi.ts';
import { API_PREFIX, registerRoutes, type ApiRoute } from './registry.ts';
import { accessRoutes } from './routes/access.ts';
import { publicRoutes } from './routes/public.ts';
import { vaultRoutes } from './routes/vaults.ts';
import { governanceRoutes } from './routes/governance.ts';
import { accountingRoutes } from './routes/accounting.ts';
import { porRoutes } from './routes/por.ts';
import { complianceRoutes } from './routes/compliance.ts';
import { settlementRoutes } from './routes/settlement.ts';
import { settlementPublicRoutes } from './routes/settlement-public.ts';
import { miningRoutes } from './routes/mining.ts';
import { plainTextReplies } from './plain-text.ts';
import { openDataHeaders } from './open-data.ts';
import { LiveHub, registerLiveEvents } from './live-events.ts';

export type { RateLimits, ServerDeps, TrustProxy } from './deps.ts';

export const API_VERSION = '0.1.0';
const BODY_LIMIT = 1024 * 1024;
const BEARER_RE = /^Bearer +([\x21-\x7e]{1,200})$/i; // the scheme is case-insensitive (RFC 9110)

/**
 * The allowances `soberana serve` and the demo run with (a config file can change them):
 * 600 requests a minute per client address without a token (a dashboard page view is about ten),
 * 1200 a minute per API token, and 10 failed bearer authentications per address in 15 minutes.
 */
export const DEFAULT_RATE_LIMITS: Required<RateLimits> = {
  max: 600,
  timeWindowMs: 60_000,
  tokenMax: 1200,
  authFailureMax: 10,
  authFailureWindowMs: 15 * 60_000,
};

/** The limits a server runs with: null when off, else the given ones over the defaults. */
export function effectiveRateLimits(given: RateLimits | null | undefined): Required<RateLimits> | null {
  if (given === null) return null;
  const l = { ...DEFAULT_RATE_LIMITS, ...given };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`rateLimit.${k}: a positive integer, got ${String(v)}`);
  }
  return l;
}

/** The rate-limit key of the client address (IPv6 by /64: one host owns a whole /64). */
function addressKey(req: FastifyRequest): string {
  return `addr:${normalizeIP(req.ip)}`;
}

/**
 * Fastify's `trustProxy` from ours. False (the default): X-Forwarded-For is ignored and request.ip
 * is the TCP peer, so no client can claim another address. A hop count trusts that many proxies
 * nearest the server whoever they are (Fastify itself treats a bare number as "trust nothing",
 * hence the function): safe only when nothing but the proxy can reach the port.
 */
function fastifyTrustProxy(t: ServerDeps['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (t === undefined || t === false || t === 0) return false;
  if (t === true) return true;
  if (typeof t === 'number') {
    if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`trustProxy: a hop count is a non-negative integer, got ${t}`);
    return (_address, hop) => hop < t;
  }
  if (t.length === 0) return false;
  return [...t];
}

/** Every API route this server offers (the role-matrix and fuzz tests walk this list). */
export function apiRoutes(deps: ServerDeps): ApiRoute[] {
  const routes: ApiRoute[] = [...publicRoutes(deps), ...accessRoutes(deps), ...(deps.vaults ? vaultRoutes(deps.vaults) : []), ...(deps.vaults && deps.governance ? governanceRoutes({ spends: deps.governance.spends, vaults: deps.vaults, now: () => deps.clock.now(), network: deps.governance.network, chain: deps.governance.chain ?? undefined, prices: deps.governance.prices, maxPriceAgeMs: deps.governance.maxPriceAgeMs, webauthn: deps.governance.webauthn, compliance: deps.governance.compliance }) : [])];
  routes.push(...accountingRoutes({ books: deps.vaults && deps.accounting ? { accounting: deps.accounting.store, rates: deps.accounting.rates, vaults: deps.vaults } : null, publicView: deps.publicView, clock: deps.clock }));
  routes.push(...porRoutes({ proofs: deps.proofs?.store, publicView: deps.publicView, verifyNodeUrl: deps.proofs?.verifyNodeUrl, governance: deps.proofs && deps.vaults && deps.governance ? { proofs: deps.proofs.store, spends: deps.governance.spends, vaults: deps.vaults, network: deps.governance.network, now: () => deps.clock.now() } : undefined }, () => deps.clock.now()));
  // the public compliance routes exist on every server (empty without a store), so the dashboard's panel never meets a 404
  routes.push(...miningRoutes({ mining: deps.mining?.store ?? null, vaults: deps.vaults ?? null, spends: deps.governance?.spends ?? null, network: deps.governance?.network ?? 'regtest', now: () => deps.clock.now() })); // mining ventures (issue #17)
  routes.push(...complianceRoutes({ compliance: deps.compliance?.store ?? null, vaults: deps.vaults ?? null, spends: deps.governance?.spends, now: () => deps.clock.now(), publicView: deps.publicView, proofs: deps.proofs?.store }));
  if (deps.settlement) routes.push(...settlementRoutes({ store: deps.settlement.store, network: deps.settlement.network, rates: deps.settlement.rates, now: () => deps.clock.now() })); // alliance settlement (issue #16)
  routes.push(...settlementPublicRoutes({ cycles: deps.settlement?.store ?? null, onchain: deps.settlementOnchain?.store ?? null, vaults: deps.vaults ?? null, spends: deps.governance?.spends ?? null, publicView: deps.publicView })); // public alliance settlement (issue #16)
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
  const cached = cachedPublicView(given.publicView, given.publicCacheMs ?? 5000, given.clock);
  const deps: ServerDeps = { ...given, publicView: cached };
  const limits = effectiveRateLimits(given.rateLimit);
  const app = Fastify({
    trustProxy: fastifyTrustProxy(deps.trustProxy),
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
  app.decorateRequest('tokenMemberId', null);
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

  securityHeaders(app, {
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

  // Failed bearer authentications per client address (null when limits are off).
  let authFailures: ReturnType<FastifyInstance['createRateLimit']> | null = null;
  if (limits) {
    await app.register(rateLimit, {
      global: false, // one hook below covers every request; no route carries its own limit
      cache: 20_000, // addresses and tokens remembered (least recently seen forgotten first)
      errorResponseBuilder: (_req, ctx) => new DomainError('RATE_LIMITED', `too many requests; retry in ${ctx.after}`),
    });
    authFailures = app.createRateLimit({ max: limits.authFailureMax, timeWindow: limits.authFailureWindowMs, keyGenerator: addressKey });
  }

  // Who is calling: no Authorization header = the public; a header must carry a valid token.
  // An address that has failed too often is refused before its token is even looked up. The
  // presented token is never logged or kept: only the address is counted.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(API_PREFIX)) return;
    const header = req.headers.authorization;
    if (header === undefined) return;
    if (authFailures) {
      const seen = await authFailures(req, { increment: false });
      if (!seen.isAllowed && seen.remaining === 0) {
        const seconds = Math.max(1, seen.ttlInSeconds);
        void reply.header('retry-after', seconds);
        throw new DomainError('RATE_LIMITED', `too many failed authentications from this address; retry in ${seconds} s`);
      }
    }
    const m = BEARER_RE.exec(header);
    const info = m ? await deps.tokens.authenticate(m[1] ?? '') : null;
    if (!info) {
      if (authFailures) {
        const counted = await authFailures(req);
        if (!counted.isAllowed && counted.remaining === 0) req.log.warn({ address: req.ip }, 'failed API authentications reached the limit; this address is refused until the window ends');
      }
      throw new DomainError('UNAUTHENTICATED', m ? 'the token is unknown or revoked' : 'the Authorization header must be "Bearer <token>"');
    }
    req.principal = info.role;
    req.tokenId = info.id;
    req.tokenName = info.name;
    req.tokenMemberId = info.memberId;
  });

  // Every request counts against one allowance: its token's (keyed by the token id, never the
  // secret) or, without a token, its client address's. Runs after the hook above, before any
  // route's permission check, body parsing or handler; unknown URLs and dashboard files included.
  if (limits) {
    app.addHook(
      'onRequest',
      app.rateLimit({
        max: (req) => (req.tokenId === null ? limits.max : limits.tokenMax),
        timeWindow: limits.timeWindowMs,
        keyGenerator: (req) => (req.tokenId === null ? addressKey(req) : `token:${req.tokenId}`),
      }),
    );
  }

  // The stream always exists (the dashboard subscribes to it); without a hub — a server that does
  // not follow the chain — it stays open and quiet, and the page keeps what it loaded.
  const live = deps.live ?? new LiveHub();
  const stopInvalidating = live.subscribe(() => cached.invalidate(), { internal: true });
  app.addHook('onClose', async () => stopInvalidating());
  registerLiveEvents(app, live);
  const routes = apiRoutes(deps);
  openDataHeaders(app, {
    publicUrls: new Set(routes.filter((r) => r.permission === 'public.read' && r.method === 'GET').map((r) => API_PREFIX + r.path)),
    maxAgeSeconds: Math.floor((given.publicCacheMs ?? 5000) / 1000),
  });
  await app.register(
    async (api) => {
      registerRoutes(api, routes, null);
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
