import { readInputFile } from './input-file.ts';
import { DomainError } from '../core/errors.ts';

/**
 * Read a list of addresses: one per line (blank lines and # comments ignored), or a CSV whose
 * header has an `address` column (e.g. a government's published reserve list).
 */
export function readAddressFile(path: string): string[] {
  const text = readInputFile(path, 'address file');
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const header = lines[0]?.split(',').map((c) => c.trim().toLowerCase());
  const col = header?.indexOf('address') ?? -1;
  if (header && col >= 0 && header.length > 1) {
    return lines.slice(1).map((l, i) => {
      const cell = splitCsvLine(l)[col]?.trim();
      if (!cell) throw new DomainError('INVALID_ARGUMENT', `${path} line ${i + 2}: no address in column ${col + 1}`);
      return cell;
    });
  }
  return lines;
}

/** Split one CSV line, honouring double-quoted cells. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
