import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../core/errors.ts';
import { parseBtc, sats, type Sats } from '../../core/money.ts';
import { splitCsvLine } from '../address-file.ts';

export interface Purchase {
  /** UTC day, YYYY-MM-DD. */
  readonly date: string;
  readonly sats: Sats;
  readonly kind: 'lump' | 'daily-programme';
  readonly source: string;
  readonly note: string;
}

export const PURCHASES_CSV = join(import.meta.dirname, '..', '..', '..', 'data', 'sovereign', 'el_salvador_btc_purchases.csv');

const DAY = 86_400_000;

/**
 * El Salvador's announced purchases, with the 1 BTC/day programme expanded into one purchase a week
 * (7 BTC; the last week pro rata) from its start until `programmeEnd` (a compression the demo
 * states openly: a block a day would be ~1,300 blocks).
 */
export function loadPurchases(programmeEnd: string, file = PURCHASES_CSV): Purchase[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const header = splitCsvLine(lines[0] ?? '');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DomainError('MALFORMED_DATA', `${file}: no "${name}" column`);
    return i;
  };
  const [cDate, cEvent, cAmount, cUrl, cNotes] = [col('date_announced'), col('event'), col('btc_amount'), col('source_url'), col('notes')];
  const out: Purchase[] = [];
  for (const line of lines.slice(1)) {
    const cells = splitCsvLine(line);
    const date = cells[cDate] ?? '';
    const event = cells[cEvent] ?? '';
    const source = cells[cUrl] ?? '';
    const note = cells[cNotes] ?? '';
    if (event === 'purchase') out.push({ date, sats: parseBtc(cells[cAmount] ?? ''), kind: 'lump', source, note });
    else if (event === 'program_start') {
      const perDay = parseBtc(cells[cAmount] ?? '');
      const start = Date.parse(`${date}T00:00:00Z`) + DAY; // announced on D, buying from D+1
      const end = Date.parse(`${programmeEnd}T00:00:00Z`);
      for (let t = start; t <= end; t += 7 * DAY) {
        const days = BigInt(Math.min(7, Math.floor((end - t) / DAY) + 1));
        out.push({ date: new Date(t).toISOString().slice(0, 10), sats: sats(perDay * days, 'purchase'), kind: 'daily-programme', source, note: `1 BTC/day programme: ${days} day${days === 1n ? '' : 's'}` });
      }
    }
  }
  return out.sort((a, b) => a.date.localeCompare(b.date) || (a.kind === b.kind ? 0 : a.kind === 'lump' ? -1 : 1));
}
