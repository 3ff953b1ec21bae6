/**
 * Security headers (CSP without inline scripts, nosniff, frame-ancestors…) set on every reply,
 * with the header middleware built once.
 *
 * @fastify/helmet 13 calls `helmet(options)` on every request: it rebuilds the middleware and
 * parses the CSP directives each time, ≈50 µs of CPU per request on the bench machine — as much
 * as the rest of a cached public answer (bench/api.bench.ts; measured by server CPU per request,
 * see the helper's report in issue #18). Here `helmet(options)` runs once, at registration, and
 * each request only sets the precomputed headers. Same options, same headers (tested against
 * @fastify/helmet in test/server/security-headers.test.ts).
 */
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';

export function securityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions>): void {
  const apply = helmet(options);
  app.addHook('onRequest', (req, reply, done) => {
    apply(req.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });
}
