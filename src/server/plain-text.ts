/**
 * What people read is what is true (issue #19): every string in every JSON reply — memos, labels,
 * member and vault names, reasons, error messages — goes through the core's `displaySafe`, so a
 * terminal escape sequence, a bidirectional override or an invisible character typed into free
 * text reaches API clients and the dashboard written out visibly (`\u001b`, `\u202e`), never as
 * the character itself.
 *
 * Fastify runs `preSerialization` only for object payloads: binary replies (a PSBT download is a
 * Buffer), streams (the dashboard's static files) and strings pass untouched.
 */
import type { FastifyInstance } from 'fastify';
import { displaySafeDeep } from '../core/text/display-text.ts';

/** Add the hook to `app` (the root instance, before the routes, so every reply gets it). */
export function plainTextReplies(app: FastifyInstance): void {
  app.addHook('preSerialization', async (_req, _reply, payload: unknown) => displaySafeDeep(payload));
}
