/**
 * JSON schemas shared by the routes. They validate requests (Fastify/Ajv), shape responses
 * (fast-json-stringify drops any property not listed, so a field can never leak by accident)
 * and feed the OpenAPI document.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Sats as a decimal string (JSON never carries bigints as numbers). */
export const satsString = { type: 'string', pattern: '^-?[0-9]+$', description: 'amount in satoshis, as a decimal string' } as const;
export const centsString = { type: 'string', pattern: '^-?[0-9]+$', description: 'amount in minor units of the currency (cents), as a decimal string' } as const;
export const isoDate = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'a UTC day, YYYY-MM-DD' } as const;
export const txid = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'a stable code (see src/core/errors.ts)' },
        message: { type: 'string', description: 'one plain-words line' },
      },
    },
  },
} as const;

export const tip = {
  type: ['object', 'null'],
  required: ['height', 'hash', 'time'],
  properties: {
    height: { type: 'integer' },
    hash: { type: 'string' },
    time: { type: ['integer', 'null'], description: 'block time, seconds since the Unix epoch' },
  },
} as const;

export const nonEmptyName = { type: 'string', minLength: 1, maxLength: 100 } as const;
