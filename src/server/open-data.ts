/**
 * Open data for the public routes (issue #18 item 8): any web page may read them cross-origin
 * (`Access-Control-Allow-Origin: *`, no credentials: a browser never sends a token or cookie with
 * such a request, so nothing authenticated is reachable this way), and every 200 answer carries a
 * strong ETag over its exact bytes with a short `Cache-Control`, so a news site that polls sends
 * `If-None-Match` and gets an empty 304 until the data change.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface OpenDataOptions {
  /** Fastify route URLs (with the API prefix) that the public may read. */
  readonly publicUrls: ReadonlySet<string>;
  /** Seconds a client or shared cache may reuse an answer (the server's own cache period). */
  readonly maxAgeSeconds: number;
}

/** The strong validator of a body: a quoted base64url SHA-256 prefix (collisions irrelevant at 160 bits). */
export function etagOf(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header names this ETag (a list, weak forms, or `*`). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

function isPublicRead(req: FastifyRequest, urls: ReadonlySet<string>): boolean {
  const url = req.routeOptions.url;
  return (req.method === 'GET' || req.method === 'HEAD') && url !== undefined && urls.has(url);
}

export function openDataHeaders(app: FastifyInstance, opts: OpenDataOptions): void {
  if (!Number.isSafeInteger(opts.maxAgeSeconds) || opts.maxAgeSeconds < 0) throw new RangeError(`openDataHeaders: maxAgeSeconds must be a non-negative integer, got ${opts.maxAgeSeconds}`);
  app.addHook('onSend', async (req, reply, payload) => {
    if (!isPublicRead(req, opts.publicUrls)) return payload;
    void reply.header('access-control-allow-origin', '*');
    void reply.header('access-control-expose-headers', 'ETag, Retry-After');
    if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload;
    // a handler that caches its serialized answer sets the ETag with it: no re-hash per request
    const preset = reply.getHeader('etag');
    const etag = typeof preset === 'string' ? preset : etagOf(payload);
    void reply.header('etag', etag);
    void reply.header('cache-control', `public, max-age=${opts.maxAgeSeconds}`);
    if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
      void reply.code(304);
      void reply.removeHeader('content-length');
      return '';
    }
    return payload;
  });
  // A cross-origin request that adds If-None-Match by script is preflighted: answer for public paths only.
  app.route({
    method: 'OPTIONS',
    url: '/api/v1/public/*',
    handler: async (req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      if (![...opts.publicUrls].some((u) => matches(u, path))) {
        return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no such endpoint: OPTIONS ${path}` } });
      }
      return reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'GET, HEAD')
        .header('access-control-allow-headers', 'If-None-Match')
        .header('access-control-max-age', '600')
        .send();
    },
  });
}

/** Whether a concrete path matches a Fastify route URL with `:param` segments. */
function matches(route: string, path: string): boolean {
  const a = route.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') ? (b[i] ?? '') !== '' : seg === b[i]);
}
