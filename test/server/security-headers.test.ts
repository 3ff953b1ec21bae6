// The security headers built once (src/server/security-headers.ts) are exactly those
// @fastify/helmet sends with the same options, on JSON answers, Buffer answers and errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import { securityHeaders } from '../../src/server/security-headers.ts';

const OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], imgSrc: ["'self'", 'data:'], objectSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  strictTransportSecurity: false,
} as const;

function routes(app: FastifyInstance): void {
  app.get('/json', async () => ({ a: 1 }));
  app.get('/bytes', async (_req, reply) => {
    void reply.type('application/json');
    return Buffer.from('{"a":1}');
  });
  app.get('/fail', async () => {
    throw new Error('no');
  });
}

function security(headers: Record<string, unknown>): Record<string, unknown> {
  const drop = new Set(['date', 'content-length', 'content-type', 'connection', 'keep-alive']);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !drop.has(k)).sort(([a], [b]) => a.localeCompare(b)));
}

test('the headers built once equal @fastify/helmet\'s for the same options, on every kind of answer', async () => {
  const theirs = Fastify();
  await theirs.register(fastifyHelmet, OPTIONS);
  routes(theirs);
  const ours = Fastify();
  securityHeaders(ours, OPTIONS);
  routes(ours);
  try {
    for (const url of ['/json', '/bytes', '/fail', '/missing']) {
      const a = await theirs.inject({ url });
      const b = await ours.inject({ url });
      assert.equal(b.statusCode, a.statusCode, url);
      assert.deepEqual(security(b.headers), security(a.headers), url);
      assert.match(String(b.headers['content-security-policy']), /frame-ancestors 'none'/, url);
      assert.equal(b.headers['x-content-type-options'], 'nosniff', url);
    }
  } finally {
    await theirs.close();
    await ours.close();
  }
});
