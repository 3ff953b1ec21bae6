import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

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
  if (usePretty) return pino(base, pretty({ destination: 2, sync: true, colorize: true }));
  return pino(base, pino.destination({ fd: 2, sync: true }));
}
