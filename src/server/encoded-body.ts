/**
 * Serialized public answers sent as they are, with their compressed forms kept beside them.
 *
 * Holdings over time is ≈85 KB of JSON; every browser asks with `Accept-Encoding: gzip, br` and
 * gets it as ≈20 KB. Compressing on every request would cost milliseconds each; here each answer
 * is compressed at most once per encoding (on the first request that asks for it, off the event
 * loop in zlib's thread pool) and the bytes are reused until the answer changes. Each encoding is
 * its own representation with its own strong ETag (RFC 9110 §8.8.3: the identity ETag with `.br`
 * or `.gz` added inside the quotes, characters base64url never uses), and every answer says
 * `Vary: Accept-Encoding` so a shared cache keeps them apart.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf } from './open-data.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Content codings this server produces, best first when a client weighs them equally. */
export const ENCODINGS = ['br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Below this size the identity bytes are sent whatever the client accepts (headers cost more than the saving). */
export const MIN_COMPRESSED_BYTES = 1024;

/** A serialized answer: its bytes, their strong ETag (hashed once) and its compressed forms (made once each, when first asked for). */
export interface EncodedBody {
  readonly bytes: Buffer;
  readonly etag: string;
  /** The bytes in `encoding` and their ETag; the same promise on every call. */
  encoded(encoding: Encoding): Promise<{ readonly bytes: Buffer; readonly etag: string }>;
}

const ETAG_SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

function compress(bytes: Buffer, encoding: Encoding): Promise<Buffer> {
  switch (encoding) {
    case 'br':
      // quality 5: within a few percent of gzip -9's size at a fraction of brotli 11's time
      return brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
    case 'gzip':
      return gz(bytes, { level: 6 });
  }
}

/**
 * Wrap serialized bytes.
 * @example
 * const body = encodedBody(Buffer.from('{"a":1}'));
 * body.etag; // '"…27 base64url characters…"'
 * (await body.encoded('gzip')).etag; // the same with '.gz' before the closing quote
 */
export function encodedBody(bytes: Buffer): EncodedBody {
  const etag = etagOf(bytes);
  const forms = new Map<Encoding, Promise<{ bytes: Buffer; etag: string }>>();
  return {
    bytes,
    etag,
    encoded(encoding) {
      let form = forms.get(encoding);
      if (!form) {
        form = compress(bytes, encoding).then((b) => ({ bytes: b, etag: `${etag.slice(0, -1)}${ETAG_SUFFIX[encoding]}"` }));
        // a failure is not kept: the next request tries again (and sends identity meanwhile, see sendEncoded)
        form.catch(() => forms.delete(encoding));
        forms.set(encoding, form);
      }
      return form;
    },
  };
}

/**
 * The coding to answer with for an Accept-Encoding header (RFC 9110 §12.5.3): the highest q
 * among those we produce, br before gzip on a tie; `*` stands for any coding not named; q=0
 * refuses. Null for identity (no header, nothing acceptable, or only identity).
 */
export function negotiateEncoding(header: string | undefined): Encoding | null {
  if (header === undefined || header === '') return null;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (name === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) q = 0;
    weights.set(name, Math.max(weights.get(name) ?? -1, q));
  }
  const any = weights.get('*');
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const enc of ENCODINGS) {
    const q = weights.get(enc) ?? (enc === 'gzip' ? weights.get('x-gzip') : undefined) ?? any ?? 0;
    if (q > bestQ) {
      best = enc;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Send a serialized JSON (or other) body as the client accepts it, with its ETag; the public
 * routes' onSend hook (open-data.ts) then answers 304 when If-None-Match names that ETag.
 * Returns the bytes for the handler to return (Fastify sends a Buffer as it is: no schema
 * serializer, no preSerialization hook).
 */
export async function sendEncoded(req: FastifyRequest, reply: FastifyReply, body: EncodedBody, type = 'application/json; charset=utf-8'): Promise<Buffer> {
  void reply.type(type);
  void reply.header('vary', 'Accept-Encoding');
  const encoding = body.bytes.length >= MIN_COMPRESSED_BYTES ? negotiateEncoding(req.headers['accept-encoding']) : null;
  if (encoding !== null) {
    const form = await body.encoded(encoding).catch(() => null);
    if (form) {
      void reply.header('content-encoding', encoding);
      void reply.header('etag', form.etag);
      return form.bytes;
    }
  }
  void reply.header('etag', body.etag);
  return body.bytes;
}
