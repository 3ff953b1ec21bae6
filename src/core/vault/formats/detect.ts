/**
 * Recognise which wallet interchange format a text is, and import or export through it.
 * The CLI calls `importWalletConfig(text, { network })` for `vault import FILE`.
 */
import { DomainError } from '../../errors.ts';
import { bsmsToWalletConfig, toBsms } from './bsms.ts';
import { parseCaravan, toCaravan } from './caravan.ts';
import { parseColdcard, toColdcard } from './coldcard.ts';
import { walletConfigFromDescriptor } from './wallet-config.ts';
import type { ImportOptions, WalletConfig } from './wallet-config.ts';

export const WALLET_FORMATS = ['descriptor', 'caravan', 'coldcard', 'bsms'] as const;
export type WalletFormat = (typeof WALLET_FORMATS)[number];

/**
 * Sniff the format: `BSMS 1.0` first line → bsms; a JSON object with Caravan's
 * `extendedPublicKeys`/`quorum` → caravan; a single `fn(…)` line → descriptor; `Policy:` or
 * `FINGERPRINT: xpub` lines → coldcard; otherwise null.
 *
 * @example detectWalletFormat('BSMS 1.0\n…') === 'bsms'
 */
export function detectWalletFormat(text: string): WalletFormat | null {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (/^BSMS \d/.test(t)) return 'bsms';
  if (t.startsWith('{')) {
    try {
      const doc: unknown = JSON.parse(t);
      if (typeof doc === 'object' && doc !== null && ('extendedPublicKeys' in doc || 'quorum' in doc)) return 'caravan';
    } catch {
      return null;
    }
    return null;
  }
  const lines = t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 1 && /^[a-z_]+\(.*\)(#[a-z0-9]{8})?$/.test(lines[0] ?? '')) return 'descriptor';
  if (lines.some((l) => /^policy\s*:/i.test(l) || /^[0-9a-f]{8}\s*:\s*[xtyzuvYZUV]pub/i.test(l))) return 'coldcard';
  return null;
}

/**
 * Import a wallet from any supported format (detected unless `format` is given).
 * @example importWalletConfig(text, { network: 'main' }).config.descriptor
 */
export function importWalletConfig(text: string, opts: ImportOptions & { format?: WalletFormat } = {}): { format: WalletFormat; config: WalletConfig } {
  const format = opts.format ?? detectWalletFormat(text);
  if (!format) throw new DomainError('INVALID_IMPORT', 'unrecognised wallet file: expected a descriptor, Caravan JSON, a Coldcard multisig file or a BSMS 1.0 record');
  switch (format) {
    case 'descriptor': {
      const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
      return { format, config: walletConfigFromDescriptor(line, opts) };
    }
    case 'caravan': return { format, config: parseCaravan(text, opts) };
    case 'coldcard': return { format, config: parseColdcard(text, opts) };
    case 'bsms': return { format, config: bsmsToWalletConfig(text, opts) };
  }
}

/**
 * Write a wallet in one of the formats (the descriptor form is the model's own descriptor).
 * @example exportWalletConfig(cfg, 'coldcard')
 */
export function exportWalletConfig(cfg: WalletConfig, format: WalletFormat): string {
  switch (format) {
    case 'descriptor': return `${cfg.descriptor}\n`;
    case 'caravan': return toCaravan(cfg);
    case 'coldcard': return toColdcard(cfg);
    case 'bsms': return `${toBsms(cfg)}\n`;
  }
}
