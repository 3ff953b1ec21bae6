/**
 * The OpenAPI 3.1 document, built from the same route definitions (and JSON schemas) that Fastify
 * validates and serializes with, so it cannot drift from the running API.
 */
import { can, PERMISSION_MATRIX, PRINCIPALS, type Permission } from '../core/auth/roles.ts';
import { HTTP_STATUS_BY_ERROR } from './error-map.ts';
import { API_PREFIX, type ApiRoute } from './registry.ts';
import { errorBody, type JsonSchema } from './schemas.ts';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  400: 'The request is malformed (bad parameter, query or body)',
  401: 'No valid token was given',
  403: 'The token’s role may not do this',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'The body is too large',
  415: 'The body is not JSON',
  422: 'Refused by a business rule',
  429: 'Too many requests; wait and retry',
  503: 'A dependency (chain source, database) is unavailable',
};

/** Fastify path syntax (`/tokens/:id`) to OpenAPI's (`/tokens/{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function rolesWith(p: Permission): string[] {
  return PRINCIPALS.filter((r) => PERMISSION_MATRIX[r].includes(p));
}

function parameters(schema: JsonSchema | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: s }));
}

export function buildOpenApi(routes: readonly ApiRoute[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = API_PREFIX + openApiPath(r.path);
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.schema.response)) {
      responses[status] = { description: STATUS_TEXT[Number(status)] ?? 'OK', content: { 'application/json': { schema } } };
    }
    const errorStatuses = new Set<number>([400, 429, 503]);
    if (r.permission !== 'public.read') errorStatuses.add(401).add(403);
    if (r.schema.body) errorStatuses.add(413).add(415);
    if (r.method === 'DELETE' || r.path.includes(':')) errorStatuses.add(404).add(409);
    if (r.method === 'POST') errorStatuses.add(409); // a change can conflict with the current state (a decided hold, a reused reference, nothing to close)
    for (const s of [...errorStatuses].sort()) {
      responses[String(s)] = { description: STATUS_TEXT[s] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${openApiPath(r.path).replace(/[{}]/g, '').replace(/(^|[/_-])([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase()).replace(/\//g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      description: `Allowed for: ${rolesWith(r.permission).join(', ')} (permission "${r.permission}").`,
      'x-permission': r.permission,
      security: can('public', r.permission) ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }],
      parameters: [...parameters(r.schema.params, 'path'), ...parameters(r.schema.querystring, 'query')],
      responses,
    };
    if (r.schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
    paths[p] = { ...(paths[p] ?? {}), [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Soberana API',
      version: info.version,
      description:
        'Sovereign Bitcoin reserve: public transparency data and, behind a token, operations. Amounts are strings of satoshis; ' +
        'fiat amounts are strings of minor units (cents) with their currency. Errors are {"error":{"code","message"}} with a stable code; ' +
        `statuses by code: ${Object.entries(HTTP_STATUS_BY_ERROR).map(([c, s]) => `${c} ${s}`).join(', ')}.`,
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'a token from "soberana token enrol" (bound to its member) or "soberana token create" (bound to no one)' } },
      schemas: { Error: errorBody },
    },
    paths,
  };
}
