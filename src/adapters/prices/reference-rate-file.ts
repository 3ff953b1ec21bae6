/**
 * A reference-rate file the treasury designates (CSV or JSON, see `reference-rates.ts`), re-read
 * whenever it changes: each lookup compares the file's modification time, size and inode with the
 * last read, so an operator (or a cron job replacing it atomically) updates the price without a
 * restart. A file that cannot be read is PRICE_UNAVAILABLE; one that does not parse is
 * MALFORMED_DATA (and the previous contents are not used: a broken update is not silently ignored).
 */
import { open, stat } from 'node:fs/promises';
import { DomainError } from '../../core/errors.ts';
import type { BtcPriceSource } from '../../core/policy/price-source.ts';
import type { PriceHistory } from '../../core/transparency/public-view.ts';
import { parseReferenceRates, quoteAt } from './reference-rates.ts';

/** Largest reference-rate file read (the shipped 14-year history is 0.6 MB). */
export const MAX_REFERENCE_RATE_BYTES = 16 * 1024 * 1024;

/** A price source over the file at `path` (best absolute; messages show it as given). */
export function referenceRateFileSource(path: string): BtcPriceSource {
  const description = `reference rate file ${path}`;
  let cached: { readonly version: string; readonly history: PriceHistory } | null = null;

  const unreadable = (e: unknown): DomainError => {
    const why = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : e instanceof Error ? e.message : String(e);
    return new DomainError('PRICE_UNAVAILABLE', `cannot read ${description} (${why})`);
  };
  const versionOf = (s: { mtimeMs: number; size: number; ino: number }): string => `${s.mtimeMs}:${s.size}:${s.ino}`;

  async function load(): Promise<PriceHistory> {
    let current: string;
    try {
      current = versionOf(await stat(path));
    } catch (e) {
      throw unreadable(e);
    }
    if (cached !== null && cached.version === current) return cached.history;
    cached = null;
    let version: string;
    let text: string;
    try {
      // read through one handle so the version recorded belongs to the bytes read
      const fh = await open(path, 'r');
      try {
        const s = await fh.stat();
        if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'not a regular file' });
        if (s.size > MAX_REFERENCE_RATE_BYTES) throw new DomainError('MALFORMED_DATA', `${description} is larger than ${MAX_REFERENCE_RATE_BYTES} bytes`);
        version = versionOf(s);
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw unreadable(e);
    }
    const history = parseReferenceRates(text, description);
    cached = { version, history };
    return history;
  }

  return { description, latest: async (nowMs) => quoteAt(await load(), nowMs, description) };
}
