import { createRequire } from 'node:module';
import type { Logger, pino as Pino } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino, and pino-pretty only for a terminal, load when the first logger is made (a fast CLI start).
const require = createRequire(import.meta.url);

export type { Logger };

/** Paths whose values are never written to a log. */
export const REDACT_PATHS = [
  'password', '*.password', 'token', '*.token', 'xprv', '*.xprv', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'cookie', '*.cookie', 'dbUrl', '*.dbUrl', 'seed', '*.seed',
];

/**
 * A logger that writes to stderr: pretty on a TTY, JSON lines otherwise.
 * Secrets under the redacted paths are replaced by "[redacted]".
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  const { pino } = require('pino') as { pino: typeof Pino };
  if (usePretty) {
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(base, pretty({ destination: 2, sync: true, colorize: true }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}
